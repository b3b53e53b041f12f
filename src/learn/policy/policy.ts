// The agents of one environment batch acting: the population's networks, their recurrent state, the
// Models of Other Agents and the cheap-talk channel when the model has them. One act() runs every agent's
// network as one batched op sequence; influence() measures what the model's influence kind says (models
// I, II, III: ../influence/); unroll() replays a recorded rollout for the update.
//
// Streams: with independent learners network g serves the B streams of agent g (stream s = env s); with
// shared parameters one network serves all B * N streams in the environment's order (stream s = agent
// s % N of env floor(s / N)) and sees the agent's one-hot id as an extra input.

import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../config.ts';
import { modelSpec, type ModelSpec } from '../models.ts';
import { Population, ForwardRecord, type Heads } from './population.ts';
import { MoaPopulation } from './moa-net.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { sampleCategorical, argmax } from '../losses.ts';
import type { Rng } from '../../util/rng.ts';
import type { Rollout } from '../rollout.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import { measureCentralised } from '../influence/centralised.ts';
import { measureMessages } from '../influence/messages.ts';
import { MoaInfluence } from '../influence/moa.ts';

export type NamedTensor = { name: string; data: Float32Array; shape: number[] };

/** Values of the rollout's last observations under the current state, per stream [G * S] (group-major). */
export interface Bootstrap { values: Float32Array; msgValues?: Float32Array }

/** The sequence outputs unroll() gives the update, [G, T * S', ...]. */
export type Unrolled = Heads & {
  /** The conv features, which the MOA reads. */
  conv: tf.Tensor3D;
};

export class Policy {
  readonly spec: ModelSpec;
  readonly net: Population;
  readonly moa?: MoaInfluence;
  /** Networks and streams per network. */
  readonly G: number;
  readonly S: number;
  readonly obsSize: number;
  /** Model I: the first `influencers` agents act first. */
  readonly influencers: number;
  /** Model II: symbols in the vocabulary (0 without a channel). */
  readonly vocab: number;
  /** Width of the head inputs (model I: K * A influencer actions; model II: N * V symbols heard). */
  readonly condWidth: number;

  /** Recurrent state [G, S, H]. */
  h: tf.Tensor3D;
  c: tf.Tensor3D;
  /** Policy logits of the last act() [G * S * A], and the LSTM outputs and conv features it computed. */
  lastLogits: Float32Array;
  lastFeatures?: tf.Tensor3D;
  lastConv?: tf.Tensor3D;
  /** Keep mask of the last act() [G * S] (0 where an episode started). */
  readonly lastKeep: Float32Array;
  /** Model II: every agent's symbol of the last step and of the one before [B * N], env order; the message
   * logits of those steps [G * S * V]; which envs started an episode at the last step. */
  readonly symbols: Uint8Array;
  readonly prevSymbols: Uint8Array;
  msgLogits?: Float32Array;
  prevMsgLogits?: Float32Array;
  readonly lastResets: Uint8Array;
  /** Model II: who saw whom [B, N, N] at the step the symbols of the last step were emitted (set by the
   * influence measure, read at the next step: a symbol's influence is masked by its speaker's view then). */
  readonly symbolVisible: Uint8Array;
  /** The head inputs of the last act() [G * S * condWidth]. */
  readonly lastCond?: Float32Array;
  /** Where the current step's forward passes are being kept (acting into a rollout that reuses them). */
  stepRecord?: { policy?: ForwardRecord; moa?: ForwardRecord };

  private readonly ids?: tf.Tensor3D;
  private readonly bytes: Uint8Array;

  constructor(readonly cfg: TrainConfig, readonly numActions: number, readonly B: number, readonly N: number) {
    this.spec = modelSpec(cfg.model);
    const V = 2 * cfg.viewRadius + 1;
    this.obsSize = V * V * 3;
    this.G = cfg.shareParams ? 1 : N;
    this.S = cfg.shareParams ? B * N : B;
    this.influencers = this.spec.conditionsOnInfluencers ? cfg.influencers : 0;
    this.vocab = this.spec.communicates ? cfg.vocab || numActions : 0;
    this.condWidth = this.influencers ? this.influencers * numActions : N * this.vocab;
    this.net = new Population({
      G: this.G, numActions, viewSize: V, extraInputs: cfg.shareParams ? N : 0, headInputs: this.condWidth, messages: this.vocab,
      headEmbedding: this.vocab ? cfg.commEmbedding ?? 0 : 0,
      seedOf: (g) => cfg.seed * 1000 + g,
    });
    if (this.spec.moa) {
      this.moa = new MoaInfluence(new MoaPopulation({
        G: this.G, numAgents: N, numActions, inputSize: this.net.convOutSize, form: cfg.moaForm ?? 'head', seedOf: (g) => cfg.seed * 1000 + 500 + g,
      }), B, N, numActions, { visibleOnly: cfg.moaVisibleOnly, norm: cfg.moaLossNorm });
    }
    const z = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.h = z;
    this.c = tf.clone(z);
    this.lastLogits = new Float32Array(this.G * this.S * numActions);
    this.lastKeep = new Float32Array(this.G * this.S);
    this.symbols = new Uint8Array(B * N);
    this.prevSymbols = new Uint8Array(B * N);
    this.lastResets = new Uint8Array(B).fill(1);
    this.symbolVisible = new Uint8Array(B * N * N);
    if (this.condWidth) this.lastCond = new Float32Array(this.G * this.S * this.condWidth);
    this.bytes = new Uint8Array(this.G * this.S * this.obsSize);
    if (cfg.shareParams) {
      this.ids = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(Array.from({ length: this.S }, (_, s) => s % N), 'int32'), N), [1, this.S, N]) as tf.Tensor3D);
    }
  }

  /** The env-order index (b * N + i) of group g's stream s. */
  stream(g: number, s: number): number {
    return this.G === 1 ? s : s * this.N + g;
  }

  /** The env of group g's stream s. */
  envOf(g: number, s: number): number {
    return this.G === 1 ? Math.floor(s / this.N) : s;
  }

  /** Model I: whether group g is an influencee. */
  isInfluencee(g: number): boolean {
    return this.influencers > 0 && g >= this.influencers;
  }

  /** One-hot influencer actions for every stream [G * S * K*A] (zeros for the influencers themselves), from
   * env-order actions, with influencer `k` replaced by `alt` when given. */
  influencerInputs(actions: ArrayLike<number>, out: Float32Array, k = -1, alt = 0): Float32Array {
    const { B, N, numActions: A, influencers: K } = this;
    out.fill(0);
    const w = K * A;
    for (let g = K; g < this.G; g++) {
      for (let b = 0; b < B; b++) {
        const row = (g * this.S + b) * w;
        for (let i = 0; i < K; i++) out[row + i * A + (i === k ? alt : actions[b * N + i])] = 1;
      }
    }
    return out;
  }

  /** One-hot symbols heard, one row per env [B * N*V] (all zero where the episode starts now), from env-order
   * symbols with agent k's replaced by `alt` when given. */
  symbolRows(symbols: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array, k = -1, alt = 0): Float32Array {
    const { B, N, vocab: Vm } = this;
    out.fill(0);
    for (let b = 0; b < B; b++) {
      if (resets[b]) continue;
      for (let i = 0; i < N; i++) out[(b * N + i) * Vm + (i === k ? alt : symbols[b * N + i])] = 1;
    }
    return out;
  }

  /** Gathers env-order views [B * N, V, V, 3] into group-major order [G, S, ...]. */
  private gather(obs: Uint8Array): Uint8Array {
    if (this.G === 1) return obs.subarray(0, this.S * this.obsSize);
    const out = this.bytes, O = this.obsSize;
    for (let g = 0; g < this.G; g++) {
      for (let s = 0; s < this.S; s++) {
        const e = this.stream(g, s);
        out.set(obs.subarray(e * O, (e + 1) * O), (g * this.S + s) * O);
      }
    }
    return out;
  }

  private keepTensor(resets: ArrayLike<number>, into = this.lastKeep): tf.Tensor3D {
    for (let g = 0; g < this.G; g++) for (let s = 0; s < this.S; s++) into[g * this.S + s] = resets[this.envOf(g, s)] ? 0 : 1;
    return tf.tensor3d(into, [this.G, 1, this.S]);
  }

  /** The head inputs of this step, [G * S * width], for the sampled `actions` so far (model I) or the
   * symbols heard (model II). */
  private condFor(actions: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array): Float32Array {
    if (this.influencers) return this.influencerInputs(actions, out);
    const rows = this.symbolRows(this.symbols, resets, new Float32Array(this.B * this.N * this.vocab));
    const w = this.condWidth;
    for (let g = 0; g < this.G; g++) for (let s = 0; s < this.S; s++) out.set(rows.subarray(this.envOf(g, s) * w, (this.envOf(g, s) + 1) * w), (g * this.S + s) * w);
    return out;
  }

  /**
   * Chooses every stream's action from env-order views obs [B * N, V, V, 3] and advances the recurrent
   * state. Writes actions [B * N] (env order); with `rollout`, also records the step at rollout.t.
   * resets[b] = 1 marks envs whose episode starts with this observation (the state is zeroed first).
   */
  async act(obs: Uint8Array, resets: Uint8Array, rng: Rng, actions: Uint8Array, opts: { greedy?: boolean; rollout?: Rollout } = {}): Promise<void> {
    const { G, S, numActions: A, vocab: Vm, condWidth: W } = this;
    const r = opts.rollout;
    const bytes = this.gather(obs);
    if (r) for (let g = 0; g < G; g++) r.obs.set(bytes.subarray(g * S * this.obsSize, (g + 1) * S * this.obsSize), r.at(g, r.t, 0) * this.obsSize);
    const input = this.net.input(bytes, S);
    const keep = this.keepTensor(resets);
    const cond = this.lastCond;
    if (cond) {
      if (this.influencers) cond.fill(0);
      else this.condFor(actions, resets, cond);
    }
    this.stepRecord = r ? { policy: r.record, moa: r.moaRecord } : undefined;
    const { conv, features, h, c, heads } = tf.tidy(() => {
      const t = this.net.torso(input, this.ids, r?.record);
      const rec = this.net.recur(t.y, keep, this.h, this.c, r?.record);
      const condT = cond ? tf.tensor3d(cond, [G, S, W]) : undefined;
      return { conv: t.conv, features: rec.features, h: rec.h, c: rec.c, heads: this.net.heads(rec.features, condT) };
    });
    tf.dispose([input.tensor, keep, this.h, this.c, this.lastFeatures, this.lastConv]);
    this.h = h;
    this.c = c;
    this.lastFeatures = features;
    if (this.moa) this.lastConv = conv;
    else conv.dispose();
    let [logits, values, msgLogits, msgValues] = await readAndDispose([heads.logits, heads.value, heads.msgLogits, heads.msgValue]);
    const pick = (g: number, s: number, lg: Float32Array) => {
      const e = this.stream(g, s), k = g * S + s;
      let a: number, lp = 0;
      if (opts.greedy) a = argmax(lg, k, A);
      else ({ action: a, logp: lp } = sampleCategorical(lg, k, A, rng.next()));
      actions[e] = a;
      if (r) {
        const at = r.at(g, r.t, s);
        r.actions[at] = a;
        r.logp[at] = lp;
        r.values[at] = values![k];
        r.keep[at] = this.lastKeep[k];
      }
    };
    if (this.influencers) {
      // Model I: influencers act first; the influencees' heads then see the actions they took.
      for (let g = 0; g < this.influencers; g++) for (let s = 0; s < S; s++) pick(g, s, logits!);
      this.influencerInputs(actions, cond!);
      const again = tf.tidy(() => this.net.heads(this.lastFeatures!, tf.tensor3d(cond!, [G, S, W])));
      [logits, values] = await readAndDispose([again.logits, again.value, again.msgLogits, again.msgValue]);
      for (let g = this.influencers; g < G; g++) for (let s = 0; s < S; s++) pick(g, s, logits!);
    } else {
      for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) pick(g, s, logits!);
    }
    this.lastLogits = logits!;
    if (r && cond) this.copyCond(r, cond);
    if (Vm) {
      const next = new Uint8Array(this.B * this.N);
      for (let g = 0; g < G; g++) {
        for (let s = 0; s < S; s++) {
          const k = g * S + s;
          let m: number, mlp = 0;
          if (opts.greedy) m = argmax(msgLogits!, k, Vm);
          else ({ action: m, logp: mlp } = sampleCategorical(msgLogits!, k, Vm, rng.next()));
          next[this.stream(g, s)] = m;
          if (r) {
            const at = r.at(g, r.t, s);
            r.msg![at] = m;
            r.msgLogp![at] = mlp;
            r.msgValues![at] = msgValues![k];
          }
        }
      }
      this.prevMsgLogits = this.msgLogits;
      this.msgLogits = msgLogits;
      this.prevSymbols.set(this.symbols);
      this.symbols.set(next);
    }
    this.lastResets.set(resets);
  }

  /** Copies this step's head inputs into the rollout, group by group. */
  private copyCond(r: Rollout, cond: Float32Array): void {
    const w = this.condWidth, S = this.S;
    for (let g = 0; g < this.G; g++) r.cond!.set(cond.subarray(g * S * w, (g + 1) * S * w), r.at(g, r.t, 0) * w);
  }

  /** Whether the influence measured at a step belongs to the previous step: model II (a symbol acts one step
   * later) and PMI with a MOA (it waits for the others' next actions). */
  get influenceLags(): boolean {
    return this.vocab > 0 || (this.moa !== undefined && this.cfg.divergence === 'pmi');
  }

  /**
   * Measures the influence of this step (call after act(), before the environment steps): writes ck [B * N]
   * (each agent's c_k, env order) and ckj [B, N, N]. For models whose influence lags (influenceLags) the
   * values belong to the previous step.
   */
  async influence(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    switch (this.spec.influence) {
      case 'centralised': return measureCentralised(this, actions, visible, kernel, ck, ckj);
      case 'messages': return measureMessages(this, actions, visible, kernel, ck, ckj);
      case 'moa': return this.moa!.measure(this, actions, visible, kernel, ck, ckj);
      default: throw new Error(`influence: model '${this.cfg.model}' measures no influence`);
    }
  }

  /**
   * Call after the environments step, with their done flags [B]: a MOA's KL or JS influence of this step is
   * about the others' next actions, which belong to the next episode where this step ended one; it is void
   * there (ck and ckj zeroed; the SSD repo pads an episode's last step with 0). PMI with a MOA is settled at
   * the next step and zeroed there; models I and II need nothing here (model I's influence is of this step,
   * model II's zeroes the symbols heard across an episode's start).
   */
  influenceAfterStep(dones: Uint8Array, ck: Float32Array, ckj: Float32Array): void {
    if (!this.moa || this.cfg.divergence === 'pmi') return;
    const { B, N } = this;
    for (let b = 0; b < B; b++) {
      if (!dones[b]) continue;
      ck.fill(0, b * N, (b + 1) * N);
      ckj.fill(0, b * N * N, (b + 1) * N * N);
    }
  }

  /** Values of env-order views obs under the current state, without advancing it. */
  async bootstrap(obs: Uint8Array, resets: Uint8Array): Promise<Bootstrap> {
    const { G, S, numActions: A, condWidth: W } = this;
    const input = this.net.input(this.gather(obs), S);
    const keep = this.keepTensor(resets, new Float32Array(G * S));
    let cond: Float32Array | undefined;
    const features = tf.tidy(() => {
      const t = this.net.torso(input, this.ids);
      return this.net.recur(t.y, keep, this.h, this.c).features;
    });
    tf.dispose([input.tensor, keep]);
    if (this.influencers) {
      // Influencees' values depend on the influencers' next actions, not chosen yet: use their most probable.
      const first = tf.tidy(() => this.net.heads(features, tf.zeros([G, S, W]) as tf.Tensor3D).logits);
      const [lg] = await readAndDispose([first]);
      const next = new Uint8Array(this.B * this.N);
      for (let g = 0; g < this.influencers; g++) for (let s = 0; s < S; s++) next[this.stream(g, s)] = argmax(lg!, g * S + s, A);
      cond = this.influencerInputs(next, new Float32Array(G * S * W));
    } else if (this.vocab) {
      cond = this.condFor([], resets, new Float32Array(G * S * W));
    }
    const heads = tf.tidy(() => this.net.heads(features, cond ? tf.tensor3d(cond, [G, S, W]) : undefined));
    features.dispose();
    const [values, msgValues] = await readAndDispose([heads.value, heads.msgValue]);
    tf.dispose([heads.logits, heads.msgLogits]);
    return { values: values!, msgValues };
  }

  /** Marks the start of a rollout: the states the update will unroll from. A2C with the wasm kernels keeps
   * acting's forward passes, so that its update only runs the backward pass (PPO's later epochs see other
   * weights and compute theirs again). */
  beginRollout(r: Rollout): void {
    r.disposeStates();
    r.h0 = tf.clone(this.h);
    r.c0 = tf.clone(this.c);
    const keep = this.cfg.algo === 'a2c' && Population.canRecord();
    r.record = keep ? r.record ?? new ForwardRecord() : undefined;
    // The 'lstm' MOA runs counterfactual streams while acting, not the ones the update replays.
    r.moaRecord = keep && this.moa?.net.form === 'head' ? r.moaRecord ?? new ForwardRecord() : undefined;
    this.moa?.beginRollout(r);
    r.t = 0;
  }

  /** Stores this step's rewards (env order [B * N]) and done flags [B] in the rollout, and the message
   * stream's rewards; `extrinsic` (default: `rewards`) starts the message stream's rewards (model II). */
  record(r: Rollout, rewards: Float32Array, dones: Uint8Array, extrinsic?: Float32Array): void {
    for (let g = 0; g < this.G; g++) {
      for (let s = 0; s < this.S; s++) {
        const at = r.at(g, r.t, s), e = this.stream(g, s);
        r.rewards[at] = rewards[e];
        r.dones[at] = dones[this.envOf(g, s)];
        if (r.msgRewards) r.msgRewards[at] = extrinsic ? extrinsic[e] : rewards[e];
      }
    }
    r.t++;
  }

  /** Adds bonus (env order [B * N]) to the rewards of the rollout's previous step, of the message stream or of
   * the actions; a bonus for the step before the rollout began is dropped. */
  addToPreviousStep(r: Rollout, bonus: Float32Array, stream: 'messages' | 'actions'): void {
    if (r.t < 1) return;
    const target = stream === 'messages' ? r.msgRewards! : r.rewards;
    for (let g = 0; g < this.G; g++) for (let s = 0; s < this.S; s++) target[r.at(g, r.t - 1, s)] += bonus[this.stream(g, s)];
  }

  /**
   * Replays a recorded rollout through the networks (with gradients, inside the update's loss): streams
   * `streams` of every group (all when omitted), time-major. Returns [G, T * S', ...].
   */
  unroll(r: Rollout, streams?: Int32Array): Unrolled {
    const { G, S, condWidth: W } = this, T = r.T, O = this.obsSize;
    const Sp = streams ? streams.length : S;
    let bytes: Uint8Array, keep: Float32Array, cond: Float32Array | undefined;
    if (!streams) {
      bytes = r.obs;
      keep = r.keep;
      cond = r.cond;
    } else {
      bytes = new Uint8Array(G * T * Sp * O);
      keep = new Float32Array(G * T * Sp);
      cond = r.cond ? new Float32Array(G * T * Sp * W) : undefined;
      for (let g = 0; g < G; g++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < Sp; j++) {
            const from = r.at(g, t, streams[j]), to = (g * T + t) * Sp + j;
            bytes.set(r.obs.subarray(from * O, (from + 1) * O), to * O);
            keep[to] = r.keep[from];
            if (cond) cond.set(r.cond!.subarray(from * W, (from + 1) * W), to * W);
          }
        }
      }
    }
    const input = this.net.input(bytes, T * Sp);
    const idx = streams ? tf.tensor1d(streams, 'int32') : undefined;
    const h0 = idx ? tf.gather(r.h0!, idx, 1) as tf.Tensor3D : r.h0!;
    const c0 = idx ? tf.gather(r.c0!, idx, 1) as tf.Tensor3D : r.c0!;
    const ids = this.ids ? (tf.tile(idx ? tf.gather(this.ids, idx, 1) : this.ids, [1, T, 1]) as tf.Tensor3D) : undefined;
    // the forward passes acting kept, when the whole rollout was recorded
    const known = !streams && r.record?.steps === T ? r.record.joined() : undefined;
    const t = this.net.torso(input, ids, undefined, known);
    const rec = this.net.recur(t.y, tf.tensor3d(keep, [G, T, Sp]), h0, c0, undefined, known?.lstm);
    const heads = this.net.heads(rec.features, cond ? tf.tensor3d(cond, [G, T * Sp, W]) : undefined);
    input.tensor.dispose();
    return { ...heads, conv: t.conv };
  }

  /** Zeroes every stream's recurrent state and forgets the channel (a fresh start of all episodes). */
  resetState(): void {
    tf.dispose([this.h, this.c]);
    this.h = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.moa?.resetState();
    this.symbols.fill(0);
    this.prevSymbols.fill(0);
    this.lastResets.fill(1);
    this.symbolVisible.fill(0);
    this.msgLogits = this.prevMsgLogits = undefined;
  }

  /** Everything acting needs to continue exactly: recurrent states, the channel, the MOA's pending influence. */
  async getState(): Promise<NamedTensor[]> {
    const [h, c] = await readAndDispose([tf.clone(this.h), tf.clone(this.c)]);
    const out: NamedTensor[] = [
      { name: 'policy/h', data: h!, shape: this.h.shape }, { name: 'policy/c', data: c!, shape: this.c.shape },
    ];
    if (this.moa) out.push(...await this.moa.getState());
    if (this.vocab) {
      out.push({ name: 'comm/symbols', data: Float32Array.from(this.symbols), shape: [this.symbols.length] });
      out.push({ name: 'comm/prevSymbols', data: Float32Array.from(this.prevSymbols), shape: [this.prevSymbols.length] });
      out.push({ name: 'comm/resets', data: Float32Array.from(this.lastResets), shape: [this.lastResets.length] });
      out.push({ name: 'comm/symbolVisible', data: Float32Array.from(this.symbolVisible), shape: [this.symbolVisible.length] });
      for (const [key, arr] of [['msg', this.msgLogits], ['prevMsg', this.prevMsgLogits]] as const) {
        if (arr) out.push({ name: `comm/${key}`, data: Float32Array.from(arr), shape: [arr.length] });
      }
    }
    return out;
  }

  setState(byName: Map<string, NamedTensor>): void {
    const need = (name: string) => {
      const x = byName.get(name);
      if (!x) throw new Error(`checkpoint: tensor '${name}' is missing`);
      return x;
    };
    const h = need('policy/h'), c = need('policy/c');
    const shape = [this.G, this.S, this.net.lstmUnits];
    if (h.data.length !== this.G * this.S * this.net.lstmUnits) {
      throw new Error(`checkpoint: tensor 'policy/h' has ${h.data.length} values, this run needs [${shape}]`);
    }
    tf.dispose([this.h, this.c]);
    this.h = tf.tensor3d(h.data, shape as [number, number, number]);
    this.c = tf.tensor3d(c.data, shape as [number, number, number]);
    this.moa?.setState(byName);
    if (this.vocab) {
      const get = (n: string) => byName.get(n)?.data;
      this.symbols.set(get('comm/symbols') ?? []);
      this.prevSymbols.set(get('comm/prevSymbols') ?? []);
      this.lastResets.set(get('comm/resets') ?? []);
      this.symbolVisible.set(get('comm/symbolVisible') ?? []);
      const m = get('comm/msg'), pm = get('comm/prevMsg');
      this.msgLogits = m ? Float32Array.from(m) : undefined;
      this.prevMsgLogits = pm ? Float32Array.from(pm) : undefined;
    }
  }

  dispose(): void {
    this.net.dispose();
    this.moa?.dispose();
    tf.dispose([this.h, this.c, this.lastFeatures, this.lastConv, this.ids]);
  }
}

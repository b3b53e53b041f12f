// The agents of one environment batch acting: the population's networks and their recurrent state, with
// the model's part (../models/, its hooks through a PolicyView). One act() runs every agent's network as one
// batched op sequence, in the model's phases (model I: the influencers first); influence() measures what the
// model measures; unroll() replays a recorded rollout for the update.
//
// Streams: with independent learners network g serves the B streams of agent g (stream s = env s); with
// shared parameters one network serves all B * N streams in the environment's order (stream s = agent
// s % N of env floor(s / N)) and sees the agent's one-hot id as an extra input.

import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../config.ts';
import { modelOf } from '../models/registry.ts';
import type { ModelDef, ModelParts, PolicyView, Unrolled, ExtraLoss, NetworkSpec } from '../models/model.ts';
import type { Stream, UpdateStats } from '../algos/algorithm.ts';
import { Population, ForwardRecord, joinSteps, type LstmStep } from './population.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { sampleCategorical, argmax } from '../losses.ts';
import type { Rng } from '../../util/rng.ts';
import type { Rollout } from '../rollout.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { NamedTensor } from '../state.ts';

export type { NamedTensor } from '../state.ts';
export type { Unrolled } from '../models/model.ts';

/** Values of the rollout's last observations under the current state, per stream [G * S] (group-major). */
export interface Bootstrap { values: Float32Array; msgValues?: Float32Array }

/** How a forward pass chooses: sampling with `rng` (acting) or the most probable (greedy acting, bootstraps). */
type Choose = { rng?: Rng };

/** Row k of logits [., n]: a sample with `rng` and its log probability, or the most probable (log probability 0). */
const pick = (logits: Float32Array, k: number, n: number, rng?: Rng) => (rng ? sampleCategorical(logits, k, n, rng.next()) : { action: argmax(logits, k, n), logp: 0 });

export class Policy implements PolicyView {
  readonly def: ModelDef<string, any>;
  readonly model: ModelParts;
  readonly net: Population;
  /** Networks and streams per network. */
  readonly G: number;
  readonly S: number;
  readonly obsSize: number;
  /** Symbols of the message head (0 without one). */
  readonly vocab: number;
  /** Width of the conditioning inputs, and where they enter (none: 0). */
  readonly condWidth: number;
  readonly condAt?: 'lstm' | 'head';

  /** Recurrent state [G, S, H]. */
  h: tf.Tensor3D;
  c: tf.Tensor3D;
  lastLogits: Float32Array;
  msgLogits?: Float32Array;
  lastFeatures?: tf.Tensor3D;
  lastConv?: tf.Tensor3D;
  readonly lastKeep: Float32Array;
  readonly lastResets: Uint8Array;
  readonly symbols: Uint8Array;
  lastAlternatives?: { hAlt: tf.Tensor4D; g0: number; g1: number };
  stepRollout?: Rollout;
  /** The conditioning inputs of the last forward pass [G * S * condWidth]. */
  readonly lastCond?: Float32Array;

  private readonly phases: readonly (readonly [number, number])[];
  private readonly messages?: NonNullable<NetworkSpec['messages']>;
  private readonly ids?: tf.Tensor3D;
  private readonly bytes: Uint8Array;

  constructor(readonly cfg: TrainConfig, readonly numActions: number, readonly B: number, readonly N: number) {
    this.def = modelOf(cfg.model);
    const V = 2 * cfg.viewRadius + 1;
    this.obsSize = V * V * 3;
    this.G = cfg.shareParams ? 1 : N;
    this.S = cfg.shareParams ? B * N : B;
    const spec = this.def.network?.(cfg, { N, A: numActions }) ?? {};
    this.messages = spec.messages;
    this.vocab = spec.messages?.vocab ?? 0;
    this.condWidth = spec.conditioning?.width ?? 0;
    this.condAt = this.condWidth ? spec.conditioning!.at : undefined;
    this.net = new Population({
      G: this.G, numActions, viewSize: V, extraInputs: cfg.shareParams ? N : 0,
      lstmInputs: this.condAt === 'lstm' ? this.condWidth : 0, headInputs: this.condAt === 'head' ? this.condWidth : 0,
      headEmbedding: spec.conditioning?.embedding ?? 0, messages: this.vocab, messageEmbedding: spec.messages?.embedding ?? 0,
      seedOf: (g) => cfg.seed * 1000 + g,
    });
    const z = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.h = z;
    this.c = tf.clone(z);
    this.lastLogits = new Float32Array(this.G * this.S * numActions);
    this.lastKeep = new Float32Array(this.G * this.S);
    this.lastResets = new Uint8Array(B).fill(1);
    this.symbols = new Uint8Array(B * N);
    if (this.condWidth) this.lastCond = new Float32Array(this.G * this.S * this.condWidth);
    this.bytes = new Uint8Array(this.G * this.S * this.obsSize);
    if (cfg.shareParams) {
      this.ids = tf.tidy(() => tf.reshape(tf.oneHot(tf.tensor1d(Array.from({ length: this.S }, (_, s) => s % N), 'int32'), N), [1, this.S, N]) as tf.Tensor3D);
    }
    this.model = this.def.create?.(this, cfg) ?? {};
    this.phases = this.model.phases ?? [[0, this.G]];
  }

  /** The env-order index (b * N + i) of group g's stream s. */
  stream(g: number, s: number): number {
    return this.G === 1 ? s : s * this.N + g;
  }

  /** The env of group g's stream s. */
  envOf(g: number, s: number): number {
    return this.G === 1 ? Math.floor(s / this.N) : s;
  }

  /** Every trainable variable: the networks', then the model's (checkpoints and the optimiser use this order). */
  get variables(): tf.Variable[] {
    return [...this.net.variables, ...(this.model.variables ?? [])];
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

  /**
   * One step of every network from group-major views, phase by phase: the conditioning inputs of a phase's
   * networks come from the actions the earlier phases chose. With the conditioning in the LSTM each phase runs
   * its networks' LSTM step (with the model's counterfactual alternatives when `counterfactuals`); with it at
   * the heads the LSTM runs once and each phase the heads. Writes the chosen actions into `actions` (env
   * order) and, through `each`, every stream's choice. Returns the logits, values and message outputs of all
   * networks and the state after the step (kept tensors; the caller keeps or disposes them).
   */
  private async forward(bytes: Uint8Array, resets: ArrayLike<number>, actions: Uint8Array, keepInto: Float32Array, choose: Choose,
    record?: ForwardRecord, each?: (g: number, s: number, a: number, lp: number) => void, counterfactuals = false) {
    const { G, S, numActions: A, condWidth: W } = this;
    const input = this.net.input(bytes, S);
    const keep = this.keepTensor(resets, keepInto);
    const cond = this.lastCond, inLstm = this.condAt === 'lstm';
    cond?.fill(0);
    const first: { conv: tf.Tensor3D; y: tf.Tensor3D; features?: tf.Tensor3D; h?: tf.Tensor3D; c?: tf.Tensor3D } = tf.tidy(() => {
      const t = this.net.torso(input, this.ids, record);
      return inLstm ? { conv: t.conv, y: t.y } : { conv: t.conv, y: t.y, ...this.net.recur(t.y, keep, this.h, this.c, record) };
    });
    input.tensor.dispose();
    const logits = new Float32Array(G * S * A), values = new Float32Array(G * S);
    let msgLogits: Float32Array | undefined, msgValues: Float32Array | undefined, alternatives: Policy['lastAlternatives'];
    const steps: LstmStep[] = [];
    for (const [g0, g1] of this.phases) {
      if (cond) this.model.conditioning?.(actions, resets, cond, g0, g1);
      let heads;
      if (inLstm) {
        const alts = counterfactuals ? this.model.alternatives?.(actions, resets, g0, g1) : undefined;
        const step = tf.tidy(() => {
          const sl = <T extends tf.Tensor>(x: T) => (g1 - g0 === G ? x : tf.slice(x, [g0, 0, 0], [g1 - g0, ...x.shape.slice(1)]) as T);
          const st = this.net.lstmStep(sl(first.y), tf.tensor3d(cond!.subarray(g0 * S * W, g1 * S * W), [g1 - g0, S, W]), sl(keep), sl(this.h), sl(this.c), g0, g1, alts);
          return { ...st, heads: this.net.heads(st.features, undefined, g0, g1) };
        });
        if (step.hAlt) alternatives = { hAlt: step.hAlt, g0, g1 };
        steps.push(step);
        heads = step.heads;
      } else {
        heads = tf.tidy(() => this.net.heads(first.features!, cond ? tf.tensor3d(cond, [G, S, W]) : undefined));
      }
      const [lg, v, ml, mv] = await readAndDispose([heads.logits, heads.value, heads.msgLogits, heads.msgValue]);
      const at = inLstm ? 0 : g0; // rows of the phase's networks in what was read
      logits.set(lg!.subarray(at * S * A, (at + g1 - g0) * S * A), g0 * S * A);
      values.set(v!.subarray(at * S, (at + g1 - g0) * S), g0 * S);
      if (ml) [msgLogits, msgValues] = [ml, mv];
      for (let g = g0; g < g1; g++) {
        for (let s = 0; s < S; s++) {
          const { action, logp } = pick(logits, g * S + s, A, choose.rng);
          actions[this.stream(g, s)] = action;
          each?.(g, s, action, logp);
        }
      }
    }
    tf.dispose([keep, first.y]);
    if (!inLstm) return { conv: first.conv, features: first.features!, h: first.h!, c: first.c!, logits, values, msgLogits, msgValues, alternatives };
    return { conv: first.conv, ...joinSteps(steps, record), logits, values, msgLogits, msgValues, alternatives };
  }

  /**
   * Chooses every stream's action from env-order views obs [B * N, V, V, 3] and advances the recurrent
   * state. Writes actions [B * N] (env order); with `rollout`, also records the step at rollout.t.
   * resets[b] = 1 marks envs whose episode starts with this observation (the state is zeroed first).
   */
  async act(obs: Uint8Array, resets: Uint8Array, rng: Rng, actions: Uint8Array, opts: { greedy?: boolean; rollout?: Rollout } = {}): Promise<void> {
    const { G, S, vocab: Vm } = this;
    const r = opts.rollout, choose = { rng: opts.greedy ? undefined : rng };
    const bytes = this.gather(obs);
    this.stepRollout = r;
    this.model.beforeAct?.(resets);
    const out = await this.forward(bytes, resets, actions, this.lastKeep, choose, r?.record, r ? (g, s, a, lp) => {
      const at = r.at(g, r.t, s);
      r.actions[at] = a;
      r.logp[at] = lp;
    } : undefined, true);
    tf.dispose([this.h, this.c, this.lastFeatures, this.lastConv, this.lastAlternatives?.hAlt]);
    this.lastAlternatives = out.alternatives;
    this.h = out.h;
    this.c = out.c;
    this.lastFeatures = out.features;
    this.lastConv = out.conv;
    this.lastLogits = out.logits;
    r?.storeStep(bytes, this.obsSize, out.values, this.lastKeep, this.lastCond);
    if (Vm) {
      // the message stream, after every action (a fixed order of draws)
      for (let g = 0; g < G; g++) {
        for (let s = 0; s < S; s++) {
          const k = g * S + s, { action, logp } = pick(out.msgLogits!, k, Vm, choose.rng);
          this.symbols[this.stream(g, s)] = action;
          if (r) [r.msg![r.at(g, r.t, s)], r.msgLogp![r.at(g, r.t, s)], r.msgValues![r.at(g, r.t, s)]] = [action, logp, out.msgValues![k]];
        }
      }
      this.msgLogits = out.msgLogits;
    }
    this.lastResets.set(resets);
  }

  /** Whether the influence measured at a step belongs to the previous step (see ModelParts.lags). */
  get influenceLags(): boolean {
    return this.model.lags ?? false;
  }

  /**
   * Measures the influence of this step (call after act(), before the environment steps): writes ck [B * N]
   * (each agent's c_k, env order) and ckj [B, N, N]. For models whose influence lags (influenceLags) the
   * values belong to the previous step.
   */
  async influence(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    if (!this.model.measure) throw new Error(`influence: model '${this.cfg.model}' measures no influence`);
    return this.model.measure(actions, visible, kernel, ck, ckj);
  }

  /** Call after the environments step: the actions taken [B * N] (after any script), the done flags [B], and
   * the influence measured at this step (the model may void part of it, see ModelParts.afterStep). */
  afterStep(actions: Uint8Array, dones: Uint8Array, ck?: Float32Array, ckj?: Float32Array): void {
    this.model.afterStep?.(actions, dones, ck, ckj);
  }

  /** Values of env-order views obs under the current state, without advancing it. Models that act in phases
   * condition the later ones on the earlier ones' most probable actions (theirs are not chosen yet). */
  async bootstrap(obs: Uint8Array, resets: Uint8Array): Promise<Bootstrap> {
    const out = await this.forward(this.gather(obs), resets, new Uint8Array(this.B * this.N), new Float32Array(this.G * this.S), {});
    tf.dispose([out.conv, out.features, out.h, out.c, out.alternatives?.hAlt]);
    return { values: out.values, msgValues: out.msgValues };
  }

  /** Marks the start of a rollout: the states the update will unroll from. `record`: keep acting's forward
   * passes for an update that reuses them (with the wasm kernels; see Algorithm.reusesForward). */
  beginRollout(r: Rollout, record = false): void {
    r.disposeStates();
    r.h0 = tf.clone(this.h);
    r.c0 = tf.clone(this.c);
    const keep = record && Population.canRecord();
    r.record = keep ? r.record ?? new ForwardRecord() : undefined;
    this.model.beginRollout?.(r, keep);
    r.t = 0;
  }

  /** Stores step r.t's actions taken and who sees whom after them, for the model (MOA training). */
  recordStep(r: Rollout, actions: Uint8Array, visibleAfter: Uint8Array): void {
    this.model.recordStep?.(r, actions, visibleAfter);
  }

  /** The streams of decisions a rollout trains: the actions, and the symbols with a message head. */
  streams(r: Rollout, boot: Bootstrap): Stream[] {
    const cfg = this.cfg;
    const out: Stream[] = [{
      name: 'actions', taken: r.actions, logp: r.logp, values: r.values, rewards: r.rewards, dones: r.dones, bootstrap: boot.values,
      coefs: cfg, weight: 1,
    }];
    if (this.messages && r.msg) {
      out.push({
        name: 'messages', taken: r.msg, logp: r.msgLogp!, values: r.msgValues!, rewards: r.msgRewards!, dones: r.dones, bootstrap: boot.msgValues!,
        coefs: { valueCoef: cfg.valueCoef, entropyCoef: this.messages.entropyCoef ?? cfg.entropyCoef }, weight: this.messages.lossWeight ?? 1,
      });
    }
    return out;
  }

  /** The model's losses beside the algorithm's (see ModelParts.losses). */
  losses(r: Rollout, out: Unrolled, streams?: Int32Array): ExtraLoss[] {
    return this.model.losses?.(r, out, streams) ?? [];
  }

  /** The model's statistics after an update. */
  async afterUpdate(): Promise<Partial<UpdateStats>> {
    return (await this.model.afterUpdate?.()) ?? {};
  }

  /**
   * Replays a recorded rollout through the networks (with gradients, inside the update's loss): streams
   * `streams` of every group (all when omitted), time-major. Returns [G, T * S', ...].
   */
  unroll(r: Rollout, streams?: Int32Array): Unrolled {
    const { G, S, condWidth: W } = this, T = r.T;
    const Sp = streams ? streams.length : S;
    const { obs: bytes, keep, cond } = r.select(streams, this.obsSize);
    const input = this.net.input(bytes, T * Sp);
    const idx = streams ? tf.tensor1d(streams, 'int32') : undefined;
    const h0 = idx ? tf.gather(r.h0!, idx, 1) as tf.Tensor3D : r.h0!;
    const c0 = idx ? tf.gather(r.c0!, idx, 1) as tf.Tensor3D : r.c0!;
    const ids = this.ids ? (tf.tile(idx ? tf.gather(this.ids, idx, 1) : this.ids, [1, T, 1]) as tf.Tensor3D) : undefined;
    // the forward passes acting kept, when the whole rollout was recorded
    const known = !streams && r.record?.steps === T ? r.record.joined() : undefined;
    const t = this.net.torso(input, ids, undefined, known);
    const condT = cond ? tf.tensor3d(cond, [G, T * Sp, W]) : undefined, inLstm = this.condAt === 'lstm';
    const rec = this.net.recur(t.y, tf.tensor3d(keep, [G, T, Sp]), h0, c0, undefined, known?.lstm, inLstm ? condT : undefined);
    const heads = this.net.heads(rec.features, inLstm ? undefined : condT);
    input.tensor.dispose();
    return { ...heads, conv: t.conv };
  }

  /** Zeroes every stream's recurrent state and forgets the model's (a fresh start of all episodes). */
  resetState(): void {
    tf.dispose([this.h, this.c]);
    this.h = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([this.G, this.S, this.net.lstmUnits]) as tf.Tensor3D;
    this.symbols.fill(0);
    this.lastResets.fill(1);
    this.msgLogits = undefined;
    this.model.resetState?.();
  }

  /** Everything acting needs to continue exactly: recurrent states, the last symbols, the model's state. */
  async getState(): Promise<NamedTensor[]> {
    const [h, c] = await readAndDispose([tf.clone(this.h), tf.clone(this.c)]);
    const out: NamedTensor[] = [
      { name: 'policy/h', data: h!, shape: this.h.shape }, { name: 'policy/c', data: c!, shape: this.c.shape },
    ];
    if (this.vocab) {
      out.push({ name: 'comm/symbols', data: Float32Array.from(this.symbols), shape: [this.symbols.length] });
      if (this.msgLogits) out.push({ name: 'comm/msg', data: Float32Array.from(this.msgLogits), shape: [this.msgLogits.length] });
    }
    if (this.model.getState) out.push(...await this.model.getState());
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
    if (this.vocab) {
      this.symbols.set(byName.get('comm/symbols')?.data ?? []);
      const m = byName.get('comm/msg')?.data;
      this.msgLogits = m ? Float32Array.from(m) : undefined;
    }
    this.model.setState?.(byName);
  }

  dispose(): void {
    this.net.dispose();
    this.model.dispose?.();
    tf.dispose([this.h, this.c, this.lastFeatures, this.lastConv, this.ids, this.lastAlternatives?.hAlt]);
  }
}

// The agents of one training run: their networks, optimisers and recurrent state, acting on a batch of
// environments and learning from a rollout. A "stream" is one agent in one environment, numbered
// b * N + i like the environment's outputs. With independent learners (the paper's setting) network i
// serves the B streams of agent i; with shared parameters one network serves all B * N streams and
// receives the agent's one-hot id as an extra input.

import * as tf from '@tensorflow/tfjs-core';
import { AgentNet } from './tfjs/network.ts';
import type { TrainConfig } from './config.ts';
import { a2cLoss, ppoLoss, clipByGlobalNorm, sampleCategorical, argmax, type LossParts } from './losses.ts';
import { nStepReturns, gae } from './returns.ts';
import type { Rng } from '../util/rng.ts';
import { Moa, settleMoaStats, type MoaStats } from './moa.ts';
import { softmaxInto, scatterInfluence, othersOf } from './counterfactual.ts';
import { read, readAndDispose } from './tfjs/read.ts';
import type { InfluenceKernel } from '../core/influence.ts';

export interface Group {
  net: AgentNet;
  optimizer: tf.Optimizer;
  /** Stream indices (b * N + i) this network serves, in its batch order. */
  streams: Int32Array;
  h: tf.Tensor2D;
  c: tf.Tensor2D;
  /** One-hot agent ids [streams, N] when parameters are shared. */
  ids?: tf.Tensor2D;
}

/** One network's share of a rollout, time-major (index t * Bk + k). */
export interface GroupRollout {
  obs: Uint8Array;
  actions: Int32Array;
  logp: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  dones: Uint8Array;
  resets: Float32Array;
  h0?: tf.Tensor2D;
  c0?: tf.Tensor2D;
  /** Head inputs the stream saw: model I influencees, the one-hot influencer actions [T*Bk, K*A]; model II,
   * the one-hot symbols of all agents from the previous step [T*Bk, N*V]. */
  cond?: Float32Array;
  /** Model II: the symbols emitted, their log probabilities, the message value estimates and the rewards
   * of the message stream (environment reward, plus beta * influence for influence-comm), [T*Bk]. */
  msg?: Int32Array;
  msgLogp?: Float32Array;
  msgValues?: Float32Array;
  msgRewards?: Float32Array;
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  gradNorm: number;
  /** MOA models: mean cross-entropy of the next-action predictions and the counts behind the accuracy. */
  moaLoss?: number;
  moaCorrect?: number;
  moaCounted?: number;
}

/** Whether a model trains Models of Other Agents. */
export const usesMoa = (model: string) => model === 'moa' || model === 'influence-moa';
/** Whether influencees see the influencers' actions of the step (model I and its ablation). */
export const conditionsOnInfluencers = (model: string) => model === 'visible-actions' || model === 'influence';
/** Whether agents talk over the cheap-talk channel (model II and its ablation). */
export const communicates = (model: string) => model === 'comm' || model === 'influence-comm';
/** Whether a model measures influence (and so needs the WebAssembly kernel). */
export const measuresInfluence = (model: string) => usesMoa(model) || conditionsOnInfluencers(model) || communicates(model);

/**
 * Adam's running powers beta^t. tfjs's Adam.setWeights recomputes them as pow(beta, t + 1), which differs
 * in the last float32 bits from the product accumulated step by step; saving and restoring them keeps a
 * resumed run identical to an uninterrupted one.
 */
function adamPowers(opt: tf.Optimizer): [string, tf.Variable][] {
  const o = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return o.accBeta1 && o.accBeta2 ? [['adam_beta1_power', o.accBeta1], ['adam_beta2_power', o.accBeta2]] : [];
}

/** Gradients computed but not yet applied, with their loss statistics. */
interface Computed { grads: tf.NamedTensorMap; stats: UpdateStats }
/** Gradients with the loss tensors (policy, value, entropy, MOA) not yet read back. */
interface Pending { grads: tf.NamedTensorMap; losses: (tf.Tensor | undefined)[]; moaStats: MoaStats }

/** Value estimates after the last rollout step, per group: the action stream's and (model II) the message stream's. */
export interface Bootstrap { values: Float32Array; msgValues?: Float32Array }

export class Agents {
  readonly groups: Group[] = [];
  readonly obsSize: number;
  readonly numActions: number;
  private readonly scratch: Uint8Array[];
  readonly rollouts: GroupRollout[] = [];
  /** The policy logits of the last act(), per group [Bk, A]. */
  readonly lastLogits: Float32Array[] = [];
  /** MOA models: the conv features of the last act()'s views, per group, which the MOA reads too. */
  private lastConv: tf.Tensor2D[] = [];
  /** Per group, a buffer for its head inputs of one step [Bk, width] (reused: act() runs every step). */
  private readonly headBufs: (Float32Array | undefined)[] = [];
  readonly moa?: Moa;
  /** Model I: the first `influencers` agents act first; the others see their actions. */
  readonly influencers: number;
  /** Model II: vocabulary size (0 without a channel). */
  readonly vocab: number;
  /** Model II: the symbols every agent emitted at the last step [B*N], and the ones before them. */
  readonly symbols: Uint8Array;
  readonly prevSymbols: Uint8Array;
  /** Model II: message logits of the last and the previous act(), per group [Bk, V]. */
  private msgLogits: Float32Array[] = [];
  private prevMsgLogits: Float32Array[] = [];
  /** Model II: resets of the current step (the symbol input is empty at an episode's first step). */
  private lastResets: Uint8Array;

  private t = 0;

  constructor(readonly cfg: TrainConfig, numActions: number, readonly numEnvs: number, readonly numAgents: number) {
    const V = 2 * cfg.viewRadius + 1;
    this.obsSize = V * V * 3;
    this.numActions = numActions;
    const B = numEnvs, N = numAgents;
    const nets = cfg.shareParams ? 1 : N;
    this.influencers = conditionsOnInfluencers(cfg.model) ? cfg.influencers : 0;
    this.vocab = communicates(cfg.model) ? cfg.vocab || numActions : 0;
    this.symbols = new Uint8Array(B * N);
    this.prevSymbols = new Uint8Array(B * N);
    this.lastResets = new Uint8Array(B).fill(1);

    for (let g = 0; g < nets; g++) {
      const streams = cfg.shareParams
        ? Int32Array.from({ length: B * N }, (_, k) => k)
        : Int32Array.from({ length: B }, (_, b) => b * N + g);
      const headInputs = this.isInfluencee(g) ? this.influencers * numActions : N * this.vocab;
      const net = new AgentNet({
        numActions, viewSize: V, extraInputs: cfg.shareParams ? N : 0, headInputs, messages: this.vocab, seed: cfg.seed * 1000 + g,
      });
      const optimizer = cfg.algo === 'ppo'
        ? tf.train.adam(cfg.lr, 0.9, 0.999, 1e-5)
        : tf.train.rmsprop(cfg.lr, 0.99, 0, 1e-5);
      const state = net.zeroState(streams.length);
      const ids = cfg.shareParams
        ? tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from(streams, (s) => s % N), 'int32'), N), 'float32') as tf.Tensor2D)
        : undefined;
      this.groups.push({ net, optimizer, streams, h: state.h, c: state.c, ids });
    }
    this.scratch = this.groups.map((g) => new Uint8Array(g.streams.length * this.obsSize));
    if (usesMoa(cfg.model)) this.moa = new Moa(B, N, numActions, cfg.rolloutSteps, this.groups[0].net.convOutSize, cfg.seed);
    this.groups.forEach((grp, g) => {
      const r = this.emptyRollout(grp.streams.length);
      const T = cfg.rolloutSteps, Bk = grp.streams.length;
      if (this.isInfluencee(g)) r.cond = new Float32Array(T * Bk * this.influencers * numActions);
      if (this.vocab) {
        r.cond = new Float32Array(T * Bk * N * this.vocab);
        Object.assign(r, { msg: new Int32Array(T * Bk), msgLogp: new Float32Array(T * Bk), msgValues: new Float32Array(T * Bk), msgRewards: new Float32Array(T * Bk) });
      }
      this.rollouts.push(r);
    });
  }

  private emptyRollout(k: number): GroupRollout {
    const T = this.cfg.rolloutSteps;
    return {
      obs: new Uint8Array(T * k * this.obsSize), actions: new Int32Array(T * k), logp: new Float32Array(T * k),
      values: new Float32Array(T * k), rewards: new Float32Array(T * k), dones: new Uint8Array(T * k), resets: new Float32Array(T * k),
    };
  }

  /** Whether group g is an influencee of model I (independent learners only). */
  isInfluencee(g: number): boolean {
    return this.influencers > 0 && g >= this.influencers;
  }

  /** One-hot influencer actions [B, K*A] from actions [B*N], with influencer `k` replaced by `alt` when given. */
  private influencerOneHot(actions: ArrayLike<number>, out: Float32Array, k = -1, alt = 0): Float32Array {
    const B = this.numEnvs, N = this.numAgents, K = this.influencers, A = this.numActions;
    out.fill(0);
    for (let b = 0; b < B; b++) for (let i = 0; i < K; i++) out[(b * K + i) * A + (i === k ? alt : actions[b * N + i])] = 1;
    return out;
  }

  /** One-hot symbols of all agents [B, N*V] from `symbols` [B*N], with agent k's replaced by `alt` when
   * given; all zero for envs whose episode starts now (nothing was said yet). */
  private symbolOneHot(symbols: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array, k = -1, alt = 0): Float32Array {
    const B = this.numEnvs, N = this.numAgents, V = this.vocab;
    out.fill(0);
    for (let b = 0; b < B; b++) {
      if (resets[b]) continue;
      for (let i = 0; i < N; i++) out[(b * N + i) * V + (i === k ? alt : symbols[b * N + i])] = 1;
    }
    return out;
  }

  /** The head inputs of group g for this step: influencer actions (model I) or heard symbols (model II). */
  private headInputsFor(g: number, actions: ArrayLike<number>, resets: ArrayLike<number>, buf: Float32Array): Float32Array | undefined {
    if (this.isInfluencee(g)) return this.influencerOneHot(actions, buf);
    if (this.vocab) return this.symbolOneHot(this.symbols, resets, buf);
    return undefined;
  }

  private headWidth(g: number): number {
    return this.isInfluencee(g) ? this.influencers * this.numActions : this.numAgents * this.vocab;
  }

  /** The observations of group g's streams, [Bk, V, V, 3] bytes. */
  private gather(g: number, obs: Uint8Array): Uint8Array {
    const { streams } = this.groups[g];
    if (this.cfg.shareParams) return obs;
    const out = this.scratch[g], S = this.obsSize;
    for (let k = 0; k < streams.length; k++) out.set(obs.subarray(streams[k] * S, (streams[k] + 1) * S), k * S);
    return out;
  }

  /**
   * Chooses every stream's action from obs [B*N, V, V, 3] and advances the recurrent state. Writes
   * actions [B*N]; when `record` is set, also stores the step in the rollout at position `this.t`.
   * `resets[b]` = 1 marks envs whose episode starts with this observation.
   */
  async act(obs: Uint8Array, resets: Uint8Array, rng: Rng, actions: Uint8Array, opts: { greedy?: boolean; record?: boolean } = {}): Promise<void> {
    const A = this.numActions, N = this.numAgents, Vm = this.vocab;
    const next = Vm ? new Uint8Array(this.numEnvs * N) : undefined;
    this.lastResets.set(resets);
    for (let g = 0; g < this.groups.length; g++) {
      const grp = this.groups[g];
      const x = this.gather(g, obs);
      // Influencees act after the influencers (groups run in agent order) and see their actions; talking
      // agents hear every symbol of the previous step.
      const width = this.headWidth(g);
      if (width && !this.headBufs[g]) this.headBufs[g] = new Float32Array(this.numEnvs * width);
      const cond = width ? this.headInputsFor(g, actions, resets, this.headBufs[g]!) : undefined;
      const condT = cond ? tf.tensor2d(cond, [this.numEnvs, width]) : undefined;
      let input: Uint8Array | { conv: tf.Tensor2D } = x;
      if (this.moa) {
        this.lastConv[g]?.dispose();
        this.lastConv[g] = grp.net.convFeatures(x);
        input = { conv: this.lastConv[g] };
      }
      const out = grp.net.forward(input, grp.h, grp.c, grp.ids, condT);
      condT?.dispose();
      grp.h.dispose();
      grp.c.dispose();
      grp.h = out.h;
      grp.c = out.c;
      const [logits, values, msgLogits, msgValues] = await readAndDispose([out.logits, out.value, out.msgLogits, out.msgValue]);
      this.lastLogits[g] = logits!;
      const r = this.rollouts[g];
      const Bk = grp.streams.length, base = this.t * Bk;
      if (opts.record) r.obs.set(x, base * this.obsSize);
      if (opts.record && cond) r.cond!.set(cond, base * width);
      for (let k = 0; k < Bk; k++) {
        const s = grp.streams[k];
        let a: number, lp = 0;
        if (opts.greedy) a = argmax(logits!, k, A);
        else ({ action: a, logp: lp } = sampleCategorical(logits!, k, A, rng.next()));
        actions[s] = a;
        if (opts.record) {
          r.actions[base + k] = a;
          r.logp[base + k] = lp;
          r.values[base + k] = values![k];
          r.resets[base + k] = resets[Math.floor(s / N)];
        }
        if (msgLogits) {
          let m: number, mlp = 0;
          if (opts.greedy) m = argmax(msgLogits, k, Vm);
          else ({ action: m, logp: mlp } = sampleCategorical(msgLogits, k, Vm, rng.next()));
          next![s] = m;
          if (opts.record) {
            r.msg![base + k] = m;
            r.msgLogp![base + k] = mlp;
            r.msgValues![base + k] = msgValues![k];
          }
        }
      }
      if (msgLogits) {
        this.prevMsgLogits[g] = this.msgLogits[g];
        this.msgLogits[g] = msgLogits;
      }
    }
    if (next) {
      this.prevSymbols.set(this.symbols);
      this.symbols.set(next);
    }
  }

  /**
   * Model II's influence: how much each agent's symbol of the previous step moved every listener's action
   * of this step. For every alternative symbol the listener's policy is re-evaluated from its LSTM output
   * of this step (only the heads run again). Call after act(); writes ck [B*N] (the speaker's influence,
   * owed to its message of the previous step) and ckj [B, N, N]. Envs that just reset heard nothing: 0.
   */
  private async influenceComm(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const B = this.numEnvs, N = this.numAgents, Vm = this.vocab, width = N * Vm;
    ck.fill(0);
    ckj.fill(0);
    if (this.prevMsgLogits.length < N || !this.prevMsgLogits[0]) return; // nothing said before the first step
    const cf = new Float32Array(Vm * B * width);
    const one = new Float32Array(B * width);
    for (let k = 0; k < N; k++) {
      for (let alt = 0; alt < Vm; alt++) cf.set(this.symbolOneHot(this.prevSymbols, this.lastResets, one, k, alt), alt * B * width);
      await this.influenceThroughHeads(k, othersOf(k, N), Vm, cf, width, this.prevMsgLogits[k], this.prevSymbols, this.lastResets,
        actions, visible, kernel, ck, ckj);
    }
  }

  /** Whether the influence computed at a step belongs to the previous step: model II (symbols act one
   * step later) and PMI with a MOA (it waits for the others' next actions). */
  get influenceLags(): boolean {
    return this.vocab > 0 || (this.moa !== undefined && this.cfg.divergence === 'pmi');
  }

  /** Adds bonus [B*N] to the rewards of the previous rollout step, of the message stream (model II) or of
   * the actions; a bonus for the step before the rollout began is dropped. */
  addBonusToPreviousStep(bonus: Float32Array, stream: 'messages' | 'actions'): void {
    if (this.t < 1) return;
    this.groups.forEach((grp, g) => {
      const r = this.rollouts[g], Bk = grp.streams.length, base = (this.t - 1) * Bk;
      const target = stream === 'messages' ? r.msgRewards! : r.rewards;
      for (let k = 0; k < Bk; k++) target[base + k] += bonus[grp.streams[k]];
    });
  }

  /**
   * Influence of every agent's action of this step on the others' next actions, through each agent's MOA
   * (model III): writes ck [B*N] and the pairwise ckj [B, N, N]. Call after act(), before the env steps.
   */
  influence(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    if (this.influencers) return this.influenceBasic(actions, visible, kernel, ck, ckj);
    if (this.vocab) return this.influenceComm(actions, visible, kernel, ck, ckj);
    if (!this.moa) throw new Error(`influence: model '${this.cfg.model}' measures no influence`);
    return this.moa.influence((i) => this.lastConv[i], actions, this.lastLogits, visible, kernel,
      this.cfg.divergence, this.cfg.influenceVisibleOnly, ck, ckj, this.lastResets);
  }

  /** Stores this step's rewards [B*N] and done flags [B] and moves to the next rollout step; `joint`
   * (actions [B*N] and visibility after the step [B*N*N]) feeds the MOA's training targets; `extrinsic`
   * (default: `rewards`) starts the message stream's rewards of model II. */
  record(rewards: Float32Array, dones: Uint8Array, joint?: { actions: Uint8Array; visible: Uint8Array }, extrinsic?: Float32Array): void {
    const N = this.numAgents;
    if (this.moa && joint) this.moa.record(this.t, joint.actions, joint.visible);
    this.groups.forEach((grp, g) => {
      const r = this.rollouts[g], Bk = grp.streams.length, base = this.t * Bk;
      for (let k = 0; k < Bk; k++) {
        const s = grp.streams[k];
        r.rewards[base + k] = rewards[s];
        if (r.msgRewards) r.msgRewards[base + k] = extrinsic ? extrinsic[s] : rewards[s];
        r.dones[base + k] = dones[Math.floor(s / N)];
      }
    });
    this.t++;
  }

  /** Zeroes the recurrent state of the streams of envs whose episode just ended (dones [B]). */
  resetEnded(dones: Uint8Array): void {
    if (!dones.some((d) => d)) return;
    this.moa?.resetEnded(dones);
    const N = this.numAgents;
    for (const grp of this.groups) {
      const mask = tf.tensor2d(Array.from(grp.streams, (s) => (dones[Math.floor(s / N)] ? 0 : 1)), [grp.streams.length, 1]);
      const h = tf.mul(grp.h, mask) as tf.Tensor2D, c = tf.mul(grp.c, mask) as tf.Tensor2D;
      grp.h.dispose();
      grp.c.dispose();
      mask.dispose();
      grp.h = h;
      grp.c = c;
    }
  }

  /** Zeroes every stream's recurrent state (a fresh start of all episodes). */
  resetState(): void {
    this.moa?.resetState();
    this.symbols.fill(0);
    this.prevSymbols.fill(0);
    this.lastResets.fill(1);
    this.msgLogits = [];
    this.prevMsgLogits = [];
    for (const grp of this.groups) {
      tf.dispose([grp.h, grp.c]);
      const z = grp.net.zeroState(grp.streams.length);
      grp.h = z.h;
      grp.c = z.c;
    }
  }

  /** Marks the start of a rollout: remembers the recurrent state the update will start from. */
  beginRollout(): void {
    this.t = 0;
    this.moa?.beginRollout();
    this.groups.forEach((grp, g) => {
      const r = this.rollouts[g];
      r.h0?.dispose();
      r.c0?.dispose();
      r.h0 = tf.clone(grp.h);
      r.c0 = tf.clone(grp.c);
    });
  }

  /** Value estimates of obs [B*N, ...] under the current state, without advancing it, per group. */
  async bootstrapValues(obs: Uint8Array, resets: Uint8Array): Promise<Bootstrap[]> {
    // Influencees' values depend on the influencers' next actions, not chosen yet: use their most probable.
    const A = this.numActions;
    const next = new Uint8Array(this.numEnvs * this.numAgents);
    const all: Bootstrap[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const grp = this.groups[g];
      const width = this.headWidth(g);
      const cond = width ? this.headInputsFor(g, next, resets, new Float32Array(this.numEnvs * width)) : undefined;
      const condT = cond ? tf.tensor2d(cond, [this.numEnvs, width]) : undefined;
      const out = grp.net.forward(this.gather(g, obs), grp.h, grp.c, grp.ids, condT);
      tf.dispose([out.h, out.c, ...(condT ? [condT] : [])]);
      const [logits, v, m] = await readAndDispose([out.logits, out.value, out.msgValue]);
      out.msgLogits?.dispose();
      if (g < this.influencers) {
        for (let b = 0; b < this.numEnvs; b++) next[b * this.numAgents + g] = argmax(logits!, b, A);
      }
      all.push({ values: v!, msgValues: m });
    }
    return all;
  }

  /**
   * Model I's influence (centralised counterfactuals): for each influencer k and each alternative action,
   * every influencee's policy is re-evaluated from its LSTM output of this step with k's action replaced
   * (only the heads run again). Call after act(). Writes ck [B*N] and ckj [B, N, N].
   */
  private async influenceBasic(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const B = this.numEnvs, N = this.numAgents, K = this.influencers, A = this.numActions;
    ck.fill(0);
    ckj.fill(0);
    const influencees = Array.from({ length: N - K }, (_, q) => K + q);
    const cf = new Float32Array(A * B * K * A);
    const one = new Float32Array(B * K * A);
    for (let k = 0; k < K; k++) {
      for (let alt = 0; alt < A; alt++) cf.set(this.influencerOneHot(actions, one, k, alt), alt * B * K * A);
      await this.influenceThroughHeads(k, influencees, A, cf, K * A, this.lastLogits[k], actions, undefined, actions, visible, kernel, ck, ckj);
    }
  }

  /**
   * Models I and II: the influence of agent k's value (an action or a symbol, K alternatives) on each
   * listener's action of this step, re-evaluating only the listeners' policy heads. cf [K*B, width] holds
   * the counterfactual head inputs (row alt*B + b); priorLogits [B, K] is k's policy over the values;
   * chosen[b*N + k] the value k took; envs with silent[b] set count no influence.
   */
  private async influenceThroughHeads(k: number, listeners: readonly number[], K: number, cf: Float32Array, width: number,
    priorLogits: Float32Array, chosen: Uint8Array, silent: Uint8Array | undefined, actions: Uint8Array, visible: Uint8Array,
    kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const B = this.numEnvs, N = this.numAgents, A = this.numActions, J = listeners.length;
    // Every listener's counterfactual policies are computed first, then read back together.
    const cfT = tf.tensor2d(cf, [K * B, width]);
    const probsT = listeners.map((j) => tf.tidy(() => tf.softmax(this.groups[j].net.counterfactualLogits(this.groups[j].h, cfT))));
    cfT.dispose();
    const all = await readAndDispose(probsT);
    const v = kernel.prepare(B, K, J, A);
    listeners.forEach((_, q) => {
      const probs = all[q]!;
      for (let alt = 0; alt < K; alt++) {
        for (let b = 0; b < B; b++) v.cond.set(probs.subarray((alt * B + b) * A, (alt * B + b + 1) * A), ((b * K + alt) * J + q) * A);
      }
    });
    for (let b = 0; b < B; b++) {
      softmaxInto(priorLogits, b, K, v.prior, b * K);
      v.taken[b] = chosen[b * N + k];
      listeners.forEach((j, q) => {
        v.jTaken[b * J + q] = actions[b * N + j]; // the listener's action of this step (for PMI)
        v.mask[b * J + q] = silent?.[b] ? 0 : this.cfg.influenceVisibleOnly ? visible[(b * N + k) * N + j] : 1;
      });
    }
    scatterInfluence(kernel.run(this.cfg.divergence), k, listeners, B, N, ck, ckj);
  }

  /**
   * Data-parallel training: called with the gradients this learner computes (from group `group` on: A2C sends
   * every group's at once, PPO one group's per minibatch; each flattened in variable order) and resolving with
   * their average over every worker, which is then applied.
   * Unset, gradients are applied as computed.
   */
  reducer?: (group: number, grads: Float32Array) => Promise<Float32Array>;

  /** One learning update from the rollout just recorded; returns the mean statistics over groups. */
  async update(bootstrap: Bootstrap[], rng: Rng): Promise<UpdateStats> {
    const sum: UpdateStats = { policyLoss: 0, valueLoss: 0, entropy: 0, gradNorm: 0, moaLoss: 0, moaCorrect: 0, moaCounted: 0 };
    let count = 0;
    const all: UpdateStats[] = [];
    if (this.cfg.algo === 'ppo') {
      for (let g = 0; g < this.groups.length; g++) all.push(...await this.updatePpo(g, bootstrap[g], rng));
    } else {
      // A2C: every group's gradients first, then one exchange with the other workers for all of them.
      const computed: Computed[] = [];
      for (let g = 0; g < this.groups.length; g++) computed.push(await this.gradientsA2c(g, bootstrap[g]));
      const means = this.reducer ? await this.reduce(computed) : undefined;
      for (let g = 0; g < this.groups.length; g++) all.push(await this.apply(g, computed[g], means?.[g]));
    }
    for (const p of all) {
      sum.policyLoss += p.policyLoss;
      sum.valueLoss += p.valueLoss;
      sum.entropy += p.entropy;
      sum.gradNorm += p.gradNorm;
      sum.moaLoss! += p.moaLoss ?? 0;
      sum.moaCorrect! += p.moaCorrect ?? 0;
      sum.moaCounted! += p.moaCounted ?? 0;
      count++;
    }
    const out: UpdateStats = { policyLoss: sum.policyLoss / count, valueLoss: sum.valueLoss / count, entropy: sum.entropy / count, gradNorm: sum.gradNorm / count };
    if (this.moa) Object.assign(out, { moaLoss: sum.moaLoss! / count, moaCorrect: sum.moaCorrect, moaCounted: sum.moaCounted });
    return out;
  }

  /** Gradients of `lossFn` for group g's network (and its MOA), kept beyond the caller's tf.tidy, with the
   * loss tensors behind the statistics (read back by settle()). */
  private gradients(g: number, lossFn: () => LossParts, moaLoss?: (stats: MoaStats) => tf.Scalar): Pending {
    const grp = this.groups[g];
    let kept: LossParts | undefined;
    let moaKept: tf.Scalar | undefined;
    const moaStats: MoaStats = { loss: 0, correct: 0, counted: 0, pending: [] };
    const vars = this.moa ? [...grp.net.variables, ...this.moa.nets[g].variables] : grp.net.variables;
    const { value, grads } = tf.variableGrads(() => {
      const parts = lossFn();
      kept = { total: parts.total, policy: tf.keep(parts.policy), value: tf.keep(parts.value), entropy: tf.keep(parts.entropy) };
      if (!moaLoss) return parts.total;
      moaKept = tf.keep(moaLoss(moaStats));
      return tf.add(parts.total, tf.mul(this.cfg.moaLossWeight, moaKept)) as tf.Scalar;
    }, vars);
    for (const t of Object.values(grads)) tf.keep(t);
    value.dispose();
    return { grads, losses: [kept!.policy, kept!.value, kept!.entropy, moaKept], moaStats };
  }

  /** Reads back the loss statistics of gradients() (gradNorm is filled in by apply()). */
  private async settle({ grads, losses, moaStats }: Pending): Promise<Computed> {
    const [policy, valueLoss, entropy, moa] = await readAndDispose(losses);
    const stats: UpdateStats = { policyLoss: policy![0], valueLoss: valueLoss![0], entropy: entropy![0], gradNorm: 0 };
    if (moa) {
      await settleMoaStats(moaStats);
      Object.assign(stats, { moaLoss: moa![0], moaCorrect: moaStats.correct, moaCounted: moaStats.counted });
    }
    return { grads, stats };
  }

  /**
   * Data-parallel training: sends the gradients of `computed` (groups first, first + 1, ...; each flattened in
   * variable order, all in one buffer) to the reducer and returns the averages, split back per group. The
   * local gradient tensors are released.
   */
  private async reduce(computed: Computed[], first = 0): Promise<Float32Array[]> {
    const sizes = computed.map((c) => Object.values(c.grads).reduce((n, t) => n + t.size, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const c of computed) {
      for (const values of await readAndDispose(Object.values(c.grads))) {
        flat.set(values!, off);
        off += values!.length;
      }
    }
    const mean = await this.reducer!(first, flat);
    if (mean.length !== total) throw new Error(`reducer: expected ${total} gradient values, got ${mean.length}`);
    off = 0;
    return sizes.map((n) => mean.subarray(off, (off += n)));
  }

  /** Clips the global norm of group g's gradients (or of `mean`, their average over workers) and applies them. */
  private async apply(g: number, { grads, stats }: Computed, mean?: Float32Array): Promise<UpdateStats> {
    let used: tf.NamedTensorMap = grads;
    if (mean) {
      used = {};
      let off = 0;
      for (const k of Object.keys(grads)) {
        const shape = this.varShape(g, k);
        const size = shape.reduce((a, b) => a * b, 1);
        used[k] = tf.tensor(mean.subarray(off, off + size), shape);
        off += size;
      }
    }
    const clipped = await clipByGlobalNorm(used, this.cfg.maxGradNorm);
    this.groups[g].optimizer.applyGradients(clipped.grads as tf.NamedTensorMap);
    tf.dispose(Object.values(clipped.grads));
    return { ...stats, gradNorm: clipped.norm };
  }

  private varShape(g: number, name: string): number[] {
    const vars = this.moa ? [...this.groups[g].net.variables, ...this.moa.nets[g].variables] : this.groups[g].net.variables;
    const v = vars.find((x) => x.name === name);
    if (!v) throw new Error(`reducer: group ${g} has no variable '${name}'`);
    return v.shape;
  }

  /** Group g's A2C gradients on the rollout just recorded (not yet applied). */
  private gradientsA2c(g: number, bootstrap: Bootstrap): Promise<Computed> {
    const grp = this.groups[g], r = this.rollouts[g];
    const T = this.cfg.rolloutSteps, Bk = grp.streams.length;
    const returns = nStepReturns(r.rewards, r.dones, bootstrap.values, T, Bk, this.cfg.gamma);
    const adv = returns.map((R, k) => R - r.values[k]);
    // Model II: the message head learns from its own stream of rewards, with its own value head.
    const msgReturns = r.msg ? nStepReturns(r.msgRewards!, r.dones, bootstrap.msgValues!, T, Bk, this.cfg.gamma) : undefined;
    const msgAdv = msgReturns?.map((R, k) => R - r.msgValues![k]);
    let computed!: Pending;
    tf.tidy(() => {
      const resetMask = tf.tensor2d(r.resets, [T, Bk]);
      const ids = grp.ids ? tf.tile(grp.ids, [T, 1]) : undefined;
      const cond = r.cond ? tf.tensor2d(r.cond, [T * Bk, this.headWidth(g)]) : undefined;
      const actions = tf.tensor1d(r.actions, 'int32');
      const advT = tf.tensor1d(adv), retT = tf.tensor1d(returns);
      const msgs = r.msg ? tf.tensor1d(r.msg, 'int32') : undefined;
      const msgAdvT = msgAdv ? tf.tensor1d(msgAdv) : undefined, msgRetT = msgReturns ? tf.tensor1d(msgReturns) : undefined;
      const allEnvs = Array.from({ length: Bk }, (_, k) => k);
      let conv: tf.Tensor2D | undefined; // shared by the policy and the MOA
      computed = this.gradients(g, () => {
        conv = this.moa ? grp.net.convFeatures(r.obs) : undefined;
        const out = grp.net.forwardSequence(conv ? { conv } : r.obs, resetMask as tf.Tensor2D, r.h0!, r.c0!, ids, cond);
        const parts = a2cLoss(out.logits, out.values, actions, advT, retT, this.cfg);
        if (!msgs) return parts;
        const m = a2cLoss(out.msgLogits!, out.msgValues!, msgs, msgAdvT!, msgRetT!, this.cfg);
        return { ...parts, total: tf.add(parts.total, m.total) as tf.Scalar };
      }, this.moa ? (ms) => this.moa!.loss(g, conv!, resetMask as tf.Tensor2D, r.dones, allEnvs, ms) : undefined);
    });
    return this.settle(computed);
  }

  private async updatePpo(g: number, bootstrap: Bootstrap, rng: Rng): Promise<UpdateStats[]> {
    const grp = this.groups[g], r = this.rollouts[g], cfg = this.cfg;
    const T = cfg.rolloutSteps, Bk = grp.streams.length, S = this.obsSize;
    const { advantages, returns } = gae(r.rewards, r.values, r.dones, bootstrap.values, T, Bk, cfg.gamma, cfg.gaeLambda);
    const msgGae = r.msg ? gae(r.msgRewards!, r.msgValues!, r.dones, bootstrap.msgValues!, T, Bk, cfg.gamma, cfg.gaeLambda) : undefined;
    const mb = Bk / cfg.minibatches;
    const stats: UpdateStats[] = [];
    const order = Int32Array.from({ length: Bk }, (_, k) => k);
    const obs = new Uint8Array(T * mb * S);
    const pick = (src: Float32Array | Int32Array, idx: Int32Array, out: Float32Array | Int32Array) => {
      for (let t = 0; t < T; t++) for (let j = 0; j < mb; j++) out[t * mb + j] = src[t * Bk + idx[j]];
      return out;
    };
    for (let e = 0; e < cfg.epochs; e++) {
      for (let k = Bk - 1; k > 0; k--) {
        const j = rng.below(k + 1);
        [order[k], order[j]] = [order[j], order[k]];
      }
      for (let m = 0; m < cfg.minibatches; m++) {
        const idx = order.subarray(m * mb, (m + 1) * mb);
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < mb; j++) obs.set(r.obs.subarray((t * Bk + idx[j]) * S, (t * Bk + idx[j] + 1) * S), (t * mb + j) * S);
        }
        const adv = normalise(pick(advantages, idx, new Float32Array(T * mb)) as Float32Array);
        const msgAdv = msgGae ? normalise(pick(msgGae.advantages, idx, new Float32Array(T * mb)) as Float32Array) : undefined;
        let pending!: Pending;
        tf.tidy(() => {
          const idxT = tf.tensor1d(idx, 'int32');
          const h0 = tf.gather(r.h0!, idxT) as tf.Tensor2D, c0 = tf.gather(r.c0!, idxT) as tf.Tensor2D;
          const resetMask = tf.tensor2d(pick(r.resets, idx, new Float32Array(T * mb)), [T, mb]);
          const ids = grp.ids ? tf.tile(tf.gather(grp.ids, idxT), [T, 1]) : undefined;
          let cond: tf.Tensor2D | undefined;
          if (r.cond) {
            const KA = this.headWidth(g), c = new Float32Array(T * mb * KA);
            for (let t = 0; t < T; t++) for (let j = 0; j < mb; j++) c.set(r.cond.subarray((t * Bk + idx[j]) * KA, (t * Bk + idx[j] + 1) * KA), (t * mb + j) * KA);
            cond = tf.tensor2d(c, [T * mb, KA]);
          }
          const actions = tf.tensor1d(pick(r.actions, idx, new Int32Array(T * mb)) as Int32Array, 'int32');
          const oldLogp = tf.tensor1d(pick(r.logp, idx, new Float32Array(T * mb)) as Float32Array);
          const advT = tf.tensor1d(adv), retT = tf.tensor1d(pick(returns, idx, new Float32Array(T * mb)) as Float32Array);
          const dones = this.moa ? (pick(Float32Array.from(r.dones), idx, new Float32Array(T * mb)) as Float32Array) : undefined;
          const msg = r.msg ? {
            symbols: tf.tensor1d(pick(r.msg, idx, new Int32Array(T * mb)) as Int32Array, 'int32'),
            oldLogp: tf.tensor1d(pick(r.msgLogp!, idx, new Float32Array(T * mb)) as Float32Array),
            adv: tf.tensor1d(msgAdv!), ret: tf.tensor1d(pick(msgGae!.returns, idx, new Float32Array(T * mb)) as Float32Array),
          } : undefined;
          let conv: tf.Tensor2D | undefined; // shared by the policy and the MOA
          pending = this.gradients(g, () => {
            conv = this.moa ? grp.net.convFeatures(obs) : undefined;
            const out = grp.net.forwardSequence(conv ? { conv } : obs, resetMask as tf.Tensor2D, h0, c0, ids, cond);
            const parts = ppoLoss(out.logits, out.values, actions, oldLogp, advT, retT, cfg.clip, cfg);
            if (!msg) return parts;
            const m = ppoLoss(out.msgLogits!, out.msgValues!, msg.symbols, msg.oldLogp, msg.adv, msg.ret, cfg.clip, cfg);
            return { ...parts, total: tf.add(parts.total, m.total) as tf.Scalar };
          }, this.moa ? (ms) => this.moa!.loss(g, conv!, resetMask as tf.Tensor2D, Uint8Array.from(dones!), idx, ms) : undefined);
        });
        const computed = await this.settle(pending);
        const mean = this.reducer ? (await this.reduce([computed], g))[0] : undefined;
        stats.push(await this.apply(g, computed, mean));
      }
    }
    return stats;
  }

  /** Everything that must be saved to continue exactly: weights, optimiser slots, recurrent state. */
  async getState(): Promise<{ name: string; data: Float32Array; shape: number[] }[]> {
    const out: { name: string; data: Float32Array; shape: number[] }[] = [];
    const add = async (name: string, t: tf.Tensor, shape = t.shape) => out.push({ name, data: await read(t), shape });
    for (const [g, grp] of this.groups.entries()) {
      for (const [k, v] of grp.net.variables.entries()) await add(`net${g}/w${k}`, v);
      const slots = await grp.optimizer.getWeights();
      for (const [k, s] of slots.entries()) await add(`net${g}/opt${k}`, s.tensor);
      for (const [key, v] of adamPowers(grp.optimizer)) await add(`net${g}/${key}`, v, []);
      await add(`net${g}/h`, grp.h);
      await add(`net${g}/c`, grp.c);
    }
    if (this.moa) out.push(...await this.moa.state());
    if (this.vocab) {
      out.push({ name: 'comm/symbols', data: Float32Array.from(this.symbols), shape: [this.symbols.length] });
      out.push({ name: 'comm/prevSymbols', data: Float32Array.from(this.prevSymbols), shape: [this.prevSymbols.length] });
      out.push({ name: 'comm/resets', data: Float32Array.from(this.lastResets), shape: [this.lastResets.length] });
      this.groups.forEach((_, g) => {
        for (const [key, arr] of [['msg', this.msgLogits[g]], ['prevMsg', this.prevMsgLogits[g]]] as const) {
          if (arr) out.push({ name: `comm/${key}${g}`, data: Float32Array.from(arr), shape: [arr.length] });
        }
      });
    }
    return out;
  }

  /** Restores getState()'s output; `weightsOnly` skips optimiser slots and recurrent state (evaluation). */
  async setState(items: { name: string; data: Float32Array; shape: number[] }[], weightsOnly = false): Promise<void> {
    const byName = new Map(items.map((x) => [x.name, x]));
    const need = (name: string) => {
      const x = byName.get(name);
      if (!x) throw new Error(`checkpoint: tensor '${name}' is missing`);
      return x;
    };
    for (const [g, grp] of this.groups.entries()) {
      grp.net.setWeights(grp.net.variables.map((v, k) => {
        const x = need(`net${g}/w${k}`);
        if (x.data.length !== v.size) throw new Error(`checkpoint: tensor 'net${g}/w${k}' has ${x.data.length} values, the network needs ${v.size} [${v.shape}]`);
        return x.data;
      }));
      if (weightsOnly) continue;
      const slots: { name: string; tensor: tf.Tensor }[] = [];
      for (let k = 0; byName.has(`net${g}/opt${k}`); k++) {
        const x = need(`net${g}/opt${k}`);
        slots.push({ name: `slot${k}`, tensor: tf.tensor(x.data, x.shape) });
      }
      if (slots.length) await grp.optimizer.setWeights(slots);
      for (const [key, v] of adamPowers(grp.optimizer)) {
        const x = byName.get(`net${g}/${key}`);
        if (x) v.assign(tf.scalar(x.data[0]));
      }
      const h = need(`net${g}/h`), c = need(`net${g}/c`);
      grp.h.dispose();
      grp.c.dispose();
      grp.h = tf.tensor2d(h.data, h.shape as [number, number]);
      grp.c = tf.tensor2d(c.data, c.shape as [number, number]);
    }
    this.moa?.setState(byName, weightsOnly);
    if (this.vocab && !weightsOnly) {
      const get = (n: string) => byName.get(n)?.data;
      this.symbols.set(get('comm/symbols') ?? []);
      this.prevSymbols.set(get('comm/prevSymbols') ?? []);
      this.lastResets.set(get('comm/resets') ?? []);
      this.groups.forEach((_, g) => {
        const m = get(`comm/msg${g}`), pm = get(`comm/prevMsg${g}`);
        if (m) this.msgLogits[g] = Float32Array.from(m);
        if (pm) this.prevMsgLogits[g] = Float32Array.from(pm);
      });
    }
  }

  dispose(): void {
    this.moa?.dispose();
    tf.dispose(this.lastConv);
    for (const [g, grp] of this.groups.entries()) {
      grp.net.dispose();
      grp.optimizer.dispose();
      tf.dispose([grp.h, grp.c]);
      grp.ids?.dispose();
      tf.dispose([this.rollouts[g].h0!, this.rollouts[g].c0!].filter(Boolean));
    }
  }
}

/** Advantages normalised to zero mean and unit variance (per PPO minibatch, as in cleanrl), in place. */
function normalise(adv: Float32Array): Float32Array {
  let mean = 0;
  for (const a of adv) mean += a;
  mean /= adv.length;
  let v = 0;
  for (const a of adv) v += (a - mean) ** 2;
  const sd = Math.sqrt(v / adv.length) + 1e-8;
  for (let k = 0; k < adv.length; k++) adv[k] = (adv[k] - mean) / sd;
  return adv;
}



// Model III (Jaques et al. 2019, Sec. 2.3), influence through a Model of Other Agents, and its ablation moa
// (the same networks, no influence reward). Every agent's MOA (../policy/moa-net.ts) predicts the others'
// next actions from its own conv features and the actions of this step; replacing its own action by each
// counterfactual value and averaging the predictions under its own policy gives
//   c_kj = KL[ p(a_j | a_k, .) || sum_a p(a_j | a, .) pi_k(a) ],
// fully decentralised. The MOA learns beside the policy: its loss over a rollout is the cross-entropy of its
// predictions of the next actions of the agents it can see.
//
// With PMI the influence needs the action each other agent actually takes next: the step's inputs wait
// (`pending`) and are settled at the next step, whose ck then belongs to the previous step.
//
// --net-form paper: the policy's LSTM also reads the other agents' actions of the last step ("we allow the
// policy LSTM of each agent to condition on the actions of other agents in the last timestep", 6.1), and the
// MOA takes the actions into its LSTM (--moa-form lstm, its default then).

import * as tf from '@tensorflow/tfjs-core';
import { defineModel, type ModelFields, type ModelParts, type PolicyView, type Unrolled, type ExtraLoss } from './model.ts';
import type { CoreConfig } from '../settings.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { NamedTensor } from '../state.ts';
import type { UpdateStats } from '../algos/algorithm.ts';
import type { Rollout, RolloutPart } from '../rollout.ts';
import { MoaPopulation, type MoaForm } from '../policy/moa-net.ts';
import { ForwardRecord } from '../policy/population.ts';
import { InfluenceBonus } from '../rewards.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence, othersOf } from '../counterfactual.ts';

export interface MoaSettings {
  /** Where the MOA reads the actions of step t. 'head': with its LSTM's output, in the head after the LSTM (a
   * counterfactual re-runs only the head). 'lstm': with the conv features, into its LSTM, as the paper and
   * the SSD repo do (a counterfactual runs an LSTM step). Default 'lstm' with --net-form paper, else 'head'. */
  moaForm: MoaForm;
  /** Weight of the MOA's cross-entropy in each agent's loss. Default 1 (SSD repo's default). */
  moaLossWeight: number;
  /** Train the MOA only on the agents it sees when they take the predicted action (the paper's "train MOA
   * only when visible": False for the MOA baseline, True for influence-MOA). Default true. */
  moaVisibleOnly: boolean;
  /** The MOA loss is the mean cross-entropy over the predictions trained on ('visible'), or over all
   * predictions with the masked ones counting 0 ('all', the SSD repo's, with which the paper's MOA loss
   * weights were tuned). Default 'visible'. */
  moaLossNorm: 'visible' | 'all';
}

const settings: ModelFields<MoaSettings> = {
  moaForm: {
    kind: 'choice', values: ['head', 'lstm'], default: (c) => (c.netForm === 'paper' ? 'lstm' : 'head'), defaultText: 'lstm with --net-form paper, else head',
    flag: 'moa-form', section: 'models',
    help: 'MOA models: where the actions of step t enter the MOA: its head (a counterfactual re-runs the head) or its LSTM (the paper; a counterfactual runs an LSTM step)',
  },
  moaLossWeight: {
    kind: 'num', min: 0, default: 1, flag: 'moa-loss-weight', arg: 'X', section: 'models', help: 'MOA models: weight of the MOA\'s cross-entropy',
    suspicious: (v) => (v === 0 ? 'the Model of Other Agents is never trained, so its predictions (and any influence from them) stay random' : undefined),
  },
  moaVisibleOnly: {
    kind: 'bool', default: true, flag: 'moa-train-all', flagSets: false, section: 'models', defaultText: 'off',
    help: 'train the MOA on every other agent, not only those it sees when they act (the paper\'s MOA baseline)',
  },
  moaLossNorm: {
    kind: 'choice', values: ['visible', 'all'], default: 'visible', flag: 'moa-loss-norm', section: 'models',
    help: 'MOA loss: mean over the predictions trained on (visible) or over all, masked ones as 0 (all: the SSD repo)',
  },
};

/** Accuracy counts of the MOA's predictions. `pending` holds argmax predictions (kept tensors, with their
 * targets) until settleMoaStats() reads them back and counts them. */
export interface MoaStats {
  correct: number;
  counted: number;
  /** How often each agent's trained-on targets took each action: [(i * (N - 1) + q) * A + a] for agent i's q-th
   * other agent (the most-frequent-action baseline of the accuracy, docs/metrics.md). */
  targets?: number[];
  pending: { pred: tf.Tensor; weight: Float32Array; target: Int32Array }[];
}

/** Counts the correct predictions waiting in stats.pending and disposes them. */
export async function settleMoaStats(stats: MoaStats): Promise<void> {
  const pending = stats.pending;
  stats.pending = [];
  const preds = await readAndDispose(pending.map((p) => p.pred));
  pending.forEach(({ weight, target }, k) => {
    const pred = preds[k]!;
    for (let r = 0; r < weight.length; r++) if (weight[r] && target[r] === pred[r]) stats.correct++;
  });
}

/** What the MOA keeps about one rollout: its state at the first step, the forward passes acting computed
 * (for an update that reuses them), every agent's action at step t [T, B, N] and who sees whom after it [T, B, N, N]. */
export class MoaRollout implements RolloutPart {
  h0?: tf.Tensor3D;
  c0?: tf.Tensor3D;
  record?: ForwardRecord;
  readonly jointActions: Uint8Array;
  readonly visibleAfter: Uint8Array;
  constructor(T: number, B: number, N: number) {
    this.jointActions = new Uint8Array(T * B * N);
    this.visibleAfter = new Uint8Array(T * B * N * N);
  }
  disposeStates(): void {
    tf.dispose([this.h0, this.c0]);
    this.h0 = this.c0 = undefined;
    this.record?.clear();
  }
}

/** The MOA's data of rollout `r` (made by a policy with a MOA). */
export const moaRollout = (r: Rollout): MoaRollout => r.parts.get('moa') as MoaRollout;

interface Pending { cond: Float32Array; prior: Float32Array; taken: Int32Array; mask: Uint8Array }

export class MoaInfluence implements ModelParts {
  readonly net: MoaPopulation;
  readonly lags: boolean;
  readonly legacyPrefix = 'moa';
  h: tf.Tensor3D;
  c: tf.Tensor3D;
  /** The last measure()'s predictions, softmax [N, A, B, N - 1, A]: agent i's, with its own action replaced by
   * a~, of the others' next actions in env b (kept for tests and tools; replaced every step). */
  lastPredictions?: Float32Array;
  /** 'paper' net form: the actions of the last step [B * N] (the policy's conditioning), zero at an episode's start. */
  private readonly lastActions?: Uint8Array;
  private pending?: Pending[];
  private hasPending = false;
  private readonly onehot: Float32Array;
  private stats: MoaStats = { correct: 0, counted: 0, pending: [] };
  private readonly B: number;
  private readonly N: number;
  private readonly A: number;

  constructor(private readonly p: PolicyView, private readonly cfg: CoreConfig & MoaSettings) {
    const { B, N, numActions: A } = p;
    [this.B, this.N, this.A] = [B, N, A];
    const c = cfg;
    this.net = new MoaPopulation({ G: p.G, numAgents: N, numActions: A, inputSize: p.net.convOutSize, form: c.moaForm, seedOf: (g) => c.seed * 1000 + 500 + g });
    this.lags = c.divergence === 'pmi';
    this.h = tf.zeros([N, B, this.net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([N, B, this.net.lstmUnits]) as tf.Tensor3D;
    this.onehot = new Float32Array(N * A * B * N * A);
    if (c.netForm === 'paper') this.lastActions = new Uint8Array(B * N);
  }

  get variables(): tf.Variable[] { return this.net.variables; }

  /** 'paper' net form: the others' one-hot actions of the last step [(N-1) * A] (agent order, zero where an episode starts). */
  conditioning(_actions: ArrayLike<number>, resets: ArrayLike<number>, out: Float32Array, g0: number, g1: number): void {
    const { N, A } = this, S = this.p.S, w = (N - 1) * A;
    for (let g = g0; g < g1; g++) {
      for (let b = 0; b < S; b++) {
        const row = (g * S + b) * w;
        out.fill(0, row, row + w);
        if (resets[b]) continue;
        for (let j = 0, q = 0; j < N; j++) if (j !== g) out[row + (q++) * A + this.lastActions![b * N + j]] = 1;
      }
    }
  }

  /**
   * Advances every agent's MOA by one step (from the conv features of this step's act()) and measures the
   * influence of every agent's action of this step: ck [B * N] (env order) and ckj [B, N, N].
   */
  async measure(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const { B, N, A } = this, p = this.p;
    const J = N - 1, divergence = this.cfg.divergence;
    ckj.fill(0);
    if (divergence === 'pmi') {
      ck.fill(0);
      if (this.hasPending) this.settlePmi(actions, p.lastResets, kernel, ck, ckj);
      this.pending ??= Array.from({ length: N }, () => ({
        cond: new Float32Array(B * A * J * A), prior: new Float32Array(B * A), taken: new Int32Array(B), mask: new Uint8Array(B * J),
      }));
      this.hasPending = true;
    }
    // which alternative of stream (i, b) is agent i's real action: the MOA's state goes on from that one
    const real = new Int32Array(N * B);
    for (let i = 0; i < N; i++) for (let b = 0; b < B; b++) real[i * B + b] = actions[b * N + i];
    const oh = this.onehot;
    oh.fill(0);
    if (this.net.form === 'head') {
      // counterfactual rows (i, a~, b): every agent's action of env b, with agent i's replaced by a~
      for (let i = 0; i < N; i++) {
        for (let alt = 0; alt < A; alt++) {
          for (let b = 0; b < B; b++) {
            const row = ((i * A + alt) * B + b) * N * A;
            for (let j = 0; j < N; j++) oh[row + j * A + (j === i ? alt : actions[b * N + j])] = 1;
          }
        }
      }
    } else {
      // the 'lstm' form's alternatives are the own actions, swapped inside its LSTM: the real rows (i, b) only
      for (let i = 0; i < N; i++) for (let b = 0; b < B; b++) for (let j = 0; j < N; j++) oh[(i * B + b) * N * A + j * A + actions[b * N + j]] = 1;
    }
    const record = p.stepRollout ? moaRollout(p.stepRollout).record : undefined;
    const { probsT, h, c } = tf.tidy(() => {
      const keep = tf.tensor3d(p.lastKeep, [N, 1, B]);
      const step = this.net.form === 'head'
        ? this.net.step(p.lastConv!, keep, this.h, this.c, tf.tensor4d(oh, [N, A, B, N * A]), real, record)
        : this.net.stepOwnActions(p.lastConv!, keep, this.h, this.c, tf.tensor3d(oh.subarray(0, N * B * N * A), [N, B, N * A]), real, record);
      return { probsT: tf.softmax(tf.reshape(step.logits, [N * A * B * J, A])), h: step.h, c: step.c };
    });
    tf.dispose([this.h, this.c]);
    this.h = h;
    this.c = c;
    const [probs] = await readAndDispose([probsT]) as Float32Array[];
    this.lastPredictions = probs;
    for (let i = 0; i < N; i++) {
      const v = kernel.prepare(B, A, J, A);
      for (let b = 0; b < B; b++) {
        for (let alt = 0; alt < A; alt++) {
          const from = ((i * A + alt) * B + b) * J * A;
          v.cond.set(probs.subarray(from, from + J * A), (b * A + alt) * J * A);
        }
        softmaxInto(p.lastLogits, i * B + b, A, v.prior, b * A);
        v.taken[b] = actions[b * N + i];
        let q = 0;
        for (let j = 0; j < N; j++) {
          if (j === i) continue;
          v.jTaken[b * J + q] = 0;
          v.mask[b * J + q] = this.cfg.influenceVisibleOnly ? visible[(b * N + i) * N + j] : 1;
          q++;
        }
      }
      if (divergence === 'pmi') {
        const pd = this.pending![i];
        pd.cond.set(v.cond);
        pd.prior.set(v.prior);
        pd.taken.set(v.taken);
        pd.mask.set(v.mask);
      } else {
        scatterInfluence(kernel.run(divergence), i, othersOf(i, N), B, N, ck, ckj);
      }
    }
  }

  /** The previous step's PMI influence, now that the actions taken after it are known; envs that just reset get 0. */
  private settlePmi(actions: Uint8Array, resets: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): void {
    const { B, N, A } = this;
    const J = N - 1;
    for (let i = 0; i < N; i++) {
      const pd = this.pending![i];
      const v = kernel.prepare(B, A, J, A);
      v.cond.set(pd.cond);
      v.prior.set(pd.prior);
      v.taken.set(pd.taken);
      const others = othersOf(i, N);
      for (let b = 0; b < B; b++) {
        for (let q = 0; q < J; q++) {
          v.jTaken[b * J + q] = actions[b * N + others[q]];
          v.mask[b * J + q] = resets[b] ? 0 : pd.mask[b * J + q];
        }
      }
      scatterInfluence(kernel.run('pmi'), i, others, B, N, ck, ckj);
    }
  }

  /**
   * A MOA's KL or JS influence of a step is about the others' next actions, which belong to the next episode
   * where this step ended one: it is void there (ck and ckj zeroed; the SSD repo pads an episode's last step
   * with 0). PMI is settled at the next step and zeroed there. The 'paper' form keeps the actions taken, the
   * policy's conditioning at the next step.
   */
  afterStep(actions: Uint8Array, dones: Uint8Array, ck?: Float32Array, ckj?: Float32Array): void {
    const { B, N } = this;
    this.lastActions?.set(actions.subarray(0, B * N));
    if (!ck || !ckj || this.cfg.divergence === 'pmi') return;
    for (let b = 0; b < B; b++) {
      if (!dones[b]) continue;
      ck.fill(0, b * N, (b + 1) * N);
      ckj.fill(0, b * N * N, (b + 1) * N * N);
    }
  }

  beginRollout(r: Rollout, record: boolean): void {
    let part = r.parts.get('moa') as MoaRollout | undefined;
    if (!part) r.parts.set('moa', part = new MoaRollout(r.T, this.B, this.N));
    part.disposeStates();
    part.h0 = tf.clone(this.h);
    part.c0 = tf.clone(this.c);
    part.record = record ? part.record ?? new ForwardRecord() : undefined;
  }

  /** Stores step r.t's joint actions [B * N] and who sees whom after it [B * N * N]. */
  recordStep(r: Rollout, actions: Uint8Array, visible: Uint8Array): void {
    const { B, N } = this, part = moaRollout(r);
    part.jointActions.set(actions.subarray(0, B * N), r.t * B * N);
    part.visibleAfter.set(visible.subarray(0, B * N * N), r.t * B * N * N);
  }

  /** The MOA loss (see loss()), weighted by moaLossWeight. */
  losses(r: Rollout, out: Unrolled, envs?: Int32Array): ExtraLoss[] {
    return [{ name: 'moa', perNetwork: this.loss(r, out.conv, envs, this.stats), weight: this.cfg.moaLossWeight }];
  }

  async afterUpdate(): Promise<Partial<UpdateStats>> {
    const stats = this.stats;
    this.stats = { correct: 0, counted: 0, pending: [] };
    await settleMoaStats(stats);
    return { moaCorrect: stats.correct, moaCounted: stats.counted, moaTargets: stats.targets };
  }

  /**
   * The MOA loss over a rollout for envs `envs` (all when omitted), per agent [N]: the cross-entropy of the
   * predicted next actions of the other agents (with moaVisibleOnly, only those it sees at the next step,
   * when they take that action), over steps whose next action is in the same episode and inside the
   * rollout. Averaged over the predictions trained on (moaLossNorm 'visible'), or over all of those steps'
   * pairs with the masked ones counting 0 ('all', the SSD repo's MOALoss). conv: the policy's conv features
   * [N, T * E, C] (time-major over the envs). Accuracy counts go to `stats`.
   */
  loss(r: Rollout, conv: tf.Tensor3D, envs: Int32Array | undefined, stats: MoaStats): tf.Tensor1D {
    const { logits, target, weight, counts, pairs } = this.predict(r, conv, envs);
    const { N, A } = this, M = target.length / N;
    const logp = tf.logSoftmax(logits);
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(target, [N, M], 'int32'), A)), 2)); // [N, M]
    const w = tf.tensor2d(weight, [N, M]);
    const denom = this.cfg.moaLossNorm === 'all' ? pairs : counts;
    const loss = tf.div(tf.sum(tf.mul(ce, w), 1), tf.tensor1d(denom.map((x) => Math.max(x, 1)))) as tf.Tensor1D;
    stats.pending.push({ pred: tf.keep(tf.argMax(logits, 2)), weight, target });
    stats.counted += counts.reduce((a, x) => a + x, 0);
    const J = N - 1, tally = (stats.targets ??= new Array<number>(N * J * A).fill(0));
    for (let row = 0; row < target.length; row++) {
      if (weight[row]) tally[(Math.floor(row / M) * J + (row % J)) * A + target[row]] += weight[row];
    }
    return loss;
  }

  /**
   * The training-time predictions over a rollout (as loss() sees them): logits [N, T * E * J, A], row
   * ((i * T + t) * E + e) * J + q = agent i's prediction at step t of the q-th other agent's action at t+1;
   * the targets and weights of those rows; per agent, the weights' sum (counts) and the rows with a next
   * action to predict (pairs).
   */
  predict(r: Rollout, conv: tf.Tensor3D, envs?: Int32Array): { logits: tf.Tensor3D; target: Int32Array; weight: Float32Array; counts: Float32Array; pairs: Float32Array } {
    const { N, A, B } = this, T = r.T, J = N - 1, part = moaRollout(r);
    const E = envs ? envs.length : B;
    const envAt = (e: number) => (envs ? envs[e] : e);
    const oh = new Float32Array(N * T * E * N * A);
    const target = new Int32Array(N * T * E * J);
    const weight = new Float32Array(N * T * E * J);
    const keep = new Float32Array(N * T * E);
    const pairs = new Float32Array(N); // (step, other agent) pairs with a next action to predict
    const visibleOnly = this.cfg.moaVisibleOnly;
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        for (let e = 0; e < E; e++) {
          const b = envAt(e), row = (i * T + t) * E + e;
          keep[row] = r.keep[r.at(i, t, b)];
          for (let j = 0; j < N; j++) oh[row * N * A + j * A + part.jointActions[(t * B + b) * N + j]] = 1;
          if (t === T - 1 || r.dones[r.at(i, t, b)]) continue;
          pairs[i] += J;
          let q = 0;
          for (let j = 0; j < N; j++) {
            if (j === i) continue;
            if (!visibleOnly || part.visibleAfter[((t * B + b) * N + i) * N + j]) {
              weight[row * J + q] = 1;
              target[row * J + q] = part.jointActions[((t + 1) * B + b) * N + j];
            }
            q++;
          }
        }
      }
    }
    const idx = envs ? tf.tensor1d(envs, 'int32') : undefined;
    const h0 = idx ? tf.gather(part.h0!, idx, 1) as tf.Tensor3D : part.h0!;
    const c0 = idx ? tf.gather(part.c0!, idx, 1) as tf.Tensor3D : part.c0!;
    const known = !envs && part.record?.steps === T ? part.record.joined() : undefined;
    const logits = tf.reshape(this.net.sequence(conv, tf.tensor3d(oh, [N, T * E, N * A]), tf.tensor3d(keep, [N, T, E]), h0, c0, known).logits, [N, T * E * J, A]) as tf.Tensor3D;
    const counts = new Float32Array(N);
    for (let i = 0; i < N; i++) for (let k = 0; k < T * E * J; k++) counts[i] += weight[i * T * E * J + k];
    return { logits, target, weight, counts, pairs };
  }

  resetState(): void {
    this.hasPending = false;
    this.lastActions?.fill(0);
    tf.dispose([this.h, this.c]);
    this.h = tf.zeros([this.N, this.B, this.net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([this.N, this.B, this.net.lstmUnits]) as tf.Tensor3D;
  }

  async getState(): Promise<NamedTensor[]> {
    const [h, c] = await readAndDispose([tf.clone(this.h), tf.clone(this.c)]);
    const out: NamedTensor[] = [{ name: 'moa/h', data: h!, shape: this.h.shape }, { name: 'moa/c', data: c!, shape: this.c.shape }];
    if (this.lastActions) out.push({ name: 'moa/lastActions', data: Float32Array.from(this.lastActions), shape: [this.lastActions.length] });
    if (this.hasPending && this.pending) {
      this.pending.forEach((pd, i) => {
        for (const [key, arr] of [['cond', pd.cond], ['prior', pd.prior], ['taken', pd.taken], ['mask', pd.mask]] as const) {
          out.push({ name: `moa/pmi${i}/${key}`, data: Float32Array.from(arr), shape: [arr.length] });
        }
      });
    }
    return out;
  }

  setState(byName: Map<string, NamedTensor>): void {
    const h = byName.get('moa/h'), c = byName.get('moa/c');
    if (!h || !c) throw new Error('checkpoint: the state of the Models of Other Agents is missing');
    tf.dispose([this.h, this.c]);
    this.h = tf.tensor3d(h.data, h.shape as [number, number, number]);
    this.c = tf.tensor3d(c.data, c.shape as [number, number, number]);
    const last = byName.get('moa/lastActions');
    if (this.lastActions && last) this.lastActions.set(last.data);
    this.hasPending = false;
    if (byName.has('moa/pmi0/cond')) {
      this.pending = Array.from({ length: this.N }, (_, i) => {
        const get = (k: string) => byName.get(`moa/pmi${i}/${k}`)!.data;
        return {
          cond: Float32Array.from(get('cond')), prior: Float32Array.from(get('prior')), taken: Int32Array.from(get('taken')),
          mask: Uint8Array.from(get('mask')),
        };
      });
      this.hasPending = true;
    }
  }

  dispose(): void {
    this.net.dispose();
    tf.dispose([this.h, this.c]);
    for (const x of this.stats.pending) x.pred.dispose();
  }
}

const common = {
  settings, independentOnly: true, minAgents: 2, measuresInfluence: true, netForms: true, moaMetrics: true,
  defaults: { influenceVisibleOnly: true },
  network: (c: CoreConfig & MoaSettings, d: { N: number; A: number }) =>
    (c.netForm === 'paper' ? { conditioning: { width: (d.N - 1) * d.A, at: 'lstm' as const } } : {}),
  create: (p: PolicyView, c: CoreConfig & MoaSettings) => new MoaInfluence(p, c),
};

export const moa = defineModel<'moa', MoaSettings>({
  name: 'moa',
  label: 'moa: ablation of model III',
  summary: 'Models of Other Agents trained beside the policy, no influence reward',
  source: 'Jaques et al. 2019, model III ablation',
  ablationOf: 'influence-moa',
  ...common,
});

export const influenceMoa = defineModel<'influence-moa', MoaSettings>({
  name: 'influence-moa',
  label: 'influence-moa: model III, MOA',
  summary: 'model III: influence reward from each agent\'s own Model of Other Agents, fully decentralised',
  source: 'Jaques et al. 2019, Sec. 2.3',
  ...common,
  influenceReward: true,
  rewardTerms: (c: CoreConfig & MoaSettings) => [new InfluenceBonus(c, c.divergence === 'pmi' ? 'previousActions' : 'actions')],
});

/** The MOA part of a policy with one (tests and tools reach the MOA through it). */
export const moaOf = (p: { model: unknown }): MoaInfluence | undefined => (p.model instanceof MoaInfluence ? p.model : undefined);

// Model III (Jaques et al. 2019, Sec. 2.3): every agent's Model of Other Agents predicts the others' next
// actions from its own view and the actions of this step; replacing its own action by each counterfactual
// value and averaging the predictions under its own policy gives
//   c_kj = KL[ p(a_j | a_k, .) || sum_a p(a_j | a, .) pi_k(a) ],
// fully decentralised. The MOA also learns here: its loss over a rollout is the cross-entropy of its
// predictions of the next actions of the agents it can see.
//
// With PMI the influence needs the action each other agent actually takes next: the step's inputs wait
// (`pending`) and are settled at the next step, whose ck then belongs to the previous step.

import * as tf from '@tensorflow/tfjs-core';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { MoaPopulation } from '../policy/moa-net.ts';
import type { Policy, NamedTensor } from '../policy/policy.ts';
import type { Rollout } from '../rollout.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence, othersOf } from '../counterfactual.ts';

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

interface Pending { cond: Float32Array; prior: Float32Array; taken: Int32Array; mask: Uint8Array }

export class MoaInfluence {
  h: tf.Tensor3D;
  c: tf.Tensor3D;
  /** The last measure()'s predictions, softmax [N, A, B, N - 1, A]: agent i's, with its own action replaced by
   * a~, of the others' next actions in env b (kept for tests and tools; replaced every step). */
  lastPredictions?: Float32Array;
  private pending?: Pending[];
  private hasPending = false;
  private readonly onehot: Float32Array;

  /** opts.visibleOnly: train on the agents seen when they act (moaVisibleOnly); opts.norm: what the loss
   * averages over (moaLossNorm). */
  constructor(readonly net: MoaPopulation, readonly B: number, readonly N: number, readonly A: number,
    readonly opts: { visibleOnly: boolean; norm: 'visible' | 'all' } = { visibleOnly: true, norm: 'visible' }) {
    this.h = tf.zeros([N, B, net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([N, B, net.lstmUnits]) as tf.Tensor3D;
    this.onehot = new Float32Array(N * A * B * N * A);
  }

  /**
   * Advances every agent's MOA by one step (from the conv features of this step's act()) and measures the
   * influence of every agent's action of this step: ck [B * N] (env order) and ckj [B, N, N].
   */
  async measure(p: Policy, actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const { B, N, A } = this;
    const J = N - 1, divergence = p.cfg.divergence;
    ckj.fill(0);
    if (divergence === 'pmi') {
      ck.fill(0);
      if (this.hasPending) this.settlePmi(actions, p.lastResets, kernel, ck, ckj);
      this.pending ??= Array.from({ length: N }, () => ({
        cond: new Float32Array(B * A * J * A), prior: new Float32Array(B * A), taken: new Int32Array(B), mask: new Uint8Array(B * J),
      }));
      this.hasPending = true;
    }
    // counterfactual rows (i, a~, b): every agent's action of env b, with agent i's replaced by a~
    const oh = this.onehot;
    oh.fill(0);
    for (let i = 0; i < N; i++) {
      for (let alt = 0; alt < A; alt++) {
        for (let b = 0; b < B; b++) {
          const row = ((i * A + alt) * B + b) * N * A;
          for (let j = 0; j < N; j++) oh[row + j * A + (j === i ? alt : actions[b * N + j])] = 1;
        }
      }
    }
    // which alternative of stream (i, b) is agent i's real action: the MOA's state goes on from that one
    const real = new Int32Array(N * B);
    for (let i = 0; i < N; i++) for (let b = 0; b < B; b++) real[i * B + b] = actions[b * N + i];
    const { probsT, h, c } = tf.tidy(() => {
      const keep = tf.tensor3d(p.lastKeep, [N, 1, B]);
      const step = this.net.step(p.lastConv!, keep, this.h, this.c, tf.tensor4d(oh, [N, A, B, N * A]), real, p.stepRecord?.moa);
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
          v.mask[b * J + q] = p.cfg.influenceVisibleOnly ? visible[(b * N + i) * N + j] : 1;
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

  beginRollout(r: Rollout): void {
    r.moaH0 = tf.clone(this.h);
    r.moaC0 = tf.clone(this.c);
  }

  /** Stores step r.t's joint actions [B * N] and who sees whom after it [B * N * N]. */
  recordJoint(r: Rollout, actions: Uint8Array, visible: Uint8Array): void {
    const { B, N } = this;
    r.jointActions!.set(actions.subarray(0, B * N), r.t * B * N);
    r.visibleAfter!.set(visible.subarray(0, B * N * N), r.t * B * N * N);
  }

  /**
   * The MOA loss over a rollout for envs `envs` (all when omitted), per agent [N]: the cross-entropy of the
   * predicted next actions of the other agents (with opts.visibleOnly, only those it sees at the next step,
   * when they take that action), over steps whose next action is in the same episode and inside the
   * rollout. Averaged over the predictions trained on (norm 'visible'), or over all of those steps' pairs
   * with the masked ones counting 0 (norm 'all', the SSD repo's MOALoss). conv: the policy's conv features
   * [N, T * E, C] (time-major over the envs). Accuracy counts go to `stats`.
   */
  loss(r: Rollout, conv: tf.Tensor3D, envs: Int32Array | undefined, stats: MoaStats): tf.Tensor1D {
    const { logits, target, weight, counts, pairs } = this.predict(r, conv, envs);
    const { N, A } = this, M = target.length / N;
    const logp = tf.logSoftmax(logits);
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(target, [N, M], 'int32'), A)), 2)); // [N, M]
    const w = tf.tensor2d(weight, [N, M]);
    const denom = this.opts.norm === 'all' ? pairs : counts;
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
    const { N, A, B } = this, T = r.T, J = N - 1;
    const E = envs ? envs.length : B;
    const envAt = (e: number) => (envs ? envs[e] : e);
    const oh = new Float32Array(N * T * E * N * A);
    const target = new Int32Array(N * T * E * J);
    const weight = new Float32Array(N * T * E * J);
    const keep = new Float32Array(N * T * E);
    const pairs = new Float32Array(N); // (step, other agent) pairs with a next action to predict
    const { visibleOnly } = this.opts;
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        for (let e = 0; e < E; e++) {
          const b = envAt(e), row = (i * T + t) * E + e;
          keep[row] = r.keep[r.at(i, t, b)];
          for (let j = 0; j < N; j++) oh[row * N * A + j * A + r.jointActions![(t * B + b) * N + j]] = 1;
          if (t === T - 1 || r.dones[r.at(i, t, b)]) continue;
          pairs[i] += J;
          let q = 0;
          for (let j = 0; j < N; j++) {
            if (j === i) continue;
            if (!visibleOnly || r.visibleAfter![((t * B + b) * N + i) * N + j]) {
              weight[row * J + q] = 1;
              target[row * J + q] = r.jointActions![((t + 1) * B + b) * N + j];
            }
            q++;
          }
        }
      }
    }
    const idx = envs ? tf.tensor1d(envs, 'int32') : undefined;
    const h0 = idx ? tf.gather(r.moaH0!, idx, 1) as tf.Tensor3D : r.moaH0!;
    const c0 = idx ? tf.gather(r.moaC0!, idx, 1) as tf.Tensor3D : r.moaC0!;
    const known = !envs && this.net.form === 'head' && r.moaRecord?.steps === T ? r.moaRecord.joined() : undefined;
    const logits = tf.reshape(this.net.sequence(conv, tf.tensor3d(oh, [N, T * E, N * A]), tf.tensor3d(keep, [N, T, E]), h0, c0, known).logits, [N, T * E * J, A]) as tf.Tensor3D;
    const counts = new Float32Array(N);
    for (let i = 0; i < N; i++) for (let k = 0; k < T * E * J; k++) counts[i] += weight[i * T * E * J + k];
    return { logits, target, weight, counts, pairs };
  }

  resetState(): void {
    this.hasPending = false;
    tf.dispose([this.h, this.c]);
    this.h = tf.zeros([this.N, this.B, this.net.lstmUnits]) as tf.Tensor3D;
    this.c = tf.zeros([this.N, this.B, this.net.lstmUnits]) as tf.Tensor3D;
  }

  async getState(): Promise<NamedTensor[]> {
    const [h, c] = await readAndDispose([tf.clone(this.h), tf.clone(this.c)]);
    const out: NamedTensor[] = [{ name: 'moa/h', data: h!, shape: this.h.shape }, { name: 'moa/c', data: c!, shape: this.c.shape }];
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
    this.hasPending = false;
    if (byName.has('moa/pmi0/cond')) {
      const { B, A } = this, J = this.N - 1;
      this.pending = Array.from({ length: this.N }, (_, i) => {
        const get = (k: string) => byName.get(`moa/pmi${i}/${k}`)!.data;
        return {
          cond: Float32Array.from(get('cond')), prior: Float32Array.from(get('prior')), taken: Int32Array.from(get('taken')),
          mask: Uint8Array.from(get('mask')),
        };
      });
      void B; void A; void J;
      this.hasPending = true;
    }
  }

  dispose(): void {
    this.net.dispose();
    tf.dispose([this.h, this.c]);
  }
}

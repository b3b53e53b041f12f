// Models of Other Agents for every agent (Jaques et al. 2019, Sec. 2.3) and the influence reward they
// give (model III, fully decentralised): each agent k predicts every other agent's next action from its own
// view and the actions of this step; replacing its own action by each counterfactual value and averaging
// the predictions under its own policy gives c_kj = KL[p(a_j | a_k, .) || sum_a p(a_j | a, .) pi_k(a)].
// The averaging and divergences run in WebAssembly (assembly/influence.ts).

import * as tf from '@tensorflow/tfjs-core';
import { MoaNet } from './tfjs/moa.ts';
import type { InfluenceKernel } from '../core/influence.ts';
import { softmaxInto, scatterInfluence, othersOf } from './counterfactual.ts';
import { read, readAndDispose } from './tfjs/read.ts';

/** Accuracy counts of the MOA's predictions. `pending` holds the argmax predictions of loss() (kept
 * tensors, with their targets) until settleMoaStats() reads them back and counts them. */
export interface MoaStats {
  loss: number;
  correct: number;
  counted: number;
  pending?: { pred: tf.Tensor; weight: Float32Array; target: Float32Array; A: number }[];
}

/** Counts the correct predictions waiting in stats.pending and disposes them. */
export async function settleMoaStats(stats: MoaStats): Promise<void> {
  const pending = stats.pending ?? [];
  stats.pending = [];
  const preds = await readAndDispose(pending.map((p) => p.pred));
  pending.forEach(({ weight, target, A }, k) => {
    const pred = preds[k]!;
    for (let r = 0; r < weight.length; r++) if (weight[r] && target[r * A + pred[r]] === 1) stats.correct++;
  });
}

export class Moa {
  readonly nets: MoaNet[] = [];
  private h: tf.Tensor2D[] = [];
  private c: tf.Tensor2D[] = [];
  private h0: tf.Tensor2D[] = [];
  private c0: tf.Tensor2D[] = [];
  /** Per rollout step: every agent's action [T, B, N] and visibility after the step [T, B, N, N]. */
  readonly jointActions: Uint8Array;
  readonly visibleAfter: Uint8Array;
  private readonly onehot: Float32Array;

  constructor(readonly B: number, readonly N: number, readonly A: number, readonly T: number, convSize: number, seed: number) {
    for (let i = 0; i < N; i++) {
      const net = new MoaNet({ numAgents: N, numActions: A, inputSize: convSize, seed: seed * 1000 + 500 + i });
      this.nets.push(net);
      const z = net.zeroState(B);
      this.h.push(z.h);
      this.c.push(z.c);
    }
    this.jointActions = new Uint8Array(T * B * N);
    this.visibleAfter = new Uint8Array(T * B * N * N);
    this.onehot = new Float32Array(A * B * N * A);
  }

  beginRollout(): void {
    tf.dispose([...this.h0, ...this.c0]);
    this.h0 = this.h.map((x) => tf.clone(x));
    this.c0 = this.c.map((x) => tf.clone(x));
  }

  resetEnded(dones: Uint8Array): void {
    if (!dones.some((d) => d)) return;
    const mask = tf.tensor2d(Array.from(dones, (d) => (d ? 0 : 1)), [this.B, 1]);
    for (let i = 0; i < this.N; i++) {
      const h = tf.mul(this.h[i], mask) as tf.Tensor2D, c = tf.mul(this.c[i], mask) as tf.Tensor2D;
      tf.dispose([this.h[i], this.c[i]]);
      this.h[i] = h;
      this.c[i] = c;
    }
    mask.dispose();
  }

  resetState(): void {
    this.clearPending();
    tf.dispose([...this.h, ...this.c]);
    for (let i = 0; i < this.N; i++) {
      const z = this.nets[i].zeroState(this.B);
      this.h[i] = z.h;
      this.c[i] = z.c;
    }
  }

  /**
   * Advances every agent's MOA by one step and computes the influence of every agent's action of this step.
   * convOf(i): the conv features of agent i's views [B, C] (from its policy network); actions [B*N]; policyLogits[i]: agent i's logits [B, A];
   * visible [B, N, N] for the current observation. Writes ck [B*N] (stream order) and ckj [B, N, N].
   */
  async influence(convOf: (i: number) => tf.Tensor2D, actions: Uint8Array, policyLogits: Float32Array[], visible: Uint8Array,
    kernel: InfluenceKernel, divergence: 'kl' | 'js' | 'pmi', onlyVisible: boolean, ck: Float32Array, ckj: Float32Array,
    resets?: Uint8Array): Promise<void> {
    const { B, N, A } = this;
    const J = N - 1;
    ckj.fill(0);
    // PMI needs the action each other agent actually takes next: settle the previous step's influence now
    // that those actions are known (ck then belongs to the previous step), and keep this step's inputs.
    if (divergence === 'pmi') {
      ck.fill(0);
      if (this.pending) this.settlePmi(actions, resets, kernel, ck, ckj);
      this.pending ??= Array.from({ length: N }, () => ({
        cond: new Float32Array(B * A * J * A), prior: new Float32Array(B * A), taken: new Int32Array(B), mask: new Uint8Array(B * J),
      }));
      this.hasPending = true;
    }
    for (let i = 0; i < N; i++) {
      // Counterfactual rows, ordered (a~, b): all agents' actions of env b with agent i's replaced by a~.
      const oh = this.onehot.subarray(0, A * B * N * A);
      oh.fill(0);
      for (let alt = 0; alt < A; alt++) {
        for (let b = 0; b < B; b++) {
          const row = (alt * B + b) * N * A;
          for (let j = 0; j < N; j++) oh[row + j * A + (j === i ? alt : actions[b * N + j])] = 1;
        }
      }
      const step = this.nets[i].step(convOf(i), this.h[i], this.c[i]);
      tf.dispose([this.h[i], this.c[i]]);
      this.h[i] = step.h;
      this.c[i] = step.c;
      // Read the probabilities outside tf.tidy: tidy walks whatever its function returns, element by element.
      const probsT = tf.tidy(() => {
        const logits = this.nets[i].predictCounterfactual(step.features, tf.tensor2d(oh, [A * B, N * A]));
        return tf.softmax(tf.reshape(logits, [A * B * J, A]));
      });
      const [probs] = await readAndDispose([probsT]) as Float32Array[];
      const v = kernel.prepare(B, A, J, A);
      for (let b = 0; b < B; b++) {
        for (let alt = 0; alt < A; alt++) {
          v.cond.set(probs.subarray((alt * B + b) * J * A, (alt * B + b + 1) * J * A), (b * A + alt) * J * A);
        }
        softmaxInto(policyLogits[i], b, A, v.prior, b * A);
        v.taken[b] = actions[b * N + i];
        let k = 0;
        for (let j = 0; j < N; j++) {
          if (j === i) continue;
          v.jTaken[b * J + k] = 0;
          v.mask[b * J + k] = onlyVisible ? visible[(b * N + i) * N + j] : 1;
          k++;
        }
      }
      if (divergence === 'pmi') {
        const p = this.pending![i];
        p.cond.set(v.cond);
        p.prior.set(v.prior);
        p.taken.set(v.taken);
        p.mask.set(v.mask);
      } else {
        scatterInfluence(kernel.run(divergence), i, othersOf(i, N), B, N, ck, ckj);
      }
    }
  }

  /** PMI inputs of the previous step, per agent, waiting for the others' next actions. */
  private pending?: { cond: Float32Array; prior: Float32Array; taken: Int32Array; mask: Uint8Array }[];
  private hasPending = false;

  /** Computes the previous step's PMI influence with the actions taken now; envs that just reset get 0. */
  private settlePmi(actions: Uint8Array, resets: Uint8Array | undefined, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): void {
    if (!this.hasPending || !this.pending) return;
    const { B, N, A } = this;
    const J = N - 1;
    for (let i = 0; i < N; i++) {
      const p = this.pending[i];
      const v = kernel.prepare(B, A, J, A);
      v.cond.set(p.cond);
      v.prior.set(p.prior);
      v.taken.set(p.taken);
      for (let b = 0; b < B; b++) {
        const others = othersOf(i, N);
        for (let q = 0; q < J; q++) {
          v.jTaken[b * J + q] = actions[b * N + others[q]];
          v.mask[b * J + q] = resets?.[b] ? 0 : p.mask[b * J + q];
        }
      }
      scatterInfluence(kernel.run('pmi'), i, othersOf(i, N), B, N, ck, ckj);
    }
  }

  /** Forgets a PMI step waiting for its next actions (a fresh start of every episode). */
  clearPending(): void {
    this.hasPending = false;
  }

  /** Stores step t's joint actions [B*N] and the visibility after the step [B*N*N]. */
  record(t: number, actions: Uint8Array, visible: Uint8Array): void {
    const { B, N } = this;
    this.jointActions.set(actions.subarray(0, B * N), t * B * N);
    this.visibleAfter.set(visible.subarray(0, B * N * N), t * B * N * N);
  }

  /**
   * Agent i's MOA loss over the rollout for the envs in `envs` (all when omitted): cross-entropy of the
   * predicted next actions of the agents it can see at the next step, steps whose next action belongs to
   * the same episode and lies inside the rollout. conv: conv features of agent i's views [T*E, C] in (t, env) order;
   * resets [T, E]; dones [T*E]. Returns the loss tensor and, through `stats`, accuracy counts.
   */
  loss(i: number, conv: tf.Tensor2D, resets: tf.Tensor2D, dones: Uint8Array, envs: ArrayLike<number>, stats: MoaStats): tf.Scalar {
    const { N, A, T, B } = this;
    const E = envs.length, J = N - 1;
    const oh = new Float32Array(T * E * N * A);
    const target = new Float32Array(T * E * J * A);
    const weight = new Float32Array(T * E * J);
    for (let t = 0; t < T; t++) {
      for (let e = 0; e < E; e++) {
        const b = envs[e];
        const row = t * E + e;
        for (let j = 0; j < N; j++) oh[row * N * A + j * A + this.jointActions[(t * B + b) * N + j]] = 1;
        if (t === T - 1 || dones[row]) continue;
        let k = 0;
        for (let j = 0; j < N; j++) {
          if (j === i) continue;
          if (this.visibleAfter[((t * B + b) * N + i) * N + j]) {
            weight[row * J + k] = 1;
            target[(row * J + k) * A + this.jointActions[((t + 1) * B + b) * N + j]] = 1;
          }
          k++;
        }
      }
    }
    const h0 = E === B ? this.h0[i] : tf.gather(this.h0[i], tf.tensor1d(Array.from(envs), 'int32')) as tf.Tensor2D;
    const c0 = E === B ? this.c0[i] : tf.gather(this.c0[i], tf.tensor1d(Array.from(envs), 'int32')) as tf.Tensor2D;
    const features = this.nets[i].sequence(conv, resets, h0, c0);
    const logits = tf.reshape(this.nets[i].predict(features, tf.tensor2d(oh, [T * E, N * A])), [T * E * J, A]);
    const logp = tf.logSoftmax(logits);
    const w = tf.tensor1d(weight);
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.tensor2d(target, [T * E * J, A])), 1));
    const counted = weight.reduce((a, x) => a + x, 0);
    const loss = tf.div(tf.sum(tf.mul(ce, w)), Math.max(counted, 1)) as tf.Scalar;
    // accuracy of the argmax prediction on the counted entries, counted once read back (settleMoaStats)
    if (!stats.pending) throw new Error('Moa.loss: stats.pending must be an array (settleMoaStats counts the predictions)');
    stats.pending.push({ pred: tf.keep(tf.argMax(logits, 1)), weight, target, A });
    stats.counted += counted;
    return loss;
  }

  async state(): Promise<{ name: string; data: Float32Array; shape: number[] }[]> {
    const out: { name: string; data: Float32Array; shape: number[] }[] = [];
    for (const [i, net] of this.nets.entries()) {
      for (const [k, v] of net.variables.entries()) out.push({ name: `moa${i}/w${k}`, data: await read(v), shape: v.shape });
      out.push({ name: `moa${i}/h`, data: await read(this.h[i]), shape: this.h[i].shape });
      out.push({ name: `moa${i}/c`, data: await read(this.c[i]), shape: this.c[i].shape });
      const p = this.hasPending ? this.pending?.[i] : undefined;
      if (p) {
        for (const [key, arr] of [['cond', p.cond], ['prior', p.prior], ['taken', p.taken], ['mask', p.mask]] as const) {
          out.push({ name: `moa${i}/pmi/${key}`, data: Float32Array.from(arr), shape: [arr.length] });
        }
      }
    }
    return out;
  }

  setState(byName: Map<string, { data: Float32Array; shape: number[] }>, weightsOnly: boolean): void {
    this.nets.forEach((net, i) => {
      net.setWeights(net.variables.map((_, k) => {
        const x = byName.get(`moa${i}/w${k}`);
        if (!x) throw new Error(`checkpoint: tensor 'moa${i}/w${k}' is missing`);
        return x.data;
      }));
      if (weightsOnly) return;
      const h = byName.get(`moa${i}/h`), c = byName.get(`moa${i}/c`);
      if (!h || !c) throw new Error(`checkpoint: the state of MOA ${i} is missing`);
      tf.dispose([this.h[i], this.c[i]]);
      this.h[i] = tf.tensor2d(h.data, h.shape as [number, number]);
      this.c[i] = tf.tensor2d(c.data, c.shape as [number, number]);
      const cond = byName.get(`moa${i}/pmi/cond`);
      if (cond) {
        const J = this.N - 1, { B, A } = this;
        this.pending ??= Array.from({ length: this.N }, () => ({
          cond: new Float32Array(B * A * J * A), prior: new Float32Array(B * A), taken: new Int32Array(B), mask: new Uint8Array(B * J),
        }));
        const p = this.pending[i];
        p.cond.set(cond.data);
        p.prior.set(byName.get(`moa${i}/pmi/prior`)!.data);
        p.taken.set(byName.get(`moa${i}/pmi/taken`)!.data);
        p.mask.set(byName.get(`moa${i}/pmi/mask`)!.data);
        this.hasPending = true;
      }
    });
  }

  dispose(): void {
    for (const n of this.nets) n.dispose();
    tf.dispose([...this.h, ...this.c, ...this.h0, ...this.c0]);
  }
}

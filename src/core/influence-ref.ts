// Plain TypeScript reference for the social-influence reward of Jaques et al. (2019), "Social Influence
// as Intrinsic Motivation for Multi-Agent Deep RL" (ICML), the equation for c_k: the same math as the
// WebAssembly kernel (assembly/influence.ts, host src/core/influence.ts), in f64, written for clarity.
// It also holds the input types and checks that the kernel's host shares.
//
//   marginal[b, j, a] = sum_k~ prior[b, k~] * cond[b, k~, j, a]        (k~ in increasing order)
//   c_kj[b, j] = D[ cond[b, taken[b], j, :] || marginal[b, j, :] ] where mask[b, j] = 1, else 0
//   c_k[b]     = sum_j c_kj[b, j]
// D: 'kl' sum_a P log(P/Q); 'js' 0.5 KL(P||M) + 0.5 KL(Q||M), M = (P+Q)/2 (natural log);
//    'pmi' log(P_x / Q_x) at x = jTaken[b, j].
// Terms whose weight is not > 0 contribute 0; every probability inside a log is floored at
// INFLUENCE_LOG_FLOOR (log(max(p, floor) / max(q, floor))). Nothing is renormalised.

import { InputError } from '../util/errors.ts';

export type Divergence = 'kl' | 'js' | 'pmi';
export const DIVERGENCES: readonly Divergence[] = ['kl', 'js', 'pmi'];
/** The floor on probabilities inside logs (the kernel uses the same). */
export const INFLUENCE_LOG_FLOOR = 1e-12;

export interface InfluenceSizes {
  /** Batch elements (e.g. envs x steps). */
  batch: number;
  /** Counterfactual values of the influencer's action (or message). */
  K: number;
  /** Other agents whose policies are conditioned. */
  J: number;
  /** Actions of each other agent. */
  A: number;
}

export interface InfluenceInputs extends InfluenceSizes {
  /** [batch, K, J, A]: p(a_j = a | k takes k~). */
  cond: ArrayLike<number>;
  /** [batch, K]: the influencer's own distribution over its K values. */
  prior: ArrayLike<number>;
  /** [batch]: the value the influencer took, in 0..K-1. */
  taken: ArrayLike<number>;
  /** [batch, J]: the action each j took, in 0..A-1; needed for 'pmi' only (range-checked where mask = 1). */
  jTaken?: ArrayLike<number>;
  /** [batch, J]: 1 = count the pair, 0 = leave it out; all 1 when absent. */
  mask?: ArrayLike<number>;
}

export interface InfluenceResult {
  /** [batch, J]: c_kj. */
  ckj: Float64Array;
  /** [batch]: c_k. */
  ck: Float64Array;
}

/** The kernel's id for a divergence name; an InputError names the allowed values. */
export function divergenceId(name: unknown): number {
  const id = DIVERGENCES.indexOf(name as Divergence);
  if (id < 0) {
    throw new InputError(`influence: unknown divergence ${JSON.stringify(name)}; allowed: ${DIVERGENCES.map((d) => `'${d}'`).join(', ')}`);
  }
  return id;
}

/** Checks that every size is an integer >= 1. */
export function checkInfluenceSizes(s: InfluenceSizes): void {
  for (const f of ['batch', 'K', 'J', 'A'] as const) {
    const v = s[f];
    if (!Number.isInteger(v) || v < 1) throw new InputError(`influence: ${f} must be an integer >= 1, got ${v}`);
  }
}

function checkLength(field: string, arr: ArrayLike<number> | undefined, want: number, shape: string): void {
  if (arr === undefined || arr === null || typeof arr.length !== 'number') {
    throw new InputError(`influence: ${field} is missing; expected an array of length ${want} (${shape})`);
  }
  if (arr.length !== want) {
    throw new InputError(`influence: ${field} has length ${arr.length}, expected ${want} (${shape})`);
  }
}

/** The message for taken[b] out of 0..K-1 (shared with the kernel). */
export function takenRangeMessage(b: number, value: number, K: number): string {
  return `influence: taken[${b}] = ${value} is out of range 0..${K - 1} (K = ${K})`;
}

/** The message for jTaken[b*J + j] out of 0..A-1 (shared with the kernel). */
export function jTakenRangeMessage(i: number, J: number, value: number, A: number): string {
  return `influence: jTaken[${i}] (b = ${Math.floor(i / J)}, j = ${i % J}) = ${value} is out of range 0..${A - 1} (A = ${A})`;
}

/** Checks sizes, lengths, and the integer indices of `inputs` for `divergence`; throws InputError. */
export function checkInfluenceInputs(inputs: InfluenceInputs, divergence: Divergence): void {
  const id = divergenceId(divergence);
  checkInfluenceSizes(inputs);
  const { batch, K, J, A } = inputs;
  checkLength('cond', inputs.cond, batch * K * J * A, `batch*K*J*A = ${batch}*${K}*${J}*${A}`);
  checkLength('prior', inputs.prior, batch * K, `batch*K = ${batch}*${K}`);
  checkLength('taken', inputs.taken, batch, `batch = ${batch}`);
  if (inputs.mask !== undefined) checkLength('mask', inputs.mask, batch * J, `batch*J = ${batch}*${J}`);
  if (inputs.jTaken !== undefined || id === 2) checkLength('jTaken', inputs.jTaken, batch * J, `batch*J = ${batch}*${J}`);
  for (let b = 0; b < batch; b++) {
    const t = inputs.taken[b];
    if (!Number.isInteger(t) || t < 0 || t >= K) throw new InputError(takenRangeMessage(b, t, K));
  }
  const mask = inputs.mask;
  if (mask) {
    for (let i = 0; i < batch * J; i++) {
      if (mask[i] !== 0 && mask[i] !== 1) throw new InputError(`influence: mask[${i}] = ${mask[i]}; allowed: 0, 1`);
    }
  }
  const jt = inputs.jTaken;
  if (jt && id === 2) {
    for (let i = 0; i < batch * J; i++) {
      if (mask && mask[i] === 0) continue;
      if (!Number.isInteger(jt[i]) || jt[i] < 0 || jt[i] >= A) throw new InputError(jTakenRangeMessage(i, J, jt[i], A));
    }
  }
}

/** c_kj and c_k in f64 for `inputs` (see the file header). */
export function influenceReference(inputs: InfluenceInputs, divergence: Divergence = 'kl'): InfluenceResult {
  checkInfluenceInputs(inputs, divergence);
  const { batch, K, J, A, cond, prior, taken, jTaken, mask } = inputs;
  const floor = INFLUENCE_LOG_FLOOR;
  const ckj = new Float64Array(batch * J);
  const ck = new Float64Array(batch);
  const marginal = new Float64Array(A);
  for (let b = 0; b < batch; b++) {
    const t = taken[b];
    let total = 0;
    for (let j = 0; j < J; j++) {
      if (mask && mask[b * J + j] === 0) continue;
      for (let a = 0; a < A; a++) {
        let m = 0;
        for (let k = 0; k < K; k++) m += prior[b * K + k] * cond[((b * K + k) * J + j) * A + a];
        marginal[a] = m;
      }
      const P = (a: number): number => cond[((b * K + t) * J + j) * A + a];
      let d = 0;
      if (divergence === 'kl') {
        for (let a = 0; a < A; a++) {
          const p = P(a);
          if (p > 0) d += p * Math.log(Math.max(p, floor) / Math.max(marginal[a], floor));
        }
      } else if (divergence === 'js') {
        let sp = 0, sq = 0;
        for (let a = 0; a < A; a++) {
          const p = P(a), q = marginal[a];
          const mid = Math.max(0.5 * (p + q), floor);
          if (p > 0) sp += p * Math.log(Math.max(p, floor) / mid);
          if (q > 0) sq += q * Math.log(Math.max(q, floor) / mid);
        }
        d = 0.5 * sp + 0.5 * sq;
      } else {
        const x = jTaken![b * J + j];
        d = Math.log(Math.max(P(x), floor) / Math.max(marginal[x], floor));
      }
      ckj[b * J + j] = d;
      total += d;
    }
    ck[b] = total;
  }
  return { ckj, ck };
}

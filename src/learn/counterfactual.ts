// Small helpers shared by the three influence models: turning logits into the kernel's prior and
// spreading the kernel's per-batch output back into stream order.

import type { InfluenceOutputViews } from '../core/influence.ts';

/** Writes softmax(logits[row]) into out[at .. at + A). */
export function softmaxInto(logits: Float32Array, row: number, A: number, out: Float32Array, at: number): void {
  let max = -Infinity, sum = 0;
  for (let a = 0; a < A; a++) max = Math.max(max, logits[row * A + a]);
  for (let a = 0; a < A; a++) sum += Math.exp(logits[row * A + a] - max);
  for (let a = 0; a < A; a++) out[at + a] = Math.exp(logits[row * A + a] - max) / sum;
}

/**
 * Copies the kernel's output for influencer k into ck [B*N] (stream b*N + k) and ckj [B, N, N], where the
 * kernel's J "other" agents were `others` (agent indices, in the order they were given to the kernel).
 */
export function scatterInfluence(out: InfluenceOutputViews, k: number, others: readonly number[], B: number, N: number,
  ck: Float32Array, ckj: Float32Array): void {
  const J = others.length;
  for (let b = 0; b < B; b++) {
    ck[b * N + k] = out.ck[b];
    for (let q = 0; q < J; q++) ckj[(b * N + k) * N + others[q]] = out.ckj[b * J + q];
  }
}

/** The agents other than k, in order. */
export const othersOf = (k: number, N: number): number[] => Array.from({ length: N }, (_, j) => j).filter((j) => j !== k);

// Policy-gradient losses over a batch of M samples: logits [M, A], values [M], actions [M] (int),
// with targets computed outside the gradient (advantages and returns are data, not functions of the
// weights being differentiated).

import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from './tfjs/read.ts';

/** Loss terms; with logits [..., M, A] each is a mean over the M samples, shaped [...] (one per network
 * for a population's [G, M, A]; a scalar for [M, A]). */
export interface LossParts {
  total: tf.Tensor;
  policy: tf.Tensor;
  value: tf.Tensor;
  entropy: tf.Tensor;
}

export interface LossCoefs {
  valueCoef: number;
  entropyCoef: number;
}

/** Model II's message stream: its own entropy weight (commEntropyCoef; the action head's when unset). Its
 * loss is weighted by commLossWeight in the algorithms. */
export function msgCoefs(c: LossCoefs & { commEntropyCoef?: number }): LossCoefs {
  return { valueCoef: c.valueCoef, entropyCoef: c.commEntropyCoef ?? c.entropyCoef };
}

function logProbsOf(logits: tf.Tensor, actions: tf.Tensor): { logp: tf.Tensor; taken: tf.Tensor } {
  const A = logits.shape[logits.rank - 1];
  const logp = tf.logSoftmax(logits);
  const taken = tf.sum(tf.mul(logp, tf.oneHot(actions, A)), -1);
  return { logp, taken };
}

/** Mean entropy over the samples of the categorical distributions given by `logp` (log probabilities). */
function meanEntropy(logp: tf.Tensor): tf.Tensor {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), -1), -1));
}

/**
 * A2C (Mnih et al. 2016): policy = -mean(log pi(a|s) * A), value = 0.5 mean((R - V)^2),
 * total = policy + valueCoef * value - entropyCoef * entropy.
 */
export function a2cLoss(logits: tf.Tensor, values: tf.Tensor, actions: tf.Tensor, advantages: tf.Tensor,
  returns: tf.Tensor, c: LossCoefs): LossParts {
  const { logp, taken } = logProbsOf(logits, actions);
  const policy = tf.neg(tf.mean(tf.mul(taken, advantages), -1));
  const value = tf.mul(0.5, tf.mean(tf.square(tf.sub(returns, values)), -1));
  const entropy = meanEntropy(logp);
  const total = tf.sub(tf.add(policy, tf.mul(c.valueCoef, value)), tf.mul(c.entropyCoef, entropy));
  return { total, policy, value, entropy };
}

/**
 * PPO's clipped objective (Schulman et al. 2017, eq. 7): with ratio r = pi(a|s) / pi_old(a|s),
 * policy = -mean(min(r A, clip(r, 1 - eps, 1 + eps) A)), value = 0.5 mean((R - V)^2) (unclipped),
 * total = policy + valueCoef * value - entropyCoef * entropy.
 */
export function ppoLoss(logits: tf.Tensor, values: tf.Tensor, actions: tf.Tensor, oldLogp: tf.Tensor,
  advantages: tf.Tensor, returns: tf.Tensor, clip: number, c: LossCoefs): LossParts {
  const { logp, taken } = logProbsOf(logits, actions);
  const ratio = tf.exp(tf.sub(taken, oldLogp));
  const unclipped = tf.mul(ratio, advantages);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
  const policy = tf.neg(tf.mean(tf.minimum(unclipped, clipped), -1));
  const value = tf.mul(0.5, tf.mean(tf.square(tf.sub(returns, values)), -1));
  const entropy = meanEntropy(logp);
  const total = tf.sub(tf.add(policy, tf.mul(c.valueCoef, value)), tf.mul(c.entropyCoef, entropy));
  return { total, policy, value, entropy };
}

/**
 * Clips each network's gradients to L2 norm at most maxNorm (0 = no clipping), given gradients stacked
 * over G networks ([G, ...] each, G = shape[0] of every one): the norm of network g is taken over slice g
 * of every gradient. Returns the clipped gradients (the inputs are disposed) and the norms before [G].
 */
export async function clipPerNetwork(grads: tf.Tensor[], maxNorm: number): Promise<{ grads: tf.Tensor[]; norms: Float32Array }> {
  const G = grads[0].shape[0];
  const sqT = tf.tidy(() => tf.addN(grads.map((g) => (g.rank === 1 ? tf.square(g) : tf.sum(tf.square(g), Array.from({ length: g.rank - 1 }, (_, k) => k + 1))))));
  const [sq] = await readAndDispose([sqT]);
  const norms = sq!.map(Math.sqrt);
  if (maxNorm <= 0 || norms.every((n) => n <= maxNorm)) return { grads, norms };
  const scale = Float32Array.from(norms, (n) => (n <= maxNorm ? 1 : maxNorm / n));
  const out = tf.tidy(() => {
    const s = tf.tensor1d(scale);
    return grads.map((g) => tf.mul(g, tf.reshape(s, [G, ...new Array(g.rank - 1).fill(1)])));
  });
  tf.dispose(grads);
  return { grads: out, norms };
}

/** Scales gradients so their global L2 norm is at most maxNorm (0 = no clipping); returns the norm before. */
export async function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Promise<{ grads: Record<string, tf.Tensor>; norm: number }> {
  const names = Object.keys(grads);
  const [sq] = await readAndDispose([tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))))]);
  const norm = Math.sqrt(sq![0]);
  if (maxNorm <= 0 || norm <= maxNorm) return { grads, norm };
  const scale = maxNorm / norm;
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) {
    out[n] = tf.mul(grads[n], scale);
    grads[n].dispose();
  }
  return { grads: out, norm };
}

/** Sample from softmax(logits[row]) with a uniform u in [0,1); returns the index and its log probability. */
export function sampleCategorical(logits: Float32Array, row: number, A: number, u: number): { action: number; logp: number } {
  let max = -Infinity;
  for (let a = 0; a < A; a++) max = Math.max(max, logits[row * A + a]);
  let sum = 0;
  for (let a = 0; a < A; a++) sum += Math.exp(logits[row * A + a] - max);
  let target = u * sum;
  let action = A - 1;
  for (let a = 0; a < A; a++) {
    target -= Math.exp(logits[row * A + a] - max);
    if (target < 0) { action = a; break; }
  }
  return { action, logp: logits[row * A + action] - max - Math.log(sum) };
}

/** The most probable action of logits[row]. */
export function argmax(logits: Float32Array, row: number, A: number): number {
  let best = 0;
  for (let a = 1; a < A; a++) if (logits[row * A + a] > logits[row * A + best]) best = a;
  return best;
}

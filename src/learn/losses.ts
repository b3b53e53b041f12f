// Policy-gradient losses over a batch of M samples: logits [M, A], values [M], actions [M] (int),
// with targets computed outside the gradient (advantages and returns are data, not functions of the
// weights being differentiated).

import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose } from './tfjs/read.ts';

export interface LossParts {
  total: tf.Scalar;
  policy: tf.Scalar;
  value: tf.Scalar;
  entropy: tf.Scalar;
}

export interface LossCoefs {
  valueCoef: number;
  entropyCoef: number;
}

function logProbsOf(logits: tf.Tensor2D, actions: tf.Tensor1D): { logp: tf.Tensor2D; taken: tf.Tensor1D } {
  const logp = tf.logSoftmax(logits) as tf.Tensor2D;
  const taken = tf.sum(tf.mul(logp, tf.oneHot(actions, logits.shape[1])), 1) as tf.Tensor1D;
  return { logp, taken };
}

/** Mean entropy of the categorical distributions given by `logp` (log probabilities). */
function meanEntropy(logp: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), 1))) as tf.Scalar;
}

/**
 * A2C (Mnih et al. 2016): policy = -mean(log pi(a|s) * A), value = 0.5 mean((R - V)^2),
 * total = policy + valueCoef * value - entropyCoef * entropy.
 */
export function a2cLoss(logits: tf.Tensor2D, values: tf.Tensor1D, actions: tf.Tensor1D, advantages: tf.Tensor1D,
  returns: tf.Tensor1D, c: LossCoefs): LossParts {
  const { logp, taken } = logProbsOf(logits, actions);
  const policy = tf.neg(tf.mean(tf.mul(taken, advantages))) as tf.Scalar;
  const value = tf.mul(0.5, tf.mean(tf.square(tf.sub(returns, values)))) as tf.Scalar;
  const entropy = meanEntropy(logp);
  const total = tf.sub(tf.add(policy, tf.mul(c.valueCoef, value)), tf.mul(c.entropyCoef, entropy)) as tf.Scalar;
  return { total, policy, value, entropy };
}

/**
 * PPO's clipped objective (Schulman et al. 2017, eq. 7): with ratio r = pi(a|s) / pi_old(a|s),
 * policy = -mean(min(r A, clip(r, 1 - eps, 1 + eps) A)), value = 0.5 mean((R - V)^2) (unclipped),
 * total = policy + valueCoef * value - entropyCoef * entropy.
 */
export function ppoLoss(logits: tf.Tensor2D, values: tf.Tensor1D, actions: tf.Tensor1D, oldLogp: tf.Tensor1D,
  advantages: tf.Tensor1D, returns: tf.Tensor1D, clip: number, c: LossCoefs): LossParts {
  const { logp, taken } = logProbsOf(logits, actions);
  const ratio = tf.exp(tf.sub(taken, oldLogp));
  const unclipped = tf.mul(ratio, advantages);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
  const policy = tf.neg(tf.mean(tf.minimum(unclipped, clipped))) as tf.Scalar;
  const value = tf.mul(0.5, tf.mean(tf.square(tf.sub(returns, values)))) as tf.Scalar;
  const entropy = meanEntropy(logp);
  const total = tf.sub(tf.add(policy, tf.mul(c.valueCoef, value)), tf.mul(c.entropyCoef, entropy)) as tf.Scalar;
  return { total, policy, value, entropy };
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

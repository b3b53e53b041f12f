// A2C, the synchronous form of the paper's A3C (Mnih et al. 2016): one gradient step per rollout on the
// n-step returns, for every network at once.

import * as tf from '@tensorflow/tfjs-core';
import { nStepReturns } from '../returns.ts';
import { a2cLoss } from '../losses.ts';
import { defineAlgorithm } from './algorithm.ts';

/** Per-network n-step returns over a group-major rollout [G, T, S]. */
export function returnsOf(rewards: Float32Array, dones: Uint8Array, bootstrap: Float32Array, G: number, T: number, S: number, gamma: number): Float32Array {
  const out = new Float32Array(G * T * S);
  for (let g = 0; g < G; g++) {
    const span = [g * T * S, (g + 1) * T * S] as const;
    out.set(nStepReturns(rewards.subarray(...span), dones.subarray(...span), bootstrap.subarray(g * S, (g + 1) * S), T, S, gamma), g * T * S);
  }
  return out;
}

export const a2c = defineAlgorithm({
  name: 'a2c',
  optimizer: 'rmsprop',
  reusesForward: true,
  passes: () => [undefined],
  // targets: n-step returns and advantages R - V, cut at episode ends
  prepare: (s, G, T, S, cfg) => {
    const returns = returnsOf(s.rewards, s.dones, s.bootstrap, G, T, S, cfg.gamma);
    return { returns, adv: returns.map((R, k) => R - s.values[k]) };
  },
  batch: (s, p) => ({ taken: s.taken, ...p }),
  loss: (logits, values, b, G, M, coefs) => {
    const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, M], dtype);
    return a2cLoss(logits, values, t2(b.taken, 'int32'), t2(b.adv), t2(b.returns), coefs);
  },
});

// PPO (Schulman et al. 2017) with GAE, the recurrent way: each rollout is used for `epochs` passes of
// `minibatches` minibatches, a minibatch being a set of whole streams (agent x environment) so that the
// LSTM replays each sequence from its recorded initial state. Every network trains on the same streams
// of each minibatch; its own loss, gradients, clipping and Adam state stay its own.

import * as tf from '@tensorflow/tfjs-core';
import { gae } from '../returns.ts';
import { ppoLoss } from '../losses.ts';
import { defineAlgorithm } from './algorithm.ts';

/** Per-network GAE over a group-major rollout [G, T, S]. */
function gaeOf(rewards: Float32Array, values: Float32Array, dones: Uint8Array, bootstrap: Float32Array, G: number, T: number, S: number,
  gamma: number, lambda: number): { advantages: Float32Array; returns: Float32Array } {
  const advantages = new Float32Array(G * T * S), returns = new Float32Array(G * T * S);
  for (let g = 0; g < G; g++) {
    const span = [g * T * S, (g + 1) * T * S] as const;
    const out = gae(rewards.subarray(...span), values.subarray(...span), dones.subarray(...span), bootstrap.subarray(g * S, (g + 1) * S), T, S, gamma, lambda);
    advantages.set(out.advantages, g * T * S);
    returns.set(out.returns, g * T * S);
  }
  return { advantages, returns };
}

/** Values of `src` [G, T, S] at streams `idx`, [G, T, idx.length]; advantages normalised per network (cleanrl). */
function pick<A extends Float32Array | Int32Array>(src: A, idx: Int32Array, G: number, T: number, S: number, out: A, normalise = false): A {
  const m = idx.length;
  for (let g = 0; g < G; g++) {
    for (let t = 0; t < T; t++) for (let j = 0; j < m; j++) out[(g * T + t) * m + j] = src[(g * T + t) * S + idx[j]];
    if (!normalise) continue;
    const part = out.subarray(g * T * m, (g + 1) * T * m) as Float32Array;
    let mean = 0, v = 0;
    for (const a of part) mean += a;
    mean /= part.length;
    for (const a of part) v += (a - mean) ** 2;
    const sd = Math.sqrt(v / part.length) + 1e-8;
    for (let k = 0; k < part.length; k++) part[k] = (part[k] - mean) / sd;
  }
  return out;
}

export const ppo = defineAlgorithm({
  name: 'ppo',
  optimizer: 'adam',
  reusesForward: false,
  // epochs of minibatches of whole streams, reshuffled every epoch
  *passes(cfg, S, rng) {
    const mb = S / cfg.minibatches;
    const order = Int32Array.from({ length: S }, (_, k) => k);
    for (let e = 0; e < cfg.epochs; e++) {
      for (let k = S - 1; k > 0; k--) {
        const j = rng.below(k + 1);
        [order[k], order[j]] = [order[j], order[k]];
      }
      for (let m = 0; m < cfg.minibatches; m++) yield order.slice(m * mb, (m + 1) * mb);
    }
  },
  // targets: GAE advantages and returns per network
  prepare: (s, G, T, S, cfg) => gaeOf(s.rewards, s.values, s.dones, s.bootstrap, G, T, S, cfg.gamma, cfg.gaeLambda),
  batch: (s, p, idx, G, T, S) => {
    const M = G * T * idx!.length;
    const f32 = (src: Float32Array, norm = false) => pick(src, idx!, G, T, S, new Float32Array(M), norm);
    return { taken: pick(s.taken, idx!, G, T, S, new Int32Array(M)), oldLogp: f32(s.logp), adv: f32(p.advantages, true), ret: f32(p.returns) };
  },
  loss: (logits, values, b, G, M, coefs, cfg) => {
    const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, M], dtype);
    return ppoLoss(logits, values, t2(b.taken, 'int32'), t2(b.oldLogp), t2(b.adv), t2(b.ret), cfg.clip, coefs);
  },
});

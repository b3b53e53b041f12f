// PPO (Schulman et al. 2017) with GAE, the recurrent way: each rollout is used for `epochs` passes of
// `minibatches` minibatches, a minibatch being a set of whole streams (agent x environment) so that the
// LSTM replays each sequence from its recorded initial state. Every network trains on the same streams
// of each minibatch; its own loss, gradients, clipping and Adam state stay its own.

import * as tf from '@tensorflow/tfjs-core';
import { gae } from '../returns.ts';
import { ppoLoss, msgCoefs } from '../losses.ts';
import { settleMoaStats, type MoaStats } from '../influence/moa.ts';
import type { Learner, UpdateStats } from '../learner.ts';
import type { Policy, Bootstrap } from '../policy/policy.ts';
import type { Rollout } from '../rollout.ts';
import type { Rng } from '../../util/rng.ts';

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

export async function ppoUpdate(policy: Policy, learner: Learner, r: Rollout, boot: Bootstrap, rng: Rng): Promise<UpdateStats> {
  const { cfg, G } = policy, { T, S } = r;
  // 1. targets: GAE advantages and returns per network, for the actions and (model II) the messages
  const act = gaeOf(r.rewards, r.values, r.dones, boot.values, G, T, S, cfg.gamma, cfg.gaeLambda);
  const msg = r.msg ? gaeOf(r.msgRewards!, r.msgValues!, r.dones, boot.msgValues!, G, T, S, cfg.gamma, cfg.gaeLambda) : undefined;
  const mb = S / cfg.minibatches, M = T * mb;
  const order = Int32Array.from({ length: S }, (_, k) => k);
  const sum = { policy: 0, value: 0, entropy: 0, grad: 0, moa: 0 };
  const moaStats: MoaStats = { correct: 0, counted: 0, pending: [] };
  let steps = 0;
  // 2. epochs of minibatches of whole streams, reshuffled every epoch
  for (let e = 0; e < cfg.epochs; e++) {
    for (let k = S - 1; k > 0; k--) {
      const j = rng.below(k + 1);
      [order[k], order[j]] = [order[j], order[k]];
    }
    for (let m = 0; m < cfg.minibatches; m++) {
      const idx = order.slice(m * mb, (m + 1) * mb);
      const f32 = (src: Float32Array, norm = false) => pick(src, idx, G, T, S, new Float32Array(G * M), norm);
      const actions = pick(r.actions, idx, G, T, S, new Int32Array(G * M));
      const oldLogp = f32(r.logp), adv = f32(act.advantages, true), ret = f32(act.returns);
      const msgs = msg ? { symbols: pick(r.msg!, idx, G, T, S, new Int32Array(G * M)), oldLogp: f32(r.msgLogp!), adv: f32(msg.advantages, true), ret: f32(msg.returns) } : undefined;
      const { report, gradNorm } = await learner.step(() => {
        const out = policy.unroll(r, idx);
        const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, M], dtype);
        const parts = ppoLoss(out.logits, out.value, t2(actions, 'int32'), t2(oldLogp), t2(adv), t2(ret), cfg.clip, cfg);
        let total = tf.sum(parts.total);
        const report: Record<string, tf.Tensor> = { policy: parts.policy, value: parts.value, entropy: parts.entropy };
        if (msgs) {
          const p2 = ppoLoss(out.msgLogits!, out.msgValue!, t2(msgs.symbols, 'int32'), t2(msgs.oldLogp), t2(msgs.adv), t2(msgs.ret), cfg.clip, msgCoefs(cfg));
          total = tf.add(total, tf.mul(cfg.commLossWeight, tf.sum(p2.total)));
        }
        if (policy.moa) {
          const moa = policy.moa.loss(r, out.conv, idx, moaStats);
          total = tf.add(total, tf.mul(cfg.moaLossWeight, tf.sum(moa)));
          report.moa = moa;
        }
        return { total: total as tf.Scalar, report };
      });
      sum.policy += report.policy;
      sum.value += report.value;
      sum.entropy += report.entropy;
      sum.grad += gradNorm;
      sum.moa += report.moa ?? 0;
      steps++;
    }
  }
  const stats: UpdateStats = { policyLoss: sum.policy / steps, valueLoss: sum.value / steps, entropy: sum.entropy / steps, gradNorm: sum.grad / steps };
  if (policy.moa) {
    await settleMoaStats(moaStats);
    Object.assign(stats, { moaLoss: sum.moa / steps, moaCorrect: moaStats.correct, moaCounted: moaStats.counted, moaTargets: moaStats.targets });
  }
  return stats;
}

// A2C, the synchronous form of the paper's A3C (Mnih et al. 2016): one gradient step per rollout on the
// n-step returns, for every network at once. Model II adds its message stream (own returns, own value
// head, own entropy weight commEntropyCoef), weighted by commLossWeight; MOA models add their Models of
// Other Agents' cross-entropy, weighted by moaLossWeight.

import * as tf from '@tensorflow/tfjs-core';
import { nStepReturns } from '../returns.ts';
import { a2cLoss, msgCoefs } from '../losses.ts';
import { settleMoaStats, type MoaStats } from '../influence/moa.ts';
import type { Learner, UpdateStats } from '../learner.ts';
import type { Policy, Bootstrap } from '../policy/policy.ts';
import type { Rollout } from '../rollout.ts';

/** Per-network n-step returns over a group-major rollout [G, T, S]. */
export function returnsOf(rewards: Float32Array, dones: Uint8Array, bootstrap: Float32Array, G: number, T: number, S: number, gamma: number): Float32Array {
  const out = new Float32Array(G * T * S);
  for (let g = 0; g < G; g++) {
    const span = [g * T * S, (g + 1) * T * S] as const;
    out.set(nStepReturns(rewards.subarray(...span), dones.subarray(...span), bootstrap.subarray(g * S, (g + 1) * S), T, S, gamma), g * T * S);
  }
  return out;
}

export async function a2cUpdate(policy: Policy, learner: Learner, r: Rollout, boot: Bootstrap): Promise<UpdateStats> {
  const { cfg, G } = policy, { T, S } = r, M = T * S;
  // 1. targets: n-step returns and advantages, cut at episode ends
  const returns = returnsOf(r.rewards, r.dones, boot.values, G, T, S, cfg.gamma);
  const adv = returns.map((R, k) => R - r.values[k]);
  const msgReturns = r.msg ? returnsOf(r.msgRewards!, r.dones, boot.msgValues!, G, T, S, cfg.gamma) : undefined;
  const msgAdv = msgReturns?.map((R, k) => R - r.msgValues![k]);
  const moaStats: MoaStats = { correct: 0, counted: 0, pending: [] };
  // 2. one step on the whole rollout: sum over networks of each one's loss (their gradients stay apart)
  const { report, gradNorm } = await learner.step(() => {
    const out = policy.unroll(r);
    const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, M], dtype);
    const parts = a2cLoss(out.logits, out.value, t2(r.actions, 'int32'), t2(adv), t2(returns), cfg);
    let total = tf.sum(parts.total);
    const report: Record<string, tf.Tensor> = { policy: parts.policy, value: parts.value, entropy: parts.entropy };
    if (msgAdv) {
      const m = a2cLoss(out.msgLogits!, out.msgValue!, t2(r.msg!, 'int32'), t2(msgAdv), t2(msgReturns!), msgCoefs(cfg));
      total = tf.add(total, tf.mul(cfg.commLossWeight, tf.sum(m.total)));
    }
    if (policy.moa) {
      const moa = policy.moa.loss(r, out.conv, undefined, moaStats);
      total = tf.add(total, tf.mul(cfg.moaLossWeight, tf.sum(moa)));
      report.moa = moa;
    }
    return { total: total as tf.Scalar, report };
  });
  const stats: UpdateStats = { policyLoss: report.policy, valueLoss: report.value, entropy: report.entropy, gradNorm };
  if (policy.moa) {
    await settleMoaStats(moaStats);
    Object.assign(stats, { moaLoss: report.moa, moaCorrect: moaStats.correct, moaCounted: moaStats.counted, moaTargets: moaStats.targets });
  }
  return stats;
}

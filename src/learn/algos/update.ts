// One update, for every algorithm: the algorithm's targets and passes over the rollout, its loss on each
// stream of decisions the policy samples (the actions; model II's symbols too), and, in this one place, the
// losses the model adds (the MOA's cross-entropy). Every network's loss is summed, so that their gradients
// stay apart (each network's depend on its own terms only).

import * as tf from '@tensorflow/tfjs-core';
import type { Algorithm, UpdateStats } from './algorithm.ts';
import type { Learner } from '../learner.ts';
import type { Policy, Bootstrap } from '../policy/policy.ts';
import type { Rollout } from '../rollout.ts';
import type { Rng } from '../../util/rng.ts';

export async function update(algo: Algorithm<any, any>, policy: Policy, learner: Learner, r: Rollout, boot: Bootstrap, rng: Rng): Promise<UpdateStats> {
  const { cfg, G } = policy, { T, S } = r;
  const streams = policy.streams(r, boot);
  const targets = streams.map((s) => algo.prepare(s, G, T, S, cfg));
  const sum: Record<string, number> = { policy: 0, value: 0, entropy: 0 };
  let grad = 0, passes = 0;
  for (const idx of algo.passes(cfg, S, rng)) {
    const M = T * (idx ? idx.length : S);
    const batches = streams.map((s, k) => algo.batch(s, targets[k], idx, G, T, S));
    const { report, gradNorm } = await learner.step(() => {
      const out = policy.unroll(r, idx);
      let total!: tf.Tensor;
      const report: Record<string, tf.Tensor> = {};
      streams.forEach((s, k) => {
        const logits = k === 0 ? out.logits : out.msgLogits!, values = k === 0 ? out.value : out.msgValue!;
        const parts = algo.loss(logits, values, batches[k], G, M, s.coefs, cfg);
        if (k === 0) {
          total = tf.sum(parts.total);
          Object.assign(report, { policy: parts.policy, value: parts.value, entropy: parts.entropy });
        } else {
          total = tf.add(total, tf.mul(s.weight, tf.sum(parts.total)));
        }
      });
      for (const extra of policy.losses(r, out, idx)) {
        total = tf.add(total, tf.mul(extra.weight, tf.sum(extra.perNetwork)));
        report[extra.name] = extra.perNetwork;
      }
      return { total: total as tf.Scalar, report };
    });
    for (const [k, v] of Object.entries(report)) sum[k] = (sum[k] ?? 0) + v;
    grad += gradNorm;
    passes++;
  }
  const stats: UpdateStats = { policyLoss: sum.policy / passes, valueLoss: sum.value / passes, entropy: sum.entropy / passes, gradNorm: grad / passes };
  const extras = stats as unknown as Record<string, number>;
  for (const k of Object.keys(sum)) if (!(k in { policy: 1, value: 1, entropy: 1 })) extras[`${k}Loss`] = sum[k] / passes;
  return Object.assign(stats, await policy.afterUpdate());
}

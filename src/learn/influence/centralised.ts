// Model I's influence (Jaques et al. 2019, Sec. 2.1): centralised counterfactuals. The influencers act
// first; each influencee's policy head sees their actions. For influencer k and each alternative action
// a~, every influencee's policy is re-evaluated from its LSTM output of this step with k's action
// replaced by a~ (only the heads run again), and
//   c_kj = D[ p(a_j | a_k, s_j) || sum_a~ p(a_j | a~, s_j) pi_k(a~ | s_k) ].

import * as tf from '@tensorflow/tfjs-core';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { Policy } from '../policy/policy.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence } from '../counterfactual.ts';

/** Writes c_k [B * N] (env order; 0 for influencees) and c_kj [B, N, N] for this step's actions. */
export async function measureCentralised(p: Policy, actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel,
  ck: Float32Array, ckj: Float32Array): Promise<void> {
  const { B, N, numActions: A, influencers: K, S } = p;
  ck.fill(0);
  ckj.fill(0);
  const listeners = Array.from({ length: N - K }, (_, q) => K + q), J = listeners.length;
  const width = K * A;
  const features = tf.slice(p.lastFeatures!, [K, 0, 0], [J, S, p.net.lstmUnits]) as tf.Tensor3D;
  const alts = new Float32Array(A * S * width), row = new Float32Array(p.G * S * width);
  try {
    for (let k = 0; k < K; k++) {
      // alternative a~ of influencer k, env b: the influencer actions with k's replaced (an influencee's row)
      for (let alt = 0; alt < A; alt++) {
        p.influencerInputs(actions, row, k, alt);
        alts.set(row.subarray(K * S * width, (K + 1) * S * width), alt * S * width);
      }
      const probsT = tf.tidy(() => tf.softmax(p.net.counterfactualLogits(features, tf.tensor3d(alts, [A, S, width]), K, p.G)));
      const [probs] = await readAndDispose([probsT]) as Float32Array[];
      const v = kernel.prepare(B, A, J, A);
      for (let b = 0; b < B; b++) {
        for (let alt = 0; alt < A; alt++) {
          for (let q = 0; q < J; q++) {
            const from = ((q * A + alt) * S + b) * A;
            v.cond.set(probs.subarray(from, from + A), ((b * A + alt) * J + q) * A);
          }
        }
        softmaxInto(p.lastLogits, k * S + b, A, v.prior, b * A);
        v.taken[b] = actions[b * N + k];
        listeners.forEach((j, q) => {
          v.jTaken[b * J + q] = actions[b * N + j];
          v.mask[b * J + q] = p.cfg.influenceVisibleOnly ? visible[(b * N + k) * N + j] : 1;
        });
      }
      scatterInfluence(kernel.run(p.cfg.divergence), k, listeners, B, N, ck, ckj);
    }
  } finally {
    features.dispose();
  }
}

// Model II's influence (Jaques et al. 2019, Sec. 2.2): how much each agent's symbol of the previous step
// moved every listener's action of this step. For every alternative symbol the listener's policy is
// re-evaluated from its LSTM output of this step with the speaker's symbol replaced (only the heads run
// again). The speaker's prior is its message policy of the previous step. Envs whose episode started at
// this step heard nothing: their influence is 0. With influenceVisibleOnly, a listener counts when the
// speaker saw it at the step the symbol was emitted (the speaker's view when it chose the symbol, as the
// SSD repo's fixed MOA masks by the influencer's view at the step of its action), not at the step heard.

import * as tf from '@tensorflow/tfjs-core';
import type { InfluenceKernel } from '../../core/influence.ts';
import type { Policy } from '../policy/policy.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence, othersOf } from '../counterfactual.ts';

/** Writes c_k [B * N] (env order, owed to each speaker's symbol of the previous step) and c_kj [B, N, N]. */
export async function measureMessages(p: Policy, actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel,
  ck: Float32Array, ckj: Float32Array): Promise<void> {
  const { B, N } = p;
  ck.fill(0);
  ckj.fill(0);
  try {
    if (p.prevMsgLogits) await measure(p, actions, kernel, ck, ckj); // else nothing was said before the first step
  } finally {
    p.symbolVisible.set(visible.subarray(0, B * N * N)); // the view at this step's symbols, for the next step
  }
}

async function measure(p: Policy, actions: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
  const { B, N, numActions: A, vocab: Vm, S } = p;
  const visible = p.symbolVisible;
  const width = N * Vm, J = N - 1;
  const alts = new Float32Array(Vm * S * width), rows = new Float32Array(B * width);
  for (let k = 0; k < N; k++) {
    for (let alt = 0; alt < Vm; alt++) {
      p.symbolRows(p.prevSymbols, p.lastResets, rows, k, alt);
      alts.set(rows, alt * S * width);
    }
    const listeners = othersOf(k, N);
    const probsT = tf.tidy(() => tf.softmax(p.net.counterfactualLogits(p.lastFeatures!, tf.tensor3d(alts, [Vm, S, width]))));
    const [probs] = await readAndDispose([probsT]) as Float32Array[];
    const v = kernel.prepare(B, Vm, J, A);
    for (let b = 0; b < B; b++) {
      for (let alt = 0; alt < Vm; alt++) {
        listeners.forEach((j, q) => {
          const from = ((j * Vm + alt) * S + b) * A;
          v.cond.set(probs.subarray(from, from + A), ((b * Vm + alt) * J + q) * A);
        });
      }
      softmaxInto(p.prevMsgLogits!, k * S + b, Vm, v.prior, b * Vm);
      v.taken[b] = p.prevSymbols[b * N + k];
      listeners.forEach((j, q) => {
        v.jTaken[b * J + q] = actions[b * N + j];
        v.mask[b * J + q] = p.lastResets[b] ? 0 : p.cfg.influenceVisibleOnly ? visible[(b * N + k) * N + j] : 1;
      });
    }
    scatterInfluence(kernel.run(p.cfg.divergence), k, listeners, B, N, ck, ckj);
  }
}

// Model I (Jaques et al. 2019, Sec. 2.1), basic influence with centralised counterfactuals, and its ablation
// visible-actions (the same network, no influence reward). The first K agents (influencers) act first; the
// others (influencees) condition on the influencers' one-hot actions of this step. For influencer k and
// each alternative action a~, every influencee's policy is evaluated again with k's action replaced by a~,
//   c_kj = D[ p(a_j | a_k, s_j) || sum_a~ p(a_j | a~, s_j) pi_k(a~ | s_k) ].
// Where the actions enter (--net-form): 'paper' into the influencees' LSTM (the counterfactuals run their own
// LSTM steps from the same state, in one batched call with the real step); 'head' beside the LSTM's output,
// so a counterfactual re-runs only the heads.

import * as tf from '@tensorflow/tfjs-core';
import { defineModel, type ModelFields, type ModelParts, type PolicyView, type Alternatives } from './model.ts';
import type { CoreConfig } from '../settings.ts';
import type { InfluenceKernel } from '../../core/influence.ts';
import { InfluenceBonus } from '../rewards.ts';
import { readAndDispose } from '../tfjs/read.ts';
import { softmaxInto, scatterInfluence } from '../counterfactual.ts';

export interface VisibleActionsSettings {
  /** The first this many agents are influencers; they act first and the others see their actions. Default 1 (the paper). */
  influencers: number;
}
export interface InfluenceSettings extends VisibleActionsSettings {
  /** Influencees also learn from the influence they receive, beta * clip(sum_k c_kj) (our reading of the paper's
   * "influencee reward", Table 1: 1 in Cleanup, 0 in Harvest). Default false. */
  influenceeReward: boolean;
}

const influencers: ModelFields<VisibleActionsSettings>['influencers'] = {
  kind: 'int', min: 1, max: 254, default: 1, flag: 'influencers', arg: 'K', section: 'models', help: 'model I: agents 0..K-1 are influencers, acting first',
};
const influenceeReward: ModelFields<InfluenceSettings>['influenceeReward'] = {
  kind: 'bool', default: false, flag: 'influencee-reward', section: 'models',
  help: 'model I: influencees also get beta x the influence they receive (the paper\'s "influencee reward")',
};

export class ModelI implements ModelParts {
  readonly phases: [number, number][];
  /** The last measure()'s counterfactual policies, softmax [N - K, K * A, S, A]: influencee K + q's, with
   * influencer k's action replaced by a~ (alternative k * A + a~), in stream s (kept for tests and tools). */
  lastCounterfactuals?: Float32Array;
  private readonly K: number;
  private readonly at: 'lstm' | 'head';

  constructor(private readonly p: PolicyView, c: CoreConfig & VisibleActionsSettings) {
    this.K = c.influencers;
    this.at = c.netForm === 'paper' ? 'lstm' : 'head';
    this.phases = [[0, this.K], [this.K, p.G]];
  }

  /** One-hot influencer actions [K * A] in every influencee row of networks [g0, g1), from env-order actions
   * (influencer `k`'s replaced by `alt` when given). */
  conditioning(actions: ArrayLike<number>, _resets: ArrayLike<number>, out: Float32Array, g0: number, g1: number, k = -1, alt = 0): void {
    const { B, N, numActions: A, S } = this.p, K = this.K, w = K * A;
    for (let g = Math.max(g0, K); g < g1; g++) {
      for (let b = 0; b < B; b++) {
        const row = (g * S + b) * w;
        out.fill(0, row, row + w);
        for (let i = 0; i < K; i++) out[row + i * A + (i === k ? alt : actions[b * N + i])] = 1;
      }
    }
  }

  /** 'lstm' form: for each influencer k and action a~ (alternative k * A + a~), the influencees' step with k's
   * entry swapped. */
  alternatives(actions: ArrayLike<number>, _resets: ArrayLike<number>, g0: number, g1: number): Alternatives | undefined {
    if (this.at !== 'lstm' || g1 <= this.K) return undefined;
    const { B, N, numActions: A } = this.p, K = this.K, Gp = g1 - g0;
    const realIdx = new Int32Array(Gp * K * B), altIdx = new Int32Array(Gp * K * A), altGroup = new Int32Array(K * A);
    for (let k = 0; k < K; k++) for (let a = 0; a < A; a++) altGroup[k * A + a] = k;
    for (let q = 0; q < Gp; q++) {
      for (let x = 0; x < K * A; x++) altIdx[q * K * A + x] = x;
      for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) realIdx[(q * K + k) * B + b] = k * A + actions[b * N + k];
    }
    return { R: K, K: K * A, realIdx, altIdx, altGroup };
  }

  /** Writes c_k [B * N] (env order; 0 for influencees) and c_kj [B, N, N] for this step's actions. */
  async measure(actions: Uint8Array, visible: Uint8Array, kernel: InfluenceKernel, ck: Float32Array, ckj: Float32Array): Promise<void> {
    const p = this.p, { B, N, numActions: A, S, G } = p, K = this.K;
    const cfg = p.cfg;
    ck.fill(0);
    ckj.fill(0);
    const listeners = Array.from({ length: N - K }, (_, q) => K + q), J = listeners.length;
    // probs [J, K * A, S, A]: influencee q's policy with influencer k's action replaced by a~ (alternative k * A + a~)
    const probsT = tf.tidy(() => {
      if (this.at === 'lstm') {
        const alt = p.lastAlternatives!;
        const [, KA, Sx, H] = alt.hAlt.shape;
        const logits = p.net.policyLogits(tf.reshape(alt.hAlt, [J, KA * Sx, H]) as tf.Tensor3D, K, G);
        return tf.softmax(tf.reshape(logits, [J, KA, Sx, A]));
      }
      const width = K * A, alts = new Float32Array(K * A * S * width), row = new Float32Array(G * S * width);
      for (let k = 0; k < K; k++) {
        for (let a = 0; a < A; a++) {
          this.conditioning(actions, [], row, K, K + 1, k, a);
          alts.set(row.subarray(K * S * width, (K + 1) * S * width), (k * A + a) * S * width);
        }
      }
      const features = tf.slice(p.lastFeatures!, [K, 0, 0], [J, S, p.net.lstmUnits]) as tf.Tensor3D;
      return tf.softmax(p.net.counterfactualLogits(features, tf.tensor3d(alts, [K * A, S, width]), K, G));
    });
    const [probs] = await readAndDispose([probsT]) as Float32Array[];
    this.lastCounterfactuals = probs;
    for (let k = 0; k < K; k++) {
      const v = kernel.prepare(B, A, J, A);
      for (let b = 0; b < B; b++) {
        for (let alt = 0; alt < A; alt++) {
          for (let q = 0; q < J; q++) {
            const from = ((q * K * A + k * A + alt) * S + b) * A;
            v.cond.set(probs.subarray(from, from + A), ((b * A + alt) * J + q) * A);
          }
        }
        softmaxInto(p.lastLogits, k * S + b, A, v.prior, b * A);
        v.taken[b] = actions[b * N + k];
        listeners.forEach((j, q) => {
          v.jTaken[b * J + q] = actions[b * N + j];
          v.mask[b * J + q] = cfg.influenceVisibleOnly ? visible[(b * N + k) * N + j] : 1;
        });
      }
      scatterInfluence(kernel.run(cfg.divergence), k, listeners, B, N, ck, ckj);
    }
  }
}

const common = {
  independentOnly: true, minAgents: 2, measuresInfluence: true, netForms: true,
  check: (c: CoreConfig & VisibleActionsSettings): [string, string] | undefined => (c.influencers >= c.agents
    ? ['influencers', `model '${c.model}' needs at least one influencee; influencers must be from 1 to ${c.agents - 1} with ${c.agents} agents, got ${c.influencers}`]
    : undefined),
  network: (c: CoreConfig & VisibleActionsSettings, d: { A: number }) => ({ conditioning: { width: c.influencers * d.A, at: c.netForm === 'paper' ? 'lstm' as const : 'head' as const } }),
  create: (p: PolicyView, c: CoreConfig & VisibleActionsSettings) => new ModelI(p, c),
};

export const visibleActions = defineModel<'visible-actions', VisibleActionsSettings>({
  name: 'visible-actions',
  label: 'visible-actions: ablation of model I',
  summary: 'influencees see the influencers\' actions, no influence reward',
  source: 'Jaques et al. 2019, model I ablation',
  ablationOf: 'influence',
  settings: { influencers },
  ...common,
});

export const influence = defineModel<'influence', InfluenceSettings>({
  name: 'influence',
  label: 'influence: model I, centralised',
  summary: 'model I: influencers rewarded for their causal influence, computed centrally',
  source: 'Jaques et al. 2019, Sec. 2.1',
  settings: { influencers, influenceeReward },
  ...common,
  influenceReward: true,
  rewardTerms: (c: CoreConfig & InfluenceSettings) => [new InfluenceBonus(c, 'actions', c.influenceeReward)],
});

/** Model I's part of a policy (tests and tools read its counterfactuals through it). */
export const modelIOf = (p: { model: unknown }): ModelI | undefined => (p.model instanceof ModelI ? p.model : undefined);

// Prosocial agents, a baseline of the paper (Jaques et al. 2019, 10.5.2): agent k learns from its own reward in
// the game plus eta times the others', r_k = e_k + eta * sum_{i != k} e_i (eta searched in [0, 2], best 0.85 in
// both games). The paper reports that they reach a high collective reward with very low equality.

import { defineModel, type ModelFields } from './model.ts';
import type { RewardTerm, StepRewardsIn, RewardsOut } from '../rewards.ts';

export interface ProsocialSettings {
  /** Weight eta of the other agents' rewards in each agent's. Default 0.85 (the paper's best in both games). */
  prosocialEta: number;
}

const settings: ModelFields<ProsocialSettings> = {
  prosocialEta: {
    kind: 'num', min: 0, default: 0.85, flag: 'prosocial-eta', arg: 'X', section: 'models',
    help: 'prosocial: weight eta of the other agents\' rewards in each agent\'s (the paper: 0.85)',
    suspicious: (v) => (v === 0 ? 'eta 0 is the a2c baseline' : undefined),
  },
};

/** r_k += eta * sum_{i != k} e_i, per env of N agents. */
class ProsocialTerm implements RewardTerm {
  readonly name = 'prosocial';
  constructor(readonly eta: number, readonly N: number) {}
  apply(step: StepRewardsIn, out: RewardsOut): void {
    const e = step.extrinsic, N = this.N;
    for (let b = 0; b < e.length / N; b++) {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += e[b * N + i];
      for (let k = 0; k < N; k++) out.actions[b * N + k] += this.eta * (sum - e[b * N + k]);
    }
  }
  getState(): number[] { return []; }
  setState(): void {}
}

export const prosocial = defineModel<'prosocial', ProsocialSettings>({
  name: 'prosocial',
  label: 'prosocial: rewarded for the others\' rewards too',
  summary: 'each agent learns from its reward plus eta times the others\' (eta 0.85)',
  source: 'Jaques et al. 2019, 10.5.2',
  settings,
  rewardTerms: (c, _B, N) => [new ProsocialTerm(c.prosocialEta, N)],
});

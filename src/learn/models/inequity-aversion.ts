// Inequity aversion (Hughes et al. 2018), one of the paper's baselines (Table 4): each agent's reward is
// shaped by how its temporally smoothed reward compares with the others' (the term is ../shaping.ts).

import { defineModel, type ModelFields } from './model.ts';
import { InequityAversion } from '../shaping.ts';
import type { RewardTerm, StepRewardsIn, RewardsOut } from '../rewards.ts';

export interface InequityAversionSettings {
  /** Disadvantageous inequity aversion: weight on others doing better. Default 5 (SSD README; Hughes et al. 2018). */
  iaAlpha: number;
  /** Advantageous inequity aversion: weight on doing better than others. Default 0.05. */
  iaBeta: number;
}

const settings: ModelFields<InequityAversionSettings> = {
  iaAlpha: { kind: 'num', min: 0, default: 5, flag: 'ia-alpha', arg: 'X', section: 'models', help: 'inequity aversion: weight of disadvantageous inequity' },
  iaBeta: { kind: 'num', min: 0, default: 0.05, flag: 'ia-beta', arg: 'X', section: 'models', help: 'inequity aversion: weight of advantageous inequity' },
};

/** Inequity aversion as a reward term: shapes the actions' rewards. */
class InequityTerm implements RewardTerm {
  readonly name = 'inequity-aversion';
  constructor(readonly ia: InequityAversion) {}
  apply(step: StepRewardsIn, out: RewardsOut): void { this.ia.apply(step.extrinsic, step.dones, out.actions); }
  getState(): number[] { return this.ia.getState(); }
  setState(s: number[]): void { this.ia.setState(s); }
}

export const inequityAversion = defineModel({
  name: 'inequity-aversion',
  label: 'inequity-aversion: Hughes et al. 2018',
  summary: 'rewards shaped by inequity aversion (alpha, beta)',
  source: 'Hughes et al. 2018; Jaques et al. 2019 Table 4',
  settings,
  rewardTerms: (c: InequityAversionSettings, B, N) => [new InequityTerm(new InequityAversion(B, N, { alpha: c.iaAlpha, beta: c.iaBeta }))],
});

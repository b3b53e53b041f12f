// The rewards agents learn from: the game's (extrinsic) reward plus reward terms, all computed in the
// learner (the environment never changes its rewards with flags, STYLE.md). A term sees one step and adds
// to the rewards of the actions or of the message stream (model II), of this step or of the previous one
// (an influence that is only known a step later belongs to the step that earned it).

import type { TrainConfig } from './config.ts';
import { modelSpec } from './models.ts';
import { scheduleAt } from './schedule.ts';
import { InequityAversion } from './shaping.ts';

/** One step, as a reward term sees it: the environment's rewards [B * N] and done flags [B], the influence
 * measured (c_k [B * N], when the model measures one), the environment steps of the run so far. */
export interface StepRewardsIn {
  extrinsic: Float32Array;
  dones: Uint8Array;
  ck?: Float32Array;
  /** c_kj [B, N, N] (for the influence an agent receives). */
  ckj?: Float32Array;
  envSteps: number;
}

/** Where terms add, each [B * N]: this step's actions and messages, and the previous step's. */
export interface RewardsOut {
  actions: Float32Array;
  messages: Float32Array;
  previousActions: Float32Array;
  previousMessages: Float32Array;
}

export interface RewardTerm {
  readonly name: string;
  apply(step: StepRewardsIn, out: RewardsOut): void;
  getState(): number[];
  setState(s: number[]): void;
}

/** The influence reward weight in force at `envSteps` (steps of the whole run): influenceBeta times the
 * curriculum's multiplier (influenceSchedule; by default 0 until influenceStart, then a linear ramp to 1 at
 * influenceEnd); always 0 for models without an influence reward. */
export function betaAt(c: TrainConfig, envSteps: number): number {
  if (!modelSpec(c.model).influenceReward) return 0;
  return c.influenceBeta * scheduleAt(c.influenceSchedule, envSteps);
}

/**
 * The influence reward alpha * e + beta * c_k (and, for model I with influenceeReward, each influencee's received
 * beta * sum_k c_kj), with c_k clipped to [-influenceClip, influenceClip] as the SSD repo
 * does (np.clip): KL and JS are never negative, but PMI is, and its expectation is the KL (the mutual
 * information) only if the negative values are kept. Model II's
 * influence belongs to the symbols of the previous step and rewards the message stream only; influence
 * measured a step late (PMI with a MOA) goes to the previous step's actions; otherwise this step's actions.
 */
export class InfluenceBonus implements RewardTerm {
  readonly name = 'influence';
  constructor(readonly cfg: TrainConfig, readonly target: 'actions' | 'previousActions' | 'previousMessages') {}
  apply(step: StepRewardsIn, out: RewardsOut): void {
    // alpha weighs the game's reward of the stream the influence trains (model II: the messages)
    const alpha = this.cfg.extrinsicWeight;
    if (alpha !== 1) {
      const ext = this.target === 'previousMessages' ? out.messages : out.actions;
      for (let k = 0; k < ext.length; k++) ext[k] *= alpha;
    }
    const beta = betaAt(this.cfg, step.envSteps);
    if (beta <= 0 || !step.ck) return;
    const to = out[this.target], clip = this.cfg.influenceClip;
    const clipped = (x: number) => Math.min(Math.max(x, -clip), clip);
    for (let k = 0; k < to.length; k++) to[k] += beta * clipped(step.ck[k]);
    if (this.cfg.influenceeReward && this.cfg.model === 'influence' && step.ckj) {
      // Model I's influencee reward: each agent j also gets beta * clip(sum_k c_kj), the influence it received.
      const N = this.cfg.agents;
      for (let e = 0; e < to.length; e++) {
        const b = Math.floor(e / N), j = e % N;
        let got = 0;
        for (let k = 0; k < N; k++) got += step.ckj[(b * N + k) * N + j];
        to[e] += beta * clipped(got);
      }
    }
  }
  getState(): number[] { return []; }
  setState(): void {}
}

/** Inequity aversion (Hughes et al. 2018) as a term: shapes the actions' rewards. */
class InequityTerm implements RewardTerm {
  readonly name = 'inequity-aversion';
  constructor(readonly ia: InequityAversion) {}
  apply(step: StepRewardsIn, out: RewardsOut): void { this.ia.apply(step.extrinsic, step.dones, out.actions); }
  getState(): number[] { return this.ia.getState(); }
  setState(s: number[]): void { this.ia.setState(s); }
}

/** The terms of cfg's model, in the order they apply. `lags`: the model's influence is measured a step late. */
export function rewardTerms(cfg: TrainConfig, B: number, N: number, lags: boolean): RewardTerm[] {
  const spec = modelSpec(cfg.model);
  const terms: RewardTerm[] = [];
  if (spec.inequityAversion) terms.push(new InequityTerm(new InequityAversion(B, N, { alpha: cfg.iaAlpha, beta: cfg.iaBeta })));
  if (spec.influenceReward) terms.push(new InfluenceBonus(cfg, spec.communicates ? 'previousMessages' : lags ? 'previousActions' : 'actions'));
  return terms;
}

/** Applies the terms to one step: fills `out` starting from the extrinsic rewards (zeros for the previous step's). */
export function shapeStep(terms: RewardTerm[], step: StepRewardsIn, out: RewardsOut): void {
  out.actions.set(step.extrinsic);
  out.messages.set(step.extrinsic);
  out.previousActions.fill(0);
  out.previousMessages.fill(0);
  for (const t of terms) t.apply(step, out);
}

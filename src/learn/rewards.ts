// The rewards agents learn from: the game's (extrinsic) reward plus reward terms, all computed in the
// learner (the environment never changes its rewards with flags: docs/RULES.md's rewards are the game's, and
// metrics report those). Each model lists its terms (src/learn/models/). A term sees one step and adds
// to the rewards of the actions or of the message stream (model II), of this step or of the previous one
// (an influence that is only known a step later belongs to the step that earned it).

import type { CoreConfig } from './settings.ts';
import { scheduleAt } from './schedule.ts';

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
 * influenceEnd). Models without an influence reward have no InfluenceBonus term. */
export function betaAt(c: Pick<CoreConfig, 'influenceBeta' | 'influenceSchedule'>, envSteps: number): number {
  return c.influenceBeta * scheduleAt(c.influenceSchedule, envSteps);
}

/**
 * The influence reward alpha * e + beta * c_k, with c_k clipped to [-influenceClip, influenceClip] as the SSD
 * repo does (np.clip): KL and JS are never negative, but PMI is, and its expectation is the KL (the mutual
 * information) only if the negative values are kept. `target`: the stream and step the influence rewards
 * (model II's influence belongs to the symbols of the previous step and rewards the message stream only;
 * influence measured a step late, PMI with a MOA, goes to the previous step's actions; otherwise this step's
 * actions). With `received`, each agent j also gets beta * clip(sum_k c_kj), the influence it received
 * (model I's influencee reward).
 */
export class InfluenceBonus implements RewardTerm {
  readonly name = 'influence';
  constructor(readonly cfg: Pick<CoreConfig, 'influenceBeta' | 'influenceSchedule' | 'influenceClip' | 'extrinsicWeight' | 'agents'>,
    readonly target: 'actions' | 'previousActions' | 'previousMessages', readonly received = false) {}
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
    if (this.received && step.ckj) {
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

/** Applies the terms to one step: fills `out` starting from the extrinsic rewards (zeros for the previous step's). */
export function shapeStep(terms: RewardTerm[], step: StepRewardsIn, out: RewardsOut): void {
  out.actions.set(step.extrinsic);
  out.messages.set(step.extrinsic);
  out.previousActions.fill(0);
  out.previousMessages.fill(0);
  for (const t of terms) t.apply(step, out);
}

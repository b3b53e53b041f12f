// The play loop, the one place a step happens: the agents act, their influence is measured, the
// environments step, and (when learning) the rewards are shaped and the step recorded. Training
// (./shard.ts), evaluation (./evaluate.ts) and playback in workers (../parallel/service.ts) all step here.

import type { VecEnv, StepResult } from '../env/vec-env.ts';
import type { InfluenceKernel } from '../core/influence.ts';
import type { Rng } from '../util/rng.ts';
import type { Policy } from './policy/policy.ts';
import type { Rollout } from './rollout.ts';
import { shapeStep, type RewardTerm, type RewardsOut } from './rewards.ts';

const now = () => performance.now() / 1000;

export interface StepOptions {
  greedy?: boolean;
  /** Record the step here, with rewards shaped by `terms`. */
  rollout?: Rollout;
  terms?: RewardTerm[];
  /** Environment steps of the run before this step (for reward schedules). */
  envSteps?: number;
}

export class Play {
  /** Influence of the last step: c_k [B * N] and c_kj [B, N, N] (models that measure influence). */
  readonly ck: Float32Array;
  readonly ckj: Float32Array;
  /** 1 for envs whose episode starts with the current observation. */
  readonly resets: Uint8Array;
  /** Seconds spent acting (inference, influence) and stepping the environments. */
  readonly time = { inference: 0, env: 0 };
  private readonly out: RewardsOut;

  /** Test hook: called after the agents choose actions [B * N] and before anything uses them (e.g. to script
   * an agent); t counts the steps played. */
  script?: (actions: Uint8Array, t: number) => void;
  private steps = 0;

  constructor(readonly env: VecEnv, readonly policy: Policy, readonly kernel?: InfluenceKernel) {
    const B = env.spec.numEnvs, N = policy.N;
    this.ck = new Float32Array(B * N);
    this.ckj = new Float32Array(B * N * N);
    this.resets = new Uint8Array(B).fill(1);
    const z = () => new Float32Array(B * N);
    this.out = { actions: z(), messages: z(), previousActions: z(), previousMessages: z() };
  }

  /** One step of every environment. */
  async step(rng: Rng, opts: StepOptions = {}): Promise<StepResult> {
    const { env, policy } = this;
    const t0 = now();
    await policy.act(env.internals.views.obs, this.resets, rng, env.actions, { greedy: opts.greedy, rollout: opts.rollout });
    this.script?.(env.actions, this.steps);
    this.steps++;
    if (this.kernel) await policy.influence(env.actions, env.internals.views.visible, this.kernel, this.ck, this.ckj);
    const t1 = now();
    const r = env.step();
    policy.afterStep(env.actions, r.dones, this.kernel ? this.ck : undefined, this.kernel ? this.ckj : undefined);
    const t2 = now();
    const rollout = opts.rollout;
    if (rollout) {
      const out = this.out;
      shapeStep(opts.terms ?? [], { extrinsic: r.rewards, dones: r.dones, ck: this.kernel ? this.ck : undefined, ckj: this.kernel ? this.ckj : undefined, envSteps: opts.envSteps ?? 0 }, out);
      rollout.addToPreviousStep(policy, out.previousActions, 'actions');
      if (rollout.msgRewards) rollout.addToPreviousStep(policy, out.previousMessages, 'messages');
      policy.recordStep(rollout, env.actions, r.visible);
      rollout.storeRewards(policy, out.actions, r.dones, out.messages);
    }
    this.resets.set(r.dones);
    this.time.inference += t1 - t0 + (now() - t2);
    this.time.env += t2 - t1;
    return r;
  }
}

// One environment shard: a batch of environments with the agents that act in them and learn from them.
// A run without workers has one shard holding every environment; with W workers each worker holds a
// shard of envs / W environments, the envs [index * B, (index + 1) * B) of the whole batch (their
// generators are seeded by their index in the whole, so a shard replays exactly those envs).
//
// Every shard holds a full replica of the networks and optimisers: all start from the same seed, and in
// data-parallel training they apply the same averaged gradients, so the replicas stay identical.

import { createVecEnv, type VecEnv } from '../env/vec-env.ts';
import { Rng } from '../util/rng.ts';
import { envSettings, type TrainConfig } from './config.ts';
import { Agents, measuresInfluence, type UpdateStats } from './agents.ts';
import { createInfluenceKernel, type InfluenceKernel } from '../core/influence.ts';
import { InequityAversion, type ShapingTerm } from './shaping.ts';
import { initBackend, type BackendName, type InitBackendOptions } from './tfjs/backend.ts';
import { Window, type WindowState } from './window.ts';

/** Everything a shard needs to continue exactly, as plain data. */
export interface ShardState {
  tensors: { name: string; data: Float32Array; shape: number[] }[];
  env: Uint8Array;
  rng: number[];
  shaping: number[][];
  resets: number[];
  window: WindowState;
}

const now = () => performance.now() / 1000;

/** The influence reward weight in force at `envSteps` (steps of the whole run): 0 until influenceStart, then a
 * linear ramp to influenceBeta at influenceEnd; always 0 for models without an influence reward. */
export function betaAt(c: TrainConfig, envSteps: number): number {
  if (c.model !== 'influence-moa' && c.model !== 'influence' && c.model !== 'influence-comm') return 0;
  if (envSteps < c.influenceStart) return 0;
  if (envSteps >= c.influenceEnd || c.influenceEnd === c.influenceStart) return c.influenceBeta;
  return (c.influenceBeta * (envSteps - c.influenceStart)) / (c.influenceEnd - c.influenceStart);
}

export class Shard {
  /** Seconds spent in environment steps, in acting (inference) and in updates. */
  readonly time = { env: 0, inference: 0, update: 0 };
  window: Window;
  readonly resets: Uint8Array;
  private readonly shaped: Float32Array;
  private readonly ck: Float32Array;
  private readonly ckj: Float32Array;
  private readonly bonus: Float32Array;

  /** Test hook: called after the agents choose actions [B*N] and before anything uses them, e.g. to script
   * an agent's behaviour; t counts rollout steps of the whole run. */
  script?: (actions: Uint8Array, t: number) => void;

  private constructor(readonly cfg: TrainConfig, readonly index: number, readonly count: number, readonly env: VecEnv,
    readonly agents: Agents, readonly rng: Rng, readonly shaping: ShapingTerm[], readonly backend: BackendName,
    readonly kernel?: InfluenceKernel) {
    const B = env.spec.numEnvs, N = cfg.agents;
    this.ck = new Float32Array(B * N);
    this.ckj = new Float32Array(B * N * N);
    this.bonus = new Float32Array(B * N);
    this.shaped = new Float32Array(B * N);
    this.resets = new Uint8Array(B).fill(1);
    this.window = new Window(N);
  }

  /** Shard `index` of `count` for a resolved configuration (cfg.envs must divide by count). */
  static async create(cfg: TrainConfig, index = 0, count = 1, backendOpts: InitBackendOptions = {}): Promise<Shard> {
    if (cfg.envs % count !== 0) throw new Error(`shard: ${cfg.envs} envs do not split evenly over ${count} shards`);
    const backend = await initBackend(cfg.backend, backendOpts);
    const B = cfg.envs / count;
    const env = await createVecEnv({ ...envSettings(cfg), numEnvs: B, seed: cfg.seed, firstEnv: index * B });
    const agents = new Agents(cfg, env.spec.numActions, B, cfg.agents);
    const shaping: ShapingTerm[] = cfg.model === 'inequity-aversion'
      ? [new InequityAversion(B, cfg.agents, { alpha: cfg.iaAlpha, beta: cfg.iaBeta })]
      : [];
    const kernel = measuresInfluence(cfg.model) ? await createInfluenceKernel() : undefined;
    // Shard 0 draws from the stream a single-process run uses, so one worker replays a run without workers.
    return new Shard(cfg, index, count, env, agents, new Rng(cfg.seed, 1 + index), shaping, backend, kernel);
  }

  /** One rollout and one update; `envSteps` counts the whole run's env steps before it (for the beta schedule). */
  async iterate(envSteps: number): Promise<UpdateStats> {
    const { env, agents, cfg } = this;
    const B = env.spec.numEnvs;
    agents.beginRollout();
    let obs: Uint8Array = env.internals.views.obs;
    const beta = betaAt(cfg, envSteps);
    for (let t = 0; t < cfg.rolloutSteps; t++) {
      const t0 = now();
      await agents.act(obs, this.resets, this.rng, env.actions, { record: true });
      this.script?.(env.actions, envSteps / cfg.envs + t);
      if (this.kernel) {
        await agents.influence(env.actions, env.internals.views.visible, this.kernel, this.ck, this.ckj);
        this.window.addInfluence(this.ckj, B);
      }
      const t1 = now();
      const r = env.step();
      const t2 = now();
      this.shaped.set(r.rewards);
      for (const term of this.shaping) term.apply(r.rewards, r.dones, this.shaped);
      if (beta > 0) {
        // Model II: the influence belongs to the symbols of the previous step and rewards the message head
        // only (the action head keeps the environment reward); models I and III reward the actions.
        const clip = cfg.influenceClip, bonus = this.bonus;
        for (let k = 0; k < bonus.length; k++) bonus[k] = beta * Math.min(Math.max(this.ck[k], 0), clip);
        if (cfg.model === 'influence-comm') agents.addBonusToPreviousStep(bonus, 'messages');
        else if (agents.influenceLags) agents.addBonusToPreviousStep(bonus, 'actions');
        else for (let k = 0; k < bonus.length; k++) this.shaped[k] += bonus[k];
      }
      agents.record(this.shaped, r.dones, this.kernel ? { actions: env.actions, visible: r.visible } : undefined, r.rewards);
      for (let b = 0; b < B; b++) if (r.dones[b]) this.window.addEpisode(env.lastEpisode(b)!);
      agents.resetEnded(r.dones);
      this.resets.set(r.dones);
      obs = r.obs;
      this.add('inference', t1 - t0 + (now() - t2));
      this.add('env', t2 - t1);
    }
    const t3 = now();
    const bootstrap = await agents.bootstrapValues(obs, this.resets);
    const t4 = now();
    const stats = await agents.update(bootstrap, this.rng);
    this.add('inference', t4 - t3);
    this.add('update', now() - t4);
    this.window.agentSteps += B * cfg.rolloutSteps * cfg.agents;
    return stats;
  }

  private add(k: 'env' | 'inference' | 'update', dt: number): void {
    this.time[k] += dt;
    this.window.time[k] += dt;
  }

  /** The metrics window since the last call, and a fresh one started. */
  takeWindow(): WindowState {
    const w = this.window.toJSON();
    this.window = new Window(this.cfg.agents);
    return w;
  }

  async saveState(): Promise<ShardState> {
    return {
      tensors: await this.agents.getState(), env: this.env.saveState(), rng: this.rng.getState(),
      shaping: this.shaping.map((s) => s.getState()), resets: Array.from(this.resets), window: this.window.toJSON(),
    };
  }

  async loadState(s: ShardState): Promise<void> {
    await this.agents.setState(s.tensors);
    this.env.loadState(s.env);
    this.rng.setState(s.rng);
    this.shaping.forEach((term, k) => term.setState(s.shaping[k]));
    this.resets.set(s.resets);
    this.window = Window.from(this.cfg.agents, s.window);
  }

  dispose(): void {
    this.agents.dispose();
    this.env.close();
  }
}

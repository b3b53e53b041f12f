// One environment shard: a batch of environments with the agents that act in them and learn from them.
// A run without workers has one shard holding every environment; with W workers each worker holds a
// shard of envs / W environments, the envs [index * B, (index + 1) * B) of the whole batch (their
// generators are seeded by their index in the whole, so a shard replays exactly those envs).
//
// Every shard holds a full replica of the networks and optimiser: all start from the same seed, and in
// data-parallel training they apply the same averaged gradients, so the replicas stay identical.

import { createVecEnv, type VecEnv } from '../env/vec-env.ts';
import { Rng } from '../util/rng.ts';
import { envSettings, type TrainConfig } from './config.ts';
import { Policy } from './policy/policy.ts';
import { Learner, type UpdateStats } from './learner.ts';
import { Rollout } from './rollout.ts';
import { Play } from './play.ts';
import type { RewardTerm } from './rewards.ts';
import { update } from './algos/update.ts';
import { algorithmOf } from './algos/registry.ts';
import { createInfluenceKernel } from '../core/influence.ts';
import { initBackend, type BackendName, type InitBackendOptions } from './tfjs/backend.ts';
import { Window, type WindowState } from './window.ts';
import { modelOf } from './models/registry.ts';

export { betaAt } from './rewards.ts';

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

export class Shard {
  /** Seconds spent in environment steps, in acting (inference) and in updates. */
  readonly time = { env: 0, inference: 0, update: 0 };
  window: Window;
  readonly rollout: Rollout;

  private constructor(readonly cfg: TrainConfig, readonly index: number, readonly count: number, readonly env: VecEnv,
    readonly policy: Policy, readonly learner: Learner, readonly play: Play, readonly rng: Rng, readonly terms: RewardTerm[],
    readonly backend: BackendName) {
    this.window = new Window(cfg.agents);
    const p = policy;
    this.rollout = new Rollout(p.G, cfg.rolloutSteps, p.S, p.obsSize, { condWidth: p.condWidth, messages: p.vocab > 0 });
  }

  /** Shard `index` of `count` for a resolved configuration (cfg.envs must divide by count). */
  static async create(cfg: TrainConfig, index = 0, count = 1, backendOpts: InitBackendOptions = {}): Promise<Shard> {
    if (cfg.envs % count !== 0) throw new Error(`shard: ${cfg.envs} envs do not split evenly over ${count} shards`);
    const backend = await initBackend(cfg.backend, backendOpts);
    const B = cfg.envs / count;
    const env = await createVecEnv({ ...envSettings(cfg), numEnvs: B, seed: cfg.seed, firstEnv: index * B });
    const policy = new Policy(cfg, env.spec.numActions, B, cfg.agents);
    const learner = new Learner(cfg, policy);
    const model = modelOf(cfg.model);
    const kernel = model.measuresInfluence ? await createInfluenceKernel() : undefined;
    const play = new Play(env, policy, kernel);
    // Shard 0 draws from the stream a single-process run uses, so one worker replays a run without workers.
    return new Shard(cfg, index, count, env, policy, learner, play, new Rng(cfg.seed, 1 + index), model.rewardTerms?.(cfg, B, cfg.agents) ?? [], backend);
  }

  /** The agents (tests and tools reach the networks through it). */
  get agents(): Policy { return this.policy; }

  /** Test hook: see Play.script. */
  set script(f: ((actions: Uint8Array, t: number) => void) | undefined) { this.play.script = f; }

  /** One rollout and one update; `envSteps` counts the whole run's env steps before it (for reward schedules). */
  async iterate(envSteps: number): Promise<UpdateStats> {
    const { env, policy, cfg, play, rollout } = this;
    const B = env.spec.numEnvs;
    const before = { ...play.time };
    const algo = algorithmOf(cfg.algo);
    policy.beginRollout(rollout, algo.reusesForward);
    for (let t = 0; t < cfg.rolloutSteps; t++) {
      const r = await play.step(this.rng, { rollout, terms: this.terms, envSteps: envSteps + t * cfg.envs });
      if (play.kernel) this.window.addInfluence(play.ckj, B);
      for (let b = 0; b < B; b++) if (r.dones[b]) this.window.addEpisode(env.lastEpisode(b)!);
    }
    const t3 = now();
    const boot = await policy.bootstrap(env.internals.views.obs, play.resets);
    const t4 = now();
    this.learner.envSteps = envSteps;
    const stats = await update(algo, policy, this.learner, rollout, boot, this.rng);
    this.add('inference', play.time.inference - before.inference + (t4 - t3));
    this.add('env', play.time.env - before.env);
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
      tensors: [...await this.learner.getState(), ...await this.policy.getState()], env: this.env.saveState(), rng: this.rng.getState(),
      shaping: this.terms.map((s) => s.getState()), resets: Array.from(this.play.resets), window: this.window.toJSON(),
    };
  }

  async loadState(s: ShardState): Promise<void> {
    const byName = new Map(s.tensors.map((x) => [x.name, x]));
    await this.learner.setState(byName);
    this.policy.setState(byName);
    this.env.loadState(s.env);
    this.rng.setState(s.rng);
    this.terms.forEach((term, k) => term.setState(s.shaping[k] ?? []));
    this.play.resets.set(s.resets);
    this.window = Window.from(this.cfg.agents, s.window);
  }

  dispose(): void {
    this.rollout.disposeStates();
    this.learner.dispose();
    this.policy.dispose();
    this.env.close();
  }
}

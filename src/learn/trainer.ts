// The training loop: collect a rollout from B environments, learn from it, report, checkpoint, repeat.
// The environments and agents live in shards (./shard.ts): one in this thread, or one per worker
// (src/parallel/), which compute gradients on their own rollouts and apply the same averaged gradients.
// Either way a run is a function of its configuration, seed and worker count: a run resumed from a
// checkpoint writes the same metrics as one that never stopped.
//
// Platform-neutral: files (config.json, metrics.jsonl, checkpoints) go through a RunStore, which Node
// provides (src/hosting/run-dir.ts); in a browser the caller asks for checkpointData() instead.

import { gameInfo } from '../env/games.ts';
import type { VecEnv } from '../env/vec-env.ts';
import { resolveTrainConfig, finalSteps, type TrainConfig } from './config.ts';
import type { UpdateStats } from './learner.ts';
import type { Policy } from './policy/policy.ts';
import { modelOf } from './models/registry.ts';
import { RESUMABLE_VERSIONS, checkForms, type CheckpointData, type LoadedCheckpoint, type SaveHook } from './checkpoint-format.ts';
import { InputError } from '../util/errors.ts';
import { Shard, betaAt, type ShardState } from './shard.ts';
import { Window, round, type MetricsRow, type WindowState } from './window.ts';

export type { MetricsRow } from './window.ts';

const now = () => performance.now() / 1000;
const yieldToEventLoop = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** After every update. totalSteps is where the run ends: the first update boundary at or past cfg.steps
 * (finalSteps), so envSteps reaches it exactly. */
export interface Progress { envSteps: number; totalSteps: number; agentStepsPerS: number; lastReturn: number | null; updates: number }

export interface RunHooks {
  /** Called after every update. */
  onProgress?(p: Progress): void;
  /** Called with each metrics line, after it is written. */
  onReport?(row: MetricsRow): void;
  /** Called after a checkpoint is written. */
  onCheckpoint?(id: string): void;
  /** Polled after every update; returning true saves a checkpoint and stops. */
  shouldStop?(): boolean;
  /** Awaited between two updates: work that needs the shards at rest (e.g. a checkpoint for a download). */
  idle?(): Promise<void> | void;
  /** Test hook passed to checkpoint saves. */
  saveHook?: SaveHook;
}

export interface TrainSummary {
  env_steps: number;
  agent_steps: number;
  updates: number;
  stopped: boolean;
  checkpoint: string | null;
  last: MetricsRow | null;
  best_collective_return: number | null;
  seconds: number;
}

/** The environment shards a trainer drives: one in this thread, or one per worker. */
export interface ShardGroup {
  readonly size: number;
  /** The tfjs backend the shards' learners use. */
  readonly backend: string;
  /** One rollout and one update on every shard; the statistics are averaged over shards. */
  iterate(envSteps: number): Promise<UpdateStats>;
  /** Each shard's metrics window since the last call, in shard order. */
  takeWindows(): Promise<WindowState[]>;
  saveStates(): Promise<ShardState[]>;
  loadStates(states: ShardState[]): Promise<void>;
  close(): Promise<void>;
}

/** The single shard of a run without workers, in this thread. */
export class LocalGroup implements ShardGroup {
  readonly size = 1;
  constructor(readonly shard: Shard) {}
  get backend() { return this.shard.backend; }
  iterate(envSteps: number) { return this.shard.iterate(envSteps); }
  async takeWindows() { return [this.shard.takeWindow()]; }
  async saveStates() { return [await this.shard.saveState()]; }
  async loadStates(states: ShardState[]) { await this.shard.loadState(states[0]); }
  async close() { this.shard.dispose(); }
}

/** Where a run's files go (Node: a run directory). */
export interface RunStore {
  appendMetrics(row: MetricsRow): void;
  saveCheckpoint(data: CheckpointData, hook?: SaveHook): string;
  writeSummary(summary: TrainSummary): void;
  /** Called once the trainer is closed (Node: gives up the run directory's lease). */
  close?(): void;
}

export interface TrainerOptions {
  store?: RunStore;
  /** The shards to drive; default one in this thread. */
  group?: ShardGroup;
  /** Browsers: where the in-thread shard's tfjs wasm backend finds its binaries (see TrainOptions.wasmPaths). */
  wasmPaths?: string;
}

/** Checkpoint tensors of shard i > 0 carry this prefix (shard 0's are stored as a run without workers stores them). */
const shardPrefix = (i: number) => (i === 0 ? '' : `shard${i}/`);

export class Trainer {
  envSteps = 0;
  updates = 0;
  /** Seconds spent in iterations (wall clock, all shards together). */
  busy = 0;
  private nextReport: number;
  private nextCheckpoint: number;
  private window: Window;
  private lastRow: MetricsRow | null = null;
  private best: number | null = null;
  private wall0 = now();

  private constructor(readonly cfg: TrainConfig, readonly group: ShardGroup, readonly store: RunStore | undefined) {
    this.nextReport = cfg.reportEvery;
    this.nextCheckpoint = cfg.checkpointEvery;
    this.window = new Window(cfg.agents);
  }

  /** A new run of `config` (resolved and checked here unless it is already a full TrainConfig). */
  static async start(config: Partial<TrainConfig>, opts: TrainerOptions = {}): Promise<Trainer> {
    const cfg = resolveTrainConfig(config);
    const group = opts.group ?? new LocalGroup(await Shard.create(cfg, 0, 1, { wasmPaths: opts.wasmPaths }));
    return new Trainer(cfg, group, opts.store);
  }

  /** Continues a run from a checkpoint; the group must be built for the checkpoint's configuration. */
  static async restore(cfg: TrainConfig, ckpt: LoadedCheckpoint, opts: TrainerOptions = {}): Promise<Trainer> {
    if (ckpt.manifest.weightsOnly) {
      throw new InputError(`checkpoint: ${ckpt.dir} is a player checkpoint (weights only, for eval, render and the web app's player); it cannot be resumed`);
    }
    if (!RESUMABLE_VERSIONS.includes(ckpt.manifest.formatVersion)) {
      throw new InputError(`checkpoint: ${ckpt.dir} has format version ${ckpt.manifest.formatVersion} (one network per agent, commons 0.1); ` +
        `this version resumes formats ${RESUMABLE_VERSIONS.join(' and ')} only. Its weights still load: eval, render and the web app's player accept it`);
    }
    checkForms(cfg, modelOf(cfg.model), ckpt.manifest, ckpt.dir);
    const t = await Trainer.start(cfg, opts);
    try {
      const s = ckpt.manifest.trainer as {
        nextReport: number; nextCheckpoint: number; best: number | null; window?: WindowState; last?: MetricsRow | null;
        shards?: (Omit<ShardState, 'tensors' | 'env'> & { envBytes: number })[];
        // Checkpoints written before shards existed keep shard 0's state at the top level.
        rng?: number[]; shaping?: number[][]; resets?: number[];
      };
      const parts = s.shards ?? [{ rng: s.rng!, shaping: s.shaping!, resets: s.resets!, window: s.window!, envBytes: ckpt.env.length }];
      if (parts.length !== t.group.size) {
        throw new Error(`checkpoint: ${ckpt.dir} holds ${parts.length} shard(s), this run has ${t.group.size} worker(s)`);
      }
      let off = 0;
      await t.group.loadStates(parts.map((p, i) => {
        const prefix = shardPrefix(i);
        const tensors = ckpt.tensors.filter((x) => (i === 0 ? !/^shard\d+\//.test(x.name) : x.name.startsWith(prefix)))
          .map((x) => ({ ...x, name: x.name.slice(prefix.length) }));
        const env = ckpt.env.subarray(off, off + p.envBytes);
        off += p.envBytes;
        return { tensors, env, rng: p.rng, shaping: p.shaping, resets: p.resets, window: p.window };
      }));
      t.envSteps = ckpt.manifest.envSteps;
      t.updates = ckpt.manifest.updates;
      t.nextReport = s.nextReport;
      t.nextCheckpoint = s.nextCheckpoint;
      if (s.shards && s.window) t.window = Window.from(cfg.agents, s.window);
      t.best = s.best;
      t.lastRow = s.last ?? null;
      return t;
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  /** The in-thread shard of a run without workers (tests and tools reach the agents and envs through it). */
  get local(): Shard {
    if (!(this.group instanceof LocalGroup)) throw new Error('trainer: this run uses workers; its shards live there');
    return this.group.shard;
  }
  get agents(): Policy { return this.local.policy; }
  get env(): VecEnv { return this.local.env; }

  /** The influence reward weight in force at the current step (see betaAt); 0 for models without one. */
  beta(): number {
    return modelOf(this.cfg.model).influenceReward ? betaAt(this.cfg, this.envSteps) : 0;
  }

  /** One rollout and one update on every shard. */
  async iterate(): Promise<UpdateStats> {
    const t0 = now();
    const stats = await this.group.iterate(this.envSteps);
    this.busy += now() - t0;
    this.envSteps += this.cfg.envs * this.cfg.rolloutSteps;
    this.updates++;
    this.window.addUpdate(stats);
    return stats;
  }

  private iterWall = 0;

  /** Writes the metrics line for the stretch since the previous one. */
  private async report(hooks: RunHooks): Promise<void> {
    for (const w of await this.group.takeWindows()) this.window.add(w);
    const c = this.cfg;
    const row = this.window.row(this.envSteps, this.envSteps * c.agents, this.updates, now() - this.wall0, this.busy - this.iterWall,
      this.group.size, modelOf(c.model).measuresInfluence ? { beta: this.beta(), numActions: gameInfo(c.game).actionNames.length, moa: modelOf(c.model).moaMetrics } : {});
    this.iterWall = this.busy;
    this.store?.appendMetrics(row);
    if (row.collective_return !== null) this.best = Math.max(this.best ?? -Infinity, row.collective_return);
    this.lastRow = row;
    this.window = new Window(c.agents);
    this.wall0 = now();
    hooks.onReport?.(row);
  }

  /** Everything needed to continue exactly, as checkpoint data (what a store saves, or a browser downloads). */
  async checkpointData(): Promise<CheckpointData> {
    const cfg = this.cfg;
    const states = await this.group.saveStates();
    const envBytes = states.reduce((n, s) => n + s.env.length, 0);
    const env = new Uint8Array(envBytes);
    let off = 0;
    for (const s of states) {
      env.set(s.env, off);
      off += s.env.length;
    }
    return {
      manifest: {
        game: cfg.game, version: gameInfo(cfg.game).version, model: cfg.model, algo: cfg.algo, agents: cfg.agents,
        ...(modelOf(cfg.model).netForms ? { netForm: cfg.netForm } : {}),
        envs: cfg.envs, shareParams: cfg.shareParams, envSteps: this.envSteps, agentSteps: this.envSteps * cfg.agents,
        updates: this.updates, config: { ...cfg },
        trainer: {
          nextReport: this.nextReport, nextCheckpoint: this.nextCheckpoint, best: this.best, window: this.window.toJSON(), last: this.lastRow,
          shards: states.map((s) => ({ rng: s.rng, shaping: s.shaping, resets: s.resets, window: s.window, envBytes: s.env.length })),
        },
      },
      tensors: states.flatMap((s, i) => s.tensors.map((x) => ({ ...x, name: shardPrefix(i) + x.name }))),
      env,
    };
  }

  /** Saves a checkpoint through the run's store; returns its id. */
  async checkpoint(hooks: RunHooks = {}): Promise<string> {
    if (!this.store) throw new Error('checkpoint: this trainer has no run directory');
    const id = this.store.saveCheckpoint(await this.checkpointData(), hooks.saveHook);
    hooks.onCheckpoint?.(id);
    return id;
  }

  /**
   * Trains until cfg.steps environment steps (or until hooks.shouldStop), then checkpoints and summarises.
   * The run ends at the first update that reaches cfg.steps (finalSteps). A trainer that has nothing left
   * to do (a finished run resumed) writes nothing: its checkpoint and summary.json stay as they are.
   */
  async run(hooks: RunHooks = {}): Promise<TrainSummary> {
    const start = now();
    const steps0 = this.envSteps, busy0 = this.busy;
    const total = Math.max(finalSteps(this.cfg), this.envSteps);
    let stopped = false;
    let lastCheckpoint: string | null = null;
    while (this.envSteps < this.cfg.steps) {
      await this.iterate();
      if (this.envSteps >= this.nextReport) {
        await this.report(hooks);
        while (this.nextReport <= this.envSteps) this.nextReport += this.cfg.reportEvery;
      }
      if (this.store && this.envSteps >= this.nextCheckpoint) {
        while (this.nextCheckpoint <= this.envSteps) this.nextCheckpoint += this.cfg.checkpointEvery;
        lastCheckpoint = await this.checkpoint(hooks);
      }
      const busy = this.busy - busy0;
      hooks.onProgress?.({
        envSteps: this.envSteps, totalSteps: total, updates: this.updates,
        agentStepsPerS: busy > 0 ? ((this.envSteps - steps0) * this.cfg.agents) / busy : 0,
        lastReturn: this.lastRow?.collective_return ?? null,
      });
      // Let the event loop run: signal handlers (Ctrl-C) and piped output are served there.
      await yieldToEventLoop();
      await hooks.idle?.();
      // A stop asked for during the last update changes nothing: the run is complete.
      if (this.envSteps < this.cfg.steps && hooks.shouldStop?.()) { stopped = true; break; }
    }
    const current = `step-${String(this.envSteps).padStart(12, '0')}`;
    if (this.envSteps === steps0) {
      return {
        env_steps: this.envSteps, agent_steps: this.envSteps * this.cfg.agents, updates: this.updates, stopped: false,
        checkpoint: this.store ? current : null, last: this.lastRow, best_collective_return: this.best, seconds: round(now() - start),
      };
    }
    if (this.store && lastCheckpoint !== current) lastCheckpoint = await this.checkpoint(hooks);
    const summary: TrainSummary = {
      env_steps: this.envSteps, agent_steps: this.envSteps * this.cfg.agents, updates: this.updates, stopped,
      checkpoint: lastCheckpoint, last: this.lastRow, best_collective_return: this.best, seconds: round(now() - start),
    };
    if (this.store && !stopped) this.store.writeSummary(summary);
    return summary;
  }

  /** Releases the shards (terminates the workers) and the store. */
  async close(): Promise<void> {
    try {
      await this.group.close();
    } finally {
      this.store?.close?.();
    }
  }

}

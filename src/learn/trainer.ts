// The training loop: collect a rollout from B environments, learn from it, report, checkpoint, repeat.
// Synchronous and single-threaded, so a run is a function of its configuration and seed: a run resumed
// from a checkpoint writes the same metrics as one that never stopped.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVecEnv, type VecEnv, type EpisodeStats } from '../env/vec-env.ts';
import { gameInfo } from '../env/games.ts';
import { Rng } from '../util/rng.ts';
import { InputError } from '../util/errors.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { Agents, measuresInfluence, type UpdateStats } from './agents.ts';
import { createInfluenceKernel, type InfluenceKernel } from '../core/influence.ts';
import { InequityAversion, type ShapingTerm } from './shaping.ts';
import { initBackend } from './tfjs/backend.ts';
import { saveCheckpoint, loadCheckpoint, checkCompatible, type SaveHook } from './checkpoint.ts';
import { readRunConfig } from './run-dir.ts';

/** One line of metrics.jsonl. Fields that depend on wall-clock time are grouped under `timing`. */
export interface MetricsRow {
  env_steps: number;
  agent_steps: number;
  updates: number;
  /** Episodes finished since the previous line; the episode statistics below average over them (null if 0). */
  episodes: number;
  collective_return: number | null;
  returns: number[] | null;
  efficiency: number | null;
  equality: number | null;
  sustainability: number | null;
  peace: number | null;
  apples_eaten: number | null;
  fire_actions: number | null;
  clean_actions: number | null;
  hits: number | null;
  /** Mean over the updates since the previous line. */
  policy_loss: number;
  value_loss: number;
  entropy: number;
  grad_norm: number;
  /** Influence models: mean c_kj per ordered pair [k][j] over the agent-steps since the previous line,
   * their total (mean over steps of the sum over pairs, per env), and the beta in force at the end. */
  influence?: { matrix: number[][]; total: number; beta: number };
  /** influence.total, at the top level for plotting (null for models without influence). */
  influence_total: number | null;
  /** MOA models: cross-entropy and accuracy of the next-action predictions, beside chance (log A, 1/A). */
  moa?: { loss: number; accuracy: number | null; chance_loss: number; chance_accuracy: number };
  timing: { agent_steps_per_s: number; env_s: number; inference_s: number; update_s: number; wall_s: number };
}

class Window {
  episodes = 0;
  sums = { collective: 0, efficiency: 0, peace: 0, apples: 0, fires: 0, cleans: 0, hits: 0, equality: 0, sustainability: 0 };
  counts = { equality: 0, sustainability: 0 };
  returns: number[];
  updates = 0;
  loss = { policy: 0, value: 0, entropy: 0, grad: 0 };
  time = { env: 0, inference: 0, update: 0 };
  agentSteps = 0;
  influence: number[];
  influenceSteps = 0;
  moa = { loss: 0, correct: 0, counted: 0 };

  constructor(readonly agents: number) {
    this.returns = new Array(agents).fill(0);
    this.influence = new Array(agents * agents).fill(0);
  }

  /** Adds one step of pairwise influence ckj [B, N, N] over B envs. */
  addInfluence(ckj: Float32Array, B: number) {
    const NN = this.agents * this.agents;
    for (let b = 0; b < B; b++) for (let k = 0; k < NN; k++) this.influence[k] += ckj[b * NN + k];
    this.influenceSteps += B;
  }

  addEpisode(s: EpisodeStats) {
    const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
    this.episodes++;
    this.sums.collective += s.collectiveReturn;
    this.sums.efficiency += s.efficiency;
    this.sums.peace += s.peace;
    this.sums.apples += sum(s.applesEaten);
    this.sums.fires += sum(s.fireActions);
    this.sums.cleans += sum(s.cleanActions);
    this.sums.hits += sum(s.hitsReceived);
    if (s.equality !== null) { this.sums.equality += s.equality; this.counts.equality++; }
    if (s.sustainability !== null) { this.sums.sustainability += s.sustainability; this.counts.sustainability++; }
    s.returns.forEach((r, i) => (this.returns[i] += r));
  }

  addUpdate(u: UpdateStats) {
    this.updates++;
    this.loss.policy += u.policyLoss;
    this.loss.value += u.valueLoss;
    this.loss.entropy += u.entropy;
    this.loss.grad += u.gradNorm;
    if (u.moaLoss !== undefined) {
      this.moa.loss += u.moaLoss;
      this.moa.correct += u.moaCorrect ?? 0;
      this.moa.counted += u.moaCounted ?? 0;
    }
  }

  row(envSteps: number, agentSteps: number, updates: number, wall: number, extra: { beta?: number; numActions?: number; moa?: boolean } = {}): MetricsRow {
    const e = this.episodes;
    const per = (x: number) => (e ? x / e : null);
    const u = Math.max(this.updates, 1);
    const busy = this.time.env + this.time.inference + this.time.update;
    return {
      env_steps: envSteps, agent_steps: agentSteps, updates, episodes: e,
      collective_return: per(this.sums.collective), returns: e ? this.returns.map((r) => r / e) : null,
      efficiency: per(this.sums.efficiency),
      equality: this.counts.equality ? this.sums.equality / this.counts.equality : null,
      sustainability: this.counts.sustainability ? this.sums.sustainability / this.counts.sustainability : null,
      peace: per(this.sums.peace), apples_eaten: per(this.sums.apples), fire_actions: per(this.sums.fires),
      clean_actions: per(this.sums.cleans), hits: per(this.sums.hits),
      policy_loss: this.loss.policy / u, value_loss: this.loss.value / u, entropy: this.loss.entropy / u, grad_norm: this.loss.grad / u,
      influence_total: extra.beta !== undefined && this.influenceSteps ? this.influence.reduce((a, x) => a + x, 0) / this.influenceSteps : null,
      ...(extra.beta !== undefined ? {
        influence: {
          matrix: Array.from({ length: this.agents }, (_, k) => Array.from({ length: this.agents }, (_, j) =>
            this.influenceSteps ? this.influence[k * this.agents + j] / this.influenceSteps : 0)),
          total: this.influenceSteps ? this.influence.reduce((a, x) => a + x, 0) / this.influenceSteps : 0,
          beta: extra.beta,
        },
      } : {}),
      ...(extra.moa ? {
        moa: {
          loss: this.moa.loss / u, accuracy: this.moa.counted ? this.moa.correct / this.moa.counted : null,
          chance_loss: Math.log(extra.numActions!), chance_accuracy: 1 / extra.numActions!,
        },
      } : {}),
      timing: {
        agent_steps_per_s: busy > 0 ? Math.round(this.agentSteps / busy) : 0,
        env_s: round(this.time.env), inference_s: round(this.time.inference), update_s: round(this.time.update), wall_s: round(wall),
      },
    };
  }

  toJSON() {
    return {
      episodes: this.episodes, sums: this.sums, counts: this.counts, returns: this.returns, updates: this.updates, loss: this.loss,
      influence: this.influence, influenceSteps: this.influenceSteps, moa: this.moa,
    };
  }

  static from(agents: number, o: ReturnType<Window['toJSON']>): Window {
    const w = new Window(agents);
    Object.assign(w, {
      episodes: o.episodes, sums: { ...o.sums }, counts: { ...o.counts }, returns: [...o.returns], updates: o.updates, loss: { ...o.loss },
      influence: [...o.influence], influenceSteps: o.influenceSteps, moa: { ...o.moa },
    });
    return w;
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const now = () => performance.now() / 1000;

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

export class Trainer {
  envSteps = 0;
  updates = 0;
  /** Seconds spent since creation in environment steps, in acting (inference) and in updates. */
  readonly time = { env: 0, inference: 0, update: 0 };
  private nextReport: number;
  private nextCheckpoint: number;
  private resets: Uint8Array;
  private window: Window;
  private shaped: Float32Array;
  private lastRow: MetricsRow | null = null;
  private best: number | null = null;
  private wall0 = now();

  private readonly ck: Float32Array;
  private readonly ckj: Float32Array;
  private readonly bonus: Float32Array;

  private constructor(readonly cfg: TrainConfig, readonly env: VecEnv, readonly agents: Agents, readonly rng: Rng,
    readonly shaping: ShapingTerm[], readonly runDir: string | undefined, readonly kernel?: InfluenceKernel) {
    this.ck = new Float32Array(cfg.envs * cfg.agents);
    this.ckj = new Float32Array(cfg.envs * cfg.agents * cfg.agents);
    this.bonus = new Float32Array(cfg.envs * cfg.agents);
    this.nextReport = cfg.reportEvery;
    this.nextCheckpoint = cfg.checkpointEvery;
    this.resets = new Uint8Array(cfg.envs).fill(1);
    this.window = new Window(cfg.agents);
    this.shaped = new Float32Array(cfg.envs * cfg.agents);
  }

  /** A new run. With `runDir`, writes config.json there (the directory must not hold a run already). */
  static async create(partial: Partial<TrainConfig>, runDir?: string): Promise<Trainer> {
    const cfg = resolveTrainConfig(partial);
    if (runDir !== undefined) {
      if (existsSync(join(runDir, 'config.json'))) {
        throw new InputError(`--out: ${runDir} already holds a run; continue it with --resume ${runDir} or choose another directory`);
      }
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...cfg, version: gameInfo(cfg.game).version }, null, 2));
      writeFileSync(join(runDir, 'metrics.jsonl'), '');
    }
    return Trainer.build(cfg, runDir);
  }

  /** Continues the run in `runDir` from its latest checkpoint (optionally with a new step budget). */
  static async resume(runDir: string, overrides: { steps?: number } = {}): Promise<Trainer> {
    const cfg = readRunConfig(runDir, '--resume', overrides.steps !== undefined ? { steps: overrides.steps } : {});
    const ckpt = loadCheckpoint(runDir);
    checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
    const t = await Trainer.build(cfg, runDir);
    await t.agents.setState(ckpt.tensors);
    t.env.loadState(ckpt.env);
    const s = ckpt.manifest.trainer as {
      rng: number[]; shaping: number[][]; resets: number[]; nextReport: number; nextCheckpoint: number;
      window: ReturnType<Window['toJSON']>; best: number | null;
    };
    t.envSteps = ckpt.manifest.envSteps;
    t.updates = ckpt.manifest.updates;
    t.rng.setState(s.rng);
    t.shaping.forEach((term, k) => term.setState(s.shaping[k]));
    t.resets.set(s.resets);
    t.nextReport = s.nextReport;
    t.nextCheckpoint = s.nextCheckpoint;
    t.window = Window.from(cfg.agents, s.window);
    t.best = s.best;
    // Lines written after the checkpoint belong to the lost stretch: drop them, they will be written again.
    const mpath = join(runDir, 'metrics.jsonl');
    if (existsSync(mpath)) {
      const kept = readFileSync(mpath, 'utf8').split('\n').filter((l) => l.trim() && JSON.parse(l).env_steps <= t.envSteps);
      writeFileSync(mpath, kept.map((l) => l + '\n').join(''));
    }
    return t;
  }

  private static async build(cfg: TrainConfig, runDir: string | undefined): Promise<Trainer> {
    await initBackend(cfg.backend);
    const env = await createVecEnv({
      game: cfg.game, numEnvs: cfg.envs, numAgents: cfg.agents, seed: cfg.seed, map: cfg.map,
      viewRadius: cfg.viewRadius, episodeLength: cfg.episodeLength,
    });
    const agents = new Agents(cfg, env.spec.numActions, cfg.envs, cfg.agents);
    const shaping: ShapingTerm[] = cfg.model === 'inequity-aversion'
      ? [new InequityAversion(cfg.envs, cfg.agents, { alpha: cfg.iaAlpha, beta: cfg.iaBeta })]
      : [];
    const kernel = measuresInfluence(cfg.model) ? await createInfluenceKernel() : undefined;
    return new Trainer(cfg, env, agents, new Rng(cfg.seed, 1), shaping, runDir, kernel);
  }

  /** Test hook: called after the agents choose actions [B*N] and before anything uses them, e.g. to script
   * an agent's behaviour. Not used by the command line. */
  script?: (actions: Uint8Array, t: number) => void;

  /** The influence reward weight in force at the current step: 0 until influenceStart, then a linear ramp
   * to influenceBeta at influenceEnd; always 0 for models without an influence reward. */
  beta(): number {
    const c = this.cfg;
    if (c.model !== 'influence-moa' && c.model !== 'influence' && c.model !== 'influence-comm') return 0;
    if (this.envSteps < c.influenceStart) return 0;
    if (this.envSteps >= c.influenceEnd || c.influenceEnd === c.influenceStart) return c.influenceBeta;
    return (c.influenceBeta * (this.envSteps - c.influenceStart)) / (c.influenceEnd - c.influenceStart);
  }

  /** One rollout and one update. */
  iterate(): UpdateStats {
    const { env, agents, cfg } = this;
    const B = cfg.envs;
    agents.beginRollout();
    let obs: Uint8Array = env.internals.views.obs;
    for (let t = 0; t < cfg.rolloutSteps; t++) {
      const t0 = now();
      agents.act(obs, this.resets, this.rng, env.actions, { record: true });
      this.script?.(env.actions, this.envSteps / B + t);
      if (this.kernel) {
        agents.influence(env.actions, env.internals.views.visible, this.kernel, this.ck, this.ckj);
        this.window.addInfluence(this.ckj, B);
      }
      const t1 = now();
      const r = env.step();
      const t2 = now();
      this.shaped.set(r.rewards);
      for (const term of this.shaping) term.apply(r.rewards, r.dones, this.shaped);
      const beta = this.beta();
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
      const inference = t1 - t0 + (now() - t2);
      this.window.time.inference += inference;
      this.time.inference += inference;
      this.window.time.env += t2 - t1;
      this.time.env += t2 - t1;
    }
    const t3 = now();
    const bootstrap = agents.bootstrapValues(obs, this.resets);
    const t4 = now();
    const stats = agents.update(bootstrap, this.rng);
    const t5 = now();
    this.window.time.inference += t4 - t3;
    this.time.inference += t4 - t3;
    this.window.time.update += t5 - t4;
    this.time.update += t5 - t4;
    this.envSteps += B * cfg.rolloutSteps;
    this.window.agentSteps += B * cfg.rolloutSteps * cfg.agents;
    this.updates++;
    this.window.addUpdate(stats);
    return stats;
  }

  /** Writes the metrics line for the stretch since the previous one. */
  private report(hooks: RunHooks): void {
    const row = this.window.row(this.envSteps, this.envSteps * this.cfg.agents, this.updates, now() - this.wall0,
      this.kernel ? { beta: this.beta(), numActions: this.env.spec.numActions, moa: Boolean(this.agents.moa) } : {});
    if (this.runDir) appendFileSync(join(this.runDir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
    if (row.collective_return !== null) this.best = Math.max(this.best ?? -Infinity, row.collective_return);
    this.lastRow = row;
    this.window = new Window(this.cfg.agents);
    this.wall0 = now();
    hooks.onReport?.(row);
  }

  /** Saves a checkpoint of everything needed to continue exactly; returns its id. */
  async checkpoint(hooks: RunHooks = {}): Promise<string> {
    if (!this.runDir) throw new Error('checkpoint: this trainer has no run directory');
    const cfg = this.cfg;
    const id = saveCheckpoint(this.runDir, {
      manifest: {
        game: cfg.game, version: gameInfo(cfg.game).version, model: cfg.model, algo: cfg.algo, agents: cfg.agents,
        envs: cfg.envs, shareParams: cfg.shareParams, envSteps: this.envSteps, agentSteps: this.envSteps * cfg.agents,
        updates: this.updates, config: { ...cfg },
        trainer: {
          rng: this.rng.getState(), shaping: this.shaping.map((s) => s.getState()), resets: Array.from(this.resets),
          nextReport: this.nextReport, nextCheckpoint: this.nextCheckpoint, window: this.window.toJSON(), best: this.best,
        },
      },
      tensors: await this.agents.getState(),
      env: this.env.saveState(),
    }, hooks.saveHook);
    hooks.onCheckpoint?.(id);
    return id;
  }

  /** Trains until cfg.steps environment steps (or until hooks.shouldStop), then checkpoints and summarises. */
  async run(hooks: RunHooks = {}): Promise<TrainSummary> {
    const start = now();
    const steps0 = this.envSteps, time0 = { ...this.time };
    let stopped = false;
    let lastCheckpoint: string | null = null;
    while (this.envSteps < this.cfg.steps) {
      this.iterate();
      if (this.envSteps >= this.nextReport) {
        this.report(hooks);
        while (this.nextReport <= this.envSteps) this.nextReport += this.cfg.reportEvery;
      }
      if (this.runDir && this.envSteps >= this.nextCheckpoint) {
        while (this.nextCheckpoint <= this.envSteps) this.nextCheckpoint += this.cfg.checkpointEvery;
        lastCheckpoint = await this.checkpoint(hooks);
      }
      const busy = this.time.env + this.time.inference + this.time.update - time0.env - time0.inference - time0.update;
      hooks.onProgress?.({
        envSteps: this.envSteps, totalSteps: this.cfg.steps, updates: this.updates,
        agentStepsPerS: busy > 0 ? ((this.envSteps - steps0) * this.cfg.agents) / busy : 0,
        lastReturn: this.lastRow?.collective_return ?? null,
      });
      // Let the event loop run: signal handlers (Ctrl-C) and piped output are served there.
      await new Promise((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) { stopped = true; break; }
    }
    if (this.runDir && lastCheckpoint !== `step-${String(this.envSteps).padStart(12, '0')}`) lastCheckpoint = await this.checkpoint(hooks);
    const summary: TrainSummary = {
      env_steps: this.envSteps, agent_steps: this.envSteps * this.cfg.agents, updates: this.updates, stopped,
      checkpoint: lastCheckpoint, last: this.lastRow, best_collective_return: this.best, seconds: round(now() - start),
    };
    if (this.runDir && !stopped) writeFileSync(join(this.runDir, 'summary.json'), JSON.stringify(summary, null, 2));
    return summary;
  }

  dispose(): void {
    this.agents.dispose();
    this.env.close();
  }
}

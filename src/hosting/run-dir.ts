// A run directory: config.json (every setting, the game's and the code's versions), metrics.jsonl,
// checkpoints/, summary.json. Node only: the trainer itself is platform-neutral and writes through the
// RunStore made here.

import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { ensureDir, fsReason, isEmptyDir } from '../util/node-paths.ts';
import { codeVersion } from '../util/code-version.ts';
import { gameInfo } from '../env/games.ts';
import { resolveTrainConfig, resolveStoredConfig, type TrainConfig } from '../learn/config.ts';
import {
  saveCheckpoint, loadCheckpoint, checkCompatible, pruneCheckpoints, cleanStaleTemp, loadNewestIntact, loadCheckpointArchive,
  writeFileDurable, isArchivePath,
} from './checkpoint.ts';
import type { LoadedCheckpoint } from '../learn/checkpoint-format.ts';
import { Trainer, type RunStore, type ShardGroup } from '../learn/trainer.ts';
import { WorkerGroup } from '../parallel/group.ts';
import { Policy } from '../learn/policy/policy.ts';
import { loadWeights } from '../learn/learner.ts';
import { initBackend } from '../learn/tfjs/backend.ts';
import { spawnNodeWorkers } from '../parallel/node.ts';

/** Fields of config.json that describe the run's provenance rather than settings. */
const PROVENANCE = ['version', 'code'] as const;

/** Reads and checks RUN/config.json; `flag` names the option that pointed at the run, for errors. */
export function readRunConfig(runDir: string, flag: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const cpath = join(runDir, 'config.json');
  if (!existsSync(runDir)) throw new InputError(`${flag}: ${runDir} does not exist`);
  if (!statSync(runDir).isDirectory()) throw new InputError(`${flag}: ${runDir} is a file, not a run directory (a checkpoint archive goes to --resume with --out)`);
  if (!existsSync(cpath)) throw new InputError(`${flag}: ${runDir} holds no run (no config.json)`);
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(cpath, 'utf8'));
  } catch (e) {
    throw new InputError(`${flag}: ${cpath} is corrupt (${(e as Error).message})`);
  }
  for (const k of PROVENANCE) delete saved[k];
  return resolveStoredConfig(saved as Partial<TrainConfig>, overrides);
}

/** Writes config.json for `cfg` (atomically: a crash leaves the old file or the new one). */
function writeRunConfig(runDir: string, cfg: TrainConfig): void {
  const path = join(runDir, 'config.json');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileDurable(tmp, JSON.stringify({ ...cfg, version: gameInfo(cfg.game).version, code: codeVersion() }, null, 2) + '\n');
  renameSync(tmp, path);
}

/** Writes a run's files into runDir, keeping the newest `keep` checkpoints (and marked ones). */
export class DirStore implements RunStore {
  constructor(readonly dir: string, public keep = 0) {}
  appendMetrics(row: object): void {
    appendFileSync(join(this.dir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
  }
  saveCheckpoint(...args: Parameters<RunStore['saveCheckpoint']>): string {
    const id = saveCheckpoint(this.dir, ...args);
    pruneCheckpoints(this.dir, this.keep);
    return id;
  }
  writeSummary(summary: object): void {
    const path = join(this.dir, 'summary.json');
    writeFileDurable(`${path}.${process.pid}.tmp`, JSON.stringify(summary, null, 2) + '\n');
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
}

/** The shards for cfg: Node workers when cfg.workers > 0, else none (the trainer makes one in this thread).
 * COMMONS_EXCHANGE=main-thread sends the workers' gradients through this thread (the exchange before shared
 * memory, and the browser's fallback): the same results, for comparing speeds. */
async function shardsFor(cfg: TrainConfig): Promise<ShardGroup | undefined> {
  if (cfg.workers === 0) return undefined;
  const mode = process.env.COMMONS_EXCHANGE || undefined;
  if (mode !== undefined && mode !== 'shared' && mode !== 'main-thread') {
    throw new InputError(`COMMONS_EXCHANGE: unknown value '${mode}'; allowed values: shared, main-thread`);
  }
  return WorkerGroup.start(cfg, await spawnNodeWorkers(cfg.workers), {}, { exchange: mode });
}

/** Makes `runDir` ready for a new run: created if missing; refused if it is a file, holds a run already, or
 * holds other files. `flag` names the option, for errors. */
function prepareNewRunDir(runDir: string, flag: string, allow: (name: string) => boolean = () => false): void {
  if (existsSync(join(runDir, 'config.json'))) {
    throw new InputError(`${flag}: ${runDir} already holds a run; continue it with --resume ${runDir} or choose another directory`);
  }
  ensureDir(flag, runDir);
  if (readdirSync(runDir).some((f) => !allow(f))) throw new InputError(`${flag}: ${runDir} is not empty and holds no run; choose a new or empty directory`);
  try {
    writeFileSync(join(runDir, 'metrics.jsonl'), '');
  } catch (e) {
    throw new InputError(`${flag}: cannot write into ${runDir}: ${fsReason(e)}`);
  }
}

/** A new run. With `runDir`, writes config.json there (the directory must be new or empty). */
export async function createTrainer(partial: Partial<TrainConfig>, runDir?: string, opts: { allowFiles?: (name: string) => boolean } = {}): Promise<Trainer> {
  const cfg = resolveTrainConfig(partial);
  if (runDir === undefined) return Trainer.start(cfg, { group: await shardsFor(cfg) });
  const existed = existsSync(runDir);
  prepareNewRunDir(runDir, '--out', opts.allowFiles);
  writeRunConfig(runDir, cfg);
  try {
    return await Trainer.start(cfg, { store: new DirStore(runDir, cfg.keep), group: await shardsFor(cfg) });
  } catch (e) {
    // A run that could not start (a map with too few spawn points, a backend missing here) leaves no run
    // behind: the same command works once the cause is fixed.
    for (const f of ['config.json', 'metrics.jsonl']) rmSync(join(runDir, f), { force: true });
    if (!existed && isEmptyDir(runDir)) rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
}

/** What --resume may change: the budget, how many checkpoints to keep, and which checkpoint to start from. */
export interface ResumeOptions {
  steps?: number;
  keep?: number;
  /** A checkpoint id (step-...); default the newest that loads. */
  checkpoint?: string;
  /** Hears what resuming had to work around (a corrupt checkpoint passed over, leftovers cleaned). */
  log?: (line: string) => void;
}

/** A run directory opened for resuming: its settings (with the overrides) and the checkpoint to start from. */
export interface OpenRun { dir: string; cfg: TrainConfig; ckpt: LoadedCheckpoint }

/**
 * Reads the run in `runDir` and picks its checkpoint: opts.checkpoint, or the newest that loads (a corrupt
 * newest one is passed over, and opts.log says so). Changes nothing on disk but leftovers of interrupted saves.
 */
export function openRun(runDir: string, opts: ResumeOptions = {}): OpenRun {
  const log = opts.log ?? (() => {});
  const overrides: Partial<TrainConfig> = {};
  if (opts.steps !== undefined) overrides.steps = opts.steps;
  if (opts.keep !== undefined) overrides.keep = opts.keep;
  const cfg = readRunConfig(runDir, '--resume', overrides);
  // A run written before checkpoints were pruned keeps every checkpoint unless told otherwise: resuming it
  // must not delete what it kept so far.
  if (opts.keep === undefined && !('keep' in JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')))) {
    cfg.keep = 0;
    log(`${runDir} predates checkpoint pruning: all its checkpoints are kept (give --keep K to keep only the newest K)`);
  }
  const stale = cleanStaleTemp(runDir);
  if (stale.length) log(`removed ${stale.length} unfinished file(s) an interrupted checkpoint save left in ${join(runDir, 'checkpoints')}: ${stale.join(', ')}`);
  const ckpt = opts.checkpoint !== undefined
    ? loadCheckpoint(runDir, opts.checkpoint)
    : loadNewestIntact(runDir, (id, why) => log(`checkpoint ${id} cannot be used (${why}); trying the one before it`));
  checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
  return { dir: runDir, cfg, ckpt };
}

/** Continues an opened run. The worker count is the run's own: the environments were split that way. */
export async function resumeOpened(run: OpenRun, log: (line: string) => void = () => {}): Promise<Trainer> {
  const { dir: runDir, cfg, ckpt } = run;
  const t = await Trainer.restore(cfg, ckpt, { store: new DirStore(runDir, cfg.keep), group: await shardsFor(cfg) });
  writeRunConfig(runDir, cfg);
  // Lines written after the checkpoint belong to the lost stretch: drop them, they will be written again. So
  // do lines that do not parse: a write cut short by a crash.
  const mpath = join(runDir, 'metrics.jsonl');
  if (existsSync(mpath)) {
    const kept: string[] = [];
    const bad: number[] = [];
    readFileSync(mpath, 'utf8').split('\n').forEach((l, i) => {
      if (!l.trim()) return;
      let row: unknown;
      try {
        row = JSON.parse(l);
      } catch {
        bad.push(i + 1);
        return;
      }
      const steps = (row as { env_steps?: unknown })?.env_steps;
      if (typeof steps !== 'number') bad.push(i + 1);
      else if (steps <= t.envSteps) kept.push(l);
    });
    if (bad.length) log(`${mpath}: dropped ${bad.length} unreadable line(s) (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}), left by a write cut short`);
    const tmp = `${mpath}.${process.pid}.tmp`;
    writeFileDurable(tmp, kept.map((l) => l + '\n').join(''));
    renameSync(tmp, mpath);
  }
  return t;
}

/** Continues the run in `runDir` from its newest intact checkpoint (or opts.checkpoint), optionally with a
 * new step budget. */
export async function resumeTrainer(runDir: string, opts: ResumeOptions = {}): Promise<Trainer> {
  return resumeOpened(openRun(runDir, opts), opts.log);
}

/**
 * A new run directory `runDir` continuing from a checkpoint archive (a .tar, as the web app downloads): the
 * settings come from the archive, the checkpoint is stored as the run's first, and metrics.jsonl starts empty.
 */
export function adoptArchive(archive: string, runDir: string, opts: Omit<ResumeOptions, 'checkpoint'> = {}): OpenRun {
  const ckpt = loadCheckpointArchive(archive);
  const m = ckpt.manifest;
  if (m.weightsOnly) throw new InputError(`--resume: ${archive} is a player checkpoint (weights only, for eval, render and the web app's player); it cannot be resumed`);
  const saved = { ...(m.config as Record<string, unknown>) };
  for (const k of PROVENANCE) delete saved[k];
  const cfg = resolveStoredConfig(saved as Partial<TrainConfig>, {
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}), ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
  });
  checkCompatible(m, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, archive);
  prepareNewRunDir(runDir, '--out');
  writeRunConfig(runDir, cfg);
  saveCheckpoint(runDir, { manifest: m, tensors: ckpt.tensors, env: ckpt.env });
  return { dir: runDir, cfg, ckpt: loadCheckpoint(runDir) };
}

/**
 * A trained policy's source for evaluation: a run directory (its checkpoint `checkpoint`, or the newest that
 * loads) or a checkpoint archive (.tar, as the web app downloads), with the settings it was trained with.
 * `flag` names the option, for errors.
 */
export function policySource(path: string, opts: { checkpoint?: string; flag?: string; log?: (line: string) => void } = {}): { cfg: TrainConfig; ckpt: LoadedCheckpoint } {
  const flag = opts.flag ?? '--run';
  if (isArchivePath(path)) {
    if (opts.checkpoint !== undefined) throw new InputError(`--checkpoint: ${path} is a checkpoint archive, which holds one checkpoint`);
    const ckpt = loadCheckpointArchive(path);
    const saved = { ...(ckpt.manifest.config as Record<string, unknown>) };
    for (const k of PROVENANCE) delete saved[k];
    // A browser's run may have used WebGPU; evaluation here runs on WASM unless it was the cpu backend.
    const cfg = resolveStoredConfig(saved as Partial<TrainConfig>, { backend: saved.backend === 'cpu' ? 'cpu' : 'wasm' });
    checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, path);
    return { cfg, ckpt };
  }
  const cfg = readRunConfig(path, flag);
  const ckpt = opts.checkpoint !== undefined
    ? loadCheckpoint(path, opts.checkpoint)
    : loadNewestIntact(path, (id, why) => opts.log?.(`checkpoint ${id} cannot be used (${why}); trying the one before it`));
  checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
  return { cfg, ckpt };
}

/** Loads a run's configuration and the weights of one checkpoint (default: the newest that loads) for
 * evaluation; `runDir` may also be a checkpoint archive (.tar). */
export async function loadPolicy(runDir: string, opts: { checkpoint?: string; batch: number; log?: (line: string) => void }) {
  const { cfg, ckpt } = policySource(runDir, opts);
  await initBackend(cfg.backend);
  const agents = new Policy(cfg, gameInfo(cfg.game).actionNames.length, opts.batch, cfg.agents);
  loadWeights(agents, ckpt);
  return { cfg, agents, checkpoint: ckpt.manifest.id, envSteps: ckpt.manifest.envSteps };
}

// A run directory: config.json (every setting, the game's and the code's versions), metrics.jsonl,
// checkpoints/, summary.json. Node only: the trainer itself is platform-neutral and writes through the
// RunStore made here.

import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { ensureDir, fsReason, isEmptyDir, withPath } from '../util/node-paths.ts';
import { codeVersion } from '../util/code-version.ts';
import { gameInfo } from '../env/games.ts';
import { resolveTrainConfig, resolveStoredConfig, CONFIG_KEYS, type TrainConfig } from '../learn/config.ts';
import {
  saveCheckpoint, loadCheckpoint, checkCompatible, pruneCheckpoints, cleanRunTemp, loadNewestIntact, loadCheckpointArchive,
  writeFileDurable, isArchivePath, fsyncFile,
} from './checkpoint.ts';
import type { LoadedCheckpoint, SaveHook } from '../learn/checkpoint-format.ts';
import { Trainer, type RunStore, type ShardGroup } from '../learn/trainer.ts';
import { WorkerGroup } from '../parallel/group.ts';
import { Policy } from '../learn/policy/policy.ts';
import { loadWeights } from '../learn/learner.ts';
import { initBackend } from '../learn/tfjs/backend.ts';
import { spawnNodeWorkers } from '../parallel/node.ts';
import { Lease, LeaseHeld } from './lease.ts';

/** Fields of config.json that describe the run's provenance rather than settings. */
const PROVENANCE = ['version', 'code'] as const;

/** The lease every writer of a run directory takes (./lease.ts): its time to live and heartbeat. A holder
 * that stops renewing it for the time to live (frozen, or cut off from a shared store) loses the run to the
 * next process that asks for it; one that dies on this host loses it at once. */
export const LEASE_TTL_MS = 60_000;
export const LEASE_HEARTBEAT_MS = 10_000;

/** Files of the lease in a run directory (a directory holding only these is still empty). */
export const isLeaseFile = (name: string) => /^lease(?:-[0-9a-z]+\.beat(?:\.\d+\.tmp)?|\.takeover)?$/i.test(name);

/**
 * Takes the lease on runDir (an existing directory) for this process and renews it in the background until
 * it is released. Refuses with one line naming the holder (LeaseHeld: exit status 2 on the command line)
 * when another live process holds it. Removes what earlier writers left half-written (they died, or lost
 * the lease): returned as `cleaned`, paths in the run directory. `flag` names the option, for errors.
 */
export function takeRunLease(runDir: string, flag: string, opts: { ttlMs?: number; heartbeatMs?: number } = {}): { lease: Lease; cleaned: string[] } {
  let got;
  try {
    got = Lease.acquire(runDir, opts.ttlMs ?? LEASE_TTL_MS, { via: flag });
  } catch (e) {
    throw new InputError(`${flag}: cannot take the lease on ${runDir}: ${fsReason(e)}`);
  }
  if (!got.ok) throw new LeaseHeld(flag, runDir, got.holder, got.retryInMs);
  const lease = got.lease;
  try {
    const cleaned = cleanRunTemp(runDir);
    lease.keepAlive(opts.heartbeatMs ?? LEASE_HEARTBEAT_MS);
    return { lease, cleaned };
  } catch (e) {
    lease.release();
    throw e;
  }
}

/** Checks that `runDir` is a directory holding a run (config.json), for a command that continues or reads it. */
function checkRunDir(runDir: string, flag: string): void {
  if (!existsSync(runDir)) throw new InputError(`${flag}: ${runDir} does not exist`);
  if (!statSync(runDir).isDirectory()) throw new InputError(`${flag}: ${runDir} is a file, not a run directory (a checkpoint archive goes to --resume with --out)`);
  if (!existsSync(join(runDir, 'config.json'))) throw new InputError(`${flag}: ${runDir} holds no run (no config.json)`);
}

/** RUN/config.json as written, without its provenance: an object, or an InputError naming the file. */
function readRawConfig(runDir: string, flag: string): Record<string, unknown> {
  const cpath = join(runDir, 'config.json');
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(cpath, 'utf8'));
  } catch (e) {
    throw new InputError(`${flag}: ${cpath} is corrupt (${(e as NodeJS.ErrnoException).code ? fsReason(e) : (e as Error).message})`);
  }
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) {
    throw new InputError(`${flag}: ${cpath} is corrupt: expected a JSON object of settings, got ${JSON.stringify(saved)}`);
  }
  const raw = { ...(saved as Record<string, unknown>) };
  for (const k of PROVENANCE) delete raw[k];
  return raw;
}

/** Reads and checks RUN/config.json; `flag` names the option that pointed at the run, for errors. */
export function readRunConfig(runDir: string, flag: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  checkRunDir(runDir, flag);
  return resolveRunConfig(runDir, readRawConfig(runDir, flag), flag, overrides);
}

/** The settings of RUN/config.json as read (`raw`), with the overrides; errors name the file. */
function resolveRunConfig(runDir: string, raw: Record<string, unknown>, flag: string, overrides: Partial<TrainConfig>): TrainConfig {
  try {
    return resolveStoredConfig(raw as Partial<TrainConfig>, overrides);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${flag}: ${join(runDir, 'config.json')}: ${e.message}`);
    throw e;
  }
}

/** Settings a resumed run may change from those its checkpoint was trained with: the budget, the report and
 * checkpoint intervals, the checkpoints kept, and its name and tags. None changes what is trained. */
export const RESUMABLE_CHANGES: readonly (keyof TrainConfig)[] = ['steps', 'reportEvery', 'checkpointEvery', 'keep', 'name', 'tags'];

const shown = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Refuses a resume whose settings (config.json with the overrides, resolved as `cfg`) disagree with those the
 * checkpoint was trained with (its manifest holds the whole configuration): one line naming the first
 * setting that differs and both values. Settings of RESUMABLE_CHANGES may differ; a setting the manifest
 * lacks (a checkpoint older than the setting) is not compared. `raw` is config.json as written: a setting
 * the manifest has and config.json lacks is refused too (the file was damaged), unless an override gives it.
 */
export function checkAgainstCheckpoint(cfg: TrainConfig, raw: Record<string, unknown>, overrides: Partial<TrainConfig>, ckpt: LoadedCheckpoint, cpath: string, flag: string): void {
  const trained = ckpt.manifest.config;
  if (!trained || typeof trained !== 'object') return;
  const id = ckpt.manifest.id;
  const allowed = `a resumed run keeps its settings; only ${RESUMABLE_CHANGES.join(', ')} may change`;
  for (const key of CONFIG_KEYS) {
    if (!(key in trained)) continue;
    if (!(key in raw) && !(key in overrides)) {
      throw new InputError(`${flag}: ${cpath} lacks the setting ${key} (checkpoint ${id} was trained with ${key} ${shown(trained[key])}): the file is damaged; restore it (or write ${key}: ${shown(trained[key])} into it)`);
    }
    if (RESUMABLE_CHANGES.includes(key)) continue;
    if (!same(cfg[key], trained[key])) {
      throw new InputError(`${flag}: ${cpath} does not match checkpoint ${id}: ${key} is ${shown(cfg[key])} in config.json, ${shown(trained[key])} in the checkpoint (${allowed})`);
    }
  }
}

/** Writes config.json for `cfg` (atomically: a crash leaves the old file or the new one). */
function writeRunConfig(runDir: string, cfg: TrainConfig, lease?: Lease): void {
  const path = join(runDir, 'config.json');
  const tmp = `${path}.${process.pid}.tmp`;
  lease?.check();
  writeFileDurable(tmp, JSON.stringify({ ...cfg, version: gameInfo(cfg.game).version, code: codeVersion() }, null, 2) + '\n');
  lease?.check();
  try {
    renameSync(tmp, path);
  } catch (e) {
    throw withPath(e, path);
  }
}

/**
 * Writes a run's files into runDir, keeping the newest `keep` checkpoints (and marked ones). With a lease, it
 * checks that the lease still names this process before every write (a metrics line, each stage of a
 * checkpoint, the summary) and throws LeaseLost, writing nothing, once another process holds the run. A
 * checkpoint that finds the disk full makes room by pruning the oldest checkpoint `keep` allows to go, and
 * tries once more. Errors of the file system name the file.
 */
export class DirStore implements RunStore {
  constructor(readonly dir: string, public keep = 0, readonly lease?: Lease, private readonly ownsLease = false,
    private readonly log: (line: string) => void = () => {}) {}

  /** Throws LeaseLost when another process holds the run now. */
  check(): void {
    this.lease?.check();
  }

  appendMetrics(row: object): void {
    this.check();
    const path = join(this.dir, 'metrics.jsonl');
    try {
      appendFileSync(path, JSON.stringify(row) + '\n');
    } catch (e) {
      throw withPath(e, path);
    }
  }

  saveCheckpoint(...[data, hook]: Parameters<RunStore['saveCheckpoint']>): string {
    this.check();
    // the metrics lines the checkpoint counts reach the device before it does
    fsyncFile(join(this.dir, 'metrics.jsonl'));
    const guarded: SaveHook = (stage) => {
      this.check();
      hook?.(stage);
    };
    let id: string;
    try {
      id = saveCheckpoint(this.dir, data, guarded);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if ((code !== 'ENOSPC' && code !== 'EDQUOT') || this.keep <= 0) throw e;
      this.check();
      const freed = pruneCheckpoints(this.dir, this.keep, { room: 1 });
      if (freed.length === 0) throw e;
      this.log(`${this.dir}: ${fsReason(e)}: deleted ${freed.join(', ')} ahead of time (--keep ${this.keep}) to make room for the new checkpoint`);
      id = saveCheckpoint(this.dir, data, guarded);
    }
    this.check();
    pruneCheckpoints(this.dir, this.keep);
    return id;
  }

  writeSummary(summary: object): void {
    const path = join(this.dir, 'summary.json');
    this.check();
    writeFileDurable(`${path}.${process.pid}.tmp`, JSON.stringify(summary, null, 2) + '\n');
    this.check();
    try {
      renameSync(`${path}.${process.pid}.tmp`, path);
    } catch (e) {
      throw withPath(e, path);
    }
  }

  /** Releases the lease, if this store took it. */
  close(): void {
    if (this.ownsLease) this.lease?.release();
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

/** Checks that `runDir` (created, and leased by this process) is ready for a new run: it holds no run and
 * no other files than the lease's (and those `allow` accepts); then starts an empty metrics.jsonl. */
function prepareNewRunDir(runDir: string, flag: string, allow: (name: string) => boolean = () => false): void {
  if (existsSync(join(runDir, 'config.json'))) {
    throw new InputError(`${flag}: ${runDir} already holds a run; continue it with --resume ${runDir} or choose another directory`);
  }
  if (readdirSync(runDir).some((f) => !isLeaseFile(f) && !allow(f))) throw new InputError(`${flag}: ${runDir} is not empty and holds no run; choose a new or empty directory`);
  try {
    writeFileSync(join(runDir, 'metrics.jsonl'), '');
  } catch (e) {
    throw new InputError(`${flag}: cannot write into ${runDir}: ${fsReason(e)}`);
  }
}

/** How a command writes a new run directory. */
export interface NewRunOptions {
  /** Files besides the lease's that may be in the directory already (a sweep's events.jsonl). */
  allowFiles?: (name: string) => boolean;
  /** A lease on the directory this caller holds (and renews and releases); default: take one, released by
   * the trainer's close(). */
  lease?: Lease;
  /** Checkpoints the store keeps, where it differs from the run's `keep` (a sweep's keepCheckpoints). */
  storeKeep?: number;
  /** The option that named the directory, for errors. Default '--out'. */
  flag?: string;
  /** Hears what the store had to work around (checkpoints pruned early on a full disk). */
  log?: (line: string) => void;
}

/** Makes `runDir` (created if missing) a new run directory under the caller's lease, runs `write`, and undoes
 * all of it when `write` throws: the same command works once the cause is fixed. */
async function newRunDir<T>(runDir: string, opts: NewRunOptions, write: (lease: Lease, owns: boolean) => Promise<T> | T): Promise<T> {
  const flag = opts.flag ?? '--out';
  const existed = existsSync(runDir);
  ensureDir(flag, runDir);
  const taken = opts.lease ? null : takeRunLease(runDir, flag);
  const lease = opts.lease ?? taken!.lease;
  let prepared = false;
  try {
    prepareNewRunDir(runDir, flag, opts.allowFiles);
    prepared = true;
    return await write(lease, taken !== null);
  } catch (e) {
    // A run that could not start (a map with too few spawn points, a backend missing here) leaves no run
    // behind; a directory that held something else is left as it was.
    try {
      if (prepared && !lease.lost) {
        for (const f of ['config.json', 'metrics.jsonl']) rmSync(join(runDir, f), { force: true });
        rmSync(join(runDir, 'checkpoints'), { recursive: true, force: true });
      }
      if (taken) lease.release();
      if (!existed && isEmptyDir(runDir)) rmSync(runDir, { recursive: true, force: true });
    } catch { /* the store itself may be what failed: the error that did says why */ }
    throw e;
  }
}

/** A new run. With `runDir`, takes its lease and writes config.json there (the directory must be new or empty). */
export async function createTrainer(partial: Partial<TrainConfig>, runDir?: string, opts: NewRunOptions = {}): Promise<Trainer> {
  const cfg = resolveTrainConfig(partial);
  if (runDir === undefined) return Trainer.start(cfg, { group: await shardsFor(cfg) });
  return newRunDir(runDir, opts, async (lease, owns) => {
    writeRunConfig(runDir, cfg, lease);
    const store = new DirStore(runDir, opts.storeKeep ?? cfg.keep, lease, owns, opts.log);
    return Trainer.start(cfg, { store, group: await shardsFor(cfg) });
  });
}

/** What --resume may change: the budget, how many checkpoints to keep, and which checkpoint to start from. */
export interface ResumeOptions {
  steps?: number;
  keep?: number;
  /** A checkpoint id (step-...); default the newest that loads. */
  checkpoint?: string;
  /** Hears what resuming had to work around (a corrupt checkpoint passed over, leftovers cleaned). */
  log?: (line: string) => void;
  /** A lease on the run this caller holds (and renews and releases); default: take one. */
  lease?: Lease;
  /** Checkpoints the store keeps, where it differs from the run's `keep`, without changing the run's setting. */
  storeKeep?: number;
  /** The option that named the run, for errors. Default '--resume'. */
  flag?: string;
}

/** A run directory opened for resuming, under this process's lease: its settings (with the overrides) and the
 * checkpoint to start from. release() gives the lease up if the run is not continued after all. */
export interface OpenRun {
  dir: string;
  cfg: TrainConfig;
  ckpt: LoadedCheckpoint;
  lease?: Lease;
  /** Whether openRun took the lease (and release() gives it up). */
  ownsLease?: boolean;
  storeKeep?: number;
  release(): void;
}

/**
 * Takes the run's lease (refused with one line naming the holder when another process writes it), reads
 * the run in `runDir` and picks its checkpoint: opts.checkpoint, or the newest that loads (a corrupt newest
 * one is passed over, and opts.log says so). config.json must agree with the checkpoint's settings
 * (checkAgainstCheckpoint). Changes nothing on disk but what earlier writers left half-written.
 */
export function openRun(runDir: string, opts: ResumeOptions = {}): OpenRun {
  const flag = opts.flag ?? '--resume';
  const log = opts.log ?? (() => {});
  checkRunDir(runDir, flag);
  const taken = opts.lease ? null : takeRunLease(runDir, flag);
  const lease = opts.lease ?? taken!.lease;
  const release = () => { if (taken) lease.release(); };
  try {
    const cleaned = taken ? taken.cleaned : cleanRunTemp(runDir);
    if (cleaned.length) log(`removed ${cleaned.length} unfinished file(s) that an earlier writer of ${runDir} left (a save cut short): ${cleaned.join(', ')}`);
    const overrides: Partial<TrainConfig> = {};
    if (opts.steps !== undefined) overrides.steps = opts.steps;
    if (opts.keep !== undefined) overrides.keep = opts.keep;
    const raw = readRawConfig(runDir, flag);
    const cfg = resolveRunConfig(runDir, raw, flag, overrides);
    // A run written before checkpoints were pruned keeps every checkpoint unless told otherwise: resuming it
    // must not delete what it kept so far.
    const unpruned = opts.keep === undefined && !('keep' in raw);
    const ckpt = opts.checkpoint !== undefined
      ? loadCheckpoint(runDir, opts.checkpoint)
      : loadNewestIntact(runDir, (id, why) => log(`checkpoint ${id} cannot be used (${why}); trying the one before it`));
    checkAgainstCheckpoint(cfg, unpruned ? { ...raw, keep: 0 } : raw, overrides, ckpt, join(runDir, 'config.json'), flag);
    checkCompatible(ckpt.manifest, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, ckpt.dir);
    if (unpruned) {
      cfg.keep = 0;
      log(`${runDir} predates checkpoint pruning: all its checkpoints are kept (give --keep K to keep only the newest K)`);
    }
    return { dir: runDir, cfg, ckpt, lease, ownsLease: taken !== null, storeKeep: opts.storeKeep, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** Continues an opened run. The worker count is the run's own: the environments were split that way. */
export async function resumeOpened(run: OpenRun, log: (line: string) => void = () => {}): Promise<Trainer> {
  const { dir: runDir, cfg, ckpt, lease } = run;
  const store = new DirStore(runDir, run.storeKeep ?? cfg.keep, lease, run.ownsLease ?? false, log);
  let t: Trainer;
  try {
    t = await Trainer.restore(cfg, ckpt, { store, group: await shardsFor(cfg) });
  } catch (e) {
    run.release();
    throw e;
  }
  try {
    // Checkpoints beyond what the run keeps go first: on a full disk they are the room the rest needs.
    store.check();
    pruneCheckpoints(runDir, store.keep, { spare: [ckpt.manifest.id] });
    writeRunConfig(runDir, cfg, lease);
    rewriteMetrics(runDir, t.envSteps, log, lease);
    return t;
  } catch (e) {
    await t.close();
    throw e;
  }
}

/**
 * Drops the lines of RUN/metrics.jsonl written after the checkpoint the run resumes from (they belong to the
 * lost stretch and will be written again) and lines that do not parse: the last one when a crash cut its
 * write short, or corrupt ones in the middle of the file (said apart, since those mean damage).
 */
function rewriteMetrics(runDir: string, envSteps: number, log: (line: string) => void, lease?: Lease): void {
  const mpath = join(runDir, 'metrics.jsonl');
  if (!existsSync(mpath)) return;
  const kept: string[] = [];
  const bad: number[] = [];
  const lines = readFileSync(mpath, 'utf8').split('\n');
  let last = lines.length;
  while (last > 0 && !lines[last - 1].trim()) last--;
  lines.forEach((l, i) => {
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
    else if (steps <= envSteps) kept.push(l);
  });
  const torn = bad.filter((n) => n === last);
  const corrupt = bad.filter((n) => n !== last);
  const list = (ns: number[]) => `${ns.slice(0, 5).join(', ')}${ns.length > 5 ? ', ...' : ''}`;
  if (torn.length) log(`${mpath}: dropped 1 unreadable line(s) (${torn[0]}), the last, left by a write cut short`);
  if (corrupt.length) log(`${mpath}: dropped ${corrupt.length} unreadable line(s) (${list(corrupt)}) in the middle of the file: not a write cut short, the file was damaged`);
  const tmp = `${mpath}.${process.pid}.tmp`;
  lease?.check();
  writeFileDurable(tmp, kept.map((l) => l + '\n').join(''));
  lease?.check();
  try {
    renameSync(tmp, mpath);
  } catch (e) {
    throw withPath(e, mpath);
  }
}

/** Continues the run in `runDir` from its newest intact checkpoint (or opts.checkpoint), optionally with a
 * new step budget. */
export async function resumeTrainer(runDir: string, opts: ResumeOptions = {}): Promise<Trainer> {
  return resumeOpened(openRun(runDir, opts), opts.log);
}

/**
 * A new run directory `runDir` continuing from a checkpoint archive (a .tar, as the web app downloads): the
 * settings come from the archive, the checkpoint is stored as the run's first, and metrics.jsonl starts empty.
 * The directory is leased as for a new run; release() gives the lease up if the run is not continued.
 */
export async function adoptArchive(archive: string, runDir: string, opts: Omit<ResumeOptions, 'checkpoint'> = {}): Promise<OpenRun> {
  const ckpt = loadCheckpointArchive(archive);
  const m = ckpt.manifest;
  if (m.weightsOnly) throw new InputError(`--resume: ${archive} is a player checkpoint (weights only, for eval, render and the web app's player); it cannot be resumed`);
  const saved = { ...(m.config as Record<string, unknown>) };
  for (const k of PROVENANCE) delete saved[k];
  const cfg = resolveStoredConfig(saved as Partial<TrainConfig>, {
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}), ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
  });
  checkCompatible(m, { game: cfg.game, agents: cfg.agents, model: cfg.model, shareParams: cfg.shareParams }, archive);
  return newRunDir(runDir, { lease: opts.lease, flag: '--out' }, (lease, owns) => {
    writeRunConfig(runDir, cfg, lease);
    saveCheckpoint(runDir, { manifest: m, tensors: ckpt.tensors, env: ckpt.env }, () => lease.check());
    return { dir: runDir, cfg, ckpt: loadCheckpoint(runDir), lease, ownsLease: owns, storeKeep: opts.storeKeep, release: () => { if (owns) lease.release(); } };
  });
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

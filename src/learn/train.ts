// train(): the library's one-call training run, platform-neutral. It trains in the calling thread;
// the Node entry (src/node.ts) wraps it with run directories and worker threads.

import { InputError } from '../util/errors.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { Trainer, type MetricsRow, type Progress, type RunStore, type ShardGroup, type TrainSummary } from './trainer.ts';

export interface TrainOptions {
  /** Called with each metrics line. */
  onReport?(row: MetricsRow): void;
  /** Called after every update. */
  onProgress?(p: Progress): void;
  /** Aborting stops the run after the current update (Node: after saving a checkpoint in runDir). */
  signal?: AbortSignal;
  /** Node only: the run directory to write (config.json, metrics.jsonl, checkpoints/, summary.json). */
  runDir?: string;
  /** Where a run's files go, for hosts other than Node's file system. */
  store?: RunStore;
  /** The shards to drive (advanced: e.g. a WorkerGroup of browser workers); default one in this thread. */
  group?: ShardGroup;
  /**
   * Browsers: the URL prefix (ending in '/') the tfjs-backend-wasm binaries are fetched from, e.g.
   * '/assets/'. Default: beside the bundle that holds this code (README, "In a web page"). Node ignores it.
   */
  wasmPaths?: string;
}

/**
 * Trains `config` (every field optional, see TrainConfig) and resolves with the summary.
 * @example const summary = await train({ game: 'harvest', model: 'influence-moa', steps: 100_000 }, { onReport: console.log });
 */
export async function train(config: Partial<TrainConfig>, opts: TrainOptions = {}): Promise<TrainSummary> {
  const cfg = resolveTrainConfig(config);
  if (opts.runDir !== undefined) throw new InputError('runDir: run directories need Node (import train from the package in Node)');
  if (cfg.workers > 0 && !opts.group) {
    throw new InputError(`workers: ${cfg.workers} given, but this build of train() runs in the calling thread; use 0, run it in Node, or pass a group`);
  }
  return runTrainer(await Trainer.start(cfg, { store: opts.store, group: opts.group, wasmPaths: opts.wasmPaths }), opts);
}

/** Runs a trainer to its end (or until opts.signal aborts) and releases it. */
export async function runTrainer(trainer: Trainer, opts: TrainOptions): Promise<TrainSummary> {
  try {
    return await trainer.run({ onReport: opts.onReport, onProgress: opts.onProgress, shouldStop: () => opts.signal?.aborted ?? false });
  } finally {
    await trainer.close();
  }
}

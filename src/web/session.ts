// The web app's view of training and playback: what the page (app.ts) calls. Training runs in module Web
// Workers (one environment shard each, see src/parallel/); the page only drives them and draws.

import { MODELS, resolveTrainConfig, type TrainConfig, type ModelName } from '../learn/config.ts';
import { Trainer, type MetricsRow, type Progress, type TrainSummary } from '../learn/trainer.ts';
import { encodeCheckpoint, packArchive } from '../learn/checkpoint-format.ts';
import { GAMES, type GameName } from '../env/games.ts';
import { webgpuAdapter } from '../learn/tfjs/backend.ts';
import { InputError } from '../util/errors.ts';
import { WorkerGroup, type ExchangeMode } from '../parallel/group.ts';
import { spawnBrowserWorkers } from '../parallel/browser.ts';
import { WORKER_URL, ASSETS } from './player.ts';
import type { Frame } from '../parallel/protocol.ts';
export type { Frame, PlayStep } from '../parallel/protocol.ts';
export { loadPlayer, type Player, type PlayerFiles } from './player.ts';

export interface SessionOptions {
  game: GameName;
  model: ModelName;
  agents: number;
  seed: number;
  /** Web Workers to split the environments over (1-8). */
  workers: number;
  /** Environments in all (a multiple of workers); default 8 per worker. */
  envs?: number;
  /** Step budget (env steps); default 1e7, in practice the user pauses. */
  steps?: number;
  /** 'auto' (default) takes WebGPU when the browser gives an adapter, else WASM. */
  backend?: 'auto' | 'wasm' | 'webgpu';
  /** Any other TrainConfig field (lr, rolloutSteps, ...). Without reportEvery, a report every
   * REPORT_UPDATES updates. */
  extra?: Partial<TrainConfig>;
}

export type BackendFallback = 'software-adapter' | 'webgpu-failed';

export interface TrainingSession {
  readonly config: TrainConfig;
  /** The tfjs backend the workers use: 'webgpu' or 'wasm'. */
  readonly backend: string;
  /** Why 'auto' settled on WASM although an adapter exists, else null: the adapter is a software emulation
   * ('software-adapter'), or WebGPU failed to start ('webgpu-failed'). */
  readonly backendFallback: BackendFallback | null;
  /** The reason, in words (with the error for 'webgpu-failed'), else null. */
  readonly backendNote: string | null;
  readonly workers: number;
  /** Where the workers average their gradients: 'shared' (in shared memory among themselves; a cross-origin
   * isolated page, as `commons serve` serves it) or 'main-thread' (through the page, where it is not isolated). */
  readonly exchange: ExchangeMode;
  /** Trains until paused or finished; resolves with the summary then. Call again to resume. */
  run(hooks?: { onReport?(row: MetricsRow): void; onProgress?(p: Progress): void }): Promise<TrainSummary>;
  /** Makes a pending run() resolve after the current update. */
  pause(): void;
  /** A picture of the world now and of `agent`'s view (env 0 of worker 0). */
  frame(agent: number): Promise<Frame>;
  /** The current state as a checkpoint archive (.tar holding manifest.json, tensors.bin, env.bin), the same files
   * as a CLI run's checkpoints/step-N/ directory. While training, it is taken between two updates. */
  checkpoint(): Promise<Uint8Array>;
  /** Terminates the workers. */
  dispose(): void;
}


export const MAX_WORKERS = 8;
/** Updates between two reports in the page, by default. */
export const REPORT_UPDATES = 2;

function checkOptions(o: SessionOptions): void {
  if (!GAMES.includes(o.game)) throw new InputError(`game: unknown value ${JSON.stringify(o.game)}; allowed values: ${GAMES.join(', ')}`);
  if (!MODELS.includes(o.model)) throw new InputError(`model: unknown value ${JSON.stringify(o.model)}; allowed values: ${MODELS.join(', ')}`);
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS) {
    throw new InputError(`workers: expected an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(o.workers)}`);
  }
  if (o.backend !== undefined && !['auto', 'wasm', 'webgpu'].includes(o.backend)) {
    throw new InputError(`backend: unknown value ${JSON.stringify(o.backend)}; allowed values: auto, wasm, webgpu`);
  }
}

class Session implements TrainingSession {
  private stopRequested = false;
  private running = false;
  /** Work to do between two updates (checkpoints while training). */
  private queue: (() => Promise<void>)[] = [];

  constructor(private readonly trainer: Trainer, private readonly group: WorkerGroup, readonly backendFallback: BackendFallback | null,
    readonly backendNote: string | null) {}

  get config() { return this.trainer.cfg; }
  get backend() { return this.group.backend; }
  get workers() { return this.group.size; }
  get exchange() { return this.group.exchange; }

  async run(hooks: { onReport?(row: MetricsRow): void; onProgress?(p: Progress): void } = {}): Promise<TrainSummary> {
    if (this.running) throw new Error('session: already running');
    this.running = true;
    this.stopRequested = false;
    try {
      return await this.trainer.run({ ...hooks, shouldStop: () => this.stopRequested, idle: () => this.drain() });
    } finally {
      this.running = false;
      await this.drain();
    }
  }

  pause(): void {
    this.stopRequested = true;
  }

  frame(agent: number): Promise<Frame> {
    return this.group.frame(agent);
  }

  private async drain(): Promise<void> {
    while (this.queue.length) await this.queue.shift()!();
  }

  /** Runs `job` now when idle, else between the next two updates. */
  private between<T>(job: () => Promise<T>): Promise<T> {
    if (!this.running) return job();
    return new Promise<T>((resolve, reject) => this.queue.push(() => job().then(resolve, reject)));
  }

  checkpoint(): Promise<Uint8Array> {
    return this.between(async () => packArchive(encodeCheckpoint(await this.trainer.checkpointData()).files));
  }

  dispose(): void {
    this.stopRequested = true;
    void this.trainer.close();
  }
}

/** Starts workers for a new training run (not yet running: call run()). */
export async function startSession(o: SessionOptions): Promise<TrainingSession> {
  checkOptions(o);
  const want = o.backend ?? 'auto';
  const adapter = want === 'wasm' ? { kind: 'none', description: '' } : await webgpuAdapter();
  // auto: a hardware adapter only. A software one (SwiftShader) trains correctly but about 130x slower than
  // WASM (BENCHMARKS.md), so it is used only when WebGPU is chosen explicitly.
  const backend = want === 'auto' ? (adapter.kind === 'hardware' ? 'webgpu' : 'wasm') : want;
  if (backend === 'webgpu' && adapter.kind === 'none') throw new InputError('backend: this browser gives no WebGPU adapter; choose wasm or auto');
  const configFor = (b: 'wasm' | 'webgpu') => {
    const c = resolveTrainConfig({
      game: o.game, model: o.model, agents: o.agents, seed: o.seed, workers: o.workers,
      envs: o.envs ?? 8 * o.workers, steps: o.steps ?? 1e7, backend: b, ...o.extra,
    });
    // A page reports every REPORT_UPDATES updates unless told otherwise: the charts move within seconds
    // of the start (a report per wave of episodes, the command line's default, took a minute for 1-2 points).
    return o.extra?.reportEvery === undefined ? { ...c, reportEvery: REPORT_UPDATES * c.envs * c.rolloutSteps } : c;
  };
  const groupFor = async (cfg: TrainConfig) => WorkerGroup.start(cfg, await spawnBrowserWorkers(WORKER_URL, o.workers), { wasmPaths: ASSETS });
  let cfg = configFor(backend), group: WorkerGroup;
  let fallback: BackendFallback | null = want === 'auto' && adapter.kind === 'software' ? 'software-adapter' : null;
  let note = fallback
    ? `the only WebGPU adapter here is a software emulation (${adapter.description}), much slower than WASM; choose WebGPU in Advanced to use it anyway`
    : null;
  try {
    group = await groupFor(cfg);
  } catch (e) {
    if (want !== 'auto' || backend !== 'webgpu') throw e;
    // An adapter exists but the learner cannot train on it here: say so, and train on WASM.
    fallback = 'webgpu-failed';
    note = `WebGPU adapter found but unusable, training on WASM: ${(e as Error).message}`;
    cfg = configFor('wasm');
    group = await groupFor(cfg);
  }
  return new Session(await Trainer.start(cfg, { group }), group, fallback, note);
}

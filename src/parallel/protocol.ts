// The one interface every worker serves, over Comlink, whether it is a Node worker_thread or a browser
// module Web Worker. A worker owns one environment shard (its WebAssembly env batch, its agents and its
// own tfjs backend) or, for playback, a policy loaded from a checkpoint.
//
// Data-parallel updates, as the trainer and a worker speak them:
//
//   trainer                                  worker
//   init(cfg, i, W)                   ->     builds its shard
//                                     <-     { backend, params }                       (params: gradient values)
//   share(buffer)                     ->     (W > 1) joins the exchange in shared memory (./exchange.ts)
//   start(envSteps)                   ->     rollout and update; the workers average their gradients among
//                                            themselves in the shared buffer, once per optimiser step
//                                     <-     { kind: 'done', stats }                   (the update is over)
//
// Where the page cannot share memory (a browser page that is not cross-origin isolated), the gradients go
// through the trainer instead, which averages them with the same arithmetic:
//
//   start(envSteps)                   ->     rollout, then the update until its first optimiser step
//                                     <-     { kind: 'gradient', step: 0, grads }      (its own gradient)
//   reduce(mean of every worker's)    ->     applies it, continues to the next step
//                                     <-     { kind: 'gradient', step: 1, grads } ...  (PPO: one per minibatch)
//                                     <-     { kind: 'done', stats }                   (the update is over)
//
// A2C takes one optimiser step per update, PPO one per minibatch. One worker exchanges nothing. Gradients
// and states cross as transferred buffers.

import type { TrainConfig } from '../learn/config.ts';
import type { UpdateStats } from '../learn/learner.ts';
import type { ShardState } from '../learn/shard.ts';
import type { WindowState } from '../learn/window.ts';
import type { CheckpointManifest } from '../learn/checkpoint-format.ts';
import type { AgentState } from '../env/vec-env.ts';
import type { ExchangeTime } from './exchange.ts';

/** A worker's answer to start() and reduce(): its gradient for optimiser step `step` of the update (every
 * variable's, flattened in the learner's variable order), or the end of the update. */
export type ShardEvent =
  | { kind: 'gradient'; step: number; grads: Float32Array }
  | { kind: 'done'; stats: UpdateStats };

/** One picture of env 0 of a worker's batch. */
export interface Frame {
  /** The whole map, one RGB pixel per cell, row-major [height, width, 3] (walls, apples, waste, river, agents, beams). */
  world: { width: number; height: number; rgb: Uint8Array };
  /** Where each agent stands and faces (orientation 0 up, 1 right, 2 down, 3 left; row -1 when out of play). */
  agents: AgentState[];
  /** The chosen agent's egocentric view [size, size, 3], its forward direction on top. */
  view: { size: number; rgb: Uint8Array; agent: number };
  /** Steps into the current episode. */
  episodeStep: number;
}

export interface PlayStep extends Frame {
  /** Returns of each agent so far this episode. */
  returns: number[];
  /** Models that measure influence: mean c_kj [k][j] per step so far this episode (null for the others). */
  influence: number[][] | null;
}

export type FaultKind = 'throw' | 'exit' | 'exit-in-exchange';

export interface WorkerInit {
  /** Browser: URL prefix the tfjs-backend-wasm .wasm files are fetched from. */
  wasmPaths?: string;
}

export interface ShardApi {
  /** Builds shard `index` of `count` for a resolved configuration; answers with the backend in use and the
   * number of gradient values an exchange carries. With count > 1 the gradients go through the trainer
   * (reduce()) until share() is called. */
  init(cfg: TrainConfig, index: number, count: number, opts: WorkerInit): Promise<{ backend: string; params: number }>;
  /** Exchanges gradients with the other workers in `buffer` (createSharedExchange(count, params)) from now on. */
  share(buffer: SharedArrayBuffer): void;
  /** Runs a rollout and the update: to its end with the exchange in shared memory (or one worker), else until
   * its first gradient exchange. */
  start(envSteps: number): Promise<ShardEvent>;
  /** Brings the average of every worker's gradient for the step just answered; only valid after a 'gradient' event. */
  reduce(mean: Float32Array): Promise<ShardEvent>;
  /** Time this worker spent in the shared exchange so far (null without it). */
  exchangeTime(): ExchangeTime | null;
  takeWindow(): WindowState;
  saveState(): Promise<ShardState>;
  loadState(s: ShardState): Promise<void>;
  frame(agent: number): Frame;
  /** Playback: loads the weights of a checkpoint (as files) into a one-env batch; answers with its manifest. */
  loadPlayer(files: { name: string; bytes: Uint8Array }[], opts: WorkerInit & { seed?: number }): Promise<CheckpointManifest>;
  /** Playback: `n` steps of the loaded policy, then a frame. */
  playStep(n: number, agent: number): Promise<PlayStep>;
  /** Test hook: makes the next start() throw (`throw`), the worker exit abruptly when its next start() comes (`exit`), or exit in the
   * middle of its next shared exchange, after every gradient is written and before it sums its slice (`exit-in-exchange`). */
  fault(kind: FaultKind): void;
  dispose(): void;
}

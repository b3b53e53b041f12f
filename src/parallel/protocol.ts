// The one interface every worker serves, over Comlink, whether it is a Node worker_thread or a browser
// module Web Worker. A worker owns one environment shard (its WebAssembly env batch, its agents and its
// own tfjs backend) or, for playback, a policy loaded from a checkpoint.
//
// Data-parallel updates are a conversation: start() runs the rollout and the update until the learner
// needs its first averaged gradient, and answers with its own gradient; reduce() brings the average and
// answers with the next gradient, until the update is done. Gradients and states cross as transferred
// buffers, a few calls per update.

import type { TrainConfig } from '../learn/config.ts';
import type { UpdateStats } from '../learn/agents.ts';
import type { ShardState } from '../learn/shard.ts';
import type { WindowState } from '../learn/window.ts';
import type { CheckpointManifest } from '../learn/checkpoint-format.ts';
import type { AgentState } from '../env/vec-env.ts';

export type ShardEvent =
  | { kind: 'grads'; group: number; grads: Float32Array }
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
}

export interface WorkerInit {
  /** Browser: URL prefix the tfjs-backend-wasm .wasm files are fetched from. */
  wasmPaths?: string;
}

export interface ShardApi {
  /** Builds shard `index` of `count` for a resolved configuration; answers with the backend in use. */
  init(cfg: TrainConfig, index: number, count: number, opts: WorkerInit): Promise<{ backend: string }>;
  start(envSteps: number): Promise<ShardEvent>;
  reduce(mean: Float32Array): Promise<ShardEvent>;
  takeWindow(): WindowState;
  saveState(): Promise<ShardState>;
  loadState(s: ShardState): Promise<void>;
  frame(agent: number): Frame;
  /** Playback: loads the weights of a checkpoint (as files) into a one-env batch; answers with its manifest. */
  loadPlayer(files: { name: string; bytes: Uint8Array }[], opts: WorkerInit & { seed?: number }): Promise<CheckpointManifest>;
  /** Playback: `n` steps of the loaded policy, then a frame. */
  playStep(n: number, agent: number): Promise<PlayStep>;
  /** Test hook: makes the next start() throw (`throw`) or the worker exit abruptly (`exit`). */
  fault(kind: 'throw' | 'exit'): void;
  dispose(): void;
}

// What an algorithm is (./registry.ts lists them): how it turns a rollout into gradient steps. It sees
// streams of decisions (the actions, and model II's symbols), each with the rollout's record of what was
// taken, its log probability and value, and the rewards; ./update.ts runs the passes and adds the models'
// own losses. Nothing here knows a model.

import type * as tf from '@tensorflow/tfjs-core';
import type { CoreConfig } from '../settings.ts';
import type { LossCoefs, LossParts } from '../losses.ts';
import type { Rng } from '../../util/rng.ts';

/** Statistics of one update (means over networks and minibatches). */
export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  gradNorm: number;
  /** MOA models: mean cross-entropy of the next-action predictions and the counts behind the accuracy. */
  moaLoss?: number;
  moaCorrect?: number;
  moaCounted?: number;
  /** MOA models: per (agent, other agent, action), how often the targets trained on took that action. */
  moaTargets?: number[];
}

/** One stream of decisions in a rollout, [G, T, S] arrays (group-major, time-major inside a group). */
export interface Stream {
  readonly name: string;
  readonly taken: Int32Array;
  readonly logp: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  /** Values after the rollout's last step [G * S]. */
  readonly bootstrap: Float32Array;
  /** Its loss coefficients and its weight in the total. */
  readonly coefs: LossCoefs;
  readonly weight: number;
}

export interface Algorithm<P = unknown, B = unknown> {
  readonly name: string;
  /** The optimiser it steps with. */
  readonly optimizer: 'rmsprop' | 'adam';
  /** Whether its first pass sees the weights that acted, so acting's forward passes can be kept for it. */
  readonly reusesForward: boolean;
  /** The passes over a rollout of S streams per network: for each, the streams it trains on (all when undefined). */
  passes(cfg: CoreConfig, S: number, rng: Rng): Iterable<Int32Array | undefined>;
  /** Targets of one stream, computed once per rollout (G networks, T steps, S streams). */
  prepare(s: Stream, G: number, T: number, S: number, cfg: CoreConfig): P;
  /** A pass's data of one stream, for streams `idx` (all when undefined): computed before the gradient. */
  batch(s: Stream, p: P, idx: Int32Array | undefined, G: number, T: number, S: number): B;
  /** The loss of one stream on a pass: logits [G, M, A], values [G, M]; terms per network [G]. */
  loss(logits: tf.Tensor3D, values: tf.Tensor2D, b: B, G: number, M: number, coefs: LossCoefs, cfg: CoreConfig): LossParts;
}

/** Declares an algorithm (keeps its name's literal type for the registry). */
export const defineAlgorithm = <const N extends string, P, B>(a: Algorithm<P, B> & { name: N }): Algorithm<P, B> & { name: N } => a;

// One rollout of a population: T steps of S streams for each of G networks, stored group-major and
// time-major inside a group (index (g * T + t) * S + s), the order the update reads them in, so the
// update slices instead of gathering. A stream is one agent in one environment: with independent learners
// network g's stream s is agent g of env s; with shared parameters (G = 1) stream s is agent s % N of env
// floor(s / N), the environment's own order.

import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardRecord } from './policy/population.ts';

/** A model's data about one rollout (kept across rollouts; its tensors released by disposeStates). */
export interface RolloutPart { disposeStates(): void }

export class Rollout {
  /** [G, T, S, V, V, 3] views. */
  readonly obs: Uint8Array;
  readonly actions: Int32Array;
  readonly logp: Float32Array;
  readonly values: Float32Array;
  /** Rewards the actions learn from (environment, shaping and influence terms), [G, T, S]. */
  readonly rewards: Float32Array;
  /** 1 where the step ended the stream's episode. */
  readonly dones: Uint8Array;
  /** 0 where the stream's episode starts at the step (the LSTM state is zeroed before it), else 1. */
  readonly keep: Float32Array;
  /** Conditioning inputs the streams saw [G, T, S, width] (model I: influencer actions; model II: symbols heard;
   * model III in the paper's form: the others' last actions). */
  readonly cond?: Float32Array;
  /** Model II: the symbols emitted, their log probabilities, the message values and rewards, [G, T, S]. */
  readonly msg?: Int32Array;
  readonly msgLogp?: Float32Array;
  readonly msgValues?: Float32Array;
  readonly msgRewards?: Float32Array;
  /** Recurrent states at the first step. */
  h0?: tf.Tensor3D;
  c0?: tf.Tensor3D;
  /** The forward passes acting computed, for an update that reuses them (A2C with the wasm kernels). */
  record?: ForwardRecord;
  /** What a model keeps per rollout (the MOA's states, forward passes and joint actions), by model part. */
  readonly parts = new Map<string, RolloutPart>();
  /** Steps recorded so far. */
  t = 0;

  constructor(readonly G: number, readonly T: number, readonly S: number, obsSize: number,
    opts: { condWidth?: number; messages?: boolean } = {}) {
    const n = G * T * S;
    this.obs = new Uint8Array(n * obsSize);
    this.actions = new Int32Array(n);
    this.logp = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.keep = new Float32Array(n);
    if (opts.condWidth) this.cond = new Float32Array(n * opts.condWidth);
    if (opts.messages) {
      this.msg = new Int32Array(n);
      this.msgLogp = new Float32Array(n);
      this.msgValues = new Float32Array(n);
      this.msgRewards = new Float32Array(n);
    }
  }

  /** Index of stream s of group g at step t. */
  at(g: number, t: number, s: number): number {
    return (g * this.T + t) * this.S + s;
  }

  /** Releases the recurrent states and forward passes held (a model's part releases its own). */
  disposeStates(): void {
    for (const x of [this.h0, this.c0]) x?.dispose();
    this.h0 = this.c0 = undefined;
    this.record?.clear();
    for (const part of this.parts.values()) part.disposeStates();
  }
}

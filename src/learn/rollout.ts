// One rollout of a population: T steps of S streams for each of G networks, stored group-major and
// time-major inside a group (index (g * T + t) * S + s), the order the update reads them in, so the
// update slices instead of gathering. A stream is one agent in one environment: with independent learners
// network g's stream s is agent g of env s; with shared parameters (G = 1) stream s is agent s % N of env
// floor(s / N), the environment's own order.

import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardRecord } from './policy/population.ts';

/** A model's data about one rollout (kept across rollouts; its tensors released by disposeStates). */
export interface RolloutPart { disposeStates(): void }

/** How a policy's streams map to the environments: network g's stream s is env-order index stream(g, s) (agent
 * i of env b at b * N + i) in env envOf(g, s). */
export interface StreamLayout {
  readonly G: number;
  readonly S: number;
  stream(g: number, s: number): number;
  envOf(g: number, s: number): number;
}

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

  /** Stores what acting saw and computed at step t: the group-major views [G, S, V, V, 3] (obsSize bytes each),
   * values and keep flags [G * S], conditioning inputs [G * S * width]. */
  storeStep(views: Uint8Array, obsSize: number, values: Float32Array, keep: Float32Array, cond?: Float32Array): void {
    const { G, S } = this, W = cond ? cond.length / (G * S) : 0;
    for (let g = 0; g < G; g++) {
      const at = this.at(g, this.t, 0);
      this.obs.set(views.subarray(g * S * obsSize, (g + 1) * S * obsSize), at * obsSize);
      this.values.set(values.subarray(g * S, (g + 1) * S), at);
      this.keep.set(keep.subarray(g * S, (g + 1) * S), at);
      if (cond) this.cond!.set(cond.subarray(g * S * W, (g + 1) * S * W), at * W);
    }
  }

  /** Stores step t's rewards (env order [B * N]) and done flags [B], and the message stream's rewards
   * (`extrinsic`, default `rewards`, starts them: model II), then moves to the next step. */
  storeRewards(p: StreamLayout, rewards: Float32Array, dones: Uint8Array, extrinsic?: Float32Array): void {
    for (let g = 0; g < p.G; g++) {
      for (let s = 0; s < p.S; s++) {
        const at = this.at(g, this.t, s), e = p.stream(g, s);
        this.rewards[at] = rewards[e];
        this.dones[at] = dones[p.envOf(g, s)];
        if (this.msgRewards) this.msgRewards[at] = extrinsic ? extrinsic[e] : rewards[e];
      }
    }
    this.t++;
  }

  /** Adds bonus (env order [B * N]) to the rewards of the previous step, of the message stream or of the
   * actions; a bonus for the step before the rollout began is dropped. */
  addToPreviousStep(p: StreamLayout, bonus: Float32Array, stream: 'messages' | 'actions'): void {
    if (this.t < 1) return;
    const target = stream === 'messages' ? this.msgRewards! : this.rewards;
    for (let g = 0; g < p.G; g++) for (let s = 0; s < p.S; s++) target[this.at(g, this.t - 1, s)] += bonus[p.stream(g, s)];
  }

  /** The views [G, T, S', V, V, 3], keep flags [G, T, S'] and conditioning inputs of streams `streams` of every
   * group, time-major (all streams: the rollout's own arrays). */
  select(streams: Int32Array | undefined, obsSize: number): { obs: Uint8Array; keep: Float32Array; cond?: Float32Array } {
    if (!streams) return { obs: this.obs, keep: this.keep, cond: this.cond };
    const { G, T } = this, Sp = streams.length, W = this.cond ? this.cond.length / (G * T * this.S) : 0;
    const obs = new Uint8Array(G * T * Sp * obsSize), keep = new Float32Array(G * T * Sp);
    const cond = this.cond ? new Float32Array(G * T * Sp * W) : undefined;
    for (let g = 0; g < G; g++) {
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < Sp; j++) {
          const from = this.at(g, t, streams[j]), to = (g * T + t) * Sp + j;
          obs.set(this.obs.subarray(from * obsSize, (from + 1) * obsSize), to * obsSize);
          keep[to] = this.keep[from];
          if (cond) cond.set(this.cond!.subarray(from * W, (from + 1) * W), to * W);
        }
      }
    }
    return { obs, keep, cond };
  }

  /** Releases the recurrent states and forward passes held (a model's part releases its own). */
  disposeStates(): void {
    for (const x of [this.h0, this.c0]) x?.dispose();
    this.h0 = this.c0 = undefined;
    this.record?.clear();
    for (const part of this.parts.values()) part.disposeStates();
  }
}

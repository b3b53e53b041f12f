/**
 * Models of Other Agents for a population (Jaques et al. 2019, Sec. 2.3), one per agent, stacked like
 * the policy networks ([G, ...] per layer). Each reads its agent's conv features (the conv layer is the
 * policy's, shared as in the paper, so the MOA loss shapes it too) and predicts every other agent's next
 * action:
 *
 *   conv features [C] -> dense 32 ReLU -> dense 32 ReLU -> LSTM 128
 *   -> [LSTM output, one-hot actions of all N agents at step t] -> dense 32 ReLU -> logits [(N-1) * A]
 *      (for each other agent j in agent order, A logits of j's action at t + 1)
 *
 * The actions enter after the LSTM, so the influence reward's A counterfactual own actions re-run only the
 * head (one small batched matMul), not A LSTM steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { read } from '../tfjs/read.ts';
import { dense, lstmSequence } from '../tfjs/ops.ts';
import type { ForwardRecord } from './population.ts';
import { glorotUniform, mulberry32 } from './init.ts';

export interface MoaOptions {
  G: number;
  numAgents: number;
  numActions: number;
  /** Size of the conv features it reads (Population.convOutSize). */
  inputSize: number;
  fc?: number[];
  lstm?: number;
  head?: number;
  seedOf?: (g: number) => number;
}

interface Dense { w: tf.Variable; b: tf.Variable }

export class MoaPopulation {
  readonly G: number;
  readonly numAgents: number;
  readonly numActions: number;
  readonly lstmUnits: number;
  readonly headUnits: number;
  private readonly dense: Dense[] = [];
  private readonly lstmW: tf.Variable;
  private readonly lstmB: tf.Variable;
  private readonly hidden: Dense;
  private readonly out: Dense;

  constructor(o: MoaOptions) {
    const { G, numAgents, numActions, inputSize, fc = [32, 32], lstm = 128, head = 32 } = o;
    if (numAgents < 2) throw new Error('MoaPopulation: needs at least 2 agents (it predicts the others)');
    this.G = G;
    this.numAgents = numAgents;
    this.numActions = numActions;
    this.lstmUnits = lstm;
    this.headUnits = head;
    const seedOf = o.seedOf ?? ((g: number) => g);
    const rngs = Array.from({ length: G }, (_, g) => mulberry32(seedOf(g)));
    const stacked = (shape: number[], init: (g: number) => Float32Array) => {
      const size = shape.reduce((a, b) => a * b, 1), all = new Float32Array(G * size);
      for (let g = 0; g < G; g++) all.set(init(g), g * size);
      return tf.variable(tf.tensor(all, [G, ...shape]), true);
    };
    const layer = (nIn: number, nOut: number): Dense => ({
      w: stacked([nIn, nOut], (g) => glorotUniform(rngs[g], nIn * nOut, nIn, nOut)),
      b: stacked([1, nOut], () => new Float32Array(nOut)),
    });
    let nIn = inputSize;
    for (const n of fc) {
      this.dense.push(layer(nIn, n));
      nIn = n;
    }
    this.lstmW = stacked([nIn + lstm, 4 * lstm], (g) => glorotUniform(rngs[g], (nIn + lstm) * 4 * lstm, nIn + lstm, 4 * lstm));
    this.lstmB = stacked([4 * lstm], () => new Float32Array(4 * lstm).fill(1, lstm, 2 * lstm));
    this.hidden = layer(lstm + numAgents * numActions, head);
    this.out = layer(head, (numAgents - 1) * numActions);
  }

  get variables(): tf.Variable[] {
    return [...this.dense.flatMap((d) => [d.w, d.b]), this.lstmW, this.lstmB, this.hidden.w, this.hidden.b, this.out.w, this.out.b];
  }

  /** LSTM features over T steps of S streams: conv [G, T*S, C], keep [G, T, S] -> [G, T*S, H] and the final
   * state. `record` keeps a step's forward pass; `known` reuses recorded ones (see Population.torso). */
  features(conv: tf.Tensor3D, keep: tf.Tensor3D, h0: tf.Tensor3D, c0: tf.Tensor3D, record?: ForwardRecord,
    known?: ReturnType<ForwardRecord['joined']>): { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
    const [G, T, S] = keep.shape;
    let y = conv;
    this.dense.forEach((d, l) => {
      y = dense(y, d.w as tf.Tensor3D, d.b as tf.Tensor3D, true, known?.dense[l]);
      if (record) (record.dense[l] ??= []).push(tf.keep(tf.clone(y)));
    });
    const out = lstmSequence(tf.reshape(y, [G, T, S, y.shape[2]]) as tf.Tensor4D, this.lstmW as tf.Tensor3D, this.lstmB as tf.Tensor2D, h0, c0, keep, {
      known: known?.lstm, internals: record ? (i) => { record.gates.push(i.gates); record.cs.push(i.cs); } : undefined,
    });
    if (record) record.hs.push(tf.keep(tf.clone(out.hs)));
    return { features: tf.reshape(out.hs, [G, T * S, this.lstmUnits]) as tf.Tensor3D, h: out.h, c: out.c };
  }

  /** Predictions: features [G, M, H] and one-hot actions of all agents [G, M, N*A] -> logits [G, M, (N-1)*A]. */
  predict(features: tf.Tensor3D, actionsOneHot: tf.Tensor3D): tf.Tensor3D {
    const z = dense(tf.concat([features, actionsOneHot], 2), this.hidden.w as tf.Tensor3D, this.hidden.b as tf.Tensor3D, true);
    return dense(z, this.out.w as tf.Tensor3D, this.out.b as tf.Tensor3D, false);
  }

  /**
   * Counterfactual predictions: features [G, S, H] shared by K alternatives whose one-hot actions are
   * [G, K, S, N*A] -> logits [G, K, S, (N-1)*A]. The head's first layer is linear in [features, actions],
   * so the features' part is computed once and broadcast over the alternatives.
   */
  predictCounterfactual(features: tf.Tensor3D, actionsOneHot: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [G, S, H] = features.shape, [, K, , NA] = actionsOneHot.shape, hu = this.headUnits;
      const wF = tf.slice(this.hidden.w, [0, 0, 0], [G, H, hu]), wA = tf.slice(this.hidden.w, [0, H, 0], [G, NA, hu]);
      const fPart = tf.add(tf.matMul(features, wF), this.hidden.b); // [G, S, hu]
      const aPart = tf.reshape(tf.matMul(tf.reshape(actionsOneHot, [G, K * S, NA]), wA), [G, K, S, hu]);
      const z = tf.reshape(tf.relu(tf.add(aPart, tf.expandDims(fPart, 1))), [G, K * S, hu]) as tf.Tensor3D;
      const logits = dense(z, this.out.w as tf.Tensor3D, this.out.b as tf.Tensor3D, false);
      return tf.reshape(logits, [G, K, S, logits.shape[2]]) as tf.Tensor4D;
    });
  }

  async getWeights(g: number): Promise<Float32Array[]> {
    return Promise.all(this.variables.map(async (v) => {
      const all = await read(v), n = v.size / this.G;
      return all.slice(g * n, (g + 1) * n);
    }));
  }

  setWeights(g: number, weights: ArrayLike<number>[]): void {
    const vars = this.variables;
    if (weights.length !== vars.length) throw new Error(`MoaPopulation.setWeights: expected ${vars.length} arrays, got ${weights.length}`);
    tf.tidy(() => vars.forEach((v, k) => {
      const n = v.size / this.G;
      if (weights[k].length !== n) throw new Error(`MoaPopulation.setWeights: array ${k} has ${weights[k].length} values, expected ${n}`);
      const parts = tf.unstack(v);
      parts[g] = tf.tensor(Float32Array.from(weights[k]), v.shape.slice(1));
      v.assign(tf.stack(parts));
    }));
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

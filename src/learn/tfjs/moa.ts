/**
 * The Model of Other Agents (Jaques et al. 2019, Sec. 2.3): a second stream beside the policy that predicts
 * every other agent's next action. Like the paper's, it reads the policy network's conv features (the conv
 * layer is shared, so the MOA loss shapes it too) and has its own dense layers and LSTM:
 *
 *   conv features of the agent's view [B, C] -> dense 32 + ReLU -> dense 32 + ReLU -> LSTM 128
 *   -> [LSTM output, one-hot actions of all N agents at step t] -> dense 32 + ReLU -> logits [B, (N-1) * A]
 *      (for each other agent j in agent order, A logits of j's action at t+1)
 *
 * Where the actions enter decides what a counterfactual costs. They enter after the LSTM, in the head, so
 * evaluating the influence reward's K counterfactual own actions re-runs only the head (one small batched
 * matMul) instead of K LSTM steps; the price is that the LSTM sees the actions of step t only through what
 * they did to the views of later steps. The paper's MOA (and the SSD repo's) feeds actions into its LSTM.
 */
import * as tf from '@tensorflow/tfjs-core';
import { read } from './read.ts';
import { LSTMCell, glorotUniform, mulberry32, type LSTMState } from './lstm.ts';

export interface MoaNetOptions {
  numAgents: number;
  numActions: number;
  /** Size of the conv features it reads (AgentNet.convOutSize). */
  inputSize: number;
  fc?: number[];
  lstm?: number;
  head?: number;
  seed?: number;
}

interface Dense { w: tf.Variable; b: tf.Variable }

export class MoaNet {
  readonly numAgents: number;
  readonly numActions: number;
  readonly lstmUnits: number;
  private readonly dense: Dense[];
  private readonly cell: LSTMCell;
  private readonly hidden: Dense;
  private readonly out: Dense;

  constructor(o: MoaNetOptions) {
    const { numAgents, numActions, inputSize, fc = [32, 32], lstm = 128, head = 32, seed = 0 } = o;
    if (numAgents < 2) throw new Error('MoaNet: needs at least 2 agents (it predicts the others)');
    this.numAgents = numAgents;
    this.numActions = numActions;
    this.lstmUnits = lstm;
    const rng = mulberry32(seed);
    const layer = (nIn: number, nOut: number): Dense => ({
      w: tf.variable(tf.tensor2d(glorotUniform(rng, nIn * nOut, nIn, nOut), [nIn, nOut]), true),
      b: tf.variable(tf.zeros([nOut]), true),
    });
    this.dense = [];
    let nIn = inputSize;
    for (const n of fc) { this.dense.push(layer(nIn, n)); nIn = n; }
    this.cell = new LSTMCell({ inputSize: nIn, hiddenSize: lstm, rng });
    this.hidden = layer(lstm + numAgents * numActions, head);
    this.out = layer(head, (numAgents - 1) * numActions);
  }

  get variables(): tf.Variable[] {
    return [...this.dense.flatMap((d) => [d.w, d.b]), ...this.cell.variables,
      this.hidden.w, this.hidden.b, this.out.w, this.out.b];
  }

  zeroState(batch: number): LSTMState { return this.cell.zeroState(batch); }

  private torso(conv: tf.Tensor2D): tf.Tensor2D {
    let y = conv;
    for (const d of this.dense) y = tf.relu(tf.add(tf.matMul(y, d.w), d.b)) as tf.Tensor2D;
    return y;
  }

  /** One step: conv features [B, C] -> LSTM features [B, H] and the new state. */
  step(conv: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { features: tf.Tensor2D; h: tf.Tensor2D; c: tf.Tensor2D } {
    return tf.tidy(() => {
      const s = this.cell.step(this.torso(conv), h, c);
      return { features: s.h, h: s.h, c: s.c }; // features is the new h: dispose only one of them
    });
  }

  /** Training pass: conv features [T*B, C], resetMask [T, B] -> features [T*B, H] (time-major). */
  sequence(conv: tf.Tensor2D, resetMask: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor2D {
    const [T, B] = resetMask.shape;
    return tf.tidy(() => {
      const y = this.torso(conv);
      const u = this.cell.unroll(tf.reshape(y, [T, B, y.shape[1]]) as tf.Tensor3D, h0, c0, resetMask);
      return tf.reshape(u.outputs, [T * B, this.lstmUnits]) as tf.Tensor2D;
    });
  }

  /** Predictions: features [M, H] and one-hot actions of all agents [M, N*A] -> logits [M, (N-1)*A]. */
  predict(features: tf.Tensor2D, actionsOneHot: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const z = tf.relu(tf.add(tf.matMul(tf.concat([features, actionsOneHot], 1), this.hidden.w), this.hidden.b)) as tf.Tensor2D;
      return tf.add(tf.matMul(z, this.out.w), this.out.b) as tf.Tensor2D;
    });
  }

  /**
   * Counterfactual predictions without copying the features: features [B, H] shared by K alternatives whose
   * one-hot actions are actionsOneHot [K*B, N*A] (row k*B + b) -> logits [K*B, (N-1)*A]. The head's first
   * layer is linear in [features, actions], so the features' part is computed once and broadcast.
   */
  predictCounterfactual(features: tf.Tensor2D, actionsOneHot: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, H] = features.shape, KB = actionsOneHot.shape[0], head = this.hidden.w.shape[1]!;
      const wF = tf.slice(this.hidden.w, [0, 0], [H, head]), wA = tf.slice(this.hidden.w, [H, 0], [-1, head]);
      const fPart = tf.add(tf.matMul(features, wF), this.hidden.b);
      const aPart = tf.reshape(tf.matMul(actionsOneHot, wA), [KB / B, B, head]);
      const z = tf.reshape(tf.relu(tf.add(aPart, fPart)), [KB, head]) as tf.Tensor2D;
      return tf.add(tf.matMul(z, this.out.w), this.out.b) as tf.Tensor2D;
    });
  }

  /** Copies of all weights, in `variables` order. */
  getWeights(): Promise<Float32Array[]> { return Promise.all(this.variables.map(read)); }

  setWeights(ws: ArrayLike<number>[]): void {
    const vars = this.variables;
    if (ws.length !== vars.length) throw new Error(`MoaNet.setWeights: expected ${vars.length} arrays, got ${ws.length}`);
    tf.tidy(() => vars.forEach((v, i) => {
      if (ws[i].length !== v.size) throw new Error(`MoaNet.setWeights: array ${i} has ${ws[i].length} values, expected ${v.size}`);
      v.assign(tf.tensor(Float32Array.from(ws[i]), v.shape, 'float32'));
    }));
  }

  dispose(): void { for (const v of this.variables) v.dispose(); }
}

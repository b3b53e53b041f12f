/**
 * Models of Other Agents for a population (Jaques et al. 2019, Sec. 2.3), one per agent, stacked like
 * the policy networks ([G, ...] per layer). Each reads its agent's conv features (the conv layer is the
 * policy's, shared as in the paper, so the MOA loss shapes it too) and the one-hot actions of all N agents
 * at step t, and predicts every other agent's next action. Two forms, by where the actions enter:
 *
 *   'head': conv features [C] -> dense 32 ReLU -> dense 32 ReLU -> LSTM 128
 *           -> [LSTM output, actions] -> dense 32 ReLU -> logits [(N-1) * A]
 *   'lstm': conv features [C] -> dense 32 ReLU -> dense 32 ReLU -> [.., actions] -> LSTM 128
 *           -> dense 32 ReLU -> logits [(N-1) * A]
 *
 * (logits: for each other agent j in agent order, A logits of j's action at t + 1). 'lstm' is the paper's
 * and the SSD repo's form (models/moa_lstm.py concatenates the actions to the LSTM input; its LSTM output
 * goes to a linear layer, ours keeps the dense 32 of 'head' so that the forms differ only in where the
 * actions enter). The influence reward needs A counterfactual own actions per agent and step: in 'head'
 * they re-run only the head (one small batched matMul); in 'lstm' each needs its own LSTM step from the
 * same state (lstmStepCounterfactual: the real step's products once, each counterfactual one row of the
 * LSTM's weights more), while the state carried forward is the real actions' one. Either form can keep
 * the real step's forward pass for the update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { read } from '../tfjs/read.ts';
import { dense, lstmSequence } from '../tfjs/ops.ts';
import { lstmStepCounterfactual } from '../tfjs/lstm-counterfactual.ts';
import type { ForwardRecord } from './population.ts';
import { glorotUniform, mulberry32 } from './init.ts';

export type MoaForm = 'head' | 'lstm';

export interface MoaOptions {
  G: number;
  /** Where the actions of step t enter (see above). Default 'head'. */
  form?: MoaForm;
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
  readonly form: MoaForm;
  /** Width of the dense layers' output (the LSTM's input besides the actions in 'lstm'). */
  readonly fcOut: number;
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
    this.form = o.form ?? 'head';
    const NA = numAgents * numActions, inLstm = this.form === 'lstm' ? NA : 0, inHead = this.form === 'head' ? NA : 0;
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
    this.fcOut = nIn;
    nIn += inLstm;
    this.lstmW = stacked([nIn + lstm, 4 * lstm], (g) => glorotUniform(rngs[g], (nIn + lstm) * 4 * lstm, nIn + lstm, 4 * lstm));
    this.lstmB = stacked([4 * lstm], () => new Float32Array(4 * lstm).fill(1, lstm, 2 * lstm));
    this.hidden = layer(lstm + inHead, head);
    this.out = layer(head, (numAgents - 1) * numActions);
  }

  get variables(): tf.Variable[] {
    return [...this.dense.flatMap((d) => [d.w, d.b]), this.lstmW, this.lstmB, this.hidden.w, this.hidden.b, this.out.w, this.out.b];
  }

  /** The dense layers over conv features [G, M, C] -> [G, M, F]; `record` and `known` as in features(). */
  private fc(conv: tf.Tensor3D, record?: ForwardRecord, known?: ReturnType<ForwardRecord['joined']>): tf.Tensor3D {
    let y = conv;
    this.dense.forEach((d, l) => {
      y = dense(y, d.w as tf.Tensor3D, d.b as tf.Tensor3D, true, known?.dense[l]);
      if (record) (record.dense[l] ??= []).push(tf.keep(tf.clone(y)));
    });
    return y;
  }

  /** The LSTM over x [G, T*S, I] (time-major) with keep [G, T, S] -> outputs [G, T*S, H] and the final state. */
  private recur(x: tf.Tensor3D, keep: tf.Tensor3D, h0: tf.Tensor3D, c0: tf.Tensor3D, record?: ForwardRecord,
    known?: ReturnType<ForwardRecord['joined']>): { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
    const [G, T, S] = keep.shape;
    const out = lstmSequence(tf.reshape(x, [G, T, S, x.shape[2]]) as tf.Tensor4D, this.lstmW as tf.Tensor3D, this.lstmB as tf.Tensor2D, h0, c0, keep, {
      known: known?.lstm, internals: record ? (i) => { record.gates.push(i.gates); record.cs.push(i.cs); } : undefined,
    });
    if (record) record.hs.push(tf.keep(tf.clone(out.hs)));
    return { features: tf.reshape(out.hs, [G, T * S, this.lstmUnits]) as tf.Tensor3D, h: out.h, c: out.c };
  }

  /** 'head' form: LSTM features over T steps of S streams: conv [G, T*S, C], keep [G, T, S] -> [G, T*S, H]
   * and the final state. `record` keeps a step's forward pass; `known` reuses recorded ones (see
   * Population.torso). */
  features(conv: tf.Tensor3D, keep: tf.Tensor3D, h0: tf.Tensor3D, c0: tf.Tensor3D, record?: ForwardRecord,
    known?: ReturnType<ForwardRecord['joined']>): { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
    if (this.form !== 'head') throw new Error('MoaPopulation.features: the \'lstm\' form reads the actions in its LSTM (use sequence())');
    return this.recur(this.fc(conv, record, known), keep, h0, c0, record, known);
  }

  /** The head: [G, M, H (+ N*A in 'head')] -> logits [G, M, (N-1)*A]. */
  private head(x: tf.Tensor3D): tf.Tensor3D {
    const z = dense(x, this.hidden.w as tf.Tensor3D, this.hidden.b as tf.Tensor3D, true);
    return dense(z, this.out.w as tf.Tensor3D, this.out.b as tf.Tensor3D, false);
  }

  /** 'head' form's predictions: features [G, M, H] and one-hot actions of all agents [G, M, N*A] -> logits [G, M, (N-1)*A]. */
  predict(features: tf.Tensor3D, actionsOneHot: tf.Tensor3D): tf.Tensor3D {
    return this.head(tf.concat([features, actionsOneHot], 2));
  }

  /**
   * Predictions over T steps of S streams, either form (the training loss): conv [G, T*S, C], the real
   * one-hot actions [G, T*S, N*A], keep [G, T, S] -> logits [G, T*S, (N-1)*A] and the final state. `known`
   * (either form) reuses the forward passes acting recorded.
   */
  sequence(conv: tf.Tensor3D, actionsOneHot: tf.Tensor3D, keep: tf.Tensor3D, h0: tf.Tensor3D, c0: tf.Tensor3D,
    known?: ReturnType<ForwardRecord['joined']>): { logits: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
    if (this.form === 'head') {
      const f = this.features(conv, keep, h0, c0, undefined, known);
      return { logits: this.predict(f.features, actionsOneHot), h: f.h, c: f.c };
    }
    const f = this.recur(tf.concat([this.fc(conv, undefined, known), actionsOneHot], 2), keep, h0, c0, undefined, known);
    return { logits: this.head(f.features), h: f.h, c: f.c };
  }

  /**
   * One acting step with K alternative joint actions, either form: conv [G, S, C], keep [G, 1, S], state
   * h, c [G, S, H], one-hot actions [G, K, S, N*A], and real [G * S] (int32: which alternative of stream
   * (g, s) holds the actions really taken) -> logits [G, K, S, (N-1)*A] and the state after the real
   * actions. 'head': the LSTM runs once and the head per alternative (its first layer is linear in
   * [features, actions], so the features' part is computed once and broadcast). 'lstm': network g's
   * alternative k is agent g's own action k (the counterfactuals of the influence), each its own LSTM step
   * from (h, c), all from one lstmStepCounterfactual call; the real actions' state is kept. `record` keeps
   * the real step's forward pass for the update.
   */
  step(conv: tf.Tensor3D, keep: tf.Tensor3D, h: tf.Tensor3D, c: tf.Tensor3D, actionsOneHot: tf.Tensor4D, real: Int32Array,
    record?: ForwardRecord): { logits: tf.Tensor4D; h: tf.Tensor3D; c: tf.Tensor3D } {
    if (this.form === 'head') {
      const f = this.features(conv, keep, h, c, record);
      return { logits: this.predictCounterfactual(f.features, actionsOneHot), h: f.h, c: f.c };
    }
    return tf.tidy(() => {
      const [G, K, S, NA] = actionsOneHot.shape;
      if (G !== this.numAgents || K !== this.numActions) {
        throw new Error(`MoaPopulation.step: the 'lstm' form takes each network's own ${this.numActions} actions as alternatives, got [${actionsOneHot.shape}]`);
      }
      // the real joint actions of stream (g, s): alternative real[g * S + s]
      const rows = Int32Array.from({ length: G * S }, (_, r) => (Math.floor(r / S) * K + real[r]) * S + r % S);
      const realOneHot = tf.reshape(tf.gather(tf.reshape(actionsOneHot, [G * K * S, NA]), tf.tensor1d(rows, 'int32')), [G, S, NA]) as tf.Tensor3D;
      return this.stepOwnActions(conv, keep, h, c, realOneHot, real, record);
    });
  }

  /**
   * The 'lstm' form's acting step, its counterfactuals being each network's own agent's actions (network g is
   * agent g): conv [G, S, C], keep [G, 1, S], state h, c [G, S, H], the one-hot joint actions really taken
   * [G, S, N*A] and agent g's own action in stream s, own [G * S] -> logits [G, K = A, S, (N-1)*A] (alternative
   * k: agent g took k) and the state after the real actions. One lstmStepCounterfactual call: the real step's
   * products once, each alternative one row of the LSTM's weights more. `record` keeps the real step's forward
   * pass for the update.
   */
  stepOwnActions(conv: tf.Tensor3D, keep: tf.Tensor3D, h: tf.Tensor3D, c: tf.Tensor3D, realOneHot: tf.Tensor3D, own: Int32Array,
    record?: ForwardRecord): { logits: tf.Tensor4D; h: tf.Tensor3D; c: tf.Tensor3D } {
    if (this.form !== 'lstm') throw new Error('MoaPopulation.stepOwnActions: the \'head\' form reads the actions after its LSTM (use step())');
    return tf.tidy(() => {
      const [G, S] = realOneHot.shape, H = this.lstmUnits, A = this.numActions;
      const realIdx = new Int32Array(G * S), altIdx = new Int32Array(G * A);
      for (let g = 0; g < G; g++) {
        for (let s = 0; s < S; s++) realIdx[g * S + s] = g * A + own[g * S + s];
        for (let k = 0; k < A; k++) altIdx[g * A + k] = g * A + k;
      }
      const y = this.fc(conv, record); // [G, S, F]
      const W = this.lstmW as tf.Tensor3D, b = this.lstmB as tf.Tensor2D;
      const o = lstmStepCounterfactual(tf.concat([y, realOneHot], 2) as tf.Tensor3D, W, b, h, c, keep, this.fcOut, realIdx, 1, altIdx, new Int32Array(A));
      if (record) {
        record.hs.push(tf.keep(tf.reshape(o.h, [G, 1, S, H]) as tf.Tensor4D));
        record.gates.push(tf.keep(o.gates));
        record.cs.push(tf.keep(o.cs));
      }
      const logits = this.head(tf.reshape(o.hAlt, [G, A * S, H]) as tf.Tensor3D);
      return { logits: tf.reshape(logits, [G, A, S, logits.shape[2]]) as tf.Tensor4D, h: o.h, c: o.c };
    });
  }

  /**
   * 'head' form's counterfactual predictions: features [G, S, H] shared by K alternatives whose one-hot actions are
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

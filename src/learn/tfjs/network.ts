/**
 * The agent network of Jaques et al. 2019 (Social Influence), A3C baseline:
 *
 *   uint8 RGB view [B, V, V, 3] / 255
 *   -> conv 3x3, `convFilters` filters, stride 1, 'valid', ReLU
 *   -> flatten (-> concat optional extra inputs [B, extraInputs])
 *   -> dense fc[0] ReLU -> dense fc[1] ReLU ...
 *   -> LSTM (`lstm` units)
 *   -> policy logits [B, numActions] and value [B]
 *
 * Parameter count with the defaults (V = 15, 6 filters, fc [32, 32],
 * LSTM 128, 8 actions, no extra inputs):
 *   conv 3*3*3*6 + 6 = 168; fc1 (13*13*6 = 1014)*32 + 32 = 32 480;
 *   fc2 32*32 + 32 = 1 056; LSTM (32 + 128)*512 + 512 = 82 432;
 *   policy 128*8 + 8 = 1 032; value 128 + 1 = 129;  total 117 297.
 *
 * Sequences are time-major: row t * B + b of a [T*B, ...] tensor is step t of
 * environment/agent b. Only plain tf.matMul (no transpose flags, no
 * tf.fused.matMul) is used so the wasm gradient fix in kernels.ts applies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { read } from './read.ts';
import { LSTMCell, glorotUniform, mulberry32, type LSTMState } from './lstm.ts';

export interface AgentNetOptions {
  numActions: number;
  /** Side of the square egocentric RGB view (default 15). */
  viewSize?: number;
  convFilters?: number;
  /** Hidden sizes of the dense layers after the conv (default [32, 32]). */
  fc?: number[];
  /** LSTM units (default 128). */
  lstm?: number;
  /** Length of an optional vector concatenated after the conv flatten (default 0). */
  extraInputs?: number;
  /** Initialisation seed (default 0). Same seed -> identical weights. */
  seed?: number;
  /** Length of an optional vector concatenated to the LSTM output before the heads (default 0): inputs
   * whose counterfactual values must be cheap to evaluate (re-running only the heads, see headsFrom). */
  headInputs?: number;
  /** Vocabulary of a cheap-talk message head (default 0: none): symbol logits and a value head of its own,
   * on the same inputs as the policy head. */
  messages?: number;
}

export type AgentStepOutput = {
  /** [B, numActions] unnormalised policy logits. */
  logits: tf.Tensor2D;
  /** [B] state-value estimates. */
  value: tf.Tensor1D;
  /** With a message head: [B, vocab] symbol logits and [B] the message stream's value estimates. */
  msgLogits?: tf.Tensor2D;
  msgValue?: tf.Tensor1D;
  h: tf.Tensor2D;
  c: tf.Tensor2D;
};

export type AgentSequenceOutput = {
  /** [T*B, numActions], time-major. */
  logits: tf.Tensor2D;
  /** [T*B], time-major. */
  values: tf.Tensor1D;
  /** With a message head: [T*B, vocab] and [T*B]. */
  msgLogits?: tf.Tensor2D;
  msgValues?: tf.Tensor1D;
  /** Final LSTM state [B, H]. */
  h: tf.Tensor2D;
  c: tf.Tensor2D;
  /** LSTM outputs [T*B, H] (for auxiliary heads of later models). */
  features: tf.Tensor2D;
};

/** Observation input: a tensor [N, V, V, 3] with values 0..255 (any numeric dtype), raw uint8 bytes, or
 * conv features already computed by convFeatures() (shared with a Model of Other Agents). */
export type ObsInput = tf.Tensor | Uint8Array | { conv: tf.Tensor2D };

interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

export class AgentNet {
  readonly numActions: number;
  readonly viewSize: number;
  readonly convFilters: number;
  readonly fc: readonly number[];
  readonly lstmUnits: number;
  readonly extraInputs: number;
  readonly headInputs: number;
  readonly messages: number;
  readonly seed: number;
  /** Size of the flattened conv output. */
  readonly convOutSize: number;

  private readonly convW: tf.Variable;
  private readonly convB: tf.Variable;
  private readonly dense: Dense[];
  private readonly cell: LSTMCell;
  private readonly policy: Dense;
  private readonly valueHead: Dense;
  private readonly msgPolicy?: Dense;
  private readonly msgValue?: Dense;
  private disposed = false;

  constructor(opts: AgentNetOptions) {
    const {
      numActions, viewSize = 15, convFilters = 6, fc = [32, 32], lstm = 128, extraInputs = 0, seed = 0, headInputs = 0, messages = 0,
    } = opts;
    const posInt = (v: number) => Number.isInteger(v) && v > 0;
    if (!posInt(numActions)) throw new Error(`AgentNet: numActions must be a positive integer, got ${numActions}`);
    if (!posInt(viewSize) || viewSize < 3) throw new Error(`AgentNet: viewSize must be an integer >= 3, got ${viewSize}`);
    if (!posInt(convFilters)) throw new Error(`AgentNet: convFilters must be a positive integer, got ${convFilters}`);
    if (!posInt(lstm)) throw new Error(`AgentNet: lstm must be a positive integer, got ${lstm}`);
    if (!fc.every(posInt)) throw new Error(`AgentNet: fc sizes must be positive integers, got ${fc}`);
    if (!(Number.isInteger(extraInputs) && extraInputs >= 0)) {
      throw new Error(`AgentNet: extraInputs must be a non-negative integer, got ${extraInputs}`);
    }
    this.numActions = numActions;
    this.viewSize = viewSize;
    this.convFilters = convFilters;
    this.fc = [...fc];
    this.lstmUnits = lstm;
    this.extraInputs = extraInputs;
    this.headInputs = headInputs;
    this.messages = messages;
    this.seed = seed;
    const convSide = viewSize - 2;
    this.convOutSize = convSide * convSide * convFilters;

    // One PRNG stream, consumed in a fixed order -> deterministic weights.
    const rng = mulberry32(seed);
    const denseLayer = (nIn: number, nOut: number, scale = 1): Dense => {
      const w = glorotUniform(rng, nIn * nOut, nIn, nOut);
      if (scale !== 1) for (let i = 0; i < w.length; i++) w[i] *= scale;
      return {
        w: tf.variable(tf.tensor2d(w, [nIn, nOut]), true),
        b: tf.variable(tf.zeros([nOut]), true),
      };
    };
    this.convW = tf.variable(
      tf.tensor4d(glorotUniform(rng, 3 * 3 * 3 * convFilters, 3 * 3 * 3, 3 * 3 * convFilters), [3, 3, 3, convFilters]),
      true);
    this.convB = tf.variable(tf.zeros([convFilters]), true);
    this.dense = [];
    let nIn = this.convOutSize + extraInputs;
    for (const n of fc) {
      this.dense.push(denseLayer(nIn, n));
      nIn = n;
    }
    this.cell = new LSTMCell({ inputSize: nIn, hiddenSize: lstm, rng });
    this.policy = denseLayer(lstm + headInputs, numActions);
    this.valueHead = denseLayer(lstm + headInputs, 1);
    if (messages > 0) {
      this.msgPolicy = denseLayer(lstm + headInputs, messages);
      this.msgValue = denseLayer(lstm + headInputs, 1);
    }
  }

  /** All trainable variables, in the fixed order used by getWeights/setWeights. */
  get variables(): tf.Variable[] {
    return [
      this.convW, this.convB,
      ...this.dense.flatMap((d) => [d.w, d.b]),
      ...this.cell.variables,
      this.policy.w, this.policy.b,
      this.valueHead.w, this.valueHead.b,
      ...(this.msgPolicy && this.msgValue ? [this.msgPolicy.w, this.msgPolicy.b, this.msgValue.w, this.msgValue.b] : []),
    ];
  }

  numParams(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  zeroState(batch: number): LSTMState {
    return this.cell.zeroState(batch);
  }

  /** [N, V, V, 3] float32 in [0, 1]. */
  private obsToFloat(obs: tf.Tensor | Uint8Array): tf.Tensor4D {
    const V = this.viewSize;
    const per = V * V * 3;
    if (obs instanceof Uint8Array) {
      if (obs.length % per !== 0) {
        throw new Error(`AgentNet: obs byte length ${obs.length} is not a multiple of ${V}x${V}x3`);
      }
      const t = tf.tensor4d(new Float32Array(obs), [obs.length / per, V, V, 3]);
      return tf.mul(t, 1 / 255);
    }
    if (obs.rank !== 4 || obs.shape[1] !== V || obs.shape[2] !== V || obs.shape[3] !== 3) {
      throw new Error(`AgentNet: obs must have shape [N, ${V}, ${V}, 3], got [${obs.shape}]`);
    }
    return tf.mul(tf.cast(obs, 'float32'), 1 / 255);
  }

  /** Conv + dense torso: obs [N, V, V, 3] (+ extra [N, E]) -> [N, fc_last]. */
  /** The conv layer's output, flattened: obs [N, V, V, 3] -> [N, convOutSize]. A Model of Other Agents
   * reads the same features (Jaques et al. 2019 share the conv layer between policy and MOA). */
  convFeatures(obs: tf.Tensor | Uint8Array): tf.Tensor2D {
    this.checkAlive();
    return tf.tidy(() => {
      const x = this.obsToFloat(obs);
      const conv = tf.relu(tf.add(tf.conv2d(x, this.convW as tf.Tensor4D, 1, 'valid'), this.convB));
      return tf.reshape(conv, [x.shape[0], this.convOutSize]) as tf.Tensor2D;
    });
  }

  private torso(obs: ObsInput, extra?: tf.Tensor): tf.Tensor2D {
    let y = 'conv' in obs ? obs.conv : this.convFeatures(obs);
    const n = y.shape[0];
    if (this.extraInputs > 0) {
      if (extra == null || extra.rank !== 2 || extra.shape[0] !== n || extra.shape[1] !== this.extraInputs) {
        throw new Error(
          `AgentNet: expected extra inputs of shape [${n}, ${this.extraInputs}], got ${extra ? `[${extra.shape}]` : 'none'}`);
      }
      y = tf.concat([y, tf.cast(extra, 'float32') as tf.Tensor2D], 1);
    } else if (extra != null) {
      throw new Error('AgentNet: extra inputs given but extraInputs = 0');
    }
    for (const d of this.dense) {
      y = tf.relu(tf.add(tf.matMul(y, d.w), d.b)) as tf.Tensor2D;
    }
    return y;
  }

  private heads(hs: tf.Tensor2D, headExtra?: tf.Tensor2D): { logits: tf.Tensor2D; value: tf.Tensor1D; msgLogits?: tf.Tensor2D; msgValue?: tf.Tensor1D } {
    if (this.headInputs > 0) {
      if (headExtra == null || headExtra.shape[0] !== hs.shape[0] || headExtra.shape[1] !== this.headInputs) {
        throw new Error(`AgentNet: expected head inputs of shape [${hs.shape[0]}, ${this.headInputs}], got ${headExtra ? `[${headExtra.shape}]` : 'none'}`);
      }
      hs = tf.concat([hs, headExtra], 1) as tf.Tensor2D;
    }
    const logits = tf.add(tf.matMul(hs, this.policy.w), this.policy.b) as tf.Tensor2D;
    const value = tf.reshape(tf.add(tf.matMul(hs, this.valueHead.w), this.valueHead.b), [hs.shape[0]]) as tf.Tensor1D;
    if (!this.msgPolicy || !this.msgValue) return { logits, value };
    const msgLogits = tf.add(tf.matMul(hs, this.msgPolicy.w), this.msgPolicy.b) as tf.Tensor2D;
    const msgValue = tf.reshape(tf.add(tf.matMul(hs, this.msgValue.w), this.msgValue.b), [hs.shape[0]]) as tf.Tensor1D;
    return { logits, value, msgLogits, msgValue };
  }

  /** Policy logits from LSTM outputs [M, H] and head inputs [M, headInputs]: what a counterfactual head
   * input changes, without re-running the conv, dense layers or LSTM. */
  headsFrom(features: tf.Tensor2D, headExtra: tf.Tensor2D): tf.Tensor2D {
    this.checkAlive();
    return tf.tidy(() => this.heads(features, headExtra).logits);
  }

  /**
   * Policy logits for K alternative head inputs sharing one set of LSTM outputs: features [B, H],
   * headExtra [K*B, headInputs] (row k*B + b) -> [K*B, numActions]. The policy head is linear, so the
   * features' part is computed once and broadcast instead of copying the features K times.
   */
  counterfactualLogits(features: tf.Tensor2D, headExtra: tf.Tensor2D): tf.Tensor2D {
    this.checkAlive();
    return tf.tidy(() => {
      const [B, H] = features.shape, KB = headExtra.shape[0], A = this.numActions;
      const wH = tf.slice(this.policy.w, [0, 0], [H, A]), wX = tf.slice(this.policy.w, [H, 0], [-1, A]);
      const fPart = tf.add(tf.matMul(features, wH), this.policy.b);
      const xPart = tf.reshape(tf.matMul(headExtra, wX), [KB / B, B, A]);
      return tf.reshape(tf.add(xPart, fPart), [KB, A]) as tf.Tensor2D;
    });
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('AgentNet: used after dispose()');
  }

  /** One step (acting): obs [B, V, V, 3], h, c [B, H], extra [B, E] if extraInputs > 0. */
  forward(obs: ObsInput, h: tf.Tensor2D, c: tf.Tensor2D, extra?: tf.Tensor, headExtra?: tf.Tensor2D): AgentStepOutput {
    this.checkAlive();
    return tf.tidy(() => {
      const y = this.torso(obs, extra);
      if (y.shape[0] !== h.shape[0]) {
        throw new Error(`AgentNet.forward: batch ${y.shape[0]} of obs != batch ${h.shape[0]} of h`);
      }
      const s = this.cell.step(y, h, c);
      return { ...this.heads(s.h, headExtra), h: s.h, c: s.c };
    });
  }

  /**
   * Training pass over a time-major sequence: obs [T*B, V, V, 3],
   * resetMask [T, B] (1 where an episode starts at step t: the LSTM state is
   * zeroed before that step), h0, c0 [B, H], extra [T*B, E] if extraInputs > 0.
   */
  forwardSequence(
    obs: ObsInput, resetMask: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, extra?: tf.Tensor, headExtra?: tf.Tensor2D,
  ): AgentSequenceOutput {
    this.checkAlive();
    const [T, B] = resetMask.shape;
    return tf.tidy(() => {
      const y = this.torso(obs, extra);
      if (y.shape[0] !== T * B) {
        throw new Error(`AgentNet.forwardSequence: ${y.shape[0]} observations != T*B = ${T}*${B}`);
      }
      const seq = tf.reshape(y, [T, B, y.shape[1]]) as tf.Tensor3D;
      const u = this.cell.unroll(seq, h0, c0, resetMask);
      const features = tf.reshape(u.outputs, [T * B, this.lstmUnits]) as tf.Tensor2D;
      const { logits, value, msgLogits, msgValue } = this.heads(features, headExtra);
      return { logits, values: value, msgLogits, msgValues: msgValue, h: u.h, c: u.c, features };
    });
  }

  /** Copies of all weights, in `variables` order. */
  async getWeights(): Promise<Float32Array[]> {
    this.checkAlive();
    return Promise.all(this.variables.map(read));
  }

  setWeights(weights: ArrayLike<number>[]): void {
    this.checkAlive();
    const vars = this.variables;
    if (weights.length !== vars.length) {
      throw new Error(`AgentNet.setWeights: expected ${vars.length} arrays, got ${weights.length}`);
    }
    vars.forEach((v, i) => {
      if (weights[i].length !== v.size) {
        throw new Error(`AgentNet.setWeights: array ${i} has ${weights[i].length} values, expected ${v.size} [${v.shape}]`);
      }
    });
    tf.tidy(() => {
      vars.forEach((v, i) => v.assign(tf.tensor(Float32Array.from(weights[i]), v.shape, 'float32')));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables) v.dispose();
  }
}

/**
 * A population of G agent networks with identical shapes, their weights stacked ([G, ...] per layer), run
 * as one op sequence for all of them (Jaques et al. 2019's network, the A3C baseline's):
 *
 *   uint8 RGB view [V, V, 3] / 255
 *   -> conv 3x3, `convFilters` filters, stride 1, 'valid', ReLU -> flatten (-> concat `extraInputs`)
 *   -> dense fc[0] ReLU -> dense fc[1] ReLU ... (-> concat `lstmInputs`) -> LSTM (`lstm` units)
 *   -> [LSTM output, `headInputs`] -> policy logits [A] and value; with `messages` > 0 also symbol logits
 *      [messages] and the message stream's value (model II)
 *
 * Conditioning inputs (other agents' actions, symbols heard) enter either the LSTM (`lstmInputs`, the
 * paper's form) or the heads (`headInputs`). With `headEmbedding` E > 0 the head inputs pass a learned
 * linear layer of E units first: [LSTM output, dense E (head inputs)] -> heads. With `messageEmbedding` E > 0
 * the message heads read a learned linear layer of E units of the LSTM output (model II's comm embedding in
 * the paper's form: "the linear layer that connects the LSTM to the communication policy layer").
 *
 * Network g only ever sees rows of group g and its own weights: independent learners keep independent
 * parameters, gradients and (in the learner) optimiser state and clipping; the batched ops only save the
 * per-op overhead of running G networks one after another. With shared parameters G = 1 and the agent's
 * one-hot id is the extra input.
 *
 * Tensors are group-major: [G, M, ...] with M rows per group; sequences are time-major inside a group
 * (row t * S + s is step t of stream s). Parameter count with the defaults (V = 15, 6 filters, fc [32,
 * 32], LSTM 128, 8 actions, no extra or head inputs): 117 297 per network.
 */
import * as tf from '@tensorflow/tfjs-core';
import { read } from '../tfjs/read.ts';
import { convRelu, dense, lstmSequence, obsBatch, type ObsBatch, type LstmOut, type LstmInternals } from '../tfjs/ops.ts';
import { learnKernelsActive } from '../tfjs/wasm-kernels.ts';
import { lstmStepCounterfactual } from '../tfjs/lstm-counterfactual.ts';
import { glorotUniform, mulberry32 } from './init.ts';

export interface PopulationOptions {
  /** Networks (agents with their own parameters; 1 when they share). */
  G: number;
  numActions: number;
  /** Side of the square egocentric view (default 15). */
  viewSize?: number;
  convFilters?: number;
  /** Dense layers after the conv (default [32, 32]). */
  fc?: number[];
  /** LSTM units (default 128). */
  lstm?: number;
  /** Inputs concatenated after the conv features (shared parameters: the one-hot agent id). */
  extraInputs?: number;
  /** Inputs concatenated to the dense layers' output, into the LSTM (the paper's form of the conditioning). */
  lstmInputs?: number;
  /** Inputs concatenated to the LSTM output before the heads: what a counterfactual changes cheaply
   * (model I: the influencers' actions; model II: the symbols heard). */
  headInputs?: number;
  /** Vocabulary of a cheap-talk message head (0: none). */
  messages?: number;
  /** Units of a linear embedding of the head inputs before the heads (0: the head inputs as they are). */
  headEmbedding?: number;
  /** Units of a linear layer between the LSTM output and the message heads (0: none). */
  messageEmbedding?: number;
  /** Seed of network g's initial weights: seedOf(g) (default g). */
  seedOf?: (g: number) => number;
}

export type Heads = {
  /** [G, M, A] */
  logits: tf.Tensor3D;
  /** [G, M] */
  value: tf.Tensor2D;
  /** With a message head: [G, M, vocab] and [G, M]. */
  msgLogits?: tf.Tensor3D;
  msgValue?: tf.Tensor2D;
};

export type Torso = {
  /** The conv layer's output, flattened [G, M, convOutSize] (a Model of Other Agents reads it too). */
  conv: tf.Tensor3D;
  /** The last dense layer's output [G, M, fc_last]. */
  y: tf.Tensor3D;
};

/** A dense layer's weights [G, in, out] and bias [G, 1, out] (shaped to broadcast over rows). */
interface Dense { w: tf.Variable; b: tf.Variable }

/**
 * The forward passes of a rollout's steps as acting computed them (with the wasm kernels), kept so the
 * update attaches gradients to them instead of computing them again: per step, the conv output [G, S, C],
 * each dense layer's output [G, S, J], and the LSTM's output, gates and cells [G, 1, S, *].
 */
export class ForwardRecord {
  conv: tf.Tensor3D[] = [];
  dense: tf.Tensor3D[][] = [];
  hs: tf.Tensor4D[] = [];
  gates: tf.Tensor4D[] = [];
  cs: tf.Tensor4D[] = [];

  get steps(): number { return this.hs.length; }

  /** The recorded steps, time-major: conv [G, T*S, C], dense [G, T*S, J], LSTM [G, T, S, *]. */
  joined(): { conv: tf.Tensor3D; dense: tf.Tensor3D[]; lstm: LstmOut & LstmInternals } {
    const T = this.steps, [G, , S, H] = this.hs[0].shape;
    const cat3 = (xs: tf.Tensor3D[]) => (xs.length === 1 ? xs[0] : tf.concat(xs, 1));
    const cat4 = (xs: tf.Tensor4D[]) => (xs.length === 1 ? xs[0] : tf.concat(xs, 1));
    const cs = cat4(this.cs);
    return {
      conv: this.conv.length ? cat3(this.conv) : (undefined as unknown as tf.Tensor3D),
      dense: this.dense.map(cat3),
      lstm: {
        hs: cat4(this.hs), gates: cat4(this.gates), cs,
        h: tf.reshape(this.hs[T - 1], [G, S, H]) as tf.Tensor3D, c: tf.reshape(this.cs[T - 1], [G, S, H]) as tf.Tensor3D,
      },
    };
  }

  clear(): void {
    tf.dispose([...this.conv, ...this.dense.flat(), ...this.hs, ...this.gates, ...this.cs]);
    this.conv = [];
    this.dense = [];
    this.hs = [];
    this.gates = [];
    this.cs = [];
  }
}


/** One acting LSTM step of a range of networks (Population.lstmStep): the real step and its internals. */
export interface LstmStep { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D; gates?: tf.Tensor4D; cs?: tf.Tensor4D }

/**
 * The LSTM steps of consecutive ranges of networks (the phases of one acting step), joined over the networks
 * [G, S, H]; with `record`, kept there as one step (when every range has its internals). The steps' tensors
 * are released (or become the result).
 */
export function joinSteps(steps: LstmStep[], record?: ForwardRecord): { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
  const join = <T extends tf.Tensor>(xs: T[]) => (xs.length === 1 ? xs[0] : tf.concat(xs, 0) as T);
  const out = { features: join(steps.map((x) => x.features)), h: join(steps.map((x) => x.h)), c: join(steps.map((x) => x.c)) };
  const internals = steps.flatMap((x) => [x.gates, x.cs]).filter((x) => x !== undefined);
  const kept: tf.Tensor[] = [];
  if (record && steps.every((x) => x.gates && x.cs)) {
    const [G, S, H] = out.features.shape;
    record.hs.push(tf.keep(tf.reshape(out.features, [G, 1, S, H]) as tf.Tensor4D));
    for (const [to, x] of [[record.gates, join(steps.map((y) => y.gates!))], [record.cs, join(steps.map((y) => y.cs!))]] as const) {
      to.push(tf.keep(x));
      kept.push(x);
    }
  }
  if (steps.length > 1) tf.dispose(steps.flatMap((x) => [x.features, x.h, x.c]));
  tf.dispose(internals.filter((x) => !kept.includes(x)));
  return out;
}

/** One layer's weights for every network, stacked: [G, ...shape]. Network g's values come from init(g). */
function stacked(G: number, shape: number[], init: (g: number) => Float32Array): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const all = new Float32Array(G * size);
  for (let g = 0; g < G; g++) all.set(init(g), g * size);
  return tf.variable(tf.tensor(all, [G, ...shape]), true);
}

export class Population {
  readonly G: number;
  readonly numActions: number;
  readonly viewSize: number;
  readonly convFilters: number;
  readonly fc: readonly number[];
  readonly lstmUnits: number;
  readonly extraInputs: number;
  readonly lstmInputs: number;
  readonly headInputs: number;
  readonly messages: number;
  readonly headEmbedding: number;
  readonly messageEmbedding: number;
  readonly convOutSize: number;
  /** Width of the dense layers' output (the LSTM's input besides lstmInputs). */
  readonly fcOut: number;

  private readonly convW: tf.Variable;
  private readonly convB: tf.Variable;
  private readonly dense: Dense[];
  private readonly lstmW: tf.Variable;
  private readonly lstmB: tf.Variable;
  private readonly policy: Dense;
  private readonly valueHead: Dense;
  private readonly msgPolicy?: Dense;
  private readonly msgValue?: Dense;
  private readonly embed?: Dense;
  private readonly msgEmbed?: Dense;
  /** Slices of the weights for a range of networks, kept until the weights change (acting in phases). */
  private readonly parts = new Map<tf.Variable, Map<number, { id: object; t: tf.Tensor }>>();
  private disposed = false;

  constructor(o: PopulationOptions) {
    const { G, numActions, viewSize = 15, convFilters = 6, fc = [32, 32], lstm = 128, extraInputs = 0, lstmInputs = 0, headInputs = 0, messages = 0 } = o;
    const { headEmbedding = 0, messageEmbedding = 0 } = o;
    const posInt = (v: number) => Number.isInteger(v) && v > 0;
    for (const [name, v] of [['G', G], ['numActions', numActions], ['convFilters', convFilters], ['lstm', lstm]] as const) {
      if (!posInt(v)) throw new Error(`Population: ${name} must be a positive integer, got ${v}`);
    }
    if (!posInt(viewSize) || viewSize < 3) throw new Error(`Population: viewSize must be an integer >= 3, got ${viewSize}`);
    if (!fc.every(posInt)) throw new Error(`Population: fc sizes must be positive integers, got ${fc}`);
    for (const [name, v] of [['extraInputs', extraInputs], ['lstmInputs', lstmInputs], ['headInputs', headInputs], ['messages', messages],
      ['headEmbedding', headEmbedding], ['messageEmbedding', messageEmbedding]] as const) {
      if (!(Number.isInteger(v) && v >= 0)) throw new Error(`Population: ${name} must be a non-negative integer, got ${v}`);
    }
    this.G = G;
    this.numActions = numActions;
    this.viewSize = viewSize;
    this.convFilters = convFilters;
    this.fc = [...fc];
    this.lstmUnits = lstm;
    this.extraInputs = extraInputs;
    this.lstmInputs = lstmInputs;
    this.headInputs = headInputs;
    this.messages = messages;
    this.headEmbedding = headInputs > 0 ? headEmbedding : 0;
    this.messageEmbedding = messages > 0 ? messageEmbedding : 0;
    this.convOutSize = (viewSize - 2) * (viewSize - 2) * convFilters;
    const seedOf = o.seedOf ?? ((g: number) => g);
    // Each network's weights come from its own generator, consumed in a fixed order (conv, dense layers,
    // LSTM, heads), so network g's initial weights depend on its seed only.
    const rngs = Array.from({ length: G }, (_, g) => mulberry32(seedOf(g)));
    const glorot = (shape: number[], fanIn: number, fanOut: number) =>
      stacked(G, shape, (g) => glorotUniform(rngs[g], shape.reduce((a, b) => a * b, 1), fanIn, fanOut));
    const zeros = (shape: number[]) => stacked(G, shape, () => new Float32Array(shape.reduce((a, b) => a * b, 1)));
    const layer = (nIn: number, nOut: number): Dense => ({ w: glorot([nIn, nOut], nIn, nOut), b: zeros([1, nOut]) });
    this.convW = glorot([3, 3, 3, convFilters], 27, 9 * convFilters);
    this.convB = zeros([convFilters]);
    this.dense = [];
    let nIn = this.convOutSize + extraInputs;
    for (const n of fc) {
      this.dense.push(layer(nIn, n));
      nIn = n;
    }
    this.fcOut = nIn;
    nIn += lstmInputs;
    this.lstmW = glorot([nIn + lstm, 4 * lstm], nIn + lstm, 4 * lstm);
    // forget-gate bias 1 (gates i, f, g, o)
    this.lstmB = stacked(G, [4 * lstm], () => new Float32Array(4 * lstm).fill(1, lstm, 2 * lstm));
    const headIn = lstm + (this.headEmbedding || headInputs);
    this.policy = layer(headIn, numActions);
    this.valueHead = layer(headIn, 1);
    if (messages > 0) {
      const msgIn = this.messageEmbedding || headIn;
      this.msgPolicy = layer(msgIn, messages);
      this.msgValue = layer(msgIn, 1);
    }
    // last, so that the other weights' initial values and indices do not depend on them
    if (this.headEmbedding) this.embed = layer(headInputs, this.headEmbedding);
    if (this.messageEmbedding) this.msgEmbed = layer(lstm, this.messageEmbedding);
  }

  /** All trainable variables in a fixed order (checkpoints and the optimiser use it). Network g's part of
   * each is slice g of its first axis. */
  get variables(): tf.Variable[] {
    return [
      this.convW, this.convB,
      ...this.dense.flatMap((d) => [d.w, d.b]),
      this.lstmW, this.lstmB,
      this.policy.w, this.policy.b,
      this.valueHead.w, this.valueHead.b,
      ...(this.msgPolicy && this.msgValue ? [this.msgPolicy.w, this.msgPolicy.b, this.msgValue.w, this.msgValue.b] : []),
      ...(this.embed ? [this.embed.w, this.embed.b] : []),
      ...(this.msgEmbed ? [this.msgEmbed.w, this.msgEmbed.b] : []),
    ];
  }

  /** Parameters of one network. */
  paramsPerNetwork(): number {
    return this.variables.reduce((s, v) => s + v.size / this.G, 0);
  }

  /** The views of M rows per group ([G, M, V, V, 3] bytes) as the network's input. */
  input(bytes: Uint8Array, M: number): ObsBatch {
    return obsBatch(bytes, this.G, M, this.viewSize);
  }

  /** Conv and dense layers: obs [G, M] views (+ extra [G, M, extraInputs]). With `record`, the step's conv
   * and dense outputs are kept there; with `known` (a joined record), they are reused, not recomputed. */
  torso(obs: ObsBatch, extra?: tf.Tensor3D, record?: ForwardRecord, known?: { conv: tf.Tensor3D; dense: tf.Tensor3D[] }): Torso {
    this.checkAlive();
    const conv = convRelu(obs, this.convW, this.convB, known?.conv);
    let y: tf.Tensor3D = conv;
    if (this.extraInputs > 0) {
      if (extra == null || extra.shape[2] !== this.extraInputs || extra.shape[1] !== conv.shape[1]) {
        throw new Error(`Population: expected extra inputs [${this.G}, ${conv.shape[1]}, ${this.extraInputs}], got ${extra ? `[${extra.shape}]` : 'none'}`);
      }
      y = tf.concat([conv, extra], 2);
    }
    this.dense.forEach((d, l) => {
      y = dense(y, d.w as tf.Tensor3D, d.b as tf.Tensor3D, true, known?.dense[l]);
      if (record) (record.dense[l] ??= []).push(tf.keep(tf.clone(y)));
    });
    if (record) record.conv.push(tf.keep(tf.clone(conv)));
    return { conv, y };
  }

  /** Whether acting can record its forward passes for the update (the wasm kernels compute them the same
   * way in a step and in a sequence); `reuseForwardPasses` turns it off (tests, benchmarks). */
  static canRecord(): boolean {
    return Population.reuseForwardPasses && learnKernelsActive();
  }

  static reuseForwardPasses = true;

  /** The LSTM over T steps of S streams: y [G, T*S, fc], keep [G, T, S] (0 where an episode starts), and the
   * conditioning inputs that enter it [G, T*S, lstmInputs] (with lstmInputs > 0). With `record` the step's
   * outputs and internals are kept there; with `known` they are reused. */
  recur(y: tf.Tensor3D, keep: tf.Tensor3D, h0: tf.Tensor3D, c0: tf.Tensor3D, record?: ForwardRecord, known?: LstmOut & LstmInternals,
    lstmExtra?: tf.Tensor3D): { features: tf.Tensor3D; h: tf.Tensor3D; c: tf.Tensor3D } {
    const [G, T, S] = keep.shape;
    const x = this.lstmInput(y, lstmExtra);
    const out = lstmSequence(tf.reshape(x, [G, T, S, x.shape[2]]) as tf.Tensor4D, this.lstmW as tf.Tensor3D, this.lstmB as tf.Tensor2D, h0, c0, keep, {
      known, internals: record ? (i) => { record.gates.push(i.gates); record.cs.push(i.cs); } : undefined,
    });
    if (record) record.hs.push(tf.keep(tf.clone(out.hs)));
    return { features: tf.reshape(out.hs, [G, T * S, this.lstmUnits]) as tf.Tensor3D, h: out.h, c: out.c };
  }

  /** The LSTM's input: the dense layers' output [G', M, fc], with the conditioning inputs [G', M, lstmInputs]. */
  private lstmInput(y: tf.Tensor3D, extra?: tf.Tensor3D): tf.Tensor3D {
    if (this.lstmInputs === 0) return y;
    if (extra == null || extra.shape[1] !== y.shape[1] || extra.shape[2] !== this.lstmInputs) {
      throw new Error(`Population: expected LSTM inputs [${y.shape[0]}, ${y.shape[1]}, ${this.lstmInputs}], got ${extra ? `[${extra.shape}]` : 'none'}`);
    }
    return tf.concat([y, extra], 2);
  }

  /**
   * One acting step of networks [g0, g1) whose conditioning inputs enter the LSTM (lstmInputs > 0): y [G', S,
   * fc] the dense layers' output, lstmExtra [G', S, lstmInputs], keep [G', 1, S], state h, c [G', S, H]. With
   * `alternatives` (see lstmStepCounterfactual: one-hot swaps inside the conditioning block) their LSTM outputs
   * hAlt [G', K, S, H] come from the same call, sharing the real step's products. Returns the real step's
   * outputs (features [G', S, H] and the next state) and its internals (gates, cells: [G', 1, S, *], for a
   * forward record; undefined without the wasm kernels when there are no alternatives).
   */
  lstmStep(y: tf.Tensor3D, lstmExtra: tf.Tensor3D, keep: tf.Tensor3D, h: tf.Tensor3D, c: tf.Tensor3D, g0 = 0, g1 = this.G,
    alternatives?: { R: number; realIdx: Int32Array; altIdx: Int32Array; altGroup: Int32Array }) {
    this.checkAlive();
    const x = this.lstmInput(y, lstmExtra), [Gp, S] = keep.shape.length === 3 ? [keep.shape[0], keep.shape[2]] : [0, 0];
    const W = this.part(this.lstmW, g0, g1) as tf.Tensor3D, b = this.part(this.lstmB, g0, g1) as tf.Tensor2D;
    if (alternatives) {
      const a = alternatives;
      const o = lstmStepCounterfactual(x, W, b, h, c, keep, this.fcOut, a.realIdx, a.R, a.altIdx, a.altGroup);
      return { features: o.h, h: o.h, c: o.c, gates: o.gates as tf.Tensor4D | undefined, cs: o.cs as tf.Tensor4D | undefined, hAlt: o.hAlt as tf.Tensor4D | undefined };
    }
    let internals: LstmInternals | undefined;
    const out = lstmSequence(tf.reshape(x, [Gp, 1, S, x.shape[2]]) as tf.Tensor4D, W, b, h, c, keep, { internals: (i) => { internals = i; } });
    return {
      features: tf.reshape(out.hs, [Gp, S, this.lstmUnits]) as tf.Tensor3D, h: out.h, c: out.c,
      gates: internals?.gates, cs: internals?.cs, hAlt: undefined as tf.Tensor4D | undefined,
    };
  }

  /** Policy, value (and message) heads on LSTM outputs [G', M, H] and head inputs [G', M, headInputs] of
   * networks [g0, g1) (all by default). */
  heads(features: tf.Tensor3D, headExtra?: tf.Tensor3D, g0 = 0, g1 = this.G): Heads {
    this.checkAlive();
    let x = features;
    if (this.headInputs > 0) {
      if (headExtra == null || headExtra.shape[1] !== features.shape[1] || headExtra.shape[2] !== this.headInputs) {
        throw new Error(`Population: expected head inputs [${g1 - g0}, ${features.shape[1]}, ${this.headInputs}], got ${headExtra ? `[${headExtra.shape}]` : 'none'}`);
      }
      x = tf.concat([features, this.embedded(headExtra, g0, g1)], 2);
    }
    const [G, M] = features.shape;
    const d = (l: Dense, y: tf.Tensor3D) => dense(y, this.part(l.w, g0, g1) as tf.Tensor3D, this.part(l.b, g0, g1) as tf.Tensor3D, false);
    const logits = d(this.policy, x);
    const value = tf.reshape(d(this.valueHead, x), [G, M]) as tf.Tensor2D;
    if (!this.msgPolicy || !this.msgValue) return { logits, value };
    // the message heads read the comm embedding of the LSTM output, when there is one
    const xm = this.msgEmbed ? d(this.msgEmbed, features) : x;
    const msgLogits = d(this.msgPolicy, xm);
    const msgValue = tf.reshape(d(this.msgValue, xm), [G, M]) as tf.Tensor2D;
    return { logits, value, msgLogits, msgValue };
  }

  /** The policy head alone on LSTM outputs [G', M, H] of networks [g0, g1) (no head inputs: the 'lstm' form's
   * counterfactual alternatives) -> logits [G', M, A]. */
  policyLogits(features: tf.Tensor3D, g0 = 0, g1 = this.G): tf.Tensor3D {
    this.checkAlive();
    if (this.headInputs > 0) throw new Error('Population.policyLogits: this network\'s heads read head inputs too');
    return dense(features, this.part(this.policy.w, g0, g1) as tf.Tensor3D, this.part(this.policy.b, g0, g1) as tf.Tensor3D, false);
  }

  /** Head inputs [G', M, headInputs] as the heads read them: through the embedding when there is one
   * (networks [g0, g1)); a [1, M, headInputs] input is shared by all of them. */
  private embedded(x: tf.Tensor3D, g0 = 0, g1 = this.G): tf.Tensor3D {
    if (!this.embed) return x;
    const Gp = g1 - g0, E = this.headEmbedding;
    const w = Gp === this.G ? this.embed.w : tf.slice(this.embed.w, [g0, 0, 0], [Gp, this.headInputs, E]);
    const b = Gp === this.G ? this.embed.b : tf.slice(this.embed.b, [g0, 0, 0], [Gp, 1, E]);
    return tf.add(tf.matMul(x, w as tf.Tensor3D), b) as tf.Tensor3D;
  }

  /**
   * Policy logits for K alternative head inputs per row, sharing the LSTM outputs: networks [g0, g1) (all by
   * default), their features [G', S, H], alternatives [K, S, headInputs] (the same for each of them) ->
   * [G', K, S, A]. The head is linear in [features, head inputs (embedded)], so the features' part is
   * computed once and broadcast over the alternatives.
   */
  counterfactualLogits(features: tf.Tensor3D, alternatives: tf.Tensor3D, g0 = 0, g1 = this.G): tf.Tensor4D {
    this.checkAlive();
    return tf.tidy(() => {
      const [Gp, S, H] = features.shape, [K] = alternatives.shape, A = this.numActions, X = this.headEmbedding || this.headInputs;
      if (Gp !== g1 - g0) throw new Error(`Population.counterfactualLogits: features for ${Gp} networks, range [${g0}, ${g1})`);
      const wH = tf.slice(this.policy.w, [g0, 0, 0], [Gp, H, A]), wX = tf.slice(this.policy.w, [g0, H, 0], [Gp, X, A]);
      const b = tf.slice(this.policy.b, [g0, 0, 0], [Gp, 1, A]);
      const fPart = tf.add(tf.matMul(features, wH), b); // [G', S, A]
      const x = this.embedded(tf.reshape(alternatives, [1, K * S, this.headInputs]) as tf.Tensor3D, g0, g1); // [1 or G', K*S, X]
      const xPart = tf.reshape(tf.matMul(x, wX), [Gp, K, S, A]);
      return tf.add(xPart, tf.expandDims(fPart, 1)) as tf.Tensor4D;
    });
  }

  /** Network g's weights, in `variables` order (as a single network's checkpoint holds them). */
  async getWeights(g: number): Promise<Float32Array[]> {
    this.checkAlive();
    return Promise.all(this.variables.map(async (v) => {
      const all = await read(v), n = v.size / this.G;
      return all.slice(g * n, (g + 1) * n);
    }));
  }

  /** Replaces network g's weights (arrays in `variables` order, one network's each). */
  setWeights(g: number, weights: ArrayLike<number>[]): void {
    this.checkAlive();
    const vars = this.variables;
    if (weights.length !== vars.length) throw new Error(`Population.setWeights: expected ${vars.length} arrays, got ${weights.length}`);
    tf.tidy(() => vars.forEach((v, k) => {
      const n = v.size / this.G;
      if (weights[k].length !== n) throw new Error(`Population.setWeights: array ${k} has ${weights[k].length} values, expected ${n} [${v.shape.slice(1)}]`);
      const parts = tf.unstack(v);
      parts[g] = tf.tensor(Float32Array.from(weights[k]), v.shape.slice(1));
      v.assign(tf.stack(parts));
    }));
  }

  /** Networks [g0, g1) of a stacked weight [G, ...] (the weight itself when that is all of them). The slice is
   * kept until the weight changes (an assign gives it new data), so acting in phases slices once per update. */
  private part(v: tf.Variable, g0: number, g1: number): tf.Tensor {
    if (g0 === 0 && g1 === this.G) return v;
    const id = (v as unknown as { dataId: object }).dataId, key = g0 * 65536 + g1;
    const byRange = this.parts.get(v) ?? new Map<number, { id: object; t: tf.Tensor }>();
    this.parts.set(v, byRange);
    const hit = byRange.get(key);
    if (hit?.id === id) return hit.t;
    hit?.t.dispose();
    const t = tf.keep(tf.slice(v, [g0, ...v.shape.slice(1).map(() => 0)], [g1 - g0, ...v.shape.slice(1)]));
    byRange.set(key, { id, t });
    return t;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('Population: used after dispose()');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables) v.dispose();
    for (const byRange of this.parts.values()) for (const { t } of byRange.values()) t.dispose();
  }
}

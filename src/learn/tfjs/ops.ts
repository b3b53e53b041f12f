/**
 * The population network's building blocks as differentiable tfjs ops over stacked weights: G networks
 * with identical shapes, weights [G, ...], inputs [G, rows, ...]. Each op computes network g's rows with
 * network g's weights only, so one call serves every agent and their gradients stay separate.
 *
 * On tfjs's wasm backend with the learner's kernels installed (./wasm-kernels.ts), the first conv layer
 * and the LSTM over a sequence run as one kernel each (forward and backward); everywhere else (webgpu,
 * cpu, or wasm without the kernels) they are composed from standard tfjs ops, which is also the
 * reference the kernels are tested against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONV, CONV_GRAD, LSTM, LSTM_GRAD, learnKernelsActive } from './wasm-kernels.ts';

/** tfjs's engine entry for an op with its own backward function (what tf.customGrad uses, but with several
 * outputs); public in the engine, though not in its type declarations. */
interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (ts: tf.Tensor[]) => void) => tf.Tensor | tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor | tf.Tensor[];
  runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}
const engine = () => tf.engine() as unknown as KernelFuncEngine;

/** Views as the network's input: [G, M] views of V x V x C bytes. */
export interface ObsBatch {
  readonly G: number;
  readonly M: number;
  readonly V: number;
  readonly C: number;
  /** With the kernels: the bytes as int32 words [G, M, ceil(V*V*C / 4)] (rows zero-padded); otherwise the
   * views as floats in [0, 1], [G * M, V, V, C]. */
  readonly tensor: tf.Tensor;
  readonly packed: boolean;
}

/** Uploads `bytes` ([G, M, V, V, C], group-major) as the network's input; dispose the tensor after use. */
export function obsBatch(bytes: Uint8Array, G: number, M: number, V: number, C = 3): ObsBatch {
  const per = V * V * C;
  if (bytes.length < G * M * per) throw new Error(`obsBatch: ${bytes.length} bytes for ${G} x ${M} views of ${per}`);
  if (learnKernelsActive()) {
    const words = Math.ceil(per / 4);
    let ints: Int32Array;
    if (words * 4 === per && bytes.byteOffset % 4 === 0) ints = new Int32Array(bytes.buffer, bytes.byteOffset, G * M * words);
    else {
      const padded = new Uint8Array(G * M * words * 4);
      for (let r = 0; r < G * M; r++) padded.set(bytes.subarray(r * per, (r + 1) * per), r * words * 4);
      ints = new Int32Array(padded.buffer);
    }
    return { G, M, V, C, packed: true, tensor: tf.tensor3d(ints, [G, M, words], 'int32') };
  }
  const floats = new Float32Array(G * M * per);
  for (let k = 0; k < floats.length; k++) floats[k] = bytes[k] / 255;
  return { G, M, V, C, packed: false, tensor: tf.tensor4d(floats, [G * M, V, V, C]) };
}

/** relu(conv3x3 'valid'(views, w[g]) + bias[g]) flattened per row: w [G, 3, 3, C, F], bias [G, F] -> [G, M, (V-2)^2 F].
 * With `known`, the output this computation gave before (same views and weights, e.g. while acting) is
 * returned as it is, and only the gradient is attached (wasm kernels only). */
export function convRelu(obs: ObsBatch, w: tf.Tensor, bias: tf.Tensor, known?: tf.Tensor3D): tf.Tensor3D {
  const { G, M, V, C } = obs;
  const F = w.shape[4]!, O = V - 2;
  if (obs.packed) {
    const e = engine();
    return e.runKernelFunc({
      forwardFunc: (_backend, save) => {
        const y = known ? tf.clone(known) : e.runKernel(CONV, { obs: obs.tensor, w, bias }, { V, C }) as tf.Tensor;
        save([obs.tensor, y]);
        return y;
      },
      backwardsFunc: (dy, saved) => {
        const [dw, db] = e.runKernel(CONV_GRAD, { obs: saved[0], y: saved[1], dy: dy as tf.Tensor }, { V, C, F }) as tf.Tensor[];
        return { w: () => dw, bias: () => db };
      },
      inputs: { w, bias },
    }) as tf.Tensor3D;
  }
  if (known) throw new Error('convRelu: a known output needs the wasm kernels');
  // Slices of rank-2 views, not tf.unstack (its gradient fails for one output in tfjs 4.22) nor rank-5
  // slices (their gradient, a pad, has no rank-5 shader in tfjs-backend-webgpu 4.22).
  return tf.tidy(() => {
    const x = tf.reshape(obs.tensor, [G, M * V * V * C]), w2 = tf.reshape(w, [G, 9 * C * F]);
    const ys = Array.from({ length: G }, (_, g) => {
      const xg = tf.reshape(tf.slice(x, [g, 0], [1, M * V * V * C]), [M, V, V, C]) as tf.Tensor4D;
      const wg = tf.reshape(tf.slice(w2, [g, 0], [1, 9 * C * F]), [3, 3, C, F]) as tf.Tensor4D;
      const bg = tf.reshape(tf.slice(bias, [g, 0], [1, F]), [F]);
      return tf.reshape(tf.relu(tf.add(tf.conv2d(xg, wg, 1, 'valid'), bg)), [1, M, O * O * F]);
    });
    return (G === 1 ? ys[0] : tf.concat(ys, 0)) as tf.Tensor3D;
  });
}

/**
 * x [G, M, K] w [G, K, J] + bias [G, 1, J], with ReLU when `relu`. With `known`, the output computed before
 * from the same x and weights is returned as it is and only the gradient is attached: dy' = dy * (y > 0)
 * (ReLU), dW = x^T dy', db = sum over rows of dy', dx = dy' W^T.
 */
export function dense(x: tf.Tensor3D, w: tf.Tensor3D, bias: tf.Tensor3D, relu: boolean, known?: tf.Tensor3D): tf.Tensor3D {
  if (!known) {
    const y = tf.add(tf.matMul(x, w), bias) as tf.Tensor3D;
    return relu ? tf.relu(y) : y;
  }
  const e = engine();
  return e.runKernelFunc({
    forwardFunc: (_backend, save) => {
      const y = tf.clone(known);
      save([x, w, y]);
      return y;
    },
    backwardsFunc: (dy, saved) => {
      const [sx, sw, y] = saved;
      const d = relu ? tf.mul(dy as tf.Tensor, tf.step(y)) : dy as tf.Tensor;
      return { x: () => tf.matMul(d as tf.Tensor3D, sw as tf.Tensor3D, false, true), w: () => tf.matMul(sx as tf.Tensor3D, d as tf.Tensor3D, true, false), bias: () => tf.sum(d, 1, true) };
    },
    inputs: { x, w, bias },
  }) as tf.Tensor3D;
}

export interface LstmOut {
  /** [G, T, S, H] the hidden output of every step. */
  hs: tf.Tensor4D;
  /** [G, S, H] the final state. */
  h: tf.Tensor3D;
  c: tf.Tensor3D;
}

/** What the wasm LSTM kernel computes besides its outputs, which its backward pass reads: the gates after
 * their nonlinearities [G, T, S, 4H] and the cells [G, T, S, H]. */
export interface LstmInternals {
  gates: tf.Tensor4D;
  cs: tf.Tensor4D;
}

/**
 * The LSTM of src/learn/tfjs/lstm.ts over T steps for G networks: x [G, T, S, I], W [G, I + H, 4H] (gates
 * i, f, g, o), bias [G, 4H], h0 and c0 [G, S, H], keep [G, T, S] (0 where an episode starts at step t: the
 * state is zeroed before that step).
 *
 * With the wasm kernels: `internals` receives the gates and cells (kept, for a later `known` call), and with
 * `known` (the outputs and internals computed before from the same inputs and weights, e.g. while acting)
 * nothing is recomputed: the outputs are returned as they are and only the gradient is attached.
 */
export function lstmSequence(x: tf.Tensor4D, W: tf.Tensor3D, bias: tf.Tensor2D, h0: tf.Tensor3D, c0: tf.Tensor3D, keep: tf.Tensor3D,
  opts: { internals?: (i: LstmInternals) => void; known?: LstmOut & LstmInternals } = {}): LstmOut {
  const [G, T, S] = x.shape;
  const H = h0.shape[2];
  if (learnKernelsActive() && H % 4 === 0) {
    const e = engine();
    const { known } = opts;
    const [hs, h, c] = e.runKernelFunc({
      forwardFunc: (_backend, save) => {
        const out = known ? [known.hs, known.h, known.c, known.gates, known.cs].map((t) => tf.clone(t))
          : e.runKernel(LSTM, { x, W, bias, h0, c0, keep }) as tf.Tensor[];
        save([x, W, h0, c0, keep, out[0], out[3], out[4]]);
        if (opts.internals) opts.internals({ gates: tf.keep(out[3]) as tf.Tensor4D, cs: tf.keep(out[4]) as tf.Tensor4D });
        // without a tape, the gates and cells are released with the engine's scope
        return out.slice(0, 3);
      },
      backwardsFunc: (dy, saved) => {
        const dys = dy as tf.Tensor[];
        const [sx, sW, sh0, sc0, skeep, hs, gates, cs] = saved;
        const [dx, dW, db, dh0, dc0] = e.runKernel(LSTM_GRAD, {
          x: sx, W: sW, h0: sh0, c0: sc0, keep: skeep, hs, gates, cs, dhs: dys[0], dhT: dys[1], dcT: dys[2],
        }) as tf.Tensor[];
        return { x: () => dx, W: () => dW, bias: () => db, h0: () => dh0, c0: () => dc0, keep: () => tf.zerosLike(skeep) };
      },
      inputs: { x, W, bias, h0, c0, keep },
    }) as tf.Tensor[];
    return { hs: hs as tf.Tensor4D, h: h as tf.Tensor3D, c: c as tf.Tensor3D };
  }
  if (opts.known) throw new Error('lstmSequence: known outputs need the wasm kernels');
  return tf.tidy(() => {
    const I = x.shape[3];
    const xs = Array.from({ length: T }, (_, t) => tf.reshape(tf.slice(x, [0, t, 0, 0], [G, 1, S, I]), [G, S, I]) as tf.Tensor3D);
    const ks = Array.from({ length: T }, (_, t) => tf.reshape(tf.slice(keep, [0, t, 0], [G, 1, S]), [G, S, 1]) as tf.Tensor3D);
    const b = tf.expandDims(bias, 1);
    let h = h0, c = c0;
    const outs: tf.Tensor3D[] = [];
    for (let t = 0; t < T; t++) {
      h = tf.mul(h, ks[t]);
      c = tf.mul(c, ks[t]);
      const z = tf.add(tf.matMul(tf.concat([xs[t], h], 2), W), b);
      const [i, f, g, o] = tf.split(z, 4, 2);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor3D;
      h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor3D;
      outs.push(h);
    }
    const hs = T === 1 ? tf.expandDims(outs[0], 1) : tf.stack(outs, 1);
    return { hs: hs as tf.Tensor4D, h, c };
  });
}

/**
 * One LSTM step of G networks for the real input and, besides it, for K counterfactual inputs that differ
 * from the real one in a one-hot block: the paper's network form, where other agents' actions or symbols
 * enter the LSTM as one-hot inputs (PAPER.md, "The network's form").
 *
 * A one-hot entry enters the gate pre-activations linearly: z = x Wx + (h * keep) Wh + bias, so making entry
 * `alt` hot instead of `real` changes z by one row difference of W, W[offset + alt] - W[offset + real]. Every
 * counterfactual shares the real step's products; each adds a row difference, the gate nonlinearities and
 * the cell update. The state carried to the next step is the real input's.
 *
 * With the learner's wasm kernels (./wasm-kernels.ts) this is one kernel call for all networks, streams and
 * alternatives (assembly/learn/lstm-cf.ts); elsewhere (cpu, webgpu, wasm without the kernels) it is composed
 * from standard tfjs ops. Either way the real step's outputs are exactly what lstmSequence (./ops.ts) gives
 * for T = 1 on the same backend: the same code path, the same order of operations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LSTM_CF, learnKernelsActive } from './wasm-kernels.ts';

export interface CounterfactualStep {
  /** The real input's step, exactly what lstmSequence gives for T = 1 (bit-identical: same code path and order). */
  h: tf.Tensor3D; // [G, S, H]
  c: tf.Tensor3D; // [G, S, H]
  /** Internals of the real step, as LstmInternals for T = 1, so that an update can reuse acting's forward pass
   * (lstmSequence's `known`, with hs = h reshaped to [G, 1, S, H]). */
  gates: tf.Tensor4D; // [G, 1, S, 4H] after the nonlinearities
  cs: tf.Tensor4D; // [G, 1, S, H]
  /** The hidden output for every alternative. */
  hAlt: tf.Tensor4D; // [G, K, S, H]
}

/**
 * x [G, S, I] (the real inputs, one-hot block included), W [G, I + H, 4H], bias [G, 4H], h0 and c0 [G, S, H],
 * keep [G, 1, S] (0 where an episode starts: the state is zeroed first); the one-hot block starts at input
 * column `offset`. realIdx [G, R, S]: the index (within the block) of the real hot entry of group r for
 * stream s, or -1 when that group has no hot entry (e.g. nothing heard at an episode start); x must hold 1 at
 * each such entry. altIdx [G, K]: the index within the block that alternative k makes hot; altGroup [K] in
 * [0, R): which real entry alternative k replaces. Alternative k of stream (g, s) is the real input with
 * entry realIdx[g, altGroup[k], s] set to 0 (when >= 0) and entry altIdx[g, k] set to 1.
 *
 * Forward only (no gradient): meant for acting, outside the tape. The caller disposes the returned tensors.
 * An alternative equal to the real input (altIdx[g, k] = realIdx[g, altGroup[k], s]) gives exactly h.
 */
export function lstmStepCounterfactual(x: tf.Tensor3D, W: tf.Tensor3D, bias: tf.Tensor2D, h0: tf.Tensor3D, c0: tf.Tensor3D,
  keep: tf.Tensor3D, offset: number, realIdx: Int32Array, R: number, altIdx: Int32Array, altGroup: Int32Array): CounterfactualStep {
  const [G, S, I] = x.shape;
  const H = h0.shape[2];
  const K = altGroup.length;
  checkArgs(x, W, bias, h0, c0, keep, offset, realIdx, R, altIdx, altGroup);
  if (learnKernelsActive() && H % 4 === 0) {
    return tf.tidy(() => {
      const e = tf.engine() as unknown as { runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor[] };
      const [h, c, gates, cs, hAlt] = e.runKernel(LSTM_CF, {
        x, W, bias, h0, c0, keep,
        realIdx: tf.tensor3d(realIdx, [G, R, S], 'int32'), altIdx: tf.tensor2d(altIdx, [G, K], 'int32'), altGroup: tf.tensor1d(altGroup, 'int32'),
      }, { offset });
      return { h: h as tf.Tensor3D, c: c as tf.Tensor3D, gates: gates as tf.Tensor4D, cs: cs as tf.Tensor4D, hAlt: hAlt as tf.Tensor4D };
    });
  }
  return tf.tidy(() => {
    // the real step: lstmSequence's composition for T = 1, op for op
    const k = tf.reshape(keep, [G, S, 1]);
    const hin = tf.mul(h0, k), cin = tf.mul(c0, k);
    const z = tf.add(tf.matMul(tf.concat([x, hin], 2), W), tf.expandDims(bias, 1));
    const [zi, zf, zg, zo] = tf.split(z, 4, 2);
    const [i, f, g, o] = [tf.sigmoid(zi), tf.sigmoid(zf), tf.tanh(zg), tf.sigmoid(zo)];
    const c = tf.add(tf.mul(f, cin), tf.mul(i, g)) as tf.Tensor3D;
    const h = tf.mul(o, tf.tanh(c)) as tf.Tensor3D;
    const gates = tf.expandDims(tf.concat([i, f, g, o], 2), 1) as tf.Tensor4D;
    const cs = tf.expandDims(c, 1) as tf.Tensor4D;
    if (K === 0) return { h, c, gates, cs, hAlt: tf.zeros([G, 0, S, H]) as tf.Tensor4D };
    // the alternatives: z + W[offset + alt] - W[offset + real] (the subtracted row is 0 where real = -1)
    const rows = tf.reshape(W, [G * (I + H), 4 * H]);
    const altRows = new Int32Array(G * K), realRows = new Int32Array(G * K * S), has = new Float32Array(G * K * S);
    for (let gg = 0; gg < G; gg++) {
      for (let kk = 0; kk < K; kk++) {
        altRows[gg * K + kk] = gg * (I + H) + offset + altIdx[gg * K + kk];
        for (let s = 0; s < S; s++) {
          const r = realIdx[(gg * R + altGroup[kk]) * S + s], at = (gg * K + kk) * S + s;
          realRows[at] = gg * (I + H) + offset + Math.max(r, 0);
          has[at] = r >= 0 ? 1 : 0;
        }
      }
    }
    const plus = tf.reshape(tf.gather(rows, tf.tensor1d(altRows, 'int32')), [G, K, 1, 4 * H]);
    const minus = tf.mul(tf.reshape(tf.gather(rows, tf.tensor1d(realRows, 'int32')), [G, K, S, 4 * H]), tf.tensor4d(has, [G, K, S, 1]));
    const za = tf.add(tf.expandDims(z, 1), tf.sub(plus, minus));
    const [ai, af, ag, ao] = tf.split(za, 4, 3);
    const ca = tf.add(tf.mul(tf.sigmoid(af), tf.expandDims(cin, 1)), tf.mul(tf.sigmoid(ai), tf.tanh(ag)));
    const hAlt = tf.mul(tf.sigmoid(ao), tf.tanh(ca)) as tf.Tensor4D;
    return { h, c, gates, cs, hAlt };
  });
}

function checkArgs(x: tf.Tensor3D, W: tf.Tensor3D, bias: tf.Tensor2D, h0: tf.Tensor3D, c0: tf.Tensor3D, keep: tf.Tensor3D,
  offset: number, realIdx: Int32Array, R: number, altIdx: Int32Array, altGroup: Int32Array): void {
  const [G, S, I] = x.shape;
  const H = h0.shape[2];
  const K = altGroup.length;
  const fail = (what: string) => { throw new Error(`lstmStepCounterfactual: ${what}`); };
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, j) => v === b[j]);
  if (!same(W.shape, [G, I + H, 4 * H])) fail(`W has shape [${W.shape}], expected [${[G, I + H, 4 * H]}] for x [${x.shape}] and h0 [${h0.shape}]`);
  if (!same(bias.shape, [G, 4 * H])) fail(`bias has shape [${bias.shape}], expected [${[G, 4 * H]}]`);
  if (!same(h0.shape, [G, S, H]) || !same(c0.shape, [G, S, H])) fail(`h0 [${h0.shape}] and c0 [${c0.shape}] must both be [${[G, S, H]}]`);
  if (!same(keep.shape, [G, 1, S])) fail(`keep has shape [${keep.shape}], expected [${[G, 1, S]}]`);
  if (!Number.isInteger(R) || R < 1) fail(`R = ${R}: expected an integer >= 1`);
  if (realIdx.length !== G * R * S) fail(`realIdx has ${realIdx.length} entries, expected G * R * S = ${G * R * S}`);
  if (altIdx.length !== G * K) fail(`altIdx has ${altIdx.length} entries, expected G * K = ${G * K} (K = altGroup.length)`);
  if (!Number.isInteger(offset) || offset < 0 || offset >= I) fail(`offset = ${offset}: expected an integer in [0, ${I})`);
  const width = I - offset;
  for (const v of realIdx) if (v < -1 || v >= width) fail(`realIdx holds ${v}: expected -1 or an index in [0, ${width})`);
  for (const v of altIdx) if (v < 0 || v >= width) fail(`altIdx holds ${v}: expected an index in [0, ${width})`);
  for (const v of altGroup) if (v < 0 || v >= R) fail(`altGroup holds ${v}: expected a group in [0, ${R})`);
}

// The learner's WebAssembly kernels (assembly/learn/, registered by src/learn/tfjs/wasm-kernels.ts) against
// the cpu backend: matrix products of every shape class the blocking has (multiples of 16 columns, the
// 8 and 4 column tails, single columns, odd rows, batches, broadcasts, transposes), the first conv layer
// forward and backward, and the LSTM over a sequence forward and backward.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { learnKernelsActive } from '../src/learn/tfjs/wasm-kernels.ts';
import { obsBatch, convRelu, lstmSequence } from '../src/learn/tfjs/ops.ts';
import { mulberry32 } from '../src/learn/policy/init.ts';

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let num = 0, den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Runs f on the cpu backend and on wasm (with the kernels), returning both results as arrays. */
async function both(f: () => Float32Array[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  await initBackend('cpu');
  const cpu = f();
  await initBackend('wasm');
  assert.ok(learnKernelsActive(), 'the learner\'s kernels are installed on wasm');
  return { cpu, wasm: f() };
}

const shapes: [number[], number[], boolean, boolean][] = [
  [[37, 53], [53, 29], false, false], // 16 + 8 + 4 + 1 columns, odd rows
  [[1, 7], [7, 3], false, false],
  [[5, 16, 160], [5, 160, 512], false, false], // the LSTM step of 5 networks
  [[5, 20, 33], [5, 20, 45], true, false],
  [[3, 9, 31], [3, 17, 31], false, true],
  [[2, 11, 6], [2, 19, 11], true, true],
  [[4, 13, 21], [21, 18], false, false], // one matrix for the whole batch
  [[1, 12, 21], [3, 21, 18], false, false],
];

for (const [as, bs, ta, tb] of shapes) {
  test(`BatchMatMul ${as} x ${bs} (transposeA ${ta}, transposeB ${tb}) matches cpu`, async () => {
    const A = rand(as.reduce((x, y) => x * y), 1), B = rand(bs.reduce((x, y) => x * y), 2);
    const { cpu, wasm } = await both(() => tf.tidy(() => [tf.matMul(tf.tensor(A, as), tf.tensor(B, bs), ta, tb).dataSync() as Float32Array]));
    assert.ok(relErr(wasm[0], cpu[0]) < 1e-5, `rel err ${relErr(wasm[0], cpu[0])}`);
  });
}

for (const F of [6, 4, 8, 3]) {
  test(`conv kernel (${F} filters): output, filter and bias gradients match cpu`, async () => {
    const G = 2, M = 5, V = 9;
    const bytes = Uint8Array.from(rand(G * M * V * V * 3, 3), (v) => Math.floor((v + 1) * 127.9));
    const w = rand(G * 27 * F, 4, 0.4), b = rand(G * F, 5, 0.2);
    const { cpu, wasm } = await both(() => tf.tidy(() => {
      const wv = tf.variable(tf.tensor(w, [G, 3, 3, 3, F])), bv = tf.variable(tf.tensor(b, [G, F]));
      const obs = obsBatch(bytes, G, M, V);
      let y: tf.Tensor | undefined;
      const { grads } = tf.variableGrads(() => {
        y = tf.keep(convRelu(obs, wv, bv));
        return tf.sum(tf.mul(y, tf.tensor(rand(y.size, 6), y.shape))) as tf.Scalar;
      }, [wv, bv]);
      const out = [y!.dataSync(), grads[wv.name].dataSync(), grads[bv.name].dataSync()] as Float32Array[];
      tf.dispose([wv, bv]);
      return out;
    }));
    ['output', 'filter gradient', 'bias gradient'].forEach((what, k) => {
      assert.ok(cpu[k].some((v) => v !== 0), `${what} is not all zero`);
      assert.ok(relErr(wasm[k], cpu[k]) < 1e-5, `${what}: rel err ${relErr(wasm[k], cpu[k])}`);
    });
  });
}

test('LSTM kernel: outputs, final state and every gradient match cpu', async () => {
  const G = 2, T = 5, S = 3, I = 6, H = 8;
  const x = rand(G * T * S * I, 7), W = rand(G * (I + H) * 4 * H, 8, 0.5), b = rand(G * 4 * H, 9, 0.2);
  const h0 = rand(G * S * H, 10), c0 = rand(G * S * H, 11);
  const keep = Float32Array.from(rand(G * T * S, 12), (v) => (v > 0.6 ? 0 : 1));
  const { cpu, wasm } = await both(() => tf.tidy(() => {
    const vars = [tf.variable(tf.tensor(x, [G, T, S, I])), tf.variable(tf.tensor(W, [G, I + H, 4 * H])), tf.variable(tf.tensor(b, [G, 4 * H])),
      tf.variable(tf.tensor(h0, [G, S, H])), tf.variable(tf.tensor(c0, [G, S, H]))];
    let out: ReturnType<typeof lstmSequence> | undefined;
    const { grads } = tf.variableGrads(() => {
      const o = lstmSequence(vars[0] as tf.Tensor4D, vars[1] as tf.Tensor3D, vars[2] as tf.Tensor2D, vars[3] as tf.Tensor3D, vars[4] as tf.Tensor3D,
        tf.tensor3d(keep, [G, T, S]));
      out = { hs: tf.keep(o.hs), h: tf.keep(o.h), c: tf.keep(o.c) };
      return tf.addN([tf.sum(tf.mul(out.hs, tf.tensor(rand(G * T * S * H, 13), [G, T, S, H]))), tf.sum(tf.mul(out.h, 0.7)), tf.sum(tf.mul(out.c, -1.3))]) as tf.Scalar;
    }, vars);
    const res = [out!.hs.dataSync(), out!.h.dataSync(), out!.c.dataSync(), ...vars.map((v) => grads[v.name].dataSync())] as Float32Array[];
    tf.dispose(vars);
    return res;
  }));
  ['hs', 'h', 'c', 'dx', 'dW', 'db', 'dh0', 'dc0'].forEach((what, k) => {
    assert.ok(cpu[k].some((v) => v !== 0), `${what} is not all zero`);
    assert.ok(relErr(wasm[k], cpu[k]) < 2e-5, `${what}: rel err ${relErr(wasm[k], cpu[k])}`);
  });
});

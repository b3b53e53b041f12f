// Our wasm kernel/gradient fixes (src/learn/tfjs/kernels.ts) against the cpu
// backend's native kernels and tfjs' built-in gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import {
  conv2DBackpropFilterViaOps, convFixInstalled, installKernelFixes, matMulGradFixInstalled, uninstallKernelFixes,
} from '../src/learn/tfjs/kernels.ts';
import { learnKernelsActive } from '../src/learn/tfjs/wasm-kernels.ts';
import { mulberry32 } from '../src/learn/policy/init.ts';

const TOL = 1e-4;

function randn(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

/** max |a - b| / max |b| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

type Grads = Float32Array[];

/** Run on the cpu with tfjs' built-in BatchMatMul gradient (independent reference). */
async function onCpuReference(fn: () => Grads): Promise<Grads> {
  await initBackend('cpu');
  uninstallKernelFixes({ matMulGrad: true, conv2dBackpropFilter: false });
  assert.equal(matMulGradFixInstalled(), false);
  try {
    return fn();
  } finally {
    installKernelFixes();
  }
}

/** On wasm, where the learner's BatchMatMul kernel (src/learn/tfjs/wasm-kernels.ts) runs the products. */
async function onWasm(fn: () => Grads): Promise<Grads> {
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.ok(convFixInstalled() && learnKernelsActive() && matMulGradFixInstalled());
  return fn();
}

function gradsOf(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: { data: Float32Array; shape: number[] }[]): Grads {
  return tf.tidy(() => {
    const ts = inputs.map((i) => tf.tensor(i.data, i.shape));
    const gs = tf.grads(f)(ts);
    return gs.map((g) => g.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  });
}

const convCases: { x: [number, number, number, number]; f: [number, number, number, number]; strides: number | [number, number]; pad: 'valid' | 'same' }[] = [
  { x: [4, 15, 15, 3], f: [3, 3, 3, 6], strides: 1, pad: 'valid' }, // the paper's layer
  { x: [3, 9, 8, 2], f: [3, 3, 2, 4], strides: 1, pad: 'same' },
  { x: [2, 10, 9, 3], f: [3, 2, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 11, 12, 2], f: [3, 3, 2, 3], strides: [2, 3], pad: 'valid' },
  { x: [1, 8, 8, 2], f: [4, 4, 2, 3], strides: [3, 2], pad: 'same' },
];

for (const [ci, c] of convCases.entries()) {
  test(`conv2d gradients (filter and input) on wasm match cpu: x ${c.x} f ${c.f} s ${c.strides} ${c.pad}`, async () => {
    const xData = randn(c.x.reduce((a, b) => a * b), 10 + ci);
    const fData = randn(c.f.reduce((a, b) => a * b), 20 + ci);
    let wData: Float32Array | null = null;
    const run = (): Grads => {
      // loss = sum(conv(x, f) * w) with fixed random w, so dy is not constant
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.strides, c.pad).shape);
      wData ??= randn(outShape.reduce((a, b) => a * b), 30 + ci);
      const w = tf.tensor(wData, outShape);
      const g = gradsOf(
        (x, f) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad), w)),
        [{ data: xData, shape: c.x }, { data: fData, shape: c.f }]);
      w.dispose();
      return g;
    };
    const ref = await onCpuReference(run);
    const got = await onWasm(run);
    for (let i = 0; i < 2; i++) {
      const e = relErr(got[i], ref[i]);
      assert.ok(e <= TOL, `${i === 0 ? 'input' : 'filter'} gradient rel err ${e}`);
    }
  });
}

test('conv2DBackpropFilterViaOps handles NCHW like NHWC (cpu)', async () => {
  await initBackend('cpu');
  tf.tidy(() => {
    const x = tf.tensor(randn(2 * 7 * 6 * 3, 1), [2, 7, 6, 3]) as tf.Tensor4D;
    const dy = tf.tensor(randn(2 * 4 * 3 * 5, 2), [2, 4, 3, 5]) as tf.Tensor4D; // 'same', stride 2
    const a = conv2DBackpropFilterViaOps(x, dy, [3, 3, 3, 5], 2, 'same');
    const b = conv2DBackpropFilterViaOps(tf.transpose(x, [0, 3, 1, 2]), tf.transpose(dy, [0, 3, 1, 2]), [3, 3, 3, 5], 2, 'same', 'NCHW');
    const ref = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 2, 'same'), dy)))(tf.zeros([3, 3, 3, 5]));
    assert.ok(relErr(a.dataSync(), ref.dataSync()) <= TOL);
    assert.ok(relErr(b.dataSync(), ref.dataSync()) <= TOL);
    assert.throws(() => conv2DBackpropFilterViaOps(x, dy, [3, 3, 3, 4], 2, 'same'), /shapes do not match/);
    assert.throws(() => conv2DBackpropFilterViaOps(x, dy, [3, 3, 3, 5], 1, 'same'), /does not match the convolution output/);
  });
});

const mmCases: { a: number[]; b: number[] }[] = [
  { a: [7, 5], b: [5, 6] },
  { a: [3, 4, 5], b: [3, 5, 2] }, // batched
  { a: [3, 4, 5], b: [5, 2] }, // b broadcast over the batch
];

for (const [mi, m] of mmCases.entries()) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      test(`matMul gradients on wasm match cpu: a ${m.a} b ${m.b} transposeA=${ta} transposeB=${tb}`, async () => {
        const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
        const aShape = swap(m.a, ta);
        const bShape = swap(m.b, tb);
        const aData = randn(aShape.reduce((x, y) => x * y), 100 + mi);
        const bData = randn(bShape.reduce((x, y) => x * y), 200 + mi);
        const run = (): Grads => {
          const outShape = tf.tidy(() => tf.matMul(tf.zeros(aShape), tf.zeros(bShape), ta, tb).shape);
          const w = tf.tensor(randn(outShape.reduce((x, y) => x * y), 300 + mi), outShape);
          const g = gradsOf((a, b) => tf.sum(tf.mul(tf.matMul(a, b, ta, tb), w)),
            [{ data: aData, shape: aShape }, { data: bData, shape: bShape }]);
          w.dispose();
          return g;
        };
        const isBroadcast = m.a.length !== m.b.length;
        let ref: Grads;
        if (isBroadcast) {
          // tfjs' built-in gradient does not reduce over broadcast batch dims
          // (it would throw), so the reference is the cpu with our gradient,
          // checked against an explicit tile of b.
          await initBackend('cpu');
          ref = run();
          const tiled = gradsOf(
            (a, b) => tf.sum(tf.mul(tf.matMul(a, tf.tile(tf.expandDims(b, 0), [m.a[0], 1, 1]), ta, tb),
              tf.tensor(randn(m.a[0] * (ta ? aShape[2] : aShape[1]) * (tb ? bShape[0] : bShape[1]), 300 + mi),
                [m.a[0], ta ? aShape[2] : aShape[1], tb ? bShape[0] : bShape[1]]))),
            [{ data: aData, shape: aShape }, { data: bData, shape: bShape }]);
          assert.ok(relErr(ref[0], tiled[0]) <= TOL && relErr(ref[1], tiled[1]) <= TOL, 'broadcast grad vs tiled');
        } else {
          ref = await onCpuReference(run);
        }
        const got = await onWasm(run);
        assert.deepEqual(got.map((g) => g.length), ref.map((g) => g.length));
        for (let i = 0; i < 2; i++) {
          const e = relErr(got[i], ref[i]);
          assert.ok(e <= TOL, `grad ${i === 0 ? 'a' : 'b'} rel err ${e}`);
        }
      });
    }
  }
}

test('without the fix, the wasm backend has no Conv2DBackpropFilter', async () => {
  await initBackend('wasm');
  uninstallKernelFixes({ conv2dBackpropFilter: true, matMulGrad: false });
  try {
    assert.equal(convFixInstalled(), false);
    assert.throws(
      () => tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')))(
        tf.ones([3, 3, 1, 1]))),
      /Conv2DBackpropFilter/);
  } finally {
    installKernelFixes();
  }
  assert.equal(convFixInstalled(), true);
});

test('installKernelFixes is idempotent', async () => {
  await initBackend('wasm');
  installKernelFixes();
  installKernelFixes();
  await initBackend('wasm');
  assert.ok(convFixInstalled() && matMulGradFixInstalled());
  // still computes
  const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.matMul(a, tf.ones([2, 2]))))(tf.ones([2, 2])).arraySync());
  assert.deepEqual(g, [[2, 2], [2, 2]]);
});

test('unknown backend names and missing WebGPU give clear errors', async () => {
  await assert.rejects(initBackend('tpu' as never), /Unknown tfjs backend 'tpu'; allowed values: 'wasm', 'webgpu', 'cpu'/);
  const hasGpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null;
  if (!hasGpu) {
    await assert.rejects(initBackend('webgpu'), /no WebGPU adapter.*allowed values: 'wasm', 'webgpu', 'cpu'/);
  }
  // the failed attempts leave a usable backend behind
  assert.equal(await initBackend('cpu'), 'cpu');
});

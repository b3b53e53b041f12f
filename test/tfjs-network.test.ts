// The paper's agent network (src/learn/tfjs/network.ts) and LSTM cell (lstm.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { installKernelFixes, uninstallKernelFixes } from '../src/learn/tfjs/kernels.ts';
import { LSTMCell, mulberry32 } from '../src/learn/tfjs/lstm.ts';
import { AgentNet } from '../src/learn/tfjs/network.ts';

const V = 15;
const A = 8;
const H = 128;

function randBytes(n: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

function randVals(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let den = 1e-12;
  for (let i = 0; i < b.length; i++) den = Math.max(den, Math.abs(b[i]));
  return maxAbsDiff(a, b) / den;
}

test('output shapes of forward and forwardSequence', async () => {
  await initBackend('wasm');
  const net = new AgentNet({ numActions: A, seed: 1 });
  tf.tidy(() => {
    const B = 4;
    const { h, c } = net.zeroState(B);
    const out = net.forward(randBytes(B * V * V * 3, 1), h, c);
    assert.deepEqual(out.logits.shape, [B, A]);
    assert.deepEqual(out.value.shape, [B]);
    assert.deepEqual(out.h.shape, [B, H]);
    assert.deepEqual(out.c.shape, [B, H]);
    const T = 3;
    const seq = net.forwardSequence(randBytes(T * B * V * V * 3, 2), tf.zeros([T, B]), h, c);
    assert.deepEqual(seq.logits.shape, [T * B, A]);
    assert.deepEqual(seq.values.shape, [T * B]);
    assert.deepEqual(seq.features.shape, [T * B, H]);
    assert.deepEqual(seq.h.shape, [B, H]);
    assert.throws(() => net.forward(randBytes(B * 9 * 9 * 3, 1), h, c), /obs byte length|batch/);
    assert.throws(() => net.forward(tf.zeros([B, 9, 9, 3]), h, c), /\[N, 15, 15, 3\]/);
  });
  // extra inputs and a non-default view size
  const net2 = new AgentNet({ numActions: 5, viewSize: 7, extraInputs: 4, seed: 2 });
  tf.tidy(() => {
    const { h, c } = net2.zeroState(2);
    const out = net2.forward(tf.fill([2, 7, 7, 3], 255, 'int32'), h, c, tf.ones([2, 4]));
    assert.deepEqual(out.logits.shape, [2, 5]);
    assert.throws(() => net2.forward(tf.zeros([2, 7, 7, 3]), h, c), /extra inputs/);
  });
  net.dispose();
  net2.dispose();
});

test('parameter count of the paper network (15x15x3 view, 8 actions) is 117 297', () => {
  // conv 3*3*3*6+6 = 168, fc1 1014*32+32 = 32480, fc2 32*32+32 = 1056,
  // LSTM (32+128)*4*128 + 4*128 = 82432, policy 128*8+8 = 1032, value 129.
  // Matches the paper-size figure (~117k): the single conv layer and the
  // 13*13*6 = 1014-wide flatten feeding fc1 dominate the non-LSTM part.
  const net = new AgentNet({ numActions: 8 });
  assert.equal(net.numParams(), 117297);
  const withExtra = new AgentNet({ numActions: 8, extraInputs: 10 });
  assert.equal(withExtra.numParams(), 117297 + 10 * 32);
  net.dispose();
  withExtra.dispose();
});

test('same seed gives identical weights; different seed differs; setWeights round-trips', async () => {
  await initBackend('cpu');
  const a = new AgentNet({ numActions: A, seed: 42 });
  const b = new AgentNet({ numActions: A, seed: 42 });
  const c = new AgentNet({ numActions: A, seed: 43 });
  const wa = await a.getWeights();
  const wb = await b.getWeights();
  const wc = await c.getWeights();
  assert.equal(wa.length, 12); // conv w,b; fc1 w,b; fc2 w,b; lstm kernel,bias; policy w,b; value w,b
  for (let i = 0; i < wa.length; i++) assert.deepEqual(wa[i], wb[i]);
  assert.ok(wa.some((w, i) => maxAbsDiff(w, wc[i]) > 0));
  // forget-gate bias is 1, other LSTM biases 0
  const lstmBias = wa[7];
  assert.equal(lstmBias.length, 4 * H);
  assert.ok(lstmBias.slice(H, 2 * H).every((v) => v === 1));
  assert.ok(lstmBias.slice(0, H).every((v) => v === 0) && lstmBias.slice(2 * H).every((v) => v === 0));

  c.setWeights(wa);
  const obs = randBytes(3 * V * V * 3, 9);
  tf.tidy(() => {
    const s = a.zeroState(3);
    const oa = a.forward(obs, s.h, s.c);
    const oc = c.forward(tf.tensor4d(Int32Array.from(obs), [3, V, V, 3], 'int32'), s.h, s.c);
    assert.deepEqual(oa.logits.dataSync(), oc.logits.dataSync());
    assert.deepEqual(oa.value.dataSync(), oc.value.dataSync());
  });
  assert.throws(() => c.setWeights(wa.slice(1)), /expected 12 arrays/);
  for (const n of [a, b, c]) n.dispose();
});

test('LSTM unroll equals repeated step, and resetMask zeroes the state', async () => {
  await initBackend('cpu');
  const cell = new LSTMCell({ inputSize: 5, hiddenSize: 7, seed: 3 });
  const T = 6;
  const B = 3;
  tf.tidy(() => {
    const xs = tf.tensor3d(randVals(T * B * 5, 1), [T, B, 5]);
    const h0 = tf.tensor2d(randVals(B * 7, 2), [B, 7]);
    const c0 = tf.tensor2d(randVals(B * 7, 3), [B, 7]);
    const xsT = tf.unstack(xs) as tf.Tensor2D[];

    // no reset: unroll == loop of step
    const u = cell.unroll(xs, h0, c0, tf.zeros([T, B]));
    let h = h0;
    let c = c0;
    const outs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      ({ h, c } = cell.step(xsT[t], h, c));
      outs.push(h);
    }
    assert.ok(maxAbsDiff(u.outputs.dataSync(), tf.stack(outs).dataSync()) < 1e-5);
    assert.ok(maxAbsDiff(u.c.dataSync(), c.dataSync()) < 1e-5);
    // unroll without a mask is the same as an all-zero mask
    assert.deepEqual(cell.unroll(xs, h0, c0).outputs.dataSync(), u.outputs.dataSync());

    // reset for env 1 at t = 3: its outputs from t = 3 on equal a fresh run from zero state
    const mask = tf.buffer([T, B]);
    mask.set(1, 3, 1);
    const r = cell.unroll(xs, h0, c0, mask.toTensor() as tf.Tensor2D);
    const fresh = cell.unroll(tf.slice(xs, [3, 0, 0], [T - 3, B, 5]), tf.zeros([B, 7]), tf.zeros([B, 7]));
    const rOut = r.outputs.arraySync();
    const uOut = u.outputs.arraySync();
    const fOut = fresh.outputs.arraySync();
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const expected = b === 1 && t >= 3 ? fOut[t - 3][b] : uOut[t][b];
        assert.ok(maxAbsDiff(rOut[t][b], expected) < 1e-5, `t=${t} b=${b}`);
      }
    }
    // the reset changed something (the test would notice a no-op mask)
    assert.ok(maxAbsDiff(rOut[3][1], uOut[3][1]) > 1e-4);
  });
  cell.dispose();
});

/** A2C-style loss over a time-major batch. */
function a2cLoss(net: AgentNet, T: number, B: number, seed: number) {
  const obs = randBytes(T * B * V * V * 3, seed);
  const actions = Int32Array.from(randVals(T * B, seed + 1), (v) => Math.floor((v + 1) * 4) % A);
  const returns = randVals(T * B, seed + 2);
  const advantages = randVals(T * B, seed + 3);
  const reset = new Float32Array(T * B);
  reset[B + 1] = 1; // env 1 starts a new episode at t = 1
  const h0 = randVals(B * H, seed + 4, 0.5);
  const c0 = randVals(B * H, seed + 5, 0.5);
  return () => {
    const out = net.forwardSequence(obs, tf.tensor2d(reset, [T, B]), tf.tensor2d(h0, [B, H]), tf.tensor2d(c0, [B, H]));
    const logp = tf.logSoftmax(out.logits);
    const actLogp = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(actions, 'int32'), A)), 1);
    const pg = tf.neg(tf.mean(tf.mul(actLogp, tf.tensor1d(advantages))));
    const vf = tf.mul(0.5, tf.mean(tf.square(tf.sub(tf.tensor1d(returns), out.values))));
    const entropy = tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), 1)));
    return tf.sub(tf.add(pg, vf), tf.mul(0.01, entropy)) as tf.Scalar;
  };
}

test('tensor count is flat over 200 Adam updates on wasm', async () => {
  await initBackend('wasm');
  const net = new AgentNet({ numActions: A, seed: 5 });
  const opt = tf.train.adam(1e-3);
  const loss = a2cLoss(net, 4, 3, 11);
  const first = tf.tidy(loss).dataSync()[0];
  const update = () => {
    const cost = opt.minimize(loss, true, net.variables);
    const v = cost!.dataSync()[0];
    cost!.dispose();
    return v;
  };
  for (let i = 0; i < 5; i++) update(); // Adam creates its slots on the first update
  const before = tf.memory().numTensors;
  let last = 0;
  for (let i = 0; i < 195; i++) last = update();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(last) && last < first, `loss went from ${first} to ${last}`);
  opt.dispose();
  net.dispose();
});

test('whole-network gradients on wasm match cpu within 1e-4 relative', async () => {
  const T = 4;
  const B = 3;
  const net = new AgentNet({ numActions: A, seed: 8 });
  const grads = (): Float32Array[] => tf.tidy(() => {
    const { grads } = tf.variableGrads(a2cLoss(net, T, B, 21), net.variables);
    return net.variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array));
  });
  // cpu reference with tfjs' built-in matMul gradient and native conv kernels
  await initBackend('cpu');
  uninstallKernelFixes({ matMulGrad: true, conv2dBackpropFilter: false });
  let ref: Float32Array[];
  try {
    ref = grads();
  } finally {
    installKernelFixes();
  }
  await initBackend('wasm');
  const got = grads();
  assert.equal(got.length, ref.length);
  for (let i = 0; i < ref.length; i++) {
    assert.ok(ref[i].some((v) => v !== 0), `reference gradient ${i} is all zero`);
    const e = relErr(got[i], ref[i]);
    assert.ok(e <= 1e-4, `variable ${i} [${net.variables[i].shape}] rel err ${e}`);
  }
  net.dispose();
});

// The batched population (src/learn/policy/population.ts, moa-net.ts): shapes and parameter counts, seeded
// initial weights, the LSTM's reset mask, tensor hygiene, gradients against the cpu backend, and the
// property everything rests on: G networks stacked and run as one op sequence give the same losses,
// gradients and updated weights as G separate networks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { Population } from '../src/learn/policy/population.ts';
import { MoaPopulation } from '../src/learn/policy/moa-net.ts';
import { mulberry32 } from '../src/learn/policy/init.ts';
import { a2cLoss, clipPerNetwork } from '../src/learn/losses.ts';
import { lstmSequence } from '../src/learn/tfjs/ops.ts';
import { setLearnKernels } from '../src/learn/tfjs/wasm-kernels.ts';

const V = 15, A = 8, H = 128;

function randBytes(n: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}
function randVals(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
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

test('shapes of one step and of a sequence; 117 297 parameters per network', async () => {
  await initBackend('wasm');
  const pop = new Population({ G: 3, numActions: A });
  assert.equal(pop.paramsPerNetwork(), 117297);
  const S = 4, T = 3;
  tf.tidy(() => {
    const h = tf.zeros([3, S, H]) as tf.Tensor3D, c = tf.zeros([3, S, H]) as tf.Tensor3D;
    const t = pop.torso(pop.input(randBytes(3 * S * V * V * 3, 1), S));
    assert.deepEqual(t.conv.shape, [3, S, 1014]);
    const rec = pop.recur(t.y, tf.ones([3, 1, S]) as tf.Tensor3D, h, c);
    const heads = pop.heads(rec.features);
    assert.deepEqual(heads.logits.shape, [3, S, A]);
    assert.deepEqual(heads.value.shape, [3, S]);
    assert.deepEqual(rec.h.shape, [3, S, H]);
    const seq = pop.torso(pop.input(randBytes(3 * T * S * V * V * 3, 2), T * S));
    const r2 = pop.recur(seq.y, tf.ones([3, T, S]) as tf.Tensor3D, h, c);
    assert.deepEqual(r2.features.shape, [3, T * S, H]);
  });
  const withExtras = new Population({ G: 1, numActions: A, extraInputs: 10, headInputs: 16, messages: 8 });
  // extra inputs widen fc1; head inputs widen the heads; messages add a symbol head and its value head
  assert.equal(withExtras.paramsPerNetwork(), 117297 + 10 * 32 + 16 * (A + 1) + (128 + 16) * 8 + 8 + (128 + 16) + 1);
  assert.throws(() => tf.tidy(() => withExtras.torso(withExtras.input(randBytes(2 * V * V * 3, 1), 2))), /extra inputs/);
  pop.dispose();
  withExtras.dispose();
});

test('same seeds give identical weights, network by network; setWeights round-trips one network', async () => {
  await initBackend('cpu');
  const a = new Population({ G: 2, numActions: A, seedOf: (g) => 40 + g });
  const b = new Population({ G: 1, numActions: A, seedOf: () => 41 });
  const wa1 = await a.getWeights(1), wb = await b.getWeights(0), wa0 = await a.getWeights(0);
  assert.equal(wa1.length, 12); // conv w, b; fc1 w, b; fc2 w, b; LSTM kernel, bias; policy w, b; value w, b
  for (let k = 0; k < wb.length; k++) assert.deepEqual(wa1[k], wb[k], `network 1 of a = network 0 of b (array ${k})`);
  assert.ok(wa0.some((w, k) => maxAbsDiff(w, wa1[k]) > 0), 'networks with different seeds differ');
  const lstmBias = wa0[7];
  assert.ok(lstmBias.slice(H, 2 * H).every((v) => v === 1), 'forget-gate bias 1');
  assert.ok(lstmBias.slice(0, H).every((v) => v === 0) && lstmBias.slice(2 * H).every((v) => v === 0));
  a.setWeights(0, wa1);
  const after = await a.getWeights(0);
  for (let k = 0; k < wb.length; k++) assert.deepEqual(after[k], wa1[k]);
  assert.deepEqual((await a.getWeights(1))[3], wa1[3], 'network 1 untouched');
  assert.throws(() => a.setWeights(0, wa1.slice(1)), /expected 12 arrays/);
  a.dispose();
  b.dispose();
});

for (const kernels of [true, false]) {
  test(`LSTM over a sequence: the keep mask zeroes the state where an episode starts (${kernels ? 'wasm kernels' : 'composed ops'})`, async () => {
    await initBackend('wasm');
    setLearnKernels(kernels);
    try {
      const G = 2, T = 6, S = 3, I = 5, Hs = 8;
      tf.tidy(() => {
        const x = tf.tensor4d(randVals(G * T * S * I, 1), [G, T, S, I]);
        const W = tf.tensor3d(randVals(G * (I + Hs) * 4 * Hs, 2, 0.5), [G, I + Hs, 4 * Hs]);
        const b = tf.tensor2d(randVals(G * 4 * Hs, 3, 0.1), [G, 4 * Hs]);
        const h0 = tf.tensor3d(randVals(G * S * Hs, 4), [G, S, Hs]), c0 = tf.tensor3d(randVals(G * S * Hs, 5), [G, S, Hs]);
        const ones = tf.ones([G, T, S]) as tf.Tensor3D;
        const all = lstmSequence(x, W, b, h0, c0, ones);
        // one call over T steps = T calls of one step
        let h = h0, c = c0;
        const outs: tf.Tensor3D[] = [];
        for (let t = 0; t < T; t++) {
          const o = lstmSequence(tf.slice(x, [0, t, 0, 0], [G, 1, S, I]) as tf.Tensor4D, W, b, h, c, tf.ones([G, 1, S]) as tf.Tensor3D);
          h = o.h;
          c = o.c;
          outs.push(tf.reshape(o.hs, [G, S, Hs]) as tf.Tensor3D);
        }
        assert.ok(maxAbsDiff(all.hs.dataSync(), tf.stack(outs, 1).dataSync()) < 1e-6);
        // stream 1 of network 1 starts an episode at t = 3: from there it equals a fresh run from zeros
        const keep = tf.buffer([G, T, S], 'float32', new Float32Array(G * T * S).fill(1));
        keep.set(0, 1, 3, 1);
        const r = lstmSequence(x, W, b, h0, c0, keep.toTensor() as tf.Tensor3D).hs.arraySync() as number[][][][];
        const fresh = lstmSequence(tf.slice(x, [0, 3, 0, 0], [G, T - 3, S, I]) as tf.Tensor4D, W, b, tf.zerosLike(h0), tf.zerosLike(c0),
          tf.ones([G, T - 3, S]) as tf.Tensor3D).hs.arraySync() as number[][][][];
        const u = all.hs.arraySync() as number[][][][];
        for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) {
          const want = g === 1 && s === 1 && t >= 3 ? fresh[g][t - 3][s] : u[g][t][s];
          assert.ok(maxAbsDiff(r[g][t][s], want) < 1e-6, `g=${g} t=${t} s=${s}`);
        }
        assert.ok(maxAbsDiff(r[1][3][1], u[1][3][1]) > 1e-3, 'the reset changed something');
      });
    } finally {
      setLearnKernels(true);
    }
  });
}

/** Data for an A2C loss over T steps of S streams for G networks, with a MOA target. */
function batch(G: number, T: number, S: number, seed: number, headInputs: number, vocab: number, N: number) {
  const M = T * S;
  return {
    obs: randBytes(G * M * V * V * 3, seed),
    actions: Int32Array.from(randVals(G * M, seed + 1), (v) => Math.floor((v + 1) * 4) % A),
    symbols: Int32Array.from(randVals(G * M, seed + 7), (v) => Math.floor((v + 1) * 4) % vocab),
    returns: randVals(G * M, seed + 2),
    adv: randVals(G * M, seed + 3),
    keep: Float32Array.from(randVals(G * M, seed + 4), (v) => (v > 0.8 ? 0 : 1)),
    h0: randVals(G * S * H, seed + 5, 0.5),
    c0: randVals(G * S * H, seed + 6, 0.5),
    cond: Float32Array.from(randVals(G * M * headInputs, seed + 8), (v) => (v > 0.5 ? 1 : 0)),
    joint: Float32Array.from(randVals(G * M * N * A, seed + 9), (v) => (v > 0.7 ? 1 : 0)),
    target: Int32Array.from(randVals(G * M * (N - 1), seed + 10), (v) => Math.floor((v + 1) * 4) % A),
  };
}

/** Slice g of every array of a batch made for G networks. */
function sliceOf(d: ReturnType<typeof batch>, g: number, G: number): ReturnType<typeof batch> {
  const part = <T extends Float32Array | Int32Array | Uint8Array>(x: T) => x.slice(g * (x.length / G), (g + 1) * (x.length / G)) as T;
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, part(v)])) as ReturnType<typeof batch>;
}

/**
 * One A2C + MOA step for a population of G networks on data d: the loss per network, the gradients per
 * network (clipped to norm 1 per network), and the weights after an RMSprop step.
 */
async function learnStep(pop: Population, moa: MoaPopulation, opt: tf.Optimizer, d: ReturnType<typeof batch>, T: number, S: number, N: number) {
  const G = pop.G, M = T * S, vars = [...pop.variables, ...moa.variables];
  let perNet: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const t = pop.torso(pop.input(d.obs, M));
    const keep = tf.tensor3d(d.keep, [G, T, S]);
    const rec = pop.recur(t.y, keep, tf.tensor3d(d.h0, [G, S, H]), tf.tensor3d(d.c0, [G, S, H]));
    const heads = pop.heads(rec.features, tf.tensor3d(d.cond, [G, M, pop.headInputs]));
    const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, M], dtype);
    const parts = a2cLoss(heads.logits, heads.value, t2(d.actions, 'int32'), t2(d.adv), t2(d.returns), { valueCoef: 0.5, entropyCoef: 0.01 });
    const msg = a2cLoss(heads.msgLogits!, heads.msgValue!, t2(d.symbols, 'int32'), t2(d.adv), t2(d.returns), { valueCoef: 0.5, entropyCoef: 0.01 });
    const mf = moa.features(t.conv, keep, tf.tensor3d(d.h0, [G, S, H]), tf.tensor3d(d.c0, [G, S, H])).features;
    const logits = tf.reshape(moa.predict(mf, tf.tensor3d(d.joint, [G, M, N * A])), [G, M * (N - 1), A]);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(d.target, [G, M * (N - 1)], 'int32'), A)), 2), 1));
    const total = tf.add(tf.add(parts.total, msg.total), ce);
    perNet = tf.keep(total);
    return tf.sum(total) as tf.Scalar;
  }, vars);
  value.dispose();
  const raw = await Promise.all(vars.map((v) => grads[v.name].data() as Promise<Float32Array>));
  const { grads: clipped, norms } = await clipPerNetwork(vars.map((v) => grads[v.name]), 1);
  opt.applyGradients(Object.fromEntries(vars.map((v, k) => [v.name, clipped[k]])));
  tf.dispose(clipped);
  const loss = await perNet!.data() as Float32Array;
  perNet!.dispose();
  const after = await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
  return { loss, raw, norms, after };
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`G networks stacked give the losses, gradients and updated weights of G separate networks (${backend})`, async () => {
    await initBackend(backend);
    const G = 3, N = 3, T = 4, S = 2, K = A, vocab = 4;
    const opts = { numActions: A, headInputs: K, messages: vocab };
    const seedOf = (g: number) => 100 + g;
    const pop = new Population({ G, ...opts, seedOf });
    const moa = new MoaPopulation({ G, numAgents: N, numActions: A, inputSize: pop.convOutSize, seedOf: (g) => 200 + g });
    const d = batch(G, T, S, 7, K, vocab, N);
    const opt = tf.train.rmsprop(1e-3, 0.99, 0, 1e-5);
    const together = [await learnStep(pop, moa, opt, d, T, S, N), await learnStep(pop, moa, opt, d, T, S, N)];
    for (let g = 0; g < G; g++) {
      const one = new Population({ G: 1, ...opts, seedOf: () => seedOf(g) });
      const oneMoa = new MoaPopulation({ G: 1, numAgents: N, numActions: A, inputSize: pop.convOutSize, seedOf: () => 200 + g });
      const oneOpt = tf.train.rmsprop(1e-3, 0.99, 0, 1e-5);
      const dg = sliceOf(d, g, G);
      for (let step = 0; step < 2; step++) {
        const alone = await learnStep(one, oneMoa, oneOpt, dg, T, S, N);
        const both = together[step];
        assert.ok(Math.abs(alone.loss[0] - both.loss[g]) <= 1e-5 * Math.max(1, Math.abs(alone.loss[0])), `step ${step}, network ${g}: loss ${both.loss[g]} vs ${alone.loss[0]}`);
        assert.ok(Math.abs(alone.norms[0] - both.norms[g]) <= 1e-4 * alone.norms[0], `gradient norm ${both.norms[g]} vs ${alone.norms[0]}`);
        alone.raw.forEach((gr, k) => {
          const n = gr.length;
          const e = relErr(both.raw[k].subarray(g * n, (g + 1) * n), gr);
          assert.ok(e <= 1e-4, `step ${step}, network ${g}, variable ${k}: gradient rel err ${e}`);
        });
        alone.after.forEach((w, k) => {
          const n = w.length;
          const e = maxAbsDiff(both.after[k].subarray(g * n, (g + 1) * n), w);
          assert.ok(e <= 1e-5, `step ${step}, network ${g}, variable ${k}: weights differ by ${e}`);
        });
      }
      // the networks did not all get the same update: the test would notice cross-talk between them
      if (g > 0) assert.ok(maxAbsDiff(together[0].raw[0].subarray(0, 162), together[0].raw[0].subarray(g * 162, (g + 1) * 162)) > 0);
      one.dispose();
      oneMoa.dispose();
      oneOpt.dispose();
    }
    pop.dispose();
    moa.dispose();
    opt.dispose();
  });
}

test('whole-population gradients: wasm with the learner\'s kernels match the cpu backend within 1e-4 relative', async () => {
  const G = 2, T = 4, S = 3, N = 2;
  const d = batch(G, T, S, 21, 0, 2, N);
  const grads = async () => {
    const pop = new Population({ G, numActions: A, seedOf: (g) => 8 + g });
    const { grads } = tf.variableGrads(() => {
      const t = pop.torso(pop.input(d.obs, T * S));
      const rec = pop.recur(t.y, tf.tensor3d(d.keep, [G, T, S]), tf.tensor3d(d.h0, [G, S, H]), tf.tensor3d(d.c0, [G, S, H]));
      const heads = pop.heads(rec.features);
      const t2 = (x: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32') => tf.tensor2d(x, [G, T * S], dtype);
      return tf.sum(a2cLoss(heads.logits, heads.value, t2(d.actions, 'int32'), t2(d.adv), t2(d.returns), { valueCoef: 0.5, entropyCoef: 0.01 }).total) as tf.Scalar;
    }, pop.variables);
    const out = await Promise.all(pop.variables.map((v) => grads[v.name].data() as Promise<Float32Array>));
    tf.dispose(Object.values(grads));
    pop.dispose();
    return out;
  };
  await initBackend('cpu');
  const ref = await grads();
  await initBackend('wasm');
  const got = await grads();
  for (let k = 0; k < ref.length; k++) {
    assert.ok(ref[k].some((v) => v !== 0), `reference gradient ${k} is all zero`);
    const e = relErr(got[k], ref[k]);
    assert.ok(e <= 1e-4, `variable ${k}: rel err ${e}`);
  }
});

test('tensor count is flat over 100 updates on wasm', async () => {
  await initBackend('wasm');
  const G = 2, T = 3, S = 2, N = 2;
  const pop = new Population({ G, numActions: A, headInputs: 4, messages: 4, seedOf: (g) => 5 + g });
  const moa = new MoaPopulation({ G, numAgents: N, numActions: A, inputSize: pop.convOutSize });
  const opt = tf.train.adam(1e-3);
  const d = batch(G, T, S, 11, 4, 4, N);
  const first = (await learnStep(pop, moa, opt, d, T, S, N)).loss;
  for (let i = 0; i < 4; i++) await learnStep(pop, moa, opt, d, T, S, N);
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 95; i++) last = (await learnStep(pop, moa, opt, d, T, S, N)).loss;
  assert.equal(tf.memory().numTensors, before);
  for (let g = 0; g < G; g++) assert.ok(Number.isFinite(last[g]) && last[g] < first[g], `network ${g}: loss went from ${first[g]} to ${last[g]}`);
  opt.dispose();
  pop.dispose();
  moa.dispose();
});

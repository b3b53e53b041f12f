// The influence reward's divergences (Jaques et al. 2019, c_k): the WebAssembly kernel against the plain
// TypeScript reference, hand cases with known values, allocation-free runs, and the input errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInfluenceKernel, type InfluenceKernel } from '../src/core/influence.ts';
import { influenceReference, type Divergence, type InfluenceInputs } from '../src/core/influence-ref.ts';
import { InputError } from '../src/util/errors.ts';
import { Rng } from '../src/util/rng.ts';

const DIVS: Divergence[] = ['kl', 'js', 'pmi'];

/** Deterministic uniform numbers in [0, 1), from the project's own generator. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Fills `out[off..off+n)` with a softmax of random logits (scale sets how peaked), rounded to f32. */
function softmax(out: Float32Array, off: number, n: number, r: () => number, scale: number): void {
  const z = Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) out[off + i] = e[i] / s;
}

function randomInputs(batch: number, K: number, J: number, A: number, seed: number): InfluenceInputs {
  const r = rng(seed);
  const cond = new Float32Array(batch * K * J * A);
  for (let row = 0; row < batch * K * J; row++) softmax(cond, row * A, A, r, 1 + 4 * r());
  const prior = new Float32Array(batch * K);
  for (let b = 0; b < batch; b++) softmax(prior, b * K, K, r, 1 + 4 * r());
  const taken = Int32Array.from({ length: batch }, () => Math.floor(r() * K));
  const jTaken = Int32Array.from({ length: batch * J }, () => Math.floor(r() * A));
  const mask = Uint8Array.from({ length: batch * J }, () => (r() < 0.75 ? 1 : 0));
  return { batch, K, J, A, cond, prior, taken, jTaken, mask };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let kernelP: Promise<InfluenceKernel> | undefined;
const kernel = () => (kernelP ??= createInfluenceKernel());

test('WASM matches the TS reference on random inputs (KL, JS, PMI), |error| <= 1e-6', async () => {
  const k = await kernel();
  const sizes: [number, number, number, number][] = [
    [1, 9, 4, 9], [80, 9, 4, 9], [7, 1, 4, 9], [1, 1, 1, 1], [3, 2, 1, 5], [16, 9, 4, 9], [5, 4, 3, 2],
  ];
  let seed = 1;
  for (const [batch, K, J, A] of sizes) {
    const inp = randomInputs(batch, K, J, A, seed++);
    for (const d of DIVS) {
      const got = k.compute(inp, d);
      const want = influenceReference(inp, d);
      const where = `batch=${batch} K=${K} J=${J} A=${A} ${d}`;
      assert.ok(maxAbsDiff(got.ckj, want.ckj) <= 1e-6, `${where}: ckj off by ${maxAbsDiff(got.ckj, want.ckj)}`);
      assert.ok(maxAbsDiff(got.ck, want.ck) <= 1e-6, `${where}: ck off by ${maxAbsDiff(got.ck, want.ck)}`);
      for (let i = 0; i < want.ck.length; i++) assert.ok(Number.isFinite(got.ck[i]), where);
      if (K === 1) for (const v of got.ckj) assert.ok(Math.abs(v) <= 1e-6, `${where}: K=1 has no influence`);
    }
  }
});

test('j ignoring k gives 0 for KL, JS and PMI', async () => {
  const k = await kernel();
  const [batch, K, J, A] = [4, 9, 4, 9];
  const inp = randomInputs(batch, K, J, A, 99);
  const cond = inp.cond as Float32Array;
  // Make every k~ row the same as k~ = 0 (j's policy does not depend on k).
  for (let b = 0; b < batch; b++) {
    for (let kk = 1; kk < K; kk++) {
      cond.copyWithin(((b * K + kk) * J) * A, (b * K * J) * A, (b * K * J + J) * A);
    }
  }
  for (const d of DIVS) {
    const got = k.compute(inp, d);
    // prior sums to 1 only up to f32 rounding, so the marginal equals cond up to ~1e-7 relative.
    for (const v of got.ckj) assert.ok(Math.abs(v) <= 1e-6, `${d}: ${v}`);
    for (const v of got.ck) assert.ok(Math.abs(v) <= 4e-6, `${d}: ${v}`);
  }
});

/** cond[b, k~, j, :] = one-hot(k~) for every j (j copies k's value); K = A. */
function copyInputs(batch: number, K: number, J: number, prior: number[], taken: number[]): InfluenceInputs {
  const cond = new Float32Array(batch * K * J * K);
  for (let b = 0; b < batch; b++) for (let kk = 0; kk < K; kk++) for (let j = 0; j < J; j++) cond[((b * K + kk) * J + j) * K + kk] = 1;
  const pr = new Float32Array(batch * K);
  for (let b = 0; b < batch; b++) pr.set(prior, b * K);
  return {
    batch, K, J, A: K, cond, prior: pr, taken,
    jTaken: Array.from({ length: batch * J }, (_, i) => taken[Math.floor(i / J)]),
  };
}

test('j copying k: KL = log K with a uniform prior, -log p[taken] otherwise (mean over taken = H(p))', async () => {
  const k = await kernel();
  const K = 9, J = 4;
  // Uniform prior: every taken value gives the mutual information of a copy, log K.
  const uni = copyInputs(K, K, J, Array(K).fill(1 / K), Array.from({ length: K }, (_, i) => i));
  for (const [d, want] of [['kl', Math.log(K)], ['pmi', Math.log(K)]] as const) {
    const got = k.compute(uni, d);
    for (const v of got.ckj) assert.ok(Math.abs(v - want) <= 1e-6, `${d}: ${v} vs ${want}`);
    for (const v of got.ck) assert.ok(Math.abs(v - J * want) <= 4e-6, `${d}: c_k ${v}`);
  }
  // Non-uniform prior p.
  const p = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02];
  const pf = Float32Array.from(p);
  const inp = copyInputs(K, K, J, p, Array.from({ length: K }, (_, i) => i));
  const got = k.compute(inp, 'kl');
  let entropy = 0, expected = 0;
  for (let t = 0; t < K; t++) {
    const want = -Math.log(pf[t]);
    for (let j = 0; j < J; j++) assert.ok(Math.abs(got.ckj[t * J + j] - want) <= 1e-6, `taken ${t}: ${got.ckj[t * J + j]} vs ${want}`);
    expected += pf[t] * got.ckj[t * J];
    entropy -= pf[t] * Math.log(pf[t]);
  }
  assert.ok(Math.abs(expected - entropy) <= 1e-6, `E[c_kj] = ${expected} vs H(p) = ${entropy}`);
  // JS of one-hot P against Q = p: 0.5 [log(2/(1+q)) + (1-q) log 2 + q log(2q/(1+q))]; spot-check one value.
  const js = k.compute(inp, 'js');
  const q = pf[0];
  const jsWant = 0.5 * (Math.log(2 / (1 + q)) + (1 - q) * Math.log(2) + q * Math.log((2 * q) / (1 + q)));
  assert.ok(Math.abs(js.ckj[0] - jsWant) <= 1e-6, `js ${js.ckj[0]} vs ${jsWant}`);
});

test('masked pairs give 0 and are left out of c_k', async () => {
  const k = await kernel();
  const [batch, K, J, A] = [6, 9, 4, 9];
  const inp = randomInputs(batch, K, J, A, 7);
  const mask = new Uint8Array(batch * J).fill(1);
  mask[1] = 0; mask[J + 3] = 0; mask.fill(0, 2 * J, 3 * J);
  inp.mask = mask;
  for (const d of DIVS) {
    const full = k.compute({ ...inp, mask: undefined }, d);
    const got = k.compute(inp, d);
    for (let b = 0; b < batch; b++) {
      let sum = 0;
      for (let j = 0; j < J; j++) {
        const i = b * J + j;
        if (mask[i]) {
          assert.equal(got.ckj[i], full.ckj[i]);
          sum += full.ckj[i];
        } else {
          assert.equal(got.ckj[i], 0);
        }
      }
      assert.ok(Math.abs(got.ck[b] - sum) <= 1e-6, `${d} b=${b}: ${got.ck[b]} vs ${sum}`);
    }
    for (let j = 0; j < J; j++) assert.equal(got.ckj[2 * J + j], 0);
    assert.equal(got.ck[2], 0);
  }
});

test('no allocation per run; views valid after a prepare that grows memory', async () => {
  const k = await createInfluenceKernel();
  const [batch, K, J, A] = [80, 9, 4, 9];
  const src = randomInputs(batch, K, J, A, 3);
  const v = k.prepare(batch, K, J, A);
  v.cond.set(src.cond); v.prior.set(src.prior); v.taken.set(src.taken);
  v.jTaken.set(src.jTaken!); v.mask.set(src.mask!);
  const bytes = k.exports.memory.buffer.byteLength;
  const first = Float32Array.from(k.run('kl').ck);
  for (let i = 0; i < 1000; i++) k.run(DIVS[i % 3]);
  assert.equal(k.exports.memory.buffer.byteLength, bytes);
  assert.deepEqual(Float32Array.from(k.run('kl').ck), first);
  assert.strictEqual(k.prepare(batch, K, J, A), v, 'same sizes reuse the views');

  // Grow: 4096 x 9 x 4 x 9 f32 is ~5 MiB, past the first layout.
  const big = randomInputs(4096, K, J, A, 4);
  const vb = k.prepare(4096, K, J, A);
  assert.ok(k.exports.memory.buffer.byteLength > bytes, 'memory grew');
  assert.equal(v.cond.length, 0, 'old views are detached by growth');
  vb.cond.set(big.cond); vb.prior.set(big.prior); vb.taken.set(big.taken);
  vb.jTaken.set(big.jTaken!); vb.mask.set(big.mask!);
  const out = k.run('js');
  assert.equal(out.ck.length, 4096);
  assert.ok(maxAbsDiff(out.ck, influenceReference(big, 'js').ck) <= 1e-6);

  // Back to the small size: memory is reused, not grown.
  const grown = k.exports.memory.buffer.byteLength;
  const vs = k.prepare(batch, K, J, A);
  vs.cond.set(src.cond); vs.prior.set(src.prior); vs.taken.set(src.taken);
  vs.jTaken.set(src.jTaken!); vs.mask.set(src.mask!);
  assert.deepEqual(Float32Array.from(k.run('kl').ck), first);
  assert.equal(k.exports.memory.buffer.byteLength, grown);
});

test('bad inputs throw InputError naming the field', async () => {
  const k = await createInfluenceKernel();
  const bad = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof InputError && re.test(e.message));
  bad(() => k.run(), /call prepare/);
  for (const [args, re] of [
    [[0, 9, 4, 9], /batch must be an integer >= 1, got 0/],
    [[2, 1.5, 4, 9], /K must be an integer >= 1, got 1.5/],
    [[2, 9, -1, 9], /J must be an integer >= 1/],
    [[2, 9, 4, NaN], /A must be an integer >= 1/],
    [[1 << 20, 64, 64, 64], /over the 4 GiB/],
  ] as const) bad(() => k.prepare(...(args as unknown as [number, number, number, number])), re);

  const inp = randomInputs(3, 9, 4, 9, 5);
  bad(() => k.compute(inp, 'kld' as Divergence), /unknown divergence "kld"; allowed: 'kl', 'js', 'pmi'/);
  bad(() => influenceReference(inp, 'mi' as Divergence), /allowed: 'kl', 'js', 'pmi'/);
  bad(() => k.compute({ ...inp, cond: new Float32Array(10) }), /cond has length 10, expected 972/);
  bad(() => k.compute({ ...inp, prior: [0.5, 0.5] }), /prior has length 2, expected 27/);
  bad(() => k.compute({ ...inp, taken: [0, 1] }), /taken has length 2, expected 3/);
  bad(() => k.compute({ ...inp, mask: [1, 1] }), /mask has length 2, expected 12/);
  bad(() => k.compute({ ...inp, jTaken: undefined }, 'pmi'), /jTaken is missing; expected an array of length 12/);
  bad(() => k.compute({ ...inp, taken: [0, 9, 1] }), /taken\[1\] = 9 is out of range 0\.\.8/);
  bad(() => k.compute({ ...inp, taken: [0, 0.5, 1] }), /taken\[1\] = 0.5 is out of range/);
  bad(() => k.compute({ ...inp, mask: Array(12).fill(2) }), /mask\[0\] = 2; allowed: 0, 1/);
  const jt = Array(12).fill(0); jt[6] = -1;
  bad(() => k.compute({ ...inp, jTaken: jt, mask: undefined }, 'pmi'), /jTaken\[6\] \(b = 1, j = 2\) = -1 is out of range 0\.\.8/);
  // jTaken is only read for PMI and where the pair counts.
  k.compute({ ...inp, jTaken: jt, mask: undefined }, 'kl');
  const m = Array(12).fill(1); m[6] = 0;
  k.compute({ ...inp, jTaken: jt, mask: m }, 'pmi');

  // The same range checks on the in-place path, done inside the kernel; outputs are left untouched.
  const v = k.prepare(3, 9, 4, 9);
  const before = Float32Array.from(k.run('kl').ck);
  v.taken[2] = 9;
  bad(() => k.run('kl'), /taken\[2\] = 9 is out of range 0\.\.8 \(K = 9\)/);
  v.taken[2] = 0; v.mask.fill(1); v.jTaken[5] = 9;
  k.run('kl');
  bad(() => k.run('pmi'), /jTaken\[5\] \(b = 1, j = 1\) = 9 is out of range 0\.\.8 \(A = 9\)/);
  bad(() => k.run('xx' as Divergence), /unknown divergence "xx"/);
  assert.equal(k.run('kl').ck.length, before.length);
});

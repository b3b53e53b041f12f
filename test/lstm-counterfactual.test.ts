// lstmStepCounterfactual (src/learn/tfjs/lstm-counterfactual.ts) against the naive way: every alternative's
// one-hot input built in full and run through lstmSequence for one step from the same state. On every path
// (cpu, wasm with the learner's kernels, wasm without them): several networks, several streams, R > 1 groups
// with altGroup mapping alternatives to them, groups with no hot entry (realIdx -1), streams whose episode
// starts (keep 0), random weights. The real step's outputs must be exactly lstmSequence's for T = 1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { learnKernelsActive, setLearnKernels } from '../src/learn/tfjs/wasm-kernels.ts';
import { lstmSequence, type LstmInternals } from '../src/learn/tfjs/ops.ts';
import { lstmStepCounterfactual } from '../src/learn/tfjs/lstm-counterfactual.ts';
import { mulberry32 } from '../src/learn/policy/init.ts';

/** Largest absolute difference allowed between an alternative's hidden output and the naive step's (outputs
 * lie in (-1, 1); the two sum the same products in different orders). */
const TOL = 1e-5;

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

interface Case {
  name: string;
  G: number; S: number; D: number; H: number; R: number; width: number;
  /** realIdx [G, R, S], altIdx [G, K], altGroup [K] */
  realIdx: Int32Array; altIdx: Int32Array; altGroup: Int32Array;
  keep: Float32Array; // [G, S]
  /** scale of the random weights (0.6 unless given) */
  wScale?: number;
}

/** R groups of V entries each (block width R * V); alternatives: every entry of every group. */
function groupsCase(name: string, G: number, S: number, D: number, H: number, R: number, V: number, seed: number): Case {
  const r = mulberry32(seed);
  const realIdx = Int32Array.from({ length: G * R * S }, (_, j) => {
    const group = Math.floor(j / S) % R;
    return r() < 0.2 ? -1 : group * V + Math.floor(r() * V);
  });
  const K = R * V;
  const altGroup = Int32Array.from({ length: K }, (_, k) => Math.floor(k / V));
  const altIdx = Int32Array.from({ length: G * K }, (_, j) => j % K);
  const keep = Float32Array.from({ length: G * S }, () => (r() < 0.3 ? 0 : 1));
  return { name, G, S, D, H, R, width: R * V, realIdx, altIdx, altGroup, keep };
}

/** The MOA's form: one group, the G agents' actions in a block of G * A; network g's alternatives swap its own. */
function moaCase(name: string, G: number, S: number, D: number, H: number, A: number, seed: number): Case {
  const r = mulberry32(seed);
  const realIdx = Int32Array.from({ length: G * S }, (_, j) => Math.floor(j / S) * A + Math.floor(r() * A));
  const altGroup = new Int32Array(A);
  const altIdx = Int32Array.from({ length: G * A }, (_, j) => j);
  const keep = Float32Array.from({ length: G * S }, (_, j) => (j % 5 === 2 ? 0 : 1));
  return { name, G, S, D, H, R: 1, width: G * A, realIdx, altIdx, altGroup, keep };
}

const cases: Case[] = [
  groupsCase('G 3, S 4, R 2 groups of 4, H 8', 3, 4, 6, 8, 2, 4, 1),
  groupsCase('G 2, S 7, R 3 groups of 5 (model II-like), H 12', 2, 7, 5, 12, 3, 5, 2),
  moaCase('MOA form: G 5, S 3, A 3, H 16', 5, 3, 4, 16, 3, 3),
  groupsCase('H 6 (not a multiple of 4: composed ops on every backend)', 2, 3, 3, 6, 2, 3, 4),
  // pre-activations beyond +-40: saturated gates, exponentials at their clamps
  { ...groupsCase('saturated gates (weights x 20), G 2, S 5, R 2 groups of 3, H 8', 2, 5, 4, 8, 2, 3, 5), wScale: 12 },
];

/** x [G, S, I]: D dense values, then the block with 1 at every real hot entry, then `tail` more dense values. */
function inputs(c: Case, tail: number, seed: number) {
  const { G, S, D, H, R, width } = c;
  const I = D + width + tail;
  const x = rand(G * S * I, seed);
  for (let g = 0; g < G; g++) {
    for (let s = 0; s < S; s++) {
      const row = (g * S + s) * I;
      x.fill(0, row + D, row + D + width);
      for (let r = 0; r < R; r++) {
        const idx = c.realIdx[(g * R + r) * S + s];
        if (idx >= 0) x[row + D + idx] = 1;
      }
    }
  }
  return { I, x, W: rand(G * (I + H) * 4 * H, seed + 1, c.wScale ?? 0.6), b: rand(G * 4 * H, seed + 2, 0.3), h0: rand(G * S * H, seed + 3), c0: rand(G * S * H, seed + 4, 1.5) };
}

/** Runs the case both ways on the current backend; returns the differences found. */
function compare(c: Case, tail: number, seed: number) {
  const { G, S, D, H, R } = c;
  const K = c.altGroup.length;
  const { I, x, W, b, h0, c0 } = inputs(c, tail, seed);
  return tf.tidy(() => {
    const Wt = tf.tensor3d(W, [G, I + H, 4 * H]), bt = tf.tensor2d(b, [G, 4 * H]);
    const h0t = tf.tensor3d(h0, [G, S, H]), c0t = tf.tensor3d(c0, [G, S, H]), keept = tf.tensor3d(c.keep, [G, 1, S]);
    const cf = lstmStepCounterfactual(tf.tensor3d(x, [G, S, I]), Wt, bt, h0t, c0t, keept, D, c.realIdx, R, c.altIdx, c.altGroup);
    assert.deepEqual(cf.h.shape, [G, S, H]);
    assert.deepEqual(cf.c.shape, [G, S, H]);
    assert.deepEqual(cf.gates.shape, [G, 1, S, 4 * H]);
    assert.deepEqual(cf.cs.shape, [G, 1, S, H]);
    assert.deepEqual(cf.hAlt.shape, [G, K, S, H]);
    // the real step through lstmSequence
    let internals: LstmInternals | undefined;
    const real = lstmSequence(tf.tensor4d(x, [G, 1, S, I]), Wt, bt, h0t, c0t, keept, { internals: (i) => { internals = i; } });
    // the naive alternatives: K * S streams per network, each input built in full
    const xa = new Float32Array(G * K * S * I), ha = new Float32Array(G * K * S * H), ca = new Float32Array(G * K * S * H);
    const ka = new Float32Array(G * K * S);
    for (let g = 0; g < G; g++) {
      for (let k = 0; k < K; k++) {
        for (let s = 0; s < S; s++) {
          const src = (g * S + s) * I, dst = ((g * K + k) * S + s) * I;
          xa.set(x.subarray(src, src + I), dst);
          const r = c.realIdx[(g * R + c.altGroup[k]) * S + s];
          if (r >= 0) xa[dst + D + r] = 0;
          xa[dst + D + c.altIdx[g * K + k]] = 1;
          ha.set(h0.subarray((g * S + s) * H, (g * S + s + 1) * H), ((g * K + k) * S + s) * H);
          ca.set(c0.subarray((g * S + s) * H, (g * S + s + 1) * H), ((g * K + k) * S + s) * H);
          ka[(g * K + k) * S + s] = c.keep[g * S + s];
        }
      }
    }
    const naive = lstmSequence(tf.tensor4d(xa, [G, 1, K * S, I]), Wt, bt, tf.tensor3d(ha, [G, K * S, H]), tf.tensor3d(ca, [G, K * S, H]),
      tf.tensor3d(ka, [G, 1, K * S]));
    const hAlt = cf.hAlt.dataSync(), ref = naive.h.dataSync();
    const z = tf.add(tf.matMul(tf.concat([tf.tensor3d(x, [G, S, I]), tf.mul(h0t, tf.reshape(keept, [G, S, 1]))], 2), Wt), tf.expandDims(bt, 1));
    const zMax = tf.max(tf.abs(z)).dataSync()[0];
    // alternatives equal to the real input give exactly the real output
    const h = cf.h.dataSync();
    let same = 0, sameExact = 0;
    for (let g = 0; g < G; g++) {
      for (let k = 0; k < K; k++) {
        for (let s = 0; s < S; s++) {
          if (c.realIdx[(g * R + c.altGroup[k]) * S + s] !== c.altIdx[g * K + k]) continue;
          same++;
          const a = ((g * K + k) * S + s) * H, o = (g * S + s) * H;
          if (hAlt.subarray(a, a + H).every((v, j) => v === h[o + j])) sameExact++;
        }
      }
    }
    return {
      alt: maxAbs(hAlt, ref),
      altSpread: maxAbs(ref, new Float32Array(ref.length)),
      h: maxAbs(h, real.h.dataSync()), c: maxAbs(cf.c.dataSync(), real.c.dataSync()),
      hs: maxAbs(h, real.hs.dataSync()),
      gates: internals ? maxAbs(cf.gates.dataSync(), internals.gates.dataSync()) : undefined,
      cs: internals ? maxAbs(cf.cs.dataSync(), internals.cs.dataSync()) : undefined,
      same, sameExact, zMax,
    };
  });
}

const paths: { name: string; backend: 'cpu' | 'wasm'; kernels: boolean }[] = [
  { name: 'cpu', backend: 'cpu', kernels: false },
  { name: 'wasm with the kernels', backend: 'wasm', kernels: true },
  { name: 'wasm without the kernels', backend: 'wasm', kernels: false },
];

for (const path of paths) {
  for (const c of cases) {
    test(`lstmStepCounterfactual on ${path.name}, ${c.name}: alternatives match the naive step, the real step is lstmSequence's`, async (t) => {
      await initBackend(path.backend);
      if (path.backend === 'wasm') setLearnKernels(path.kernels);
      try {
        if (path.backend === 'wasm') assert.equal(learnKernelsActive(), path.kernels);
        const d = compare(c, 2, 10 + c.G);
        assert.ok(d.altSpread > 0.05, 'the alternatives are not all zero');
        t.diagnostic(`alternatives: max abs diff ${d.alt.toExponential(2)}; largest |pre-activation| ${d.zMax.toFixed(1)}`);
        if (c.wScale) assert.ok(d.zMax > 40, `the pre-activations reach ${d.zMax}, not saturating`);
        assert.ok(d.alt <= TOL, `alternatives: max abs diff ${d.alt} > ${TOL}`);
        assert.equal(d.h, 0, 'h is lstmSequence\'s');
        assert.equal(d.hs, 0, 'h is lstmSequence\'s hs');
        assert.equal(d.c, 0, 'c is lstmSequence\'s');
        if (d.gates !== undefined) assert.equal(d.gates, 0, 'gates are lstmSequence\'s');
        if (d.cs !== undefined) assert.equal(d.cs, 0, 'cs are lstmSequence\'s');
        assert.ok(d.same > 0, 'some alternatives equal the real input');
        assert.equal(d.sameExact, d.same, 'an alternative equal to the real input gives exactly h');
      } finally {
        setLearnKernels(true);
      }
    });
  }
}

test('lstmStepCounterfactual with no alternatives (K = 0), with and without the kernels: the real step only', async () => {
  for (const kernels of [true, false]) {
    await initBackend('wasm');
    setLearnKernels(kernels);
    try {
      const G = 2, S = 3, I = 5, H = 8;
      tf.tidy(() => {
        const x = tf.tensor3d(rand(G * S * I, 1), [G, S, I]), W = tf.tensor3d(rand(G * (I + H) * 4 * H, 2), [G, I + H, 4 * H]);
        const b = tf.tensor2d(rand(G * 4 * H, 3), [G, 4 * H]), h0 = tf.tensor3d(rand(G * S * H, 4), [G, S, H]), keep = tf.ones([G, 1, S]) as tf.Tensor3D;
        const cf = lstmStepCounterfactual(x, W, b, h0, h0, keep, 2, new Int32Array(G * S).fill(-1), 1, new Int32Array(0), new Int32Array(0));
        assert.deepEqual(cf.hAlt.shape, [G, 0, S, H]);
        const real = lstmSequence(tf.reshape(x, [G, 1, S, I]) as tf.Tensor4D, W, b, h0, h0, keep);
        assert.equal(maxAbs(cf.h.dataSync(), real.h.dataSync()), 0);
      });
    } finally {
      setLearnKernels(true);
    }
  }
});

test('lstmStepCounterfactual: a bad argument is refused with a line naming it', async () => {
  await initBackend('cpu');
  tf.tidy(() => {
    const G = 2, S = 3, I = 7, H = 4;
    const x = tf.zeros([G, S, I]) as tf.Tensor3D, W = tf.zeros([G, I + H, 4 * H]) as tf.Tensor3D, b = tf.zeros([G, 4 * H]) as tf.Tensor2D;
    const h = tf.zeros([G, S, H]) as tf.Tensor3D, keep = tf.ones([G, 1, S]) as tf.Tensor3D;
    const real = new Int32Array(G * S), alt = new Int32Array(G * 2), group = new Int32Array(2);
    const call = (o: Partial<{ offset: number; real: Int32Array; R: number; alt: Int32Array; group: Int32Array; keep: tf.Tensor3D }>) =>
      () => lstmStepCounterfactual(x, W, b, h, h, o.keep ?? keep, o.offset ?? 3, o.real ?? real, o.R ?? 1, o.alt ?? alt, o.group ?? group);
    assert.doesNotThrow(call({}));
    assert.throws(call({ offset: 7 }), /offset = 7/);
    assert.throws(call({ real: Int32Array.of(0, 0, 0, 0, 0, 4) }), /realIdx holds 4: expected -1 or an index in \[0, 4\)/);
    assert.throws(call({ real: new Int32Array(5) }), /realIdx has 5 entries/);
    assert.throws(call({ alt: Int32Array.of(0, -1, 0, 0) }), /altIdx holds -1/);
    assert.throws(call({ group: Int32Array.of(0, 1) }), /altGroup holds 1: expected a group in \[0, 1\)/);
    assert.throws(call({ keep: tf.ones([G, S, 1]) as tf.Tensor3D }), /keep has shape \[2,3,1\], expected \[2,1,3\]/);
  });
});

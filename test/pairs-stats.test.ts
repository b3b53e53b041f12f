// The matched-pairs statistics (src/util/stats.ts) against values enumerated by hand: exact permutation
// p-values of small samples, Holm's adjustment of a known set of p-values, bootstrap intervals whose
// resampling distribution can be written down, and determinism of everything drawn at random.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomial, bootstrapDiffCI, bootstrapMeanCI, holm, pairedPermutationTest, permutationTest, quantileSorted } from '../src/util/stats.ts';

const close = (got: number | null | undefined, want: number, tol: number, what: string) =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (+-${tol})`);

test('binomial coefficients', () => {
  assert.equal(binomial(4, 2), 6);
  assert.equal(binomial(20, 10), 184_756);
  assert.equal(binomial(10, 0), 1);
  assert.equal(binomial(3, 5), 0);
});

test('the exact two-sample permutation test counts the relabelings enumerated by hand', () => {
  // a = [1, 2], b = [3, 4]: the 6 splits of {1, 2, 3, 4} give mean(a) - mean(b) = -2 ({1,2}), -1 ({1,3}),
  // 0 ({1,4}), 0 ({2,3}), 1 ({2,4}), 2 ({3,4}); |d| >= 2 for 2 of them: p = 2/6
  const r = permutationTest([1, 2], [3, 4])!;
  assert.equal(r.exact, true);
  assert.equal(r.relabelings, 6);
  assert.equal(r.extreme, 2);
  close(r.p, 1 / 3, 1e-15, 'p');
  assert.equal(r.diff, -2);
  // a = [1, 2, 3], b = [4, 5, 6]: of the 20 splits only {1,2,3} and {4,5,6} reach |d| = 3: p = 0.1
  close(permutationTest([1, 2, 3], [4, 5, 6])!.p, 0.1, 1e-15, 'p 3 vs 3');
  // unequal sizes: a = [10], b = [1, 2, 3]: splits put 10, 1, 2 or 3 alone, d = 10 - 2 = 8, 1 - 5 = -4,
  // 2 - 14/3 = -8/3, 3 - 13/3 = -4/3: only the observed one reaches 8: p = 1/4
  const u = permutationTest([10], [1, 2, 3])!;
  assert.equal(u.relabelings, 4);
  close(u.p, 0.25, 1e-15, 'p 1 vs 3');
  close(u.diff, 8, 1e-12, 'diff 1 vs 3');
  // ties: a = b = [1, 1]: every split gives 0, all as extreme as the observed 0
  assert.equal(permutationTest([1, 1], [1, 1])!.p, 1);
  // sums that only agree up to rounding still count as ties: 0.1 + 0.2 against 0.3
  assert.equal(permutationTest([0.1, 0.2], [0.3, 0])!.extreme, permutationTest([1, 2], [3, 0])!.extreme);
  assert.equal(permutationTest([], [1]), null);
});

test('the Monte Carlo permutation test is deterministic from its seed and close to the exact p', () => {
  // a = 1..5 and b = 6..10: 252 splits, only the two extreme ones reach |d| = 5: exact p = 2/252
  const a = [1, 2, 3, 4, 5], b = [6, 7, 8, 9, 10];
  const exact = permutationTest(a, b)!;
  close(exact.p, 2 / 252, 1e-15, 'exact');
  const mc = permutationTest(a, b, { exactUpTo: 10, samples: 50_000, seed: 7 })!;
  assert.equal(mc.exact, false);
  assert.equal(mc.relabelings, 50_000);
  assert.deepEqual(permutationTest(a, b, { exactUpTo: 10, samples: 50_000, seed: 7 }), mc);
  // binomial standard error of 2/252 over 50,000 draws: 4e-4; allow 4 of them
  close(mc.p, 2 / 252, 1.6e-3, 'Monte Carlo p');
  assert.equal(mc.p, (1 + mc.extreme) / 50_001);
  const other = permutationTest(a, b, { exactUpTo: 10, samples: 50_000, seed: 8 })!;
  assert.notEqual(other.extreme, mc.extreme, 'another seed draws other relabelings');
});

test('the paired (sign-flip) permutation test enumerates 2^n sign patterns', () => {
  // differences [1, 2, 3]: the 8 signed sums are 6, 4, 2, 0, 0, -2, -4, -6; |s| >= 6 for 2: p = 0.25
  const r = pairedPermutationTest([2, 4, 6], [1, 2, 3])!;
  assert.equal(r.exact, true);
  assert.equal(r.relabelings, 8);
  close(r.p, 0.25, 1e-15, 'p');
  assert.equal(r.diff, 2);
  // differences [1, -1, 2]: the signed sums are 2, -2, 4, 0, 0, -4, 2, -2; |s| >= 2 for 6 of 8: p = 0.75
  close(pairedPermutationTest([1, 0, 2], [0, 1, 0])!.p, 0.75, 1e-15, 'p mixed');
  const mc = pairedPermutationTest([2, 4, 6], [1, 2, 3], { exactUpTo: 4, samples: 40_000, seed: 1 })!;
  assert.equal(mc.exact, false);
  close(mc.p, 0.25, 0.01, 'Monte Carlo p');
  assert.throws(() => pairedPermutationTest([1], [1, 2]), /not pairs/);
});

test('Holm adjusts a known set of p-values step-down, in the order given', () => {
  // sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> running maximum 0.06
  const adj = holm([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(adj[i], want, 1e-15, `adjusted ${i}`));
  // capped at 1; a test not made stays out of the family (m = 2 here)
  assert.deepEqual(holm([0.6, null, 0.2]), [0.6, null, 0.4]);
  assert.deepEqual(holm([0.9, 0.8]), [1, 1]);
  assert.deepEqual(holm([]), []);
});

test('bootstrap intervals: a resampling distribution known by hand, determinism, degenerate samples', () => {
  // mean(a*) for a = [0, 1] is 0 (1/4), 0.5 (1/2) or 1 (1/4), b = [0] always 0: with 10,000 resamples the
  // 2.5% and 97.5% points fall inside the two end atoms
  const ci = bootstrapDiffCI([0, 1], [0], { resamples: 10_000, seed: 3 })!;
  assert.equal(ci.low, 0);
  assert.equal(ci.high, 1);
  assert.equal(ci.estimate, 0.5);
  // no spread: the interval is the point
  const flat = bootstrapDiffCI([5, 5, 5], [2, 2])!;
  assert.deepEqual([flat.low, flat.high, flat.estimate], [3, 3, 3]);
  // the same seed gives the same interval; another seed another one
  const a = [3.1, 4.7, 2.2, 5.9, 4.4, 3.8], b = [2.0, 2.9, 3.3, 1.7, 2.5];
  const x = bootstrapDiffCI(a, b, { seed: 11 })!, y = bootstrapDiffCI(a, b, { seed: 11 })!, z = bootstrapDiffCI(a, b, { seed: 12 })!;
  assert.deepEqual(x, y);
  assert.ok(x.low !== z.low || x.high !== z.high);
  assert.ok(x.low < x.estimate && x.estimate < x.high, `${x.low} < ${x.estimate} < ${x.high}`);
  assert.equal(x.level, 0.95);
  assert.equal(x.resamples, 10_000);
  // a wider level gives a wider interval from the same draws
  const w = bootstrapDiffCI(a, b, { seed: 11, level: 0.99 })!;
  assert.ok(w.low <= x.low && w.high >= x.high);
  const m = bootstrapMeanCI([1, 2, 3, 4], { seed: 0 })!;
  assert.equal(m.estimate, 2.5);
  assert.ok(m.low >= 1 && m.high <= 4 && m.low < 2.5 && m.high > 2.5);
  assert.equal(bootstrapDiffCI([], [1]), null);
});

test('quantiles interpolate between order statistics (type 7)', () => {
  const s = [1, 2, 3, 4, 5];
  assert.equal(quantileSorted(s, 0), 1);
  assert.equal(quantileSorted(s, 1), 5);
  assert.equal(quantileSorted(s, 0.5), 3);
  // h = 4 * 0.1 = 0.4: 1 + 0.4 * (2 - 1)
  close(quantileSorted(s, 0.1), 1.4, 1e-15, 'q 0.1');
});

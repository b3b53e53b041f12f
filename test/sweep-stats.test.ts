// The report's statistics against values worked out by hand (closed forms, small sums) and against the
// printed two-sided t tables (the 99.5% column is the paper's).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incompleteBeta, lnGamma, mean, meanCI, studentTCdf, studentTQuantile, variance, welchTest } from '../src/sweep/stats.ts';

const close = (got: number | null, want: number, tol: number, what: string) =>
  assert.ok(got !== null && Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (+-${tol})`);

test('mean and sample variance of a small list', () => {
  assert.equal(mean([1, 2, 3, 4, 5]), 3);
  // squared deviations 4 + 1 + 0 + 1 + 4 = 10, over n - 1 = 4
  assert.equal(variance([1, 2, 3, 4, 5]), 2.5);
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(variance([7])));
});

test('log-gamma matches factorials and Gamma(1/2) = sqrt(pi)', () => {
  close(lnGamma(10), Math.log(362880), 1e-12, 'ln 9!');
  close(lnGamma(1), 0, 1e-14, 'ln 0!');
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'ln Gamma(1/2)');
  close(lnGamma(0.25), Math.log(3.6256099082219083), 1e-12, 'ln Gamma(1/4)');
});

test('the incomplete beta function is a binomial tail for integer parameters', () => {
  // I_x(2, 3) = P(Binomial(4, x) >= 2) = 6x^2(1-x)^2 + 4x^3(1-x) + x^4 = 0.3456 + 0.1536 + 0.0256 at x = 0.4
  close(incompleteBeta(0.4, 2, 3), 0.5248, 1e-13, 'I_0.4(2,3)');
  // I_x(1, 1) = x, and both sides of the symmetry switch
  close(incompleteBeta(0.3, 1, 1), 0.3, 1e-14, 'I_0.3(1,1)');
  close(incompleteBeta(0.9, 2, 3), 1 - 0.1 ** 4 - 4 * 0.9 * 0.1 ** 3, 1e-13, 'I_0.9(2,3)');
  assert.equal(incompleteBeta(0, 2, 3), 0);
  assert.equal(incompleteBeta(1, 2, 3), 1);
});

test('the t distribution with 1 and 2 degrees of freedom has closed forms', () => {
  for (const t of [-3, -0.5, 0, 0.7, 2, 12]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `Cauchy F(${t})`);
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, `t2 F(${t})`);
  }
  // quantiles: tan(pi (p - 1/2)) for df 1; (2p - 1) sqrt(2 / (4p(1-p))) for df 2
  close(studentTQuantile(0.9975, 1), Math.tan(Math.PI * 0.4975), 1e-8, 't1 0.9975');
  const p = 0.9975;
  close(studentTQuantile(p, 2), (2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 1e-9, 't2 0.9975');
});

test('t quantiles match the printed tables', () => {
  // two-sided 95%: 12.706 (1), 2.776 (4); two-sided 99.5%: 14.089 (2), 5.598 (4), 3.690 (9); 99% with 10: 3.169
  close(studentTQuantile(0.975, 1), 12.7062, 1e-4, 't 0.975, 1');
  close(studentTQuantile(0.975, 4), 2.7764, 1e-4, 't 0.975, 4');
  close(studentTQuantile(0.9975, 2), 14.0890, 1e-4, 't 0.9975, 2');
  close(studentTQuantile(0.9975, 4), 5.5976, 1e-4, 't 0.9975, 4');
  close(studentTQuantile(0.9975, 9), 3.6897, 1e-4, 't 0.9975, 9');
  close(studentTQuantile(0.995, 10), 3.1693, 1e-4, 't 0.995, 10');
  close(studentTQuantile(0.0025, 4), -5.5976, 1e-4, 'lower tail');
  assert.equal(studentTQuantile(0.5, 3), 0);
});

test('a 99.5% interval over five seeds uses t(0.9975, 4)', () => {
  const ci = meanCI([1, 2, 3, 4, 5]);
  assert.equal(ci.n, 5);
  assert.equal(ci.mean, 3);
  close(ci.sd, Math.sqrt(2.5), 1e-14, 'sd');
  // 5.597568 * sqrt(2.5) / sqrt(5) = 5.597568 * 0.7071068 = 3.95808
  close(ci.half, 3.95808, 1e-5, 'half-width');
  close(ci.low, 3 - 3.95808, 1e-5, 'low');
  close(ci.high, 3 + 3.95808, 1e-5, 'high');
  const one = meanCI([4]);
  assert.deepEqual([one.n, one.mean, one.half, one.low, one.high], [1, 4, null, null, null]);
  const ninety = meanCI([1, 2, 3, 4, 5], 0.95);
  close(ninety.half, 2.7764451 * Math.sqrt(0.5), 1e-6, '95% half-width');
});

test("Welch's t-test: statistic, Welch-Satterthwaite degrees of freedom and a two-sided p", () => {
  // a: mean 3, var 2.5, n 5 -> 0.5; b = [2, 4, 6]: mean 4, var 4, n 3 -> 4/3.
  // t = -1 / sqrt(0.5 + 4/3) = -0.738549; df = (11/6)^2 / (0.5^2/4 + (4/3)^2/2) = 3.361111 / 0.951389 = 3.532847
  const w = welchTest([1, 2, 3, 4, 5], [2, 4, 6])!;
  close(w.t, -1 / Math.sqrt(0.5 + 4 / 3), 1e-12, 't');
  close(w.df, (11 / 6) ** 2 / (0.25 / 4 + (16 / 9) / 2), 1e-12, 'df');
  assert.equal(w.diff, -1);
  // p = 2 F(-0.738549; 3.532847) = 0.506214 (the same as scipy.stats.ttest_ind(a, b, equal_var=False))
  close(w.p, 0.506214, 1e-5, 'p');
  // far-apart samples give a small p; identical constant samples are not testable
  assert.ok(welchTest([10, 11, 12, 10.5, 11.5], [1, 2, 1.5, 2.5, 1])!.p < 1e-5);
  assert.equal(welchTest([1, 1, 1], [1, 1, 1]), null);
  assert.equal(welchTest([1], [1, 2, 3]), null);
});

test('a symmetric test: swapping the samples flips t and keeps p', () => {
  const a = [3.1, 2.4, 5.0, 4.4], b = [1.0, 2.2, 0.5, 1.9, 2.8];
  const ab = welchTest(a, b)!, ba = welchTest(b, a)!;
  close(ab.t, -ba.t, 1e-12, 't');
  close(ab.p, ba.p, 1e-14, 'p');
  close(ab.df, ba.df, 1e-12, 'df');
});

// The statistics of a sweep report: a run's final value (the mean over its last window of metrics lines),
// the mean over seeds with a Student-t confidence interval (the paper reports 99.5% intervals over 5
// seeds), and Welch's unequal-variance t-test of a model against a baseline. The Student t distribution
// comes from src/util/stats.ts (log-gamma and the regularised incomplete beta function, from first
// principles, so that the report needs no statistics package); test/sweep-stats.test.ts checks it
// against values worked out by hand and against printed t tables.

import { incompleteBeta, lnGamma, studentTCdf, studentTQuantile } from '../util/stats.ts';

export { incompleteBeta, lnGamma, studentTCdf, studentTQuantile };

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample variance (divisor n - 1); NaN below two values. */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/** A mean over seeds with its two-sided Student-t interval at `level`; the interval is null below two values. */
export interface MeanCI {
  n: number;
  mean: number;
  /** sample standard deviation (n - 1); null below two values */
  sd: number | null;
  /** half-width t_{(1+level)/2, n-1} * sd / sqrt(n); null below two values */
  half: number | null;
  low: number | null;
  high: number | null;
  level: number;
}

/** The paper's interval: 99.5% (Jaques et al. 2019, Table 4). */
export const PAPER_LEVEL = 0.995;

export function meanCI(xs: readonly number[], level = PAPER_LEVEL): MeanCI {
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { n, mean: m, sd: null, half: null, low: null, high: null, level };
  const sd = Math.sqrt(variance(xs));
  const half = studentTQuantile((1 + level) / 2, n - 1) * sd / Math.sqrt(n);
  return { n, mean: m, sd, half, low: m - half, high: m + half, level };
}

/** Welch's two-sample t-test (unequal variances), two-sided. */
export interface WelchResult {
  /** (mean(a) - mean(b)) / sqrt(var(a)/n_a + var(b)/n_b) */
  t: number;
  /** Welch-Satterthwaite degrees of freedom */
  df: number;
  /** two-sided p-value */
  p: number;
  diff: number;
}

/** Welch's t-test of a against b; null when either side has fewer than two values or both have no spread. */
export function welchTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = variance(a) / a.length, vb = variance(b) / b.length;
  const se2 = va + vb;
  if (!(se2 > 0)) return null;
  const diff = mean(a) - mean(b);
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  return { t, df, p, diff };
}

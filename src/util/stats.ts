// Summary statistics for comparing runs and episodes: mean, sample standard deviation, and the Student t
// confidence interval of a mean (the t quantile from the regularised incomplete beta function, computed
// here: a continued fraction as in Numerical Recipes section 6.4, inverted by bisection). The sweep report's
// statistics (src/sweep/stats.ts) use the same functions; test/sweep-stats.test.ts checks them. Below them: Gini and
// the equality-weighted return, correlations, and the two-arm comparisons of the sweep report's matched pairs
// (permutation tests, bootstrap intervals, Holm's correction; test/pairs-stats.test.ts).

import { Rng } from './rng.ts';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  std: number;
  min: number;
  max: number;
  /** Half-width of the confidence interval of the mean at `level` (null for one value). */
  ci: number | null;
  level: number;
}

/** Summary of `xs` (finite numbers; null and NaN are left out); null when none is left. */
export function summarize(values: readonly (number | null | undefined)[], level = 0.95): Summary | null {
  const xs = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return {
    n, mean, std, min: Math.min(...xs), max: Math.max(...xs), level,
    ci: n > 1 ? studentTQuantile(1 - (1 - level) / 2, n - 1) * std / Math.sqrt(n) : null,
  };
}

// Lanczos approximation of ln Gamma(x) for x > 0 (g = 7, 9 coefficients: about 15 significant digits).
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d; if (Math.abs(d) < tiny) d = tiny; d = 1 / d;
    c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
    h *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d; if (Math.abs(d) < tiny) d = tiny; d = 1 / d;
    c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for 0 <= x <= 1, a, b > 0. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast on one side of the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) on the other.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2)
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df degrees of freedom (0 < p < 1). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bracket, then bisect: the CDF is monotone, and 200 halvings reach the spacing of doubles.
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------------------------------------------
// Equality of returns (Jaques et al. 2019, Sec. 10.5.3, Fig. 16) and correlation

/** Mean absolute difference term sum_i sum_j |x_i - x_j| / (2 N), computed over sorted values in O(N log N). */
function halfMeanAbsDiff(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  // sum_{i<j} (s_j - s_i) = sum_k s_k (2k - n + 1) over the sorted values; the double sum counts each pair twice.
  let pairs = 0;
  for (let k = 0; k < n; k++) pairs += s[k] * (2 * k - n + 1);
  return pairs / n;
}

/** The Gini coefficient of the agents' returns, G = sum_i sum_j |e_i - e_j| / (2 N sum_i e_i); null when the
 * returns sum to 0 or less (G is undefined there) or there are none. Equality (docs/metrics.md) is 1 - G. */
export function gini(returns: readonly number[]): number | null {
  if (returns.length === 0 || !returns.every(Number.isFinite)) return null;
  const total = returns.reduce((a, x) => a + x, 0);
  if (!(total > 0)) return null;
  return halfMeanAbsDiff(returns) / total;
}

/** The equality-weighted return R (1 - G) of Jaques et al. (2019), Fig. 16: R = sum_i e_i the collective
 * return, G the Gini coefficient of the e_i. Computed as R - sum_i sum_j |e_i - e_j| / (2 N), which is R (1 - G)
 * whenever R > 0 and stays defined (and at most R) when R <= 0, where G is not; null for no returns. */
export function equalityWeightedReturn(returns: readonly number[]): number | null {
  if (returns.length === 0 || !returns.every(Number.isFinite)) return null;
  return returns.reduce((a, x) => a + x, 0) - halfMeanAbsDiff(returns);
}

export interface Correlation {
  /** number of (x, y) pairs with both values finite */
  n: number;
  /** Pearson's r; null below 3 pairs or when either series has no spread */
  pearson: number | null;
  /** two-sided p of r = 0 from t = r sqrt((n - 2) / (1 - r^2)), n - 2 degrees of freedom */
  pearson_p: number | null;
  /** Spearman's rho: Pearson's r of the ranks (ties get their mean rank) */
  spearman: number | null;
  spearman_p: number | null;
}

function pearsonOf(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, v) => a + v, 0) / n, my = y.reduce((a, v) => a + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (!(sxx > 0 && syy > 0)) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Ranks 1..n, tied values sharing the mean of their ranks. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let k = 0; k < order.length;) {
    let e = k;
    while (e + 1 < order.length && order[e + 1][0] === order[k][0]) e++;
    const r = (k + e) / 2 + 1;
    for (let q = k; q <= e; q++) out[order[q][1]] = r;
    k = e + 1;
  }
  return out;
}

function corrP(r: number | null, n: number): number | null {
  if (r === null) return null;
  if (Math.abs(r) === 1) return 0;
  const t = r * Math.sqrt((n - 2) / (1 - r * r));
  return Math.min(1, 2 * studentTCdf(-Math.abs(t), n - 2));
}

/** Pearson's r and Spearman's rho of paired values (pairs with a null or non-finite value are left out). */
export function correlation(xs: readonly (number | null)[], ys: readonly (number | null)[]): Correlation {
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const a = xs[i], b = ys[i];
    if (typeof a === 'number' && Number.isFinite(a) && typeof b === 'number' && Number.isFinite(b)) { x.push(a); y.push(b); }
  }
  const n = x.length;
  if (n < 3) return { n, pearson: null, pearson_p: null, spearman: null, spearman_p: null };
  const r = pearsonOf(x, y), rho = pearsonOf(ranks(x), ranks(y));
  return { n, pearson: r, pearson_p: corrP(r, n), spearman: rho, spearman_p: corrP(rho, n) };
}

// ---------------------------------------------------------------------------------------------------
// Two-arm comparisons: permutation tests, bootstrap intervals and Holm's correction (the sweep report's
// matched pairs, docs/sweeps.md). Every random draw comes from a seeded Rng, so a report is the same on
// every machine and every time.

/** A permutation test of the difference of means. */
export interface PermutationResult {
  /** the observed statistic: mean(a) - mean(b) (two-sample), mean(a_i - b_i) (paired) */
  diff: number;
  /** two-sided p: the fraction of relabelings whose statistic is at least as far from 0 (under the null) as
   * the observed one; Monte Carlo: (1 + hits) / (1 + samples), which never understates it */
  p: number;
  /** true: every relabeling was counted; false: `relabelings` random ones */
  exact: boolean;
  /** relabelings counted (all of them when exact) */
  relabelings: number;
  /** relabelings at least as extreme as the observed statistic (the observed one included when exact) */
  extreme: number;
}

export interface PermutationOptions {
  /** Count every relabeling when there are at most this many (default 1,000,000). */
  exactUpTo?: number;
  /** Otherwise draw this many at random (default 100,000)... */
  samples?: number;
  /** ...from this seed (default 0). */
  seed?: number;
}

/** n choose k as a double (exact up to 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Ties of floating-point sums count as equal: relabelings that give the observed statistic up to rounding are extreme. */
const atLeast = (x: number, obs: number, scale: number) => x >= obs - 1e-12 * Math.max(1, scale);

/**
 * Two-sided two-sample permutation test of mean(a) - mean(b): under the null that the labels a and b are
 * exchangeable, every split of the pooled values into groups of |a| and |b| is as likely. With n_a fixed the
 * difference of means is an increasing function of the sum of group a, so a relabeling is as extreme as the
 * data when its group-a sum is at least as far from n_a / n times the pooled sum. Exact (all C(n, n_a)
 * splits) when there are at most exactUpTo, else Monte Carlo from a seeded generator. Null when a side is empty.
 */
export function permutationTest(a: readonly number[], b: readonly number[], opts: PermutationOptions = {}): PermutationResult | null {
  const na = a.length, nb = b.length, n = na + nb;
  if (na === 0 || nb === 0) return null;
  const pooled = [...a, ...b];
  const total = pooled.reduce((s, x) => s + x, 0);
  const sumA = a.reduce((s, x) => s + x, 0);
  const centre = (total * na) / n;
  const obs = Math.abs(sumA - centre);
  const scale = pooled.reduce((s, x) => s + Math.abs(x), 0);
  const diff = sumA / na - (total - sumA) / nb;
  const count = binomial(n, na);
  if (count <= (opts.exactUpTo ?? 1_000_000)) {
    // every subset of na indices, in lexicographic order, its sum kept incrementally by recursion
    let extreme = 0;
    const walk = (start: number, left: number, sum: number) => {
      if (left === 0) {
        if (atLeast(Math.abs(sum - centre), obs, scale)) extreme++;
        return;
      }
      for (let i = start; i <= n - left; i++) walk(i + 1, left - 1, sum + pooled[i]);
    };
    walk(0, na, 0);
    return { diff, p: extreme / count, exact: true, relabelings: count, extreme };
  }
  const samples = opts.samples ?? 100_000;
  const rng = new Rng(opts.seed ?? 0, 1);
  const idx = pooled.map((_, i) => i);
  let extreme = 0;
  for (let s = 0; s < samples; s++) {
    // a partial Fisher-Yates shuffle: the first na places are a uniform random subset
    let sum = 0;
    for (let i = 0; i < na; i++) {
      const j = i + rng.below(n - i);
      const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
      sum += pooled[idx[i]];
    }
    if (atLeast(Math.abs(sum - centre), obs, scale)) extreme++;
  }
  return { diff, p: (1 + extreme) / (1 + samples), exact: false, relabelings: samples, extreme };
}

/**
 * Two-sided paired (sign-flip) permutation test of mean(a_i - b_i): under the null that the two members of
 * each pair are exchangeable, each difference is as likely to have either sign. Exact (all 2^n sign
 * patterns) when there are at most exactUpTo, else Monte Carlo. a and b must be the same length (pairs);
 * null when empty.
 */
export function pairedPermutationTest(a: readonly number[], b: readonly number[], opts: PermutationOptions = {}): PermutationResult | null {
  if (a.length !== b.length) throw new Error(`pairedPermutationTest: ${a.length} and ${b.length} values are not pairs`);
  const n = a.length;
  if (n === 0) return null;
  const d = a.map((x, i) => x - b[i]);
  const sum = d.reduce((s, x) => s + x, 0);
  const obs = Math.abs(sum);
  const scale = d.reduce((s, x) => s + Math.abs(x), 0);
  const diff = sum / n;
  const count = 2 ** n;
  if (n <= 52 && count <= (opts.exactUpTo ?? 1_000_000)) {
    let extreme = 0;
    const walk = (i: number, s: number) => {
      if (i === n) {
        if (atLeast(Math.abs(s), obs, scale)) extreme++;
        return;
      }
      walk(i + 1, s + d[i]);
      walk(i + 1, s - d[i]);
    };
    walk(0, 0);
    return { diff, p: extreme / count, exact: true, relabelings: count, extreme };
  }
  const samples = opts.samples ?? 100_000;
  const rng = new Rng(opts.seed ?? 0, 2);
  let extreme = 0;
  for (let s = 0; s < samples; s++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += rng.nextU32() & 1 ? d[i] : -d[i];
    if (atLeast(Math.abs(t), obs, scale)) extreme++;
  }
  return { diff, p: (1 + extreme) / (1 + samples), exact: false, relabelings: samples, extreme };
}

/** A bootstrap percentile interval. */
export interface BootstrapInterval {
  /** the statistic on the data */
  estimate: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
}

export interface BootstrapOptions {
  /** Default 0.95. */
  level?: number;
  /** Default 10,000. */
  resamples?: number;
  /** Default 0. */
  seed?: number;
}

/** The q-quantile of sorted values, interpolated linearly between order statistics (Hyndman and Fan's type 7, R's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h), hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function bootstrap(groups: readonly (readonly number[])[], stat: (means: number[]) => number, opts: BootstrapOptions): BootstrapInterval | null {
  if (groups.some((g) => g.length === 0)) return null;
  const level = opts.level ?? 0.95, resamples = opts.resamples ?? 10_000, seed = opts.seed ?? 0;
  const rng = new Rng(seed, 3);
  const stats = new Float64Array(resamples);
  const means = new Array<number>(groups.length);
  for (let r = 0; r < resamples; r++) {
    // each group resampled with replacement, to its own size
    for (let g = 0; g < groups.length; g++) {
      const xs = groups[g];
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[rng.below(xs.length)];
      means[g] = s / xs.length;
    }
    stats[r] = stat(means);
  }
  const sorted = Array.from(stats).sort((x, y) => x - y);
  const est = stat(groups.map((g) => g.reduce((s, x) => s + x, 0) / g.length));
  return { estimate: est, low: quantileSorted(sorted, (1 - level) / 2), high: quantileSorted(sorted, (1 + level) / 2), level, resamples, seed };
}

/** Bootstrap percentile interval of mean(a) - mean(b): each side resampled with replacement on its own
 * (the two arms' runs are independent samples), `resamples` times from a seeded generator. Null when a side is empty. */
export function bootstrapDiffCI(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): BootstrapInterval | null {
  return bootstrap([a, b], ([ma, mb]) => ma - mb, opts);
}

/** Bootstrap percentile interval of a mean. Null when empty. */
export function bootstrapMeanCI(xs: readonly number[], opts: BootstrapOptions = {}): BootstrapInterval | null {
  return bootstrap([xs], ([m]) => m, opts);
}

/** Holm's step-down adjusted p-values (Holm 1979), in the order given: with the p-values sorted ascending,
 * p_(i) is adjusted to max over j <= i of min(1, (m - j + 1) p_(j)); rejecting where the adjusted value is
 * at most alpha controls the family-wise error rate at alpha. Nulls (tests not made) are left out of the family and stay null. */
export function holm(ps: readonly (number | null)[]): (number | null)[] {
  const present = ps.map((p, i) => [p, i] as const).filter((x): x is readonly [number, number] => x[0] !== null);
  const m = present.length;
  const order = [...present].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: (number | null)[] = ps.map(() => null);
  let running = 0;
  order.forEach(([p, i], j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    out[i] = running;
  });
  return out;
}

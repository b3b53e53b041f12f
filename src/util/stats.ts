// Summary statistics for comparing runs and episodes: mean, sample standard deviation, and the Student t
// confidence interval of a mean (the t quantile from the regularised incomplete beta function, computed
// here: a continued fraction as in Numerical Recipes section 6.4, inverted by bisection). The sweep report's
// statistics (src/sweep/stats.ts) use the same functions; test/sweep-stats.test.ts checks them.

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

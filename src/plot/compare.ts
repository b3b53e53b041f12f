// Final metrics of runs, compared by group: each run's final value of a metric is its mean over the last
// stretch of the run (a fraction of its env steps), and each group of runs (as `commons plot` groups them)
// gets the mean over its runs, their spread and the Student t confidence interval of the mean.

import { groupRuns, metricValue, type Run } from './curves.ts';
import { summarize, type Summary } from '../util/stats.ts';
import { InputError } from '../util/errors.ts';

export interface CompareOptions {
  metrics: string[];
  /** Settings that tell groups apart (default as groupRuns). */
  groupBy?: string[];
  /** Fraction of each run's env steps, at its end, whose metric lines make its final value. Default 0.1. */
  window?: number;
  /** Confidence level. Default 0.95. */
  level?: number;
}

export interface GroupComparison {
  label: string;
  /** the grouping settings' values */
  values: Record<string, unknown>;
  runs: string[];
  /** per metric: the summary over runs (null if no run has a value), and each run's final value */
  metrics: Record<string, (Summary & { per_run: (number | null)[] }) | null>;
}

/** A run's final value of `metric`: the mean of its values in the last `window` of its env steps (at least
 * its last value); null if it has none. */
export function finalValue(run: Run, metric: string, window = 0.1): number | null {
  const points = run.rows.map((r) => ({ x: r.env_steps, v: metricValue(r, metric) })).filter((p) => p.v !== null) as { x: number; v: number }[];
  if (points.length === 0) return null;
  const end = Math.max(...run.rows.map((r) => r.env_steps));
  const from = end * (1 - window);
  const last = points.filter((p) => p.x > from);
  const use = last.length ? last : [points[points.length - 1]];
  return use.reduce((a, p) => a + p.v, 0) / use.length;
}

export function compareRuns(runs: Run[], opts: CompareOptions): GroupComparison[] {
  const window = opts.window ?? 0.1;
  if (!(window > 0 && window <= 1)) throw new InputError(`window: expected a fraction > 0 and <= 1, got ${window}`);
  return groupRuns(runs, opts.groupBy).map((g) => ({
    label: g.label,
    values: g.values,
    runs: g.runs.map((r) => r.dir),
    metrics: Object.fromEntries(opts.metrics.map((m) => {
      const per = g.runs.map((r) => finalValue(r, m, window));
      const s = summarize(per, opts.level ?? 0.95);
      return [m, s ? { ...s, per_run: per } : null];
    })),
  }));
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One CSV row per group and metric. */
export function comparisonCsv(groups: GroupComparison[], metrics: string[]): string {
  const keys = [...new Set(groups.flatMap((g) => Object.keys(g.values)))];
  const head = ['group', ...keys, 'metric', 'n', 'mean', 'std', 'ci_low', 'ci_high', 'level', 'min', 'max', 'runs'];
  const lines = [head.join(',')];
  for (const g of groups) {
    for (const m of metrics) {
      const s = g.metrics[m];
      lines.push([g.label, ...keys.map((k) => g.values[k]), m, s?.n ?? 0, s?.mean, s?.std,
        s && s.ci !== null ? s.mean - s.ci : null, s && s.ci !== null ? s.mean + s.ci : null, s?.level,
        s?.min, s?.max, g.runs.join(' ')].map(csvCell).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** Significant figures that keep small numbers readable. */
function num(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** The comparison as a text table: one block per metric, one line per group. */
export function comparisonText(groups: GroupComparison[], metrics: string[], level = 0.95): string[] {
  const w = Math.max(5, ...groups.map((g) => g.label.length));
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`${m} (mean +- ${+(100 * level).toFixed(2)}% CI half-width, std, min..max, seeds):`);
    for (const g of groups) {
      const s = g.metrics[m];
      lines.push(`  ${g.label.padEnd(w)}  ${s === null ? 'n/a' : `${num(s.mean).padStart(9)} +- ${(s.ci === null ? 'n/a' : num(s.ci)).padEnd(7)}  std ${num(s.std).padEnd(7)}  ${num(s.min)}..${num(s.max)}  n=${s.n}`}`);
    }
  }
  return lines;
}

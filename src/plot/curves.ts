// Learning curves from training runs: read run directories (config.json + metrics.jsonl written by the
// trainer), group them (by model and every other setting that differs, or by the fields asked for),
// average seeds on a common env_steps grid, and draw the curves with
// Vega-Lite (SVG, headless: no canvas) rasterised to PNG by resvg with the DejaVu Sans font shipped in
// the dejavu-fonts-ttf package, so the text renders the same on any machine, with or without system fonts.

import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { InputError } from '../util/errors.ts';
import { studentTQuantile, equalityWeightedReturn } from '../util/stats.ts';
import { needOptional } from '../util/optional.ts';

/** Metrics checked when a run is read (numbers or null on every line that has them). Any other numeric
 * field of metrics.jsonl can be plotted too, nested ones by a dotted path (moa.accuracy, timing.wall_s). */
export const METRICS = ['collective_return', 'equality', 'sustainability', 'influence_total'] as const;
/** A metric: a field of metrics.jsonl, nested fields by a dotted path. */
export type Metric = string;

/** Fields that count progress rather than measure it: the x axis, not metrics. */
const COUNTERS = new Set(['env_steps', 'agent_steps', 'updates']);

/** Metrics computed from other fields of a line when it does not have them: the equality-weighted return
 * R (1 - G) of the line's per-agent mean returns (docs/metrics.md). */
export const DERIVED_METRICS: Record<string, (row: Record<string, unknown>) => number | null> = {
  equality_weighted_return: (row) => {
    const r = row.returns;
    return Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'number') ? equalityWeightedReturn(r as number[]) : null;
  },
};

/** The value of a dotted `path` in a metrics line, if it is a finite number (derived metrics computed). */
export function metricValue(row: Record<string, unknown>, path: string): number | null {
  if (path in DERIVED_METRICS && !(path in row)) return DERIVED_METRICS[path](row);
  let v: unknown = row;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Every numeric metric some line of these runs has (dotted paths for nested fields), in first-seen order. */
export function metricsOf(runs: Run[]): string[] {
  const seen = new Set<string>();
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix + k;
      if (typeof v === 'number' && !COUNTERS.has(path)) seen.add(path);
      else if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, path + '.');
    }
  };
  for (const r of runs) for (const row of r.rows) walk(row, '');
  for (const [m, f] of Object.entries(DERIVED_METRICS)) if (runs.some((r) => r.rows.some((row) => f(row) !== null))) seen.add(m);
  for (const m of METRICS) if (runs.some((r) => r.rows.some((row) => m in row))) seen.add(m);
  return [...seen];
}

/** One line of metrics.jsonl, as far as plotting needs it. */
export interface MetricsRow {
  env_steps: number;
  collective_return: number | null;
  equality: number | null;
  sustainability: number | null;
  [key: string]: unknown;
}

/** A training run read from its directory. */
export interface Run {
  dir: string;
  game: string;
  model: string;
  algo: string;
  seed: number | null;
  config: Record<string, unknown>;
  rows: MetricsRow[];
}

/** Runs that share the settings a plot groups by, whose seeds are averaged into one curve. */
export interface RunGroup {
  key: string;
  /** the legend label: the model, then the other grouping settings where they differ, e.g. 'a2c (lr 0.001)' */
  label: string;
  model: string;
  algo: string;
  /** the grouping settings' values */
  values: Record<string, unknown>;
  runs: Run[];
}

/** Settings never used to tell groups apart by default: the seed (what is averaged over), the run's name and
 * provenance, the budget, and how the run was hosted (reports, checkpoints, workers, backend). */
export const NOT_GROUPED = ['seed', 'name', 'tags', 'code', 'version', 'steps', 'keep', 'checkpointEvery', 'reportEvery', 'workers', 'backend'];

/** A group's curve: at each x, the mean over its runs and the band (min and max over runs). */
export interface Aggregate {
  x: number[];
  mean: number[];
  low: number[];
  high: number[];
  /** sample standard deviation over runs (n - 1; 0 for one run) */
  std: number[];
  /** half-width of the confidence interval of the mean at AggregateOptions.level (0 for one run) */
  ci: number[];
  /** how many runs went into each point (the runs that have at least one value of the metric) */
  n: number;
}

export interface AggregateOptions {
  /** Moving average of each run over this many of its points (trailing) before averaging; 1 = none. */
  smooth?: number;
  /** Confidence level of `ci`; default 0.95. */
  level?: number;
}

/** What the shaded band shows: min to max over seeds, the confidence interval of the mean, mean +- one std. */
export const BANDS = ['minmax', 'ci', 'std', 'none'] as const;
export type Band = (typeof BANDS)[number];

export interface RenderOptions extends AggregateOptions {
  metric?: Metric;
  /** Settings that tell groups apart; default model plus every setting that differs (NOT_GROUPED aside). */
  groupBy?: string[];
  /** Default 'minmax'. */
  band?: Band;
  /** defaults to "<game>: <metric> over training" */
  title?: string;
  /** size of the SVG in CSS pixels (the whole figure, axes and legend included); default 720 x 440 */
  width?: number;
  height?: number;
  /** PNG pixels per SVG pixel; default 2 */
  scale?: number;
}

function readJson(file: string, what: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a run directory. Lines of metrics.jsonl must be JSON objects with a numeric env_steps; blank lines
 * are skipped, and so is a last line without its newline that does not parse (the trainer is still
 * writing it). Any other bad line is an InputError naming the file and the line number.
 */
export function loadRun(dir: string): Run {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: no such run directory`);
  const configFile = join(dir, 'config.json');
  const metricsFile = join(dir, 'metrics.jsonl');
  if (!existsSync(configFile)) throw new InputError(`${dir}: no config.json (is it a run directory written by the trainer?)`);
  if (!existsSync(metricsFile)) throw new InputError(`${dir}: no metrics.jsonl (is it a run directory written by the trainer?)`);
  const config = readJson(configFile, 'config');
  if (!isObject(config)) throw new InputError(`${configFile}: expected a JSON object`);
  for (const field of ['game', 'model'] as const) {
    if (typeof config[field] !== 'string' || config[field] === '') {
      throw new InputError(`${configFile}: field '${field}' must be a non-empty string, got ${JSON.stringify(config[field])}`);
    }
  }
  const text = readFileSync(metricsFile, 'utf8');
  const lines = text.split('\n');
  const rows: MetricsRow[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${metricsFile} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) return; // a last line not yet finished by a running trainer
      throw new InputError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (!isObject(row)) throw new InputError(`${where}: expected a JSON object`);
    if (typeof row.env_steps !== 'number' || !Number.isFinite(row.env_steps)) {
      throw new InputError(`${where}: env_steps must be a number, got ${JSON.stringify(row.env_steps)}`);
    }
    for (const m of METRICS) {
      const v = row[m];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw new InputError(`${where}: ${m} must be a number or null, got ${JSON.stringify(v)}`);
      }
      if (v === undefined) row[m] = null;
    }
    rows.push(row as MetricsRow);
  });
  return {
    dir,
    game: config.game as string,
    model: config.model as string,
    algo: typeof config.algo === 'string' ? config.algo : '',
    seed: typeof config.seed === 'number' ? config.seed : null,
    config,
    rows,
  };
}

/** Whether two settings' values are the same (arrays and maps compared as JSON). */
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The settings in which runs differ, besides NOT_GROUPED ones: what groupRuns splits by default. */
export function differingSettings(runs: Run[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].filter((k) => !NOT_GROUPED.includes(k));
  return keys.filter((k) => runs.some((r) => !same(r.config[k], runs[0].config[k])));
}

const show = (v: unknown) => (v === undefined ? 'n/a' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Groups runs, in order of first appearance: by `by` (setting names of config.json), or by default by model
 * and every other setting in which the runs differ (so that runs with different settings are never averaged
 * as if they were seeds). Runs of different games are an InputError.
 */
export function groupRuns(runs: Run[], by?: string[]): RunGroup[] {
  if (runs.length === 0) throw new InputError('no runs given');
  const games = [...new Set(runs.map((r) => r.game))];
  if (games.length > 1 && !by?.includes('game')) {
    const list = games.map((g) => `${g} (${runs.filter((r) => r.game === g).map((r) => r.dir).join(', ')})`).join(' vs ');
    throw new InputError(`runs of different games cannot share a plot: ${list}`);
  }
  if (by) {
    const known = new Set(runs.flatMap((r) => Object.keys(r.config)));
    const unknown = by.filter((k) => !known.has(k));
    if (unknown.length) {
      throw new InputError(`--group-by: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a setting of these runs' config.json; settings: ${[...known].join(', ')}`);
    }
  }
  const fields = by ?? ['model', ...differingSettings(runs).filter((k) => k !== 'model')];
  // The label names the model and only the settings that tell runs of one model apart: a setting that every
  // model's runs share (a preset's per-model learning rate, entropy, beta...) is said by the model's name.
  const byModel = (k: string) => [...new Set(runs.map((r) => r.model))].every((m) => {
    const of = runs.filter((r) => r.model === m);
    return of.every((r) => same(r.config[k], of[0].config[k]));
  });
  const labelled = fields.filter((k) => k !== 'model' && !(fields.includes('model') && byModel(k)));
  const labelOf = (run: Run, values: Record<string, unknown>, keys: string[], limit = Infinity) => {
    const parts = keys.map((k) => `${k} ${show(values[k])}`);
    const cut = parts.length > limit ? [...parts.slice(0, limit), `+${parts.length - limit} more`] : parts;
    const head = fields.includes('model') ? run.model : '';
    return head && cut.length ? `${head} (${cut.join(', ')})` : head || cut.join(', ') || 'all runs';
  };
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const values = Object.fromEntries(fields.map((k) => [k, run.config[k]]));
    const key = JSON.stringify(fields.map((k) => values[k] ?? null));
    let g = groups.get(key);
    if (!g) {
      g = { key, label: labelOf(run, values, labelled, MAX_LABEL_SETTINGS), model: run.model, algo: run.algo, values, runs: [] };
      groups.set(key, g);
    }
    g.runs.push(run);
  }
  // Labels must tell groups apart: where cutting made two alike, those say every setting that differs.
  const list = [...groups.values()];
  for (const g of list) {
    if (list.some((o) => o !== g && o.label === g.label)) g.label = labelOf(g.runs[0], g.values, fields.filter((k) => k !== 'model'));
  }
  return list;
}

/** Settings named in a group's label at most (then "+N more"); `commons compare --json` lists them all. */
const MAX_LABEL_SETTINGS = 3;

/** The (env_steps, value) points of one run for a metric, sorted by env_steps; a repeated env_steps keeps
 * its last value. `smooth` > 1 replaces each value by the mean of it and the smooth - 1 before it. */
export function points(run: Run, metric: Metric, smooth = 1): { x: number[]; y: number[] } {
  const byX = new Map<number, number>();
  for (const row of run.rows) {
    const v = metricValue(row, metric);
    if (v !== null) byX.set(row.env_steps, v);
  }
  const x = [...byX.keys()].sort((a, b) => a - b);
  const raw = x.map((k) => byX.get(k)!);
  if (smooth <= 1) return { x, y: raw };
  const y = raw.map((_, i) => {
    const from = Math.max(0, i - smooth + 1);
    let sum = 0;
    for (let j = from; j <= i; j++) sum += raw[j];
    return sum / (i - from + 1);
  });
  return { x, y };
}

/** Linear interpolation of the sorted points (xs, ys) at x, inside [xs[0], xs[last]]. */
function interpolate(xs: number[], ys: number[], x: number): number {
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (xs[lo] === x || lo === hi) return ys[lo];
  if (xs[hi] === x) return ys[hi];
  const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

/**
 * A group's curve for a metric. One run: its own points (band = the line). Several runs: each run is
 * linearly interpolated onto the union of all runs' env_steps values inside the range they all cover
 * (from the latest first point to the earliest last point); at each of those x the curve has the mean,
 * the min and max, the sample standard deviation over runs and the half-width of the Student t confidence
 * interval of the mean. Runs with no value of the metric are left out; a group with none at all gives
 * empty series.
 */
export function aggregate(group: RunGroup, metric: Metric, opts: AggregateOptions = {}): Aggregate {
  const series = group.runs.map((r) => ({ run: r, ...points(r, metric, opts.smooth) })).filter((s) => s.x.length > 0);
  if (series.length === 0) return { x: [], mean: [], low: [], high: [], std: [], ci: [], n: 0 };
  if (series.length === 1) {
    const { x, y } = series[0];
    return { x, mean: y, low: y.slice(), high: y.slice(), std: y.map(() => 0), ci: y.map(() => 0), n: 1 };
  }
  const from = Math.max(...series.map((s) => s.x[0]));
  const to = Math.min(...series.map((s) => s.x[s.x.length - 1]));
  if (from > to) {
    const spans = series.map((s) => `${s.run.dir} ${s.x[0]}..${s.x[s.x.length - 1]}`).join(', ');
    throw new InputError(`runs of ${group.label} share no range of env_steps to average over: ${spans}`);
  }
  const grid = [...new Set(series.flatMap((s) => s.x.filter((x) => x >= from && x <= to)))].sort((a, b) => a - b);
  const out: Aggregate = { x: grid, mean: [], low: [], high: [], std: [], ci: [], n: series.length };
  const n = series.length;
  const t = studentTQuantile(1 - (1 - (opts.level ?? 0.95)) / 2, n - 1);
  for (const x of grid) {
    const vs = series.map((s) => interpolate(s.x, s.y, x));
    const mean = vs.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    out.mean.push(mean);
    out.low.push(Math.min(...vs));
    out.high.push(Math.max(...vs));
    out.std.push(std);
    out.ci.push((t * std) / Math.sqrt(n));
  }
  return out;
}

const FONT_FAMILY = 'DejaVu Sans';

/** The TTF files handed to resvg: DejaVu Sans regular and bold, from the dejavu-fonts-ttf npm package. */
export function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
}

function metricLabel(metric: Metric): string {
  return metric.replace(/_/g, ' ');
}

/** What the subtitle says the band is. */
const BAND_TEXT: Record<Band, string> = {
  minmax: 'shaded band: min to max over seeds',
  ci: 'shaded band: {level}% confidence interval of the mean (Student t)',
  std: 'shaded band: mean +- one standard deviation over seeds',
  none: '',
};

/** The Vega-Lite spec of the figure (exported for tests and for anyone who wants to restyle it). */
export function curvesSpec(runs: Run[], opts: RenderOptions = {}): { spec: Record<string, unknown>; groups: RunGroup[]; aggregates: Aggregate[] } {
  const metric = opts.metric ?? 'collective_return';
  const band = opts.band ?? 'minmax';
  const level = opts.level ?? 0.95;
  const groups = groupRuns(runs, opts.groupBy);
  const aggregates = groups.map((g) => aggregate(g, metric, opts));
  if (aggregates.every((a) => a.x.length === 0)) {
    throw new InputError(`no data points: no line of metrics.jsonl has a ${metric} value in ${runs.map((r) => r.dir).join(', ')}`);
  }
  const shown = groups.map((g, i) => ({ g, a: aggregates[i] })).filter(({ a }) => a.x.length > 0);
  // the legend says how many seeds each mean is over: "a2c (3 seeds)", "a2c (lr 0.001, 3 seeds)"
  const labels = shown.map(({ g, a }) => {
    if (a.n <= 1) return g.label;
    return g.label.endsWith(')') ? `${g.label.slice(0, -1)}, ${a.n} seeds)` : `${g.label} (${a.n} seeds)`;
  });
  const lineRows: Record<string, unknown>[] = [];
  const bandRows: Record<string, unknown>[] = [];
  shown.forEach(({ a }, k) => {
    a.x.forEach((x, i) => {
      lineRows.push({ model: labels[k], x, y: a.mean[i] });
      if (a.n > 1 && band !== 'none') {
        const [low, high] = band === 'minmax' ? [a.low[i], a.high[i]] : band === 'ci' ? [a.mean[i] - a.ci[i], a.mean[i] + a.ci[i]] : [a.mean[i] - a.std[i], a.mean[i] + a.std[i]];
        bandRows.push({ model: labels[k], x, low, high });
      }
    });
  });
  const anyBand = bandRows.length > 0;
  const game = [...new Set(runs.map((r) => r.game))].join(', ');
  const title = opts.title ?? `${game}: ${metricLabel(metric)} over training`;
  const smoothed = (opts.smooth ?? 1) > 1 ? `; each run smoothed over ${opts.smooth} points` : '';
  const subtitle = (anyBand ? `line: mean over seeds; ${BAND_TEXT[band].replace('{level}', String(+(100 * level).toFixed(2)))}` : shown.every(({ a }) => a.n <= 1) ? 'one run per curve' : 'line: mean over seeds') + smoothed;
  // An early point far outside what follows (untrained agents' first returns, thousands below zero) would
  // squash every later point into a line: the y axis then spans the rest, and the subtitle gives that
  // point's value. Returns below zero are explained where they show.
  const clipped = earlyOutliers(shown.map(({ a }) => a));
  const notes: string[] = [];
  if (clipped) {
    const what = clipped.points.map((p) => `${fmtValue(p.y)} at ${fmtSteps(p.x)} env steps`).join(', ');
    notes.push(`first report${clipped.points.length > 1 ? 's' : ''} (${what}) off the scale, ${clipped.points[0].y < clipped.domain[0] ? 'below' : 'above'} it`);
  }
  if (/return/.test(metric) && lineRows.some((r) => (r.y as number) < 0)) {
    notes.push('below 0: agents fire at random early on (FIRE costs the shooter 1, each agent hit 50)');
  }
  const width = opts.width ?? 720, height = opts.height ?? 440;
  // The legend sits under the plot in as many columns as fit the figure's width (a single row cut entries
  // off beyond the third or fourth): entries are about 7 px per character plus the symbol and a gap.
  const entry = Math.min(260, 7 * Math.max(...labels.map((l) => l.length))) + 44;
  const columns = Math.max(1, Math.min(labels.length, Math.floor((width - 90) / entry)));
  const color = {
    field: 'model', type: 'nominal', title: null, scale: { domain: labels },
    legend: { orient: 'bottom', direction: 'horizontal', columns, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, columnPadding: 16 },
  };
  const x = { field: 'x', type: 'quantitative', title: 'environment steps', axis: { labelExpr: "format(datum.value, '~s')" } };
  const layers: Record<string, unknown>[] = [];
  if (anyBand) {
    layers.push({
      data: { values: bandRows },
      mark: { type: 'area', opacity: 0.22, interpolate: 'linear', clip: true },
      encoding: { x, y: { field: 'low', type: 'quantitative', ...(clipped ? { scale: { domain: clipped.domain } } : {}) }, y2: { field: 'high' }, color: { ...color, legend: null } },
    });
  }
  // A curve of a few points shows them: a run with one line of metrics is a dot, not nothing.
  const sparse = shown.some(({ a }) => a.x.length < 20);
  layers.push({
    data: { values: lineRows },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', clip: true, ...(sparse ? { point: { filled: true, size: 36 } } : {}) },
    encoding: {
      x, color,
      y: { field: 'y', type: 'quantitative', title: metricLabel(metric), scale: { zero: false, ...(clipped ? { domain: clipped.domain } : {}) }, axis: { labelExpr: "format(datum.value, '~r')" } },
    },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width, height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: 'white',
    title: { text: title, subtitle: notes.length ? [subtitle, ...notes] : subtitle, anchor: 'start' },
    config: {
      font: FONT_FAMILY,
      title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555' },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 260 },
      view: { stroke: '#ccc' },
    },
    layer: layers,
    // the band layer has no legend of its own: the line layer's legend names the colours
    resolve: { legend: { color: 'independent' } },
  };
  return { spec, groups, aggregates };
}

const fmtValue = (v: number) => (v < 0 ? '\u2212' : '') + Math.abs(v).toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
const fmtSteps = (x: number) => (x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : String(x));

/**
 * The first point of each curve, when it lies so far from all the later points (more than twice their whole
 * range beyond them) that it would squash them: those points, and the y domain of the rest (padded by 5%).
 * Curves of fewer than 4 points are left alone.
 */
export function earlyOutliers(curves: { x: number[]; mean: number[]; low?: number[]; high?: number[] }[]): { points: { x: number; y: number }[]; domain: [number, number] } | null {
  const long = curves.filter((c) => c.x.length >= 4);
  if (long.length === 0 || long.length !== curves.filter((c) => c.x.length > 0).length) return null;
  let lo = Infinity, hi = -Infinity;
  for (const c of long) {
    for (let i = 1; i < c.x.length; i++) {
      for (const v of [c.mean[i], c.low?.[i], c.high?.[i]]) if (v !== undefined && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  const range = Math.max(hi - lo, 1e-9);
  const far = (v: number) => v < lo - 2 * range || v > hi + 2 * range;
  const points = long.filter((c) => far(c.mean[0])).map((c) => ({ x: c.x[0], y: c.mean[0] }));
  if (points.length === 0) return null;
  // The other curves' first points stay on the scale.
  for (const c of long) if (!far(c.mean[0])) { lo = Math.min(lo, c.mean[0]); hi = Math.max(hi, c.mean[0]); }
  const pad = 0.05 * Math.max(hi - lo, 1e-9);
  return { points, domain: [lo - pad, hi + pad] };
}

/** Draws the learning curves: the SVG text and its PNG (scale x the SVG's size, white background). */
export async function renderCurves(runs: Run[], opts: RenderOptions = {}): Promise<{ svg: string; png: Uint8Array }> {
  return renderVegaLite(curvesSpec(runs, opts).spec, opts.scale);
}

/** Any Vega-Lite spec drawn as SVG (headless) and rasterised to PNG at `scale` with the shipped DejaVu fonts. */
export async function renderVegaLite(spec: Record<string, unknown>, scale = 2): Promise<{ svg: string; png: Uint8Array }> {
  // Optional packages (src/util/optional.ts), loaded from node_modules at run time; resvg is a native addon.
  const { vega, vegaLite, Resvg, fonts } = await needOptional('plot', 'plotting', async () => {
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
    return { vega, vegaLite, Resvg, fonts: fontFiles() };
  });
  const quiet = { level: () => quiet, error: (...m: unknown[]) => { throw new Error(`vega-lite: ${m.join(' ')}`); }, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const compiled = vegaLite.compile(spec as never, { logger: quiet as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: false, fontFiles: fonts, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    logLevel: 'off',
  });
  const png = resvg.render().asPng();
  return { svg, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
}

// Learning curves from training runs: read run directories (config.json + metrics.jsonl written by the
// trainer), group them by model, average seeds on a common env_steps grid, and draw the curves with
// Vega-Lite (SVG, headless: no canvas) rasterised to PNG by resvg with the DejaVu Sans font shipped in
// the dejavu-fonts-ttf package, so the text renders the same on any machine, with or without system fonts.

import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { InputError } from '../util/errors.ts';

export const METRICS = ['collective_return', 'equality', 'sustainability', 'influence_total'] as const;
export type Metric = (typeof METRICS)[number];

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

/** Runs of one model (and one algorithm) whose seeds are averaged into one curve. */
export interface RunGroup {
  key: string;
  /** the legend label: the model, with the algorithm in brackets when the plot mixes algorithms */
  label: string;
  model: string;
  algo: string;
  runs: Run[];
}

/** A group's curve: at each x, the mean over its runs and the band (min and max over runs). */
export interface Aggregate {
  x: number[];
  mean: number[];
  low: number[];
  high: number[];
  std: number[];
  /** how many runs went into each point (the runs that have at least one value of the metric) */
  n: number;
}

export interface RenderOptions {
  metric?: Metric;
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

/** Groups runs by model and algorithm, in order of first appearance. Runs of different games are an InputError. */
export function groupRuns(runs: Run[]): RunGroup[] {
  if (runs.length === 0) throw new InputError('no runs given');
  const games = [...new Set(runs.map((r) => r.game))];
  if (games.length > 1) {
    const list = games.map((g) => `${g} (${runs.filter((r) => r.game === g).map((r) => r.dir).join(', ')})`).join(' vs ');
    throw new InputError(`runs of different games cannot share a plot: ${list}`);
  }
  const mixedAlgos = new Set(runs.map((r) => r.algo)).size > 1;
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const key = `${run.model}\u0000${run.algo}`;
    let g = groups.get(key);
    if (!g) {
      const label = mixedAlgos && run.algo !== '' ? `${run.model} (${run.algo})` : run.model;
      g = { key, label, model: run.model, algo: run.algo, runs: [] };
      groups.set(key, g);
    }
    g.runs.push(run);
  }
  return [...groups.values()];
}

/** The (env_steps, value) points of one run for a metric, sorted by env_steps; a repeated env_steps keeps its last value. */
export function points(run: Run, metric: Metric): { x: number[]; y: number[] } {
  const byX = new Map<number, number>();
  for (const row of run.rows) {
    const v = row[metric];
    if (typeof v === 'number') byX.set(row.env_steps, v);
  }
  const x = [...byX.keys()].sort((a, b) => a - b);
  return { x, y: x.map((k) => byX.get(k)!) };
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
 * the min and max (the band) and the population standard deviation over runs. Runs with no value of the
 * metric are left out; a group with none at all gives empty series.
 */
export function aggregate(group: RunGroup, metric: Metric): Aggregate {
  const series = group.runs.map((r) => ({ run: r, ...points(r, metric) })).filter((s) => s.x.length > 0);
  if (series.length === 0) return { x: [], mean: [], low: [], high: [], std: [], n: 0 };
  if (series.length === 1) {
    const { x, y } = series[0];
    return { x, mean: y, low: y.slice(), high: y.slice(), std: y.map(() => 0), n: 1 };
  }
  const from = Math.max(...series.map((s) => s.x[0]));
  const to = Math.min(...series.map((s) => s.x[s.x.length - 1]));
  if (from > to) {
    const spans = series.map((s) => `${s.run.dir} ${s.x[0]}..${s.x[s.x.length - 1]}`).join(', ');
    throw new InputError(`runs of ${group.label} share no range of env_steps to average over: ${spans}`);
  }
  const grid = [...new Set(series.flatMap((s) => s.x.filter((x) => x >= from && x <= to)))].sort((a, b) => a - b);
  const out: Aggregate = { x: grid, mean: [], low: [], high: [], std: [], n: series.length };
  for (const x of grid) {
    const vs = series.map((s) => interpolate(s.x, s.y, x));
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    out.mean.push(mean);
    out.low.push(Math.min(...vs));
    out.high.push(Math.max(...vs));
    out.std.push(Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / vs.length));
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

/** The Vega-Lite spec of the figure (exported for tests and for anyone who wants to restyle it). */
export function curvesSpec(runs: Run[], opts: RenderOptions = {}): { spec: Record<string, unknown>; groups: RunGroup[]; aggregates: Aggregate[] } {
  const metric = opts.metric ?? 'collective_return';
  const groups = groupRuns(runs);
  const aggregates = groups.map((g) => aggregate(g, metric));
  if (aggregates.every((a) => a.x.length === 0)) {
    throw new InputError(`no data points: no line of metrics.jsonl has a ${metric} value in ${runs.map((r) => r.dir).join(', ')}`);
  }
  const shown = groups.map((g, i) => ({ g, a: aggregates[i] })).filter(({ a }) => a.x.length > 0);
  // the legend says how many seeds each mean is over: "a2c (3 seeds)", "a2c (ppo, 3 seeds)"
  const labels = shown.map(({ g, a }) => {
    if (a.n <= 1) return g.label;
    return g.label === g.model ? `${g.model} (${a.n} seeds)` : `${g.model} (${g.algo}, ${a.n} seeds)`;
  });
  const lineRows: Record<string, unknown>[] = [];
  const bandRows: Record<string, unknown>[] = [];
  shown.forEach(({ a }, k) => {
    a.x.forEach((x, i) => {
      lineRows.push({ model: labels[k], x, y: a.mean[i] });
      if (a.n > 1) bandRows.push({ model: labels[k], x, low: a.low[i], high: a.high[i] });
    });
  });
  const anyBand = bandRows.length > 0;
  const game = runs[0].game;
  const title = opts.title ?? `${game}: ${metricLabel(metric)} over training`;
  const subtitle = anyBand ? 'line: mean over seeds; shaded band: min to max over seeds' : 'one run per model';
  const width = opts.width ?? 720, height = opts.height ?? 440;
  const color = { field: 'model', type: 'nominal', title: 'model', scale: { domain: labels }, legend: { orient: 'bottom', direction: 'horizontal', titleOrient: 'left', symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } };
  const x = { field: 'x', type: 'quantitative', title: 'environment steps', axis: { labelExpr: "format(datum.value, '~s')" } };
  const layers: Record<string, unknown>[] = [];
  if (anyBand) {
    layers.push({
      data: { values: bandRows },
      mark: { type: 'area', opacity: 0.22, interpolate: 'linear' },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { ...color, legend: null } },
    });
  }
  layers.push({
    data: { values: lineRows },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
    encoding: { x, y: { field: 'y', type: 'quantitative', title: metricLabel(metric), scale: { zero: false }, axis: { labelExpr: "format(datum.value, '~r')" } }, color },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width, height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: 'white',
    title: { text: title, subtitle, anchor: 'start' },
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

/** Draws the learning curves: the SVG text and its PNG (scale x the SVG's size, white background). */
export async function renderCurves(runs: Run[], opts: RenderOptions = {}): Promise<{ svg: string; png: Uint8Array }> {
  return renderVegaLite(curvesSpec(runs, opts).spec, opts.scale);
}

/** Any Vega-Lite spec drawn as SVG (headless) and rasterised to PNG at `scale` with the shipped DejaVu fonts. */
export async function renderVegaLite(spec: Record<string, unknown>, scale = 2): Promise<{ svg: string; png: Uint8Array }> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  // resvg is a native addon: required at run time from node_modules, so that bundlers (esbuild for
  // dist/cli.js) leave it alone rather than trying to inline its .node binary.
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
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
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    logLevel: 'off',
  });
  const png = resvg.render().asPng();
  return { svg, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
}

// commons plot: reading run directories, averaging seeds, drawing the curves, and the bad inputs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun, groupRuns, aggregate, renderCurves, curvesSpec } from '../src/plot/curves.ts';
import { plotCommand, PLOT_HELP } from '../src/cli/plot.ts';
import { InputError } from '../src/util/errors.ts';
import { UsageError } from '../src/cli/args.ts';

const root = mkdtempSync(join(tmpdir(), 'commons-plot-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Row = [env_steps: number, collective_return: number | null];

/** Writes a run directory; `metrics` overrides the metrics.jsonl text, null leaves the file out. */
function makeRun(name: string, config: Record<string, unknown> | null, rows: Row[], metrics?: string | null): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify({ game: 'cleanup', algo: 'a2c', agents: 5, ...config }));
  const text = rows.map(([x, r], i) => JSON.stringify({ env_steps: x, agent_steps: 5 * x, collective_return: r, episodes: i, equality: r === null ? null : 0.5 + i / 10, sustainability: null })).join('\n') + '\n';
  if (metrics !== null) writeFileSync(join(dir, 'metrics.jsonl'), metrics ?? text);
  return dir;
}

// a2c seed 0: points (100,10) (300,30) (400,40), the null at 200 skipped; a2c seed 1: (150,20) (250,20) (350,40) (450,60).
const A0 = makeRun('a2c-0', { model: 'a2c', seed: 0 }, [[100, 10], [200, null], [300, 30], [400, 40]]);
const A1 = makeRun('a2c-1', { model: 'a2c', seed: 1 }, [[150, 20], [250, 20], [350, 40], [450, 60]]);
const M0 = makeRun('moa-0', { model: 'influence-moa', seed: 0 }, [[100, 5], [200, 7]]);

test('loadRun reads the config and the metric lines', () => {
  const run = loadRun(A0);
  assert.equal(run.game, 'cleanup');
  assert.equal(run.model, 'a2c');
  assert.equal(run.algo, 'a2c');
  assert.equal(run.seed, 0);
  assert.equal(run.rows.length, 4);
  assert.equal(run.rows[1].collective_return, null);
});

test('groupRuns groups by model in order; the algorithm joins the label only when algorithms differ', () => {
  const groups = groupRuns([A0, M0, A1].map(loadRun));
  assert.deepEqual(groups.map((g) => [g.label, g.runs.map((r) => r.seed)]), [['a2c', [0, 1]], ['influence-moa', [0]]]);
  const ppo = makeRun('ppo-0', { model: 'a2c', algo: 'ppo', seed: 0 }, [[100, 1]]);
  const mixed = groupRuns([A0, A1, ppo].map(loadRun));
  assert.deepEqual(mixed.map((g) => [g.label, g.runs.length]), [['a2c (a2c)', 2], ['a2c (ppo)', 1]]);
});

test('aggregate interpolates seeds onto the union of their x values within the common range', () => {
  const [a2c, moa] = groupRuns([A0, A1, M0].map(loadRun));
  const agg = aggregate(a2c, 'collective_return');
  // common range [150, 400]; seed 0 at 150, 250, 350 interpolated (15, 25, 35); seed 1 at 300, 400 (30, 50)
  assert.deepEqual(agg.x, [150, 250, 300, 350, 400]);
  assert.deepEqual(agg.mean, [17.5, 22.5, 30, 37.5, 45]);
  assert.deepEqual(agg.low, [15, 20, 30, 35, 40]);
  assert.deepEqual(agg.high, [20, 25, 30, 40, 50]);
  assert.deepEqual(agg.std, [2.5, 2.5, 0, 2.5, 5]);
  assert.equal(agg.n, 2);
  // a single run is its own curve, the band collapsed onto it
  assert.deepEqual(aggregate(moa, 'collective_return'), { x: [100, 200], mean: [5, 7], low: [5, 7], high: [5, 7], std: [0, 0], n: 1 });
  // another metric: the influence-moa run's equality is 0.5 and 0.6
  assert.deepEqual(aggregate(moa, 'equality').mean, [0.5, 0.6]);
});

test('renderCurves returns an SVG with the legend labels and a PNG of the expected size', async () => {
  const runs = [A0, A1, M0].map(loadRun);
  const { svg, png } = await renderCurves(runs, { width: 600, height: 400, scale: 1.5 });
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('a2c (2 seeds)'), 'legend label for the averaged model');
  assert.ok(svg.includes('influence-moa'), 'legend label for the single run');
  assert.ok(svg.includes('cleanup: collective return over training'));
  assert.ok(svg.includes('environment steps') && svg.includes('collective return'));
  assert.ok(svg.includes('min to max over seeds'), 'the subtitle says what the band is');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(String.fromCharCode(...png.subarray(12, 16)), 'IHDR');
  assert.deepEqual([dv.getUint32(16), dv.getUint32(20)], [900, 600]);
  const { spec } = curvesSpec(runs, { title: 'my title', metric: 'equality' });
  assert.equal((spec.title as { text: string }).text, 'my title');
});

test('plotCommand writes FILE.png and FILE.svg', async () => {
  const out = join(root, 'figs', 'curves.png');
  const lines: string[] = [];
  await plotCommand([A0, A1, M0, '--out', out, '--title', 'Cleanup, 2 models'], (s) => lines.push(s));
  assert.ok(existsSync(out) && existsSync(join(root, 'figs', 'curves.svg')));
  assert.equal(readFileSync(out).subarray(1, 4).toString(), 'PNG');
  assert.ok(readFileSync(join(root, 'figs', 'curves.svg'), 'utf8').includes('Cleanup, 2 models'));
  assert.match(lines[0], /wrote .*curves\.png and .*curves\.svg: collective_return of 3 runs, 2 models/);
  assert.match(PLOT_HELP, /--metric collective_return\|equality\|sustainability/);
});

test('plotCommand rejects bad flags with a UsageError', async () => {
  const noop = () => {};
  await assert.rejects(plotCommand([A0], noop), (e) => e instanceof UsageError && /--out is required/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.gif'], noop), (e) => e instanceof UsageError && /\.png/.test(e.message));
  await assert.rejects(plotCommand(['--out', 'x.png'], noop), (e) => e instanceof UsageError && /no run directories/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--metric', 'apples'], noop),
    (e) => e instanceof UsageError && /--metric: unknown value 'apples'; allowed values: collective_return, equality, sustainability/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--smooth', '3'], noop), UsageError);
});

function rejectsInput(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (e) => e instanceof InputError && pattern.test(e.message), `expected an InputError matching ${pattern}`);
}

test('bad inputs: missing files, corrupt lines, mixed games, no data points', async () => {
  rejectsInput(() => loadRun(join(root, 'nowhere')), /nowhere: no such run directory/);
  const noMetrics = makeRun('no-metrics', { model: 'a2c', seed: 0 }, [], null);
  rejectsInput(() => loadRun(noMetrics), /no-metrics: no metrics\.jsonl/);
  const noConfig = makeRun('no-config', null, [[100, 1]]);
  rejectsInput(() => loadRun(noConfig), /no-config: no config\.json/);
  const badConfig = makeRun('bad-config', { model: 'a2c' }, [[100, 1]]);
  writeFileSync(join(badConfig, 'config.json'), '{"game": "cleanup",');
  rejectsInput(() => loadRun(badConfig), /bad-config.config\.json: config is not valid JSON/);
  const noModel = makeRun('no-model', { seed: 0 }, [[100, 1]]);
  rejectsInput(() => loadRun(noModel), /no-model.config\.json: field 'model' must be a non-empty string/);

  const corrupt = makeRun('corrupt', { model: 'a2c', seed: 0 }, [], '{"env_steps": 100, "collective_return": 1}\n{"env_steps": 200, "collec\n{"env_steps": 300, "collective_return": 3}\n');
  rejectsInput(() => loadRun(corrupt), /corrupt.metrics\.jsonl line 2: not valid JSON/);
  const noSteps = makeRun('no-steps', { model: 'a2c', seed: 0 }, [], '{"env_steps": 100, "collective_return": 1}\n\n{"collective_return": 3}\n');
  rejectsInput(() => loadRun(noSteps), /no-steps.metrics\.jsonl line 3: env_steps must be a number/);
  const badValue = makeRun('bad-value', { model: 'a2c', seed: 0 }, [], '{"env_steps": 100, "collective_return": "high"}\n');
  rejectsInput(() => loadRun(badValue), /bad-value.metrics\.jsonl line 1: collective_return must be a number or null/);
  // a last line still being written (no newline yet) is skipped, not an error
  const writing = makeRun('writing', { model: 'a2c', seed: 0 }, [], '{"env_steps": 100, "collective_return": 1}\n{"env_steps": 200, "coll');
  assert.equal(loadRun(writing).rows.length, 1);

  const harvest = makeRun('harvest-0', { game: 'harvest', model: 'a2c', seed: 0 }, [[100, 1]]);
  rejectsInput(() => groupRuns([A0, harvest].map(loadRun)), /different games.*cleanup.*harvest/);
  const empty = makeRun('empty', { model: 'a2c', seed: 0 }, [[100, null], [200, null]]);
  const blank = makeRun('blank', { model: 'a2c', seed: 1 }, [], '');
  await assert.rejects(renderCurves([empty, blank].map(loadRun)), (e) => e instanceof InputError && /no data points: .*collective_return/.test(e.message));
  // seeds whose env_steps ranges do not meet cannot be averaged
  const late = makeRun('late', { model: 'a2c', seed: 2 }, [[1000, 1], [2000, 2]]);
  rejectsInput(() => aggregate(groupRuns([A0, late].map(loadRun))[0], 'collective_return'), /share no range of env_steps/);
});

// commons plot: reading run directories, averaging seeds, drawing the curves, and the bad inputs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun, groupRuns, aggregate, renderCurves, curvesSpec } from '../src/plot/curves.ts';
import { plotCommand, PLOT } from '../src/cli/plot.ts';
import { InputError } from '../src/util/errors.ts';
import { UsageError, helpText } from '../src/cli/args.ts';

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

test('groupRuns groups by model in order; another setting joins the label only when it differs', () => {
  const groups = groupRuns([A0, M0, A1].map(loadRun));
  assert.deepEqual(groups.map((g) => [g.label, g.runs.map((r) => r.seed)]), [['a2c', [0, 1]], ['influence-moa', [0]]]);
  const ppo = makeRun('ppo-0', { model: 'a2c', algo: 'ppo', seed: 0 }, [[100, 1]]);
  const mixed = groupRuns([A0, A1, ppo].map(loadRun));
  assert.deepEqual(mixed.map((g) => [g.label, g.runs.length]), [['a2c (algo a2c)', 2], ['a2c (algo ppo)', 1]]);
});

test('aggregate interpolates seeds onto the union of their x values within the common range', () => {
  const [a2c, moa] = groupRuns([A0, A1, M0].map(loadRun));
  const agg = aggregate(a2c, 'collective_return');
  // common range [150, 400]; seed 0 at 150, 250, 350 interpolated (15, 25, 35); seed 1 at 300, 400 (30, 50)
  assert.deepEqual(agg.x, [150, 250, 300, 350, 400]);
  assert.deepEqual(agg.mean, [17.5, 22.5, 30, 37.5, 45]);
  assert.deepEqual(agg.low, [15, 20, 30, 35, 40]);
  assert.deepEqual(agg.high, [20, 25, 30, 40, 50]);
  // sample standard deviation (n - 1): |a - b| / sqrt(2) for two runs
  assert.deepEqual(agg.std.map((x) => +x.toFixed(6)), [3.535534, 3.535534, 0, 3.535534, 7.071068]);
  // 95% CI of the mean of 2: t(0.975, 1) = 12.7062 times std / sqrt(2)
  assert.deepEqual(agg.ci.map((x) => +x.toFixed(3)), [31.766, 31.766, 0, 31.766, 63.531]);
  assert.equal(agg.n, 2);
  // a single run is its own curve, the band collapsed onto it
  assert.deepEqual(aggregate(moa, 'collective_return'), { x: [100, 200], mean: [5, 7], low: [5, 7], high: [5, 7], std: [0, 0], ci: [0, 0], n: 1 });
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
  assert.match(lines[0], /wrote .*curves\.png and .*curves\.svg: collective_return of 3 runs, 2 groups \(by model; --group-by to choose\)/);
  assert.match(helpText(PLOT), /--metric NAME .*\(default collective_return\)/);
});

test('plotCommand rejects bad flags with a UsageError', async () => {
  const noop = () => {};
  await assert.rejects(plotCommand([A0], noop), (e) => e instanceof UsageError && /--out is required/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.gif'], noop), (e) => e instanceof UsageError && /\.png/.test(e.message));
  await assert.rejects(plotCommand(['--out', 'x.png'], noop), (e) => e instanceof UsageError && /no run directories/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--metric', 'apples'], noop),
    (e) => e instanceof UsageError && /--metric: no line of these runs' metrics\.jsonl has 'apples'; metrics: collective_return, .*equality/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--smooth', '0'], noop), (e) => e instanceof UsageError && /--smooth/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--band', 'wide'], noop), (e) => e instanceof UsageError && /--band: unknown value 'wide'; allowed values: minmax, ci, std, none/.test(e.message));
  await assert.rejects(plotCommand([A0, '--out', 'x.png', '--group-by', 'colour'], noop), (e) => e instanceof InputError && /--group-by: colour is not a setting/.test(e.message));
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

/** The absolute (x, y) of every <text> in a Vega SVG: nested groups' translate() added up. */
function textPositions(svg: string): { x: number; y: number; text: string }[] {
  const out: { x: number; y: number; text: string }[] = [];
  const stack: [number, number][] = [[0, 0]];
  const translate = (attrs: string): [number, number] => {
    const m = /transform="translate\(([-\d.e]+),([-\d.e]+)\)"/.exec(attrs);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  for (const m of svg.matchAll(/<(\/?)(g|text)\b([^>]*)>([^<]*)/g)) {
    const [, close, tag, attrs, body] = m;
    const [px, py] = stack[stack.length - 1];
    if (tag === 'g') {
      if (close) stack.pop();
      else if (!attrs.endsWith('/')) { const [dx, dy] = translate(attrs); stack.push([px + dx, py + dy]); }
    } else if (!close) {
      const [dx, dy] = translate(attrs);
      out.push({ x: px + dx, y: py + dy, text: body });
    }
  }
  return out;
}

test('the legend names every group inside the figure, however many there are', async () => {
  const models = ['a2c', 'inequity-aversion', 'visible-actions', 'influence', 'comm', 'influence-comm', 'moa', 'influence-moa'];
  const runs = models.map((m) => loadRun(makeRun(`legend-${m}`, { model: m, seed: 0 }, [[100, 1], [200, 2]])));
  for (const width of [720, 480]) {
    const { svg } = await renderCurves(runs, { width, height: 440 });
    const texts = textPositions(svg);
    for (const m of models) {
      const t = texts.find((p) => p.text === m);
      assert.ok(t, `legend entry ${m}`);
      // the label's right end, at ~7 px per character of the 12 px font
      assert.ok(t.x >= 0 && t.x + 7 * m.length <= width && t.y <= 440, `${m} at (${t.x}, ${t.y}) lies inside the ${width} x 440 figure`);
    }
  }
});

test('a run with a single metrics line is drawn as a dot, and the command says so', async () => {
  const one = makeRun('one-point', { model: 'a2c', seed: 0 }, [[100, 3]]);
  const { svg } = await renderCurves([loadRun(one)]);
  assert.match(svg, /mark-symbol/, 'a point mark is drawn');
  const lines: string[] = [];
  await plotCommand([one, '--out', join(root, 'one.png')], (s) => lines.push(s));
  assert.match(lines.join('\n'), /a2c: one point only \(at 100 env steps\), drawn as a dot/);
});

test('runs that differ in a setting besides the seed are separate groups unless --group-by merges them', () => {
  const lr1 = loadRun(makeRun('lr-1', { model: 'a2c', seed: 0, lr: 0.001 }, [[100, 1]]));
  const lr2 = loadRun(makeRun('lr-2', { model: 'a2c', seed: 0, lr: 0.0007, name: 'other name', steps: 5 }, [[100, 3]]));
  const lr2b = loadRun(makeRun('lr-2b', { model: 'a2c', seed: 1, lr: 0.0007, steps: 9 }, [[100, 5]]));
  assert.deepEqual(groupRuns([lr1, lr2, lr2b]).map((g) => [g.label, g.runs.length]), [['a2c (lr 0.001)', 1], ['a2c (lr 0.0007)', 2]]);
  assert.deepEqual(groupRuns([lr1, lr2, lr2b], ['model']).map((g) => [g.label, g.runs.length]), [['a2c', 3]]);
  assert.deepEqual(groupRuns([lr1, lr2, lr2b], ['lr', 'seed']).map((g) => g.label), ['lr 0.001, seed 0', 'lr 0.0007, seed 0', 'lr 0.0007, seed 1']);
});

test('any numeric field of metrics.jsonl can be plotted, nested ones by a dotted path, smoothed on request', () => {
  const dir = makeRun('nested', { model: 'influence-moa', seed: 0 }, [], [10, 20, 30, 40].map((x, i) =>
    JSON.stringify({ env_steps: x, collective_return: i, apples_eaten: 2 * i, moa: { loss: 1, accuracy: i / 10 }, timing: { wall_s: 1 } })).join('\n') + '\n');
  const run = loadRun(dir);
  const [g] = groupRuns([run]);
  assert.deepEqual(aggregate(g, 'moa.accuracy').mean, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(aggregate(g, 'apples_eaten').mean, [0, 2, 4, 6]);
  // trailing moving average over 2 points
  assert.deepEqual(aggregate(g, 'apples_eaten', { smooth: 2 }).mean, [0, 1, 3, 5]);
});

test('--band ci draws the Student t interval of the mean; minmax the range', () => {
  const runs = [A0, A1].map(loadRun);
  const rows = (band: 'ci' | 'minmax') => ((curvesSpec(runs, { band }).spec.layer as { data: { values: { x: number; low: number; high: number }[] } }[])[0].data.values);
  const [ci, minmax] = [rows('ci'), rows('minmax')];
  // at x = 150 the seeds are 15 and 20: mean 17.5, std 3.5355, t(0.975, 1) = 12.706
  assert.equal(ci[0].x, 150);
  assert.ok(Math.abs(ci[0].low - (17.5 - 31.766)) < 1e-3 && Math.abs(ci[0].high - (17.5 + 31.766)) < 1e-3, JSON.stringify(ci[0]));
  assert.deepEqual([minmax[0].low, minmax[0].high], [15, 20]);
  assert.match((curvesSpec(runs, { band: 'ci', level: 0.9 }).spec.title as { subtitle: string }).subtitle, /90% confidence interval of the mean/);
});

test('a first point far below the rest (untrained agents\' returns) leaves the scale to the rest, and the figure says its value and why returns are negative', async () => {
  // the demo's shape: -5,185 at the first report, then returns of 0 to 30
  const rows: Row[] = [[10_000, -5185], [20_000, -40], [30_000, 2], [40_000, 12], [50_000, 30]];
  const run = loadRun(makeRun('demo-like', { model: 'a2c', seed: 0 }, rows));
  const { spec } = curvesSpec([run]);
  const line = (spec.layer as { encoding: { y: { scale: { domain?: number[] } } } }[]).at(-1)!;
  const domain = line.encoding.y.scale.domain!;
  assert.ok(domain && domain[0] > -100 && domain[0] < -40 && domain[1] > 30 && domain[1] < 40, `y domain ${domain}`);
  const subtitle = (spec.title as { subtitle: string[] }).subtitle;
  assert.match(subtitle.join('\n'), /first report \(\u22125,185 at 10k env steps\) off the scale, below it/);
  assert.match(subtitle.join('\n'), /below 0: agents fire at random early on \(FIRE costs the shooter 1, each agent hit 50\)/);
  const { svg } = await renderCurves([run]);
  assert.match(svg, /first report \(\u22125,185 at 10k env steps\)/);
  // Nothing to clip: a curve without a far first point keeps the automatic scale.
  const plain = curvesSpec([loadRun(A0), loadRun(A1)]).spec;
  assert.equal((plain.layer as { encoding: { y: { scale: { domain?: number[] } } } }[]).at(-1)!.encoding.y.scale.domain, undefined);
  assert.equal(typeof (plain.title as { subtitle: unknown }).subtitle, 'string');
});

test('group labels name the model and only the settings that tell runs of one model apart, at most three', () => {
  // A preset's per-model values (14 settings differ between the models) are said by the model's name.
  const perModel = (model: string, k: number) => Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`setting${i}`, model === 'a2c' ? i : i + 100 + k]));
  const a = loadRun(makeRun('lab-a2c', { model: 'a2c', seed: 0, ...perModel('a2c', 0) }, [[100, 1]]));
  const b = loadRun(makeRun('lab-moa', { model: 'influence-moa', seed: 0, ...perModel('moa', 0) }, [[100, 2]]));
  assert.deepEqual(groupRuns([a, b]).map((g) => g.label), ['a2c', 'influence-moa']);
  // A grid within one model stays in the label; past three settings, "+N more".
  const grid = [0, 1].map((i) => loadRun(makeRun(`lab-grid-${i}`, { model: 'a2c', seed: 0, lr: i, entropy: i, beta: i, gamma: i, alpha: i }, [[100, i]])));
  const labels = groupRuns(grid).map((g) => g.label);
  assert.deepEqual(labels, ['a2c (lr 0, entropy 0, beta 0, +2 more)', 'a2c (lr 1, entropy 1, beta 1, +2 more)']);
  for (const l of labels) assert.ok(l.length < 60, l);
});

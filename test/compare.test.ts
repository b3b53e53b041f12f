// commons compare: each run's final value (its mean over the last stretch of its steps), then per group the
// mean over runs, the spread and the confidence interval, as text, JSON and CSV.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../src/plot/curves.ts';
import { finalValue, compareRuns } from '../src/plot/compare.ts';
import { compareCommand } from '../src/cli/compare.ts';
import { UsageError } from '../src/cli/args.ts';

const root = mkdtempSync(join(tmpdir(), 'commons-compare-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A run directory whose collective_return is `values` at env steps 100, 200, ... */
function run(name: string, config: Record<string, unknown>, values: (number | null)[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ game: 'cleanup', algo: 'a2c', ...config }));
  writeFileSync(join(dir, 'metrics.jsonl'), values.map((v, i) => JSON.stringify({ env_steps: 100 * (i + 1), collective_return: v, equality: 0.5 })).join('\n') + '\n');
  return dir;
}

// Ten lines each: the last 10% of 1000 env steps is the line at 1000 alone; the last 30%: 800, 900, 1000.
const A = [run('a0', { model: 'a2c', seed: 0 }, [0, 0, 0, 0, 0, 0, 0, 10, 20, 30]),
  run('a1', { model: 'a2c', seed: 1 }, [0, 0, 0, 0, 0, 0, 0, 20, 30, 40]),
  run('a2', { model: 'a2c', seed: 2 }, [0, 0, 0, 0, 0, 0, 0, 30, 40, null])];
const M = run('m0', { model: 'moa', seed: 0 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

test("a run's final value is its mean over the last window of its env steps, or its last value", () => {
  const a0 = loadRun(A[0]);
  assert.equal(finalValue(a0, 'collective_return', 0.1), 30);
  assert.equal(finalValue(a0, 'collective_return', 0.3), 20);
  // the last line has no value: the window (last 10%) holds none, so the last value counts
  assert.equal(finalValue(loadRun(A[2]), 'collective_return', 0.1), 40);
});

test('groups get the mean over runs, the sample std, the Student t interval and the number of seeds', () => {
  const [a2c, moa] = compareRuns([...A, M].map(loadRun), { metrics: ['collective_return', 'equality'] });
  assert.equal(a2c.label, 'a2c');
  const s = a2c.metrics.collective_return!;
  assert.deepEqual(s.per_run, [30, 40, 40]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 110 / 3) < 1e-9);
  assert.ok(Math.abs(s.std - Math.sqrt(100 / 3)) < 1e-9);
  // t(0.975, 2) = 4.30265
  assert.ok(Math.abs(s.ci! - (4.302653 * Math.sqrt(100 / 3)) / Math.sqrt(3)) < 1e-5, String(s.ci));
  assert.deepEqual([s.min, s.max], [30, 40]);
  assert.equal(moa.metrics.collective_return!.n, 1);
  assert.equal(moa.metrics.collective_return!.ci, null);
});

test('compare prints a table, --json and --csv', async () => {
  const text: string[] = [];
  await compareCommand([...A, M, '--metrics', 'collective_return'], (s) => text.push(s));
  assert.match(text[0], /4 runs in 2 groups \(by model\); final value of a run: mean over its last 10% of env steps/);
  assert.match(text.join('\n'), /a2c\s+36\.67 \+- 14\.34\s+std 5\.77\s+30\.00\.\.40\.00\s+n=3/);
  const json: string[] = [];
  await compareCommand([...A, M, '--json', '--window', '0.3'], (s) => json.push(s));
  const j = JSON.parse(json[0]);
  assert.deepEqual(j.groups.map((g: { label: string }) => g.label), ['a2c', 'moa']);
  assert.deepEqual(j.groups[0].metrics.collective_return.per_run, [20, 30, 35]);
  assert.equal(j.window, 0.3);
  const csv: string[] = [];
  await compareCommand([...A, M, '--csv', '--metrics', 'collective_return,equality'], (s) => csv.push(s));
  const rows = csv[0].split('\n');
  assert.equal(rows[0], 'group,model,metric,n,mean,std,ci_low,ci_high,level,min,max,runs');
  assert.equal(rows.length, 5);
  assert.match(rows[1], /^a2c,a2c,collective_return,3,36\.66/);
});

test('bad compare input is a one-line error naming the flag', async () => {
  const noop = () => {};
  await assert.rejects(compareCommand([], noop), (e) => e instanceof UsageError && /no run directories given/.test(e.message));
  await assert.rejects(compareCommand([A[0], '--metrics', 'apples'], noop), (e) => e instanceof UsageError && /--metrics: apples not in these runs' metrics\.jsonl; metrics: collective_return/.test(e.message));
  await assert.rejects(compareCommand([A[0], '--window', '0'], noop), (e) => e instanceof UsageError && /--window/.test(e.message));
  await assert.rejects(compareCommand([A[0], '--json', '--csv'], noop), (e) => e instanceof UsageError && /choose one/.test(e.message));
});

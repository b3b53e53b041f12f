// The published JSON Schemas (schemas/, shipped in the package) describe what the tools really write: a
// run's config.json, metrics.jsonl lines and summary.json, and the output of eval --json and compare --json,
// checked here on real output of models with and without influence, MOA and channel. The schemas are
// checked too: each refuses output with a field removed or mistyped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from './json-schema.ts';
import { configSchema } from '../src/learn/config-schema.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCHEMAS = join(ROOT, 'schemas');
const CLI = join(ROOT, 'dist', 'cli.js');
const commons = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `commons ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const valid = (schema: string, value: unknown, what: string) => assert.deepEqual(validate(SCHEMAS, schema, value), [], `${what} against ${schema}`);

test('schemas/config.schema.json is the one the settings table makes (npm run generate)', () => {
  assert.deepEqual(JSON.parse(readFileSync(join(SCHEMAS, 'config.schema.json'), 'utf8')), configSchema());
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.ok(pkg.files.includes('schemas'), 'the schemas ship in the package');
});

test('config.json, metrics.jsonl, summary.json, eval --json and compare --json follow their schemas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-schemas-'));
  const runs: string[] = [];
  for (const model of ['a2c', 'influence-moa', 'comm']) {
    const run = join(dir, model);
    commons('train', '--game', 'harvest', '--model', model, '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2',
      '--rollout', '10', '--steps', '80', '--report-every', '20', '--tag', 'schema-test', '--out', run);
    runs.push(run);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    valid('config.schema.json', config, `${model} config.json`);
    const rows = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 4);
    for (const row of rows) valid('metrics-row.schema.json', row, `${model} metrics line ${row.env_steps}`);
    if (model === 'influence-moa') assert.ok(rows[0].influence && rows[0].moa, 'influence and moa blocks are present and checked');
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    valid('summary.schema.json', summary, `${model} summary.json`);
    const ev = JSON.parse(commons('eval', '--run', run, '--episodes', '3', '--json'));
    valid('eval.schema.json', ev, `${model} eval --json`);
    if (model === 'influence-moa') {
      assert.ok(ev.influence);
      // the MOA's most-frequent-action baseline is there wherever its accuracy is (both count the same predictions)
      assert.ok(rows.every((row) => (row.moa.accuracy === null) === (row.moa.majority_accuracy === null)));
    }
    if (model === 'a2c') {
      assert.equal(ev.influential, null);
      assert.equal(ev.influence_vs_return, null);
    } else {
      // models that measure influence: the measures on influential moments (with symbols for comm), the influence
      // each agent received per episode, and its correlation with the returns
      assert.ok(ev.influential && ev.influential.ic_action_action, 'measures on influential moments');
      if (model === 'comm') assert.ok(ev.influential.speaker_consistency && ev.influential.ic_symbol_action);
      assert.equal(ev.influence_received.length, 3);
      assert.equal(ev.influence_vs_return.n, 3 * 2, '3 episodes x 2 agents');
    }
    // each episode's R(1-G): R - sum_i sum_j |R_i - R_j| / (2N), by hand for 2 agents: R - |R_0 - R_1| / 2
    for (const e of ev.episodes) assert.equal(e.equality_weighted_return, e.collective_return - Math.abs(e.returns[0] - e.returns[1]) / 2);
    if (model === 'comm') assert.ok(ev.speaker_consistency && ev.ic_symbol_action);

    // the schemas have teeth: a missing or mistyped field is refused
    const { entropy: _e, ...noEntropy } = rows[0];
    assert.notDeepEqual(validate(SCHEMAS, 'metrics-row.schema.json', noEntropy), []);
    assert.notDeepEqual(validate(SCHEMAS, 'config.schema.json', { ...config, lr: '7e-4' }), []);
    assert.notDeepEqual(validate(SCHEMAS, 'eval.schema.json', { ...ev, episodes: [{ ...ev.episodes[0], seed: -1 }] }), []);
    assert.notDeepEqual(validate(SCHEMAS, 'summary.schema.json', { ...summary, stopped: true }), []);
  }
  valid('compare.schema.json', JSON.parse(commons('compare', ...runs, '--json')), 'compare --json');
});

test('eval --json gives each episode its own environment seed, and that seed replays the episode\'s environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-schemas-'));
  const run = join(dir, 'run');
  commons('train', '--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--steps', '20', '--out', run);
  const ev = JSON.parse(commons('eval', '--run', run, '--episodes', '5', '--seed', '11', '--json'));
  assert.deepEqual(ev.episodes.map((e: { seed: number }) => e.seed), [11, 12, 13, 14, 15]);
  // the mean block has every statistic, and the spread beside it
  for (const k of ['collective_return', 'efficiency', 'peace', 'apples_eaten', 'fire_actions', 'clean_actions', 'hits']) {
    const xs = ev.episodes.map((e: Record<string, number>) => e[k]);
    const mean = xs.reduce((a: number, x: number) => a + x, 0) / xs.length;
    assert.ok(Math.abs(ev.mean[k] - mean) < 1e-9, k);
    assert.equal(ev.spread[k].n, 5);
    assert.equal(ev.spread[k].min, Math.min(...xs));
    assert.equal(ev.spread[k].max, Math.max(...xs));
  }
});

test('a game\'s own statistics follow the schemas too: Box trapped\'s metrics lines and eval --json', () => {
  const run = join(mkdtempSync(join(tmpdir(), 'commons-schemas-')), 'box');
  commons('train', '--game', 'box-trapped', '--model', 'influence', '--envs', '2', '--episode-length', '20', '--view-radius', '2',
    '--rollout', '10', '--steps', '80', '--report-every', '40', '--out', run);
  const rows = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const row of rows) valid('metrics-row.schema.json', row, `box-trapped metrics line ${row.env_steps}`);
  assert.deepEqual(Object.keys(rows[0].game_stats), ['box_opened', 'open_step', 'open_actions']);
  valid('config.schema.json', JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')), 'box-trapped config.json');
  const ev = JSON.parse(commons('eval', '--run', run, '--episodes', '3', '--json'));
  valid('eval.schema.json', ev, 'box-trapped eval --json');
  assert.deepEqual(Object.keys(ev.episodes[0].game), ['box_opened', 'open_step', 'open_actions']);
  assert.notDeepEqual(validate(SCHEMAS, 'metrics-row.schema.json', { ...rows[0], game_stats: { box_opened: 'yes' } }), []);
  assert.notDeepEqual(validate(SCHEMAS, 'eval.schema.json', { ...ev, episodes: [{ ...ev.episodes[0], game: { box_opened: 0.5 } }] }), []);
});

// Bounds (issue 21, reproductions 6 and 8): a plan of more runs than the cap is refused before it is built;
// sizes whose update cannot be allocated are refused up front with the memory they would need; spec numbers
// out of range are refused as on the command line; `commons serve` follows no symbolic link out of --dir.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commons, tmp, writeSpec, TINY } from './sweep-helpers.ts';
import { resolveTrainConfig, updateMemoryBytes, UPDATE_MEMORY_LIMIT } from '../src/learn/config.ts';
import { countRuns, parseSpec, planSweep, MAX_RUNS } from '../src/sweep/spec.ts';
import { startServer } from '../src/cli/serve.ts';

test('a grid of a million runs is refused at once, before it is built, naming the count and the cap', () => {
  const grid = Object.fromEntries(['lr', 'entropyCoef', 'valueCoef', 'gamma', 'maxGradNorm', 'iaAlpha'].map((k) => [k, Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1))]));
  const spec = parseSpec({ name: 'huge', games: ['harvest'], models: ['a2c'], seeds: [0], grid });
  assert.equal(countRuns(spec), 1_000_000);
  const t0 = performance.now();
  assert.throws(() => planSweep(spec), /^InputError: spec\.grid: the sweep would have 1,000,000 runs \(1 game\(s\) x 1 model\(s\) x 1,000,000 grid point\(s\) x 1 seed\(s\)\); a sweep may have at most 100,000/);
  assert.ok(performance.now() - t0 < 1000, 'refused without building the plan');
  assert.equal(MAX_RUNS, 100_000);
  const dir = tmp();
  const r = commons(['sweep', 'plan', writeSpec(dir, 'huge', { games: ['harvest'], models: ['a2c'], seeds: [0], grid })]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^commons sweep plan: spec\.grid: the sweep would have 1,000,000 runs .*at most 100,000.*\n$/);
});

test('spec numbers out of range are refused as on the command line', () => {
  const base = { name: 'b', games: ['harvest'], models: ['a2c'], seeds: [0] };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ steps: 1e300 }, /^spec\.steps: expected an integer below 2\^53 \(9,007,199,254,740,991\), got 1e\+300 \(run harvest-a2c-s0\)$/],
    [{ config: { lrAnnealSteps: 2 ** 60 } }, /^spec\.config\.lrAnnealSteps: expected an integer below 2\^53/],
    [{ seeds: [2 ** 60] }, /^spec\.seeds\[0\]: expected an integer >= 0, got 1152921504606847000$/],
    [{ grid: { checkpointEvery: [40, 1e20] } }, /^spec\.grid\.checkpointEvery: expected an integer below 2\^53/],
    [{ config: { envs: 4096, rolloutSteps: 100000 } }, /^spec\.config\.\w+: envs: |^spec: envs: |envs: 4096 envs x 100000 rollout steps/],
    [{ keepCheckpoints: 1e300 }, /^spec\.keepCheckpoints: expected an integer > 0 and <= 1,000,000, got 1e\+300$/],
    [{ checkpointMinutes: 1e300 }, /^spec\.checkpointMinutes: expected a number > 0 and <= 10,080, got 1e\+300$/],
  ];
  for (const [extra, msg] of cases) {
    assert.throws(() => planSweep(parseSpec({ ...base, ...extra })), (e: Error) => msg.test(e.message), JSON.stringify(extra));
  }
  // the same numbers on the command line
  const r = commons(['train', '--steps', '1e300', '--out', join(tmp(), 'x')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^commons train: --steps: expected an integer below 2\^53/);
});

test('sizes whose update cannot be allocated are refused up front with the memory they would need', () => {
  for (const [envs, rollout, need] of [['4096', '100000', /about 2\.\d+e\+\d GiB|about \d+ GiB/], ['512', '1000', /about 63 GiB/]] as const) {
    const dir = join(tmp(), 'run');
    const t0 = performance.now();
    const r = commons(['train', '--envs', envs, '--rollout', rollout, '--out', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^commons train: envs: ${envs} envs x ${rollout} rollout steps x 5 agents of 15x15 views need ${need.source} for one update, more than the 4 GiB it may use`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /RangeError/);
    assert.ok(performance.now() - t0 < 60_000);
  }
  // workers split it: each holds envs / workers of the update
  const one = resolveTrainConfig({ envs: 64, rolloutSteps: 500 });
  assert.ok(updateMemoryBytes(one) < UPDATE_MEMORY_LIMIT);
  assert.throws(() => resolveTrainConfig({ envs: 128, rolloutSteps: 500 }), /envs: 128 envs x 500 rollout steps .* about 7\.87 GiB/);
  assert.equal(resolveTrainConfig({ envs: 128, rolloutSteps: 500, workers: 2 }).workers, 2);
  assert.throws(() => resolveTrainConfig({ envs: 64, rolloutSteps: 500, model: 'influence-moa' }), /about 7\.87 GiB/, 'a Model of Other Agents doubles it');
  assert.ok(updateMemoryBytes(resolveTrainConfig({ ...TINY })) < 2 ** 20);
});

test('commons serve follows no symbolic link out of its folder', async () => {
  const dir = tmp();
  const site = join(dir, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<p>app</p>');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'key.txt'), 'key');
  symlinkSync(join(dir, 'secret.txt'), join(site, 'secret.txt'));
  symlinkSync(join(dir, 'outside'), join(site, 'out'));
  symlinkSync(join(site, 'index.html'), join(site, 'sub', 'home.html'));
  const server = await startServer({ dir: site, port: 0 });
  try {
    const get = async (p: string) => { const r = await fetch(server.url + p); return [r.status, await r.text()] as const; };
    assert.deepEqual(await get('secret.txt'), [403, 'forbidden\n']);
    assert.deepEqual(await get('out/key.txt'), [403, 'forbidden\n']);
    assert.deepEqual(await get('sub/home.html'), [200, '<p>app</p>'], 'a link that stays inside is served');
    assert.deepEqual(await get(''), [200, '<p>app</p>']);
  } finally {
    await server.close();
  }
});

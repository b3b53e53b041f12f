// Sweep specs: expansion into runs with stable ids and resolved configurations, and bad specs refused
// with one line naming the field (commons sweep plan/run exit with status 2 and write nothing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec, planSweep, readSpec } from '../src/sweep/spec.ts';
import { writeSweep } from '../src/sweep/store.ts';
import { InputError } from '../src/util/errors.ts';
import { commons, tmp, writeSpec, TINY } from './sweep-helpers.ts';

const base = { games: ['cleanup', 'harvest'], models: ['a2c', 'influence-moa'], seeds: [0, 1, 2], steps: 1000 };

test('a spec expands into game x model x grid point x seed runs with stable, readable ids', () => {
  const plan = planSweep(parseSpec({ ...base, name: 's', config: { envs: 4 }, grid: { lr: [0.001, 0.0007], entropyCoef: [0.01] } }));
  assert.equal(plan.runs.length, 2 * 2 * 2 * 3);
  const ids = plan.runs.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  // only the grid settings that vary name a run; the one-value entropyCoef does not
  assert.ok(ids.includes('cleanup-a2c-lr0.001-s0'));
  assert.ok(ids.includes('harvest-influence-moa-lr0.0007-s2'));
  const r = plan.runs.find((x) => x.id === 'harvest-influence-moa-lr0.0007-s2')!;
  assert.equal(r.group, 'harvest-influence-moa-lr0.0007');
  assert.deepEqual([r.game, r.model, r.seed, r.config.lr, r.config.entropyCoef, r.config.envs, r.config.steps], ['harvest', 'influence-moa', 2, 0.0007, 0.01, 4, 1000]);
  // resolved: every TrainConfig field is there, defaults included
  assert.equal(r.config.gamma, 0.99);
  assert.equal(r.config.influenceEnd, 200);
  // the same spec plans the same runs (ids and configurations), whatever the order of the grid's keys
  const again = planSweep(parseSpec({ ...base, name: 's', config: { envs: 4 }, grid: { entropyCoef: [0.01], lr: [0.001, 0.0007] } }));
  assert.deepEqual(new Set(again.runs.map((x) => x.id)), new Set(ids));
  assert.deepEqual(again.runs.find((x) => x.id === r.id)!.config, r.config);
});

test('layers: config, then the model\'s own settings, then the grid point; game, model and seed last', () => {
  const plan = planSweep(parseSpec({
    name: 's', games: ['harvest'], models: { a2c: {}, 'inequity-aversion': { iaAlpha: 3, lr: 0.002 } }, seeds: [4],
    config: { lr: 0.001, iaAlpha: 1 }, grid: { iaBeta: [0.1, 0.2] },
  }));
  const ia = plan.runs.find((x) => x.id === 'harvest-inequity-aversion-iaBeta0.1-s4')!;
  assert.deepEqual([ia.config.lr, ia.config.iaAlpha, ia.config.iaBeta, ia.config.seed], [0.002, 3, 0.1, 4]);
  const a2c = plan.runs.find((x) => x.id === 'harvest-a2c-iaBeta0.2-s4')!;
  assert.deepEqual([a2c.config.lr, a2c.config.iaAlpha, a2c.config.steps], [0.001, 1, 2e6]);
});

test('grid values that are not short words or numbers get a hashed id part; two that collide are refused', () => {
  const plan = planSweep(parseSpec({ name: 's', games: ['harvest'], models: ['a2c'], seeds: [0], grid: { map: [['P@@', '@@@'], ['P@ ', '@@@']] } }));
  assert.equal(plan.runs.length, 2);
  assert.match(plan.runs[0].id, /^harvest-a2c-maph[0-9a-f]{8}-s0$/);
  assert.notEqual(plan.runs[0].id, plan.runs[1].id);
  const longA = 'x'.repeat(30), longB = 'y'.repeat(30);
  assert.throws(() => planSweep(parseSpec({ name: 's', games: ['harvest'], models: ['a2c'], seeds: [0], grid: { backend: [longA, longB] } })), /backend/);
});

const bad: [string, unknown, RegExp][] = [
  ['unknown model', { ...base, models: ['a2c', 'telepathy'] }, /^spec\.models\[1\]: unknown model "telepathy"; models: a2c, /],
  ['unknown game', { ...base, games: ['chess'] }, /^spec\.games\[0\]: unknown game "chess"/],
  ['empty model list', { ...base, models: [] }, /^spec\.models: empty list/],
  ['empty grid list', { ...base, grid: { lr: [] } }, /^spec\.grid\.lr: empty list; a grid setting needs at least one value/],
  ['seed not an integer', { ...base, seeds: [0, 1.5] }, /^spec\.seeds\[1\]: expected an integer >= 0, got 1\.5/],
  ['seed a string', { ...base, seeds: ['0'] }, /^spec\.seeds\[0\]: expected an integer >= 0, got "0"/],
  ['seeds not a list', { ...base, seeds: 5 }, /^spec\.seeds: expected a list, got 5/],
  ['duplicate seed', { ...base, seeds: [1, 1] }, /^spec\.seeds: 1 is listed twice/],
  ['missing games', { models: ['a2c'], seeds: [0] }, /^spec\.games: missing/],
  ['unknown top-level key', { ...base, sedes: [1] }, /^spec\.sedes: unknown key/],
  ['seed set in config', { ...base, config: { seed: 3 } }, /^spec\.config\.seed: set seeds with spec\.seeds/],
  ['bad setting value in the grid', { ...base, grid: { lr: [0.001, 7] } }, /^spec\.grid\.lr: expected a number > 0 and <= 1, got 7 \(run cleanup-a2c-lr7-s0\)/],
  ['unknown setting in config', { ...base, config: { lrate: 1 } }, /^spec\.config\.lrate: unknown setting; settings: game, model, /],
  ['bad budget', { ...base, steps: 0 }, /^spec\.steps: expected an integer >= 1, got 0/],
  ['unknown preset', { ...base, preset: 'nope' }, /^spec\.preset: unknown preset "nope"; presets: paper/],
  ['bad name', { ...base, name: '../up' }, /^spec\.name: expected letters/],
  ['bad report window', { ...base, report: { window: 2 } }, /^spec\.report\.window: expected a fraction in \(0, 1\]/],
];

for (const [what, spec, msg] of bad) {
  test(`a bad spec is refused naming the field: ${what}`, () => {
    assert.throws(() => planSweep(parseSpec(spec, 'x')), (e: unknown) => e instanceof InputError && msg.test((e as Error).message) && !(e as Error).message.includes('\n'));
  });
}

test('commons sweep plan prints the runs; bad specs exit 2 with one line and sweep run writes nothing', () => {
  const dir = tmp();
  const good = writeSpec(dir, 'good', { games: ['harvest'], models: ['a2c', 'inequity-aversion'], seeds: [0, 1], steps: 40, config: TINY });
  const p = commons(['sweep', 'plan', good]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^harvest-a2c-s0\s+harvest\s+a2c\s+0\s+40$/m);
  assert.match(p.stdout, /sweep good: 4 runs \(1 game\(s\) x 2 model\(s\) x 1 grid point\(s\) x 2 seed\(s\)\), 320 agent-steps in all/);
  const json = JSON.parse(commons(['sweep', 'plan', good, '--json']).stdout);
  assert.equal(json.runs.length, 4);
  assert.equal(json.runs[3].config.seed, 1);

  const cases: [Record<string, unknown> | string, RegExp][] = [
    [{ games: ['harvest'], models: ['a2c', 'telepathy'], seeds: [0] }, /^commons sweep (plan|run): spec\.models\[1\]: unknown model "telepathy"/],
    [{ games: ['harvest'], models: ['a2c'], seeds: [0], grid: { lr: [] } }, /^commons sweep (plan|run): spec\.grid\.lr: empty list/],
    [{ games: ['harvest'], models: ['a2c'], seeds: [0, 'one'] }, /^commons sweep (plan|run): spec\.seeds\[1\]: expected an integer >= 0, got "one"/],
    ['{ "games": [', /^commons sweep (plan|run): SPEC: .* is not valid JSON/],
  ];
  for (const [i, [spec, msg]] of cases.entries()) {
    const path = join(dir, `bad${i}.json`);
    writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec));
    for (const args of [['sweep', 'plan', path], ['sweep', 'run', path, '--out', join(dir, `out${i}`)]]) {
      const r = commons(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(join(dir, `out${i}`)), false, 'nothing written');
    }
  }
  const missing = commons(['sweep', 'run', join(dir, 'nope.json'), '--out', join(dir, 'o')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /SPEC: cannot read .*nope\.json \(ENOENT\)/);
  const noOut = commons(['sweep', 'run', good]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out is required/);
  const badJobs = commons(['sweep', 'run', good, '--out', join(dir, 'o'), '--jobs', '0']);
  assert.equal(badJobs.code, 2);
  assert.match(badJobs.stderr, /--jobs: expected an integer from 1 to 1024, got '0'/);
  const unknownSub = commons(['sweep', 'launch']);
  assert.equal(unknownSub.code, 2);
  assert.match(unknownSub.stderr, /unknown subcommand 'launch'/);
});

test('every sweep command and the worker answer --help with status 0', () => {
  for (const args of [['sweep', '--help'], ['sweep', 'plan', '--help'], ['sweep', 'run', '--help'], ['sweep', 'submit', '--help'],
    ['sweep', 'status', '--help'], ['sweep', 'report', '--help'], ['worker', '--help']]) {
    const r = commons(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`commons ${args[0] === 'worker' ? 'worker' : `sweep ${args[1] === '--help' ? '' : args[1]}`}`));
  }
});

test('a sweep directory takes more runs but refuses a changed setting for a run it has', () => {
  const dir = tmp();
  const spec = { games: ['harvest'], models: ['a2c'], seeds: [0], steps: 40, config: TINY };
  writeSweep(dir, planSweep(parseSpec(spec, 'grow')));
  // more seeds: fine
  const more = writeSweep(dir, planSweep(parseSpec({ ...spec, seeds: [0, 1] }, 'grow')));
  assert.equal(more.runs.length, 2);
  assert.throws(() => writeSweep(dir, planSweep(parseSpec({ ...spec, steps: 80 }, 'grow'))),
    /^InputError: spec: run harvest-a2c-s0 is already in .*sweep\.json with other settings \(.*steps: 80 vs 40/);
  assert.throws(() => writeSweep(dir, planSweep(parseSpec(spec, 'other'))), /--out: .* holds sweep 'grow', not 'other'/);
  // a model added later, by a commons with a setting the stored runs lack: the stored runs keep their configuration
  const path = join(dir, 'sweep.json');
  const stored = JSON.parse(readFileSync(path, 'utf8'));
  for (const r of stored.runs) delete r.config.lrEnd;
  writeFileSync(path, JSON.stringify(stored));
  const grown = writeSweep(dir, planSweep(parseSpec({ ...spec, seeds: [0, 1], models: ['a2c', 'inequity-aversion'] }, 'grow')));
  assert.equal(grown.runs.length, 4);
  assert.equal('lrEnd' in grown.runs.find((r) => r.id === 'harvest-a2c-s0')!.config, false, 'the stored run is kept as it was');
  assert.equal(grown.runs.find((r) => r.id === 'harvest-inequity-aversion-s0')!.config.lrEnd, grown.runs[0].config.lr);
  // a spec without a name is named after its file
  writeFileSync(join(dir, 'my sweep.json'), JSON.stringify({ games: ['harvest'], models: ['a2c'], seeds: [0] }));
  assert.equal(readSpec(join(dir, 'my sweep.json')).name, 'my_sweep');
});

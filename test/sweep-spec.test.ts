// Sweep specs: expansion into runs with stable ids and resolved configurations, and bad specs refused
// with one line naming the field (commons sweep plan/run exit with status 2 and write nothing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec, planSweep, readSpec, trainingOrder } from '../src/sweep/spec.ts';
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

// ---------------------------------------------------------------------------------------------------
// Sampled search

const searchBase = { name: 's', games: ['harvest'], models: ['a2c'], seeds: [0], steps: 1000 };
const valuesOf = (plan: ReturnType<typeof planSweep>, key: string) => plan.runs.map((r) => r.point[key]);

test('a search draws its samples deterministically from its seed, within each distribution', () => {
  const search = {
    samples: 200, seed: 7, params: {
      lr: { logUniform: [1e-4, 1e-2] }, entropyCoef: { uniform: [0, 0.01] }, rolloutSteps: { intUniform: [5, 8] }, gamma: { choice: [0.9, 0.99] },
    },
  };
  const plan = planSweep(parseSpec({ ...searchBase, search }));
  assert.equal(plan.runs.length, 200);
  assert.equal(plan.runs[0].id, 'harvest-a2c-sample000-s0');
  assert.equal(plan.runs[199].group, 'harvest-a2c-sample199');
  // the same spec plans the same runs; another seed other values
  assert.deepEqual(planSweep(parseSpec({ ...searchBase, search })).runs, plan.runs);
  const other = planSweep(parseSpec({ ...searchBase, search: { ...search, seed: 8 } }));
  assert.notDeepEqual(valuesOf(other, 'lr'), valuesOf(plan, 'lr'));
  const lr = valuesOf(plan, 'lr') as number[], ent = valuesOf(plan, 'entropyCoef') as number[];
  const roll = valuesOf(plan, 'rolloutSteps') as number[], gamma = valuesOf(plan, 'gamma') as number[];
  assert.ok(lr.every((v) => v >= 1e-4 && v <= 1e-2 && Number(v.toPrecision(4)) === v), 'lr in range, 4 significant digits');
  assert.ok(ent.every((v) => v >= 0 && v <= 0.01));
  assert.deepEqual([...new Set(roll)].sort(), [5, 6, 7, 8], 'intUniform: every integer of [low, high], ends included');
  assert.deepEqual([...new Set(gamma)].sort(), [0.9, 0.99]);
  // log-uniform: half the draws fall below the geometric mid-point 1e-3 (200 draws: 100 +- 7 sd; bounds at 5 sd)
  const below = lr.filter((v) => v < 1e-3).length;
  assert.ok(below > 65 && below < 135, `${below} of 200 below 1e-3`);
  // uniform: half below the arithmetic mid-point
  const half = ent.filter((v) => v < 0.005).length;
  assert.ok(half > 65 && half < 135, `${half} of 200 below 0.005`);
  // each run's configuration carries its sample's values
  assert.ok(plan.runs.every((r) => r.config.lr === r.point.lr && r.config.rolloutSteps === r.point.rolloutSteps));
});

test('a search is stable: more samples keep the first ones, another setting leaves the others\' values', () => {
  const params = { lr: { logUniform: [1e-4, 3e-3] } };
  const five = planSweep(parseSpec({ ...searchBase, search: { samples: 5, seed: 0, params } }));
  const ten = planSweep(parseSpec({ ...searchBase, search: { samples: 10, seed: 0, params } }));
  assert.deepEqual(valuesOf(ten, 'lr').slice(0, 5), valuesOf(five, 'lr'));
  // ids are padded to the width of the last index: sample0..sample4, sample00..sample09
  assert.deepEqual(five.runs.map((r) => r.group), ['harvest-a2c-sample0', 'harvest-a2c-sample1', 'harvest-a2c-sample2', 'harvest-a2c-sample3', 'harvest-a2c-sample4']);
  const more = planSweep(parseSpec({ ...searchBase, search: { samples: 5, seed: 0, params: { ...params, entropyCoef: { uniform: [0, 0.01] } } } }));
  assert.deepEqual(valuesOf(more, 'lr'), valuesOf(five, 'lr'));
});

test('a search crosses the grid; a model runs only the sampled settings it uses, each once', () => {
  const plan = planSweep(parseSpec({
    ...searchBase, models: ['a2c', 'influence'], seeds: [0, 1], config: { agents: 3 }, grid: { gamma: [0.9, 0.99] },
    search: { samples: 3, seed: 1, params: { influenceBeta: { uniform: [0, 2] } } },
  }));
  const groups = [...new Set(plan.runs.map((r) => r.group))];
  // a2c ignores influenceBeta: its three samples are the same settings, run once per grid point
  assert.deepEqual(groups.filter((g) => g.includes('-a2c-')), ['harvest-a2c-gamma0.9-sample0', 'harvest-a2c-gamma0.99-sample0']);
  assert.deepEqual(plan.runs.find((r) => r.group === 'harvest-a2c-gamma0.9-sample0')!.point, { gamma: 0.9 });
  assert.equal(groups.filter((g) => g.includes('-influence-')).length, 6);
  const inf = plan.runs.filter((r) => r.model === 'influence' && r.seed === 0);
  // the same sample has the same value at every grid point
  assert.deepEqual(inf.filter((r) => r.point.gamma === 0.9).map((r) => r.point.influenceBeta), inf.filter((r) => r.point.gamma === 0.99).map((r) => r.point.influenceBeta));
  assert.ok(inf.every((r) => r.config.influenceBeta === r.point.influenceBeta));
  assert.equal(plan.runs.length, 2 * 2 + 6 * 2);
});

test('"only" keeps the named groups of a plan; a name that is not a group is refused', () => {
  const spec = { ...searchBase, seeds: [5, 6], search: { samples: 4, seed: 0, params: { lr: { logUniform: [1e-4, 3e-3] } } } };
  const all = planSweep(parseSpec(spec));
  const kept = planSweep(parseSpec({ ...spec, only: ['harvest-a2c-sample2', 'harvest-a2c-sample0'] }));
  assert.deepEqual(kept.runs.map((r) => r.id), ['harvest-a2c-sample0-s5', 'harvest-a2c-sample0-s6', 'harvest-a2c-sample2-s5', 'harvest-a2c-sample2-s6']);
  // the kept runs are the same runs as in the full plan
  assert.deepEqual(kept.runs, all.runs.filter((r) => r.group.endsWith('sample0') || r.group.endsWith('sample2')));
  assert.throws(() => planSweep(parseSpec({ ...spec, only: ['harvest-a2c-sample9'] })),
    (e: Error) => e instanceof InputError && /^spec\.only: "harvest-a2c-sample9" is not a group of this plan; groups: harvest-a2c-sample0, /.test(e.message));
});

const badSearch: [string, unknown, RegExp][] = [
  ['not an object', 5, /^spec\.search: expected an object \{ "samples": N, "seed": S, "params"/],
  ['samples missing', { params: { lr: { uniform: [0.001, 0.002] } } }, /^spec\.search\.samples: missing; expected an integer from 1 to 10000/],
  ['samples 0', { samples: 0, params: { lr: { uniform: [0.001, 0.002] } } }, /^spec\.search\.samples: expected an integer from 1 to 10000, got 0/],
  ['samples fractional', { samples: 2.5, params: { lr: { uniform: [0.001, 0.002] } } }, /^spec\.search\.samples: expected an integer from 1 to 10000, got 2\.5/],
  ['negative seed', { samples: 2, seed: -1, params: { lr: { uniform: [0.001, 0.002] } } }, /^spec\.search\.seed: expected an integer >= 0, got -1/],
  ['unknown key', { samples: 2, sead: 1, params: { lr: { uniform: [0.001, 0.002] } } }, /^spec\.search\.sead: unknown key; keys: samples, seed, params/],
  ['no params', { samples: 2, params: {} }, /^spec\.search\.params: expected a non-empty object of setting -> distribution/],
  ['unknown setting', { samples: 2, params: { lrate: { uniform: [0.001, 0.002] } } }, /^spec\.search\.params\.lrate: unknown setting; settings: game, /],
  ['the seed', { samples: 2, params: { seed: { intUniform: [0, 9] } } }, /^spec\.search\.params\.seed: set seeds with spec\.seeds, not in the search/],
  ['unknown distribution', { samples: 2, params: { lr: { normal: [0.001, 0.002] } } }, /^spec\.search\.params\.lr: expected \{ "uniform": \[low, high\] \}, \{ "logUniform": \[low, high\] \}, \{ "intUniform": \[low, high\] \} or \{ "choice": \[values\] \}, got \{"normal"/],
  ['two distributions', { samples: 2, params: { lr: { uniform: [0.001, 0.002], choice: [0.1] } } }, /^spec\.search\.params\.lr: expected \{ "uniform"/],
  ['low above high', { samples: 2, params: { lr: { uniform: [0.002, 0.001] } } }, /^spec\.search\.params\.lr\.uniform: expected \[low, high\] with low < high, got \[0\.002,0\.001\]/],
  ['log of zero', { samples: 2, params: { entropyCoef: { logUniform: [0, 0.01] } } }, /^spec\.search\.params\.entropyCoef\.logUniform: expected \[low, high\] with 0 < low \(a log scale\)/],
  ['not a pair', { samples: 2, params: { lr: { logUniform: [0.001] } } }, /^spec\.search\.params\.lr\.logUniform: expected \[low, high\], two numbers, got \[0\.001\]/],
  ['out of the setting\'s range', { samples: 2, params: { lr: { logUniform: [1e-4, 3] } } }, /^spec\.search\.params\.lr\.logUniform: high: expected a number > 0 and <= 1, got 3/],
  ['int setting drawn as reals', { samples: 2, params: { rolloutSteps: { uniform: [5, 10] } } }, /^spec\.search\.params\.rolloutSteps: rolloutSteps takes integers; search it with \{ "intUniform"/],
  ['intUniform of reals', { samples: 2, params: { rolloutSteps: { intUniform: [5.5, 10] } } }, /^spec\.search\.params\.rolloutSteps\.intUniform: expected \[low, high\], integers with low <= high/],
  ['a word drawn as a number', { samples: 2, params: { divergence: { uniform: [0, 1] } } }, /^spec\.search\.params\.divergence: divergence is not a number; search it with \{ "choice": \[values\] \}/],
  ['empty choice', { samples: 2, params: { divergence: { choice: [] } } }, /^spec\.search\.params\.divergence\.choice: expected a non-empty list of values/],
  ['bad choice', { samples: 2, params: { divergence: { choice: ['kl', 'l2'] } } }, /^spec\.search\.params\.divergence\.choice\[1\]: unknown value "l2"; allowed values: kl, js, pmi/],
  ['repeated choice', { samples: 2, params: { gamma: { choice: [0.9, 0.9] } } }, /^spec\.search\.params\.gamma\.choice: a value is listed twice/],
];

for (const [what, search, msg] of badSearch) {
  test(`a bad search is refused naming the field: ${what}`, () => {
    assert.throws(() => planSweep(parseSpec({ ...searchBase, search }, 'x')), (e: unknown) => e instanceof InputError && msg.test((e as Error).message) && !(e as Error).message.includes('\n'));
  });
}

test('a setting is searched in the grid or the search, not both; "only" must be a list of group ids', () => {
  const says = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test((e as Error).message);
  assert.throws(() => parseSpec({ ...searchBase, grid: { lr: [0.001] }, search: { samples: 2, params: { lr: { uniform: [0.001, 0.002] } } } }),
    says(/^spec\.search\.params\.lr: also in spec\.grid; search a setting in one of them/));
  assert.throws(() => parseSpec({ ...searchBase, only: [] }), says(/^spec\.only: expected a non-empty list of group ids/));
  assert.throws(() => parseSpec({ ...searchBase, only: ['a', 'a'] }), says(/^spec\.only: "a" is listed twice/));
  assert.throws(() => parseSpec({ ...searchBase, only: [3] }), says(/^spec\.only\[0\]: expected a group id, got 3/));
});

test('commons sweep plan shows a search\'s samples; a bad search exits 2 with one line', () => {
  const dir = tmp();
  const good = writeSpec(dir, 'srch', { games: ['harvest'], models: ['a2c'], seeds: [0, 1], steps: 40, config: TINY, search: { samples: 3, seed: 0, params: { lr: { logUniform: [1e-4, 3e-3] } } } });
  const p = commons(['sweep', 'plan', good]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^id\s+game\s+model\s+seed\s+env steps\s+lr$/m);
  assert.match(p.stdout, /^harvest-a2c-sample0-s0\s+harvest\s+a2c\s+0\s+40\s+0\.\d+$/m);
  assert.match(p.stdout, /sweep srch: 6 runs \(1 game\(s\) x 1 model\(s\) x 1 grid point\(s\) x 3 search sample\(s\) x 2 seed\(s\)\)/);
  const bad = writeSpec(dir, 'bad', { games: ['harvest'], models: ['a2c'], seeds: [0], search: { samples: 3, params: { lr: { logUniform: [0, 1] } } } });
  const r = commons(['sweep', 'run', bad, '--out', join(dir, 'out')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^commons sweep run: spec\.search\.params\.lr\.logUniform: expected \[low, high\] with 0 < low/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(dir, 'out')), false);
});

test('experiments/inequity-aversion-forms.json measures the four forms of inequity aversion under the paper\'s learner', () => {
  const plan = planSweep(readSpec(join(import.meta.dirname, '..', 'experiments', 'inequity-aversion-forms.json')));
  assert.equal(plan.runs.length, 2 * 4 * 5);
  const forms = [...new Set(plan.runs.map((r) => `${r.game} ${r.config.iaAlpha}/${r.config.iaBeta}`))];
  assert.deepEqual(forms, ['cleanup 0/0', 'cleanup 0/0.05', 'cleanup 5/0', 'cleanup 5/0.05', 'harvest 0/0', 'harvest 0/0.05', 'harvest 5/0', 'harvest 5/0.05']);
  // the A3C column of the paper's tables (Table 1): Cleanup lr 0.00126, entropy 0.00176
  const c = plan.runs.find((r) => r.game === 'cleanup')!.config;
  assert.equal(c.lr, 0.00126);
  assert.equal(c.entropyCoef, 0.00176);
});

test('runs train seed by seed (every group\'s first seed, then every group\'s second), runs stopped part-way first', () => {
  const plan = planSweep(parseSpec({ ...base, seeds: [3, 1, 2] }));
  const plain = trainingOrder(plan.runs.map((run) => ({ run, started: false })), plan.spec.seeds).map((x) => x.run.id);
  const groups = [...new Set(plan.runs.map((r) => r.group))];
  assert.equal(groups.length, 4);
  assert.deepEqual(plain, [3, 1, 2].flatMap((s) => groups.map((g) => `${g}-s${s}`)), 'seeds in the spec\'s order, groups in the plan\'s');
  const started = new Set(['harvest-a2c-s2', 'cleanup-influence-moa-s1']);
  const order = trainingOrder(plan.runs.map((run) => ({ run, started: started.has(run.id) })), plan.spec.seeds).map((x) => x.run.id);
  assert.deepEqual(order.slice(0, 2), ['cleanup-influence-moa-s1', 'harvest-a2c-s2'], 'runs with a checkpoint resume first, seed by seed');
  assert.deepEqual(order.slice(2), plain.filter((id) => !started.has(id)), 'then the rest as before');
  assert.equal(new Set(order).size, plan.runs.length, 'every run once');
});

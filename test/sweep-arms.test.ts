// Sweep specs for matched comparisons: arms (named variants of a model, such as its twin with beta = 0), the
// curriculum's steps as a percentage of the budget, the report block's matched-pairs analysis with its
// mistakes refused one line at a time, and the pre-registered experiments/matched-evidence*.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec, planSweep, readSpec, type PlannedRun } from '../src/sweep/spec.ts';
import { followUpSpec } from '../src/sweep/report.ts';
import { MODELS, type ModelName } from '../src/learn/config.ts';
import { presetSettings } from '../src/learn/presets.ts';
import { betaAt } from '../src/learn/rewards.ts';
import type { SweepFile } from '../src/sweep/store.ts';

const base = { name: 's', games: ['harvest'], seeds: [0, 1], steps: 1000 };

test('an arm is a named variant of a model: its own group and run ids, the model in its configuration', () => {
  const plan = planSweep(parseSpec({
    ...base, preset: 'paper',
    models: { 'influence': {}, 'influence-beta0': { model: 'influence', influenceBeta: 0 }, 'a2c': { model: 'a2c' } },
  }));
  assert.deepEqual(plan.runs.map((r) => r.id), ['harvest-influence-s0', 'harvest-influence-s1', 'harvest-influence-beta0-s0', 'harvest-influence-beta0-s1', 'harvest-a2c-s0', 'harvest-a2c-s1']);
  const twin = plan.runs[2], inf = plan.runs[0];
  assert.equal(twin.group, 'harvest-influence-beta0');
  assert.equal(twin.model, 'influence');
  assert.equal(twin.arm, 'influence-beta0');
  assert.equal(inf.arm, undefined, 'a plain model has no arm field');
  assert.equal(plan.runs[4].arm, undefined, 'an arm named as its model is the model');
  // the preset is the model's: every setting equal to the influence arm's but beta
  const { influenceBeta: b0, seed: s0, ...twinRest } = twin.config;
  const { influenceBeta: b1, seed: s1, ...infRest } = inf.config;
  assert.equal(b0, 0);
  assert.equal(b1, presetSettings('paper', 'harvest', 'influence').influenceBeta);
  assert.deepEqual(twinRest, infRest);
  assert.deepEqual(plan.spec.arms, { 'influence-beta0': 'influence' });
});

test('curriculum steps may be a percentage of the budget, resolved per run', () => {
  const models = { influence: { influenceStart: '10%', influenceEnd: '50%', influenceSchedule: [[0, 0], ['50%', 1], ['100%', 0.5]] } };
  const plan = planSweep(parseSpec({ ...base, models, steps: 4000 }));
  const c = plan.runs[0].config;
  assert.equal(c.influenceStart, 400);
  assert.equal(c.influenceEnd, 2000);
  assert.deepEqual(c.influenceSchedule, [[0, 0], [2000, 1], [4000, 0.5]]);
  // the budget is one number: change it and the curriculum follows
  assert.deepEqual(planSweep(parseSpec({ ...base, models, steps: 1e6 })).runs[0].config.influenceSchedule, [[0, 0], [500000, 1], [1000000, 0.5]]);
  // in spec.config too, and with a grid over the budget
  const grid = planSweep(parseSpec({ ...base, models: ['influence'], config: { influenceSchedule: [[0, 0], ['25%', 1]] }, grid: { steps: [800, 1600] } }));
  assert.deepEqual(grid.runs.map((r) => r.config.influenceSchedule[1][0]), [200, 200, 400, 400]);
});

test('a follow-up spec keeps an arm\'s model', () => {
  const plan = planSweep(parseSpec({ ...base, models: { 'influence-beta0': { model: 'influence', influenceBeta: 0 } } }));
  const file = { spec: plan.spec, runs: plan.runs, name: 's' } as unknown as SweepFile;
  const rep = { window: 0.1, rank: { metric: 'collective_return', top: 1, rankings: [{ game: 'harvest', model: 'influence-beta0', groups: ['harvest-influence-beta0'] }] } };
  const follow = followUpSpec(file, rep as never, 2) as { models: Record<string, unknown>; only: string[] };
  assert.deepEqual(follow.models, { 'influence-beta0': { model: 'influence', influenceBeta: 0 } });
  const again = planSweep(parseSpec(follow, 'f'));
  assert.deepEqual(again.runs.map((r) => r.id), ['harvest-influence-beta0-s2', 'harvest-influence-beta0-s3']);
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ['unknown model of an arm', { models: { 'x-1': { model: 'telepathy' } } }, /^spec\.models\.x-1\.model: unknown model "telepathy"; models: a2c, /],
  ['an arm named as another model', { models: { 'a2c': { model: 'influence' } } }, /^spec\.models\.a2c\.model: a2c is a model; name the variant of influence otherwise/],
  ['an arm name that cannot be a directory', { models: { 'Beta 0': { model: 'influence' } } }, /^spec\.models\.Beta 0: an arm's name is lower-case letters/],
  ['an unknown key that is not an arm', { models: { 'influence-beta0': { influenceBeta: 0 } } }, /^spec\.models\.influence-beta0: unknown model "influence-beta0"; .* \(or name a variant: "influence-beta0": \{ "model": MODEL, settings \}\)/],
  ['a percentage out of range', { models: { influence: { influenceSchedule: [[0, 0], ['150%', 1]] } } }, /^spec\.models\.influence\.influenceSchedule\[1\]\[0\]: expected env steps or a percentage of the run's steps from 0% to 100% \("50%"\), got "150%"/],
  ['a percentage that is not one', { config: { influenceEnd: 'half' }, models: ['influence'] }, /^spec\.config\.influenceEnd: expected env steps or a percentage/],
  ['pairs naming no arm', { models: ['a2c', 'influence'], report: { pairs: [['influence', 'influence-beta0']] } }, /^spec\.report\.pairs\[0\]\[1\]: "influence-beta0" is not an arm of spec\.models; arms: a2c, influence$/],
  ['a pair of one', { models: ['a2c'], report: { pairs: [['a2c']] } }, /^spec\.report\.pairs\[0\]: expected \[A, B\], two arm names/],
  ['an arm against itself', { models: ['a2c'], report: { pairs: [['a2c', 'a2c']] } }, /^spec\.report\.pairs\[0\]: an arm against itself \(a2c\)/],
  ['a pair twice', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence'], ['influence', 'a2c']] } }, /^spec\.report\.pairs\[1\]: influence and a2c are paired twice/],
  ['an unknown test', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], test: 't' } }, /^spec\.report\.test: expected one of permutation, paired-permutation, got "t"/],
  ['an unknown correction', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], correction: 'bonferroni' } }, /^spec\.report\.correction: expected one of holm, none/],
  ['a window the wrong way round', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], windows: [[0.75, 0.5]] } }, /^spec\.report\.windows\[0\]: expected \[from, to\] with 0 <= from < to <= 1/],
  ['an endpoint window of 0', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], endpoint: { window: 0 } } }, /^spec\.report\.endpoint\.window: expected a fraction in \(0, 1\]/],
  ['a drop rule for an unknown game', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], drop: { games: ['chess'], minAgentReturn: 1 } } }, /^spec\.report\.drop\.games: expected a non-empty list of games/],
  ['a pairs setting without pairs', { models: ['a2c'], report: { test: 'permutation' } }, /^spec\.report\.test: belongs to the matched-pairs analysis: give spec\.report\.pairs too/],
  ['too few resamples', { models: ['a2c', 'influence'], report: { pairs: [['a2c', 'influence']], resamples: 10 } }, /^spec\.report\.resamples: expected an integer from 100/],
  ['a preregistration that is not text', { models: ['a2c'], preregistration: 3 }, /^spec\.preregistration: expected a text, or a list of texts/],
];
for (const [what, spec, msg] of bad) {
  test(`a spec with ${what} is refused with one line naming the field`, () => {
    assert.throws(() => planSweep(parseSpec({ ...base, ...spec })), (e: Error) => msg.test(e.message) && !e.message.includes('\n'));
  });
}

test('the report block\'s defaults: the endpoint is the report window\'s collective return, permutation test, Holm, alpha 0.05', () => {
  const spec = parseSpec({ ...base, models: ['a2c', 'influence'], report: { window: 0.2, pairs: [['influence', 'a2c']] } });
  assert.deepEqual(spec.report.pairs, {
    pairs: [['influence', 'a2c']], endpoint: { metric: 'collective_return', window: 0.2 }, test: 'permutation', correction: 'holm', alpha: 0.05,
    seed: 0, resamples: 10_000, exactUpTo: 1_000_000, permutations: 100_000, windows: [[0.9, 1], [0.5, 0.75]],
  });
});

/** The spec's runs, planned without `prosocial` until that model exists (issue 19 adds it). */
function planWithoutMissingModels(path: string): { runs: PlannedRun[]; raw: Record<string, unknown>; missing: string[] } {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const missing = Object.entries(raw.models as Record<string, { model?: string }>).filter(([k, v]) => !MODELS.includes((v.model ?? k) as ModelName)).map(([k]) => k);
  if (missing.length === 0) return { runs: planSweep(readSpec(path)).runs, raw, missing };
  assert.throws(() => readSpec(path), (e: Error) => e.message.startsWith(`spec.models.${missing[0]}: unknown model`));
  const models = Object.fromEntries(Object.entries(raw.models).filter(([k]) => !missing.includes(k)));
  return { runs: planSweep(parseSpec({ ...raw, models }, 'x')).runs, raw, missing };
}

test('experiments/matched-evidence.json: each influence model against its beta-0 twin, every other setting equal, pre-registered', () => {
  const dir = join(import.meta.dirname, '..', 'experiments');
  const { runs, raw, missing } = planWithoutMissingModels(join(dir, 'matched-evidence.json'));
  // the models issue 19 brings; nothing else may be missing
  assert.ok(missing.every((m) => m === 'prosocial'), `missing: ${missing}`);
  const steps = raw.steps as number;
  assert.deepEqual(raw.games, ['harvest']);
  assert.deepEqual(raw.seeds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(raw.preset, 'paper');
  const arms = ['influence', 'influence-beta0', 'influence-comm', 'influence-comm-beta0', 'influence-moa', 'influence-moa-beta0', 'a2c', 'prosocial', 'inequity-aversion'];
  assert.deepEqual(Object.keys(raw.models as object), arms);
  assert.equal(runs.length, (arms.length - missing.length) * 10);
  // the budget is one number: every run's
  assert.ok(runs.every((r) => r.config.steps === steps));
  const of = (group: string, seed = 0) => runs.find((r) => r.group === `harvest-${group}` && r.seed === seed)!;
  for (const model of ['influence', 'influence-comm', 'influence-moa'] as const) {
    const a = of(model), b = of(`${model}-beta0`);
    assert.equal(b.model, model);
    const preset = presetSettings('paper', 'harvest', model);
    // the paper's settings, the compressed curriculum (full beta from half the budget on)...
    assert.equal(a.config.influenceBeta, preset.influenceBeta);
    assert.ok(a.config.influenceBeta > 0);
    assert.equal(a.config.lr, preset.lr);
    assert.equal(a.config.entropyCoef, preset.entropyCoef);
    assert.deepEqual(a.config.influenceSchedule, [[0, 0], [steps / 2, 1]]);
    assert.equal(betaAt(a.config, steps), preset.influenceBeta);
    // ...and the twin equal in everything but beta, which leaves its influence reward 0 at every step
    const { influenceBeta: _a, ...restA } = a.config;
    const { influenceBeta: _b, ...restB } = b.config;
    assert.deepEqual(restB, restA, model);
    assert.equal(b.config.influenceBeta, 0);
    for (const t of [0, steps / 4, steps / 2, steps]) assert.equal(betaAt(b.config, t), 0);
  }
  // the references take the preset's settings as they are
  assert.equal(of('a2c').config.lr, presetSettings('paper', 'harvest', 'a2c').lr);
  assert.equal(of('inequity-aversion').config.iaAlpha, 5);
  // the pre-registered analysis
  const report = raw.report as Record<string, unknown>;
  assert.deepEqual(report.pairs, [['influence', 'influence-beta0'], ['influence-comm', 'influence-comm-beta0'], ['influence-moa', 'influence-moa-beta0']]);
  assert.deepEqual(report.endpoint, { metric: 'collective_return', window: 0.25 });
  assert.equal(report.test, 'permutation');
  assert.equal(report.correction, 'holm');
  assert.deepEqual(report.drop, { games: ['harvest'], minAgentReturn: 10 });
  const text = (raw.preregistration as string[]).join(' ');
  for (const words of ['last 25%', 'Holm', 'Seeds 0-9', 'spec.steps', 'below 10', 'influenceBeta = 0', '184,756']) assert.ok(text.includes(words), words);
});

test('experiments/matched-evidence-cleanup.json is the Harvest spec in Cleanup, without the Harvest seed-dropping rule', () => {
  const dir = join(import.meta.dirname, '..', 'experiments');
  const h = JSON.parse(readFileSync(join(dir, 'matched-evidence.json'), 'utf8')), c = JSON.parse(readFileSync(join(dir, 'matched-evidence-cleanup.json'), 'utf8'));
  assert.deepEqual(c.games, ['cleanup']);
  for (const key of ['preset', 'models', 'seeds', 'steps', 'config', 'keepCheckpoints']) assert.deepEqual(c[key], h[key], key);
  const { drop, ...hReport } = h.report;
  assert.ok(drop);
  assert.deepEqual(c.report, hReport);
  const { runs } = planWithoutMissingModels(join(dir, 'matched-evidence-cleanup.json'));
  const a = runs.find((r) => r.group === 'cleanup-influence-comm')!, b = runs.find((r) => r.group === 'cleanup-influence-comm-beta0')!;
  assert.equal(a.config.extrinsicWeight, 0, 'the paper\'s Cleanup model II: alpha 0 (its twin\'s messages earn no reward at all)');
  assert.equal(b.config.extrinsicWeight, 0);
});

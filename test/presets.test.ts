// Presets: `--preset paper` sets the values of the paper's Tables 1-3 for every (game, model) pair, read here
// from ../shared/PAPER.md itself; settings given beside a preset win; the learning-rate annealing, the
// piecewise influence curriculum and the extrinsic weight alpha do what they say.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolveTrainConfig, configWarnings, MODELS, type ModelName, type TrainConfig } from '../src/learn/config.ts';
import { betaAt, shapeStep } from '../src/learn/rewards.ts';
import { modelOf } from '../src/learn/models/registry.ts';
import { lrAt } from '../src/learn/schedule.ts';
import { CURRICULUM_UNIT } from '../src/learn/presets.ts';
import { parseSpec, planSweep } from '../src/sweep/spec.ts';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { GameName } from '../src/env/games.ts';

const PAPER_MD = join(import.meta.dirname, '..', '..', 'shared', 'PAPER.md');

/** The rows of one of PAPER.md's tables ("Table 1, ..."): row name -> [cleanup cells, harvest cells], each cell
 * split at " / " into the table's columns. */
function paperTable(md: string, title: string): Map<string, [string[], string[]]> {
  const from = md.indexOf(title);
  assert.ok(from >= 0, `${title} in PAPER.md`);
  const rows = new Map<string, [string[], string[]]>();
  for (const line of md.slice(from).split('\n').slice(1)) {
    if (/^Table \d/.test(line) || line.startsWith('## ')) break;
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || cells[1] === '' || cells[1].startsWith('---')) continue;
    rows.set(cells[1], [cells[2].split(' / '), cells[3].split(' / ')]);
  }
  return rows;
}

test('--preset paper sets the values of the paper\'s Tables 1-3 (and 10.5.2) for every (game, model) pair', { skip: !existsSync(PAPER_MD) && 'no ../shared/PAPER.md' }, () => {
  const md = readFileSync(PAPER_MD, 'utf8');
  const tables: [string, [ModelName, ModelName, ModelName]][] = [
    ['Table 1, basic influence', ['a2c', 'visible-actions', 'influence']],
    ['Table 2, communication', ['a2c', 'comm', 'influence-comm']],
    ['Table 3, model of other agents', ['a2c', 'moa', 'influence-moa']],
  ];
  const checked = new Set<string>();
  const num = (s: string) => Number(s.replace(/^\./, '0.'));
  for (const [title, cols] of tables) {
    const t = paperTable(md, title);
    (['cleanup', 'harvest'] as GameName[]).forEach((game, gi) => {
      const at = (row: string) => t.get(row)?.[gi];
      cols.forEach((model, ci) => {
        const c = resolveTrainConfig({ preset: 'paper', game, model });
        const where = `${game} ${model} (${title})`;
        assert.equal(c.entropyCoef, num(at('entropy')![ci]), `${where}: entropy`);
        assert.equal(c.lr, num(at('lr init')![ci]), `${where}: lr init`);
        assert.equal(c.lrEnd, num(at('lr end')![ci]), `${where}: lr end`);
        assert.equal(c.lrAnnealSteps, 2e7, `${where}: lr annealed over the SSD repo's 2e7 steps`);
        assert.equal(c.gamma, 0.99);
        assert.equal(c.agents, 5);
        assert.equal(c.viewRadius, 7);
        checked.add(`${game}/${model}`);
        if (model === 'a2c') return;
        // the influence model's own values: single cells, or the last column of a split cell
        const last = (row: string) => { const v = at(row); return v ? v[v.length - 1] : undefined; };
        const div = { JSD: 'js', PMI: 'pmi', KL: 'kl' }[last('divergence')!];
        assert.equal(c.divergence, div, `${where}: divergence`);
        const influence = !['visible-actions', 'comm', 'moa'].includes(model);
        if (influence) {
          const beta = last('influence weight beta')!;
          assert.equal(c.influenceBeta, num(beta), `${where}: beta`);
          const C = num(last('curriculum C')!);
          assert.deepEqual(c.influenceSchedule, [[0, 0], [C * CURRICULUM_UNIT, 1]], `${where}: curriculum over C x 1e6 steps`);
          assert.equal(betaAt(c, C * CURRICULUM_UNIT), c.influenceBeta);
          assert.equal(c.influenceClip, 10);
        }
        if (at('number of influencers')) assert.equal(c.influencers, num(at('number of influencers')![ci]), `${where}: influencers`);
        if (at('vocabulary')) assert.equal(c.vocab, num(at('vocabulary')![0]), `${where}: vocabulary`);
        if (at('comm embedding')) assert.equal(c.commEmbedding, num(at('comm embedding')![0]), `${where}: comm embedding`);
        if (at('comm entropy')) assert.equal(c.commEntropyCoef, num(at('comm entropy')![0]), `${where}: comm entropy`);
        if (at('comm loss weight')) assert.equal(c.commLossWeight, num(at('comm loss weight')![0]), `${where}: comm loss weight`);
        assert.equal(c.netForm, 'paper', `${where}: the paper's network form`);
        if (model === 'moa' || model === 'influence-moa') assert.equal(c.moaForm, 'lstm', `${where}: the paper's MOA form`);
        if (at('extrinsic weight alpha') && influence) assert.equal(c.extrinsicWeight, num(at('extrinsic weight alpha')![0]), `${where}: alpha`);
        if (at('MOA loss weight')) assert.equal(c.moaLossWeight, num(at('MOA loss weight')![ci - 1]), `${where}: MOA loss weight`);
        if (at('train MOA only when visible')) {
          assert.equal(c.moaVisibleOnly, at('train MOA only when visible')![ci - 1] === 'True', `${where}: train MOA only when visible`);
          assert.equal(c.moaLossNorm, 'all', `${where}: the SSD repo's MOA loss normalisation`);
        }
        if (at('influencee reward') && model === 'influence') assert.equal(c.influenceeReward, at('influencee reward')![0] === '1', `${where}: influencee reward`);
      });
    });
  }
  for (const game of ['cleanup', 'harvest'] as GameName[]) {
    const ia = resolveTrainConfig({ preset: 'paper', game, model: 'inequity-aversion' });
    const a3c = resolveTrainConfig({ preset: 'paper', game, model: 'a2c' });
    assert.deepEqual([ia.entropyCoef, ia.lr, ia.lrEnd, ia.iaAlpha, ia.iaBeta], [a3c.entropyCoef, a3c.lr, a3c.lrEnd, 5, 0.05]);
    checked.add(`${game}/inequity-aversion`);
    // prosocial agents (10.5.2): the A3C learner's values and the paper's best eta
    const eta = Number(/eta searched in \[0, 2\], best ([0-9.]+)/.exec(md)![1]);
    const pro = resolveTrainConfig({ preset: 'paper', game, model: 'prosocial' });
    assert.deepEqual([pro.entropyCoef, pro.lr, pro.lrEnd, pro.prosocialEta], [a3c.entropyCoef, a3c.lr, a3c.lrEnd, eta]);
    checked.add(`${game}/prosocial`);
  }
  assert.equal(checked.size, 2 * MODELS.length, 'every (game, model) pair');
});

test('settings given beside a preset win over it, in the library, sweep specs and on the command line', () => {
  const c = resolveTrainConfig({ preset: 'paper', game: 'cleanup', model: 'influence-moa', lr: 0.01, steps: 1e6 });
  assert.equal(c.lr, 0.01);
  assert.equal(c.entropyCoef, 0.00176, 'the rest of the preset stays');
  assert.equal(c.preset, 'paper');
  assert.equal(resolveTrainConfig({ game: 'cleanup', model: 'influence-moa' }).entropyCoef, 0.01, 'no preset: the defaults');
  // a short run under the paper's curriculum is told beta stays small
  const w = configWarnings({ steps: 1e6 }, c).join('\n');
  assert.match(w, /influenceSchedule .*the curriculum is unfinished at the run's end \(1,000,000 env steps\): beta reaches 0\.0155 of 0\.62/);
  // sweep specs: the preset under config, the model's settings and the grid
  const plan = planSweep(parseSpec({ name: 's', preset: 'paper', games: ['harvest'], models: { 'a2c': {}, 'influence-moa': { influenceBeta: 1 } }, seeds: [0], config: { envs: 8 } }));
  const moa = plan.runs.find((r) => r.model === 'influence-moa')!.config;
  assert.deepEqual([moa.preset, moa.lr, moa.moaLossWeight, moa.influenceBeta, moa.envs], ['paper', 0.0012, 10.911, 1, 8]);
  assert.equal(plan.runs.find((r) => r.model === 'a2c')!.config.entropyCoef, 0.000687);
  // the command line
  const dir = mkdtempSync(join(tmpdir(), 'commons-preset-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli.js'), ...args], { encoding: 'utf8' });
  const r = cli('train', '--preset', 'paper', '--game', 'harvest', '--model', 'a2c', '--lr', '0.002', '--steps', '40', '--envs', '2', '--rollout', '20',
    '--episode-length', '20', '--agents', '2', '--view-radius', '2', '--out', join(dir, 'run'));
  assert.equal(r.status, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')) as TrainConfig;
  assert.deepEqual([cfg.preset, cfg.lr, cfg.lrEnd, cfg.entropyCoef, cfg.agents], ['paper', 0.002, 0.000028, 0.000687, 2]);
  const list = cli('presets', 'paper', '--game', 'cleanup', '--model', 'influence-comm');
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /cleanup influence-comm: .*--entropy 0\.00305 --lr 0\.00249 --lr-end 0\.0000127 .*--beta 2\.752 --beta-schedule 0:0,1000000:1 --alpha 0/);
  const bad = cli('train', '--preset', 'papers', '--out', join(dir, 'bad'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--preset: unknown value 'papers'; allowed values: none, paper/);
  const badSchedule = cli('train', '--model', 'influence', '--beta-schedule', '0:0,1e7', '--out', join(dir, 'bad'));
  assert.equal(badSchedule.status, 2);
  assert.match(badSchedule.stderr, /--beta-schedule: expected points \[env step, value\]/);
});

test('the curriculum is piecewise linear (the SSD repo\'s ramp to 1 and decay to 0.5), the learning rate anneals linearly', () => {
  const c = resolveTrainConfig({ model: 'influence-moa', influenceBeta: 2, influenceSchedule: [[0, 0], [1e7, 0], [1e8, 1], [3e8, 0.5]] });
  assert.deepEqual([0, 1e7, 5.5e7, 1e8, 2e8, 3e8, 4e8].map((s) => betaAt(c, s)), [0, 0, 1, 2, 1.5, 1, 1]);
  // a jump: equal steps
  const j = resolveTrainConfig({ model: 'influence-moa', influenceSchedule: [[100, 0], [100, 1]] });
  assert.deepEqual([99, 100, 101].map((s) => betaAt(j, s)), [0, 1, 1]);
  // the old start/end form is the default schedule
  const d = resolveTrainConfig({ model: 'influence', influenceStart: 10, influenceEnd: 20, influenceBeta: 4 });
  assert.deepEqual([0, 10, 15, 20, 30].map((s) => betaAt(d, s)), [0, 0, 2, 4, 4]);
  assert.throws(() => resolveTrainConfig({ influenceSchedule: [[10, 0], [5, 1]] }), /influenceSchedule: expected points/);
  assert.throws(() => resolveTrainConfig({ influenceSchedule: [[0, -1]] }), /influenceSchedule: expected points/);
  const lr = resolveTrainConfig({ lr: 1e-3, lrEnd: 1e-5, lrAnnealSteps: 1000 });
  assert.deepEqual([0, 500, 1000, 5000].map((s) => +lrAt(lr, s).toPrecision(6)), [1e-3, 5.05e-4, 1e-5, 1e-5]);
  assert.equal(lrAt(resolveTrainConfig({ lr: 3e-4 }), 1e9), 3e-4, 'no --lr-end: constant');
});

test('the learner steps with the annealed learning rate: at lr 0 the weights stop changing', async () => {
  const small: Partial<TrainConfig> = { game: 'harvest', agents: 2, envs: 2, episodeLength: 20, viewRadius: 2, rolloutSteps: 5, steps: 1e9, lr: 1e-3 };
  const weightsAfter = async (extra: Partial<TrainConfig>) => {
    const t = await createTrainer({ ...small, ...extra });
    const snap = () => t.agents.net.variables.map((v) => Array.from(v.dataSync()));
    await t.iterate();
    const a = snap();
    await t.iterate();
    const b = snap();
    await t.close();
    return { a, b };
  };
  // the first update (at step 0) uses lr; the schedule reaches 0 at step 1, so the second changes nothing
  const annealed = await weightsAfter({ lrEnd: 0, lrAnnealSteps: 1 });
  assert.deepEqual(annealed.b, annealed.a);
  const constant = await weightsAfter({});
  assert.notDeepEqual(constant.b, constant.a);
});

test('alpha weighs the game\'s reward of the stream the influence trains: model II\'s messages, the actions otherwise', () => {
  const B = 1, N = 2;
  const run = (model: ModelName, alpha: number) => {
    const c = resolveTrainConfig({ model, agents: N, extrinsicWeight: alpha, influenceBeta: 1, influenceSchedule: [[0, 1]], influenceClip: 10 });
    const out = { actions: new Float32Array(B * N), messages: new Float32Array(B * N), previousActions: new Float32Array(B * N), previousMessages: new Float32Array(B * N) };
    shapeStep(modelOf(model).rewardTerms!(c, B, N), { extrinsic: Float32Array.from([1, 2]), dones: new Uint8Array(B), ck: Float32Array.from([0.5, 0.25]), envSteps: 100 }, out);
    return out;
  };
  const comm = run('influence-comm', 0);
  assert.deepEqual([...comm.messages], [0, 0], 'Cleanup\'s model II: messages learn from influence only');
  assert.deepEqual([...comm.previousMessages], [0.5, 0.25], 'the influence goes to the previous step\'s symbols');
  assert.deepEqual([...comm.actions], [1, 2], 'actions keep the game\'s reward');
  const moa = run('influence-moa', 0.5);
  assert.deepEqual([...moa.actions], [1, 1.25]);
});

test('prosocial agents learn from their reward plus eta times the others\' (10.5.2), env by env', () => {
  const B = 2, N = 3;
  const c = resolveTrainConfig({ model: 'prosocial', agents: N, prosocialEta: 0.5 });
  const out = { actions: new Float32Array(B * N), messages: new Float32Array(B * N), previousActions: new Float32Array(B * N), previousMessages: new Float32Array(B * N) };
  shapeStep(modelOf('prosocial').rewardTerms!(c, B, N), { extrinsic: Float32Array.from([1, 2, 4, 0, -2, 6]), dones: new Uint8Array(B), envSteps: 0 }, out);
  // env 0: 1 + 0.5 * 6, 2 + 0.5 * 5, 4 + 0.5 * 3; env 1: 0 + 0.5 * 4, -2 + 0.5 * 6, 6 + 0.5 * -2 (a sum over all envs would differ)
  assert.deepEqual([...out.actions], [4, 4.5, 5.5, 2, 1, 5]);
  assert.equal(resolveTrainConfig({ model: 'prosocial' }).prosocialEta, 0.85, 'the paper\'s best eta by default');
});

// commons game-report: a game's own statistics of trained runs (Box trapped: how often and when the box is
// opened, and the influence at that step). The summaries are checked on made-up episodes whose answers are
// known; the command on a real (tiny) sweep, against commons eval of the same runs and seeds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commons, tmp, writeSpec, TINY } from './sweep-helpers.ts';
import { summarizeGroups, influenceAtEvent, runValue, type RunRecord, type EpisodeRecord } from '../src/plot/game-stats.ts';
import { gameInfo } from '../src/env/games.ts';

const STATS = gameInfo('box-trapped').stats;
const [OPENED, STEP, ACTIONS] = STATS;

const episode = (opened: boolean, step: number | null, influence?: number[]): EpisodeRecord => ({
  seed: 0, game: { box_opened: opened ? 1 : 0, open_step: step, open_actions: opened ? 1 : 0 }, collective: 10, returns: [6, 4], influence,
});

test('per run: a flag is the fraction of episodes, a step the mean where it happened; per group, the mean over seeds', () => {
  const a = [episode(true, 2), episode(true, 4), episode(false, null), episode(false, null)];
  const b = [episode(true, 1), episode(true, 1), episode(true, 3), episode(false, null)];
  assert.equal(runValue(a, OPENED), 0.5);
  assert.equal(runValue(a, STEP), 3);
  assert.equal(runValue(b, ACTIONS), 0.75);
  assert.equal(runValue([episode(false, null)], STEP), null);
  const runs: RunRecord[] = [
    { dir: 'a', model: 'influence', seed: 0, group: 'influence', envSteps: 1, checkpoint: 'step-1', episodes: a },
    { dir: 'b', model: 'influence', seed: 1, group: 'influence', envSteps: 1, checkpoint: 'step-1', episodes: b },
    { dir: 'c', model: 'a2c', seed: 0, group: 'a2c', envSteps: 1, checkpoint: 'step-1', episodes: [episode(false, null), episode(false, null)] },
  ];
  const [inf, a2c] = summarizeGroups(runs, STATS, 5);
  assert.deepEqual([inf.group, a2c.group], ['influence', 'a2c']);
  assert.equal(inf.stats.box_opened!.mean, 0.625);
  assert.equal(inf.stats.box_opened!.n, 2);
  // two seeds, 0.5 and 0.75: std 0.1768, t(0.975, 1) = 12.706
  assert.ok(Math.abs(inf.stats.box_opened!.ci! - 12.706 * 0.17678 / Math.SQRT2) < 1e-3);
  assert.deepEqual(inf.histograms.open_step, { counts: [2, 1, 1, 1, 0], episodes: 8 });
  assert.equal(a2c.stats.box_opened!.mean, 0);
  assert.equal(a2c.stats.open_step, null, 'never opened: no step to average');
  assert.deepEqual(a2c.histograms.open_step.counts, [0, 0, 0, 0, 0]);
});

test('the influence at the step of the event is set against the other steps of the same episodes', () => {
  const eps = [
    episode(true, 2, [0.1, 0.9, 0.1, 0.1]), // peak at the event
    episode(true, 1, [0.2, 0.4, 0.0, 0.2]), // the event's step is not the largest
    episode(false, null, [5, 5, 5, 5]), // no event: left out
  ];
  const r = influenceAtEvent(eps, STEP)!;
  assert.equal(r.episodes, 2);
  assert.ok(Math.abs(r.atEvent - 0.55) < 1e-12);
  assert.ok(Math.abs(r.elsewhere - (0.1 + 0.2) / 2) < 1e-12);
  assert.equal(r.peakAtEvent, 1);
  assert.equal(influenceAtEvent([episode(true, 2)], STEP), null, 'no traces (a2c): nothing to compare');
});

test('commons game-report on a sweep: per run the figures eval gives, the figures written, the groups of the sweep', { timeout: 300_000 }, () => {
  const dir = tmp('commons-game-report-');
  const spec = writeSpec(dir, 'box', {
    games: ['box-trapped'], models: ['a2c', 'influence'], seeds: [0, 1], steps: 60,
    config: { ...TINY, reportEvery: 20 },
  });
  const sweep = join(dir, 'sweep');
  const run = commons(['sweep', 'run', spec, '--out', sweep, '--jobs', '2'], { timeout: 240_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const metrics = readFileSync(join(sweep, 'runs', 'box-trapped-a2c-s0', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const withEpisodes = metrics.filter((m) => m.episodes > 0);
  assert.ok(withEpisodes.length > 0 && withEpisodes.every((m) => typeof m.game_stats.box_opened === 'number'), 'metrics lines carry the game\'s statistics');

  const out = join(dir, 'report');
  const r = commons(['game-report', sweep, '--out', out, '--episodes', '6', '--seed', '3'], { timeout: 240_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rep = JSON.parse(readFileSync(join(out, 'game-report.json'), 'utf8'));
  assert.equal(rep.game, 'box-trapped');
  assert.deepEqual(rep.groups.map((g: { group: string }) => g.group), ['a2c', 'influence']);
  // each run's fraction is what commons eval counts on the same episodes
  for (const g of rep.groups) {
    for (const run of g.runs) {
      const ev = JSON.parse(commons(['eval', '--run', run.dir, '--episodes', '6', '--seed', '3', '--json']).stdout);
      const opened = ev.episodes.filter((e: { game: { box_opened: number } }) => e.game.box_opened === 1).length;
      assert.equal(run.values.box_opened, opened / 6, `${run.dir}: box_opened`);
      assert.equal(ev.mean.game_stats.box_opened, opened / 6);
    }
    const h = g.histograms.open_step;
    assert.equal(h.episodes, 12);
    assert.equal(h.counts.reduce((a: number, c: number) => a + c, 0), Math.round(g.runs.reduce((a: number, x: { values: { box_opened: number } }) => a + 6 * x.values.box_opened, 0)));
  }
  for (const f of ['box_opened.png', 'box_opened.svg', 'box_opened-curves.png', 'open_step-steps.png', 'influence-episode.png', 'game-report.md']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.deepEqual([...readFileSync(join(out, 'box_opened.png')).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  assert.match(r.stdout, /\| a2c \| 2 \| 12 \| \d+% ± \d+ \(2\) \|/);

  // a game without statistics of its own is refused with one line
  const harvest = join(dir, 'harvest');
  assert.equal(commons(['train', '--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2',
    '--rollout', '10', '--steps', '20', '--out', harvest]).code, 0);
  const bad = commons(['game-report', harvest, '--out', join(dir, 'bad')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /harvest keeps no statistics of its own; game-report is for games that do \(box-trapped\)/);
});

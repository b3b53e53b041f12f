// commons sweep run, status and report on one machine, no Redis: a small sweep runs to the end and is
// reported; a second invocation skips what is done; SIGTERM checkpoints every run and a re-run finishes
// with metrics identical to an uninterrupted sweep; a run that fails for its own reason fails once; a
// trainer that loses its lease stops without writing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, commons, events, metricsSansTiming, tmp, waitFor, writeSpec, TINY } from './sweep-helpers.ts';
import { meanCI, welchTest } from '../src/sweep/stats.ts';
import { startRun } from '../src/sweep/runner.ts';
import { resolveTrainConfig } from '../src/learn/config.ts';
import { listCheckpoints } from '../src/hosting/checkpoint.ts';
import { equalityWeightedReturn } from '../src/util/stats.ts';
import { planSweep, readSpec } from '../src/sweep/spec.ts';

test('a local sweep trains every run once, skips them when run again, and is reported', () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'local', {
    games: ['harvest'], models: ['a2c', 'inequity-aversion'], seeds: [0, 1, 2], steps: 120,
    config: { ...TINY, reportEvery: 40, checkpointEvery: 40 }, report: { window: 0.5 },
  });
  const out = join(dir, 'out');
  const r = commons(['sweep', 'run', spec, '--out', out, '--jobs', '2']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sweep local: 6 runs, 0 already finished, 6 to train, 2 at a time/);
  assert.match(r.stdout, /sweep local: 6 of 6 done, 0 failed/);
  const ids = readdirSync(join(out, 'runs')).sort();
  assert.deepEqual(ids, ['harvest-a2c-s0', 'harvest-a2c-s1', 'harvest-a2c-s2', 'harvest-inequity-aversion-s0', 'harvest-inequity-aversion-s1', 'harvest-inequity-aversion-s2']);
  for (const id of ids) {
    const run = join(out, 'runs', id);
    assert.deepEqual(events(run).map((e) => e.event), ['start', 'done'], id);
    assert.equal(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).env_steps, 120);
    assert.deepEqual(metricsSansTiming(run).map((m) => m.env_steps), [40, 80, 120]);
    // keepCheckpoints (2): older checkpoints are deleted as new ones are written
    assert.deepEqual(readdirSync(join(run, 'checkpoints')).filter((n) => n.startsWith('step-')), ['step-000000000080', 'step-000000000120']);
    assert.equal(existsSync(join(run, 'lease')), false, 'the lease is released');
  }
  const again = commons(['sweep', 'run', spec, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /6 already finished, 0 to train/);
  for (const id of ids) assert.equal(events(join(out, 'runs', id)).length, 2, 'nothing trained twice');

  const st = commons(['sweep', 'status', out, '--json']);
  assert.equal(st.code, 0, st.stderr);
  const status = JSON.parse(st.stdout);
  assert.deepEqual(status.counts, { done: 6, running: 0, paused: 0, pending: 0, failed: 0 });
  assert.equal(status.envSteps, 720);

  const rep = commons(['sweep', 'report', out, '--baseline', 'a2c']);
  assert.equal(rep.code, 0, rep.stderr);
  for (const f of ['report.md', 'report.csv', 'report.json', 'harvest-collective_return.png', 'harvest-collective_return.svg']) {
    assert.ok(existsSync(join(out, 'report', f)), f);
  }
  assert.equal(readFileSync(join(out, 'report', 'harvest-collective_return.png')).subarray(1, 4).toString(), 'PNG');
  const json = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
  // recompute each run's final value from its metrics.jsonl: the lines with env_steps > (1 - 0.5) * 120
  const final = (id: string) => {
    const rows = metricsSansTiming(join(out, 'runs', id)).filter((m) => (m.env_steps as number) > 60 && typeof m.collective_return === 'number');
    return rows.reduce((a, m) => a + (m.collective_return as number), 0) / rows.length;
  };
  const groups = json.games[0].groups;
  assert.deepEqual(groups.map((g: { group: string }) => g.group), ['harvest-a2c', 'harvest-inequity-aversion']);
  const a2c = ['harvest-a2c-s0', 'harvest-a2c-s1', 'harvest-a2c-s2'].map(final);
  const ia = ['harvest-inequity-aversion-s0', 'harvest-inequity-aversion-s1', 'harvest-inequity-aversion-s2'].map(final);
  assert.deepEqual(groups[0].runs.map((x: { values: { collective_return: number } }) => x.values.collective_return), a2c);
  const ci = meanCI(ia);
  assert.equal(groups[1].stats.collective_return.n, 3);
  assert.equal(groups[1].stats.collective_return.mean, ci.mean);
  assert.equal(groups[1].stats.collective_return.half, ci.half);
  const w = welchTest(ia, a2c);
  assert.equal(groups[1].vsBaseline?.p ?? null, w?.p ?? null);
  assert.match(rep.stdout, /\| model \| seeds \| collective return \(99\.5% CI\) \|/);
  assert.match(rep.stdout, /\| inequity-aversion \| 3 \| /);
  const csv = readFileSync(join(out, 'report', 'report.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 3);
  assert.match(csv[0], /^game,group,model,settings,env_steps,seeds_planned,collective_return_n,collective_return_mean,/);

  // by default the paper's Table 4 stands beside ours, with the budgets compared
  assert.match(rep.stdout, /\| a2c \| 3 \| [^|]+ \| 485\.0 at ≥ 2\.3e\+8 steps \(our budget: at most 0\.000053% of it\) \(5 agents; these runs: 2\) \|/);
  assert.match(rep.stdout, /Our budget \(at most 120 env steps per run\) is at most 0\.000053% of the reference's \(at least 2\.26e\+8 env steps, Jaques et al\. 2019, Table 4/);
  const noRef = commons(['sweep', 'report', out, '--reference', 'none', '--out', join(dir, 'report-none')]);
  assert.equal(noRef.code, 0, noRef.stderr);
  assert.doesNotMatch(noRef.stdout, /reference/);
  // published numbers from a file, with the budgets compared
  const refs = join(dir, 'refs.json');
  writeFileSync(refs, JSON.stringify({ harvest: { a2c: { collective_return: 5, steps: 1000, source: 'a test' } } }));
  const withRef = commons(['sweep', 'report', out, '--reference', refs, '--out', join(dir, 'report-ref')]);
  assert.equal(withRef.code, 0, withRef.stderr);
  assert.match(withRef.stdout, /\| collective return \(99\.5% CI\) \| reference \|/);
  assert.match(withRef.stdout, /\| a2c \| 3 \| [^|]+ \| 5\.0 at 1\.0e\+3 steps \(our budget: 12% of it\) \|/);
  assert.match(withRef.stdout, /\| inequity-aversion \| 3 \| [^|]+ \| - \|/);
  assert.match(readFileSync(join(dir, 'report-ref', 'report.csv'), 'utf8'), /,5,1000,a test\n/);
  const badRef = commons(['sweep', 'report', out, '--reference', join(dir, 'spec.json')]);
  assert.equal(badRef.code, 2);
  assert.match(badRef.stderr, /--reference: no such file/);
});

test('SIGTERM stops a local sweep with a checkpoint per run; running it again ends as if never stopped', async () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'stop', { games: ['harvest'], models: ['a2c'], seeds: [0, 1], steps: 400, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } });
  const ref = join(dir, 'ref');
  const full = commons(['sweep', 'run', spec, '--out', ref, '--jobs', '2']);
  assert.equal(full.code, 0, full.stderr);

  const out = join(dir, 'out');
  const child = spawn(process.execPath, [CLI, 'sweep', 'run', spec, '--out', out, '--jobs', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  // stop once both runs have a checkpoint and neither has finished
  await waitFor('both runs to checkpoint', () => ['harvest-a2c-s0', 'harvest-a2c-s1'].every((id) => existsSync(join(out, 'runs', id, 'checkpoints', 'latest.json'))), 60_000, 20);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, log);
  assert.match(log, /stopping: every run saves a checkpoint/);
  assert.match(log, /harvest-a2c-s0: stopped at \d+ env steps \(checkpoint saved\)/);
  assert.match(log, /continue with: node \S*dist\/cli\.js sweep run /, "the command as it was run (README: node dist/cli.js)");
  const st = JSON.parse(commons(['sweep', 'status', out, '--json']).stdout);
  assert.equal(st.counts.paused, 2, JSON.stringify(st.counts));

  const rest = commons(['sweep', 'run', spec, '--out', out, '--jobs', '2']);
  assert.equal(rest.code, 0, rest.stderr);
  assert.match(rest.stdout, /harvest-a2c-s0: resumed at \d+/);
  for (const id of ['harvest-a2c-s0', 'harvest-a2c-s1']) {
    assert.deepEqual(events(join(out, 'runs', id)).map((e) => e.event), ['start', 'stop', 'resume', 'done']);
    assert.deepEqual(metricsSansTiming(join(out, 'runs', id)), metricsSansTiming(join(ref, 'runs', id)), `${id}: metrics as if never stopped`);
  }
});

test('a run that fails for its own reason fails once, with its error in status; the others finish', () => {
  const dir = tmp();
  // a map with one spawn point for two agents: a valid setting that only the environment can refuse
  const spec = writeSpec(dir, 'fail', {
    games: ['harvest'], models: ['a2c'], seeds: [0], steps: 40, config: TINY, grid: { map: [['P@ ', '  P', '@@@'], ['P@ ', '   ', '@@@']] },
  });
  const out = join(dir, 'out');
  const r = commons(['sweep', 'run', spec, '--out', out]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const failedId = JSON.parse(commons(['sweep', 'plan', spec, '--json']).stdout).runs[1].id;
  assert.match(r.stderr, new RegExp(`1 run\\(s\\) failed: ${failedId} \\(map: 1 spawn points \\('P'\\) for 2 agents`));
  assert.equal(r.stderr.trim().split('\n').length, 1);
  // one attempt: it failed while opening (the environment refused the map), once, and was not tried again
  assert.deepEqual(events(join(out, 'runs', failedId)).map((e) => e.event), ['fail']);
  assert.equal((r.stdout.match(new RegExp(`${failedId}: FAILED`, 'g')) ?? []).length, 1);
  const st = commons(['sweep', 'status', out]);
  assert.match(st.stdout, new RegExp(`${failedId}\\s+failed\\s+.*map: 1 spawn points`));
  assert.match(st.stdout, /1 done, 0 running, 0 paused, 0 pending, 1 failed/);
});

test('a trainer whose lease is taken over stops at once and writes nothing more', async () => {
  const dir = tmp();
  const runDir = join(dir, 'run');
  const config = resolveTrainConfig({ game: 'harvest', ...TINY, steps: 100_000, reportEvery: 40, checkpointEvery: 40, seed: 5 });
  const handle = startRun({
    type: 'run', runDir, config, leaseTtlMs: 60_000, heartbeatMs: 100, checkpointMinutes: 10, keepCheckpoints: 100, progressMs: 100, via: 'test',
  });
  await waitFor('two checkpoints', () => listCheckpoints(runDir).length >= 2, 60_000, 20);
  // another process takes the run over (as after an expiry): the lease file now names someone else
  const foreign = JSON.stringify({ owner: 'elsewhere:1:abcdefabcdef', host: 'elsewhere', pid: 1, acquired: Date.now() });
  writeFileSync(join(runDir, 'lease.tmp'), foreign);
  renameSync(join(runDir, 'lease.tmp'), join(runDir, 'lease'));
  const ckptsAtTakeover = listCheckpoints(runDir).length;
  const linesAtTakeover = metricsSansTiming(runDir).length;
  const r = await handle.done;
  assert.equal(r.outcome, 'lost', r.stderrTail);
  assert.equal(r.exitCode, 5);
  assert.equal(readFileSync(join(runDir, 'lease'), 'utf8'), foreign, 'the new holder\'s lease is left alone');
  assert.equal(existsSync(join(runDir, 'summary.json')), false);
  assert.ok(!events(runDir).some((e) => e.event === 'stop' || e.event === 'done'), 'no end written');
  // at most the one update in flight when the lease changed hands may still have reported
  assert.ok(listCheckpoints(runDir).length <= ckptsAtTakeover + 1);
  assert.ok(metricsSansTiming(runDir).length <= linesAtTakeover + 1);
});

test('checkpoints by the clock (checkpointMinutes) leave the metrics unchanged', async () => {
  const dir = tmp();
  const config = resolveTrainConfig({ game: 'harvest', ...TINY, steps: 200, reportEvery: 40, checkpointEvery: 1_000_000, seed: 9 });
  const req = (runDir: string, checkpointMinutes: number) => ({
    type: 'run' as const, runDir, config, leaseTtlMs: 60_000, heartbeatMs: 1000, checkpointMinutes, keepCheckpoints: 1000, progressMs: 1000, via: 'test',
  });
  // every update is more than 3 ms apart: a checkpoint after each
  const [often, never] = await Promise.all([startRun(req(join(dir, 'often'), 0.00005)).done, startRun(req(join(dir, 'never'), 60)).done]);
  assert.equal(often.outcome, 'done', often.stderrTail);
  assert.equal(never.outcome, 'done', never.stderrTail);
  assert.ok(listCheckpoints(join(dir, 'often')).length >= 10, listCheckpoints(join(dir, 'often')).join(' '));
  assert.deepEqual(listCheckpoints(join(dir, 'never')), ['step-000000000200']);
  assert.deepEqual(metricsSansTiming(join(dir, 'often')), metricsSansTiming(join(dir, 'never')));
});

test('a sampled search runs, is ranked by a metric over a window, and its top settings re-run with new seeds', () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'search', {
    games: ['harvest'], models: ['a2c', 'influence-moa'], seeds: [0, 1], steps: 120,
    config: { ...TINY, reportEvery: 40, checkpointEvery: 40, influenceStart: 0, influenceEnd: 0 },
    search: { samples: 3, seed: 0, params: { lr: { logUniform: [1e-4, 3e-3] }, influenceBeta: { uniform: [0, 2] } } },
  });
  const out = join(dir, 'out');
  const r = commons(['sweep', 'run', spec, '--out', out, '--jobs', '2'], { timeout: 300_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sweep search: 12 of 12 done, 0 failed/);

  const follow = join(dir, 'follow.json');
  const rep = commons(['sweep', 'report', out, '--rank', 'collective_return', '--window', 'last50', '--top', '2', '--follow-up', follow, '--seeds', '1']);
  assert.equal(rep.code, 0, rep.stderr);
  const json = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
  assert.equal(json.window, 0.5);
  // each run's final value, recomputed from its metrics.jsonl: the lines past half of its 120 steps
  const finalOf = (id: string, f: (m: Record<string, unknown>) => number | null) => {
    const vs = metricsSansTiming(join(out, 'runs', id)).filter((m) => (m.env_steps as number) > 60).map(f).filter((v): v is number => v !== null);
    return vs.reduce((a, v) => a + v, 0) / vs.length;
  };
  const groups = json.games[0].groups as { group: string; model: string; stats: Record<string, { n: number; mean: number }>; runs: { id: string }[] }[];
  assert.equal(groups.length, 6);
  const meanOf = (g: (typeof groups)[number]) => g.runs.reduce((a, x) => a + finalOf(x.id, (m) => m.collective_return as number), 0) / g.runs.length;
  for (const model of ['a2c', 'influence-moa']) {
    const expected = groups.filter((g) => g.model === model).sort((a, b) => meanOf(b) - meanOf(a)).slice(0, 2).map((g) => g.group);
    const got = json.rank.rankings.find((x: { model: string }) => x.model === model).groups;
    assert.deepEqual(got, expected, `${model}: ranked by the mean final collective return`);
  }
  assert.match(rep.stdout, /## Best settings by collective_return \(top 2 per game and model\)/);
  assert.match(rep.stdout, /\| harvest \| a2c \| 1 \| harvest-a2c-sample\d \| lr=0\.\d+ \| 2 \| /);
  // R(1-G) of every run: the mean over its window of each line's R(1-G) of the per-agent returns
  const g0 = groups[0];
  const ewr = g0.runs.map((x) => finalOf(x.id, (m) => (Array.isArray(m.returns) ? equalityWeightedReturn(m.returns as number[]) : null)));
  assert.ok(Math.abs(g0.stats.equality_weighted_return.mean - ewr.reduce((a, v) => a + v, 0) / ewr.length) < 1e-9);
  assert.match(rep.stdout, /\| R\(1-G\) \| MOA accuracy \(most frequent\) \|/);
  // the MOA's accuracy stands beside its most-frequent-action baseline; the influence/return correlation over agents
  const moa = groups.find((g) => g.model === 'influence-moa')!;
  assert.equal(moa.stats['moa.majority_accuracy'].n, 2);
  assert.ok(moa.stats['moa.majority_accuracy'].mean > 0 && moa.stats['moa.majority_accuracy'].mean <= 1);
  assert.equal(json.games[0].influenceVsReturn.n, 3 * 2 * 2, '3 groups x 2 seeds x 2 agents');
  assert.match(rep.stdout, /Influence received against individual return, over the 12 agents of the runs that measure influence: /);

  // the follow-up: the top 2 groups of each model, one new seed, every other setting as in the search
  assert.match(rep.stdout, /wrote .*follow\.json: 4 group\(s\) x 1 new seed\(s\) = 4 run\(s\) \(seeds 2\)/);
  const f = JSON.parse(readFileSync(follow, 'utf8'));
  assert.equal(f.name, 'search-top2');
  assert.deepEqual(f.seeds, [2]);
  assert.deepEqual(f.only, json.rank.rankings.flatMap((x: { groups: string[] }) => x.groups));
  const plan = planSweep(readSpec(follow));
  const searched = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).runs as { id: string; group: string; config: Record<string, unknown> }[];
  assert.equal(plan.runs.length, 4);
  for (const run of plan.runs) {
    assert.equal(run.id, `${run.group}-s2`);
    const before = searched.find((x) => x.group === run.group)!;
    assert.deepEqual({ ...run.config, seed: 0 }, { ...before.config, seed: 0 }, `${run.id}: the searched settings`);
  }
  const again = commons(['sweep', 'run', follow, '--out', join(dir, 'follow'), '--jobs', '2'], { timeout: 300_000 });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /sweep search-top2: 4 of 4 done, 0 failed/);

  // bad rank input: one line naming the flag, exit 2
  for (const [args, msg] of [
    [['--rank', 'nonsense_metric'], /--rank: no finished run of sweep search has a value of nonsense_metric; metrics: collective_return, /],
    [['--top', '3'], /--top: needs --rank METRIC/],
    [['--rank', 'collective_return', '--seeds', '2'], /--seeds: only with --follow-up FILE/],
    [['--rank', 'collective_return', '--window', 'last0'], /--window: expected a fraction in \(0, 1\]/],
  ] as [string[], RegExp][]) {
    const bad = commons(['sweep', 'report', out, ...args, '--out', join(dir, 'bad-report')]);
    assert.equal(bad.code, 2, bad.stdout);
    assert.match(bad.stderr, msg);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  }
});

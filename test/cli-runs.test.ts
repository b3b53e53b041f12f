// A run's life as a researcher lives it, through dist/cli.js: budgets that are not a multiple of an update,
// a terminal's progress line, checkpoints pruned and marked, leftovers of interrupted saves, a corrupt
// newest checkpoint, a torn metrics line, a finished run resumed, and checkpoint archives from the web app.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportCheckpointArchive } from '../src/hosting/checkpoint.ts';
import { progressLine } from '../src/cli/train.ts';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const commons = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const TINY = ['--game', 'harvest', '--agents', '2', '--envs', '4', '--episode-length', '50', '--view-radius', '2', '--rollout', '10', '--report-every', '40'];
const tmp = () => mkdtempSync(join(tmpdir(), 'commons-runs-'));
const ids = (run: string) => readdirSync(join(run, 'checkpoints')).filter((n) => n.startsWith('step-')).sort();
const metricSteps = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).env_steps);
/** Metrics lines without the wall-clock fields. */
const metricsOf = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { timing: _t, ...rest } = JSON.parse(l);
  return rest;
});

test('a budget that is not a multiple of an update ends at the next update boundary, and every figure says so', () => {
  const run = join(tmp(), 'run');
  // 4 envs x 10 steps = 40 env steps per update: a budget of 50 ends at 80
  const r = commons('train', ...TINY, '--steps', '50', '--out', run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /training a2c \(a2c\) on harvest: 2 agents x 4 envs, 80 env steps/);
  assert.match(r.stdout, /so the budget of 50 env steps ends at 80/);
  assert.match(r.stdout, /done: 80 env steps/);
  assert.equal(JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')).env_steps, 80);
});

test('on a terminal, a run whose last update overshoots --steps ends cleanly with its checkpoint and summary', { skip: existsSync('/usr/bin/script') ? false : 'needs script(1) for a pseudo-terminal' }, () => {
  const run = join(tmp(), 'run');
  // script(1) gives the command a terminal (stdout.isTTY), 60 columns wide; -e returns the command's status
  const cmd = `stty cols 60; exec ${process.execPath} ${CLI} train ${TINY.join(' ')} --steps 50 --out ${run}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /RangeError|Invalid count/);
  assert.ok(existsSync(join(run, 'summary.json')), 'summary.json written');
  assert.ok(existsSync(join(run, 'checkpoints', 'step-000000000080', 'manifest.json')));
  // every redraw of the progress line fits the 60 columns
  for (const frame of r.stdout.split('\r')) {
    const line = frame.replace(/\x1b\[K/g, '').split('\n')[0];
    if (/ETA/.test(line)) assert.ok(line.length < 60, `progress line of ${line.length} columns: ${line}`);
  }
});

test('the progress line fits any terminal width and never counts past the end', () => {
  const p = { envSteps: 1280, totalSteps: 1280, agentStepsPerS: 5123, lastReturn: -12.3, updates: 4 };
  for (const cols of [200, 120, 80, 60, 40, 20, 8]) {
    const line = progressLine(p, 5, cols);
    assert.ok(line.length <= Math.max(1, cols - 1), `${cols} columns: ${line}`);
  }
  assert.match(progressLine(p, 5, 200), /^\[#{24}\] 1,280\/1,280 env steps \(100\.0%\) \| 5,123 agent-steps\/s \| ETA 0s \| collective return -12\.3$/);
  // were envSteps ever past the total, the bar and the ETA still hold
  const over = progressLine({ ...p, envSteps: 1400 }, 5, 200);
  assert.match(over, /\(100\.0%\)/);
  assert.doesNotMatch(over, /-\d+[hms]/);
});

test('--keep K keeps the newest K checkpoints and the marked ones; resume cleans what interrupted saves left', () => {
  const run = join(tmp(), 'run');
  assert.equal(commons('train', ...TINY, '--steps', '200', '--checkpoint-every', '40', '--keep', '2', '--out', run).code, 0);
  assert.deepEqual(ids(run), ['step-000000000160', 'step-000000000200']);
  const mark = commons('checkpoints', run, '--mark', 'step-000000000160');
  assert.equal(mark.code, 0, mark.stderr);
  // a save cut short by a crash leaves a temporary directory; one of a live process would be left alone
  mkdirSync(join(run, 'checkpoints', '.tmp-step-000000000240-999999'));
  const r = commons('train', '--resume', run, '--steps', '320');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed 1 unfinished file\(s\).*\.tmp-step-000000000240-999999/);
  assert.ok(!existsSync(join(run, 'checkpoints', '.tmp-step-000000000240-999999')));
  // 160 is marked: it stays beside the newest two
  assert.deepEqual(ids(run), ['step-000000000160', 'step-000000000280', 'step-000000000320']);
  const list = commons('checkpoints', run, '--verify', '--json');
  const j = JSON.parse(list.stdout);
  assert.deepEqual(j.checkpoints.map((c: { id: string; marked: boolean; intact: boolean }) => [c.id, c.marked, c.intact]),
    [['step-000000000160', true, true], ['step-000000000280', false, true], ['step-000000000320', false, true]]);
});

test('resume passes over a corrupt newest checkpoint (saying so), or takes the one --checkpoint names; a torn metrics line does not stop it', () => {
  const run = join(tmp(), 'run');
  assert.equal(commons('train', ...TINY, '--steps', '120', '--checkpoint-every', '40', '--out', run).code, 0);
  const reference = join(tmp(), 'ref');
  assert.equal(commons('train', ...TINY, '--steps', '200', '--checkpoint-every', '40', '--out', reference).code, 0);
  // the newest checkpoint is corrupt and the last metrics line was cut short by a crash
  const tb = join(run, 'checkpoints', 'step-000000000120', 'tensors.bin');
  writeFileSync(tb, readFileSync(tb).subarray(0, 100));
  appendFileSync(join(run, 'metrics.jsonl'), '{"env_steps": 160, "collec');
  const r = commons('train', '--resume', run, '--steps', '200');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /checkpoint step-000000000120 cannot be used \(.*tensors\.bin is truncated or corrupt.*\); trying the one before it/);
  assert.match(r.stderr, /metrics\.jsonl: dropped 1 unreadable line/);
  assert.match(r.stdout, /resuming .* at 80 env steps \(step-000000000080\)/);
  // the resumed run writes what an uninterrupted one writes
  assert.deepEqual(metricsOf(run), metricsOf(reference));

  const chosen = commons('train', '--resume', run, '--checkpoint', 'step-000000000040', '--steps', '240');
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.match(chosen.stdout, /resuming .* at 40 env steps \(step-000000000040\)/);
  assert.deepEqual(metricSteps(run), [40, 80, 120, 160, 200, 240]);
  const missing = commons('train', '--resume', run, '--checkpoint', 'step-000000000041');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /checkpoint: step-000000000041 not found .*available: step-/);
});

test('resuming a finished run, or with --steps below the steps done, changes nothing', () => {
  const run = join(tmp(), 'run');
  assert.equal(commons('train', ...TINY, '--steps', '80', '--out', run).code, 0);
  const summary = readFileSync(join(run, 'summary.json'), 'utf8');
  const mtime = statSync(join(run, 'summary.json')).mtimeMs;
  const done = commons('train', '--resume', run);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /is finished: 80 of 80 env steps .*nothing to do.*--steps N/);
  const below = commons('train', '--resume', run, '--steps', '40');
  assert.equal(below.code, 2);
  assert.match(below.stderr, /--steps 40: .* has trained 80 env steps already/);
  assert.equal(readFileSync(join(run, 'summary.json'), 'utf8'), summary);
  assert.equal(statSync(join(run, 'summary.json')).mtimeMs, mtime);
  assert.notEqual(JSON.parse(summary).last, null, 'the summary keeps its last metrics line');
  // a larger budget trains on, and the new summary keeps the last line even if no report falls after the resume
  const more = commons('train', '--resume', run, '--steps', '100');
  assert.equal(more.code, 0, more.stderr);
  const s2 = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  assert.equal(s2.env_steps, 120);
  assert.equal(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).steps, 100, 'config.json records the new budget');
  assert.ok(s2.last && s2.last.env_steps === 120);
});

test('a checkpoint archive (.tar, as the web app downloads) works with eval, render and train --resume', () => {
  const dir = tmp();
  const run = join(dir, 'run');
  assert.equal(commons('train', ...TINY, '--steps', '80', '--out', run).code, 0);
  const tar = join(dir, 'checkpoint.tar');
  writeFileSync(tar, exportCheckpointArchive(run));
  const e = commons('eval', '--run', tar, '--episodes', '2', '--json');
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).checkpoint, 'step-000000000080');
  const g = commons('render', '--run', tar, '--out', join(dir, 'play.gif'), '--scale', '1');
  assert.equal(g.code, 0, g.stderr);
  assert.equal(readFileSync(join(dir, 'play.gif')).subarray(0, 6).toString(), 'GIF89a');
  // continuing the archive into a new directory writes what continuing the run itself writes
  const fromTar = join(dir, 'from-tar');
  const r = commons('train', '--resume', tar, '--out', fromTar, '--steps', '160');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(commons('train', '--resume', run, '--steps', '160').code, 0);
  assert.deepEqual(metricsOf(fromTar), metricsOf(run).filter((m) => m.env_steps > 80));
  assert.equal(commons('train', '--resume', tar).code, 2, 'an archive needs --out');
  // a file that is no checkpoint: one line, the file named, no doubled prefix
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  const bad = commons('eval', '--run', join(dir, 'notes.txt'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^commons eval: checkpoint: .*notes\.txt.*\n$/);
  assert.doesNotMatch(bad.stderr, /checkpoint: checkpoint:/);
});

test('a run that cannot start leaves nothing behind: the same --out works once the cause is fixed', () => {
  const run = join(tmp(), 'run');
  const r = commons('train', ...TINY, '--agents', '30', '--steps', '40', '--out', run);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /20 spawn points/);
  assert.ok(!existsSync(run), 'no run directory claims a run that never started');
  assert.equal(commons('train', ...TINY, '--steps', '40', '--out', run).code, 0);
});

test('resuming a run written before pruning existed deletes none of its checkpoints', () => {
  const run = join(tmp(), 'run');
  assert.equal(commons('train', ...TINY, '--steps', '280', '--checkpoint-every', '40', '--keep', '0', '--out', run).code, 0);
  assert.equal(ids(run).length, 7);
  // an older config.json has no 'keep'
  const cfgPath = join(run, 'config.json');
  const { keep: _k, ...old } = JSON.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, JSON.stringify(old));
  const r = commons('train', '--resume', run, '--steps', '320');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /predates checkpoint pruning: all its checkpoints are kept/);
  assert.equal(ids(run).length, 8);
});

// Slow fault tests (npm run test:faults): one writer per run under stress (issue 21, reproductions 2 and 7).
//   - `commons train` killed with SIGKILL at random moments (mid-checkpoint included) and resumed at once
//     each time: the dead holder's lease is taken over without waiting for its time to live, and the run
//     ends with exactly the metrics of an uninterrupted run;
//   - two `commons train --resume` started together, round after round: one trains, the other is refused
//     with the first's pid, and every metrics line is written once, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, commons, sleep, tmp, waitFor } from '../sweep-helpers.ts';

const TINY_FLAGS = ['--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--report-every', '40', '--checkpoint-every', '40'];
const STEPS = 2000;
const metrics = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => {
  const { timing: _t, ...rest } = JSON.parse(l);
  return rest;
});

function start(args: string[]) {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { p, out: () => out, exited };
}

test('train killed with SIGKILL at random moments and resumed at once ends with the uninterrupted metrics', async (t) => {
  const dir = tmp();
  const reference = join(dir, 'ref');
  assert.equal(commons(['train', ...TINY_FLAGS, '--steps', String(STEPS), '--out', reference]).code, 0);
  const run = join(dir, 'run');
  let kills = 0;
  let args = ['train', ...TINY_FLAGS, '--steps', String(STEPS), '--out', run];
  for (let round = 0; round < 12; round++) {
    const w = start(args);
    args = ['train', '--resume', run];
    // let it train for a random while, then kill it (the lease stays behind, naming a dead pid)
    // (a run killed before its first checkpoint has nothing to resume from)
    await waitFor('the run to train', () => w.p.exitCode !== null || (existsSync(join(run, 'checkpoints', 'latest.json')) && /training|resuming/.test(w.out())), 60_000, 10);
    await sleep(200 + Math.random() * 1500);
    if (w.p.exitCode === null) {
      w.p.kill('SIGKILL');
      kills++;
    }
    const code = await w.exited;
    if (code === 0 && /done:|is finished/.test(w.out())) break;
    assert.ok(code === null || code === 0, w.out());
    assert.ok(existsSync(join(run, 'lease')) || code === 0, 'a killed holder leaves its lease behind');
  }
  const last = commons(['train', '--resume', run]);
  assert.equal(last.code, 0, last.stderr);
  assert.doesNotMatch(last.stderr, /is being written by/, 'the dead holder\'s lease was taken over at once');
  t.diagnostic(`${kills} kills`);
  assert.ok(kills >= 3, `${kills} kills`);
  assert.deepEqual(metrics(run), metrics(reference));
});

test('two train --resume started together, round after round: one trains, the other is refused; each line once', async () => {
  const run = join(tmp(), 'run');
  assert.equal(commons(['train', ...TINY_FLAGS, '--steps', '40', '--out', run]).code, 0);
  let budget = 40;
  for (let round = 0; round < 6; round++) {
    budget += 200;
    const a = start(['train', '--resume', run, '--steps', String(budget)]);
    const b = start(['train', '--resume', run, '--steps', String(budget)]);
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    const codes = [ca, cb].sort();
    assert.deepEqual(codes, [0, 2], `${a.out()}\n---\n${b.out()}`);
    const refused = ca === 2 ? a : b;
    const winner = ca === 2 ? b : a;
    assert.match(refused.out(), new RegExp(`is being written by pid ${winner.p.pid} on host `));
    const steps = metrics(run).map((m) => m.env_steps);
    assert.deepEqual(steps, Array.from({ length: budget / 40 }, (_, i) => 40 * (i + 1)), `round ${round}`);
  }
});

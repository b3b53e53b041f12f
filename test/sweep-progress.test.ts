// Progress of long work (src/sweep/progress.ts): what `commons sweep run` and `commons worker` show while
// runs train. On a terminal one live line, redrawn in place, with runs done, the running runs and their
// steps, the rate and the ETA; otherwise one line per run each time it passes a checkpoint. And through the
// CLI: a sweep piped to a file prints those lines between "started" and "done".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SweepProgress } from '../src/sweep/progress.ts';
import { commons, tmp, writeSpec, TINY } from './sweep-helpers.ts';

function fake(live: boolean, extra: Partial<ConstructorParameters<typeof SweepProgress>[0]> = {}) {
  let t = 0;
  let text = '';
  const p = new SweepProgress({ title: 'sweep s', live, write: (x) => { text += x; }, columns: () => 120, now: () => t, ...extra });
  return { p, tick: (ms: number) => { t += ms; }, text: () => text, clear: () => { text = ''; } };
}

test('on a terminal: one live line with runs done, each running run\'s steps, the rate and the ETA; host lines print above it', () => {
  const f = fake(true, { total: 4, finished: 1, planned: new Map([['a', 500_000], ['b', 500_000], ['c', 1_000_000]]) });
  f.p.started('a', 0, 500_000, { steps: 100_000, minutes: 10 });
  f.p.started('b', 100_000, 500_000, { steps: 100_000, minutes: 10 });
  f.p.progress('a', { envSteps: 0, totalSteps: 500_000, agentStepsPerS: 0, lastReturn: null, updates: 0 });
  f.p.progress('b', { envSteps: 100_000, totalSteps: 500_000, agentStepsPerS: 0, lastReturn: null, updates: 0 });
  f.tick(10_000);
  f.p.progress('a', { envSteps: 10_000, totalSteps: 500_000, agentStepsPerS: 0, lastReturn: null, updates: 1 });
  f.p.progress('b', { envSteps: 130_000, totalSteps: 500_000, agentStepsPerS: 0, lastReturn: null, updates: 1 });
  // a: 1,000 env steps/s, b: 3,000 (b's clock started at its first message 10 s before)
  assert.equal(f.p.rate(), 4000);
  // left: a 490k + b 370k + c 1M (not started) = 1.86M at 4,000/s = 465 s
  assert.equal(f.p.eta(), 465);
  assert.equal(f.p.line(), 'sweep s: 1/4 done, 2 running: a 2% (10k/500k), b 26% (130k/500k); 4,000 env-steps/s; ETA 7m45s');
  assert.match(f.text(), /\r[^\r\n]*\x1b\[K$/, 'drawn in place: carriage return, the line, clear to its end');
  assert.doesNotMatch(f.text(), /\n/, 'no new line while only progress changes');
  f.clear();
  f.p.log('a: done in 12.0 s');
  assert.equal(f.text().split('\r\x1b[K')[1].split('\r')[0], 'a: done in 12.0 s\n', 'a host line clears the live line, prints, and the line is drawn again');
  // Narrow terminals get the list cut, never a wrapped line.
  assert.equal(f.p.line(60).length <= 59, true, f.p.line(60));
  assert.match(f.p.line(60), /^sweep s: 1\/4 done: a 2% \(10k\/500k\), \+1|^sweep s: 1\/4 done, 2 running/);
  f.p.ended('a', 'done');
  assert.match(f.p.line(), /^sweep s: 2\/4 done, 1 running: b 26%/);
  f.p.close();
  assert.match(f.text(), /\r\x1b\[K$/, 'closing removes the live line');
});

test('not a terminal: a line per run each time it passes a checkpoint (by steps, or by minutes), none in between', () => {
  const f = fake(false, { total: 2, finished: 0, stamp: () => '12:00:00 ' });
  f.p.started('r1', 0, 300, { steps: 100, minutes: 5 });
  for (const s of [40, 80]) { f.tick(1000); f.p.progress('r1', { envSteps: s, totalSteps: 300, agentStepsPerS: 0, lastReturn: null, updates: 1 }); }
  assert.equal(f.text(), '');
  f.tick(1000);
  f.p.progress('r1', { envSteps: 120, totalSteps: 300, agentStepsPerS: 0, lastReturn: null, updates: 3 });
  assert.match(f.text(), /^12:00:00 progress: r1 120\/300 env steps \(40%\); 0\/2 done, 1 running; 40 env-steps\/s; ETA 4s\n$/);
  f.clear();
  f.tick(1000);
  f.p.progress('r1', { envSteps: 160, totalSteps: 300, agentStepsPerS: 0, lastReturn: null, updates: 4 });
  assert.equal(f.text(), '');
  f.tick(5 * 60_000);
  f.p.progress('r1', { envSteps: 180, totalSteps: 300, agentStepsPerS: 0, lastReturn: null, updates: 4 });
  assert.match(f.text(), /progress: r1 180\/300/, 'a time-based checkpoint (minutes) prints a line too');
});

test('commons sweep run into a pipe prints a progress line as each run passes a checkpoint', { timeout: 180_000 }, () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'prog', { games: ['harvest'], models: ['a2c'], seeds: [0, 1], steps: 40, config: { ...TINY, checkpointEvery: 20, reportEvery: 20 } });
  const r = commons(['sweep', 'run', spec, '--out', join(dir, 'out'), '--jobs', '1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  for (const id of ['harvest-a2c-s0', 'harvest-a2c-s1']) {
    const started = lines.findIndex((l) => l.startsWith(`${id}: started`));
    const prog = lines.findIndex((l) => new RegExp(`^progress: ${id} \\d+/40 env steps \\(\\d+%\\); \\d/2 done, 1 running`).test(l));
    const done = lines.findIndex((l) => l.startsWith(`${id}: done`));
    assert.ok(started >= 0 && prog > started && done > prog, `${id}: started, progress, done in order:\n${r.stdout}`);
  }
  assert.doesNotMatch(r.stdout, /\r|\x1b\[/, 'no terminal control characters in a pipe');
});

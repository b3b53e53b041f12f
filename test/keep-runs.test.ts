// scripts/keep-runs.sh: a sweep's finished runs kept without checkpoints and restored on another machine,
// where `commons sweep run` sees them as finished and trains only the rest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec, planSweep } from '../src/sweep/spec.ts';
import { runState, writeSweep } from '../src/sweep/store.ts';
import { tmp } from './sweep-helpers.ts';

const SCRIPT = fileURLToPath(new URL('../scripts/keep-runs.sh', import.meta.url));
const keep = (...args: string[]) => spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });

test('keep-runs save keeps finished runs only, without checkpoints or leases; restore makes them finished again', () => {
  const src = tmp('commons-keep-');
  const file = writeSweep(src, planSweep(parseSpec({ name: 'k', games: ['harvest'], models: ['a2c'], seeds: [0, 1], steps: 1000 })));
  const [done, part] = file.runs;
  const dDone = join(src, 'runs', done.id), dPart = join(src, 'runs', part.id);
  for (const d of [dDone, dPart]) {
    mkdirSync(join(d, 'checkpoints', 'step-500'), { recursive: true });
    writeFileSync(join(d, 'checkpoints', 'step-500', 'weights.bin'), 'w');
    writeFileSync(join(d, 'config.json'), JSON.stringify(done.config));
    writeFileSync(join(d, 'metrics.jsonl'), '{"env_steps":500}\n');
    writeFileSync(join(d, 'lease'), '{}');
  }
  writeFileSync(join(dDone, 'summary.json'), JSON.stringify({ env_steps: 1000 }));
  writeFileSync(join(dDone, 'events.jsonl'), '{"event":"done"}\n');

  const kept = tmp('commons-kept-');
  const s = keep('save', src, kept);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /kept 1 finished runs/);
  assert.deepEqual(readdirSync(join(kept, 'runs')), [done.id]);
  assert.deepEqual(readdirSync(join(kept, 'runs', done.id)).sort(), ['config.json', 'events.jsonl', 'metrics.jsonl.gz', 'summary.json']);
  assert.ok(existsSync(join(kept, 'sweep.json')));

  const dst = tmp('commons-restored-');
  const r = keep('restore', kept, dst);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /restored 1 finished runs/);
  assert.equal(runState(dst, done).state, 'done');
  assert.equal(runState(dst, part).state, 'pending');
  assert.equal(readFileSync(join(dst, 'runs', done.id, 'metrics.jsonl'), 'utf8'), '{"env_steps":500}\n');
  // restoring again changes nothing and says so
  assert.match(keep('restore', kept, dst).stdout, /restored 0 finished runs/);
});

test('keep-runs refuses bad arguments with one line and status 2', () => {
  const none = join(tmp('commons-keep-'), 'nothing');
  for (const args of [[], ['copy', 'a', 'b'], ['save', none, none + '2'], ['restore', none, none + '2']]) {
    const r = keep(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('keep-runs save fails, after copying, when git would leave the kept runs out; an exception in .gitignore makes it pass', () => {
  const src = tmp('commons-keep-');
  const file = writeSweep(src, planSweep(parseSpec({ name: 'k', games: ['harvest'], models: ['a2c'], seeds: [0], steps: 1000 })));
  const d = join(src, 'runs', file.runs[0].id);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'summary.json'), '{}');
  const repo = tmp('commons-repo-');
  assert.equal(spawnSync('git', ['init', '-q', repo]).status, 0);
  writeFileSync(join(repo, '.gitignore'), 'runs/\n');
  const kept = join(repo, 'results', 'k');
  const s = keep('save', src, kept);
  assert.equal(s.status, 1);
  assert.match(s.stderr, /ignored by git \(\.gitignore:1:runs\/\).*!\/results\/k\/runs\//);
  assert.ok(existsSync(join(kept, 'runs', file.runs[0].id, 'summary.json')), 'the runs are copied all the same');
  writeFileSync(join(repo, '.gitignore'), 'runs/\n!/results/k/runs/\n');
  const again = keep('save', src, kept);
  assert.equal(again.status, 0, again.stderr);
});

test("this repository's kept results are not ignored by git", () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync('git', ['-C', root, 'check-ignore', '-q', 'docs/results/some-sweep/runs/some-run/summary.json']);
  if (r.status === 128) return; // not a git checkout (a packed copy): nothing to check
  assert.equal(r.status, 1, 'docs/results/*/runs/ must not be ignored: the kept sweep records live there');
});

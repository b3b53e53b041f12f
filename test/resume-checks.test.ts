// Resume checks what it resumes (issue 21, reproduction 5): config.json must be an object whose settings
// agree with those the checkpoint was trained with (its manifest holds them all); a disagreement is one
// line naming the setting and both values, exit status 2, and nothing is written. The budget, the report
// and checkpoint intervals, the checkpoints kept, the name and the tags may change. A metrics line corrupt
// in the middle of metrics.jsonl is told apart from the last line cut short by a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commons, tmp } from './sweep-helpers.ts';

const TINY_FLAGS = ['--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--report-every', '40', '--checkpoint-every', '40'];
const train = (...args: string[]) => commons(['train', ...args]);
const steps = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).env_steps as number);

test('a damaged or changed config.json is refused on resume with one line naming the setting and both values; nothing is written', () => {
  const run = join(tmp(), 'run');
  assert.equal(train(...TINY_FLAGS, '--seed', '3', '--steps', '80', '--out', run).code, 0);
  const cpath = join(run, 'config.json');
  const good = JSON.parse(readFileSync(cpath, 'utf8'));
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
  const cases: [unknown, RegExp][] = [
    [{}, /config\.json lacks the setting game \(checkpoint step-000000000080 was trained with game "harvest"\): the file is damaged/],
    [null, /config\.json is corrupt: expected a JSON object of settings, got null/],
    [[1, 2], /config\.json is corrupt: expected a JSON object of settings, got \[1,2\]/],
    [{ ...good, envs: 4 }, /config\.json does not match checkpoint step-000000000080: envs is 4 in config\.json, 2 in the checkpoint \(a resumed run keeps its settings; only steps, reportEvery, checkpointEvery, keep, name, tags may change\)/],
    [{ ...good, seed: 0 }, /seed is 0 in config\.json, 3 in the checkpoint/],
    [{ ...good, model: 'influence' }, /model 'influence'|model is "influence" in config\.json, "a2c" in the checkpoint/],
    [{ ...good, lr: 0.5 }, /lr is 0\.5 in config\.json, 0\.0007 in the checkpoint/],
    [{ ...good, envs: 0 }, /config\.json: envs: expected an integer from 1 to 4096, got 0/],
  ];
  for (const [cfg, msg] of cases) {
    const text = JSON.stringify(cfg);
    writeFileSync(cpath, text);
    const r = train('--resume', run, '--steps', '120');
    assert.equal(r.code, 2, `${text}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, msg, text);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /TypeError|at /);
    assert.equal(readFileSync(cpath, 'utf8'), text, 'config.json is left as it was');
    assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), metrics, 'metrics.jsonl is left as it was');
    assert.equal(existsSync(join(run, 'lease')), false, 'the lease is given up');
  }
  // what may change: the budget (--steps), the report and checkpoint intervals, the name
  writeFileSync(cpath, JSON.stringify({ ...good, reportEvery: 80, checkpointEvery: 80, name: 'renamed' }));
  const r = train('--resume', run, '--steps', '240');
  assert.equal(r.code, 0, r.stderr);
  // the report already due (at 120) comes first, then one every 80
  assert.deepEqual(steps(run), [40, 80, 120, 200]);
  const after = JSON.parse(readFileSync(cpath, 'utf8'));
  assert.deepEqual([after.steps, after.reportEvery, after.checkpointEvery, after.name, after.seed], [240, 80, 80, 'renamed', 3]);
});

test('a metrics line corrupt mid-file is reported as damage, the last line cut short as a crash\'s', () => {
  const run = join(tmp(), 'run');
  assert.equal(train(...TINY_FLAGS, '--steps', '120', '--out', run).code, 0);
  const mpath = join(run, 'metrics.jsonl');
  const lines = readFileSync(mpath, 'utf8').trim().split('\n');
  writeFileSync(mpath, [lines[0], '{"env_steps": 80, "episo#@!', lines[2], '{"env_steps": 160, "coll'].join('\n'));
  const r = train('--resume', run, '--steps', '160');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /metrics\.jsonl: dropped 1 unreadable line\(s\) \(4\), the last, left by a write cut short/);
  assert.match(r.stderr, /metrics\.jsonl: dropped 1 unreadable line\(s\) \(2\) in the middle of the file: not a write cut short, the file was damaged/);
  assert.deepEqual(steps(run), [40, 120, 160]);
});

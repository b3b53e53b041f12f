// A full disk (issue 21, reproduction 4), for real: the run directory lives on a small tmpfs mounted in a
// mount namespace of this test's own (`unshare -rm`, no privileges needed where user namespaces are
// allowed), so the kernel itself answers ENOSPC to the trainer's writes; no write function is stubbed.
// A run that fills the disk stops with one line naming the file and the cause, exit status 2, its last
// checkpoint intact and nothing half-written left behind; `--resume --keep 2` prunes what --keep allows
// before it writes, and the run ends with the metrics of a run that never ran out of space. In a sweep, a
// run whose checkpoint cannot be written is tried again as documented (a full disk is the machine's failure,
// not the run's), then recorded as failed with that one line, not with Node's version line as the audit found.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, commons, tmp, writeSpec, TINY } from './sweep-helpers.ts';

const unshareWorks = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=1m tmpfs "$0"', tmp()]).status === 0;
const skip = unshareWorks ? false : 'needs unshare(1) with user and mount namespaces to mount a small tmpfs (a real full disk)';

const TINY_FLAGS = ['--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--report-every', '40', '--checkpoint-every', '40'];
const metrics = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => {
  const { timing: _t, ...rest } = JSON.parse(l);
  return rest;
});

/**
 * Runs `steps` (each a list of commons arguments, where FS stands for the tmpfs) in one namespace with a
 * tmpfs of `size` on a fresh folder; returns each step's status, stdout and stderr, and copies the run
 * directory FS/run out to OUT/run before the namespace (and the tmpfs) goes.
 */
function onSmallDisk(size: string, steps: string[][]): { out: string; results: { code: number; stdout: string; stderr: string }[] } {
  const dir = tmp('commons-enospc-');
  const fs = join(dir, 'fs');
  const out = join(dir, 'out');
  mkdirSync(fs);
  mkdirSync(out);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [`mount -t tmpfs -o size=${size} tmpfs ${q(fs)} || exit 99`];
  steps.forEach((args, i) => {
    const cmd = [process.execPath, CLI, ...args.map((a) => a.replace(/^FS/, fs))].map(q).join(' ');
    lines.push(`${cmd} > ${q(join(out, `${i}.out`))} 2> ${q(join(out, `${i}.err`))}; echo $? > ${q(join(out, `${i}.code`))}`);
    lines.push(`ls -a ${q(join(fs, 'run', 'checkpoints'))} > ${q(join(out, `${i}.ls`))} 2>&1`);
  });
  lines.push(`cp -r ${q(join(fs, 'run'))} ${q(join(out, 'run'))}`);
  writeFileSync(join(dir, 'script.sh'), lines.join('\n') + '\n');
  const r = spawnSync('unshare', ['-rm', 'sh', join(dir, 'script.sh')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const read = (f: string) => readFileSync(join(out, f), 'utf8');
  return { out, results: steps.map((_, i) => ({ code: Number(read(`${i}.code`)), stdout: read(`${i}.out`), stderr: read(`${i}.err`), ls: read(`${i}.ls`) })) };
}

test('a full disk stops a run with one line naming the file, exit 2, the last checkpoint intact; --resume --keep 2 makes room and ends it as if never stopped', { skip }, () => {
  // each checkpoint is about 1.4 MB: 6 MB holds four, and a run that keeps all of them fills it
  const { out, results } = onSmallDisk('6m', [
    ['train', ...TINY_FLAGS, '--steps', '400', '--keep', '0', '--out', 'FS/run'],
    ['checkpoints', 'FS/run', '--verify', '--json'],
    ['train', '--resume', 'FS/run', '--steps', '400'],
    ['train', '--resume', 'FS/run', '--steps', '400', '--keep', '2'],
  ]);
  const [full, verify, again, pruned] = results;
  assert.equal(full.code, 2, full.stdout + full.stderr);
  assert.equal(full.stderr.trim().split('\n').length, 1, full.stderr);
  assert.match(full.stderr, /^commons train: \S+\/run\/\S+: no space left on the device; the run stopped, its last checkpoint \(step-\d+\) is intact \(continue with: commons train --resume \S+ once there is room; --keep K prunes older checkpoints\)\n$/);
  assert.doesNotMatch(full.stderr, /ENOSPC|at |Node\.js/);
  assert.doesNotMatch((full as { ls?: string }).ls ?? '', /\.tmp-|\.latest-/, 'the save cut short left nothing behind');
  const listed = JSON.parse(verify.stdout).checkpoints as { id: string; intact: boolean }[];
  assert.ok(listed.length >= 2, verify.stdout);
  assert.ok(listed.every((c) => c.intact), verify.stdout);
  // without --keep there is still no room: the same line again
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /no space left on the device; the run stopped/);
  // --keep 2: the checkpoints beyond two go before anything is written, and the run ends
  assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
  assert.match(pruned.stdout, /done: 400 env steps/);
  const reference = join(tmp(), 'ref');
  assert.equal(commons(['train', ...TINY_FLAGS, '--steps', '400', '--keep', '0', '--out', reference]).code, 0);
  assert.deepEqual(metrics(join(out, 'run', 'metrics.jsonl')), metrics(join(reference, 'metrics.jsonl')), 'the metrics of a run that never ran out of space');
});

test('a sweep run on a full disk: tried again, then failed with the line naming the file and the cause', { skip }, () => {
  const dir = tmp('commons-enospc-');
  const fs = join(dir, 'fs');
  mkdirSync(fs);
  // a checkpoint is about 1.4 MB: 2.5 MB holds one, not two
  const spec = writeSpec(dir, 'full', { games: ['harvest'], models: ['a2c'], seeds: [0], steps: 400, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const out = join(fs, 'out');
  const script = [
    `mount -t tmpfs -o size=2500k tmpfs ${q(fs)} || exit 99`,
    `${q(process.execPath)} ${q(CLI)} sweep run ${q(spec)} --out ${q(out)} > ${q(join(dir, 'run.out'))} 2> ${q(join(dir, 'run.err'))}; echo $? > ${q(join(dir, 'run.code'))}`,
    `${q(process.execPath)} ${q(CLI)} sweep status ${q(out)} --json > ${q(join(dir, 'status.json'))} 2>&1`,
    `ls -a ${q(join(out, 'runs', 'harvest-a2c-s0', 'checkpoints'))} > ${q(join(dir, 'ls'))}`,
  ].join('\n');
  writeFileSync(join(dir, 'script.sh'), script + '\n');
  const r = spawnSync('unshare', ['-rm', 'sh', join(dir, 'script.sh')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const log = read('run.out');
  assert.equal(Number(read('run.code')), 1, log + read('run.err'));
  const line = /\S+\/runs\/harvest-a2c-s0\/\S+: no space left on the device/;
  assert.match(log, new RegExp(`harvest-a2c-s0: ${line.source}; trying again \\(1 of 2\\)`));
  assert.match(log, new RegExp(`harvest-a2c-s0: ${line.source}; trying again \\(2 of 2\\)`));
  assert.match(log, new RegExp(`harvest-a2c-s0: FAILED: ${line.source}`));
  assert.match(read('run.err'), new RegExp(`^commons sweep run: 1 run\\(s\\) failed: harvest-a2c-s0 \\(${line.source}\\)\\n$`));
  assert.doesNotMatch(log + read('run.err'), /Node\.js v|ENOSPC|status 1/);
  const st = JSON.parse(read('status.json'));
  assert.equal(st.rows[0].state, 'failed', read('status.json'));
  assert.match(st.rows[0].error, line);
  assert.doesNotMatch(read('ls'), /\.tmp-|\.latest-/, 'the saves cut short left nothing behind');
});

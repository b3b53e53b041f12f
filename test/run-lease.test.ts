// One writer per run directory, whatever the command (issue 21's reproductions 2, 3 and 7, and the lease's
// promises): `train --resume` and `--out`, `checkpoints --mark` and a sweep share one lease; a second writer
// is refused with one line naming the holder (host, pid, since) and exit status 2; a holder dead on this
// host is taken over at once (its pid is checked), one of another host after its time to live; a holder
// that lost the run writes nothing more (metrics, checkpoint, summary) and leaves no temporary file; what
// an earlier holder left half-written is removed by the next one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Lease, LeaseLost, beatPath, leasePath, readLease } from '../src/hosting/lease.ts';
import { createTrainer } from '../src/hosting/run-dir.ts';
import { listCheckpoints, latestId } from '../src/hosting/checkpoint.ts';
import { CLI, commons, tmp, waitFor, writeSpec, TINY } from './sweep-helpers.ts';

const TINY_FLAGS = ['--game', 'harvest', '--agents', '2', '--envs', '2', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--report-every', '40', '--checkpoint-every', '40'];
const train = (...args: string[]) => commons(['train', ...args]);
const steps = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).env_steps as number);
/** The one line a refused writer prints: who holds the run, since when. */
const HELD = /is being written by pid (\d+) on host (\S+) since (\d{4}-\d\d-\d\dT[\d:.]+Z); one process writes a run at a time/;

/** The pid of a process that has exited (free on this host, as a crashed holder's is). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Lease files as another holder leaves them: `host`, `pid`, a beat that expires in `expiresInMs` (negative: expired). */
function foreignLease(dir: string, host: string, pid: number, expiresInMs: number, extra: Record<string, unknown> = {}): string {
  const owner = `${host}:${pid}:0123456789ab`;
  writeFileSync(leasePath(dir), JSON.stringify({ owner, host, pid, acquired: Date.now() - 5000, ...extra }));
  writeFileSync(beatPath(dir, owner), JSON.stringify({ heartbeat: Date.now(), expires: Date.now() + expiresInMs }));
  return owner;
}

/** Replaces the lease behind its holder's back, as a process that took the run over does. */
function steal(dir: string): void {
  const text = JSON.stringify({ owner: 'elsewhere:1:abcdefabcdef', host: 'elsewhere', pid: 1, acquired: Date.now() });
  writeFileSync(leasePath(dir) + '.x', text);
  renameSync(leasePath(dir) + '.x', leasePath(dir));
}

test('a second writer of a run is refused with one line naming the holder, whatever the command; two --resume at once write each line once', async () => {
  const run = join(tmp(), 'run');
  assert.equal(train(...TINY_FLAGS, '--steps', '80', '--out', run).code, 0);
  // the first writer continues the run until it is stopped
  const first = spawn(process.execPath, [CLI, 'train', '--resume', run, '--steps', '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  first.stdout.on('data', (d) => { log += d; });
  first.stderr.on('data', (d) => { log += d; });
  const exited = new Promise<number | null>((r) => first.on('exit', r));
  try {
    await waitFor('the first writer to train', () => /resuming/.test(log) && steps(run).length > 2, 60_000, 20);
    const configBefore = readFileSync(join(run, 'config.json'), 'utf8');
    for (const args of [['train', '--resume', run, '--steps', '2000000'], ['train', ...TINY_FLAGS, '--steps', '40', '--out', run], ['checkpoints', run, '--mark', 'latest']]) {
      const r = commons(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const m = HELD.exec(r.stderr);
      assert.ok(m, r.stderr);
      assert.equal(Number(m[1]), first.pid, 'the holder named is the first writer');
      assert.equal(m[2], hostname());
      assert.ok(Math.abs(Date.parse(m[3]) - Date.now()) < 120_000, m[3]);
    }
    assert.equal(readFileSync(join(run, 'config.json'), 'utf8'), configBefore, 'the refused writers changed nothing');
  } finally {
    if (first.exitCode === null) first.kill('SIGTERM');
  }
  assert.equal(await exited, 143, log);
  // one writer: every metrics line once, in order (the audit found 41-44 duplicate, out-of-order lines)
  const s = steps(run);
  assert.deepEqual(s, Array.from({ length: s.length }, (_, i) => 40 * (i + 1)));
  assert.equal(existsSync(leasePath(run)), false, 'the lease is released at the end');
  // the next writer is welcome
  const again = train('--resume', run, '--steps', String(s.at(-1)! + 40));
  assert.equal(again.code, 0, again.stderr);
});

test('a holder dead on this host is taken over at once; one of another host only after its time to live', () => {
  const run = join(tmp(), 'run');
  assert.equal(train(...TINY_FLAGS, '--steps', '80', '--out', run).code, 0);
  // a fresh lease (60 s to go) of a process of this host that is gone: `kill -9` of a trainer leaves this
  foreignLease(run, hostname(), deadPid(), 60_000);
  const t0 = Date.now();
  const r = train('--resume', run, '--steps', '120');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - t0 < 60_000, 'it did not wait for the dead holder\'s lease to expire');
  assert.deepEqual(steps(run), [40, 80, 120]);
  // a holder in another pid namespace (a container sharing this host name) is not judged by its pid
  foreignLease(run, hostname(), deadPid(), 60_000, { pidns: 'pid:[1]' });
  const container = train('--resume', run, '--steps', '160');
  assert.equal(container.code, 2, container.stderr);
  assert.match(container.stderr, HELD);
  // another host's fresh lease: refused (its pid cannot be checked from here)
  foreignLease(run, 'elsewhere', 4242, 60_000);
  const held = train('--resume', run, '--steps', '160');
  assert.equal(held.code, 2);
  assert.match(held.stderr, /is being written by pid 4242 on host elsewhere since .*in \d+ s if it stops renewing it/);
  // ...and once its beat has expired, taken over
  foreignLease(run, 'elsewhere', 4242, -1000);
  const later = train('--resume', run, '--steps', '160');
  assert.equal(later.code, 0, later.stderr);
  assert.deepEqual(steps(run), [40, 80, 120, 160]);
});

test('a holder that lost its lease writes no metrics line, checkpoint or summary more, and leaves no temporary file', async () => {
  const dir = tmp();
  const cfg = { game: 'harvest' as const, ...TINY, steps: 100_000, reportEvery: 40, checkpointEvery: 80, seed: 3 };
  // lost between two updates: the next metrics line is refused
  const a = join(dir, 'a');
  const ta = await createTrainer(cfg, a);
  let stolenAt = -1;
  await assert.rejects(ta.run({
    onReport: (row) => {
      if (row.env_steps === 120) {
        steal(a);
        stolenAt = steps(a).length;
      }
    },
  }), (e) => e instanceof LeaseLost && /lost its lease on the run to pid 1 on host elsewhere/.test(e.message));
  await ta.close();
  assert.equal(stolenAt, 3);
  assert.deepEqual(steps(a), [40, 80, 120], 'nothing was written after the loss');
  assert.deepEqual(listCheckpoints(a), ['step-000000000080']);
  assert.equal(existsSync(join(a, 'summary.json')), false);
  assert.equal(JSON.parse(readFileSync(leasePath(a), 'utf8')).owner, 'elsewhere:1:abcdefabcdef', 'the new holder\'s lease is left alone');

  // lost in the middle of a checkpoint (the audit: a frozen holder woke up mid-save): the save stops, its
  // temporary directory goes, latest.json still names the previous checkpoint
  const b = join(dir, 'b');
  const tb = await createTrainer(cfg, b);
  await assert.rejects(tb.run({
    saveHook: (stage) => { if (stage === 'env' && listCheckpoints(b).length === 2) steal(b); },
  }), LeaseLost);
  await tb.close();
  assert.deepEqual(listCheckpoints(b), ['step-000000000080', 'step-000000000160']);
  assert.equal(latestId(b), 'step-000000000160');
  assert.deepEqual(readdirSync(join(b, 'checkpoints')).filter((n) => n.startsWith('.')), [], 'no temporary file is left');
  assert.equal(existsSync(join(b, 'summary.json')), false);
});

test('what an earlier writer left half-written is removed by the next holder, even if its process still runs', () => {
  const run = join(tmp(), 'run');
  assert.equal(train(...TINY_FLAGS, '--steps', '80', '--out', run).code, 0);
  // a holder that lost the lease while frozen (its pid alive: this test's own) left these behind
  const leftovers = [join('checkpoints', `.tmp-step-000000000120-${process.pid}-abcdef`), join('checkpoints', `.latest-${process.pid}-abcdef.json`), `config.json.${process.pid}.tmp`, `metrics.jsonl.${process.pid}.tmp`];
  mkdirSync(join(run, leftovers[0]));
  writeFileSync(join(run, leftovers[0], 'tensors.bin'), 'partial');
  for (const f of leftovers.slice(1)) writeFileSync(join(run, f), 'partial');
  const r = train('--resume', run, '--steps', '120');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed 4 unfinished file\(s\) that an earlier writer of .* left/);
  for (const f of leftovers) assert.equal(existsSync(join(run, f)), false, f);
});

test('sweep run right after a crash trains the run the dead process held; one held by a live process makes it exit 1, naming it', () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'crash', { games: ['harvest'], models: ['a2c'], seeds: [0, 1], steps: 80, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } });
  const out = join(dir, 'out');
  const runs = join(out, 'runs');
  // a crashed `sweep run` left a fresh lease of a process that is gone on s0, and a live process holds s1
  mkdirSync(join(runs, 'harvest-a2c-s0'), { recursive: true });
  mkdirSync(join(runs, 'harvest-a2c-s1'), { recursive: true });
  foreignLease(join(runs, 'harvest-a2c-s0'), hostname(), deadPid(), 60_000);
  const live = Lease.acquire(join(runs, 'harvest-a2c-s1'), 60_000);
  assert.ok(live.ok);
  try {
    const r = commons(['sweep', 'run', spec, '--out', out, '--jobs', '2']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /harvest-a2c-s0: done/);
    assert.match(r.stdout, new RegExp(`harvest-a2c-s1: held by pid ${process.pid} on host ${hostname()} since`));
    assert.match(r.stderr, /1 run\(s\) are held by other processes and not finished here: harvest-a2c-s1/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  } finally {
    live.lease.release();
  }
  // the holder gone, the same command completes the sweep and exits 0: `sweep run && sweep report` is safe
  const rest = commons(['sweep', 'run', spec, '--out', out]);
  assert.equal(rest.code, 0, rest.stdout + rest.stderr);
  assert.match(rest.stdout, /2 of 2 done, 0 failed/);
  assert.equal(readLease(join(runs, 'harvest-a2c-s0')), null);
});

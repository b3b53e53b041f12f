// A sweep child that fails before or during training exits with a status and one line that its host records
// (issue 21, reproduction 1: it used to live on behind its open IPC channel, and its worker slot hung):
//   - a run directory replaced by a file, a run name too long for a directory, a read-only run directory,
//     with `commons sweep run` and with `commons worker --concurrency 1` (a real redis-server);
//   - a crafted job whose directory is the store's root ('.') is refused;
//   - a process that dies without a word is described by its error's line, not by Node's version line;
//   - a Redis without appendonly is warned about, and `sweep status` names the runs whose jobs it lost.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { CLI, cleanup, commons, queueAt, redisMissing, startRedis, startWorkerProc, tmp, waitFor, writeSpec, TINY, type RedisServer } from './sweep-helpers.ts';
import { startRun, errorLine } from '../src/sweep/runner.ts';
import { runDirIn } from '../src/sweep/worker.ts';
import { planSweep, parseSpec } from '../src/sweep/spec.ts';
import { resolveTrainConfig } from '../src/learn/config.ts';

const SMALL = { games: ['harvest'], models: ['a2c'], steps: 40, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } };

/** Whether this machine lets a test make a directory read-only for a command: as a user, chmod; as root
 * (whom permissions do not stop), a read-only bind mount in a mount namespace of its own (unshare). */
const isRoot = process.getuid?.() === 0;
const unshareWorks = spawnSync('unshare', ['-rm', 'true']).status === 0;
const roMissing = isRoot && !unshareWorks ? 'running as root without unshare(1) user namespaces: no way to make a directory read-only for root' : false;

/** Runs `commons ARGS` with `dir` read-only. */
function commonsReadOnly(dir: string, args: string[], timeout = 120_000) {
  if (!isRoot) {
    chmodSync(dir, 0o555);
    try {
      return commons(args, { timeout });
    } finally {
      chmodSync(dir, 0o755);
    }
  }
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', dir, process.execPath, CLI, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

test('sweep run: a run directory replaced by a file fails that run with one line; the others finish; no hang', () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'stray', { ...SMALL, seeds: [0, 1] });
  const out = join(dir, 'out');
  mkdirSync(join(out, 'runs'), { recursive: true });
  writeFileSync(join(out, 'runs', 'harvest-a2c-s0'), 'stray\n');
  const r = commons(['sweep', 'run', spec, '--out', out, '--jobs', '1'], { timeout: 120_000 });
  assert.equal(r.signal, null, 'it ended on its own');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /harvest-a2c-s0: FAILED: run: .*harvest-a2c-s0 exists and is a file, not a directory/);
  assert.match(r.stdout, /harvest-a2c-s1: done/);
  assert.match(r.stderr, /^commons sweep run: 1 run\(s\) failed: harvest-a2c-s0 \(run: .* exists and is a file, not a directory\)\n$/);
  assert.equal((r.stdout.match(/harvest-a2c-s0: FAILED/g) ?? []).length, 1, 'a run\'s own failure is not tried again');
  const st = commons(['sweep', 'status', out]);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /harvest-a2c-s0\s+failed\s+.*is a file, not a run directory/);
  assert.equal(readFileSync(join(out, 'runs', 'harvest-a2c-s0'), 'utf8'), 'stray\n', 'the file is left alone');
});

test('sweep run: a read-only run directory fails that run with one line naming the cause; no hang', { skip: roMissing }, () => {
  const dir = tmp();
  const spec = writeSpec(dir, 'ro', { ...SMALL, seeds: [0, 1] });
  const out = join(dir, 'out');
  const runDir = join(out, 'runs', 'harvest-a2c-s0');
  mkdirSync(runDir, { recursive: true });
  const r = commonsReadOnly(runDir, ['sweep', 'run', spec, '--out', out, '--jobs', '1']);
  assert.equal(r.signal, null, 'it ended on its own');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /harvest-a2c-s0: FAILED: .*harvest-a2c-s0\/lease.*: (the file system is read-only|permission denied)/);
  assert.match(r.stdout, /harvest-a2c-s1: done/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('run ids stay short enough for a directory; a child given a 312-character run name fails with one line', async () => {
  // ten grid settings with long values give a 300-odd character id: the grid part becomes a hash
  const grid = Object.fromEntries(['lr', 'entropyCoef', 'valueCoef', 'gamma', 'maxGradNorm', 'iaAlpha', 'iaBeta', 'commLossWeight', 'moaLossWeight', 'influenceClip']
    .map((k, i) => [k, [0.000123456789012 + i * 1e-6, 0.000223456789012 + i * 1e-6]]));
  const plan = planSweep(parseSpec({ name: 'long', ...SMALL, seeds: [0], grid }));
  assert.equal(plan.runs.length, 1024);
  for (const r of plan.runs) assert.ok(r.id.length <= 200, `${r.id.length}: ${r.id}`);
  assert.match(plan.runs[0].id, /^harvest-a2c-g[0-9a-f]{12}-s0$/);
  assert.equal(new Set(plan.runs.map((r) => r.id)).size, 1024, 'every grid point keeps an id of its own');
  assert.deepEqual(planSweep(parseSpec({ name: 'long', ...SMALL, seeds: [0], grid })).runs.map((r) => r.id), plan.runs.map((r) => r.id), 'stable');

  // a run directory whose name no file system takes (a sweep.json or a job from elsewhere)
  const runDir = join(tmp(), 'r'.repeat(312));
  const res = await startRun({
    type: 'run', runDir, config: resolveTrainConfig({ game: 'harvest', ...TINY, steps: 40 }), leaseTtlMs: 60_000, heartbeatMs: 1000,
    checkpointMinutes: 10, keepCheckpoints: 2, progressMs: 1000, via: 'test',
  }).done;
  assert.equal(res.outcome, 'failed', res.stderrTail);
  assert.equal(res.exitCode, 3);
  assert.match(res.end?.error ?? '', /^run: cannot create .*r{312}: the name is too long$/);
});

test('a crafted job cannot train outside its run directory: the store\'s root, another sweep, an absolute path', () => {
  const job = (dir: string, sweep = 'q', run = 'harvest-a2c-s0') => () => runDirIn('/store', { dir, sweep, run });
  for (const dir of ['.', '', 'q', 'q/runs', '../x', '/etc', 'q/runs/../../x', 'other/runs/harvest-a2c-s0', 'q/runs/harvest-a2c-s1']) {
    assert.throws(job(dir), /job: run directory .* is not q\/runs\/harvest-a2c-s0/, dir);
  }
  assert.throws(job('../runs/x', '..', 'x'), /job: sweep name "\.\." is not a sweep name/);
  assert.throws(job('q/runs/..', 'q', '..'), /job: run name "\.\." is not a run name/);
  assert.equal(runDirIn('/store', { dir: 'q/runs/harvest-a2c-s0', sweep: 'q', run: 'harvest-a2c-s0' }), '/store/q/runs/harvest-a2c-s0');
  assert.equal(runDirIn('/store', { dir: 'q/runs/harvest-a2c-lr1e+21-s0', sweep: 'q', run: 'harvest-a2c-lr1e+21-s0' }), '/store/q/runs/harvest-a2c-lr1e+21-s0');
});

test('a process that dies without a word is described by its error, not by the Node version line', () => {
  const r = spawnSync(process.execPath, ['-e', 'const e = new Error("ENOSPC: no space left on device, write"); Object.assign(e, { errno: -28, code: "ENOSPC", syscall: "write" }); throw e;'], { encoding: 'utf8' });
  assert.match(r.stderr, /Node\.js v\d/);
  assert.equal(errorLine(r.stderr), 'Error: ENOSPC: no space left on device, write');
  assert.equal(errorLine('plain words\n'), 'plain words');
});

// ---- with a queue ----

const skip = redisMissing ?? false;
let redis: RedisServer;
before(async () => { if (!redisMissing) redis = await startRedis(); });
after(async () => { if (!redisMissing) await cleanup([], redis); });

/** A queue handle for the test to read job states with (its own connection). */
const withQueue = <T>(name: string, fn: (q: Queue) => Promise<T>) => queueAt(redis.url, name, fn);

test('commons worker --concurrency 1: a run directory replaced by a file, a 312-character run name and a job for the store\'s root each fail with their reason; the other runs finish', { skip }, async () => {
  const work = tmp();
  const store = join(work, 'store');
  mkdirSync(store);
  const spec = writeSpec(work, 'hang', { ...SMALL, seeds: [0, 1] });
  const sub = commons(['sweep', 'submit', spec, '--queue', redis.url, '--store', store, '--queue-name', 'hang']);
  assert.equal(sub.code, 0, sub.stderr);
  // the audit's reproduction: rm -rf st/S/runs/R; echo stray > st/S/runs/R
  writeFileSync(join(store, 'hang', 'runs', 'harvest-a2c-s0'), 'stray\n');
  const long = 'harvest-a2c-' + 'x'.repeat(300);
  const config = resolveTrainConfig({ game: 'harvest', ...TINY, steps: 40 });
  await withQueue('hang', (q) => q.addBulk([long, 'root'].map((run) => ({
    name: 'train',
    data: { sweep: 'hang', run, dir: run === 'root' ? '.' : `hang/runs/${run}`, config, checkpointMinutes: 10, keepCheckpoints: 2 },
    opts: { jobId: `hang/${run}`, attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
  }))));
  const w = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'hang', '--concurrency', '1']);
  try {
    const ids = ['harvest-a2c-s0', 'harvest-a2c-s1', long, 'root'];
    await waitFor('every job to end', () => withQueue('hang', async (q) => {
      const jobs = await Promise.all(ids.map((id) => q.getJob(`hang/${id}`)));
      return jobs.every((j) => j?.finishedOn);
    }), 120_000, 300).catch((e) => { throw new Error(`${e.message}\n${w.out()}`); });
    await withQueue('hang', async (q) => {
      const [s0, s1, l, root] = await Promise.all(ids.map((id) => q.getJob(`hang/${id}`)));
      assert.equal(await s1!.getState(), 'completed');
      for (const [j, reason] of [[s0, /^run: .*harvest-a2c-s0 exists and is a file, not a directory$/], [l, /^run: cannot create .*x{300}: the name is too long$/],
        [root, /^job: run directory "\." is not hang\/runs\/root/]] as const) {
        assert.equal(await j!.getState(), 'failed', j!.id);
        assert.match(j!.failedReason, reason);
        assert.equal(j!.attemptsMade, 1, `${j!.id}: a run's own failure is not retried`);
      }
    });
    assert.equal(existsSync(join(store, 'hang', 'runs', 'harvest-a2c-s1', 'summary.json')), true);
    assert.equal(existsSync(join(store, 'config.json')), false, 'nothing trained in the store\'s root');
    const st = commons(['sweep', 'status', join(store, 'hang'), '--queue', redis.url, '--queue-name', 'hang']);
    assert.match(st.stdout, /harvest-a2c-s0\s+failed\s+failed \(1 try\).*is a file, not a run directory/);
    assert.ok(w.proc.exitCode === null, 'the worker is still up');
  } finally {
    w.proc.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.out());
    await cleanup([w]);
  }
});

test('a Redis without appendonly is warned about; sweep status names the unfinished runs whose jobs it lost', { skip }, async () => {
  const work = tmp();
  const store = join(work, 'store');
  mkdirSync(store);
  const spec = writeSpec(work, 'aof', { ...SMALL, seeds: [0, 1] });
  const bare = await startRedis({ appendonly: false });
  try {
    const r = commons(['sweep', 'submit', spec, '--queue', bare.url, '--store', store, '--queue-name', 'aof']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^commons sweep submit: warning: Redis at redis:\/\/127\.0\.0\.1:\d+ keeps no append-only file \(appendonly no\): if it restarts, the queued jobs are lost/);
    // the restart: without its append-only file, Redis comes back empty
    await bare.stop();
    await bare.start();
    const st = commons(['sweep', 'status', join(store, 'aof'), '--queue', bare.url, '--queue-name', 'aof']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /2 unfinished run\(s\) have no job in the queue \(harvest-a2c-s0, harvest-a2c-s1\): .* queue them again with commons sweep submit/);
    const again = commons(['sweep', 'submit', spec, '--queue', bare.url, '--store', store, '--queue-name', 'aof']);
    assert.match(again.stdout, /2 run\(s\) enqueued/);
  } finally {
    await cleanup([], bare);
  }
});

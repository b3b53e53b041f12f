// Distributed sweeps on a real redis-server (started here on 127.0.0.1 and a free port, append-only
// persistence, noeviction) with real `commons worker` processes and real signals:
//   - 12 runs over 3 workers: every run finishes once, results complete, report written;
//   - a worker SIGKILLed (with its training process) mid-run: another worker resumes the run from its
//     checkpoint and the run's metrics equal an uninterrupted run's;
//   - a worker's queue process SIGKILLed alone: its child checkpoints and stops, the run resumes elsewhere;
//   - SIGTERM: the worker checkpoints, hands the run back, exits; another worker ends it identically;
//   - Redis restarted mid-sweep: the sweep completes, nothing trained twice, metrics identical;
//   - two workers racing for one re-delivered run: one trains, the other backs off;
//   - bad specs and an unreachable Redis: one line naming the field, exit 2, nothing enqueued;
//   - a run that fails for its own reason fails once, with its error in status.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import {
  cleanup, commons, events, freePort, metricsSansTiming, queueAt, redisMissing, startRedis, startWorkerProc, tmp, waitFor, writeSpec, TINY,
  type RedisServer, type WorkerProc,
} from './sweep-helpers.ts';

const skip = redisMissing ?? false;
if (redisMissing) console.log(`# sweep-queue tests skipped: ${redisMissing}`);

let redis: RedisServer;
let work: string;
/** An uninterrupted local sweep of the runs the fault tests interrupt: what their metrics must equal. */
let reference: string;
// 2,000 steps: long enough that a kill or a stop lands mid-run on a loaded machine, with checkpoints every 40
const DET = { games: ['harvest'], models: ['a2c'], steps: 2000, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } };

before(async () => {
  if (redisMissing) return;
  redis = await startRedis();
  work = tmp();
  reference = join(work, 'reference');
  const r = commons(['sweep', 'run', writeSpec(work, 'det', { ...DET, seeds: [0, 1, 2, 3] }), '--out', reference, '--jobs', '2']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

after(async () => {
  if (!redisMissing) await cleanup([], redis);
});

/** A queue handle for the test to read job states with (its own connection). */
const withQueue = <T>(name: string, fn: (q: Queue) => Promise<T>) => queueAt(redis.url, name, fn);

/** Each test has a queue of its own (BullMQ's stalled-check throttle is per queue: one test's workers must not pace another's). */
async function jobsDone(sweep: string, ids: string[]): Promise<boolean> {
  return withQueue(sweep, async (q) => {
    const states = await Promise.all(ids.map(async (id) => (await q.getJob(`${sweep}/${id}`))?.getState()));
    return states.every((s) => s === 'completed');
  });
}

function submit(specPath: string, store: string, queue: string) {
  const r = commons(['sweep', 'submit', specPath, '--queue', redis.url, '--store', store, '--queue-name', queue]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r;
}

const FAST_FAILOVER = ['--lock-duration', '2', '--stalled-interval', '1', '--lease-ttl', '3', '--heartbeat', '0.5'];

async function stopWorker(w: WorkerProc): Promise<number | null> {
  w.proc.kill('SIGTERM');
  return w.exited;
}

test('12 runs over 3 worker processes: every run finishes once, results complete, report written', { skip }, async () => {
  const store = join(work, 'store-a');
  mkdirSync(store);
  const spec = writeSpec(work, 'twelve', { games: ['harvest'], models: ['a2c', 'inequity-aversion'], seeds: [0, 1, 2, 3, 4, 5], steps: 80, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } });
  const s = submit(spec, store, 'twelve');
  assert.match(s.stdout, /sweep twelve: 12 run\(s\) enqueued, 0 already queued/);
  // submitting again adds nothing
  assert.match(submit(spec, store, 'twelve').stdout, /0 run\(s\) enqueued, 12 already queued/);
  const workers = [0, 1, 2].map(() => startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'twelve', '--concurrency', '1']));
  try {
    const ids = JSON.parse(commons(['sweep', 'plan', spec, '--json']).stdout).runs.map((r: { id: string }) => r.id) as string[];
    assert.equal(ids.length, 12);
    await waitFor('12 completed jobs', () => jobsDone('twelve', ids), 180_000, 500);
    const dir = join(store, 'twelve');
    const hosts = new Set<string>();
    await withQueue('twelve', async (q) => {
      const counts = await q.getJobCounts();
      assert.equal(counts.completed, 12);
      assert.equal(counts.failed, 0);
      for (const id of ids) hosts.add((await q.getJob(`twelve/${id}`))!.returnvalue.host);
    });
    assert.ok(hosts.size >= 2, `the runs were shared among the workers (${[...hosts].join(', ')})`);
    for (const id of ids) {
      assert.deepEqual(events(join(dir, 'runs', id)).map((e) => e.event), ['start', 'done'], `${id} trained exactly once`);
      assert.deepEqual(metricsSansTiming(join(dir, 'runs', id)).map((m) => m.env_steps), [40, 80]);
    }
    const st = commons(['sweep', 'status', dir, '--queue', redis.url, '--queue-name', 'twelve']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /12 runs: 12 done, 0 running, 0 paused, 0 pending, 0 failed/);
    assert.match(st.stdout, /harvest-a2c-s0\s+done\s+completed/);
    const rep = commons(['sweep', 'report', dir, '--baseline', 'a2c']);
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stdout, /\| inequity-aversion \| 6 \| .* \| t = -?\d+\.\d+, p = /);
    for (const f of ['report.md', 'report.csv', 'report.json', 'harvest-collective_return.png']) assert.ok(existsSync(join(dir, 'report', f)), f);
  } finally {
    const codes = await Promise.all(workers.map(stopWorker));
    assert.deepEqual(codes, [0, 0, 0], workers.map((w) => w.out()).join('\n---\n'));
  }
});

test('a worker SIGKILLed mid-run: another worker resumes the run and ends with the uninterrupted metrics', { skip }, async () => {
  const store = join(work, 'store-b');
  mkdirSync(store);
  const spec = writeSpec(work, 'kill', { ...DET, seeds: [0] });
  const runDir = join(store, 'kill', 'runs', 'harvest-a2c-s0');
  submit(spec, store, 'kill');
  const first = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'kill', '--concurrency', '1', ...FAST_FAILOVER]);
  let second: WorkerProc | null = null;
  try {
    await waitFor('the first worker to start the run', () => /harvest-a2c-s0: started/.test(first.out()), 60_000);
    second = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'kill', '--concurrency', '1', ...FAST_FAILOVER]);
    await waitFor('the second worker to be ready', () => /ready/.test(second!.out()), 60_000);
    // kill the first worker and its training process once the run has a checkpoint, half way through
    await waitFor('a checkpoint at 160 env steps or more', () => {
      const p = join(runDir, 'checkpoints', 'latest.json');
      return existsSync(p) && Number(JSON.parse(readFileSync(p, 'utf8')).id.slice(5)) >= 160;
    }, 60_000, 10);
    first.killGroup();
    await first.exited;
    const killedAt = Number(JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest.json'), 'utf8')).id.slice(5));
    assert.ok(killedAt < 2000, 'killed before the end');
    await waitFor('the job to complete on the second worker', () => jobsDone('kill', ['harvest-a2c-s0']), 120_000, 300);
    const ev = events(runDir);
    assert.deepEqual(ev.map((e) => e.event), ['start', 'resume', 'done'], second.out());
    assert.equal(ev[1].env_steps, killedAt, 'resumed from the last checkpoint');
    assert.notEqual(ev[1].owner, ev[0].owner);
    assert.match(second.out(), /harvest-a2c-s0: resumed at/);
    assert.deepEqual(metricsSansTiming(runDir), metricsSansTiming(join(reference, 'runs', 'harvest-a2c-s0')), 'metrics identical to the uninterrupted run');
  } finally {
    await cleanup([first, ...(second ? [second] : [])]);
  }
});

test('a worker\'s queue process SIGKILLed alone: its training child checkpoints and stops; another worker resumes it', { skip }, async () => {
  const store = join(work, 'store-b2');
  mkdirSync(store);
  const spec = writeSpec(work, 'orphan', { ...DET, seeds: [3] });
  const runDir = join(store, 'orphan', 'runs', 'harvest-a2c-s3');
  submit(spec, store, 'orphan');
  const first = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'orphan', '--concurrency', '1', ...FAST_FAILOVER]);
  let second: WorkerProc | null = null;
  try {
    await waitFor('a first checkpoint', () => existsSync(join(runDir, 'checkpoints', 'latest.json')), 60_000, 10);
    process.kill(first.proc.pid!, 'SIGKILL');
    await first.exited;
    // the child sees its channel close: it saves a checkpoint, releases the lease and exits
    await waitFor('the orphaned child to stop', () => events(runDir).some((e) => e.event === 'stop'), 30_000, 20);
    await waitFor('the lease to be released', () => !existsSync(join(runDir, 'lease')), 10_000, 20);
    const stoppedAt = events(runDir).find((e) => e.event === 'stop')!.env_steps!;
    second = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'orphan', '--concurrency', '1', ...FAST_FAILOVER]);
    await waitFor('the job to complete on the second worker', () => jobsDone('orphan', ['harvest-a2c-s3']), 120_000, 300);
    assert.deepEqual(events(runDir).map((e) => [e.event, e.env_steps]), [['start', 0], ['stop', stoppedAt], ['resume', stoppedAt], ['done', 2000]]);
    assert.deepEqual(metricsSansTiming(runDir), metricsSansTiming(join(reference, 'runs', 'harvest-a2c-s3')));
  } finally {
    await cleanup([first, ...(second ? [second] : [])]);
  }
});

test('SIGTERM: the worker checkpoints, hands the run back and exits; another worker ends it identically', { skip }, async () => {
  const store = join(work, 'store-c');
  mkdirSync(store);
  const spec = writeSpec(work, 'term', { ...DET, seeds: [1] });
  const runDir = join(store, 'term', 'runs', 'harvest-a2c-s1');
  submit(spec, store, 'term');
  const w = startWorkerProc(['--queue', redis.url, '--store', store, '--concurrency', '1', '--queue-name', 'term']);
  let w2: WorkerProc | null = null;
  try {
    await waitFor('a first checkpoint', () => existsSync(join(runDir, 'checkpoints', 'latest.json')), 60_000, 10);
    const code = await stopWorker(w);
    assert.equal(code, 0, w.out());
    assert.match(w.out(), /SIGTERM: stopping/);
    const m = /harvest-a2c-s1: stopped at ([\d,]+) env steps, checkpoint saved; handed back to the queue/.exec(w.out());
    assert.ok(m, w.out());
    const stoppedAt = Number(m![1].replace(/,/g, ''));
    assert.ok(stoppedAt > 0 && stoppedAt < 2000, String(stoppedAt));
    assert.equal(JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest.json'), 'utf8')).id, `step-${String(stoppedAt).padStart(12, '0')}`);
    assert.equal(existsSync(join(runDir, 'lease')), false, 'the lease is released');
    const state = await withQueue('term', async (q) => (await q.getJob('term/harvest-a2c-s1'))!.getState());
    assert.equal(state, 'waiting', 'the job is back in the queue');
    const st = commons(['sweep', 'status', join(store, 'term'), '--queue', redis.url, '--queue-name', 'term']);
    assert.match(st.stdout, /harvest-a2c-s1\s+paused\s+waiting/);

    w2 = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'term', '--concurrency', '1']);
    await waitFor('the job to complete', () => jobsDone('term', ['harvest-a2c-s1']), 120_000, 300);
    assert.deepEqual(events(runDir).map((e) => [e.event, e.env_steps]), [['start', 0], ['stop', stoppedAt], ['resume', stoppedAt], ['done', 2000]]);
    assert.deepEqual(metricsSansTiming(runDir), metricsSansTiming(join(reference, 'runs', 'harvest-a2c-s1')));
  } finally {
    if (w2) assert.equal(await stopWorker(w2), 0);
    await cleanup([w, ...(w2 ? [w2] : [])]);
  }
});

test('Redis restarted mid-sweep: the sweep completes, nothing is trained twice, metrics are identical', { skip }, async () => {
  const store = join(work, 'store-d');
  mkdirSync(store);
  const spec = writeSpec(work, 'restart', { ...DET, seeds: [2, 3] });
  submit(spec, store, 'restart');
  const ids = ['harvest-a2c-s2', 'harvest-a2c-s3'];
  const w = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'restart', '--concurrency', '2', '--lock-duration', '10']);
  try {
    await waitFor('both runs to checkpoint', () => ids.every((id) => existsSync(join(store, 'restart', 'runs', id, 'checkpoints', 'latest.json'))), 60_000, 10);
    await redis.stop();
    // training goes on while Redis is away; the worker waits for it
    await waitFor('the worker to notice', () => /queue: .*\(retrying\)/.test(w.out()), 20_000);
    await redis.start();
    await waitFor('the jobs to complete', () => jobsDone('restart', ids), 120_000, 300);
    assert.match(w.out(), /queue: connected again/);
    for (const id of ids) {
      const runDir = join(store, 'restart', 'runs', id);
      assert.deepEqual(events(runDir).map((e) => e.event), ['start', 'done'], `${id}: ${w.out()}`);
      assert.deepEqual(metricsSansTiming(runDir), metricsSansTiming(join(reference, 'runs', id)));
    }
    // the sweep's earlier jobs came back from the append-only file too
    assert.equal(await withQueue('twelve', async (q) => (await q.getJob('twelve/harvest-a2c-s0'))?.getState()), 'completed');
  } finally {
    assert.equal(await stopWorker(w), 0, w.out());
    await cleanup([w]);
  }
});

test('two workers racing for one re-delivered run: one trains, the other backs off', { skip }, async () => {
  const store = join(work, 'store-e');
  mkdirSync(store);
  const RACE_STEPS = 20_000; // long enough to be still training when the job is re-delivered
  const spec = writeSpec(work, 'race', { ...DET, steps: RACE_STEPS, seeds: [7] });
  const runDir = join(store, 'race', 'runs', 'harvest-a2c-s7');
  submit(spec, store, 'race');
  const a = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'race', '--concurrency', '1', ...FAST_FAILOVER]);
  let b: WorkerProc | null = null;
  try {
    await waitFor('worker A to start the run', () => /harvest-a2c-s7: started/.test(a.out()) && existsSync(join(runDir, 'lease')), 60_000, 20);
    b = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'race', '--concurrency', '1', ...FAST_FAILOVER]);
    await waitFor('worker B to be ready', () => /ready/.test(b!.out()), 60_000);
    // Freeze A's queue process (not its training child): its job lock expires and the job is re-delivered to B
    // while A's child is still training under its lease.
    process.kill(a.proc.pid!, 'SIGSTOP');
    await waitFor('B to back off', () => /harvest-a2c-s7: backed off: held by /.test(b!.out()), 60_000, 50)
      .catch((e) => { throw new Error(`${e.message}\nA:\n${a.out()}\nB:\n${b!.out()}`); });
    assert.ok(!existsSync(join(runDir, 'summary.json')), 'the re-delivery happened while the run was still training');
    process.kill(a.proc.pid!, 'SIGCONT');
    await waitFor('the job to complete', () => jobsDone('race', ['harvest-a2c-s7']), 120_000, 300);
    const ev = events(runDir);
    assert.deepEqual(ev.map((e) => e.event), ['start', 'done'], `one trainer only\nA:\n${a.out()}\nB:\n${b.out()}`);
    const [, pid, host] = /backed off: held by pid (\d+) on host (\S+) since \S+;/.exec(b.out())!;
    assert.equal(`${host}:${pid}`, ev[0].owner.split(':').slice(0, 2).join(':'), 'B backed off from the process that trained the run');
    assert.doesNotMatch(b.out(), /harvest-a2c-s7: (started|resumed)/);
    const steps = metricsSansTiming(runDir).map((m) => m.env_steps);
    assert.deepEqual(steps, Array.from({ length: RACE_STEPS / 40 }, (_, i) => 40 * (i + 1)), 'one writer: every metrics line once, in order');
  } finally {
    try { process.kill(a.proc.pid!, 'SIGCONT'); } catch { /* gone */ }
    await cleanup([a, ...(b ? [b] : [])]);
  }
});

test('bad specs and an unreachable or evicting Redis: one line naming the field, exit 2, nothing enqueued', { skip }, async () => {
  const store = join(work, 'store-f');
  mkdirSync(store);
  const before = redis.cli('KEYS', 'bull:commons:*').split('\n').filter(Boolean).sort();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ games: ['harvest'], models: ['telepathy'], seeds: [0] }, /^commons sweep submit: spec\.models\[0\]: unknown model "telepathy"; models: /],
    [{ games: ['harvest'], models: ['a2c'], seeds: [0], grid: { entropyCoef: [] } }, /^commons sweep submit: spec\.grid\.entropyCoef: empty list/],
    [{ games: ['harvest'], models: ['a2c'], seeds: [0, 0.5] }, /^commons sweep submit: spec\.seeds\[1\]: expected an integer >= 0, got 0\.5/],
  ];
  for (const [i, [spec, msg]] of cases.entries()) {
    const r = commons(['sweep', 'submit', writeSpec(work, `bad${i}`, spec), '--queue', redis.url, '--store', store]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const good = writeSpec(work, 'unreached', { games: ['harvest'], models: ['a2c'], seeds: [0], steps: 40, config: TINY });
  const port = await freePort();
  const r = commons(['sweep', 'submit', good, '--queue', `redis://127.0.0.1:${port}`, '--store', store]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trimEnd(), new RegExp(`^commons sweep submit: --queue: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED .*\\)$`));
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const wr = commons(['worker', '--queue', `redis://:hunter2@127.0.0.1:${port}`, '--store', store]);
  assert.equal(wr.code, 2);
  assert.match(wr.stderr, new RegExp(`^commons worker: --queue: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} `));
  assert.doesNotMatch(wr.stderr, /hunter2/, 'the password is not printed');
  const noStore = commons(['sweep', 'submit', good, '--queue', redis.url, '--store', join(work, 'no-such-store')]);
  assert.equal(noStore.code, 2);
  assert.match(noStore.stderr, /--store: .*no-such-store is not a directory/);
  const url = commons(['sweep', 'submit', good, '--queue', 'http://127.0.0.1:6379', '--store', store]);
  assert.equal(url.code, 2);
  assert.match(url.stderr, /--queue: expected a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/127\.0\.0\.1:6379'/);
  redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    const ev = commons(['sweep', 'submit', good, '--queue', redis.url, '--store', store]);
    assert.equal(ev.code, 2);
    assert.match(ev.stderr, /--queue: Redis at .* has maxmemory-policy allkeys-lru; BullMQ needs noeviction/);
  } finally {
    redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  }
  assert.deepEqual(redis.cli('KEYS', 'bull:commons:*').split('\n').filter(Boolean).sort(), before, 'no key was added to the queue');
  assert.deepEqual(readdirSync(store), [], 'nothing was written to the store');
});

test('a run that fails for its own reason fails once, with its error in status, without retries', { skip }, async () => {
  const store = join(work, 'store-g');
  mkdirSync(store);
  const spec = writeSpec(work, 'own', {
    games: ['harvest'], models: ['a2c'], seeds: [0], steps: 40, config: TINY, grid: { map: [['P@ ', '  P', '@@@'], ['P@ ', '   ', '@@@']] },
  });
  submit(spec, store, 'own');
  const ids = JSON.parse(commons(['sweep', 'plan', spec, '--json']).stdout).runs.map((r: { id: string }) => r.id) as string[];
  const w = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', 'own', '--concurrency', '2']);
  try {
    await waitFor('one job completed and one failed', () => withQueue('own', async (q) => {
      const c = await q.getJobCounts();
      return c.completed + c.failed >= 1 && (await q.getJob(`own/${ids[0]}`))?.finishedOn && (await q.getJob(`own/${ids[1]}`))?.finishedOn;
    }), 60_000, 300);
    await withQueue('own', async (q) => {
      const failed = (await q.getJob(`own/${ids[1]}`))!;
      assert.equal(await failed.getState(), 'failed');
      assert.equal(failed.attemptsMade, 1, 'no retry');
      assert.match(failed.failedReason, /^map: 1 spawn points \('P'\) for 2 agents/);
      assert.equal(await (await q.getJob(`own/${ids[0]}`))!.getState(), 'completed');
    });
    assert.equal((w.out().match(new RegExp(`${ids[1]}: FAILED`, 'g')) ?? []).length, 1, w.out());
    const st = commons(['sweep', 'status', join(store, 'own'), '--queue', redis.url, '--queue-name', 'own']);
    assert.match(st.stdout, new RegExp(`${ids[1]}\\s+failed\\s+failed \\(1 try\\).*map: 1 spawn points`));
  } finally {
    assert.equal(await stopWorker(w), 0);
    await cleanup([w]);
  }
});

// Slow fault tests (npm run test:faults): a holder frozen past its lease (issue 21, reproduction 3). A worker
// and its training child are stopped with SIGSTOP (at a moment a checkpoint is being written, when the test
// catches one) for longer than the lease lasts; a second worker takes the run over, cleans what the frozen
// one left half-written, and finishes it; then the frozen pair is woken with SIGCONT. The audit found the old
// holder appending a metrics line and leaving a checkpoints/.tmp-step-* directory in the finished run: here
// it must write nothing more, and the run must hold exactly the metrics of an uninterrupted run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  cleanup, commons, events, metricsSansTiming, redisMissing, sleep, startRedis, startWorkerProc, tmp, waitFor, writeSpec, TINY,
  type RedisServer, type WorkerProc,
} from '../sweep-helpers.ts';

const skip = redisMissing ?? false;
let redis: RedisServer;
before(async () => { if (!redisMissing) redis = await startRedis(); });
after(async () => { if (!redisMissing) await cleanup([], redis); });

const FAST_FAILOVER = ['--lock-duration', '2', '--stalled-interval', '1', '--lease-ttl', '3', '--heartbeat', '0.5'];
const STEPS = 3000;

async function jobState(queue: string, id: string): Promise<string | undefined> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection });
  try {
    return await (await q.getJob(id))?.getState();
  } finally {
    await q.close();
    connection.disconnect();
  }
}

for (const round of [1, 2]) {
  test(`a holder frozen past its lease writes nothing after waking; its leftovers are cleaned (round ${round})`, { skip }, async (t) => {
    const work = tmp();
    const store = join(work, 'store');
    mkdirSync(store);
    const name = `frozen${round}`;
    const spec = writeSpec(work, name, { games: ['harvest'], models: ['a2c'], seeds: [round], steps: STEPS, config: { ...TINY, reportEvery: 40, checkpointEvery: 40 } });
    const reference = join(work, 'reference');
    const ref = commons(['sweep', 'run', spec, '--out', reference]);
    assert.equal(ref.code, 0, ref.stdout + ref.stderr);
    const id = `harvest-a2c-s${round}`;
    const runDir = join(store, name, 'runs', id);
    const sub = commons(['sweep', 'submit', spec, '--queue', redis.url, '--store', store, '--queue-name', name]);
    assert.equal(sub.code, 0, sub.stderr);
    const a = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', name, '--concurrency', '1', ...FAST_FAILOVER]);
    let b: WorkerProc | null = null;
    let frozen = false;
    try {
      await waitFor('A to train a while', () => existsSync(join(runDir, 'checkpoints')) && readdirSync(join(runDir, 'checkpoints')).filter((n) => n.startsWith('step-')).length >= 2, 60_000, 10);
      // freeze A (the worker and its child: one process group) while a checkpoint is being written, if caught
      const t0 = Date.now();
      let midSave = false;
      while (Date.now() - t0 < 5000) {
        if (readdirSync(join(runDir, 'checkpoints')).some((n) => n.startsWith('.tmp-'))) { midSave = true; break; }
        await sleep(1);
      }
      process.kill(-a.proc.pid!, 'SIGSTOP');
      frozen = true;
      const frozenAt = metricsSansTiming(runDir).length;
      t.diagnostic(`round ${round}: froze A ${midSave ? 'in the middle of a checkpoint save' : 'between saves'}, after ${frozenAt} metrics lines`);
      b = startWorkerProc(['--queue', redis.url, '--store', store, '--queue-name', name, '--concurrency', '1', ...FAST_FAILOVER]);
      await waitFor('B to finish the run', async () => (await jobState(name, `${name}/${id}`)) === 'completed' && existsSync(join(runDir, 'summary.json')), 180_000, 300)
        .catch((e) => { throw new Error(`${e.message}\nB:\n${b!.out()}`); });
      assert.match(b.out(), new RegExp(`${id}: resumed at`));
      const finished = metricsSansTiming(runDir);
      // wake A: its child finds the run taken over and must write nothing more
      process.kill(-a.proc.pid!, 'SIGCONT');
      frozen = false;
      await waitFor('A\'s child to end', () => /backed off|FAILED|stopped|attempt/.test(a.out()), 60_000, 100)
        .catch(() => { /* A's worker may say nothing: its job lock is gone */ });
      await sleep(3000);
      assert.deepEqual(metricsSansTiming(runDir), finished, 'no line was added after the takeover');
      assert.deepEqual(finished, metricsSansTiming(join(reference, 'runs', id)), 'each line once, as an uninterrupted run writes them');
      assert.deepEqual(readdirSync(join(runDir, 'checkpoints')).filter((n) => n.startsWith('.')), [], 'no temporary file of the old holder is left');
      assert.deepEqual(readdirSync(runDir).filter((n) => /\.tmp$|^lease/.test(n)), [], 'no temporary or lease file is left');
      const ev = events(runDir).map((e) => e.event);
      assert.deepEqual(ev, ['start', 'resume', 'done'], 'the old holder wrote no event');
    } finally {
      if (frozen) process.kill(-a.proc.pid!, 'SIGCONT');
      await cleanup([a, ...(b ? [b] : [])]);
    }
  });
}

// The load harness of test/sweep-load.test.ts and scripts/bench-sweep.ts: N tiny runs submitted to a real
// Redis and trained by W `commons worker` processes. It checks that no run is lost or trained twice and
// measures where the time goes, per run:
//   queue overhead: the time a worker slot spends between two runs (BullMQ fetching the next job, moving
//                   the last one to completed) plus BullMQ's bookkeeping around our processor;
//   process overhead: our processor's time outside training (starting the child process, loading the
//                   bundle, WASM and tfjs, taking the lease, opening the run, exiting);
//   training: the seconds the child spent in Trainer.run.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { cleanup, commons, events, startRedis, startWorkerProc, tmp, waitFor, writeSpec, type WorkerProc } from './sweep-helpers.ts';

export interface LoadResult {
  runs: number;
  workers: number;
  steps: number;
  wallSeconds: number;
  completed: number;
  failed: number;
  /** runs whose events.jsonl is not exactly [start, done] (lost: never done; duplicated: trained twice) */
  notOnce: string[];
  /** runs without a summary */
  missing: string[];
  /** jobs each worker completed */
  perWorker: Record<string, number>;
  /** means per run, ms */
  queueMs: number;
  processMs: number;
  trainMs: number;
  startupMs: number;
  /** runs per second over the whole sweep */
  throughput: number;
  /** the worker processes' resident memory (MB, summed) after a quarter of the runs and at the end */
  rssQuarterMb: number;
  rssEndMb: number;
}

/** Resident set size of a process in MB (Linux), or NaN. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function runLoad(opts: { runs: number; workers: number; steps: number; log?: (s: string) => void }): Promise<LoadResult> {
  const log = opts.log ?? (() => {});
  const redis = await startRedis();
  const work = tmp('commons-load-');
  const store = join(work, 'store');
  mkdirSync(store);
  const workers: WorkerProc[] = [];
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('commons', { connection });
  try {
    const seeds = Array.from({ length: opts.runs }, (_, i) => i);
    const spec = writeSpec(work, 'load', {
      games: ['harvest'], models: ['a2c'], seeds, steps: opts.steps,
      config: { agents: 2, envs: 1, episodeLength: 50, viewRadius: 2, rolloutSteps: 25, reportEvery: opts.steps, checkpointEvery: opts.steps },
    });
    const s = commons(['sweep', 'submit', spec, '--queue', redis.url, '--store', store]);
    if (s.code !== 0) throw new Error(`submit failed: ${s.stderr}`);
    log(`submitted ${opts.runs} runs of ${opts.steps} env steps; starting ${opts.workers} workers`);
    const t0 = Date.now();
    for (let i = 0; i < opts.workers; i++) workers.push(startWorkerProc(['--queue', redis.url, '--store', store, '--concurrency', '1']));
    let last = 0;
    let rssQuarterMb = NaN;
    const rssAll = () => workers.reduce((a, w) => a + rssMb(w.proc.pid!), 0);
    await waitFor(`${opts.runs} finished jobs`, async () => {
      const c = await queue.getJobCounts('completed', 'failed');
      if (Number.isNaN(rssQuarterMb) && c.completed + c.failed >= opts.runs / 4) rssQuarterMb = rssAll();
      if (c.completed + c.failed >= last + 20) { last = c.completed + c.failed; log(`${last} of ${opts.runs} done (${((Date.now() - t0) / 1000).toFixed(0)} s)`); }
      return c.completed + c.failed >= opts.runs;
    }, 30 * 60_000, 500);
    const wallSeconds = (Date.now() - t0) / 1000;
    const rssEndMb = rssAll();
    const counts = await queue.getJobCounts('completed', 'failed');
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const dir = join(store, 'load');
    const ids = seeds.map((seed) => `harvest-a2c-s${seed}`);
    const notOnce = ids.filter((id) => events(join(dir, 'runs', id)).map((e) => e.event).join(',') !== 'start,done');
    const status = JSON.parse(commons(['sweep', 'status', dir, '--json']).stdout);
    const missing = status.rows.filter((r: { state: string }) => r.state !== 'done').map((r: { id: string }) => r.id);
    const perWorker: Record<string, number> = {};
    const byWorker = new Map<string, { start: number; end: number }[]>();
    let processMs = 0, trainMs = 0, startupMs = 0, bookkeeping = 0;
    for (const j of jobs) {
      const rv = j.returnvalue as { host: string; processMs: number; trainSeconds: number; startupMs: number | null };
      perWorker[rv.host] = (perWorker[rv.host] ?? 0) + 1;
      if (!byWorker.has(rv.host)) byWorker.set(rv.host, []);
      byWorker.get(rv.host)!.push({ start: j.processedOn!, end: j.finishedOn! });
      processMs += rv.processMs;
      trainMs += rv.trainSeconds * 1000;
      startupMs += rv.startupMs ?? 0;
      bookkeeping += j.finishedOn! - j.processedOn! - rv.processMs;
    }
    // gaps between one job's end and the next job's start on the same worker (one run at a time each)
    let gaps = 0, gapCount = 0;
    for (const spans of byWorker.values()) {
      spans.sort((a, b) => a.start - b.start);
      for (let i = 1; i < spans.length; i++) { gaps += spans[i].start - spans[i - 1].end; gapCount++; }
    }
    const n = jobs.length || 1;
    return {
      runs: opts.runs, workers: opts.workers, steps: opts.steps, wallSeconds, completed: counts.completed, failed: counts.failed,
      notOnce, missing, perWorker,
      queueMs: (gapCount ? gaps / gapCount : 0) + bookkeeping / n,
      processMs: (processMs - trainMs) / n, trainMs: trainMs / n, startupMs: startupMs / n,
      throughput: opts.runs / wallSeconds, rssQuarterMb, rssEndMb,
    };
  } finally {
    await queue.close();
    connection.disconnect();
    await Promise.all(workers.map((w) => { w.proc.kill('SIGTERM'); return w.exited; }));
    await cleanup(workers, redis);
  }
}

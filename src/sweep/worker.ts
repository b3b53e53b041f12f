// `commons worker`: takes runs from the queue and trains each in a child process of its own
// (./runner.ts), so this process's event loop stays free to renew BullMQ's job locks (a training loop in
// the same loop would starve them, and the job would be re-delivered while still running: BullMQ
// issues #2857, #3078). Any number of workers on any number of machines share one Redis and one store.
//
// What happens to a job, by how its child ended:
//   done       the job completes with the run's summary
//   stopped    (this worker was asked to stop) the run was checkpointed: the job goes back to waiting
//   busy/lost  another process holds the run's lease (a re-delivered job): the job is delayed until the
//              lease would expire, then looked at again; nothing is trained twice
//   failed     the run's own error (a bad setting): the job fails at once, no retries, error in status
//   crashed    the process died or the store failed: an ordinary failure, retried with backoff (attempts)
// A worker that dies without a word (SIGKILL, a lost machine) stops renewing its locks: BullMQ's stalled
// check hands its jobs to another worker, whose child waits out the dead owner's lease and resumes the
// run from its latest checkpoint.

import { hostname } from 'node:os';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { connect, type JobData, type JobResult } from './queue.ts';
import type { RunWatcher } from './progress.ts';
import { startRun, describeFailure, type RunHandle } from './runner.ts';
import { HOST_DEFAULTS, type HostOptions } from './pool.ts';
import type { RunRequest } from './protocol.ts';

export interface WorkerOptions extends HostOptions {
  url: string;
  queueName: string;
  /** This machine's mount point of the shared store. */
  store: string;
  concurrency: number;
  /** BullMQ: a job's lock lives this long unless renewed (every half of it). Default 30 s. */
  lockDurationMs: number;
  /** BullMQ: how often this worker looks for stalled jobs (locks that expired). Default 30 s. */
  stalledIntervalMs: number;
  /** BullMQ: a job that stalls more often than this fails. Default 5. */
  maxStalledCount: number;
  log: (line: string) => void;
  /** Told of every run's start, progress and end (the command line's progress display: ./progress.ts). */
  watch?: RunWatcher;
}

export const WORKER_DEFAULTS = { ...HOST_DEFAULTS, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 5 };

export interface SweepWorker {
  readonly id: string;
  /** Asks every running child to checkpoint, hands their jobs back, and closes the worker. */
  stop(): Promise<void>;
  /** Resolves once the worker is closed. */
  readonly closed: Promise<void>;
}

/** Resolves job.data.dir inside the store, refusing paths that would leave it. */
function runDirIn(store: string, rel: string): string {
  const n = normalize(rel);
  if (isAbsolute(n) || n === '..' || n.startsWith('..' + sep)) throw new UnrecoverableError(`job: run directory '${rel}' is outside the store`);
  return join(store, n);
}

export async function startWorker(opts: WorkerOptions): Promise<SweepWorker> {
  const id = `${hostname()}:${process.pid}`;
  const active = new Map<string, RunHandle>();
  let stopping = false;
  const log = opts.log;

  const processor = async (job: Job<JobData, JobResult>, token?: string): Promise<JobResult> => {
    const t0 = performance.now();
    const data = job.data;
    const name = data.run;
    const req: RunRequest = {
      type: 'run', runDir: runDirIn(opts.store, data.dir), config: data.config, leaseTtlMs: opts.leaseTtlMs, heartbeatMs: opts.heartbeatMs,
      checkpointMinutes: data.checkpointMinutes, keepCheckpoints: data.keepCheckpoints, progressMs: opts.progressMs,
      via: `worker ${id} job ${job.id} attempt ${job.attemptsMade + 1}`,
    };
    const handle = startRun(req,
      (p) => { job.updateProgress({ ...p, host: id, at: Date.now() }).catch(() => {}); opts.watch?.progress(name, p); },
      (m) => {
        log(`${name}: ${m.fromSteps > 0 ? `resumed at ${m.fromSteps.toLocaleString('en-US')}` : 'started'} of ${m.totalSteps.toLocaleString('en-US')} env steps (sweep ${data.sweep})`);
        opts.watch?.started(name, m.fromSteps, m.totalSteps, { steps: data.config.checkpointEvery, minutes: data.checkpointMinutes });
      });
    active.set(String(job.id), handle);
    if (stopping) handle.stop();
    let r;
    try {
      r = await handle.done;
    } finally {
      active.delete(String(job.id));
    }
    opts.watch?.ended(name, r.outcome === 'done' ? 'done' : r.outcome === 'failed' ? 'failed' : 'pending');
    switch (r.outcome) {
      case 'done': {
        const ret = r.end?.summary?.last?.collective_return;
        log(`${name}: done${r.end?.trainSeconds ? ` in ${r.end.trainSeconds.toFixed(1)} s` : ' (already finished)'}${typeof ret === 'number' ? `, collective return ${ret.toFixed(2)}` : ''}`);
        return {
          host: id, summary: (r.end?.summary as unknown as Record<string, unknown>) ?? null, trainSeconds: r.end?.trainSeconds ?? 0,
          startupMs: r.startupMs, processMs: Math.round(performance.now() - t0),
        };
      }
      case 'stopped':
        log(`${name}: stopped at ${r.end?.envSteps?.toLocaleString('en-US')} env steps, checkpoint saved; handed back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      case 'busy':
      case 'lost': {
        // Wait until the holder's lease would expire (a live holder renews it and we back off again).
        const wait = Math.round((r.end?.retryInMs ?? opts.leaseTtlMs) + 250 + Math.random() * 500);
        log(`${name}: backed off: held by ${r.end?.holder?.owner ?? 'another process'}; looking again in ${(wait / 1000).toFixed(1)} s`);
        await job.moveToDelayed(Date.now() + wait, token);
        throw new DelayedError();
      }
      case 'failed':
        log(`${name}: FAILED: ${describeFailure(r)}`);
        throw new UnrecoverableError(describeFailure(r));
      default:
        log(`${name}: ${describeFailure(r)} (attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
        throw new Error(describeFailure(r));
    }
  };

  const connection = connect(opts.url);
  const worker = new Worker<JobData, JobResult>(opts.queueName, processor, {
    connection, concurrency: opts.concurrency, lockDuration: opts.lockDurationMs, stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount, autorun: false,
  });
  // Connection errors while Redis restarts are retried; say so once per outage rather than crash.
  let down = false;
  worker.on('error', (e) => {
    if (!down) log(`queue: ${e.message.split('\n')[0]} (retrying)`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) log('queue: connected again');
    down = false;
  });
  worker.on('stalled', (jobId) => log(`queue: job ${jobId} stalled (its worker stopped renewing its lock); it goes back to the queue`));
  const closed = worker.run().then(() => {}, (e) => log(`queue: worker stopped: ${(e as Error).message}`));
  await worker.waitUntilReady();
  const stop = async () => {
    if (stopping) return closed;
    stopping = true;
    for (const h of active.values()) h.stop();
    await worker.close();
    connection.disconnect();
    await closed;
  };
  return { id, stop, closed };
}

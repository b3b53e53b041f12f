// The job queue of distributed sweeps: BullMQ on Redis. One job per run, its id `SWEEP/RUN` (so submitting
// a sweep twice adds nothing twice), its data the run's directory relative to the shared store and its
// resolved configuration. Nothing here reaches the network except the Redis URL the user gives.

import { Queue, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { InputError } from '../util/errors.ts';
import type { TrainConfig } from '../learn/config.ts';
import type { SweepFile } from './store.ts';
import { trainingOrder } from './spec.ts';

export const DEFAULT_QUEUE = 'commons';

/** What a job carries. */
export interface JobData {
  sweep: string;
  run: string;
  /** The run directory relative to the store (the store is mounted at different paths on different machines). */
  dir: string;
  config: TrainConfig;
  checkpointMinutes: number;
  keepCheckpoints: number;
}

/** What a finished job returns. */
export interface JobResult {
  host: string;
  summary: Record<string, unknown> | null;
  /** seconds the child spent in Trainer.run; ms from spawn to trainer ready; ms of the whole processor */
  trainSeconds: number;
  startupMs: number | null;
  processMs: number;
}

export const jobId = (sweep: string, run: string) => `${sweep}/${run}`;

/** Checks a --queue value: redis:// or rediss:// (TLS), with a host. */
export function checkRedisUrl(raw: string, flag = '--queue'): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError(`${flag}: expected a Redis URL such as redis://HOST:6379 or rediss://:PASSWORD@HOST:6380, got '${raw}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InputError(`${flag}: expected a redis:// or rediss:// URL, got '${raw}'`);
  if (!u.hostname) throw new InputError(`${flag}: the URL names no host: '${raw}'`);
  return raw;
}

/** The URL without its password, for messages. */
export const shownUrl = (raw: string) => raw.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');

/**
 * Connects once, without retrying, and checks the server: reachable, answering, and configured not to
 * evict keys (BullMQ loses jobs under any other maxmemory-policy). Throws an InputError naming --queue.
 * Returns warnings: a server that keeps no append-only file loses every queued job when it restarts.
 */
export async function probeRedis(url: string, flag = '--queue', timeoutMs = 5000): Promise<string[]> {
  const warnings: string[] = [];
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, a TLS failure) says more than "Connection is closed".
  let cause: Error | null = null;
  client.on('error', (e: Error) => { cause ??= e; });
  try {
    await client.connect();
    await client.ping();
    let policy: string | undefined;
    try {
      policy = /maxmemory_policy:(\S+)/.exec(await client.info('memory'))?.[1];
    } catch { /* a managed Redis may refuse INFO: say nothing */ }
    if (policy && policy !== 'noeviction') {
      throw new InputError(`${flag}: Redis at ${shownUrl(url)} has maxmemory-policy ${policy}; BullMQ needs noeviction (it would lose jobs): set it with CONFIG SET maxmemory-policy noeviction or in the server's settings`);
    }
    let aof: string | undefined;
    try {
      aof = /aof_enabled:(\d)/.exec(await client.info('persistence'))?.[1];
    } catch { /* as above */ }
    if (aof === '0') {
      warnings.push(`Redis at ${shownUrl(url)} keeps no append-only file (appendonly no): if it restarts, the queued jobs are lost ` +
        '(the runs\' files are not); `commons sweep status DIR --queue ...` then lists the runs without a job, and submitting the sweep again ' +
        'queues them. To keep the queue: CONFIG SET appendonly yes, or appendonly yes in redis.conf');
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const why = ((cause as Error | null) ?? (e as Error)).message;
    throw new InputError(`${flag}: cannot reach Redis at ${shownUrl(url)} (${why.split('\n')[0]})`);
  } finally {
    client.disconnect();
  }
  return warnings;
}

/** A long-lived connection: it reconnects forever (a Redis restart is waited out, not fatal). */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(200 * n, 2000), ...extra });
  // Errors while Redis is away are retried by ioredis; without a listener they would crash the process.
  client.on('error', () => {});
  return client;
}

export interface SubmitResult { added: string[]; existing: string[]; retried: string[] }

/**
 * Enqueues every run of a sweep (whose sweep.json the caller has written to the store). A run whose job
 * exists already is left as it is, or, with retryFailed, a failed one is queued again.
 */
export async function submitSweep(url: string, queueName: string, file: SweepFile, opts: { retryFailed?: boolean } = {}): Promise<SubmitResult> {
  const connection = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  connection.on('error', () => {});
  const queue = new Queue<JobData, JobResult>(queueName, { connection });
  try {
    const out: SubmitResult = { added: [], existing: [], retried: [] };
    const existing = await Promise.all(file.runs.map((r) => queue.getJob(jobId(file.name, r.id))));
    const fresh = trainingOrder(file.runs.filter((_, i) => !existing[i]).map((run) => ({ run, started: false })), file.spec.seeds).map((x) => x.run);
    for (let i = 0; i < file.runs.length; i++) {
      const job = existing[i];
      if (!job) continue;
      if (opts.retryFailed && (await job.getState()) === 'failed') {
        await job.retry('failed');
        out.retried.push(file.runs[i].id);
      } else out.existing.push(file.runs[i].id);
    }
    // Stalls (a worker lost with its machine) are re-delivered; errors of the infrastructure (a crashed
    // process, a full disk) are tried 3 times, 10 s then 20 s apart; a run's own error fails at once.
    await queue.addBulk(fresh.map((r) => ({
      name: 'train',
      data: {
        sweep: file.name, run: r.id, dir: `${file.name}/runs/${r.id}`, config: r.config,
        checkpointMinutes: file.spec.checkpointMinutes, keepCheckpoints: file.spec.keepCheckpoints,
      },
      opts: { jobId: jobId(file.name, r.id), attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: false, removeOnFail: false },
    })));
    out.added = fresh.map((r) => r.id);
    return out;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface QueueState {
  state: string;
  attemptsMade: number;
  failedReason: string | null;
  progress: Record<string, unknown> | null;
  result: JobResult | null;
}

/** The queue's view of each run of a sweep (null: no job). */
export async function queueStates(url: string, queueName: string, file: SweepFile): Promise<Map<string, QueueState | null>> {
  const connection = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  connection.on('error', () => {});
  const queue = new Queue<JobData, JobResult>(queueName, { connection });
  try {
    const jobs = await Promise.all(file.runs.map((r) => queue.getJob(jobId(file.name, r.id))));
    const states = await Promise.all(jobs.map((j) => (j ? j.getState() : Promise.resolve(null))));
    return new Map(file.runs.map((r, i) => {
      const j = jobs[i] as Job<JobData, JobResult> | undefined;
      return [r.id, j ? {
        state: states[i] ?? 'unknown', attemptsMade: j.attemptsMade, failedReason: j.failedReason || null,
        progress: typeof j.progress === 'object' && j.progress !== null ? j.progress as Record<string, unknown> : null, result: j.returnvalue ?? null,
      } : null];
    }));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

// commons worker: trains runs of submitted sweeps, taken from the Redis queue (src/sweep/worker.ts). The queue
// code is imported when the command runs, not when the CLI starts (every sweep run's child starts the CLI).

import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import { needOptional } from '../util/optional.ts';
import { SweepProgress } from '../sweep/progress.ts';
import { write } from './io.ts';
import { HelpRequested, helpText, type CommandSpec } from './args.ts';
import { parseFlags, intOf, numOf, required } from '../sweep/flags.ts';
import { HOST_DEFAULTS } from '../sweep/pool.ts';

export const WORKER_HELP = `commons worker --queue redis://HOST:PORT --store DIR [--concurrency K] [--queue-name commons]
      [--lease-ttl S] [--heartbeat S] [--lock-duration S] [--stalled-interval S]
  Takes runs of submitted sweeps (commons sweep submit) from the queue and trains each in a child process,
  K at a time (default ${availableParallelism()}, one per core), checkpointing into DIR, the store every machine mounts.
  SIGTERM or Ctrl-C: every run saves a checkpoint and goes back to the queue, then the worker exits. A worker
  that dies is replaced by the others: its runs resume from their checkpoints once its locks (--lock-duration,
  default 30 s) and its run leases (--lease-ttl, default ${HOST_DEFAULTS.leaseTtlMs / 1000} s) expire. Details: docs/sweeps.md.`;

export const WORKER: CommandSpec = {
  name: 'worker',
  summary: 'train runs of submitted sweeps taken from a Redis queue, checkpointing into a shared store',
  usage: ['worker --queue redis://HOST:PORT --store DIR [--concurrency K] [--queue-name commons]'],
  about: WORKER_HELP.split('\n').slice(2).map((l) => l.trim()).join('\n'),
  flags: {
    queue: { arg: 'URL', help: 'the Redis server of the sweep (redis:// or rediss://)', default: 'required' },
    store: { arg: 'DIR', help: 'the directory every machine mounts, where sweeps live', default: 'required' },
    concurrency: { arg: 'K', help: 'runs trained at once, one child process each', default: 'one per core' },
    'queue-name': { arg: 'NAME', help: 'the BullMQ queue', default: 'commons' },
    'lease-ttl': { arg: 'S', help: 'seconds after which another worker may take over a run whose lease stopped beating', default: `${HOST_DEFAULTS.leaseTtlMs / 1000}` },
    heartbeat: { arg: 'S', help: 'seconds between lease heartbeats (at most half of --lease-ttl)' },
    'lock-duration': { arg: 'S', help: 'BullMQ job lock, seconds', default: '30' },
    'stalled-interval': { arg: 'S', help: 'seconds between BullMQ checks for stalled jobs' },
  },
};

export async function workerCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseFlags('worker', argv, {
    queue: { type: 'string' }, store: { type: 'string' }, concurrency: { type: 'string' }, 'queue-name': { type: 'string' },
    'lease-ttl': { type: 'string' }, heartbeat: { type: 'string' }, 'lock-duration': { type: 'string' }, 'stalled-interval': { type: 'string' },
  });
  if (values.help) throw new HelpRequested(helpText(WORKER));
  const [{ checkRedisUrl, probeRedis, shownUrl, DEFAULT_QUEUE }, { startWorker, WORKER_DEFAULTS }] = await needOptional('queue', 'the sweep queue',
    () => Promise.all([import('../sweep/queue.ts'), import('../sweep/worker.ts')]));
  if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}' (see commons worker --help)`);
  const url = checkRedisUrl(required('queue', values.queue, 'redis://127.0.0.1:6379'));
  const store = required('store', values.store, '/mnt/sweeps');
  if (!existsSync(store) || !statSync(store).isDirectory()) throw new InputError(`--store: ${store} is not a directory (mount the shared store first)`);
  const concurrency = intOf('concurrency', values.concurrency, availableParallelism(), 1, 1024);
  const secs = (name: string, def: number) => Math.round(1000 * numOf(name, values[name as keyof typeof values] as string | undefined, def / 1000, 0, 86_400));
  const leaseTtlMs = secs('lease-ttl', WORKER_DEFAULTS.leaseTtlMs);
  const heartbeatMs = secs('heartbeat', Math.min(WORKER_DEFAULTS.heartbeatMs, leaseTtlMs / 3));
  if (heartbeatMs * 2 > leaseTtlMs) throw new InputError(`--heartbeat: must be at most half of --lease-ttl (${leaseTtlMs / 1000} s), got ${heartbeatMs / 1000} s`);
  const lockDurationMs = secs('lock-duration', WORKER_DEFAULTS.lockDurationMs);
  const stalledIntervalMs = secs('stalled-interval', Math.min(WORKER_DEFAULTS.stalledIntervalMs, lockDurationMs));
  const queueName = values['queue-name'] ?? DEFAULT_QUEUE;
  await probeRedis(url);
  const stamp = () => new Date().toISOString().slice(11, 19);
  // Each run's progress: a live line on a terminal, a line per checkpoint otherwise (src/sweep/progress.ts).
  const progress = new SweepProgress({
    title: 'worker', live: Boolean(process.stdout.isTTY), write, columns: () => process.stdout.columns || 80, stamp: () => `${stamp()} `,
  });
  const log = (line: string) => progress.log(`${stamp()} ${line}`);
  const w = await startWorker({
    url, queueName, store, concurrency, leaseTtlMs, heartbeatMs, progressMs: Math.min(WORKER_DEFAULTS.progressMs, heartbeatMs),
    lockDurationMs, stalledIntervalMs, maxStalledCount: WORKER_DEFAULTS.maxStalledCount, log, watch: progress,
  });
  log(`worker ${w.id} ready: queue ${queueName} on ${shownUrl(url)}, store ${store}, ${concurrency} run(s) at a time`);
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log('quitting without waiting (runs stop on their own after a checkpoint)');
      process.exit(130);
    }
    log(`${sig}: stopping: running runs save a checkpoint and go back to the queue`);
    void w.stop();
  };
  const onTerm = () => onSignal('SIGTERM'), onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    await w.closed;
    log('worker stopped');
  } finally {
    progress.close();
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
}

// `commons sweep run`: a sweep on this machine, no queue. K child processes at a time (./runner.ts), one
// run each; a run already finished is skipped and one with a checkpoint is continued, so running the
// same command again after a stop or a crash picks up where the sweep was. The run directories' leases
// keep two pools (or a pool and a queue worker) on one store from training the same run.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun, describeFailure, type RunHandle } from './runner.ts';
import { Lease, describeHolder } from './lease.ts';
import { runDirOf, runState, type SweepFile } from './store.ts';
import { trainingOrder, type PlannedRun } from './spec.ts';
import type { RunRequest } from './protocol.ts';
import type { RunWatcher } from './progress.ts';

export interface HostOptions {
  /** Lease time to live and heartbeat (ms). */
  leaseTtlMs: number;
  heartbeatMs: number;
  /** ms between two progress messages of a child. */
  progressMs: number;
}

export const HOST_DEFAULTS: HostOptions = { leaseTtlMs: 60_000, heartbeatMs: 10_000, progressMs: 2_000 };

export interface PoolOptions extends Partial<HostOptions> {
  /** Runs at a time. */
  jobs: number;
  /** A run whose process dies without saying why is started again this many times. Default 2. */
  retries?: number;
  /** One line per event. */
  log: (line: string) => void;
  /** Aborting stops every run after a checkpoint. */
  signal?: AbortSignal;
  /** Told of every run's start, progress and end (the command line's progress display: ./progress.ts). */
  watch?: RunWatcher;
}

export interface PoolResult {
  done: string[];
  failed: { id: string; error: string }[];
  /** held by another process (a worker, another pool) */
  busy: string[];
  stopped: string[];
  skipped: number;
  seconds: number;
}

export function runRequest(sweepDir: string, file: SweepFile, run: PlannedRun, host: HostOptions, via: string): RunRequest {
  return {
    type: 'run', runDir: runDirOf(sweepDir, run.id), config: run.config, leaseTtlMs: host.leaseTtlMs, heartbeatMs: host.heartbeatMs,
    checkpointMinutes: file.spec.checkpointMinutes, keepCheckpoints: file.spec.keepCheckpoints, progressMs: host.progressMs, via,
  };
}

/** Writes RUN/failed.json for a run whose process died without a word, under the run's lease like every
 * writer of a run (none if another process holds it now, or the directory cannot be written). */
function recordFailure(runDir: string, error: string): void {
  try {
    const got = Lease.acquire(runDir, 10_000);
    if (!got.ok) return;
    try {
      got.lease.check();
      writeFileSync(join(runDir, 'failed.json'), JSON.stringify({ error, at: new Date().toISOString() }, null, 2));
    } finally {
      got.lease.release();
    }
  } catch { /* the directory may not exist (the process never started) or not be writable: the log says it */ }
}

export async function runPool(sweepDir: string, file: SweepFile, opts: PoolOptions): Promise<PoolResult> {
  const host: HostOptions = { ...HOST_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in HOST_DEFAULTS && v !== undefined)) };
  const t0 = performance.now();
  const result: PoolResult = { done: [], failed: [], busy: [], stopped: [], skipped: 0, seconds: 0 };
  const todo: { run: PlannedRun; tries: number }[] = [];
  const left: { run: PlannedRun; started: boolean }[] = [];
  for (const run of file.runs) {
    const state = runState(sweepDir, run).state;
    if (state === 'done') result.skipped++;
    else left.push({ run, started: state === 'paused' });
  }
  for (const { run } of trainingOrder(left, file.spec.seeds)) todo.push({ run, tries: 0 });
  const total = file.runs.length;
  opts.log(`sweep ${file.name}: ${total} runs, ${result.skipped} already finished, ${todo.length} to train, ${Math.min(opts.jobs, todo.length)} at a time -> ${sweepDir}`);
  const active = new Set<RunHandle>();
  const stopAll = () => { for (const h of active) h.stop(); };
  opts.signal?.addEventListener('abort', stopAll);
  const retries = opts.retries ?? 2;
  const finished = () => result.done.length + result.skipped;

  async function slot(): Promise<void> {
    while (todo.length > 0 && !opts.signal?.aborted) {
      const item = todo.shift()!;
      const { run } = item;
      const handle = startRun(runRequest(sweepDir, file, run, host, `sweep run pid ${process.pid}`), (p) => opts.watch?.progress(run.id, p), (m) => {
        opts.log(`${run.id}: ${m.fromSteps > 0 ? `resumed at ${m.fromSteps.toLocaleString('en-US')}` : 'started'} (${m.totalSteps.toLocaleString('en-US')} env steps)`);
        opts.watch?.started(run.id, m.fromSteps, m.totalSteps, { steps: run.config.checkpointEvery, minutes: file.spec.checkpointMinutes });
      });
      active.add(handle);
      const r = await handle.done;
      active.delete(handle);
      switch (r.outcome) {
        case 'done': {
          result.done.push(run.id);
          const s = r.end?.summary;
          const ret = s?.last?.collective_return;
          opts.log(`${run.id}: done${r.end?.trainSeconds ? ` in ${r.end.trainSeconds.toFixed(1)} s` : ''}` +
            `${ret !== undefined && ret !== null ? `, collective return ${ret.toFixed(2)}` : ''} [${finished()}/${total}]`);
          break;
        }
        case 'stopped':
          result.stopped.push(run.id);
          opts.log(`${run.id}: stopped at ${r.end?.envSteps?.toLocaleString('en-US')} env steps (checkpoint saved)`);
          break;
        case 'busy':
        case 'lost':
          result.busy.push(run.id);
          opts.log(`${run.id}: held by ${describeHolder(r.end?.holder)}; left to it`);
          break;
        case 'failed':
          result.failed.push({ id: run.id, error: describeFailure(r) });
          opts.log(`${run.id}: FAILED: ${describeFailure(r)}`);
          break;
        default: {
          // crashed or transient: the run itself may be fine (a killed process, a full disk); try again
          const error = describeFailure(r);
          if (item.tries < retries && !opts.signal?.aborted) {
            item.tries++;
            todo.push(item);
            opts.log(`${run.id}: ${error}; trying again (${item.tries} of ${retries})`);
          } else {
            result.failed.push({ id: run.id, error });
            recordFailure(runDirOf(sweepDir, run.id), error);
            opts.log(`${run.id}: FAILED: ${error}`);
          }
        }
      }
      opts.watch?.ended(run.id, r.outcome === 'done' ? 'done' : result.failed.some((f) => f.id === run.id) ? 'failed' : 'pending');
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, todo.length)) }, slot));
  } finally {
    opts.signal?.removeEventListener('abort', stopAll);
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

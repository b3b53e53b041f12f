// The child process that trains one run of a sweep (`commons __sweep-child`, started by ./runner.ts).
// It takes the run directory's lease, creates the run or resumes it from its latest checkpoint, trains
// to the end, and reports over IPC (./protocol.ts). Training in a process of its own keeps the host's
// event loop free (BullMQ renews its job locks there) and lets a crash of one run take nothing else down.
//
// Stopping: SIGTERM, SIGINT or the loss of the host (the IPC channel closes) make it save a checkpoint,
// release the lease and exit. Safety: before every write into the run (a metrics line, each stage of a
// checkpoint, the summary, an event) it checks that it still holds the lease, and it renews the lease
// between updates; a run whose lease was taken over stops at once without writing more. Failure: every
// error, before training or during it, ends the process with a status and one line its host records.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainer, readRunConfig, resumeTrainer } from '../hosting/run-dir.ts';
import { listCheckpoints, cleanRunTemp } from '../hosting/checkpoint.ts';
import type { Trainer, TrainSummary } from '../learn/trainer.ts';
import { InputError } from '../util/errors.ts';
import { ensureDir, fsLine, isFsError, withPath } from '../util/node-paths.ts';
import { Lease, LeaseLost, readLease } from './lease.ts';
import { canonical, configDiff, logEvent } from './store.ts';
import { END_CODES, type ChildMessage, type EndOutcome, type RunRequest } from './protocol.ts';

/** Errors of the machine or the store rather than of the run: worth another try later. */
const TRANSIENT = new Set(['ENOSPC', 'EIO', 'ESTALE', 'ETIMEDOUT', 'EAGAIN', 'EMFILE', 'ENFILE', 'EDQUOT', 'ENOMEM']);

const send = (m: ChildMessage) => new Promise<void>((resolve) => {
  if (!process.send || !process.connected) return resolve();
  try {
    process.send(m, undefined, {}, () => resolve());
  } catch {
    resolve();
  }
});

/** One line for an error, and whether another try may succeed (a full disk, a stale NFS handle) or not. */
export function describeError(e: unknown): { line: string; transient: boolean } {
  const err = e as NodeJS.ErrnoException;
  const transient = typeof err?.code === 'string' && TRANSIENT.has(err.code);
  if (isFsError(err)) return { line: fsLine(err), transient };
  const text = err instanceof Error ? err.message : String(e);
  return { line: text.split('\n').find((l) => l.trim())?.trim() ?? String(e), transient };
}

/** Opens the run: resumes it from its latest checkpoint, or starts it (again, if it never reached one). */
async function openRun(req: RunRequest, lease: Lease): Promise<Trainer> {
  const { runDir, config } = req;
  const opts = { lease, storeKeep: req.keepCheckpoints, flag: 'run' };
  if (existsSync(join(runDir, 'config.json'))) {
    const saved = readRunConfig(runDir, 'run');
    if (canonical(saved) !== canonical(config)) {
      throw new InputError(`run: ${runDir} already holds a run with other settings (${configDiff(config as never, saved as never)})`);
    }
    // the sweep's keepCheckpoints, not the run's own keep, decides how many checkpoints stay
    if (listCheckpoints(runDir).length > 0) return resumeTrainer(runDir, opts);
    // Stopped before its first checkpoint: nothing to continue from.
    lease.check();
    rmSync(join(runDir, 'config.json'));
    rmSync(join(runDir, 'metrics.jsonl'), { force: true });
  }
  // the run's events and an earlier failure's record may be there before the run is (besides the lease)
  return createTrainer(config, runDir, { ...opts, allowFiles: (f) => f === 'events.jsonl' || f === 'failed.json' });
}

/**
 * Trains the run of `req` to its end (or until stopped) and says how it ended. Every failure, from a run
 * directory that cannot be created to a disk that fills up mid-run, ends here with an 'end' message that
 * carries one line: nothing escapes to leave the host waiting.
 */
export async function runChild(req: RunRequest): Promise<EndOutcome> {
  const t0 = performance.now();
  const { runDir } = req;
  let stop = false;
  const requestStop = () => { stop = true; };
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  process.on('disconnect', requestStop);
  let progress = { envSteps: 0, agentStepsPerS: 0 };
  let lease: Lease | null = null;
  let trainer: Trainer | null = null;
  let trainStart = 0;
  const trainSeconds = () => (trainStart ? (performance.now() - trainStart) / 1000 : 0);
  // Only the lease holder writes into the run, and only while it holds it.
  const event = (e: Record<string, unknown>) => {
    lease!.check();
    try {
      logEvent(runDir, { event: e.event, owner: lease!.info.owner, ...e });
    } catch (err) {
      throw withPath(err, join(runDir, 'events.jsonl'));
    }
  };
  try {
    // A path that is a file, too long a name, a folder without write permission: one line, the run fails.
    ensureDir('run', runDir);
    let got;
    try {
      got = Lease.acquire(runDir, req.leaseTtlMs, { via: req.via, envSteps: 0 });
    } catch (e) {
      throw withPath(e, join(runDir, 'lease'));
    }
    if (!got.ok) {
      await send({ type: 'end', outcome: 'busy', holder: got.holder, retryInMs: got.retryInMs });
      return 'busy';
    }
    lease = got.lease;
    // Between updates the trainer yields to the event loop, where this renews the lease (with the progress
    // `status` shows); a renewal that finds the lease lost makes the next write stop the run.
    lease.keepAlive(req.heartbeatMs, () => ({ via: req.via, ...progress }));
    // What an earlier holder left half-written (it died, or lost the lease while frozen) goes.
    cleanRunTemp(runDir);
    rmSync(join(runDir, 'failed.json'), { force: true });
    if (existsSync(join(runDir, 'summary.json'))) {
      // Already finished (a duplicate delivery after the end): report its summary again, train nothing.
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as TrainSummary;
      lease.release();
      await send({ type: 'end', outcome: 'done', summary, trainSeconds: 0 });
      return 'done';
    }
    trainer = await openRun(req, lease);
    const t = trainer;
    const from = t.envSteps;
    progress = { envSteps: from, agentStepsPerS: 0 };
    lease.renew({ via: req.via, ...progress });
    event({ event: from > 0 ? 'resume' : 'start', via: req.via, env_steps: from });
    await send({ type: 'started', fromSteps: from, totalSteps: t.cfg.steps, owner: lease.info.owner, startupMs: Math.round(performance.now() - t0) });
    let lastProgress = 0;
    let lastCheckpointAt = Date.now();
    const held = lease;
    const hooks = {
      shouldStop: () => stop || held.lost,
      onProgress: (p: { envSteps: number; totalSteps: number; agentStepsPerS: number; lastReturn: number | null; updates: number }) => {
        progress = { envSteps: p.envSteps, agentStepsPerS: Math.round(p.agentStepsPerS) };
        if (Date.now() - lastProgress >= req.progressMs) {
          lastProgress = Date.now();
          void send({ type: 'progress', ...p });
        }
      },
      onCheckpoint: () => {
        lastCheckpointAt = Date.now();
      },
      idle: async () => {
        if (!stop && !held.lost && Date.now() - lastCheckpointAt >= req.checkpointMinutes * 60_000) await t.checkpoint(hooks);
      },
    };
    trainStart = performance.now();
    const summary = await t.run(hooks);
    lease.check();
    if (summary.stopped) {
      event({ event: 'stop', env_steps: summary.env_steps });
      lease.release();
      await send({ type: 'end', outcome: 'stopped', envSteps: summary.env_steps, trainSeconds: trainSeconds() });
      return 'stopped';
    }
    event({ event: 'done', env_steps: summary.env_steps });
    lease.release();
    await send({ type: 'end', outcome: 'done', summary, trainSeconds: trainSeconds() });
    return 'done';
  } catch (e) {
    let lost = e instanceof LeaseLost || !!lease?.lost;
    if (!lost && lease) {
      // An error after the run changed hands (the new holder removed this one's half-written files) is the
      // loss itself, not a failure of the run.
      try { lost = !lease.holds(); } catch { /* the store is what failed */ }
    }
    if (lost) {
      // Someone else holds the run now: write nothing more.
      let holder = null;
      try { holder = readLease(runDir)?.info ?? null; } catch { /* the store is what failed */ }
      await send({ type: 'end', outcome: 'lost', holder, retryInMs: req.leaseTtlMs });
      return 'lost';
    }
    const { line, transient } = describeError(e);
    if (lease) {
      try {
        if (!transient) {
          lease.check();
          const err = e as Error;
          writeFileSync(join(runDir, 'failed.json'), JSON.stringify({ error: line, at: new Date().toISOString(), owner: lease.info.owner, stack: err instanceof InputError ? undefined : err?.stack }, null, 2));
          event({ event: 'fail', error: line });
        }
      } catch { /* the store itself may be what failed */ }
      lease.release();
    }
    await send({ type: 'end', outcome: transient ? 'transient' : 'failed', error: line, trainSeconds: trainSeconds() });
    return transient ? 'transient' : 'failed';
  } finally {
    process.off('SIGTERM', requestStop);
    process.off('SIGINT', requestStop);
    try {
      await trainer?.close();
    } catch { /* closing after a failure: the outcome is sent already */ }
    lease?.release();
  }
}

/**
 * The `commons __sweep-child` command: waits for its RunRequest on the IPC channel, runs it, exits. Whatever
 * happens, it exits with a status (END_CODES) after telling its host in one line: with the IPC channel open,
 * a process that only set its exit status would live on, and its host would wait for it forever.
 */
export async function sweepChildCommand(): Promise<void> {
  if (!process.send) throw new InputError('__sweep-child is started by commons sweep run and commons worker, with an IPC channel');
  let ending = false;
  const fail = async (e: unknown): Promise<never> => {
    if (!ending) {
      ending = true;
      const { line, transient } = describeError(e);
      process.stderr.write(`sweep child: ${line}\n`);
      await send({ type: 'end', outcome: transient ? 'transient' : 'failed', error: line });
    }
    process.exit(END_CODES[(e as NodeJS.ErrnoException)?.code && TRANSIENT.has((e as NodeJS.ErrnoException).code!) ? 'transient' : 'failed']);
  };
  process.on('uncaughtException', (e) => { void fail(e); });
  process.on('unhandledRejection', (e) => { void fail(e); });
  let outcome: EndOutcome;
  try {
    const req = await new Promise<RunRequest>((resolve, reject) => {
      process.once('message', (m) => ((m as RunRequest)?.type === 'run' ? resolve(m as RunRequest) : reject(new Error('sweep child: expected a run request'))));
      process.once('disconnect', () => reject(new Error('sweep child: the host went away before sending a run')));
    });
    outcome = await runChild(req);
  } catch (e) {
    return fail(e);
  }
  ending = true;
  // The last message has been handed to the channel; leave now (tfjs or a stray timer must not keep the process up).
  process.exit(END_CODES[outcome]);
}

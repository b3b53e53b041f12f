// The child process that trains one run of a sweep (`commons __sweep-child`, started by ./runner.ts).
// It takes the run directory's lease, creates the run or resumes it from its latest checkpoint, trains
// to the end, and reports over IPC (./protocol.ts). Training in a process of its own keeps the host's
// event loop free (BullMQ renews its job locks there) and lets a crash of one run take nothing else down.
//
// Stopping: SIGTERM, SIGINT or the loss of the host (the IPC channel closes) make it save a checkpoint,
// release the lease and exit. Safety: before every checkpoint it checks that it still holds the lease
// (a checkpoint written by a process that lost its lease is never installed) and it renews the lease
// between updates; a run whose lease was taken over stops at once without writing more.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainer, readRunConfig, resumeTrainer, DirStore } from '../hosting/run-dir.ts';
import { listCheckpoints } from '../hosting/checkpoint.ts';
import type { Trainer, TrainSummary } from '../learn/trainer.ts';
import { InputError } from '../util/errors.ts';
import { Lease } from './lease.ts';
import { canonical, configDiff, logEvent } from './store.ts';
import { END_CODES, type ChildMessage, type EndOutcome, type RunRequest } from './protocol.ts';

class LeaseLost extends Error {}

/** Errors of the machine or the store rather than of the run: worth another try later. */
const TRANSIENT = new Set(['ENOSPC', 'EIO', 'ESTALE', 'ETIMEDOUT', 'EAGAIN', 'EMFILE', 'ENFILE', 'EDQUOT', 'ENOMEM']);

const send = (m: ChildMessage) => new Promise<void>((resolve) => {
  if (!process.send || !process.connected) return resolve();
  process.send(m, undefined, {}, () => resolve());
});


/** Opens the run: resumes it from its latest checkpoint, or starts it (again, if it never reached one). */
async function openRun(req: RunRequest): Promise<Trainer> {
  const { runDir, config } = req;
  if (existsSync(join(runDir, 'config.json'))) {
    const saved = readRunConfig(runDir, 'run');
    if (canonical(saved) !== canonical(config)) {
      throw new InputError(`run: ${runDir} already holds a run with other settings (${configDiff(config as never, saved as never)})`);
    }
    if (listCheckpoints(runDir).length > 0) return resumeTrainer(runDir);
    // Stopped before its first checkpoint: nothing to continue from.
    rmSync(join(runDir, 'config.json'));
    rmSync(join(runDir, 'metrics.jsonl'), { force: true });
  }
  // the run's lease files (./lease.ts) are there before the run is
  return createTrainer(config, runDir, { allowFiles: (f) => f.startsWith('lease') });
}

export async function runChild(req: RunRequest): Promise<EndOutcome> {
  const t0 = performance.now();
  const { runDir } = req;
  mkdirSync(runDir, { recursive: true });
  const got = Lease.acquire(runDir, req.leaseTtlMs, { via: req.via, envSteps: 0 });
  if (!got.ok) {
    await send({ type: 'end', outcome: 'busy', holder: got.holder, retryInMs: got.retryInMs });
    return 'busy';
  }
  const lease = got.lease;
  let stop = false;
  const requestStop = () => { stop = true; };
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  process.on('disconnect', requestStop);
  let lastBeat = Date.now();
  let progress = { envSteps: 0, agentStepsPerS: 0 };
  let lost = false;
  const beat = () => {
    if (lost) return;
    try {
      if (!lease.renew({ via: req.via, ...progress })) lost = true;
    } catch (e) {
      // The store hiccuped (NFS): try again at the next beat; a checkpoint that cannot check the lease fails on its own.
      process.stderr.write(`sweep child: lease heartbeat failed: ${(e as Error).message}\n`);
    }
    lastBeat = Date.now();
  };
  // Between updates the trainer's hooks renew; this timer covers the long stretches without updates
  // (start-up, checkpoint writes) as far as the event loop gets to run.
  const timer = setInterval(beat, req.heartbeatMs);
  timer.unref();
  let trainer: Trainer | null = null;
  let trainStart = 0;
  const trainSeconds = () => (trainStart ? (performance.now() - trainStart) / 1000 : 0);
  try {
    rmSync(join(runDir, 'failed.json'), { force: true });
    if (existsSync(join(runDir, 'summary.json'))) {
      // Already finished (a duplicate delivery after the end): report its summary again, train nothing.
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as TrainSummary;
      lease.release();
      await send({ type: 'end', outcome: 'done', summary, trainSeconds: 0 });
      return 'done';
    }
    trainer = await openRun(req);
    // the sweep's keepCheckpoints, not the run's own --keep, decides how many checkpoints stay
    if (trainer.store instanceof DirStore) trainer.store.keep = req.keepCheckpoints;
    const t = trainer;
    const from = t.envSteps;
    progress = { envSteps: from, agentStepsPerS: 0 };
    beat();
    logEvent(runDir, { event: from > 0 ? 'resume' : 'start', owner: lease.info.owner, via: req.via, env_steps: from });
    await send({ type: 'started', fromSteps: from, totalSteps: t.cfg.steps, owner: lease.info.owner, startupMs: Math.round(performance.now() - t0) });
    let lastProgress = 0;
    let lastCheckpointAt = Date.now();
    const hooks = {
      shouldStop: () => stop || lost,
      onProgress: (p: { envSteps: number; totalSteps: number; agentStepsPerS: number; lastReturn: number | null; updates: number }) => {
        progress = { envSteps: p.envSteps, agentStepsPerS: Math.round(p.agentStepsPerS) };
        if (Date.now() - lastBeat >= req.heartbeatMs) beat();
        if (Date.now() - lastProgress >= req.progressMs) {
          lastProgress = Date.now();
          void send({ type: 'progress', ...p });
        }
      },
      onCheckpoint: () => {
        lastCheckpointAt = Date.now();
      },
      // The last stage before a checkpoint is installed: refuse it if the lease is no longer ours.
      saveHook: (stage: string) => {
        if (stage === 'manifest' && (lost || !lease.holds())) {
          lost = true;
          throw new LeaseLost('lease lost');
        }
      },
      idle: async () => {
        if (!stop && !lost && Date.now() - lastCheckpointAt >= req.checkpointMinutes * 60_000) await t.checkpoint(hooks);
      },
    };
    trainStart = performance.now();
    const summary = await t.run(hooks);
    if (lost) throw new LeaseLost('lease lost');
    if (summary.stopped) {
      logEvent(runDir, { event: 'stop', owner: lease.info.owner, env_steps: summary.env_steps });
      lease.release();
      await send({ type: 'end', outcome: 'stopped', envSteps: summary.env_steps, trainSeconds: trainSeconds() });
      return 'stopped';
    }
    logEvent(runDir, { event: 'done', owner: lease.info.owner, env_steps: summary.env_steps });
    lease.release();
    await send({ type: 'end', outcome: 'done', summary, trainSeconds: trainSeconds() });
    return 'done';
  } catch (e) {
    if (e instanceof LeaseLost || lost) {
      // Someone else holds the run now: write nothing more.
      await send({ type: 'end', outcome: 'lost', holder: null, retryInMs: req.leaseTtlMs });
      return 'lost';
    }
    const err = e as NodeJS.ErrnoException;
    const line = (err instanceof Error ? err.message : String(e)).split('\n')[0];
    const transient = typeof err?.code === 'string' && TRANSIENT.has(err.code);
    try {
      if (!transient) {
        writeFileSync(join(runDir, 'failed.json'), JSON.stringify({ error: line, at: new Date().toISOString(), owner: lease.info.owner, stack: err instanceof InputError ? undefined : err?.stack }, null, 2));
        logEvent(runDir, { event: 'fail', owner: lease.info.owner, error: line });
      }
      lease.release();
    } catch { /* the store itself may be what failed */ }
    await send({ type: 'end', outcome: transient ? 'transient' : 'failed', error: line, trainSeconds: trainSeconds() });
    return transient ? 'transient' : 'failed';
  } finally {
    clearInterval(timer);
    process.off('SIGTERM', requestStop);
    process.off('SIGINT', requestStop);
    await trainer?.close();
  }
}

/** The `commons __sweep-child` command: waits for its RunRequest on the IPC channel, runs it, exits. */
export async function sweepChildCommand(): Promise<void> {
  if (!process.send) throw new InputError('__sweep-child is started by commons sweep run and commons worker, with an IPC channel');
  const req = await new Promise<RunRequest>((resolve, reject) => {
    process.once('message', (m) => ((m as RunRequest)?.type === 'run' ? resolve(m as RunRequest) : reject(new Error('sweep child: expected a run request'))));
    process.once('disconnect', () => reject(new Error('sweep child: the host went away before sending a run')));
  });
  const outcome = await runChild(req);
  // The last message has been handed to the channel; leave now (tfjs or a stray timer must not keep the process up).
  process.exit(END_CODES[outcome]);
}

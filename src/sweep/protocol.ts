// The wire between a sweep host (the local pool of `commons sweep run`, or a queue worker) and the child
// process that trains one run. Conversation, over Node's IPC channel:
//
//   host  -> child   RunRequest                      once, right after the spawn
//   child -> host    { type: 'started' }             the lease is held and the trainer is ready
//   child -> host    { type: 'progress' } ...        after updates, at most every progressMs
//   child -> host    { type: 'end' }                 once, then the child exits with END_CODES[outcome]
//
// The host stops a run by sending the child SIGTERM (the child checkpoints, releases its lease and
// ends with 'stopped'); a child whose host disappears (the IPC channel closes) does the same on its own.

import type { TrainConfig } from '../learn/config.ts';
import type { TrainSummary } from '../learn/trainer.ts';
import type { LeaseInfo } from './lease.ts';

export interface RunRequest {
  type: 'run';
  /** The run directory (created if absent). */
  runDir: string;
  /** The run's whole configuration; a run directory that already holds another one is refused. */
  config: TrainConfig;
  /** Lease time to live and heartbeat period. */
  leaseTtlMs: number;
  heartbeatMs: number;
  /** A checkpoint at least this often, whatever config.checkpointEvery says. */
  checkpointMinutes: number;
  /** Checkpoints kept; older ones are deleted after each save. */
  keepCheckpoints: number;
  /** Minimum time between two progress messages. */
  progressMs: number;
  /** Written into the lease and the run's events.jsonl: who asked (e.g. "worker host:pid job 12"). */
  via: string;
}

export interface RunProgress {
  envSteps: number;
  totalSteps: number;
  agentStepsPerS: number;
  lastReturn: number | null;
  updates: number;
}

export type EndOutcome = 'done' | 'stopped' | 'busy' | 'lost' | 'failed' | 'transient';

export type ChildMessage =
  | { type: 'started'; fromSteps: number; totalSteps: number; owner: string; /** ms from this process's run request to the trainer ready */ startupMs: number }
  | ({ type: 'progress' } & RunProgress)
  | {
    type: 'end';
    outcome: EndOutcome;
    /** done: the summary (also RUN/summary.json); stopped: where it stopped */
    summary?: TrainSummary;
    envSteps?: number;
    /** failed, transient: one line */
    error?: string;
    /** busy, lost: who holds the run, and when to try again */
    holder?: LeaseInfo | null;
    retryInMs?: number;
    /** seconds spent inside Trainer.run in this process */
    trainSeconds?: number;
  };

/** The child's exit status for each outcome (1 is an uncaught crash, as for any Node process). */
export const END_CODES: Record<EndOutcome, number> = { done: 0, stopped: 0, failed: 3, busy: 4, lost: 5, transient: 6 };

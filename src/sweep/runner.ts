// The host's side of one run: starts the child process (./child.ts), sends it the RunRequest, relays its
// progress, and resolves with how it ended. Used by the local pool (./pool.ts) and the queue worker
// (./worker.ts) alike.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, EndOutcome, RunProgress, RunRequest } from './protocol.ts';

export interface RunResult {
  /** How the run ended; 'crashed' when the child died without saying (a signal, an uncaught error). */
  outcome: EndOutcome | 'crashed';
  end: Extract<ChildMessage, { type: 'end' }> | null;
  started: Extract<ChildMessage, { type: 'started' }> | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the child wrote to stderr (for a crash report). */
  stderrTail: string;
  /** ms from the spawn to the child's 'started' (process start, module load, lease, trainer ready), and in all */
  startupMs: number | null;
  totalMs: number;
}

export interface RunHandle {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult>;
  /** Asks the child to checkpoint and stop (SIGTERM). */
  stop(): void;
}

/** How to start the child: `commons __sweep-child` from the CLI bundle itself, or child-main.ts under tsx. */
function childEntry(): { modulePath: string; args: string[]; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { modulePath: fileURLToPath(new URL('./child-main.ts', here)), args: [], execArgv: ['--import', import.meta.resolve('tsx')] };
  }
  // The CLI bundle's code is split into chunks (scripts/build-bundles.mjs): this module may be one of them,
  // beside dist/cli.js.
  const cli = fileURLToPath(new URL('./cli.js', here));
  return { modulePath: existsSync(cli) ? cli : fileURLToPath(here), args: ['__sweep-child'], execArgv: [] };
}

export function startRun(req: RunRequest, onProgress?: (p: RunProgress) => void, onStarted?: (m: Extract<ChildMessage, { type: 'started' }>) => void): RunHandle {
  const t0 = performance.now();
  const { modulePath, args, execArgv } = childEntry();
  const child = fork(modulePath, args, { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let end: RunResult['end'] = null;
  let started: RunResult['started'] = null;
  let startedAt: number | null = null;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'end') end = m;
    else if (m.type === 'started') { started = m; startedAt = performance.now(); onStarted?.(m); }
    else if (m.type === 'progress') onProgress?.(m);
  });
  // A child that fails before reading its request (a broken install) closes the channel: ignore the write error.
  child.on('error', () => {});
  child.send(req, (e) => { if (e) child.kill('SIGKILL'); });
  const done = new Promise<RunResult>((resolve) => {
    child.on('exit', (code, signal) => {
      const startupMs = startedAt === null ? null : Math.round(startedAt - t0);
      resolve({
        outcome: end?.outcome ?? 'crashed', end, started, exitCode: code, signal, stderrTail: stderr.trim().split('\n').slice(-8).join('\n'),
        startupMs, totalMs: performance.now() - t0,
      });
    });
  });
  return { child, done, stop: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); } };
}

/** One line for a run that did not finish: its own error, or how its process died. */
export function describeFailure(r: RunResult): string {
  if (r.end?.error) return r.end.error;
  const how = r.signal ? `killed by ${r.signal}` : `exited with status ${r.exitCode}`;
  const last = r.stderrTail.split('\n').filter((l) => l.trim()).at(-1);
  return `the training process ${how}${last ? `: ${last.trim()}` : ''}`;
}

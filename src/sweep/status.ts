// `commons sweep status`: each run's state, steps and throughput, and the sweep's ETA. The store alone
// says which runs are done, failed, running (a live lease, whose heartbeat carries the trainer's
// progress), paused (a checkpoint, no owner) or pending; the queue, when given, adds each job's state,
// attempts and error.

import { runState, type RunState, type SweepFile } from './store.ts';
import type { QueueState } from './queue.ts';

export interface StatusRow extends RunState {
  queue: QueueState | null;
  /** seconds left for this run at its current throughput; null when not running */
  etaSeconds: number | null;
}

export interface SweepStatus {
  name: string;
  rows: StatusRow[];
  counts: Record<string, number>;
  /** env steps done and planned, over all runs */
  envSteps: number;
  totalSteps: number;
  /** agent-steps per second of all running runs together */
  agentStepsPerS: number;
  /** remaining agent-steps over the running throughput; null when nothing runs */
  etaSeconds: number | null;
}

export function sweepStatus(sweepDir: string, file: SweepFile, queue?: Map<string, QueueState | null>): SweepStatus {
  const now = Date.now();
  const rows: StatusRow[] = file.runs.map((run) => {
    const s = runState(sweepDir, run, now);
    const q = queue?.get(run.id) ?? null;
    let row: StatusRow = { ...s, queue: q, etaSeconds: null };
    // The queue knows a run's own error even when the store holds none (the run directory was unreachable).
    if (q?.state === 'failed' && s.state !== 'done' && s.state !== 'running') row = { ...row, state: 'failed', error: s.error ?? q.failedReason };
    // The queue's progress (every few seconds) is fresher than the lease's note (every heartbeat).
    const qp = q?.progress;
    if (row.state === 'running' && qp && typeof qp.envSteps === 'number' && qp.envSteps >= row.envSteps) {
      row = { ...row, envSteps: qp.envSteps, agentStepsPerS: typeof qp.agentStepsPerS === 'number' ? qp.agentStepsPerS : row.agentStepsPerS };
    }
    if (row.state === 'running' && row.agentStepsPerS) {
      row.etaSeconds = ((row.totalSteps - row.envSteps) * run.config.agents) / row.agentStepsPerS;
    }
    return row;
  });
  const counts: Record<string, number> = { done: 0, running: 0, paused: 0, pending: 0, failed: 0 };
  for (const r of rows) counts[r.state]++;
  const agentStepsPerS = rows.reduce((a, r) => a + (r.state === 'running' ? r.agentStepsPerS ?? 0 : 0), 0);
  const remaining = file.runs.reduce((a, run, i) => a + (rows[i].state === 'done' || rows[i].state === 'failed' ? 0 : (run.config.steps - rows[i].envSteps) * run.config.agents), 0);
  return {
    name: file.name, rows, counts,
    envSteps: rows.reduce((a, r) => a + r.envSteps, 0),
    totalSteps: rows.reduce((a, r) => a + r.totalSteps, 0),
    agentStepsPerS,
    // All runs left, at the pace of the runs now running (as many workers keep going).
    etaSeconds: agentStepsPerS > 0 ? remaining / agentStepsPerS : remaining === 0 ? 0 : null,
  };
}

export function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return d ? `${d}d${String(h).padStart(2, '0')}h` : h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

const num = (n: number) => n.toLocaleString('en-US');

/** The status as a table for a terminal. */
export function formatStatus(st: SweepStatus, withQueue: boolean): string {
  const head = ['run', 'state', ...(withQueue ? ['queue'] : []), 'env steps', '%', 'agent-steps/s', 'ETA', 'where / error'];
  const body = st.rows.map((r) => [
    r.id, r.state, ...(withQueue ? [r.queue ? `${r.queue.state}${r.queue.attemptsMade > 1 || r.queue.state === 'failed' ? ` (${r.queue.attemptsMade} ${r.queue.attemptsMade === 1 ? 'try' : 'tries'})` : ''}` : '-'] : []),
    `${num(r.envSteps)}/${num(r.totalSteps)}`, `${((100 * r.envSteps) / r.totalSteps).toFixed(0)}`,
    r.agentStepsPerS ? num(Math.round(r.agentStepsPerS)) : '', r.state === 'running' ? fmtDuration(r.etaSeconds) : '',
    r.error ?? (r.holder ? r.holder.host : ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const c = st.counts;
  return [
    line(head), ...body.map(line), '',
    `sweep ${st.name}: ${st.rows.length} runs: ${c.done} done, ${c.running} running, ${c.paused} paused, ${c.pending} pending, ${c.failed} failed; ` +
    `${((100 * st.envSteps) / Math.max(1, st.totalSteps)).toFixed(1)}% of ${num(st.totalSteps)} env steps; ` +
    `${num(Math.round(st.agentStepsPerS))} agent-steps/s; ETA ${fmtDuration(st.etaSeconds)}`,
  ].join('\n');
}

// Progress of long work on the command line: `commons sweep run` (the local pool) and `commons worker` (runs
// taken from the queue). The hosts report each run's start, progress messages and end (RunWatcher); this
// keeps what every running run has done and how fast, and shows it:
//   - on a terminal, one live line kept at the bottom, redrawn in place (the hosts' own lines print above it):
//       sweep s: 3/12 done, 2 running: a2c-s0 45% (225k/500k), moa-s1 12% (60k/500k); 1,234 env-steps/s; ETA 1h20m
//   - otherwise (a log file, a pipe), one line per run each time it passes a checkpoint (checkpointEvery
//     env steps), with the same figures.
// ETA: the env steps left to train (running runs' rest, and whole budgets of the runs not started) over
// the env steps per second the running runs make together (each rate smoothed over its last messages).

import type { RunProgress } from './protocol.ts';
import { fmtDuration } from './status.ts';

/** What a host tells the progress display. */
export interface RunWatcher {
  /** `checkpoints`: how often the run checkpoints (env steps, and minutes at the latest). */
  started(id: string, fromSteps: number, totalSteps: number, checkpoints?: { steps: number; minutes: number }): void;
  progress(id: string, p: RunProgress): void;
  ended(id: string, outcome: string): void;
}

export interface ProgressOptions {
  /** "sweep NAME" or "worker HOST:PID". */
  title: string;
  /** Whether to keep a live line (a terminal) or print a line per checkpoint. */
  live: boolean;
  /** Writes raw text (lines end with '\n'; the live line is redrawn with '\r'). */
  write(text: string): void;
  /** The terminal's width. */
  columns?(): number;
  /** Runs in all and runs already finished, for "3/12 done" (a worker has no total). */
  total?: number;
  finished?: number;
  /** Env steps of every run still to train, by id (their whole budgets until they start): for the ETA. */
  planned?: Map<string, number>;
  /** Clock in ms (tests). */
  now?(): number;
  /** Put before each printed progress line (a worker's time of day). */
  stamp?(): string;
}

interface Running {
  steps: number; total: number; rate: number | null; at: number;
  /** Checkpoint interval; the steps and time of the last line printed (when not live). */
  every: { steps: number; minutes: number } | null; lastLine: number; lastLineAt: number;
}

const short = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k` : String(Math.round(n)));
const pct = (a: number, b: number) => `${b > 0 ? Math.min(100, Math.floor((100 * a) / b)) : 0}%`;

export class SweepProgress implements RunWatcher {
  private readonly running = new Map<string, Running>();
  private readonly planned: Map<string, number>;
  private done: number;
  private failed = 0;
  private shown = false;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.done = o.finished ?? 0;
    this.planned = new Map(o.planned ?? []);
    this.now = o.now ?? (() => performance.now());
  }

  /** A host's own line ("r1: started ..."): printed above the live line, which is then drawn again. */
  log(line: string): void {
    this.clear();
    this.o.write(line + '\n');
    this.draw();
  }

  started(id: string, fromSteps: number, totalSteps: number, checkpoints?: { steps: number; minutes: number }): void {
    const t = this.now();
    this.running.set(id, { steps: fromSteps, total: totalSteps, rate: null, at: t, every: checkpoints ?? null, lastLine: fromSteps, lastLineAt: t });
    this.planned.delete(id);
    this.draw();
  }

  progress(id: string, p: RunProgress): void {
    const t = this.now();
    const r = this.running.get(id) ?? { steps: 0, total: p.totalSteps, rate: null, at: t, every: null, lastLine: 0, lastLineAt: t };
    const dt = (t - r.at) / 1000;
    if (dt > 0 && p.envSteps > r.steps) {
      const inst = (p.envSteps - r.steps) / dt;
      r.rate = r.rate === null ? inst : 0.7 * r.rate + 0.3 * inst;
    }
    r.steps = p.envSteps;
    r.total = p.totalSteps;
    r.at = t;
    this.running.set(id, r);
    if (this.o.live) {
      this.draw();
    } else {
      // A line each time the run passes a checkpoint: every `steps` env steps, or `minutes` after the last.
      const every = Math.max(1, r.every?.steps ?? Infinity);
      const bySteps = Number.isFinite(every) && Math.floor(r.steps / every) > Math.floor(r.lastLine / every);
      const byTime = r.every !== null && r.every.minutes > 0 && t - r.lastLineAt >= r.every.minutes * 60_000;
      if (bySteps || byTime) {
        r.lastLine = r.steps;
        r.lastLineAt = t;
        this.o.write(`${this.o.stamp?.() ?? ''}progress: ${id} ${r.steps.toLocaleString('en-US')}/${r.total.toLocaleString('en-US')} env steps (${pct(r.steps, r.total)}); ${this.summary()}\n`);
      }
    }
  }

  ended(id: string, outcome: string): void {
    const r = this.running.get(id);
    this.running.delete(id);
    if (outcome === 'done') this.done++;
    else if (outcome === 'failed' || outcome === 'crashed') this.failed++;
    // A run handed back (stopped, busy, transient) still has its rest to train.
    else if (r && outcome !== 'done') this.planned.set(id, Math.max(0, r.total - r.steps));
    this.draw();
  }

  /** Removes the live line (before the host's closing lines). */
  close(): void {
    this.clear();
  }

  /** Env steps per second of the running runs together, or null before any rate is known. */
  rate(): number | null {
    const rates = [...this.running.values()].map((r) => r.rate).filter((x): x is number => x !== null);
    return rates.length ? rates.reduce((a, b) => a + b, 0) : null;
  }

  /** Seconds to train what is left at the current rate; null when unknown. */
  eta(): number | null {
    const rate = this.rate();
    if (rate === null || rate <= 0) return null;
    let left = 0;
    for (const r of this.running.values()) left += Math.max(0, r.total - r.steps);
    for (const steps of this.planned.values()) left += steps;
    return left / rate;
  }

  /** "3/12 done, 1 failed, 2 running; 1,234 env-steps/s; ETA 1h20m" */
  summary(): string {
    const parts = [this.o.total !== undefined ? `${this.done}/${this.o.total} done` : `${this.done} done`];
    if (this.failed) parts.push(`${this.failed} failed`);
    parts.push(`${this.running.size} running`);
    const rate = this.rate();
    const eta = this.eta();
    return `${parts.join(', ')}${rate !== null ? `; ${Math.round(rate).toLocaleString('en-US')} env-steps/s` : ''}${eta !== null ? `; ETA ${fmtDuration(eta)}` : ''}`;
  }

  /** The live line, at most `columns` - 1 characters: the runs' list is cut first. */
  line(columns = this.o.columns?.() ?? 80): string {
    const room = Math.max(20, columns - 1);
    const runs = [...this.running.entries()].map(([id, r]) => `${id} ${pct(r.steps, r.total)} (${short(r.steps)}/${short(r.total)})`);
    const s = this.summary();
    const [head, ...tail] = s.split('; ');
    const rest = tail.length ? `; ${tail.join('; ')}` : '';
    for (let n = runs.length; n >= 0; n--) {
      const list = n === 0 ? '' : `: ${runs.slice(0, n).join(', ')}${n < runs.length ? `, +${runs.length - n}` : ''}`;
      const text = `${this.o.title}: ${head}${list}${rest}`;
      if (text.length <= room) return text;
    }
    const text = `${this.o.title}: ${s}`;
    return text.length <= room ? text : text.slice(0, room);
  }

  private draw(): void {
    if (!this.o.live) return;
    this.o.write(`\r${this.line()}\x1b[K`);
    this.shown = true;
  }

  private clear(): void {
    if (this.o.live && this.shown) this.o.write('\r\x1b[K');
    this.shown = false;
  }
}

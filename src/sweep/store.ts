// A sweep's directory, the same for a local pool and for queue workers sharing a store:
//
//   SWEEP/sweep.json            the spec as given and every planned run with its resolved configuration
//   SWEEP/runs/ID/              one run directory per run (config.json, metrics.jsonl, checkpoints/,
//                               summary.json: the trainer's), plus the host's files:
//                 lease         who trains it now (./lease.ts); lease-ID.beat: its heartbeat and progress
//                 events.jsonl  one line per start, stop, end, failure: who and at which step
//                 failed.json   the run's own error, when it failed
//   SWEEP/report/               what `commons sweep report` writes
//
// A run's state is read from these files alone, so `commons sweep status` works without the queue.

import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { listCheckpoints } from '../hosting/checkpoint.ts';
import { readLease, leaseLive, type LeaseInfo } from './lease.ts';
import { fsReason } from '../util/node-paths.ts';
import type { PlannedRun, SweepPlan, SweepSpec } from './spec.ts';

export const SWEEP_FORMAT = 'commons-sweep';
export const SWEEP_VERSION = 1;

export interface SweepFile {
  format: typeof SWEEP_FORMAT;
  version: number;
  name: string;
  created: string;
  spec: SweepSpec;
  runs: PlannedRun[];
}

export const sweepJson = (dir: string) => join(dir, 'sweep.json');
export const runDirOf = (sweepDir: string, id: string) => join(sweepDir, 'runs', id);

/** JSON with object keys sorted, for comparing configurations. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]])) : x));
}

/** The settings where two configurations differ, as "key: a vs b" (for error messages). */
export function configDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonical(a[k]) !== canonical(b[k]));
  return keys.slice(0, 4).map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`).join(', ') + (keys.length > 4 ? ', ...' : '');
}

/** Reads SWEEP/sweep.json; `flag` names the argument that pointed at the directory, for errors. */
export function readSweep(dir: string, flag = 'DIR'): SweepFile {
  const path = sweepJson(dir);
  if (!existsSync(path)) throw new InputError(`${flag}: ${dir} holds no sweep (no sweep.json); start one with commons sweep run SPEC --out ${dir}`);
  let f: SweepFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${flag}: ${path} is corrupt (${(e as Error).message})`);
  }
  if (f.format !== SWEEP_FORMAT || !Array.isArray(f.runs)) throw new InputError(`${flag}: ${path} is not a commons sweep file`);
  if (f.version > SWEEP_VERSION) throw new InputError(`${flag}: ${path} is version ${f.version}; this commons reads up to ${SWEEP_VERSION}`);
  return f;
}

/**
 * Writes the plan into SWEEP/sweep.json. A directory that already holds a sweep takes the new plan only
 * if every run the two share by id has the same configuration (more seeds, games, models or grid values may
 * be added to a sweep; a changed setting needs a new sweep). Settings a newer commons added, absent from a
 * stored run, are not changes: that run keeps its stored configuration and takes their defaults.
 */
export function writeSweep(dir: string, plan: SweepPlan): SweepFile {
  const path = sweepJson(dir);
  // runs already planned keep their stored configuration (what their run directories were started with)
  const before = new Map<string, PlannedRun>();
  if (existsSync(path)) {
    const old = readSweep(dir, '--out');
    if (old.name !== plan.spec.name) {
      throw new InputError(`--out: ${dir} holds sweep '${old.name}', not '${plan.spec.name}'; give each sweep its own directory`);
    }
    for (const r of old.runs) before.set(r.id, r);
    for (const r of plan.runs) {
      const o = before.get(r.id);
      // settings a newer commons added (absent from the stored run) take their defaults there: not a change
      const shared = o && Object.fromEntries(Object.keys(r.config).filter((k) => k in o.config).map((k) => [k, (r.config as unknown as Record<string, unknown>)[k]]));
      if (o && canonical(o.config) !== canonical(shared)) {
        throw new InputError(`spec: run ${r.id} is already in ${path} with other settings (${configDiff(r.config as never, o.config as never)}); ` +
          'give the sweep another name (spec.name) or directory');
      }
    }
  }
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const runs = plan.runs.map((r) => before.get(r.id) ?? r);
  const file: SweepFile = { format: SWEEP_FORMAT, version: SWEEP_VERSION, name: plan.spec.name, created: new Date().toISOString(), spec: plan.spec, runs };
  // written aside and renamed into place: a reader (a worker, status) never sees half a file
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2));
  renameSync(tmp, path);
  return file;
}

export type RunStateName = 'done' | 'failed' | 'running' | 'paused' | 'pending';

export interface RunState {
  id: string;
  state: RunStateName;
  envSteps: number;
  totalSteps: number;
  /** running: the throughput its trainer last reported */
  agentStepsPerS: number | null;
  error: string | null;
  holder: LeaseInfo | null;
  /** done: the run's summary */
  summary: Record<string, unknown> | null;
}

function readJsonOr<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** A run's state, from its directory. A directory that cannot be read (a file in its place, no permission)
 * is a failed run, with the reason. */
export function runState(sweepDir: string, run: PlannedRun, now = Date.now()): RunState {
  const dir = runDirOf(sweepDir, run.id);
  const base: RunState = { id: run.id, state: 'pending', envSteps: 0, totalSteps: run.config.steps, agentStepsPerS: null, error: null, holder: null, summary: null };
  try {
    return readRunState(dir, base, now);
  } catch (e) {
    return { ...base, state: 'failed', error: `${dir}: ${fsReason(e)}` };
  }
}

function readRunState(dir: string, base: RunState, now: number): RunState {
  if (!existsSync(dir)) return base;
  if (!statSync(dir).isDirectory()) return { ...base, state: 'failed', error: `${dir} is a file, not a run directory` };
  const summary = readJsonOr<Record<string, unknown> | null>(join(dir, 'summary.json'), null);
  if (summary) return { ...base, state: 'done', envSteps: Number(summary.env_steps), summary };
  const ckpts = existsSync(join(dir, 'checkpoints')) ? listCheckpoints(dir) : [];
  const saved = ckpts.length ? Number(ckpts[ckpts.length - 1].slice(5)) : 0;
  const lease = readLease(dir);
  // a live holder: not expired, and not a process of this host that is gone
  if (lease?.info && leaseLive(lease, now)) {
    const note = lease.info.note ?? {};
    return {
      ...base, state: 'running', holder: lease.info,
      envSteps: typeof note.envSteps === 'number' ? note.envSteps : saved,
      agentStepsPerS: typeof note.agentStepsPerS === 'number' ? note.agentStepsPerS : null,
    };
  }
  const failed = readJsonOr<{ error?: string } | null>(join(dir, 'failed.json'), null);
  if (failed) return { ...base, state: 'failed', envSteps: saved, error: failed.error ?? 'failed' };
  return { ...base, state: saved > 0 ? 'paused' : 'pending', envSteps: saved };
}

/** Appends one line to RUN/events.jsonl (only the lease holder writes there). */
export function logEvent(runDir: string, event: Record<string, unknown>): void {
  appendFileSync(join(runDir, 'events.jsonl'), JSON.stringify({ at: new Date().toISOString(), ...event }) + '\n');
}

/** RUN/events.jsonl, parsed (a torn last line is skipped). */
export function readEvents(runDir: string): Record<string, unknown>[] {
  const path = join(runDir, 'events.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    try { return [JSON.parse(l)]; } catch { return []; }
  });
}

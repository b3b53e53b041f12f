// A lease on a run directory: at most one process trains a run at a time, even when the job queue hands
// the same run to two workers (BullMQ delivers at least once: a job whose lock expired is re-delivered
// while its first worker may still be alive) or when a local `sweep run` and a queue worker share a store.
//
// The lease is the file RUN/lease, created with O_CREAT|O_EXCL (the `wx` flag): exactly one creator wins,
// on a local disk and on NFS v3+ (whose clients send an exclusive CREATE to the server). It holds the
// owner's id, host and pid, and an expiry that the owner pushes forward with each heartbeat by writing a
// new file and renaming it over the lease (a reader always sees a whole file). A lease whose expiry has
// passed is stale: its owner died or hung. Taking a stale lease over goes through a second O_EXCL file,
// RUN/lease.takeover, so that of two processes that both saw it stale, only one replaces it; the other
// then finds a fresh lease and backs off.
//
// Limits (docs/sweeps.md): expiry compares the owner's clock with the reader's, so machines must keep
// their clocks in step (NTP) to well within the lease's time to live; a heartbeat checks ownership just
// before it writes, and the trainer checks it before each checkpoint, but an owner frozen between the
// check and the write (SIGSTOP, a hard NFS mount that hangs for longer than the time to live) can still
// write once after waking. Keep the time to live well above the longest stall you expect.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LeaseInfo {
  /** Unique per acquisition: host, pid and random bytes. */
  owner: string;
  host: string;
  pid: number;
  acquired: number;
  heartbeat: number;
  /** ms since the epoch, by the owner's clock. */
  expires: number;
  /** Whatever the owner wants readers to see (the sweep writes its progress here). */
  note?: Record<string, unknown>;
}

export type AcquireResult = { ok: true; lease: Lease } | { ok: false; holder: LeaseInfo | null; retryInMs: number };

/** How long a takeover file may sit before it counts as left behind by a crashed process. */
const TAKEOVER_STALE_MS = 30_000;

function writeWhole(path: string, text: string, flag: 'wx' | 'w'): void {
  const fd = openSync(path, flag);
  try {
    const b = Buffer.from(text);
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The lease file of a run directory. */
export const leasePath = (runDir: string) => join(runDir, 'lease');

/** Reads a lease file: its info, or null when absent; `raw` lets a taker check it did not change. */
export function readLease(runDir: string): { info: LeaseInfo | null; raw: string; mtimeMs: number } | null {
  const path = leasePath(runDir);
  let raw: string, mtimeMs: number;
  try {
    raw = readFileSync(path, 'utf8');
    mtimeMs = statSync(path).mtimeMs;
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    const info = JSON.parse(raw) as LeaseInfo;
    return { info: typeof info?.owner === 'string' && typeof info.expires === 'number' ? info : null, raw, mtimeMs };
  } catch {
    // Created but not yet written (the creator is between open and write), or torn by a crash.
    return { info: null, raw, mtimeMs };
  }
}

/** True when the lease read is past its expiry (an unreadable one counts from its file time). */
function isStale(read: NonNullable<ReturnType<typeof readLease>>, ttlMs: number, now: number): boolean {
  return read.info ? read.info.expires < now : read.mtimeMs + ttlMs < now;
}

export class Lease {
  private constructor(readonly runDir: string, readonly ttlMs: number, public info: LeaseInfo) {}

  /**
   * Tries to take the lease on runDir for ttlMs. When another live owner holds it, says who and how long
   * until it would expire if that owner stopped renewing it.
   */
  static acquire(runDir: string, ttlMs: number, note?: Record<string, unknown>): AcquireResult {
    const now = Date.now();
    const host = hostname();
    const info: LeaseInfo = {
      owner: `${host}:${process.pid}:${randomBytes(6).toString('hex')}`, host, pid: process.pid,
      acquired: now, heartbeat: now, expires: now + ttlMs, note,
    };
    const text = JSON.stringify(info);
    const path = leasePath(runDir);
    try {
      writeWhole(path, text, 'wx');
      return { ok: true, lease: new Lease(runDir, ttlMs, info) };
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    const seen = readLease(runDir);
    if (seen && !isStale(seen, ttlMs, now)) return { ok: false, holder: seen.info, retryInMs: Math.max(1000, (seen.info?.expires ?? seen.mtimeMs + ttlMs) - now) };
    // Stale (or gone since): take it over under the takeover file, so that only one taker replaces it.
    const takeover = path + '.takeover';
    try {
      writeWhole(takeover, text, 'wx');
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      try {
        if (statSync(takeover).mtimeMs + TAKEOVER_STALE_MS < now) unlinkSync(takeover);
      } catch { /* another taker removed it */ }
      return { ok: false, holder: seen?.info ?? null, retryInMs: 1000 };
    }
    try {
      const again = readLease(runDir);
      if (again && (again.raw !== seen?.raw || !isStale(again, ttlMs, Date.now()))) {
        return { ok: false, holder: again.info, retryInMs: Math.max(1000, (again.info?.expires ?? again.mtimeMs + ttlMs) - Date.now()) };
      }
      if (again) unlinkSync(path);
      try {
        writeWhole(path, text, 'wx');
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
        // A plain acquire slipped in between the unlink and this create: it owns the run.
        return { ok: false, holder: readLease(runDir)?.info ?? null, retryInMs: ttlMs };
      }
      return { ok: true, lease: new Lease(runDir, ttlMs, info) };
    } finally {
      try { unlinkSync(takeover); } catch { /* already gone */ }
    }
  }

  /** True while the lease file still names this owner. */
  holds(): boolean {
    const r = readLease(this.runDir);
    return r?.info?.owner === this.info.owner;
  }

  /** Pushes the expiry forward (and updates the note); false when the lease was lost to another owner. */
  renew(note?: Record<string, unknown>): boolean {
    if (!this.holds()) return false;
    const now = Date.now();
    this.info = { ...this.info, heartbeat: now, expires: now + this.ttlMs, note: note ?? this.info.note };
    const tmp = `${leasePath(this.runDir)}.${process.pid}.tmp`;
    writeWhole(tmp, JSON.stringify(this.info), 'w');
    renameSync(tmp, leasePath(this.runDir));
    return true;
  }

  /** Gives the lease up (only if it is still ours). */
  release(): void {
    if (!this.holds()) return;
    try { unlinkSync(leasePath(this.runDir)); } catch (e) { if (errno(e) !== 'ENOENT') throw e; }
  }
}

// A lease on a run directory: at most one process trains a run at a time, even when the job queue hands
// the same run to two workers (BullMQ delivers at least once: a job whose lock expired is re-delivered
// while its first worker may still be alive) or when a local `sweep run` and a queue worker share a store.
//
// Two kinds of files:
//   RUN/lease            who holds the run: written once, created with O_CREAT|O_EXCL (the `wx` flag), so
//                        that exactly one creator wins, on a local disk and on NFS v3+ (whose clients send
//                        an exclusive CREATE to the server). Never rewritten while held.
//   RUN/lease-ID.beat    the holder's heartbeat: its expiry (and a note: the trainer's progress), rewritten
//                        by writing a temporary file and renaming it over, so a reader sees a whole file.
//                        Each holder writes only its own beat file: a holder that wakes up after losing the
//                        run can never overwrite the new holder's lease.
// A lease whose holder's beat has expired is stale: its holder died or hung. Taking it over goes through a
// third O_EXCL file, RUN/lease.takeover, so that of two processes that both saw it stale only one replaces
// it; the other then finds a fresh lease and backs off.
//
// Limits (docs/sweeps.md): expiry compares the holder's clock with the reader's, so machines must keep
// their clocks in step (NTP) to well within the time to live; the trainer checks that it still holds the
// lease before each checkpoint and between updates, but a holder frozen between that check and its write
// (SIGSTOP, a hard NFS mount that hangs for longer than the time to live) can still write once after
// waking. Keep the time to live well above the longest stall you expect.

import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A lease as readers see it: the holder (from RUN/lease) and its latest heartbeat (from its beat file). */
export interface LeaseInfo {
  /** Unique per acquisition: host, pid and random bytes. */
  owner: string;
  host: string;
  pid: number;
  acquired: number;
  heartbeat: number;
  /** ms since the epoch, by the holder's clock. */
  expires: number;
  /** Whatever the holder wants readers to see (the sweep writes its progress here). */
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
const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
};
const unlinkQuiet = (path: string) => { try { unlinkSync(path); } catch (e) { if (errno(e) !== 'ENOENT') throw e; } };

/** The lease file of a run directory. */
export const leasePath = (runDir: string) => join(runDir, 'lease');
/** The beat file of the holder `owner` (its random id names it). */
export const beatPath = (runDir: string, owner: string) => join(runDir, `lease-${owner.split(':').pop()!.replace(/[^0-9a-z]/gi, '')}.beat`);

export interface LeaseRead {
  /** null when the files are unreadable (being created, or torn by a crash) */
  info: LeaseInfo | null;
  /** the lease file's text and its holder's beat file's text: a taker checks they did not change */
  raw: string;
  /** the newer of the two files' modification times */
  mtimeMs: number;
}

/** Reads a run directory's lease; null when there is none. */
export function readLease(runDir: string): LeaseRead | null {
  const path = leasePath(runDir);
  const leaseText = readOrNull(path);
  if (leaseText === null) return null;
  let mtimeMs = 0;
  try { mtimeMs = statSync(path).mtimeMs; } catch { /* removed since */ }
  let holder: { owner: string; host: string; pid: number; acquired: number } | null = null;
  try {
    const h = JSON.parse(leaseText);
    if (typeof h?.owner === 'string') holder = h;
  } catch { /* created but not yet written: the creator is between open and write */ }
  if (!holder) return { info: null, raw: leaseText, mtimeMs };
  const beatText = readOrNull(beatPath(runDir, holder.owner));
  let beat: { heartbeat: number; expires: number; note?: Record<string, unknown> } | null = null;
  try {
    if (beatText !== null) beat = JSON.parse(beatText);
    mtimeMs = Math.max(mtimeMs, statSync(beatPath(runDir, holder.owner)).mtimeMs);
  } catch { /* no beat yet */ }
  const raw = `${leaseText}\n${beatText ?? ''}`;
  if (!beat || typeof beat.expires !== 'number') return { info: null, raw, mtimeMs };
  return { info: { ...holder, heartbeat: beat.heartbeat, expires: beat.expires, note: beat.note }, raw, mtimeMs };
}

/** True when the lease read is past its expiry (an unreadable one counts from its files' time). */
function isStale(read: LeaseRead, ttlMs: number, now: number): boolean {
  return read.info ? read.info.expires < now : read.mtimeMs + ttlMs < now;
}
const retryIn = (read: LeaseRead, ttlMs: number) => Math.max(1000, (read.info?.expires ?? read.mtimeMs + ttlMs) - Date.now());

export class Lease {
  private constructor(readonly runDir: string, readonly ttlMs: number, public info: LeaseInfo) {}

  /**
   * Tries to take the lease on runDir for ttlMs. When another live holder has it, says who and how long
   * until it would expire if that holder stopped renewing it.
   */
  static acquire(runDir: string, ttlMs: number, note?: Record<string, unknown>): AcquireResult {
    const now = Date.now();
    const host = hostname();
    const info: LeaseInfo = {
      owner: `${host}:${process.pid}:${randomBytes(6).toString('hex')}`, host, pid: process.pid,
      acquired: now, heartbeat: now, expires: now + ttlMs, note,
    };
    const leaseText = JSON.stringify({ owner: info.owner, host, pid: info.pid, acquired: now });
    const mine = beatPath(runDir, info.owner);
    // The beat first: a lease that exists always has its holder's beat beside it.
    writeWhole(mine, JSON.stringify({ heartbeat: now, expires: info.expires, note }), 'w');
    const won = (): AcquireResult => {
      const lease = new Lease(runDir, ttlMs, info);
      lease.sweepBeats();
      return { ok: true, lease };
    };
    const lost = (r: AcquireResult): AcquireResult => { unlinkQuiet(mine); return r; };
    const path = leasePath(runDir);
    try {
      writeWhole(path, leaseText, 'wx');
      return won();
    } catch (e) {
      if (errno(e) !== 'EEXIST') { unlinkQuiet(mine); throw e; }
    }
    const seen = readLease(runDir);
    if (seen && !isStale(seen, ttlMs, now)) return lost({ ok: false, holder: seen.info, retryInMs: retryIn(seen, ttlMs) });
    // Stale (or gone since): take it over under the takeover file, so that only one taker replaces it.
    const takeover = path + '.takeover';
    try {
      writeWhole(takeover, leaseText, 'wx');
    } catch (e) {
      if (errno(e) !== 'EEXIST') { unlinkQuiet(mine); throw e; }
      try {
        if (statSync(takeover).mtimeMs + TAKEOVER_STALE_MS < now) unlinkSync(takeover);
      } catch { /* another taker removed it */ }
      return lost({ ok: false, holder: seen?.info ?? null, retryInMs: 1000 });
    }
    try {
      const again = readLease(runDir);
      if (again && (again.raw !== seen?.raw || !isStale(again, ttlMs, Date.now()))) {
        return lost({ ok: false, holder: again.info, retryInMs: retryIn(again, ttlMs) });
      }
      if (again) unlinkQuiet(path);
      try {
        writeWhole(path, leaseText, 'wx');
      } catch (e) {
        if (errno(e) !== 'EEXIST') { unlinkQuiet(mine); throw e; }
        // A plain acquire slipped in between the unlink and this create: it holds the run.
        return lost({ ok: false, holder: readLease(runDir)?.info ?? null, retryInMs: ttlMs });
      }
      return won();
    } finally {
      unlinkQuiet(takeover);
    }
  }

  /** Removes beat files of earlier holders (left by crashes), keeping this holder's. */
  private sweepBeats(): void {
    const mine = beatPath(this.runDir, this.info.owner);
    for (const name of readdirSync(this.runDir)) {
      const p = join(this.runDir, name);
      if (/^lease-[0-9a-z]+\.beat(\.\d+\.tmp)?$/i.test(name) && p !== mine) unlinkQuiet(p);
    }
  }

  /** True while RUN/lease names this holder. */
  holds(): boolean {
    const text = readOrNull(leasePath(this.runDir));
    if (text === null) return false;
    try {
      return JSON.parse(text).owner === this.info.owner;
    } catch {
      return false;
    }
  }

  /** Pushes the expiry forward (and updates the note); false when the lease was lost to another holder. */
  renew(note?: Record<string, unknown>): boolean {
    if (!this.holds()) return false;
    const now = Date.now();
    this.info = { ...this.info, heartbeat: now, expires: now + this.ttlMs, note: note ?? this.info.note };
    // Only this holder's own beat file is written: it cannot clobber another holder's lease.
    const beat = beatPath(this.runDir, this.info.owner);
    const tmp = `${beat}.${process.pid}.tmp`;
    writeWhole(tmp, JSON.stringify({ heartbeat: now, expires: this.info.expires, note: this.info.note }), 'w');
    renameSync(tmp, beat);
    return true;
  }

  /** Gives the lease up (only if it is still this holder's). */
  release(): void {
    if (this.holds()) unlinkQuiet(leasePath(this.runDir));
    unlinkQuiet(beatPath(this.runDir, this.info.owner));
  }
}

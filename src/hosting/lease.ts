// A lease on a run directory: at most one process writes a run at a time, whatever the command:
// `commons train --out` and `--resume`, `commons checkpoints --mark/--clean`, the library's train() with a
// runDir, and the sweep's child processes (BullMQ delivers a job at least once: a job whose lock expired is
// re-delivered while its first worker may still be alive; a local `sweep run` and a queue worker may share
// a store).
//
// Two kinds of files:
//   RUN/lease            who holds the run: written once, created with O_CREAT|O_EXCL (the `wx` flag), so
//                        that exactly one creator wins, on a local disk and on NFS v3+ (whose clients send
//                        an exclusive CREATE to the server). Never rewritten while held.
//   RUN/lease-ID.beat    the holder's heartbeat: its expiry (and a note: the trainer's progress), rewritten
//                        by writing a temporary file and renaming it over, so a reader sees a whole file.
//                        Each holder writes only its own beat file: a holder that wakes up after losing the
//                        run can never overwrite the new holder's lease.
// A lease is stale when its holder's beat has expired (the holder died or hung), or at once when the holder
// ran on this host and its process is gone (the pid is checked: a crash or a `kill -9` frees the run
// without waiting out the time to live). Taking it over goes through a third O_EXCL file,
// RUN/lease.takeover, so that of two processes that both saw it stale only one replaces it; the other then
// finds a fresh lease and backs off.
//
// A holder checks that the lease still names it before every write (Lease.check, called by the run
// directory's store before each metrics line, checkpoint stage, summary and event): a holder that lost
// the run stops without writing more.
//
// Limits (docs/sweeps.md): expiry compares the holder's clock with the reader's, so machines must keep
// their clocks in step (NTP) to well within the time to live, and host names must differ between machines
// sharing a store (the pid check trusts them, within one pid namespace); a holder frozen in the microseconds between its check and
// the write that follows can still make that one write after waking.

import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../util/errors.ts';

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

/** Who holds a lease, from RUN/lease alone. `pidns` names the holder's pid namespace (Linux): containers that
 * share a host name (host networking) do not share pids, so only a holder of this namespace is judged by its pid. */
export interface LeaseHolder { owner: string; host: string; pid: number; acquired: number; pidns?: string }

/** This process's pid namespace, where the system says (Linux: "pid:[4026531836]"). */
const PID_NS: string | undefined = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

export interface LeaseRead {
  /** null when the lease file is unreadable (being created, or torn by a crash) */
  holder: LeaseHolder | null;
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
  let holder: LeaseHolder | null = null;
  try {
    const h = JSON.parse(leaseText);
    if (typeof h?.owner === 'string') holder = h;
  } catch { /* created but not yet written: the creator is between open and write */ }
  if (!holder) return { holder: null, info: null, raw: leaseText, mtimeMs };
  const beatText = readOrNull(beatPath(runDir, holder.owner));
  let beat: { heartbeat: number; expires: number; note?: Record<string, unknown> } | null = null;
  try {
    if (beatText !== null) beat = JSON.parse(beatText);
    mtimeMs = Math.max(mtimeMs, statSync(beatPath(runDir, holder.owner)).mtimeMs);
  } catch { /* no beat yet */ }
  const raw = `${leaseText}\n${beatText ?? ''}`;
  if (!beat || typeof beat.expires !== 'number') return { holder, info: null, raw, mtimeMs };
  return { holder, info: { ...holder, heartbeat: beat.heartbeat, expires: beat.expires, note: beat.note }, raw, mtimeMs };
}

/** Whether process `pid` of this host is running (EPERM: it is, under another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

/** True when the holder ran on this host (and pid namespace) and its process is gone: its lease is free at once. */
export function holderDead(holder: Pick<LeaseHolder, 'host' | 'pid' | 'pidns'> | null | undefined): boolean {
  return !!holder && holder.host === hostname() && (holder.pidns ?? PID_NS) === PID_NS && !pidAlive(holder.pid);
}

/** True when the lease read is free to take: past its expiry (an unreadable one counts from its files'
 * time), or held by a process of this host that is gone. */
function isStale(read: LeaseRead, ttlMs: number, now: number): boolean {
  if (holderDead(read.holder)) return true;
  return read.info ? read.info.expires < now : read.mtimeMs + ttlMs < now;
}

/** True while a lease read names a holder that may still write: not expired, and not dead on this host. */
export function leaseLive(read: LeaseRead | null, now = Date.now()): boolean {
  return !!read?.info && read.info.expires >= now && !holderDead(read.holder);
}

const retryIn = (read: LeaseRead, ttlMs: number) => Math.max(1000, (read.info?.expires ?? read.mtimeMs + ttlMs) - Date.now());

/** "pid 123 on host a since 2026-12-07T10:00:00.000Z", for messages. */
export function describeHolder(h: Pick<LeaseHolder, 'host' | 'pid' | 'acquired'> | null | undefined): string {
  if (!h) return 'another process (its lease file is still being written)';
  const since = Number.isFinite(h.acquired) && h.acquired > 0 ? new Date(h.acquired).toISOString() : 'an unknown time';
  return `pid ${h.pid} on host ${h.host} since ${since}`;
}

/** A run directory that another process holds: `flag` names the option that pointed at it. */
export class LeaseHeld extends InputError {
  constructor(readonly flag: string, readonly runDir: string, readonly holder: LeaseInfo | LeaseHolder | null, readonly retryInMs: number) {
    super(`${flag}: ${runDir} is being written by ${describeHolder(holder)}; one process writes a run at a time ` +
      `(lease ${leasePath(runDir)}: freed when that process ends, at once if it dies on this host, ` +
      `or in ${Math.ceil(retryInMs / 1000)} s if it stops renewing it)`);
  }
}

/** Thrown by Lease.check: another process took the run over; this one must write nothing more. */
export class LeaseLost extends InputError {
  constructor(readonly runDir: string, readonly holder: LeaseHolder | null) {
    super(`${runDir}: this process lost its lease on the run to ${describeHolder(holder)} (it stopped renewing it for longer than ` +
      'the lease lasts); it stopped without writing more: the other process writes the run now');
  }
}

export class Lease {
  /** Set once this holder learns that the run changed hands; it stays lost. */
  private lostTo: LeaseHolder | null | undefined;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The latest error of a background renewal (a store that hiccuped), if the last one failed. */
  renewError: Error | null = null;

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
    const leaseText = JSON.stringify({ owner: info.owner, host, pid: info.pid, acquired: now, ...(PID_NS ? { pidns: PID_NS } : {}) });
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
    if (this.lostTo !== undefined) return false;
    const text = readOrNull(leasePath(this.runDir));
    let owner: unknown;
    try {
      owner = text === null ? null : JSON.parse(text)?.owner;
    } catch { /* another taker between its create and its write */ }
    if (owner === this.info.owner) return true;
    this.lostTo = readLease(this.runDir)?.holder ?? null;
    return false;
  }

  /** Whether this holder has learnt that it lost the run (without looking at the files again). */
  get lost(): boolean {
    return this.lostTo !== undefined;
  }

  /** Throws LeaseLost unless RUN/lease still names this holder: called before every write to the run. */
  check(): void {
    if (!this.holds()) throw new LeaseLost(this.runDir, this.lostTo ?? null);
  }

  /**
   * Renews the lease every `everyMs` in the background (an unref'd timer: it keeps no process alive) until
   * release(); `note` gives the note of each renewal. A renewal that finds the lease lost marks it lost (the
   * next check throws); one that fails on an I/O error is tried again at the next tick (renewError says why).
   */
  keepAlive(everyMs: number, note?: () => Record<string, unknown> | undefined): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (this.lost) return;
      try {
        this.renew(note?.());
        this.renewError = null;
      } catch (e) {
        this.renewError = e as Error;
      }
    }, everyMs);
    this.timer.unref?.();
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

  /** Gives the lease up (only if it is still this holder's); never throws (the store may be what failed). */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      if (this.holds()) unlinkQuiet(leasePath(this.runDir));
      unlinkQuiet(beatPath(this.runDir, this.info.owner));
    } catch { /* an unreachable store: the lease expires on its own */ }
  }
}

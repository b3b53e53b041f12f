// Checkpoints on disk: one directory per checkpoint under RUN/checkpoints/, written atomically. Files are
// written into a temporary directory, flushed, and the directory is renamed into place; only then does
// checkpoints/latest.json (itself written to a temporary file and renamed) point at it. A crash at any
// moment leaves the previous checkpoint as the one that loads. Every file carries a SHA-256 in the
// manifest, so a corrupt or truncated checkpoint is refused with the file named.
//
// The files themselves (manifest.json, tensors.bin, env.bin) are made and checked by checkpoint-format.ts,
// which browsers use too; this module only adds the Node file system.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../util/errors.ts';
import { withPath } from '../util/node-paths.ts';
import {
  CHECKPOINT_FILES, decodeCheckpoint, encodeCheckpoint, packArchive, readCheckpointFiles,
  type CheckpointData, type LoadedCheckpoint, type SaveHook,
} from '../learn/checkpoint-format.ts';

export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, checkCompatible,
  type TensorEntry, type CheckpointManifest, type CheckpointData, type LoadedCheckpoint, type SaveHook,
} from '../learn/checkpoint-format.ts';

/** Writes `data` to `path` and flushes it to the device; an error names the path (a write's own error
 * does not: it only knows a file descriptor). */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw withPath(e, path);
  }
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    throw withPath(e, path);
  } finally {
    closeSync(fd);
  }
}

/** Flushes an existing file to the device (metrics.jsonl before a checkpoint that counts it). */
export function fsyncFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw withPath(e, path);
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    throw withPath(e, path);
  } finally {
    closeSync(fd);
  }
}

/** Names of this process's temporary files: its pid and a random tag, so that two hosts whose processes
 * share a pid never share a temporary file on a common store. */
const TEMP_TAG = `${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * Writes a checkpoint for `envSteps` under runDir/checkpoints and points latest.json at it. Returns its id.
 * A save that fails (a full disk, or a hook that throws because the run changed hands) removes what it had
 * written and leaves the previous checkpoint the one that loads; the error names the checkpoint's path.
 */
export function saveCheckpoint(runDir: string, data: CheckpointData, hook?: SaveHook): string {
  const root = join(runDir, 'checkpoints');
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw withPath(e, root);
  }
  const { id, files } = encodeCheckpoint(data);
  const tmp = join(root, `.tmp-${id}-${TEMP_TAG}`);
  const latestTmp = join(root, `.latest-${TEMP_TAG}.json`);
  const final = join(root, id);
  const rename = (from: string, to: string) => {
    try {
      renameSync(from, to);
    } catch (e) {
      throw withPath(e, to);
    }
  };
  try {
    rmSync(tmp, { recursive: true, force: true });
    try {
      mkdirSync(tmp);
    } catch (e) {
      throw withPath(e, tmp);
    }
    writeFileDurable(join(tmp, 'tensors.bin'), files['tensors.bin']);
    hook?.('tensors');
    writeFileDurable(join(tmp, 'env.bin'), files['env.bin']);
    hook?.('env');
    // The manifest last: a directory with a manifest is a complete one.
    writeFileDurable(join(tmp, 'manifest.json'), files['manifest.json']);
    hook?.('manifest');
    rmSync(final, { recursive: true, force: true });
    rename(tmp, final);
    hook?.('renamed');
    writeFileDurable(latestTmp, JSON.stringify({ id }));
    rename(latestTmp, join(root, 'latest.json'));
    return id;
  } catch (e) {
    // Leave nothing half-written behind (and give back the space a full disk needs).
    for (const p of [tmp, latestTmp]) {
      try { rmSync(p, { recursive: true, force: true }); } catch { /* the store itself may be what failed */ }
    }
    const err = e as NodeJS.ErrnoException;
    // The temporary directory is gone: name the checkpoint being written instead.
    if (typeof err?.path === 'string' && err.path.startsWith(tmp)) err.path = final + err.path.slice(tmp.length);
    throw e;
  }
}

/** The id latest.json names, or undefined if it is missing or unreadable. */
export function latestId(runDir: string): string | undefined {
  try {
    const id = JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest.json'), 'utf8')).id;
    return typeof id === 'string' && /^step-\d+$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

const markedFile = (runDir: string) => join(runDir, 'checkpoints', 'marked.json');

/** Checkpoints a user marked to keep (never pruned). */
export function markedCheckpoints(runDir: string): string[] {
  try {
    const m = JSON.parse(readFileSync(markedFile(runDir), 'utf8')).marked;
    return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Marks checkpoint `id` to keep (or, with keep false, lets it be pruned again). */
export function markCheckpoint(runDir: string, id: string, keep = true): void {
  const ids = listCheckpoints(runDir);
  if (keep && !ids.includes(id)) throw new InputError(`checkpoint: ${id} not found in ${join(runDir, 'checkpoints')} (available: ${ids.join(', ') || 'none'})`);
  const set = new Set(markedCheckpoints(runDir));
  if (keep) set.add(id); else set.delete(id);
  const tmp = `${markedFile(runDir)}.${process.pid}.tmp`;
  writeFileDurable(tmp, JSON.stringify({ marked: [...set].sort() }, null, 2) + '\n');
  renameSync(tmp, markedFile(runDir));
}

/**
 * Deletes checkpoints beyond the newest `keep` (by step), except marked ones, the one latest.json names and
 * those in `spare`. keep 0 keeps every checkpoint. `room` 1 makes room for one more save: only the newest
 * keep - 1 stay (with latest.json's, marked and spared ones). Returns the ids deleted.
 */
export function pruneCheckpoints(runDir: string, keep: number, opts: { room?: number; spare?: string[] } = {}): string[] {
  if (keep <= 0) return [];
  const ids = listCheckpoints(runDir);
  const newest = Math.max(0, keep - (opts.room ?? 0));
  const kept = new Set([...(newest > 0 ? ids.slice(-newest) : []), ...markedCheckpoints(runDir), ...(opts.spare ?? [])]);
  const latest = latestId(runDir);
  if (latest) kept.add(latest);
  const removed = ids.filter((id) => !kept.has(id));
  for (const id of removed) {
    const dir = join(runDir, 'checkpoints', id);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      throw withPath(e, dir);
    }
  }
  return removed;
}

/** Whether process `pid` is alive on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temporary files of interrupted saves in RUN/checkpoints, with the pid of the process that made them. */
const CHECKPOINT_TEMP = [/^\.tmp-step-\d+-(\d+)(?:-[0-9a-f]+)?$/, /^\.latest-(\d+)(?:-[0-9a-f]+)?\.json$/, /^marked\.json\.(\d+)\.tmp$/];
/** ... and in RUN itself (config.json, summary.json, metrics.jsonl written aside and renamed into place). */
const RUN_TEMP = /^(?:config\.json|summary\.json|metrics\.jsonl|failed\.json)\.(\d+)\.tmp$/;

/**
 * Removes what interrupted saves left in RUN/checkpoints: temporary checkpoint directories (.tmp-<id>-<pid>)
 * and latest.json replacements (.latest-<pid>.json) of processes no longer running on this machine.
 * Returns their paths in the run directory.
 */
export function cleanStaleTemp(runDir: string): string[] {
  return cleanTemp(runDir, (pid) => pid === process.pid || !alive(pid));
}

/**
 * Removes every temporary file a writer of the run left (in RUN and RUN/checkpoints), whichever process
 * made it and whether or not it still runs: what the holder of the run's lease calls on taking it, since a
 * process that lost the lease (or died) must leave nothing behind it. Returns their paths in the run directory.
 */
export function cleanRunTemp(runDir: string): string[] {
  return cleanTemp(runDir, () => true);
}

function cleanTemp(runDir: string, removable: (pid: number) => boolean): string[] {
  const removed: string[] = [];
  const sweep = (dir: string, patterns: RegExp[], prefix: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const m = patterns.map((re) => re.exec(name)).find(Boolean);
      if (!m || !removable(Number(m[1]))) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(prefix + name);
    }
  };
  sweep(join(runDir, 'checkpoints'), CHECKPOINT_TEMP, 'checkpoints/');
  sweep(runDir, [RUN_TEMP], '');
  return removed;
}

/** Bytes of checkpoint `id`'s files. */
export function checkpointBytes(runDir: string, id: string): number {
  const dir = join(runDir, 'checkpoints', id);
  let n = 0;
  for (const f of CHECKPOINT_FILES) {
    try { n += statSync(join(dir, f)).size; } catch { /* missing: counted as 0 */ }
  }
  return n;
}

/**
 * The newest checkpoint that loads: the one latest.json names, or, if that one is corrupt or missing, the
 * newest intact one before it; `onSkip` hears about each checkpoint passed over and why.
 */
export function loadNewestIntact(runDir: string, onSkip: (id: string, why: string) => void = () => {}): LoadedCheckpoint {
  const latest = latestId(runDir);
  const ids = listCheckpoints(runDir).reverse();
  const order = latest ? [latest, ...ids.filter((id) => id < latest)] : ids;
  if (order.length === 0) throw new InputError(`checkpoint: ${runDir} has no checkpoint (nothing in ${join(runDir, 'checkpoints')})`);
  const problems: string[] = [];
  for (const id of order) {
    try {
      return loadCheckpoint(runDir, id);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const why = e.message.replace(/^checkpoint: /, '');
      problems.push(`${id}: ${why}`);
      onSkip(id, why);
    }
  }
  throw new InputError(`checkpoint: no checkpoint of ${runDir} loads (${problems.join('; ')})`);
}

/** Whether `path` is a checkpoint archive (a file, as the web app downloads) rather than a run directory. */
export function isArchivePath(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads a checkpoint archive (.tar) from a file. */
export function loadCheckpointArchive(path: string): LoadedCheckpoint {
  const b = readFileSync(path);
  return readCheckpointFiles([{ name: basename(path), bytes: new Uint8Array(b.buffer, b.byteOffset, b.length) }], dirname(path));
}

/** Checkpoint ids of a run, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => /^step-\d+$/.test(n)).sort();
}

/** The directory and raw files of checkpoint `id` (default: the one latest.json names), unverified. */
function readStored(runDir: string, id?: string): { dir: string; files: Record<string, Uint8Array> } {
  const root = join(runDir, 'checkpoints');
  if (id === undefined) {
    const latest = join(root, 'latest.json');
    if (!existsSync(latest)) throw new InputError(`checkpoint: ${runDir} has no checkpoint (no ${latest})`);
    try {
      id = String(JSON.parse(readFileSync(latest, 'utf8')).id);
    } catch {
      throw new InputError(`checkpoint: ${latest} is corrupt`);
    }
  }
  if (!/^step-\d+$/.test(id)) throw new InputError(`checkpoint: '${id}' is not a checkpoint id; ids look like step-000000010000 (available: ${listCheckpoints(runDir).join(', ') || 'none'})`);
  const dir = join(root, id);
  if (!existsSync(join(dir, 'manifest.json'))) throw new InputError(`checkpoint: ${id} not found in ${root} (available: ${listCheckpoints(runDir).join(', ') || 'none'})`);
  // The files a checkpoint can have; decodeCheckpoint names any the manifest lists and the directory lacks.
  const files: Record<string, Uint8Array> = {};
  for (const name of CHECKPOINT_FILES) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    const b = readFileSync(p);
    files[name] = new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  return { dir, files };
}

/** Loads checkpoint `id` (default: the one latest.json names) and verifies every file. */
export function loadCheckpoint(runDir: string, id?: string): LoadedCheckpoint {
  const { dir, files } = readStored(runDir, id);
  return decodeCheckpoint(files, dir);
}

/** Checkpoint `id` (default: the latest) as one tar archive of its files, after verifying them: what a
 * browser session loads, and what `tar -xf` turns back into the checkpoint's directory. The files carry the
 * checkpoint's creation time, so exporting the same checkpoint twice gives the same bytes. */
export function exportCheckpointArchive(runDir: string, id?: string): Uint8Array {
  const { dir, files } = readStored(runDir, id);
  const { manifest } = decodeCheckpoint(files, dir);
  const names = ['manifest.json', ...Object.keys(manifest.files)];
  const mtime = Date.parse(manifest.createdAt) / 1000;
  return packArchive(Object.fromEntries(names.map((n) => [n, files[n]])), Number.isFinite(mtime) ? mtime : 0);
}

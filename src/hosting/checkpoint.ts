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
import { InputError } from '../util/errors.ts';
import {
  CHECKPOINT_FILES, decodeCheckpoint, encodeCheckpoint, packArchive, readCheckpointFiles,
  type CheckpointData, type LoadedCheckpoint, type SaveHook,
} from '../learn/checkpoint-format.ts';

export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, checkCompatible,
  type TensorEntry, type CheckpointManifest, type CheckpointData, type LoadedCheckpoint, type SaveHook,
} from '../learn/checkpoint-format.ts';

export function writeFileDurable(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a checkpoint for `envSteps` under runDir/checkpoints and points latest.json at it. Returns its id. */
export function saveCheckpoint(runDir: string, data: CheckpointData, hook?: SaveHook): string {
  const root = join(runDir, 'checkpoints');
  mkdirSync(root, { recursive: true });
  const { id, files } = encodeCheckpoint(data);
  const tmp = join(root, `.tmp-${id}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileDurable(join(tmp, 'tensors.bin'), files['tensors.bin']);
  hook?.('tensors');
  writeFileDurable(join(tmp, 'env.bin'), files['env.bin']);
  hook?.('env');
  // The manifest last: a directory with a manifest is a complete one.
  writeFileDurable(join(tmp, 'manifest.json'), files['manifest.json']);
  hook?.('manifest');
  const final = join(root, id);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  hook?.('renamed');
  const latestTmp = join(root, `.latest-${process.pid}.json`);
  writeFileDurable(latestTmp, JSON.stringify({ id }));
  renameSync(latestTmp, join(root, 'latest.json'));
  return id;
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
 * Deletes checkpoints beyond the newest `keep` (by step), except marked ones and the one latest.json names.
 * keep 0 keeps every checkpoint. Returns the ids deleted.
 */
export function pruneCheckpoints(runDir: string, keep: number): string[] {
  if (keep <= 0) return [];
  const ids = listCheckpoints(runDir);
  const kept = new Set([...ids.slice(-keep), ...markedCheckpoints(runDir)]);
  const latest = latestId(runDir);
  if (latest) kept.add(latest);
  const removed = ids.filter((id) => !kept.has(id));
  for (const id of removed) rmSync(join(runDir, 'checkpoints', id), { recursive: true, force: true });
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

/**
 * Removes what interrupted saves left in RUN/checkpoints: temporary checkpoint directories (.tmp-<id>-<pid>)
 * and latest.json replacements (.latest-<pid>.json) of processes no longer running. Returns their names.
 */
export function cleanStaleTemp(runDir: string): string[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = /^\.tmp-step-\d+-(\d+)$/.exec(name) ?? /^\.latest-(\d+)\.json$/.exec(name) ?? /^marked\.json\.(\d+)\.tmp$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && alive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
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

// Checkpoints on disk: one directory per checkpoint under RUN/checkpoints/, written atomically. Files are
// written into a temporary directory, flushed, and the directory is renamed into place; only then does
// checkpoints/latest.json (itself written to a temporary file and renamed) point at it. A crash at any
// moment leaves the previous checkpoint as the one that loads. Every file carries a SHA-256 in the
// manifest, so a corrupt or truncated checkpoint is refused with the file named.
//
// The files themselves (manifest.json, tensors.bin, env.bin) are made and checked by checkpoint-format.ts,
// which browsers use too; this module only adds the Node file system.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { CHECKPOINT_FILES, decodeCheckpoint, encodeCheckpoint, packArchive, type CheckpointData, type LoadedCheckpoint, type SaveHook } from './checkpoint-format.ts';

export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, checkCompatible,
  type TensorEntry, type CheckpointManifest, type CheckpointData, type LoadedCheckpoint, type SaveHook,
} from './checkpoint-format.ts';

function writeFileDurable(path: string, data: Uint8Array | string): void {
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

// Checkpoints: one directory per checkpoint under RUN/checkpoints/, written atomically. Files are written
// into a temporary directory, flushed, and the directory is renamed into place; only then does
// checkpoints/latest.json (itself written to a temporary file and renamed) point at it. A crash at any
// moment leaves the previous checkpoint as the one that loads. Every file carries a SHA-256 in the
// manifest, so a corrupt or truncated checkpoint is refused with the file named.
//
// Layout: manifest.json (format, game, agents, counters, generator states, tensor index, file digests),
// tensors.bin (float32 weights, optimiser slots, recurrent state), env.bin (the environment batch).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';

export const CHECKPOINT_FORMAT = 'commons-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface TensorEntry { name: string; shape: number[]; offset: number; length: number }

export interface CheckpointManifest {
  format: string;
  formatVersion: number;
  id: string;
  game: string;
  version: string;
  model: string;
  algo: string;
  agents: number;
  envs: number;
  shareParams: boolean;
  envSteps: number;
  agentSteps: number;
  updates: number;
  createdAt: string;
  /** Everything else the trainer needs to continue: generator states, shaping state, metric windows. */
  trainer: Record<string, unknown>;
  config: Record<string, unknown>;
  tensors: TensorEntry[];
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface CheckpointData {
  manifest: Omit<CheckpointManifest, 'format' | 'formatVersion' | 'tensors' | 'files' | 'id' | 'createdAt'>;
  tensors: { name: string; data: Float32Array; shape: number[] }[];
  env: Uint8Array;
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  dir: string;
  tensors: { name: string; data: Float32Array; shape: number[] }[];
  env: Uint8Array;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

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

/** A hook for tests: called between the steps of a save; throwing from it simulates a crash there. */
export type SaveHook = (stage: 'tensors' | 'env' | 'manifest' | 'renamed') => void;

/** Writes a checkpoint for `envSteps` under runDir/checkpoints and points latest.json at it. Returns its id. */
export function saveCheckpoint(runDir: string, data: CheckpointData, hook?: SaveHook): string {
  const root = join(runDir, 'checkpoints');
  mkdirSync(root, { recursive: true });
  const id = `step-${String(data.manifest.envSteps).padStart(12, '0')}`;
  const tmp = join(root, `.tmp-${id}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let offset = 0;
  const entries: TensorEntry[] = data.tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const all = new Float32Array(offset);
  data.tensors.forEach((t, k) => all.set(t.data, entries[k].offset));
  const tensorBytes = new Uint8Array(all.buffer);
  writeFileDurable(join(tmp, 'tensors.bin'), tensorBytes);
  hook?.('tensors');
  writeFileDurable(join(tmp, 'env.bin'), data.env);
  hook?.('env');
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_VERSION, id, createdAt: new Date().toISOString(),
    ...data.manifest, tensors: entries,
    files: {
      'tensors.bin': { bytes: tensorBytes.length, sha256: sha256(tensorBytes) },
      'env.bin': { bytes: data.env.length, sha256: sha256(data.env) },
    },
  };
  writeFileDurable(join(tmp, 'manifest.json'), JSON.stringify(manifest));
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

/** Loads checkpoint `id` (default: the one latest.json names) and verifies every file. */
export function loadCheckpoint(runDir: string, id?: string): LoadedCheckpoint {
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
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(mpath)) throw new InputError(`checkpoint: ${id} not found in ${root} (available: ${listCheckpoints(runDir).join(', ') || 'none'})`);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new InputError(`checkpoint: ${mpath} is corrupt or truncated (${(e as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT || manifest.formatVersion !== CHECKPOINT_VERSION) {
    throw new InputError(`checkpoint: ${mpath} is not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} manifest`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, want] of Object.entries(manifest.files)) {
    const p = join(dir, name);
    if (!existsSync(p)) throw new InputError(`checkpoint: ${p} is missing`);
    const bytes = readFileSync(p);
    if (bytes.length !== want.bytes) throw new InputError(`checkpoint: ${p} is truncated or corrupt: ${bytes.length} bytes, expected ${want.bytes}`);
    if (sha256(bytes) !== want.sha256) throw new InputError(`checkpoint: ${p} is corrupt: its SHA-256 does not match the manifest`);
    files[name] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  const tb = files['tensors.bin'];
  const all = new Float32Array(tb.slice().buffer);
  const tensors = manifest.tensors.map((e) => ({ name: e.name, shape: e.shape, data: all.subarray(e.offset, e.offset + e.length) }));
  return { manifest, dir, tensors, env: files['env.bin'] };
}

/** Throws unless the checkpoint was made for this game, agent count and model. */
export function checkCompatible(m: CheckpointManifest, want: { game: string; agents: number; model?: string; shareParams?: boolean }, where: string): void {
  if (m.game !== want.game) throw new InputError(`checkpoint: ${where} is from game '${m.game}', not '${want.game}'`);
  if (m.agents !== want.agents) throw new InputError(`checkpoint: ${where} has ${m.agents} agents, not ${want.agents}`);
  if (want.model !== undefined && m.model !== want.model) throw new InputError(`checkpoint: ${where} is model '${m.model}', not '${want.model}'`);
  if (want.shareParams !== undefined && m.shareParams !== want.shareParams) {
    throw new InputError(`checkpoint: ${where} was trained with shareParams ${m.shareParams}, not ${want.shareParams}`);
  }
}

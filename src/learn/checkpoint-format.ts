// The checkpoint format without the file system, so that browsers and workers read and write the same
// checkpoints as the command line: encoding a checkpoint into its three files, decoding and verifying them,
// and carrying them as one POSIX tar archive (a browser hands out and takes in single files; `tar -xf`
// turns the archive back into a checkpoint directory and `tar -cf` makes one from it). No node: imports
// here; src/hosting/checkpoint.ts adds the atomic on-disk layout for Node.
//
// The files: manifest.json (format, game, agents, counters, generator states, tensor index, file digests),
// tensors.bin (float32 weights, optimiser slots, recurrent state), env.bin (the environment batch).

import { InputError } from '../util/errors.ts';
import { sha256Hex } from '../util/sha256.ts';
import { toHalf, fromHalf } from '../util/half.ts';

export const CHECKPOINT_FORMAT = 'commons-checkpoint';
/** 3: the manifest names the network's form (netForm: 'paper' or 'head', --net-form; the model's own forms are in
 * its config), whose weights have other shapes. 2: one stacked tensor per layer for all networks (the batched
 * population, commons 0.2), always of the 'head' form; still resumed. 1: one set of tensors per network
 * (commons 0.1); still read, for its weights (evaluation, rendering, playback). */
export const CHECKPOINT_VERSION = 3;
export const READABLE_VERSIONS: readonly number[] = [1, 2, 3];
/** Versions a run resumes from (stacked weights). */
export const RESUMABLE_VERSIONS: readonly number[] = [2, 3];

/** The files of one checkpoint, in the order they are written and archived (manifest first, so a reader of a
 * stream meets it before the data it describes). */
export const CHECKPOINT_FILES = ['manifest.json', 'tensors.bin', 'env.bin'] as const;
export type CheckpointFileName = (typeof CHECKPOINT_FILES)[number];

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
  /** Format 3: the network's form (--net-form) of models that have two; absent: 'head'. */
  netForm?: 'head' | 'paper';
  /** A player checkpoint (playerCheckpoint()): the policy's weights only, nothing to resume from. */
  weightsOnly?: boolean;
  /** 'float16': tensors.bin holds IEEE half-precision values (offsets and lengths count them); else float32. */
  tensorEncoding?: 'float16';
}

export interface CheckpointData {
  manifest: Omit<CheckpointManifest, 'format' | 'formatVersion' | 'tensors' | 'files' | 'id' | 'createdAt' | 'tensorEncoding'>;
  tensors: { name: string; data: Float32Array; shape: number[] }[];
  env: Uint8Array;
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  /** Where it came from (a directory, or an archive or upload and the folder inside it); error messages
   * name files under it. */
  dir: string;
  tensors: { name: string; data: Float32Array; shape: number[] }[];
  env: Uint8Array;
}

/** A hook for tests: called between the steps of a save (by whatever stores the files; the Node store in
 * src/hosting/checkpoint.ts calls all four); throwing from it simulates a crash there. */
export type SaveHook = (stage: 'tensors' | 'env' | 'manifest' | 'renamed') => void;

/**
 * A player checkpoint: the weights a policy plays with (shard 0's, the population's and its Models of Other
 * Agents', 'w/k'), stored as float16, without optimiser state, recurrent state or environments: a small file
 * to watch trained agents (the web app's gallery, eval, render), never to resume. Half precision changes
 * the policies' probabilities by about 1e-3 relative.
 */
export function playerCheckpoint(from: LoadedCheckpoint): { id: string; files: Record<CheckpointFileName, Uint8Array>; manifest: CheckpointManifest } {
  const m = from.manifest;
  if (!RESUMABLE_VERSIONS.includes(m.formatVersion)) {
    throw new InputError(`checkpoint: ${from.dir} has format version ${m.formatVersion}; a player checkpoint is made from format ${RESUMABLE_VERSIONS.join(' or ')}`);
  }
  const { format: _f, formatVersion: _v, tensors: _t, files: _files, id: _id, createdAt: _c, tensorEncoding: _e, ...rest } = m;
  return encodeCheckpoint({
    manifest: { ...rest, weightsOnly: true, trainer: {} },
    tensors: from.tensors.filter((t) => /^w\/\d+$/.test(t.name)),
    env: new Uint8Array(0),
  }, { float16: true });
}

/** The id (and directory name) of the checkpoint taken after `envSteps` environment steps. */
export const checkpointId = (envSteps: number) => `step-${String(envSteps).padStart(12, '0')}`;

const utf8 = new TextEncoder();

/** The three files of a checkpoint, byte for byte what the command line writes into checkpoints/<id>/. */
export function encodeCheckpoint(data: CheckpointData, opts: { float16?: boolean } = {}): {
  id: string; files: Record<CheckpointFileName, Uint8Array>; manifest: CheckpointManifest;
} {
  const id = checkpointId(data.manifest.envSteps);
  let offset = 0;
  const entries: TensorEntry[] = data.tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  let tensorBytes: Uint8Array;
  if (opts.float16) {
    const halves = new Uint16Array(offset);
    data.tensors.forEach((t, k) => { for (let i = 0; i < t.data.length; i++) halves[entries[k].offset + i] = toHalf(t.data[i]); });
    tensorBytes = new Uint8Array(halves.buffer);
  } else {
    const all = new Float32Array(offset);
    data.tensors.forEach((t, k) => all.set(t.data, entries[k].offset));
    tensorBytes = new Uint8Array(all.buffer);
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_VERSION, id, createdAt: new Date().toISOString(),
    ...data.manifest, ...(opts.float16 ? { tensorEncoding: 'float16' as const } : {}), tensors: entries,
    files: {
      'tensors.bin': { bytes: tensorBytes.length, sha256: sha256Hex(tensorBytes) },
      'env.bin': { bytes: data.env.length, sha256: sha256Hex(data.env) },
    },
  };
  return { id, manifest, files: { 'manifest.json': utf8.encode(JSON.stringify(manifest)), 'tensors.bin': tensorBytes, 'env.bin': data.env } };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Decodes and verifies the files of one checkpoint (manifest.json and the files its manifest lists, by
 * name); every size and SHA-256 must match the manifest. `where` is the directory (or archive) they came
 * from, used in the messages and kept as LoadedCheckpoint.dir. */
export function decodeCheckpoint(files: Record<string, Uint8Array>, where: string): LoadedCheckpoint {
  const at = (name: string) => (where ? `${where}/${name}` : name);
  const mpath = at('manifest.json');
  const has = (name: string) => Object.prototype.hasOwnProperty.call(files, name);
  if (!has('manifest.json')) throw new InputError(`checkpoint: ${mpath} is missing`);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files['manifest.json']));
  } catch (e) {
    throw new InputError(`checkpoint: ${mpath} is corrupt or truncated (${(e as Error).message})`);
  }
  if (!isObject(manifest) || manifest.format !== CHECKPOINT_FORMAT) {
    throw new InputError(`checkpoint: ${mpath} is not a ${CHECKPOINT_FORMAT} manifest`);
  }
  if (!READABLE_VERSIONS.includes(manifest.formatVersion)) {
    throw new InputError(`checkpoint: ${mpath} has format version ${JSON.stringify(manifest.formatVersion)}; this commons reads versions ${READABLE_VERSIONS.join(', ')}`);
  }
  // A manifest that parses but lacks the index would otherwise fail later with a TypeError; files from a
  // browser upload can be anything, so say what is wrong with it.
  const bad = (what: string) => new InputError(`checkpoint: ${mpath} is not a valid ${CHECKPOINT_FORMAT} manifest: ${what}`);
  if (!isObject(manifest.files)) throw bad("'files' is not an object");
  for (const need of ['tensors.bin', 'env.bin']) if (!Object.prototype.hasOwnProperty.call(manifest.files, need)) throw bad(`'files' does not list ${need}`);
  for (const [name, want] of Object.entries(manifest.files)) {
    if (!isObject(want) || !isCount(want.bytes) || typeof want.sha256 !== 'string') throw bad(`'files.${name}' needs bytes and sha256`);
  }
  if (!Array.isArray(manifest.tensors)) throw bad("'tensors' is not a list");

  const verified: Record<string, Uint8Array> = {};
  for (const [name, want] of Object.entries(manifest.files)) {
    const p = at(name);
    if (!has(name)) throw new InputError(`checkpoint: ${p} is missing`);
    const bytes = files[name];
    if (bytes.length !== want.bytes) throw new InputError(`checkpoint: ${p} is truncated or corrupt: ${bytes.length} bytes, expected ${want.bytes}`);
    if (sha256Hex(bytes) !== want.sha256) throw new InputError(`checkpoint: ${p} is corrupt: its SHA-256 does not match the manifest`);
    verified[name] = bytes;
  }
  const tb = verified['tensors.bin'];
  const half = manifest.tensorEncoding === 'float16';
  if (manifest.tensorEncoding !== undefined && !half) throw bad(`unknown tensorEncoding ${JSON.stringify(manifest.tensorEncoding)}`);
  const width = half ? 2 : 4;
  if (tb.length % width !== 0) throw bad(`tensors.bin holds ${tb.length} bytes, not a whole number of ${half ? 'float16' : 'float32'} values`);
  // A copy: aligned for Float32Array whatever the offset of the input view, and independent of it.
  const all = half ? Float32Array.from(new Uint16Array(tb.slice().buffer), fromHalf) : new Float32Array(tb.slice().buffer);
  const tensors = manifest.tensors.map((e, k) => {
    if (!isObject(e) || typeof e.name !== 'string' || !Array.isArray(e.shape) || !isCount(e.offset) || !isCount(e.length)
      || e.offset + e.length > all.length) {
      throw bad(`tensor entry ${k} (${isObject(e) ? String(e.name) : e}) is malformed or lies outside tensors.bin (${all.length} values)`);
    }
    return { name: e.name, shape: e.shape, data: all.subarray(e.offset, e.offset + e.length) };
  });
  return { manifest, dir: where, tensors, env: verified['env.bin'] };
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

/**
 * Refuses a checkpoint of another network form than this run's: --net-form (`model.netForms`: the model has two;
 * the manifest's netForm, else its config's, else 'head', the only form before format 3) and --moa-form (the
 * model has that setting). Their weights have other shapes. One line naming the setting.
 */
export function checkForms(cfg: { netForm: string; moaForm?: string }, model: { netForms?: boolean; settings?: object },
  manifest: { netForm?: string; config?: Record<string, unknown> }, where = 'the checkpoint'): void {
  if (model.netForms) {
    const saved = manifest.netForm ?? (manifest.config?.netForm as string | undefined) ?? 'head';
    if (saved !== cfg.netForm) {
      throw new InputError(`checkpoint: ${where} has networks of form '${saved}' (--net-form ${saved}), this run's are '${cfg.netForm}'; ` +
        'their weights differ in shape, so it loads only with the same --net-form (netForm)');
    }
  }
  if (model.settings && 'moaForm' in model.settings) checkMoaForm(cfg.moaForm, manifest, where);
}

/** Refuses a checkpoint whose Models of Other Agents have the other form (--moa-form): their weights have
 * other shapes. Checkpoints from before the setting have the 'head' form. */
export function checkMoaForm(form: string | undefined, manifest: { config?: Record<string, unknown> }, where = 'the checkpoint'): void {
  if (form === undefined) return;
  const saved = (manifest.config?.moaForm as string | undefined) ?? 'head';
  if (saved !== form) {
    throw new InputError(`checkpoint: ${where} has Models of Other Agents of form '${saved}' (--moa-form ${saved}), this run's are '${form}'; ` +
      'their weights differ in shape, so it loads only with the same --moa-form');
  }
}

// ---- tar (POSIX ustar) ----
//
// A 512-byte header per file, the data padded to a multiple of 512, and two zero blocks at the end. Header
// fields are NUL-terminated ASCII octal; the checksum is the sum of the header's bytes with the checksum
// field counted as eight spaces.

const BLOCK = 512;
const MAX_SIZE = 0o77777777777; // 11 octal digits: 8 GiB, the most a plain ustar size field holds

function writeOctal(h: Uint8Array, off: number, width: number, value: number): void {
  // width - 1 digits and a NUL, as GNU and BSD tar write them.
  const s = value.toString(8).padStart(width - 1, '0');
  for (let i = 0; i < width - 1; i++) h[off + i] = s.charCodeAt(i);
  h[off + width - 1] = 0;
}

function headerSum(h: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

/** Splits a path over the ustar name (100 bytes) and prefix (155 bytes) fields. */
function splitName(path: string): [Uint8Array, Uint8Array] {
  const whole = utf8.encode(path);
  if (whole.length <= 100) return [whole, new Uint8Array(0)];
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = utf8.encode(path.slice(0, cut)), name = utf8.encode(path.slice(cut + 1));
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return [name, prefix];
  }
  throw new InputError(`archive: the path '${path}' is too long for a tar header (100 bytes, or 155 + 100 split at a '/')`);
}

/** A POSIX ustar archive of `files` (regular files, in the record's order). `mtime` (seconds since 1970)
 * stamps every file; the default 0 makes the archive a function of the files alone. */
export function packArchive(files: Record<string, Uint8Array>, mtime = 0): Uint8Array {
  const names = Object.keys(files);
  let total = 2 * BLOCK;
  for (const name of names) total += BLOCK + Math.ceil(files[name].length / BLOCK) * BLOCK;
  const out = new Uint8Array(total); // zero-filled: the padding and the end blocks come free
  let off = 0;
  for (const name of names) {
    const data = files[name];
    if (name === '' || name.includes('\0')) throw new InputError(`archive: '${name}' is not a valid file name`);
    if (data.length > MAX_SIZE) throw new InputError(`archive: ${name} is ${data.length} bytes, more than a tar header can state`);
    const h = out.subarray(off, off + BLOCK);
    const [n, prefix] = splitName(name);
    h.set(n, 0);
    writeOctal(h, 100, 8, 0o644); // mode
    writeOctal(h, 108, 8, 0); // uid
    writeOctal(h, 116, 8, 0); // gid
    writeOctal(h, 124, 12, data.length);
    writeOctal(h, 136, 12, Math.max(0, Math.floor(mtime)));
    h[156] = 0x30; // typeflag '0': a regular file
    h.set(utf8.encode('ustar\x0000'), 257); // magic "ustar\0", version "00"
    h.set(prefix, 345);
    // Checksum: six octal digits, a NUL and a space (the historical layout every tar accepts).
    const sum = headerSum(h).unsigned.toString(8).padStart(6, '0');
    for (let i = 0; i < 6; i++) h[148 + i] = sum.charCodeAt(i);
    h[154] = 0;
    h[155] = 0x20;
    out.set(data, off + BLOCK);
    off += BLOCK + Math.ceil(data.length / BLOCK) * BLOCK;
  }
  return out;
}

/** A NUL- or space-terminated octal field (or GNU's base-256 form, high bit set, for large sizes); NaN if
 * it is neither. */
function readNumber(h: Uint8Array, off: number, width: number): number {
  if (h[off] & 0x80) {
    let v = h[off] & 0x3f;
    for (let i = 1; i < width; i++) v = v * 256 + h[off + i];
    return h[off] & 0x40 ? NaN : v; // negative values mean nothing here
  }
  let s = '';
  for (let i = 0; i < width; i++) {
    const c = h[off + i];
    if (c === 0 || c === 0x20) { if (s) break; else continue; }
    if (c < 0x30 || c > 0x37) return NaN;
    s += String.fromCharCode(c);
  }
  return s ? parseInt(s, 8) : 0;
}

const text = new TextDecoder('utf-8');
function readString(h: Uint8Array, off: number, width: number): string {
  const f = h.subarray(off, off + width);
  const end = f.indexOf(0);
  return text.decode(end < 0 ? f : f.subarray(0, end));
}

/** The regular files of a tar archive (ustar, GNU or pax, as `tar -cf` writes them), by path with any
 * leading './' removed. Directories and pax/GNU metadata entries are read past; links and devices are
 * refused. The returned arrays are views into `bytes`. */
export function unpackArchive(bytes: Uint8Array, where: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  if (bytes.length === 0) throw new InputError(`archive: ${where} is empty, not a tar archive`);
  if (bytes.length < BLOCK) throw new InputError(`archive: ${where} is not a tar archive (${bytes.length} bytes, shorter than one tar header)`);
  let off = 0;
  let longName: string | undefined; // from a GNU 'L' entry or a pax 'path' record, for the next file
  for (let entry = 0; ; entry++) {
    if (off + BLOCK > bytes.length) {
      throw new InputError(`archive: ${where} is truncated: it ends after ${bytes.length} bytes without the end-of-archive blocks`);
    }
    const h = bytes.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break; // end of archive (tar readers stop at the first zero block too)
    const stored = readNumber(h, 148, 8);
    const { unsigned, signed } = headerSum(h);
    if (stored !== unsigned && stored !== signed) {
      throw new InputError(entry === 0
        ? `archive: ${where} is not a tar archive (its first 512 bytes are not a valid tar header)`
        : `archive: ${where} is corrupt: the tar header at byte ${off} has a bad checksum`);
    }
    const size = readNumber(h, 124, 12);
    if (Number.isNaN(size)) throw new InputError(`archive: ${where} is corrupt: the tar header at byte ${off} has a bad size field`);
    const dataStart = off + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new InputError(`archive: ${where} is truncated: an entry at byte ${off} needs ${size} bytes of data, ${Math.max(0, bytes.length - dataStart)} are there`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(h[156]);
    const ustar = readString(h, 257, 6) === 'ustar';
    let name = readString(h, 0, 100);
    if (ustar && h[345] !== 0) name = `${readString(h, 345, 155)}/${name}`;
    if (type === 'L') { longName = readString(data, 0, data.length); continue; }
    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'g') continue; // global pax header
    if (type === '5') { longName = undefined; continue; } // a directory: its files carry its path
    if (type !== '0' && type !== '\0' && type !== '7') {
      throw new InputError(`archive: ${where} holds '${longName ?? name}', which is not a regular file (tar type '${type}'); a checkpoint archive holds only files`);
    }
    if (longName !== undefined) name = longName;
    longName = undefined;
    name = name.replace(/^(\.\/)+/, '');
    // defineProperty rather than assignment: a member named like an Object.prototype property ('__proto__')
    // must become a plain entry too.
    Object.defineProperty(out, name, { value: data, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The 'path' record of a pax extended header ("<len> path=<value>\n" records), if any. */
function paxPath(data: Uint8Array): string | undefined {
  const records = text.decode(data);
  let found: string | undefined;
  for (let i = 0; i < records.length;) {
    const sp = records.indexOf(' ', i);
    const len = parseInt(records.slice(i, sp), 10);
    if (sp < 0 || !(len > 0)) break;
    const rec = records.slice(sp + 1, i + len - 1); // without the trailing newline
    if (rec.startsWith('path=')) found = rec.slice(5);
    i += len;
  }
  return found;
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirName = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const isArchive = (f: { name: string; bytes: Uint8Array }) =>
  /\.tar$/i.test(f.name) || (f.bytes.length >= BLOCK && readString(f.bytes, 257, 6).startsWith('ustar')); // POSIX 'ustar', GNU 'ustar  '

/**
 * A checkpoint from what a user handed over: either one tar archive (as exportCheckpointArchive or a
 * browser session writes, or `tar -cf` of a checkpoint directory) or the loose files manifest.json,
 * tensors.bin and env.bin of one checkpoint directory. Names may carry directory prefixes
 * ("step-000000001000/manifest.json", as a folder upload gives them). `where` names the source in messages
 * (a directory, or '' when the files' own names say enough).
 */
export function readCheckpointFiles(inputs: { name: string; bytes: Uint8Array }[], where: string): LoadedCheckpoint {
  const need = `one .tar checkpoint archive, or the files ${CHECKPOINT_FILES.join(', ')} of one checkpoint directory`;
  const given = inputs.length ? inputs.map((f) => f.name).join(', ') : 'nothing';
  if (inputs.length === 1 && isArchive(inputs[0])) {
    const archive = inputs[0];
    const src = where ? `${where}/${archive.name}` : archive.name;
    const members = unpackArchive(archive.bytes, src);
    const found = pick(Object.entries(members).map(([name, bytes]) => ({ name, bytes })), src, 'it holds');
    return decodeCheckpoint(found.files, found.dir ? `${src}/${found.dir}` : src);
  }
  const from = where ? `${where}: ` : '';
  if (inputs.some(isArchive)) throw new InputError(`checkpoint: ${from}given ${given}; need ${need}, not an archive together with other files`);
  const unknown = inputs.filter((f) => !(CHECKPOINT_FILES as readonly string[]).includes(baseName(f.name)));
  if (unknown.length || inputs.length === 0) {
    throw new InputError(`checkpoint: ${from}given ${given}; need ${need}${unknown.length ? ` (${unknown.map((f) => f.name).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} neither)` : ''}`);
  }
  const found = pick(inputs, where, 'given');
  return decodeCheckpoint(found.files, found.dir ? (where ? `${where}/${found.dir}` : found.dir) : where);
}

/** The checkpoint files among `entries`, by base name; all from one directory, each once. Other files (an
 * archive of a whole run, macOS '._' companions) are passed over. */
function pick(entries: { name: string; bytes: Uint8Array }[], where: string, verb: string): { files: Record<string, Uint8Array>; dir: string } {
  const listing = entries.length ? entries.map((e) => e.name).join(', ') : 'no files';
  where = where ? `${where}: ` : '';
  const manifests = entries.filter((e) => baseName(e.name) === 'manifest.json');
  if (manifests.length === 0) {
    throw new InputError(`checkpoint: ${where}${verb} ${listing}; a checkpoint needs ${CHECKPOINT_FILES.join(', ')} (no manifest.json)`);
  }
  if (manifests.length > 1) {
    throw new InputError(`checkpoint: ${where}${verb} ${manifests.length} manifest.json files (${manifests.map((e) => e.name).join(', ')}); give one checkpoint at a time`);
  }
  const dir = dirName(manifests[0].name);
  const files: Record<string, Uint8Array> = {};
  for (const e of entries) {
    const base = baseName(e.name);
    if (!(CHECKPOINT_FILES as readonly string[]).includes(base)) continue;
    if (dirName(e.name) !== dir) {
      throw new InputError(`checkpoint: ${where}${e.name} is not in the folder of ${manifests[0].name}; the files of a checkpoint come from one directory`);
    }
    if (base in files) throw new InputError(`checkpoint: ${where}${verb} ${base} twice`);
    files[base] = e.bytes;
  }
  const missing = CHECKPOINT_FILES.filter((f) => !(f in files));
  if (missing.length) throw new InputError(`checkpoint: ${where}${verb} ${listing}; a checkpoint needs ${CHECKPOINT_FILES.join(', ')} (no ${missing.join(', ')})`);
  return { files, dir };
}

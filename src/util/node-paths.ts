// Paths a user gives on the command line: directories to create and files to write, checked up front so
// that a mistake is one clear line (exit status 2) rather than a stack trace, or a hang: Node's recursive
// mkdir loops forever under /proc. Node only.

import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.ts';

/** Directories of virtual file systems: nothing a run writes belongs there. */
const VIRTUAL = ['/proc', '/sys', '/dev'];

/** Gives a file-system error the path it was about, when it has none (a write knows only its file
 * descriptor): every such error can then be reported as one line naming the file. Returns it. */
export function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path !== 'string') err.path = path;
  return e;
}

/** Whether `e` is a file-system error that names its path (as withPath leaves it). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { path: string } {
  const err = e as NodeJS.ErrnoException;
  return !!err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string';
}

/** One line for a file-system error: "PATH: no space left on the device". */
export function fsLine(e: NodeJS.ErrnoException & { path: string }): string {
  return `${e.path}: ${fsReason(e)}`;
}

/** A Node file-system error in words (EACCES -> "permission denied"). */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOTDIR': return 'a part of the path is a file, not a directory';
    case 'EEXIST': return 'it exists and is not a directory';
    case 'EISDIR': return 'it is a directory';
    case 'ENOENT': return 'no such file or directory';
    case 'ENOSPC': return 'no space left on the device';
    case 'ESTALE': return 'a stale file handle (the network file system lost the file)';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    case 'EFBIG': return 'the file is too large';
    case 'EDQUOT': return 'the disk quota is exceeded';
    case 'ENAMETOOLONG': return 'the name is too long';
    case 'ELOOP': return 'too many symbolic links';
    case 'EIO': return 'an input/output error of the device';
    default: return (e as Error)?.message ?? String(e);
  }
}

function refuseVirtual(flag: string, path: string): void {
  const abs = resolve(path);
  const top = VIRTUAL.find((v) => abs === v || abs.startsWith(v + '/'));
  if (top) throw new InputError(`${flag}: ${path} is under ${top}, a virtual file system that holds no files of ours; choose a directory on disk`);
}

/**
 * Creates directory `path` and its missing parents (mkdir -p), one level at a time; throws InputError
 * naming `flag` and the reason if it cannot.
 */
export function ensureDir(flag: string, path: string): void {
  refuseVirtual(flag, path);
  const abs = resolve(path);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new InputError(`${flag}: cannot create ${path}: ${fsReason(e)}${p !== abs ? ` (at ${p})` : ''}`);
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!st.isDirectory()) {
      throw new InputError(p === abs ? `${flag}: ${path} exists and is a file, not a directory` : `${flag}: cannot create ${path}: ${p} is a file, not a directory`);
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw new InputError(`${flag}: cannot create ${path}: ${fsReason(e)}${dir !== abs ? ` (at ${dir})` : ''}`);
    }
  }
}

/** Checks that `file` can be written: not a directory, its folder created if missing. */
export function ensureFileDir(flag: string, file: string): void {
  refuseVirtual(flag, file);
  if (existsSync(file) && statSync(file).isDirectory()) throw new InputError(`${flag}: ${file} is a directory; give a file name`);
  const dir = dirname(resolve(file));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`${flag}: cannot write ${file}: ${dir} is a file, not a directory`);
  ensureDir(flag, dir);
}

/** Whether `dir` is an empty directory (or does not exist). */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

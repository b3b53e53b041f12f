// The command line's output: stdout for results, stderr for warnings, and what happens when the reader of
// stdout goes away (`commons eval ... | head`): like a Unix tool, the command stops quietly with status 141
// (128 + SIGPIPE) instead of dying on an EPIPE stack trace. A command with work to save (train) registers
// a listener and stops politely instead.

import { basename, isAbsolute, relative } from 'node:path';

/**
 * How this program was started, for the commands a hint tells the user to type next: `commons` when it
 * runs as the installed bin (npx, a global install) or from the sources, else `node PATH` with the path
 * given (README's `node dist/cli.js`, relative to the current folder when it is below it).
 */
export function invocation(argv1: string | undefined = process.argv[1], cwd = process.cwd()): string {
  if (!argv1 || basename(argv1) === 'commons' || argv1.endsWith('.ts')) return 'commons';
  const rel = relative(cwd, argv1);
  return `node ${rel === '' || rel.startsWith('..') || isAbsolute(rel) ? argv1 : rel}`;
}

/** Exit status of a command whose output was cut off by its reader. */
export const EXIT_PIPE = 141;

let closed = false;
const listeners = new Set<() => void>();

/** Writes one line to stdout (nothing once the reader has gone). */
export function out(line: string): void {
  if (!closed) process.stdout.write(line + '\n');
}

/** Writes raw text to stdout (a progress line redrawn in place). */
export function write(text: string): void {
  if (!closed) process.stdout.write(text);
}

/** Whether stdout's reader has gone. */
export const stdoutClosed = () => closed;

/** `command: warning: text` on stderr. */
export function warn(command: string, text: string): void {
  process.stderr.write(`commons ${command}: warning: ${text}\n`);
}

/** Calls `fn` when stdout's reader goes away (instead of exiting at once); returns the way to stop listening. */
export function onStdoutClosed(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Installs the EPIPE handling on stdout (once, from main). */
export function watchStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    if (closed) return;
    closed = true;
    if (listeners.size === 0) process.exit(EXIT_PIPE);
    for (const fn of listeners) fn();
  });
}

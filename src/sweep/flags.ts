// Flag parsing for `commons sweep` and `commons worker`, self-contained (node:util's parseArgs, strict)
// so that it can be folded into the shared flag table later. Every mistake is one InputError line naming
// the flag: the CLI prints it and exits with status 2.

import { parseArgs } from 'node:util';
import { InputError } from '../util/errors.ts';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export function parseFlags<T extends FlagSpec>(cmd: string, argv: string[], flags: T) {
  try {
    return parseArgs({ args: argv, options: { ...flags, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new InputError(`${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '').split('\n')[0]} (see commons ${cmd} --help)`);
  }
}

/** An integer flag in [min, max]; `fallback` when absent. Accepts 3e5. */
export function intOf(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`--${name}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${raw}'`);
  }
  return v;
}

/** A number flag in (min, max]; `fallback` when absent. */
export function numOf(name: string, raw: string | undefined, fallback: number, min: number, max = Infinity): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= min || v > max) {
    throw new InputError(`--${name}: expected a number > ${min}${max === Infinity ? '' : ` and <= ${max}`}, got '${raw}'`);
  }
  return v;
}

export function required(name: string, raw: string | undefined, example: string): string {
  if (raw === undefined || raw === '') throw new InputError(`--${name} is required, e.g. --${name} ${example}`);
  return raw;
}

/** Exactly one positional argument, named `what` in the error. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new InputError(`${what} is missing: ${usage}`);
  if (positionals.length > 1) throw new InputError(`one ${what} expected, got ${positionals.length} (${positionals.join(' ')}): ${usage}`);
  return positionals[0];
}

// Flag parsing for the command line: node:util's parseArgs (strict: unknown flags are errors) plus
// checked conversions that name the flag and the allowed values.

import { parseArgs, type ParseArgsConfig } from 'node:util';

import { InputError } from '../util/errors.ts';

/** A command-line mistake: an unknown flag, a missing or malformed value. */
export class UsageError extends InputError {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** An integer flag: accepts 300000, 3e5, 2e6; rejects fractions, words and values outside [min, max]. */
export function intFlag(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name}: expected ${range}, got '${raw}'`);
  }
  return v;
}

/** A flag whose value must be one of `allowed`. */
export function choiceFlag<C extends string>(name: string, raw: string | undefined, allowed: readonly C[], fallback?: C): C {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required; allowed values: ${allowed.join(', ')}`);
    return fallback;
  }
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: unknown value '${raw}'; allowed values: ${allowed.join(', ')}`);
  }
  return raw as C;
}

/** A number flag in [min, max]; undefined when absent (the setting keeps its default). */
export function numFlag(name: string, raw: string | undefined, min: number, max = Infinity): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`--${name}: expected a number ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}, got '${raw}'`);
  }
  return v;
}

// Flag parsing for the command line. Each command declares its flags once, in a CommandSpec: node:util's
// parseArgs reads them (strict: unknown flags are errors), `--help` prints them with their defaults, and
// checked conversions name the flag and the allowed values.

import { parseArgs } from 'node:util';

import { InputError } from '../util/errors.ts';

/** A command-line mistake: an unknown flag, a missing or malformed value. */
export class UsageError extends InputError {}

/** Thrown by parseCommand when --help is given: the command's help, to print with exit status 0. */
export class HelpRequested {
  constructor(readonly text: string) {}
}

/** One flag of a command. */
export interface FlagDef {
  /** 'string' (the default) takes a value; 'boolean' does not. */
  type?: 'string' | 'boolean';
  /** The flag may be repeated; its values are collected in order. */
  multiple?: boolean;
  /** The value's placeholder in help: N, X, FILE, or the allowed values. */
  arg?: string;
  /** The default, as help shows it. */
  default?: string;
  help: string;
  /** A heading the flag is listed under (flags without one come first). */
  section?: string;
}

export interface CommandSpec {
  /** As typed after `commons`: 'train', 'bench env'. */
  name: string;
  /** One line for `commons --help`. */
  summary: string;
  /** Usage lines, each after `commons `. */
  usage: string[];
  /** Paragraphs after the usage. */
  about?: string;
  flags: Record<string, FlagDef>;
  /** Whether the command takes positional arguments (run directories...). */
  positionals?: boolean;
}

/** `--help` and `-h` on every command. */
const HELP_FLAG: FlagDef = { type: 'boolean', help: 'print this help and exit' };

/** A value that parseArgs would take for a flag: "-5", "-0.5", "-1e3". */
const NEGATIVE = /^-(\d|\.\d|Infinity\b)/;

/**
 * Parses argv against `spec`. Values that start with '-' and read as numbers are taken as values
 * (`--steps -5` reaches the range check instead of "argument is ambiguous"). A boolean flag X is also
 * written --no-X, --X=true, --X=false, and (in a command without positional arguments) --X true or
 * --X false; the last of them wins, and its value is true or false. Throws HelpRequested for --help or
 * -h, UsageError for unknown flags and missing values.
 */
export function parseCommand(argv: string[], spec: CommandSpec): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (head.includes('--help') || head.includes('-h')) throw new HelpRequested(helpText(spec));
  const isBool = (name: string) => spec.flags[name]?.type === 'boolean';
  /** Boolean flags as given, in order: the last wins. */
  const bools = new Map<string, boolean>();
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flagPart = end < 0 || i < end;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const eq = flagPart ? /^--([^=]+)=(.*)$/s.exec(a) : null;
    if (flagPart && name !== undefined && name.startsWith('no-') && !spec.flags[name] && isBool(name.slice(3))) {
      bools.delete(name.slice(3));
      bools.set(name.slice(3), false);
    } else if (eq && isBool(eq[1])) {
      if (eq[2] !== 'true' && eq[2] !== 'false') throw new UsageError(`--${eq[1]}: expected true or false, got '${eq[2]}'`);
      bools.delete(eq[1]);
      bools.set(eq[1], eq[2] === 'true');
    } else if (flagPart && name !== undefined && isBool(name)) {
      // `--X true` / `--X false`, as `commons presets` printed them before: only where no positional could be meant.
      const next = argv[i + 1];
      const value = !spec.positionals && (next === 'true' || next === 'false') && (end < 0 || i + 1 < end) ? argv[++i] === 'true' : true;
      bools.delete(name);
      bools.set(name, value);
    } else if (name && flagPart && spec.flags[name] && spec.flags[name].type !== 'boolean' && i + 1 < argv.length && NEGATIVE.test(argv[i + 1])) {
      joined.push(`${a}=${argv[++i]}`);
    } else {
      joined.push(a);
    }
  }
  const options = Object.fromEntries(Object.entries({ ...spec.flags, help: HELP_FLAG })
    .map(([k, f]) => [k, { type: f.type ?? 'string', ...(f.multiple ? { multiple: true } : {}), ...(k === 'help' ? { short: 'h' } : {}) }])) as
    Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
  try {
    const r = parseArgs({ args: joined, options, strict: true, allowPositionals: spec.positionals ?? false });
    const values = r.values as Record<string, string | boolean | string[] | undefined>;
    for (const [name, v] of bools) values[name] = v;
    return { values, positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '');
    // parseArgs' own words for a stray argument point at '--': say what the command takes instead.
    if (/Unexpected argument/.test(msg)) throw new UsageError(`${msg.split('. ')[0]}; see commons ${spec.name} --help`);
    throw new UsageError(`${msg}${/Unknown option/.test(msg) ? `; see commons ${spec.name} --help` : ''}`);
  }
}

/** Help for a command: usage, what it does, and every flag with its default. */
export function helpText(spec: CommandSpec): string {
  const lines = [`commons ${spec.name}: ${spec.summary}`, '', 'Usage:', ...spec.usage.map((u) => `  commons ${u}`)];
  if (spec.about) lines.push('', ...spec.about.split('\n'));
  const entries = Object.entries(spec.flags);
  const left = (k: string, f: FlagDef) => `--${k}${f.type === 'boolean' ? '' : ` ${f.arg ?? 'VALUE'}`}`;
  const width = Math.min(30, Math.max(...entries.map(([k, f]) => left(k, f).length), 10) + 2);
  const sections = [...new Set(entries.map(([, f]) => f.section ?? ''))];
  for (const section of sections) {
    lines.push('', `${section || 'Flags'}:`);
    for (const [k, f] of entries.filter(([, f]) => (f.section ?? '') === section)) {
      const l = left(k, f);
      const text = `${f.help}${f.default !== undefined ? ` (default ${f.default})` : ''}`;
      lines.push(l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${text}` : `  ${l.padEnd(width)}${text}`);
    }
  }
  lines.push('', `  ${'--help, -h'.padEnd(width)}print this help and exit`);
  if (entries.some(([, f]) => f.type === 'boolean')) lines.push('', 'A flag without a value is on when given; --no-FLAG or --FLAG=false turns it off (the last one given wins).');
  return lines.join('\n') + '\n';
}

/** A string flag's value (a repeated flag's last). */
export function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return Array.isArray(v) ? v[v.length - 1] : (v as string | undefined);
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

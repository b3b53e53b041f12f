// TrainConfig on the command line: the flags, their help and their conversion, all made from the one table
// of settings (FIELDS in src/learn/config.ts), and --config files (a JSON object of settings, by field name
// as in a run's config.json, or by flag name).

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { FIELDS, SECTIONS, CONFIG_KEYS, allowedText, checkField, configWarnings, type FieldSpec, type TrainConfig } from '../learn/config.ts';
import { InputError } from '../util/errors.ts';
import { fsReason } from '../util/node-paths.ts';
import { UsageError, type FlagDef } from './args.ts';

type Key = keyof TrainConfig;
const spec = (k: Key) => FIELDS[k] as FieldSpec<unknown>;

/** The settings that have a flag, by flag name. */
export const FLAG_TO_KEY: Record<string, Key> = Object.fromEntries(
  CONFIG_KEYS.filter((k) => spec(k).flag !== null).map((k) => [spec(k).flag!, k]),
);

/** A setting's value as its flag is written on the command line: `--flag VALUE`, or for a boolean `--flag`
 * when the flag is on and `--no-flag` when it is off (commons presets prints these; train reads them back). */
export function flagText(k: Key, v: unknown): string {
  const f = spec(k);
  if (f.flag === null) return `${k}=${JSON.stringify(v)}`;
  if (f.kind === 'bool') return v === (f.flagSets ?? true) ? `--${f.flag}` : `--no-${f.flag}`;
  const text = Array.isArray(v) ? v.map((p) => (Array.isArray(p) ? p.join(':') : String(p))).join(',') : String(v);
  return `--${f.flag} ${/^[\w.:,+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`}`;
}

/** How a setting's default reads in help and docs. */
export function defaultText(k: Key): string {
  const f = spec(k);
  if (f.defaultText !== undefined) return f.defaultText;
  const d = f.default;
  if (typeof d === 'boolean') return d === (f.flagSets ?? true) ? 'on' : 'off';
  if (typeof d === 'number') return d >= 1e6 && d % 1e5 === 0 ? d.toExponential().replace('+', '') : String(d);
  if (typeof d === 'string') return d === '' ? 'none' : d;
  return String(d);
}

/** A number setting's range, briefly: "1 to 255", ">= 0", "> 0 to 1". */
export function rangeText(f: FieldSpec<unknown>): string {
  const lo = `${f.above ? '> ' : ''}${f.min}`;
  return f.max === undefined ? (f.above ? lo : `>= ${f.min}`) : `${lo} to ${f.max}`;
}

/** Flag definitions of every setting, for a CommandSpec (`only` limits them to some settings). */
export function configFlags(only?: Key[]): Record<string, FlagDef> {
  const out: Record<string, FlagDef> = {};
  const order = Object.keys(SECTIONS);
  const keys = [...(only ?? CONFIG_KEYS)].sort((a, b) => order.indexOf(spec(a).section) - order.indexOf(spec(b).section));
  for (const k of keys) {
    const f = spec(k);
    if (f.flag === null) continue;
    out[f.flag] = {
      type: f.kind === 'bool' ? 'boolean' : 'string',
      multiple: f.kind === 'strings' || undefined,
      arg: f.kind === 'choice' ? f.values!.join('|') : f.arg,
      default: defaultText(k) + (f.kind === 'int' || f.kind === 'num' ? `; ${rangeText(f)}` : ''),
      help: f.help,
      section: SECTIONS[f.section],
    };
  }
  return out;
}

/** A flag's text (or a config file's JSON value) as the setting's value, checked; errors name `label`. */
export function settingValue(k: Key, raw: unknown, label: string): unknown {
  const f = spec(k);
  const bad = () => new UsageError(`${label}: expected ${allowedText(f)}, got ${typeof raw === 'string' ? `'${raw}'` : JSON.stringify(raw)}`);
  let v: unknown = raw;
  switch (f.kind) {
    case 'int': case 'num':
      if (typeof raw === 'string') {
        if (raw.trim() === '') throw bad();
        v = Number(raw.replace(/_/g, ''));
      }
      if (typeof v !== 'number' || Number.isNaN(v)) throw bad();
      break;
    case 'bool':
      if (typeof raw === 'string') v = raw === 'true' ? true : raw === 'false' ? false : raw;
      break;
    case 'strings':
      if (typeof raw === 'string') v = [raw];
      if (Array.isArray(v)) v = v.flatMap((x) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : [x]));
      break;
    case 'map':
      if (typeof raw === 'string' && label.startsWith('--')) v = readMapFile(label, raw);
      break;
    case 'schedule':
      // STEP:X,STEP:X,... (numbers as --steps takes them: 1e7, 10_000_000)
      if (typeof raw === 'string') {
        v = raw.split(',').map((p) => p.split(':').map((x) => (x.trim() === '' ? NaN : Number(x.replace(/_/g, '')))));
        if ((v as number[][]).some((p) => p.length !== 2 || p.some(Number.isNaN))) throw bad();
      }
      break;
  }
  try {
    checkField(k, v, label);
  } catch (e) {
    if (e instanceof InputError && typeof raw === 'string') {
      if (f.kind === 'choice') throw new UsageError(`${label}: unknown value '${raw}'; allowed values: ${f.values!.join(', ')}`);
      if (f.kind !== 'map') throw bad();
    }
    throw e;
  }
  return v;
}

/** A map file: ASCII rows, one per line (trailing blank lines and carriage returns dropped; spaces kept). */
function readMapFile(label: string, path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${label}: cannot read ${path}: ${fsReason(e)}`);
  }
  const rows = text.replace(/\r/g, '').split('\n');
  while (rows.length && rows[rows.length - 1] === '') rows.pop();
  if (rows.length === 0) throw new UsageError(`${label}: ${path} is empty; a map is rows of characters (docs/RULES.md)`);
  return rows;
}

/** The settings given as flags (parseCommand's values), checked, by field name. */
export function settingsFromFlags(values: Record<string, unknown>): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [flag, k] of Object.entries(FLAG_TO_KEY)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const f = spec(k);
    // A boolean flag given on sets `flagSets` (true unless the flag negates its setting); given off, the opposite.
    out[k] = f.kind === 'bool' ? (raw === false ? !(f.flagSets ?? true) : (f.flagSets ?? true)) : settingValue(k, raw, `--${flag}`);
  }
  return out as Partial<TrainConfig>;
}

/** Keys of a run's config.json that are records, not settings. */
const PROVENANCE = new Set(['version', 'code']);

/**
 * A --config file: a JSON object whose keys are setting names (as in a run's config.json, which is
 * therefore a valid --config) or flag names; values are JSON values or, for numbers, strings as a flag
 * takes them ("2e6"). Provenance fields of config.json (version, code) are ignored.
 */
export function settingsFromFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path}: ${fsReason(e)}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${path} is not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`--config: ${path} must hold a JSON object of settings`);
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(obj as Record<string, unknown>)) {
    if (PROVENANCE.has(name)) continue;
    const k = (name in FIELDS ? name : FLAG_TO_KEY[name]) as Key | undefined;
    if (!k) throw new UsageError(`--config: ${path}: unknown setting '${name}'; settings: ${CONFIG_KEYS.join(', ')} (or their flag names)`);
    const f = spec(k);
    const label = `--config ${path}: ${name}`;
    if (f.kind === 'bool' && name === f.flag && f.flagSets === false) {
      // A negating flag's name (influence-all: true means influenceVisibleOnly false).
      if (typeof raw !== 'boolean') throw new UsageError(`${label}: expected true or false, got ${JSON.stringify(raw)}`);
      out[k] = !raw;
    } else if (f.kind === 'map' && typeof raw === 'string') {
      out[k] = settingValue(k, raw, `--map`);
    } else {
      out[k] = settingValue(k, raw, label);
    }
  }
  return out as Partial<TrainConfig>;
}

/** Warnings for a configuration on the command line: flags with no effect, values legal but suspicious. */
export function commandLineWarnings(given: Partial<TrainConfig>, cfg: TrainConfig): string[] {
  return configWarnings(given, cfg, { cores: availableParallelism() }, (k) => (spec(k).flag ? `--${spec(k).flag}` : k));
}

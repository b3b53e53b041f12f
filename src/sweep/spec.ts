// A sweep spec: which runs to train. A JSON object names games, models, seeds, a step budget, settings
// shared by every run and a grid of settings to search; it expands into one run per
// (game, model, grid point, seed), each with a stable id and its whole configuration resolved here,
// so that every machine of a sweep trains exactly the same thing whatever commons' defaults become later.
//
//   {
//     "name": "cleanup-search",             the sweep's directory and queue prefix (default: the file's name)
//     "games": ["cleanup"],                  non-empty list
//     "models": ["a2c", "influence-moa"],    non-empty list, or { "a2c": {}, "influence-moa": { settings } }
//     "seeds": [0, 1, 2, 3, 4],              non-empty list of distinct integers >= 0
//     "steps": 2000000,                      budget in environment steps (sugar for config.steps)
//     "config": { "envs": 16 },              TrainConfig settings for every run
//     "grid": { "lr": [7e-4, 1e-3] },        settings searched: one run per combination
//     "search": { "samples": 20, "seed": 0, "params": { "lr": { "logUniform": [1e-4, 3e-3] } } },
//                                            settings sampled at random (./search.ts), crossed with the grid
//     "only": ["cleanup-a2c-sample07"],      keep only these groups (a follow-up of a search's best)
//     "preset": "paper",                     settings of a published experiment per (game, model)
//     "report": { "window": 0.1, "baseline": "a2c" },
//     "checkpointMinutes": 10, "keepCheckpoints": 2
//   }
//
// A run's settings are layered, later wins: TrainConfig defaults, the preset ("preset": "paper" gives each
// (game, model) the paper's Tables 1-3, src/learn/presets.ts), "config", the model's own settings, the grid
// point, then game, model, seed. Every error names the field: `spec.grid.lr: ...`.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '../util/errors.ts';
import { GAMES, type GameName } from '../env/games.ts';
import { MODELS, resolveTrainConfig, type ModelName, type PresetName, type TrainConfig } from '../learn/config.ts';
import { PRESETS, presetSettings } from '../learn/presets.ts';
import { applies, parseOnly, parseSearch, sampleLabel, samplePoints, type SearchSpec } from './search.ts';


export interface ReportDefaults {
  /** Fraction of a run's env steps, at its end, whose metrics lines are averaged into its final value. Default 0.1. */
  window: number;
  /** A model (or group label) that the others are tested against (Welch's t-test); none by default. */
  baseline?: string;
}

export interface SweepSpec {
  name: string;
  games: GameName[];
  models: ModelName[];
  /** Each model's own settings (empty objects for models given as a plain list). */
  modelConfig: Partial<Record<ModelName, Partial<TrainConfig>>>;
  seeds: number[];
  config: Partial<TrainConfig>;
  /** Setting -> the values searched, in the order given. */
  grid: Record<string, unknown[]>;
  /** Settings sampled at random (./search.ts), each sample crossed with every grid point. */
  search?: SearchSpec;
  /** Keep only these groups of the plan (a follow-up of a search's best settings). */
  only?: string[];
  preset?: Exclude<PresetName, 'none'>;
  report: ReportDefaults;
  /** Hosting: a checkpoint at least this often (wall clock) besides the run's checkpointEvery. Default 10. */
  checkpointMinutes: number;
  /** Hosting: checkpoints kept per run (older ones are deleted; disk stays bounded). Default 2. */
  keepCheckpoints: number;
}

/** One run of a sweep. */
export interface PlannedRun {
  /** Stable id: game-model[-grid values that vary]-sSEED; also its directory name. */
  id: string;
  /** The runs that differ only by seed share a group (a row of the report). */
  group: string;
  game: GameName;
  model: ModelName;
  seed: number;
  /** This run's grid point (every grid setting) and search sample (the sampled settings its model uses). */
  point: Record<string, unknown>;
  /** The complete, resolved configuration. */
  config: TrainConfig;
}

export interface SweepPlan {
  spec: SweepSpec;
  runs: PlannedRun[];
}

const TOP_KEYS = ['name', 'games', 'models', 'seeds', 'steps', 'config', 'grid', 'search', 'only', 'preset', 'report', 'checkpointMinutes', 'keepCheckpoints', '$comment'];
const RUN_KEYS = new Set(['game', 'model', 'seed']);
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (field: string, msg: string): never => { throw new InputError(`${field}: ${msg}`); };

function list(raw: Record<string, unknown>, key: string): unknown[] {
  const v = raw[key];
  if (v === undefined) fail(`spec.${key}`, 'missing; expected a non-empty list');
  if (!Array.isArray(v)) fail(`spec.${key}`, `expected a list, got ${JSON.stringify(v)}`);
  if ((v as unknown[]).length === 0) fail(`spec.${key}`, 'empty list; a sweep needs at least one');
  return v as unknown[];
}

/** Refuses a key that is not a TrainConfig setting (resolveTrainConfig names unknown keys before it looks at values). */
function checkSettingName(field: string, key: string): void {
  try {
    resolveTrainConfig({ [key]: undefined } as Partial<TrainConfig>);
  } catch (e) {
    const m = /^config: unknown setting '[^']*'; (.*)$/.exec((e as Error).message);
    if (m) fail(field, `unknown setting; ${m[1]}`);
  }
}

function checkSettings(field: string, v: unknown): Partial<TrainConfig> {
  if (!isObject(v)) fail(field, `expected an object of settings, got ${JSON.stringify(v)}`);
  for (const key of Object.keys(v as object)) {
    if (RUN_KEYS.has(key)) fail(`${field}.${key}`, `set ${key}s with spec.${key}s, not here`);
    checkSettingName(`${field}.${key}`, key);
  }
  return v as Partial<TrainConfig>;
}

/** Checks a parsed spec and fills its defaults; `fallbackName` names a spec without "name". */
export function parseSpec(raw: unknown, fallbackName = 'sweep'): SweepSpec {
  if (!isObject(raw)) fail('spec', 'expected a JSON object with games, models and seeds');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!TOP_KEYS.includes(key)) fail(`spec.${key}`, `unknown key; keys: ${TOP_KEYS.filter((k) => k !== '$comment').join(', ')}`);
  }
  const name = r.name ?? fallbackName;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    fail('spec.name', `expected letters, digits, '.', '_' or '-' (at most 80, not starting with a punctuation mark), got ${JSON.stringify(name)}`);
  }
  const games = list(r, 'games').map((g, i) => {
    if (!GAMES.includes(g as GameName)) fail(`spec.games[${i}]`, `unknown game ${JSON.stringify(g)}; games: ${GAMES.join(', ')}`);
    return g as GameName;
  });
  let models: ModelName[];
  const modelConfig: SweepSpec['modelConfig'] = {};
  const checkModel = (m: unknown, field: string) => {
    if (!MODELS.includes(m as ModelName)) fail(field, `unknown model ${JSON.stringify(m)}; models: ${MODELS.join(', ')}`);
    return m as ModelName;
  };
  if (isObject(r.models)) {
    models = Object.keys(r.models).map((m) => checkModel(m, `spec.models.${m}`));
    if (models.length === 0) fail('spec.models', 'empty; a sweep needs at least one model');
    for (const m of models) modelConfig[m] = checkSettings(`spec.models.${m}`, (r.models as Record<string, unknown>)[m]);
  } else {
    models = list(r, 'models').map((m, i) => checkModel(m, `spec.models[${i}]`));
  }
  const seeds = list(r, 'seeds').map((s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) fail(`spec.seeds[${i}]`, `expected an integer >= 0, got ${JSON.stringify(s)}`);
    return s as number;
  });
  for (const [field, vals] of [['spec.games', games], ['spec.models', models], ['spec.seeds', seeds]] as const) {
    const dup = (vals as unknown[]).find((v, i) => (vals as unknown[]).indexOf(v) !== i);
    if (dup !== undefined) fail(field, `${JSON.stringify(dup)} is listed twice`);
  }
  const config = r.config === undefined ? {} : { ...checkSettings('spec.config', r.config) };
  if (r.steps !== undefined) {
    if (config.steps !== undefined) fail('spec.steps', 'given twice (also in spec.config.steps)');
    config.steps = r.steps as number;
  }
  const grid: Record<string, unknown[]> = {};
  if (r.grid !== undefined) {
    if (!isObject(r.grid)) fail('spec.grid', `expected an object of setting -> list of values, got ${JSON.stringify(r.grid)}`);
    for (const [key, vals] of Object.entries(r.grid as Record<string, unknown>)) {
      if (RUN_KEYS.has(key)) fail(`spec.grid.${key}`, `set ${key}s with spec.${key}s, not in the grid`);
      checkSettingName(`spec.grid.${key}`, key);
      if (!Array.isArray(vals)) fail(`spec.grid.${key}`, `expected a list of values, got ${JSON.stringify(vals)}`);
      if ((vals as unknown[]).length === 0) fail(`spec.grid.${key}`, 'empty list; a grid setting needs at least one value');
      const seen = new Set((vals as unknown[]).map((v) => JSON.stringify(v)));
      if (seen.size !== (vals as unknown[]).length) fail(`spec.grid.${key}`, 'a value is listed twice');
      grid[key] = vals as unknown[];
    }
  }
  const search = r.search === undefined ? undefined : parseSearch(r.search, checkSettingName, grid);
  const only = r.only === undefined ? undefined : parseOnly(r.only);
  let preset: Exclude<PresetName, 'none'> | undefined;
  if (r.preset !== undefined) {
    const known = Object.keys(PRESETS);
    if (typeof r.preset !== 'string' || !(r.preset in PRESETS)) {
      fail('spec.preset', `unknown preset ${JSON.stringify(r.preset)}; ${known.length ? `presets: ${known.join(', ')}` : 'no presets are defined yet'}`);
    }
    preset = r.preset as Exclude<PresetName, 'none'>;
  }
  const report: ReportDefaults = { window: 0.1 };
  if (r.report !== undefined) {
    if (!isObject(r.report)) fail('spec.report', `expected an object { window, baseline }, got ${JSON.stringify(r.report)}`);
    const rep = r.report as Record<string, unknown>;
    for (const key of Object.keys(rep)) if (key !== 'window' && key !== 'baseline') fail(`spec.report.${key}`, 'unknown key; keys: window, baseline');
    if (rep.window !== undefined) {
      if (typeof rep.window !== 'number' || !(rep.window > 0 && rep.window <= 1)) fail('spec.report.window', `expected a fraction in (0, 1], got ${JSON.stringify(rep.window)}`);
      report.window = rep.window as number;
    }
    if (rep.baseline !== undefined) {
      if (typeof rep.baseline !== 'string' || rep.baseline === '') fail('spec.report.baseline', `expected a model or group name, got ${JSON.stringify(rep.baseline)}`);
      report.baseline = rep.baseline as string;
    }
  }
  const positive = (key: string, def: number, int: boolean) => {
    const v = r[key] ?? def;
    if (typeof v !== 'number' || !(v > 0) || (int && !Number.isInteger(v))) fail(`spec.${key}`, `expected ${int ? 'an integer' : 'a number'} > 0, got ${JSON.stringify(v)}`);
    return v as number;
  };
  return {
    name: name as string, games, models, modelConfig, seeds, config, grid, ...(search ? { search } : {}), ...(only ? { only } : {}), preset, report,
    checkpointMinutes: positive('checkpointMinutes', 10, false), keepCheckpoints: positive('keepCheckpoints', 2, true),
  };
}

/** Reads and parses a spec file (JSON). */
export function readSpec(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`SPEC: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`SPEC: ${path} is not valid JSON (${(e as Error).message})`);
  }
  return parseSpec(raw, basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '') || 'sweep');
}

/** A grid value as it appears in a run id: numbers and words as written, anything else as a short hash. */
function idValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string' && /^[A-Za-z0-9.+-]{1,24}$/.test(v)) return v;
  return 'h' + createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 8);
}

/** Every combination of the grid's values, in the order the spec gives them (the last key varies fastest). */
function points(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, vals] of Object.entries(grid)) out = out.flatMap((p) => vals.map((v) => ({ ...p, [key]: v })));
  return out;
}

/** Which layer of the spec a setting came from, for error messages. */
function origin(spec: SweepSpec, model: ModelName, key: string): string {
  if (key in spec.grid) return `spec.grid.${key}`;
  if (spec.search && key in spec.search.params) return `spec.search.params.${key}`;
  if (spec.modelConfig[model] && key in spec.modelConfig[model]!) return `spec.models.${model}.${key}`;
  if (key === 'steps' && spec.config.steps !== undefined) return 'spec.steps';
  if (key in spec.config) return `spec.config.${key}`;
  if (spec.preset) return `spec.preset (${spec.preset}).${key}`;
  return key;
}

/** Expands a spec into its runs, resolving and checking each run's configuration. */
export function planSweep(spec: SweepSpec): SweepPlan {
  // Only the grid settings that take several values name a run: one-value settings would only lengthen ids.
  const varying = Object.keys(spec.grid).filter((k) => spec.grid[k].length > 1).sort();
  const samples = spec.search ? samplePoints(spec.search) : [null];
  const runs: PlannedRun[] = [];
  const resolve = (partial: Partial<TrainConfig>, model: ModelName, id: string): TrainConfig => {
    try {
      return resolveTrainConfig(partial);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const m = /^(\w+): ([\s\S]*)$/.exec(e.message);
      const where = m ? origin(spec, model, m[1]) : 'spec';
      throw new InputError(`${where}: ${m ? m[2] : e.message} (run ${id})`);
    }
  };
  for (const game of spec.games) {
    for (const model of spec.models) {
      for (const gridPoint of points(spec.grid)) {
        // a model runs a sample's settings once: samples that differ only in settings it ignores are one
        const seen = new Set<string>();
        for (const [k, sample] of samples.entries()) {
          const group = [game, model, ...varying.map((key) => `${key}${idValue(gridPoint[key])}`), ...(sample ? [sampleLabel(k, samples.length)] : [])].join('-');
          const layered = {
            ...(spec.preset ? presetSettings(spec.preset, game, model) : {}), ...spec.config, ...(spec.modelConfig[model] ?? {}), ...gridPoint,
          } as Partial<TrainConfig>;
          let point: Record<string, unknown> = gridPoint;
          if (sample) {
            const probe = resolve({ ...layered, ...sample, game, model, seed: spec.seeds[0] } as Partial<TrainConfig>, model, `${group}-s${spec.seeds[0]}`);
            const used = Object.fromEntries(Object.entries(sample).filter(([key]) => applies(key, probe)));
            const key = canonicalPoint(used);
            if (seen.has(key)) continue;
            seen.add(key);
            point = { ...gridPoint, ...used };
          }
          for (const seed of spec.seeds) {
            const id = `${group}-s${seed}`;
            const config = resolve({ ...layered, ...point, game, model, seed } as Partial<TrainConfig>, model, id);
            runs.push({ id, group, game, model, seed, point, config });
          }
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const r of runs) {
    if (ids.has(r.id)) throw new InputError(`spec.grid: two grid points give the run id ${r.id}; use values that differ in their first 24 characters`);
    ids.add(r.id);
  }
  if (spec.only) {
    const groups = new Set(runs.map((r) => r.group));
    const missing = spec.only.filter((g) => !groups.has(g));
    if (missing.length) {
      const known = [...groups];
      throw new InputError(`spec.only: ${missing.map((g) => JSON.stringify(g)).join(', ')} ${missing.length === 1 ? 'is not a group' : 'are not groups'} of this plan; groups: ` +
        `${known.slice(0, 8).join(', ')}${known.length > 8 ? `, ... (${known.length} in all)` : ''}`);
    }
    const keep = new Set(spec.only);
    return { spec, runs: runs.filter((r) => keep.has(r.group)) };
  }
  return { spec, runs };
}

/** A settings point as a key (sorted keys). */
function canonicalPoint(p: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]));
}

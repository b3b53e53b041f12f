// A sweep spec: which runs to train. A JSON object names games, models, seeds, a step budget, settings
// shared by every run and a grid of settings to search; it expands into one run per
// (game, model, grid point, seed), each with a stable id and its whole configuration resolved here,
// so that every machine of a sweep trains exactly the same thing whatever commons' defaults become later.
//
//   {
//     "name": "cleanup-search",             the sweep's directory and queue prefix (default: the file's name)
//     "games": ["cleanup"],                  non-empty list
//     "models": ["a2c", "influence-moa"],    non-empty list, or { "a2c": {}, "influence-moa": { settings } };
//                                            an object's key may also name a variant of a model, an *arm*:
//                                            "influence-beta0": { "model": "influence", "influenceBeta": 0 }
//     "seeds": [0, 1, 2, 3, 4],              non-empty list of distinct integers >= 0
//     "steps": 2000000,                      budget in environment steps (sugar for config.steps)
//     "config": { "envs": 16 },              TrainConfig settings for every run
//     "grid": { "lr": [7e-4, 1e-3] },        settings searched: one run per combination
//     "search": { "samples": 20, "seed": 0, "params": { "lr": { "logUniform": [1e-4, 3e-3] } } },
//                                            settings sampled at random (./search.ts), crossed with the grid
//     "only": ["cleanup-a2c-sample07"],      keep only these groups (a follow-up of a search's best)
//     "preset": "paper",                     settings of a published experiment per (game, model)
//     "report": { "window": 0.1, "baseline": "a2c", "pairs": [["influence", "influence-beta0"]], ... },
//                                            defaults of sweep report; pairs: the matched-pairs analysis (./pairs.ts)
//     "preregistration": "...",              free text: what the sweep tests, written before it runs
//     "checkpointMinutes": 10, "keepCheckpoints": 2
//   }
//
// The curriculum's step settings (influenceStart, influenceEnd and the steps of influenceSchedule's points) may
// be given in spec.config and spec.models as a percentage of the run's budget, "50%": the budget is then
// one number (spec.steps), and each run's resolved configuration holds the env steps.
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
  /** The matched-pairs analysis (./pairs.ts): pairs of arms compared on an endpoint; none by default. */
  pairs?: PairsSpec;
}

/** The tests the matched-pairs analysis can make on each pair's per-seed endpoint values. */
export const PAIR_TESTS = ['permutation', 'paired-permutation'] as const;
export const CORRECTIONS = ['holm', 'none'] as const;

/** A matched-pairs analysis: what a pre-registration fixes before the runs (docs/sweeps.md, "Matched pairs"). */
export interface PairsSpec {
  /** [A, B]: arms (or group ids), A - B is reported. */
  pairs: [string, string][];
  /** The primary endpoint: a metric's mean over a run's last `window` of env steps. Default collective_return
   * over the report's window. */
  endpoint: { metric: string; window: number };
  /** 'permutation': two-sided two-sample permutation test of the difference of means (exact when the
   * relabelings are at most exactUpTo); 'paired-permutation': sign flips of the per-seed differences. */
  test: (typeof PAIR_TESTS)[number];
  /** Over the family of pairs (per game, per endpoint). Default holm. */
  correction: (typeof CORRECTIONS)[number];
  /** Family-wise error rate a pair is called different at (after correction). Default 0.05. */
  alpha: number;
  /** Seed of every random draw (Monte Carlo relabelings, bootstrap resamples). Default 0. */
  seed: number;
  /** Bootstrap resamples of the 95% interval of each difference. Default 10,000. */
  resamples: number;
  /** Count every relabeling when there are at most this many (default 1,000,000)... */
  exactUpTo: number;
  /** ...else draw this many (default 100,000). */
  permutations: number;
  /** Secondary windows [from, to] as fractions of the run's env steps. Default [[0.9, 1], [0.5, 0.75]]. */
  windows: [number, number][];
  /** The paper's Harvest seed-dropping rule (Jaques et al. 2019, after Hughes et al. 2018: "seeds in which one
   * agent never learns to collect apples are dropped"): in these games, a run is dropped when one of its agents'
   * mean return per episode over the endpoint window is below minAgentReturn. The analysis is reported with
   * and without it. */
  drop?: { games: string[]; minAgentReturn: number };
}

export interface SweepSpec {
  name: string;
  games: GameName[];
  /** The arms: each a model, or a named variant of one (`arms`). */
  models: string[];
  /** The model of each arm whose name is not a model's (spec.models.ARM.model); absent when there is none. */
  arms?: Record<string, ModelName>;
  /** Each arm's own settings (empty objects for models given as a plain list). */
  modelConfig: Record<string, Partial<TrainConfig>>;
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
  /** Free text written before the sweep runs: what it tests and how (a pre-registration). */
  preregistration?: string;
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
  /** The arm, when it is a named variant of the model (spec.models.ARM.model); absent otherwise. */
  arm?: string;
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

const TOP_KEYS = ['name', 'games', 'models', 'seeds', 'steps', 'config', 'grid', 'search', 'only', 'preset', 'report', 'preregistration', 'checkpointMinutes', 'keepCheckpoints', '$comment'];
const REPORT_KEYS = ['window', 'baseline', 'pairs', 'endpoint', 'test', 'correction', 'alpha', 'seed', 'resamples', 'exactUpTo', 'permutations', 'windows', 'drop'];
/** An arm's name: it becomes part of run ids and directory names. */
const ARM_RE = /^[a-z0-9][a-z0-9._-]{0,39}$/;
/** The curriculum's step settings, which may be given as a percentage of the run's budget ("50%"). */
const BUDGET_FRACTION_KEYS = ['influenceStart', 'influenceEnd', 'influenceSchedule'];
const PERCENT_RE = /^(\d+(?:\.\d+)?)%$/;
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
    checkBudgetFractions(`${field}.${key}`, key, (v as Record<string, unknown>)[key]);
  }
  return v as Partial<TrainConfig>;
}

/** A percentage of the budget ("50%") -> the fraction, or null when `v` is not such a string. */
function percentOf(field: string, v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = PERCENT_RE.exec(v);
  if (!m || !(Number(m[1]) <= 100)) fail(field, `expected env steps or a percentage of the run's steps from 0% to 100% ("50%"), got ${JSON.stringify(v)}`);
  return Number(m![1]) / 100;
}

/** Checks the percentages a curriculum setting may hold (the rest of its value is checked when runs are resolved). */
function checkBudgetFractions(field: string, key: string, v: unknown): void {
  if (!BUDGET_FRACTION_KEYS.includes(key)) return;
  if (key === 'influenceSchedule') {
    if (Array.isArray(v)) v.forEach((pt, i) => { if (Array.isArray(pt)) percentOf(`${field}[${i}][0]`, pt[0]); });
  } else percentOf(field, v);
}

/** The curriculum's percentages of the budget turned into env steps of a run of `steps` (rounded). */
function resolveBudgetFractions(settings: Partial<TrainConfig>, steps: number): Partial<TrainConfig> {
  const out = { ...settings } as Record<string, unknown>;
  const at = (f: number) => Math.round(f * steps);
  for (const key of BUDGET_FRACTION_KEYS) {
    const v = out[key];
    if (key === 'influenceSchedule' && Array.isArray(v)) {
      out[key] = v.map((pt) => (Array.isArray(pt) && typeof pt[0] === 'string' ? [at(percentOf(key, pt[0])!), ...pt.slice(1)] : pt));
    } else if (typeof v === 'string') out[key] = at(percentOf(key, v)!);
  }
  return out as Partial<TrainConfig>;
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
  let models: string[];
  const modelConfig: SweepSpec['modelConfig'] = {};
  const arms: Record<string, ModelName> = {};
  const checkModel = (m: unknown, field: string) => {
    if (!MODELS.includes(m as ModelName)) fail(field, `unknown model ${JSON.stringify(m)}; models: ${MODELS.join(', ')}`);
    return m as ModelName;
  };
  if (isObject(r.models)) {
    models = Object.keys(r.models);
    if (models.length === 0) fail('spec.models', 'empty; a sweep needs at least one model');
    for (const m of models) {
      const given = (r.models as Record<string, unknown>)[m];
      // an arm: a named variant of a model, { "model": "influence", settings }
      if (isObject(given) && 'model' in given) {
        const model = checkModel(given.model, `spec.models.${m}.model`);
        if (MODELS.includes(m as ModelName) && m !== model) fail(`spec.models.${m}.model`, `${m} is a model; name the variant of ${model} otherwise (e.g. ${model}-variant)`);
        if (!ARM_RE.test(m)) fail(`spec.models.${m}`, 'an arm\'s name is lower-case letters, digits, \'.\', \'_\' or \'-\' (at most 40, starting with a letter or digit)');
        if (m !== model) arms[m] = model;
        const { model: _model, ...settings } = given;
        modelConfig[m] = checkSettings(`spec.models.${m}`, settings);
      } else {
        if (!MODELS.includes(m as ModelName)) {
          fail(`spec.models.${m}`, `unknown model ${JSON.stringify(m)}; models: ${MODELS.join(', ')} (or name a variant: "${m}": { "model": MODEL, settings })`);
        }
        modelConfig[m] = checkSettings(`spec.models.${m}`, given);
      }
    }
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
    if (!isObject(r.report)) fail('spec.report', `expected an object { window, baseline, pairs, ... }, got ${JSON.stringify(r.report)}`);
    const rep = r.report as Record<string, unknown>;
    for (const key of Object.keys(rep)) if (!REPORT_KEYS.includes(key)) fail(`spec.report.${key}`, `unknown key; keys: ${REPORT_KEYS.join(', ')}`);
    if (rep.window !== undefined) {
      if (typeof rep.window !== 'number' || !(rep.window > 0 && rep.window <= 1)) fail('spec.report.window', `expected a fraction in (0, 1], got ${JSON.stringify(rep.window)}`);
      report.window = rep.window as number;
    }
    if (rep.baseline !== undefined) {
      if (typeof rep.baseline !== 'string' || rep.baseline === '') fail('spec.report.baseline', `expected a model or group name, got ${JSON.stringify(rep.baseline)}`);
      report.baseline = rep.baseline as string;
    }
    const pairKeys = REPORT_KEYS.filter((k) => k !== 'window' && k !== 'baseline' && k !== 'pairs' && rep[k] !== undefined);
    if (rep.pairs === undefined && pairKeys.length) fail(`spec.report.${pairKeys[0]}`, 'belongs to the matched-pairs analysis: give spec.report.pairs too');
    if (rep.pairs !== undefined) {
      report.pairs = parsePairsSpec(rep, report.window, 'spec.report');
      const known = new Set(models);
      // with a grid or a search, a pair may name a group id (GAME-ARM-...), checked when the report is made
      if (Object.keys(grid).length === 0 && !search) {
        report.pairs.pairs.forEach((pair, i) => pair.forEach((arm, j) => {
          if (!known.has(arm)) fail(`spec.report.pairs[${i}][${j}]`, `${JSON.stringify(arm)} is not an arm of spec.models; arms: ${models.join(', ')}`);
        }));
      }
    }
  }
  let preregistration: string | undefined;
  if (r.preregistration !== undefined) {
    const v = r.preregistration;
    if (!(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
      fail('spec.preregistration', `expected a text, or a list of texts (paragraphs), got ${JSON.stringify(v)}`);
    }
    preregistration = Array.isArray(v) ? (v as string[]).join('\n\n') : (v as string);
  }
  const positive = (key: string, def: number, int: boolean, max: number) => {
    const v = r[key] ?? def;
    if (typeof v !== 'number' || !(v > 0) || !(v <= max) || (int && !Number.isInteger(v))) {
      fail(`spec.${key}`, `expected ${int ? 'an integer' : 'a number'} > 0 and <= ${max.toLocaleString('en-US')}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  return {
    name: name as string, games, models, ...(Object.keys(arms).length ? { arms } : {}), modelConfig, seeds, config, grid, ...(search ? { search } : {}), ...(only ? { only } : {}), preset, report,
    ...(preregistration !== undefined ? { preregistration } : {}),
    // at most a week between checkpoints; as many checkpoints as --keep allows
    checkpointMinutes: positive('checkpointMinutes', 10, false, 7 * 24 * 60), keepCheckpoints: positive('keepCheckpoints', 2, true, 1_000_000),
  };
}

/** The matched-pairs analysis of a report block (`raw.pairs` and its settings), `window` the report's; every
 * error names `where`.KEY. Also what `sweep report --pairs` builds on. */
export function parsePairsSpec(raw: Record<string, unknown>, window: number, where: string): PairsSpec {
  const f = (key: string) => `${where}.${key}`;
  const pairs = raw.pairs;
  if (!Array.isArray(pairs) || pairs.length === 0) fail(f('pairs'), `expected a non-empty list of [A, B] pairs of arms, got ${JSON.stringify(pairs)}`);
  const seen = new Set<string>();
  const out = (pairs as unknown[]).map((given, i) => {
    if (!Array.isArray(given) || given.length !== 2 || !given.every((x) => typeof x === 'string' && x !== '')) fail(`${f('pairs')}[${i}]`, `expected [A, B], two arm names, got ${JSON.stringify(given)}`);
    const p = given as [string, string];
    if (p[0] === p[1]) fail(`${f('pairs')}[${i}]`, `an arm against itself (${p[0]})`);
    const key = JSON.stringify([...p].sort());
    if (seen.has(key)) fail(`${f('pairs')}[${i}]`, `${p[0]} and ${p[1]} are paired twice`);
    seen.add(key);
    return [p[0], p[1]] as [string, string];
  });
  const num = (key: string, def: number, ok: (v: number) => boolean, what: string) => {
    const v = raw[key] ?? def;
    if (typeof v !== 'number' || !ok(v)) fail(f(key), `expected ${what}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const frac = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(field, `expected a fraction in (0, 1], got ${JSON.stringify(v)}`);
    return v as number;
  };
  let endpoint = { metric: 'collective_return', window };
  if (raw.endpoint !== undefined) {
    const e = raw.endpoint;
    if (!isObject(e)) fail(f('endpoint'), `expected { "metric": "collective_return", "window": 0.25 }, got ${JSON.stringify(e)}`);
    for (const key of Object.keys(e as object)) if (key !== 'metric' && key !== 'window') fail(`${f('endpoint')}.${key}`, 'unknown key; keys: metric, window');
    const { metric, window: w } = e as Record<string, unknown>;
    if (metric !== undefined && (typeof metric !== 'string' || !/^[A-Za-z_][\w.]*$/.test(metric))) {
      fail(`${f('endpoint')}.metric`, `expected a metric name (collective_return, equality_weighted_return, ...), got ${JSON.stringify(metric)}`);
    }
    endpoint = { metric: (metric as string | undefined) ?? 'collective_return', window: w === undefined ? window : frac(`${f('endpoint')}.window`, w) };
  }
  const oneOf = <T extends string>(key: string, values: readonly T[], def: T): T => {
    const v = raw[key] ?? def;
    if (!values.includes(v as T)) fail(f(key), `expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  let windows: [number, number][] = [[0.9, 1], [0.5, 0.75]];
  if (raw.windows !== undefined) {
    if (!Array.isArray(raw.windows)) fail(f('windows'), `expected a list of [from, to] fractions of the run, got ${JSON.stringify(raw.windows)}`);
    windows = (raw.windows as unknown[]).map((given, i) => {
      const w = given as number[];
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'number' || typeof w[1] !== 'number' || !(w[0] >= 0 && w[0] < w[1] && w[1] <= 1)) {
        fail(`${f('windows')}[${i}]`, `expected [from, to] with 0 <= from < to <= 1 (fractions of the run's env steps), got ${JSON.stringify(w)}`);
      }
      return [w[0], w[1]] as [number, number];
    });
  }
  let drop: PairsSpec['drop'];
  if (raw.drop !== undefined) {
    const d = raw.drop;
    if (!isObject(d)) fail(f('drop'), `expected { "games": ["harvest"], "minAgentReturn": 10 }, got ${JSON.stringify(d)}`);
    for (const key of Object.keys(d as object)) if (key !== 'games' && key !== 'minAgentReturn') fail(`${f('drop')}.${key}`, 'unknown key; keys: games, minAgentReturn');
    const { games, minAgentReturn } = d as Record<string, unknown>;
    if (!Array.isArray(games) || games.length === 0 || !games.every((g) => GAMES.includes(g as GameName))) {
      fail(`${f('drop')}.games`, `expected a non-empty list of games (${GAMES.join(', ')}), got ${JSON.stringify(games)}`);
    }
    if (typeof minAgentReturn !== 'number' || !Number.isFinite(minAgentReturn)) fail(`${f('drop')}.minAgentReturn`, `expected a number (a return per episode), got ${JSON.stringify(minAgentReturn)}`);
    drop = { games: games as string[], minAgentReturn: minAgentReturn as number };
  }
  return {
    pairs: out, endpoint,
    test: oneOf('test', PAIR_TESTS, 'permutation'),
    correction: oneOf('correction', CORRECTIONS, 'holm'),
    alpha: num('alpha', 0.05, (v) => v > 0 && v < 1, 'a level in (0, 1)'),
    seed: num('seed', 0, (v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0'),
    resamples: num('resamples', 10_000, (v) => Number.isInteger(v) && v >= 100 && v <= 10_000_000, 'an integer from 100 to 10,000,000'),
    exactUpTo: num('exactUpTo', 1_000_000, (v) => Number.isInteger(v) && v >= 0 && v <= 100_000_000, 'an integer from 0 to 100,000,000'),
    permutations: num('permutations', 100_000, (v) => Number.isInteger(v) && v >= 100 && v <= 100_000_000, 'an integer from 100 to 100,000,000'),
    windows, ...(drop ? { drop } : {}),
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
function origin(spec: SweepSpec, model: string, key: string): string {
  if (key in spec.grid) return `spec.grid.${key}`;
  if (spec.search && key in spec.search.params) return `spec.search.params.${key}`;
  if (spec.modelConfig[model] && key in spec.modelConfig[model]!) return `spec.models.${model}.${key}`;
  if (key === 'steps' && spec.config.steps !== undefined) return 'spec.steps';
  if (key in spec.config) return `spec.config.${key}`;
  if (spec.preset) return `spec.preset (${spec.preset}).${key}`;
  return key;
}

/** The most runs a sweep may have: a plan is refused before it is built beyond this (each run's whole
 * configuration is resolved and stored in sweep.json and in the queue). */
export const MAX_RUNS = 100_000;

/** The number of runs a spec expands into (games x models x grid points x search samples x seeds; samples
 * that a model runs alike count once in the plan, so this is its upper bound), without building them. */
export function countRuns(spec: SweepSpec): number {
  return spec.games.length * spec.models.length * spec.seeds.length * (spec.search?.samples ?? 1) * Object.values(spec.grid).reduce((n, vals) => n * vals.length, 1);
}

/** The longest group id (a directory name, with '-sSEED' after it): file systems allow 255 bytes. */
const MAX_GROUP_ID = 160;

/** A group's id: GAME-MODEL[-SETTINGVALUE...], or, when that would be too long for a directory name, the
 * grid part replaced by a hash of it: GAME-MODEL-gHASH (the grid point is in sweep.json and the report). */
function groupId(game: string, model: string, parts: string[]): string {
  const id = [game, model, ...parts].join('-');
  if (id.length <= MAX_GROUP_ID) return id;
  return `${game}-${model}-g${createHash('sha256').update(parts.join('-')).digest('hex').slice(0, 12)}`;
}

/** Expands a spec into its runs, resolving and checking each run's configuration. */
export function planSweep(spec: SweepSpec): SweepPlan {
  const count = countRuns(spec);
  if (count > MAX_RUNS) {
    const samples = spec.search?.samples ?? 1;
    const gridPoints = count / (spec.games.length * spec.models.length * spec.seeds.length * samples);
    throw new InputError(`spec.grid: the sweep would have ${count.toLocaleString('en-US')} runs (${spec.games.length} game(s) x ${spec.models.length} model(s) x ` +
      `${gridPoints.toLocaleString('en-US')} grid point(s)${spec.search ? ` x ${samples} search sample(s)` : ''} x ${spec.seeds.length} seed(s)); ` +
      `a sweep may have at most ${MAX_RUNS.toLocaleString('en-US')}: search fewer values, or split the search into several sweeps`);
  }
  // Only the grid settings that take several values name a run: one-value settings would only lengthen ids.
  const varying = Object.keys(spec.grid).filter((k) => spec.grid[k].length > 1).sort();
  const samples = spec.search ? samplePoints(spec.search) : [null];
  const runs: PlannedRun[] = [];
  const resolve = (partial: Partial<TrainConfig>, model: string, id: string): TrainConfig => {
    try {
      return resolveTrainConfig(partial);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const m = /^(\w+): ([\s\S]*)$/.exec(e.message);
      const where = m ? origin(spec, model, m[1]) : 'spec';
      throw new InputError(`${where}: ${m ? m[2] : e.message} (run ${id})`);
    }
  };
  // the default budget, for percentages of it when a spec gives no steps
  const defaultSteps = resolveTrainConfig({}).steps;
  for (const game of spec.games) {
    for (const arm of spec.models) {
      const model = spec.arms?.[arm] ?? (arm as ModelName);
      for (const gridPoint of points(spec.grid)) {
        // a model runs a sample's settings once: samples that differ only in settings it ignores are one
        const seen = new Set<string>();
        for (const [k, sample] of samples.entries()) {
          const group = groupId(game, arm, [...varying.map((key) => `${key}${idValue(gridPoint[key])}`), ...(sample ? [sampleLabel(k, samples.length)] : [])]);
          const given = { ...spec.config, ...(spec.modelConfig[arm] ?? {}), ...gridPoint } as Partial<TrainConfig>;
          const layered = {
            ...(spec.preset ? presetSettings(spec.preset, game, model) : {}), ...resolveBudgetFractions(given, Number(given.steps ?? defaultSteps)),
          } as Partial<TrainConfig>;
          let point: Record<string, unknown> = gridPoint;
          if (sample) {
            const probe = resolve({ ...layered, ...sample, game, model, seed: spec.seeds[0] } as Partial<TrainConfig>, arm, `${group}-s${spec.seeds[0]}`);
            const used = Object.fromEntries(Object.entries(sample).filter(([key]) => applies(key, probe)));
            const key = canonicalPoint(used);
            if (seen.has(key)) continue;
            seen.add(key);
            point = { ...gridPoint, ...used };
          }
          for (const seed of spec.seeds) {
            const id = `${group}-s${seed}`;
            const config = resolve({ ...layered, ...point, game, model, seed } as Partial<TrainConfig>, arm, id);
            runs.push({ id, group, game, model, ...(arm !== model ? { arm } : {}), seed, point, config });
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

/**
 * The order runs are trained in (the local pool's, and the queue's for the runs a submit adds): runs stopped part-way first (their checkpoints are there to resume),
 * then seed by seed: every group's first seed, then every group's second, and so on, each in the plan's order.
 * A sweep stopped half-way so holds whole seeds of every arm (matched pairs, a balanced report) rather than
 * every seed of the first arms. The order changes only when a run trains, never what it does.
 */
export function trainingOrder<T extends { run: PlannedRun; started: boolean }>(runs: readonly T[], seeds: readonly number[]): T[] {
  const rank = new Map(seeds.map((s, i) => [s, i]));
  return runs
    .map((r, i) => ({ r, i, key: [r.started ? 0 : 1, rank.get(r.run.seed) ?? seeds.length] }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.i - b.i)
    .map((x) => x.r);
}

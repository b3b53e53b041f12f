// A sweep's sampled hyper-parameter search (Jaques et al. 2019 searched each model's settings at random,
// then ran the best settings with 5 seeds; their Fig. 17 shows the top 5 settings): the spec's "search"
// block draws `samples` settings points, each a value per searched setting from its distribution:
//
//   "search": { "samples": 20, "seed": 0, "params": {
//     "lr":          { "logUniform": [1e-4, 3e-3] },     low * (high / low)^u, u uniform in [0, 1)
//     "entropyCoef": { "uniform": [0, 0.01] },           low + (high - low) u
//     "rolloutSteps": { "intUniform": [10, 40] },        an integer from low to high, both included
//     "divergence":  { "choice": ["kl", "js"] } } }      one of the values, each as likely
//
// Sampling is deterministic from the seed alone, and stable: each setting draws from its own stream of the
// seed (keyed by its name), sample k taking the k-th draw, so adding a setting leaves the others' values as
// they were and raising `samples` keeps the first samples. Real values are rounded to 4 significant digits
// (readable in ids, reports and configs; finer than any search needs). A sample that sets a value for a
// setting a model ignores leaves it out for that model, and a model that would then run the same settings
// twice runs them once (the first sample keeps them).
//
// "only": [group ids] keeps only those groups of the plan: what `commons sweep report --follow-up` writes to
// re-run the best settings of a search with more seeds.

import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { FIELDS, checkField, type FieldSpec, type TrainConfig } from '../learn/config.ts';

export type Distribution =
  | { uniform: [number, number] }
  | { logUniform: [number, number] }
  | { intUniform: [number, number] }
  | { choice: unknown[] };

export interface SearchSpec {
  /** How many settings points to draw. */
  samples: number;
  /** Seed of the draws (an integer >= 0). */
  seed: number;
  /** Setting -> its distribution, in the order given. */
  params: Record<string, Distribution>;
}

export const MAX_SAMPLES = 10_000;
const KINDS = ['uniform', 'logUniform', 'intUniform', 'choice'] as const;
const FORMS = '{ "uniform": [low, high] }, { "logUniform": [low, high] }, { "intUniform": [low, high] } or { "choice": [values] }';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (field: string, msg: string): never => { throw new InputError(`${field}: ${msg}`); };
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Checks that `v` is an allowed value of setting `key`, naming `field` in the error. */
function checkValue(field: string, key: string, v: unknown, what: string): void {
  try {
    checkField(key as keyof TrainConfig, v, field);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    fail(field, `${what ? `${what} ` : ''}${e.message.slice(field.length + 2)}`);
  }
}

/**
 * Checks a spec's "search" block. `checkName(field, key)` refuses a key that is not a setting; `grid` names the
 * settings the grid already varies (a setting is searched in one of them).
 */
export function parseSearch(raw: unknown, checkName: (field: string, key: string) => void, grid: Record<string, unknown>): SearchSpec {
  if (!isObject(raw)) fail('spec.search', `expected an object { "samples": N, "seed": S, "params": { setting: distribution } }, got ${show(raw)}`);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!['samples', 'seed', 'params'].includes(key)) fail(`spec.search.${key}`, 'unknown key; keys: samples, seed, params');
  if (r.samples === undefined) fail('spec.search.samples', `missing; expected an integer from 1 to ${MAX_SAMPLES}`);
  if (typeof r.samples !== 'number' || !Number.isInteger(r.samples) || r.samples < 1 || r.samples > MAX_SAMPLES) {
    fail('spec.search.samples', `expected an integer from 1 to ${MAX_SAMPLES}, got ${show(r.samples)}`);
  }
  const seed = r.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) fail('spec.search.seed', `expected an integer >= 0, got ${show(seed)}`);
  if (!isObject(r.params) || Object.keys(r.params).length === 0) {
    fail('spec.search.params', `expected a non-empty object of setting -> distribution (${FORMS}), got ${show(r.params)}`);
  }
  const params: Record<string, Distribution> = {};
  for (const [key, d] of Object.entries(r.params as Record<string, unknown>)) {
    const field = `spec.search.params.${key}`;
    if (key === 'game' || key === 'model' || key === 'seed') fail(field, `set ${key}s with spec.${key}s, not in the search`);
    checkName(field, key);
    if (key in grid) fail(field, 'also in spec.grid; search a setting in one of them');
    if (!isObject(d) || Object.keys(d).length !== 1 || !KINDS.includes(Object.keys(d)[0] as never)) fail(field, `expected ${FORMS}, got ${show(d)}`);
    const kind = Object.keys(d as object)[0] as (typeof KINDS)[number];
    const v = (d as Record<string, unknown>)[kind];
    const f = FIELDS[key as keyof TrainConfig] as FieldSpec<unknown>;
    const at = `${field}.${kind}`;
    if (kind === 'choice') {
      if (!Array.isArray(v) || v.length === 0) fail(at, `expected a non-empty list of values, got ${show(v)}`);
      const vals = v as unknown[];
      if (new Set(vals.map((x) => JSON.stringify(x))).size !== vals.length) fail(at, 'a value is listed twice');
      vals.forEach((x, i) => checkValue(`${at}[${i}]`, key, x, ''));
      params[key] = { choice: vals };
      continue;
    }
    if (f.kind !== 'int' && f.kind !== 'num') fail(field, `${key} is not a number; search it with { "choice": [values] }`);
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(at, `expected [low, high], two numbers, got ${show(v)}`);
    const [lo, hi] = v as [number, number];
    if (kind === 'intUniform') {
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) fail(at, `expected [low, high], integers with low <= high, got ${show(v)}`);
    } else {
      if (f.kind === 'int') fail(field, `${key} takes integers; search it with { "intUniform": [low, high] } or { "choice": [values] }`);
      if (!(lo < hi)) fail(at, `expected [low, high] with low < high, got ${show(v)}`);
      if (kind === 'logUniform' && !(lo > 0)) fail(at, `expected [low, high] with 0 < low (a log scale), got ${show(v)}`);
    }
    checkValue(at, key, lo, 'low:');
    checkValue(at, key, hi, 'high:');
    params[key] = { [kind]: [lo, hi] } as Distribution;
  }
  return { samples: r.samples as number, seed: seed as number, params };
}

/** A setting's stream of the search seed: FNV-1a of its name, so that settings draw independently. */
function streamOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** x to 4 significant digits (as a number). */
export const round4 = (x: number) => (x === 0 ? 0 : Number(x.toPrecision(4)));

/** The search's settings points, sample 0 first. */
export function samplePoints(search: SearchSpec): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = Array.from({ length: search.samples }, () => ({}));
  for (const [key, d] of Object.entries(search.params)) {
    const rng = new Rng(search.seed, streamOf(key));
    for (let k = 0; k < search.samples; k++) {
      const u = rng.next();
      let v: unknown;
      if ('choice' in d) v = d.choice[Math.floor(u * d.choice.length)];
      else if ('intUniform' in d) v = d.intUniform[0] + Math.floor(u * (d.intUniform[1] - d.intUniform[0] + 1));
      else if ('logUniform' in d) v = round4(d.logUniform[0] * Math.pow(d.logUniform[1] / d.logUniform[0], u));
      else v = round4(d.uniform[0] + (d.uniform[1] - d.uniform[0]) * u);
      // rounding never leaves the range's ends: clamp to them
      if ('logUniform' in d || 'uniform' in d) {
        const [lo, hi] = 'logUniform' in d ? d.logUniform : d.uniform;
        v = Math.min(hi, Math.max(lo, v as number));
      }
      out[k][key] = v;
    }
  }
  return out;
}

/** The sample's part of a run id: 'sample' and its index, zero-padded to the width of the last index. */
export const sampleLabel = (k: number, samples: number) => `sample${String(k).padStart(String(samples - 1).length, '0')}`;

/** Whether setting `key` has an effect for a run of configuration `c`. */
export function applies(key: string, c: TrainConfig): boolean {
  const f = FIELDS[key as keyof TrainConfig] as FieldSpec<unknown> | undefined;
  return !f?.appliesWhen || f.appliesWhen.test(c);
}

/** Checks a spec's "only" list: group ids (strings, none twice). */
export function parseOnly(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) fail('spec.only', `expected a non-empty list of group ids (as sweep report names them), got ${show(raw)}`);
  (raw as unknown[]).forEach((g, i) => {
    if (typeof g !== 'string' || g === '') fail(`spec.only[${i}]`, `expected a group id, got ${show(g)}`);
    if ((raw as unknown[]).indexOf(g) !== i) fail('spec.only', `${show(g)} is listed twice`);
  });
  return raw as string[];
}

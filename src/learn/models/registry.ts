// The models, one line each. Everything that depends on the model asks this list: the settings table
// (which settings apply to which model), the policy (the model's hooks), the reward pipeline, the metrics,
// the command line and the web app. Adding a model is its module (see ./model.ts) and one line here.

import type { ModelDef } from './model.ts';
import type { FieldSpec } from '../settings.ts';
import { a2c } from './baseline.ts';
import { inequityAversion } from './inequity-aversion.ts';
import { prosocial } from './prosocial.ts';
import { visibleActions, influence } from './visible-actions.ts';
import { comm, influenceComm } from './comm.ts';
import { moa, influenceMoa } from './moa.ts';

export const MODEL_LIST = [
  a2c,
  inequityAversion,
  prosocial,
  visibleActions,
  influence,
  comm,
  influenceComm,
  moa,
  influenceMoa,
] as const;

export type ModelName = (typeof MODEL_LIST)[number]['name'];
export const MODELS: readonly ModelName[] = MODEL_LIST.map((m) => m.name);

type SettingsOf<D> = D extends ModelDef<string, infer S> ? S : never;
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every model's own settings, together. */
export type ModelSettings = Intersection<SettingsOf<(typeof MODEL_LIST)[number]>>;

const BY_NAME = new Map<string, ModelDef<string, any>>(MODEL_LIST.map((m) => [m.name, m as ModelDef<string, any>]));

/** The model called `name` (an unknown name is a programming error here: settings are checked before). */
export function modelOf(name: string): ModelDef<string, any> {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`model: unknown model '${name}'; models: ${MODELS.join(', ')}`);
  return m;
}

/** The models for which `test` holds, in the list's order. */
export const modelsWhere = (test: (m: ModelDef<string, any>) => boolean): ModelName[] =>
  MODEL_LIST.filter((m) => test(m as ModelDef<string, any>)).map((m) => m.name);

/** The models' own settings, each once (models sharing one declare the same entry), and who declares it. */
export const MODEL_FIELDS: Record<string, FieldSpec<unknown, any>> = {};
export const DECLARED_BY: Record<string, ModelName[]> = {};
for (const m of MODEL_LIST) {
  for (const [key, f] of Object.entries((m as ModelDef<string, any>).settings ?? {})) {
    if (MODEL_FIELDS[key] && MODEL_FIELDS[key] !== f) throw new Error(`model ${m.name}: setting '${key}' is declared differently by ${DECLARED_BY[key].join(', ')}`);
    MODEL_FIELDS[key] = f as FieldSpec<unknown, any>;
    (DECLARED_BY[key] ??= []).push(m.name);
  }
}

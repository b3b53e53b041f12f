// A small JSON Schema (draft 2020-12) validator for the schemas in schemas/: the keywords they use (type,
// enum, const, properties, required, additionalProperties, items, minItems, maxItems, minimum, maximum,
// exclusiveMinimum, pattern, anyOf, $ref to "#/$defs/..." or to another schema file by name). Unknown
// keywords are refused, so a schema cannot silently ask for more than this checks.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Schema = Record<string, unknown>;
const KNOWN = new Set(['$schema', '$id', 'title', 'description', '$defs', 'type', 'enum', 'const', 'properties', 'required',
  'additionalProperties', 'items', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'pattern', 'anyOf', '$ref']);

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isType = (v: unknown, t: string) => (t === 'integer' ? Number.isInteger(v) : t === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeOf(v) === t);

/** Errors of `value` against schema file `name` in `dir` (empty when valid). */
export function validate(dir: string, name: string, value: unknown): string[] {
  const files = new Map<string, Schema>();
  const load = (file: string) => {
    if (!files.has(file)) files.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')));
    return files.get(file)!;
  };
  const errors: string[] = [];
  const check = (s: Schema, v: unknown, at: string, root: Schema): void => {
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema keyword '${k}' at ${at} is not supported by this validator`);
    if (s.$ref) {
      const ref = s.$ref as string;
      if (ref.startsWith('#/$defs/')) return check((root.$defs as Record<string, Schema>)[ref.slice(8)], v, at, root);
      const other = load(ref);
      return check(other, v, at, other);
    }
    if (s.anyOf) {
      const ok = (s.anyOf as Schema[]).some((alt) => {
        const before = errors.length;
        check(alt, v, at, root);
        const fine = errors.length === before;
        errors.length = before;
        return fine;
      });
      if (!ok) errors.push(`${at}: matches none of anyOf`);
      return;
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
      if (!types.some((t) => isType(v, t))) { errors.push(`${at}: expected ${types.join(' or ')}, got ${JSON.stringify(v)?.slice(0, 60)}`); return; }
    }
    if (s.enum && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(v))) errors.push(`${at}: ${JSON.stringify(v)} not in ${JSON.stringify(s.enum)}`);
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) errors.push(`${at}: expected ${JSON.stringify(s.const)}`);
    if (typeof v === 'number') {
      if (s.minimum !== undefined && v < (s.minimum as number)) errors.push(`${at}: ${v} < ${s.minimum}`);
      if (s.exclusiveMinimum !== undefined && v <= (s.exclusiveMinimum as number)) errors.push(`${at}: ${v} <= ${s.exclusiveMinimum}`);
      if (s.maximum !== undefined && v > (s.maximum as number)) errors.push(`${at}: ${v} > ${s.maximum}`);
    }
    if (typeof v === 'string' && s.pattern && !new RegExp(s.pattern as string).test(v)) errors.push(`${at}: '${v}' does not match ${s.pattern}`);
    if (Array.isArray(v)) {
      if (s.minItems !== undefined && v.length < (s.minItems as number)) errors.push(`${at}: fewer than ${s.minItems} items`);
      if (s.maxItems !== undefined && v.length > (s.maxItems as number)) errors.push(`${at}: more than ${s.maxItems} items`);
      if (s.items) v.forEach((x, i) => check(s.items as Schema, x, `${at}[${i}]`, root));
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) errors.push(`${at}: missing '${r}'`);
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) check(props[k], x, `${at}.${k}`, root);
        else if (s.additionalProperties === false) errors.push(`${at}: unexpected property '${k}'`);
        else if (typeof s.additionalProperties === 'object') check(s.additionalProperties as Schema, x, `${at}.${k}`, root);
      }
    }
  };
  const root = load(name);
  check(root, value, '$', root);
  return errors;
}

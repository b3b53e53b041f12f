// The JSON Schema of a run's config.json, made from the settings table (FIELDS), so that it cannot drift
// from what resolveTrainConfig accepts. schemas/config.schema.json is this, written by
// `npm run generate`; a test checks the file is current.

import { FIELDS, CONFIG_KEYS, type FieldSpec } from './config.ts';
import { GAMES } from '../env/games.ts';

function fieldSchema(f: FieldSpec<unknown>): Record<string, unknown> {
  const description = f.help + (f.defaultText ? ` (default ${f.defaultText})` : typeof f.default !== 'function' && f.default !== undefined ? ` (default ${JSON.stringify(f.default)})` : '');
  switch (f.kind) {
    case 'choice': return { enum: [...f.values!], description };
    case 'bool': return { type: 'boolean', description };
    case 'string': return { type: 'string', description };
    case 'strings': return { type: 'array', items: { type: 'string' }, description };
    case 'schedule': return {
      type: 'array', minItems: 1, description,
      items: { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 2, maxItems: 2 },
    };
    case 'map': return { type: 'array', items: { type: 'string' }, minItems: 1, description };
    default: return {
      type: f.kind === 'int' ? 'integer' : 'number',
      ...(f.above ? { exclusiveMinimum: f.min } : { minimum: f.min }),
      ...(f.max !== undefined ? { maximum: f.max } : {}),
      description,
    };
  }
}

/** The schema of config.json: every setting (all written, map only when given), the game's version and the code's. */
export function configSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/commons/schemas/config.schema.json',
    title: 'config.json of a run',
    description: 'Every setting of the run, defaults included (generated from the settings table in src/learn/config.ts), the game\'s rules version and the code\'s version. A valid --config file for commons train.',
    type: 'object',
    required: [...CONFIG_KEYS.filter((k) => k !== 'map'), 'version', 'code'],
    additionalProperties: false,
    properties: {
      ...Object.fromEntries(CONFIG_KEYS.map((k) => [k, fieldSchema(FIELDS[k] as FieldSpec<unknown>)])),
      version: { type: 'string', pattern: `^(${GAMES.join('|')})_v[0-9]+$`, description: 'the game\'s rules version' },
      code: {
        type: 'object', required: ['package', 'commit', 'dirty'], additionalProperties: false,
        description: 'the code that ran: package version, git commit (null outside a checkout), uncommitted changes',
        properties: {
          package: { type: 'string' },
          commit: { type: ['string', 'null'], pattern: '^[0-9a-f]{40}$' },
          dirty: { type: ['boolean', 'null'] },
        },
      },
    },
  };
}

// npm run generate: what is made from the settings table in src/learn/config.ts, written into the repository:
// schemas/config.schema.json and the flag table of docs/training.md. test/schemas.test.ts and
// test/docs.test.ts fail when either is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../src/learn/config-schema.ts';
import { flagTable, FLAG_TABLE_START, FLAG_TABLE_END } from '../src/cli/flag-table.ts';

const at = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
writeFileSync(at('schemas/config.schema.json'), JSON.stringify(configSchema(), null, 2) + '\n');
const doc = readFileSync(at('docs/training.md'), 'utf8');
const from = doc.indexOf(FLAG_TABLE_START), to = doc.indexOf(FLAG_TABLE_END);
if (from < 0 || to < 0) throw new Error('docs/training.md: the generated table\'s markers are missing');
writeFileSync(at('docs/training.md'), doc.slice(0, from) + flagTable() + doc.slice(to + FLAG_TABLE_END.length));
console.log('wrote schemas/config.schema.json and the flag table of docs/training.md');

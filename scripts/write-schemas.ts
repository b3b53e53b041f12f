// npm run schemas: writes schemas/config.schema.json from the settings table (the other schemas are
// written by hand; test/schemas.test.ts validates real output against all of them).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../src/learn/config-schema.ts';

const path = fileURLToPath(new URL('../schemas/config.schema.json', import.meta.url));
writeFileSync(path, JSON.stringify(configSchema(), null, 2) + '\n');
console.log(`wrote ${path}`);

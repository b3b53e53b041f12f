// The docs match the code: docs/training.md holds the flag table the settings table makes, README's command
// table names every command, and docs/plot.md every flag of plot and compare.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagTable } from '../src/cli/flag-table.ts';
import { TRAIN } from '../src/cli/train.ts';
import { PLOT } from '../src/cli/plot.ts';
import { COMPARE } from '../src/cli/compare.ts';
import { EVAL } from '../src/cli/eval.ts';
import { PRESETS } from '../src/learn/presets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

test('docs/training.md holds the current flag table (npm run generate) and every flag of train', () => {
  const doc = read('docs/training.md');
  assert.ok(doc.includes(flagTable()), 'the generated table is current: run npm run generate');
  for (const flag of Object.keys(TRAIN.flags)) assert.ok(doc.includes(`\`--${flag}`), `docs/training.md documents --${flag}`);
  for (const flag of Object.keys(EVAL.flags)) assert.ok(doc.includes(`--${flag}`), `docs/training.md documents eval --${flag}`);
});

test("README's command table names every command of commons --help", () => {
  const help = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--help'], { encoding: 'utf8' }).stdout;
  const commands = [...help.split('Commands:\n')[1].split('\n\n')[0].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
  assert.ok(commands.length >= 9);
  const readme = read('README.md');
  for (const c of commands) assert.ok(readme.includes(`| \`commons ${c}`), `README's table has commons ${c}`);
});

test('docs/plot.md documents every flag of plot and compare', () => {
  const doc = read('docs/plot.md');
  for (const flag of [...Object.keys(PLOT.flags), ...Object.keys(COMPARE.flags)]) assert.ok(doc.includes(`--${flag}`), `--${flag}`);
});

test('the docs name files that exist, presets that exist, and undefined metrics as null (as the outputs write them)', () => {
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const f of docs) {
    for (const m of read(f).matchAll(/`((?:src|scripts|assembly|test|schemas)\/[\w./-]+\.(?:ts|mjs|json|sh))`/g)) {
      if (/\/[A-Z][A-Z_-]*\./.test(m[1])) continue; // a pattern (assembly/games/NAME.ts), not a file
      assert.ok(existsSync(join(ROOT, m[1])), `${f} names ${m[1]}, which does not exist`);
    }
  }
  const sweeps = read('docs/sweeps.md');
  assert.doesNotMatch(sweeps, /none exist yet|reserved for named settings/);
  for (const name of Object.keys(PRESETS)) assert.match(sweeps, new RegExp(`\`preset\` \\|[^\\n]*\`${name}\``), `docs/sweeps.md names preset ${name}`);
  const metrics = read('docs/metrics.md');
  for (const metric of ['equality', 'sustainability']) {
    const row = metrics.split('\n').find((l) => l.startsWith(`| ${metric} |`))!;
    assert.match(row, /undefined \(null\)/, `${metric}: undefined is null, as README and docs/RULES.md say`);
  }
});

test("README says how long npm test takes, and how the browser library finds tfjs's wasm binaries", () => {
  const readme = read('README.md');
  assert.match(readme.split('\n').find((l) => l.startsWith('npm ci && npm test'))!, /about \d+ minutes/);
  assert.match(readme, /### In a web page[\s\S]*cp node_modules\/commons\/dist\/lib\/\*\.wasm/);
  assert.match(readme, /wasmPaths/);
});

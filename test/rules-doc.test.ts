// docs/RULES.md is the rules' reference inside the repository: every citation of it points there, every
// section a citation names exists, and every test file it names exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs|md|json|html)$/.test(n) ? [p] : [];
  });
}

test('every citation of RULES.md points at docs/RULES.md and names a section it has', () => {
  const rules = readFileSync(join(ROOT, 'docs', 'RULES.md'), 'utf8');
  const headings = [...rules.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  const sources = ['src', 'assembly', 'test', 'scripts', 'docs', 'schemas'].flatMap((d) => files(join(ROOT, d))).concat(join(ROOT, 'README.md'));
  const wrong: string[] = [];
  const sections = new Set<string>();
  for (const f of sources) {
    const rel = relative(ROOT, f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(\S*)RULES\.md(\)?)(\s*(?:'s)?\s*"([^"]+)")?/g)) {
      const ok = m[1].endsWith('docs/') || m[1].endsWith('docs/`') || (rel.startsWith('docs/') && m[2] === ')') || m[1].endsWith('[') || m[1].endsWith('`docs/');
      if (!ok && !(rel === 'test/rules-doc.test.ts')) wrong.push(`${rel}: ${m[0]}`);
      // a section name broken over two comment lines reads as one
      if (m[4]) sections.add(m[4].replace(/\s*\n\s*(\/\/|\*)?\s*/g, ' '));
    }
  }
  assert.deepEqual(wrong, [], 'citations that do not point at docs/RULES.md');
  for (const s of sections) assert.ok(headings.some((h) => h.startsWith(s) || s.startsWith(h)) || rules.includes(s), `docs/RULES.md has a section "${s}"`);
  for (const t of rules.matchAll(/`(test\/[\w.-]+\.ts)`/g)) assert.ok(existsSync(join(ROOT, t[1])), `${t[1]} exists`);
});

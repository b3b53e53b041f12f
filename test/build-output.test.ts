// What `npm run build` says: the AssemblyScript compiler's converge note ("Last converge was suboptimal.",
// binaryen's report that its last optimisation round did not shrink the core, after which asc keeps the
// better module) no longer opens the build's output as if it were an error; asc's other messages still show.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs build script without declarations
import { ascMessages, runAsc } from '../scripts/asc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('the core compiles with the converge note in asc\'s raw output, and the build shows none of it', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'commons-asc-'));
  try {
    const { raw, messages } = runAsc(['assembly/index.ts', '--target', 'release', '-o', join(dir, 'core.wasm')], ROOT) as { raw: string; messages: string };
    assert.match(raw, /Last converge was suboptimal\./, 'asc prints the note for this core (else this test checks nothing)');
    assert.equal(messages, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(ascMessages('Last converge was suboptimal.\nERROR TS2304: Cannot find name x\n'), 'ERROR TS2304: Cannot find name x', 'errors still show');
  const build = readFileSync(join(ROOT, 'scripts', 'build-core.mjs'), 'utf8');
  assert.doesNotMatch(build, /stdio: 'inherit'/, 'every asc run goes through runAsc');
});

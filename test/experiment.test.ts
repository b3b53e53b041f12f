// npm run experiment writes into the results directory it is given (never the tracked docs/RESULTS.md) and
// says which machine measured what it reports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const hash = (f: string) => createHash('sha256').update(readFileSync(join(ROOT, f))).digest('hex');

test('the experiment writes its runs, table and curves under --out, names the machine, and leaves docs/ alone', () => {
  const before = ['docs/RESULTS.md', 'docs/results/cleanup-collective_return.png'].map(hash);
  const out = join(mkdtempSync(join(tmpdir(), 'commons-experiment-')), 'results');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'experiment.mjs'), '--out', out, '--game', 'harvest', '--models', 'a2c',
    '--seeds', '2', '--steps', '40', '--agents', '2', '--envs', '2', '--parallel', '1',
    '--', '--episode-length', '20', '--view-radius', '2', '--rollout', '10', '--report-every', '20'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
  assert.ok(md.includes(`Machine: ${cpus()[0].model.trim()}, ${availableParallelism()} cores`), md);
  assert.match(md, /Node v\d+/);
  assert.match(md, /\| a2c \| -?\d+\.\d+ ± [\d.na/]+ \(2\) \|/, 'a row with the mean, the interval and 2 seeds');
  assert.ok(existsSync(join(out, 'curves.png')) && existsSync(join(out, 'runs', 'harvest-a2c-s1', 'summary.json')));
  assert.deepEqual(['docs/RESULTS.md', 'docs/results/cleanup-collective_return.png'].map(hash), before, 'docs/ untouched');
  const noOut = spawnSync(process.execPath, [join(ROOT, 'scripts', 'experiment.mjs')], { encoding: 'utf8' });
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--out is required/);
});

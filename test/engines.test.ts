// package.json's engines field is true: every Node version it admits is admitted by every package the
// install brings (npm ci prints EBADENGINE otherwise), and the Node running the tests is one of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
type V = [number, number, number];

const parse = (s: string): V => {
  const [a, b, c] = s.replace(/^v/, '').split('.').map((x) => (x === undefined || x === '*' || x === 'x' ? NaN : Number(x)));
  return [a, b, c] as V;
};
const cmp = (a: V, b: V) => (a[0] - b[0]) || (a[1] - b[1]) || (a[2] - b[2]);

/** npm's engines ranges as they occur: '||' of space-separated comparators (>=, >, <=, <, ^, ~, =, x-ranges). */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) => alt.trim().replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1').split(/\s+/).every((c) => {
    const m = /^(>=|<=|>|<|\^|~|=)?v?([\d*x]+(?:\.[\d*x]+)?(?:\.[\d*x]+)?)$/.exec(c);
    if (!m) throw new Error(`range '${range}': cannot read '${c}'`);
    const op = m[1] ?? '', parts = m[2].split('.');
    const wild = parts.findIndex((x) => x === '*' || x === 'x');
    const n = wild < 0 ? parts.length : wild;
    const b = [0, 1, 2].map((i) => (i < n ? Number(parts[i]) : 0)) as V;
    if (op === '' || op === '=') return [0, 1, 2].slice(0, n).every((i) => v[i] === b[i]);
    if (op === '>=') return cmp(v, b) >= 0;
    if (op === '>') return cmp(v, b) > 0;
    if (op === '<=') return cmp(v, b) <= 0;
    if (op === '<') return cmp(v, b) < 0;
    if (op === '^') return v[0] === b[0] && cmp(v, b) >= 0;
    return v[0] === b[0] && v[1] === b[1] && cmp(v, b) >= 0; // ~
  }));
}

test('the declared Node engine is admitted by every installed package, and the running Node is in it', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
  const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8'));
  const ours = pkg.engines.node as string;
  assert.ok(satisfies(process.version, ours), `Node ${process.version} is in ${ours}`);
  // Probe the range at its lower bounds and beyond: every version we admit must be admitted by all.
  const probes = ['18.20.0', '20.0.0', '20.18.9', '20.19.0', '20.20.2', '21.7.0', '22.0.0', '22.11.0', '22.12.0', '23.0.0', '24.5.0', '26.0.0'].filter((v) => satisfies(v, ours));
  assert.ok(probes.length >= 4);
  const refusals: string[] = [];
  for (const [path, p] of Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)) {
    const range = p.engines?.node;
    if (!path || !range) continue;
    for (const v of probes) if (!satisfies(v, range)) refusals.push(`${path} (${range}) refuses Node ${v}`);
  }
  assert.deepEqual(refusals, []);
  // and the checker itself tells the two apart
  assert.equal(satisfies('20.18.0', '^20.19.0 || ^22.12.0 || >=23'), false);
  assert.equal(satisfies('20.20.2', '>=22'), false);
  assert.equal(satisfies('8.3.0', '6.* || 8.* || >= 10.*'), true);
});

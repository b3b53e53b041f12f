// The layers' arrows point one way: core (WASM) <- environment host <- learning <- run hosting, workers,
// sweeps <- command line, web app. A module may import from its own layer and the layers below it only;
// learning stays platform-neutral (no Node built-ins), so browsers and workers run the same learner.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** Layer of each top-level folder of src/ (files directly in src/ are entry points: layer 5). */
const LAYER: Record<string, number> = { types: 0, util: 0, core: 0, env: 1, learn: 2, parallel: 3, hosting: 4, sweep: 4, plot: 4, cli: 5, web: 5 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const layerOf = (path: string) => {
  const top = relative(SRC, path).split('/')[0];
  return top.endsWith('.ts') ? 5 : LAYER[top];
};

test('every src/ folder has a layer', () => {
  for (const f of readdirSync(SRC)) if (statSync(join(SRC, f)).isDirectory()) assert.ok(f in LAYER, `src/${f} has no layer in this test`);
});

test('imports point down the layers only, and the learning wing uses no Node built-ins', () => {
  const bad: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file), text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      const neutral = from <= 2 && !relative(SRC, file).startsWith('util/');
      if (spec.startsWith('node:') && neutral) bad.push(`${relative(SRC, file)} imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC)) continue;
      if (neutral && /from ['"]node:/.test(readFileSync(target, 'utf8'))) bad.push(`${relative(SRC, file)} imports ${relative(SRC, target)}, which needs Node`);
      const to = layerOf(target);
      if (to > from) bad.push(`${relative(SRC, file)} (layer ${from}) imports ${relative(SRC, target)} (layer ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

/** The relative imports of every .ts file under `dir` (type-only imports included: a circle of types is a
 * circle of dependencies too), as file -> files. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(dir)) {
    const text = readFileSync(file, 'utf8'), to: string[] = [];
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (target.startsWith(dir)) to.push(target);
    }
    graph.set(file, to);
  }
  return graph;
}

/** The import circles of a graph: its strongly connected components of more than one file, or a file
 * importing itself (Tarjan's algorithm). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || graph.get(v)?.includes(v)) out.push(scc);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the circle finder finds a planted circle (a -> b -> c -> a) and nothing in a chain', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(circles(g).map((c) => c.sort()), [['a', 'b', 'c']]);
  assert.deepEqual(circles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
});

test('no import circles between the files of the learning wing (src/learn), type-only imports included', () => {
  const LEARN = join(SRC, 'learn');
  const found = circles(importGraph(LEARN)).map((c) => c.map((f) => relative(LEARN, f)).sort().join(' <-> '));
  assert.deepEqual(found, []);
});

test('no import circles between any files of src/ (the games table and its palette included)', () => {
  const found = circles(importGraph(SRC)).map((c) => c.map((f) => relative(SRC, f)).sort().join(' <-> '));
  assert.deepEqual(found, []);
});

// The matched-evidence results kept in docs/results/ (pairs.csv) stay what their per-seed values give: each
// row's tests, interval and Holm correction are recomputed here from the values the row holds, with the
// pre-registered analysis of its spec. This is how a result whose runs' records were lost (Harvest's, see
// docs/RESULTS.md) can still be checked, and it catches a change to the statistics that would move a
// reported figure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSpec } from '../src/sweep/spec.ts';
import { mean } from '../src/sweep/stats.ts';
import { bootstrapDiffCI, holm, pairedPermutationTest, permutationTest } from '../src/util/stats.ts';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const KEPT = [
  { dir: 'docs/results/matched-evidence', spec: 'experiments/matched-evidence.json' },
  { dir: 'docs/results/matched-evidence-cleanup', spec: 'experiments/matched-evidence-cleanup.json' },
];

function readCsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const cols = head.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    assert.equal(cells.length, cols.length, `${path}: a line with ${cells.length} cells for ${cols.length} columns (quoted cells are not expected)`);
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}
const nums = (s: string) => (s === '' ? [] : s.split(' ').map(Number));
const close = (got: number | null | undefined, want: string, what: string) => {
  assert.ok(got !== null && got !== undefined, `${what}: recomputed nothing, kept ${want}`);
  assert.ok(Math.abs(got - Number(want)) <= 1e-9 * Math.max(1, Math.abs(Number(want))), `${what}: recomputed ${got}, kept ${want}`);
};

for (const { dir, spec } of KEPT) {
  const file = root(`${dir}/pairs.csv`);
  test(`${dir}/pairs.csv: every test, interval and Holm p follows from its per-seed values`, { skip: !existsSync(file) && 'not analysed yet' }, () => {
    const pairs = parseSpec(JSON.parse(readFileSync(root(spec), 'utf8'))).report?.pairs;
    assert.ok(pairs, `${spec} has no report.pairs`);
    const rows = readCsv(file);
    assert.ok(rows.length >= pairs.pairs.length, 'at least one family of pairs');
    const opts = { exactUpTo: pairs.exactUpTo, samples: pairs.permutations, seed: pairs.seed };
    const families = new Map<string, Record<string, string>[]>();
    for (const r of rows) {
      const what = `${r.game} ${r.variant} ${r.endpoint} ${r.a} - ${r.b}`;
      const a = nums(r.values_a), b = nums(r.values_b), sa = nums(r.seeds_a), sb = nums(r.seeds_b);
      assert.equal(a.length, Number(r.n_a), `${what}: n_a`);
      assert.equal(b.length, Number(r.n_b), `${what}: n_b`);
      const perm = permutationTest(a, b, opts);
      close(perm?.p, r.permutation_p, `${what}: permutation p`);
      assert.equal(String(perm?.exact), r.permutation_exact, `${what}: exact`);
      const common = sa.filter((s) => sb.includes(s));
      const paired = pairedPermutationTest(common.map((s) => a[sa.indexOf(s)]), common.map((s) => b[sb.indexOf(s)]), opts);
      close(paired?.p, r.paired_p, `${what}: sign-flip p`);
      assert.equal(r.test, pairs.test, `${what}: the pre-registered test`);
      close((pairs.test === 'paired-permutation' ? paired : perm)?.p, r.p, `${what}: p`);
      const ci = bootstrapDiffCI(a, b, { resamples: pairs.resamples, seed: pairs.seed });
      close(ci?.low, r.ci_low, `${what}: interval low`);
      close(ci?.high, r.ci_high, `${what}: interval high`);
      close(mean(a) - mean(b), r.diff, `${what}: difference`);
      const key = `${r.game} ${r.variant} ${r.endpoint}`;
      families.set(key, [...(families.get(key) ?? []), r]);
    }
    for (const [key, family] of families) {
      assert.equal(family.length, pairs.pairs.length, `${key}: a family holds every pre-registered pair`);
      const adjusted = holm(family.map((r) => Number(r.p)));
      family.forEach((r, i) => {
        close(adjusted[i], r.p_adjusted, `${key} ${r.a} - ${r.b}: Holm p`);
        assert.equal(r.significant, String(adjusted[i]! <= pairs.alpha), `${key} ${r.a} - ${r.b}: significant`);
      });
    }
  });
}

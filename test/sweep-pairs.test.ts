// The matched-pairs analysis of `commons sweep report` end to end: a tiny sweep with an influence model, its
// twin with beta = 0 (an arm of the spec: the same model, every other setting equal) and A2C, 3 seeds each;
// every number of the analysis recomputed here from the runs' metrics.jsonl with formulas of its own (the
// windows, the area under the curve, R(1-G), the agents' returns, the seed-dropping rule, the difference of
// means, the exact permutation and sign-flip p-values by enumeration, Holm over the two pairs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commons, metricsSansTiming, tmp, writeSpec, TINY } from './sweep-helpers.ts';
import { bootstrapDiffCI } from '../src/util/stats.ts';
import { readSweep } from '../src/sweep/store.ts';

type Row = Record<string, unknown>;
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const close = (got: unknown, want: number | null, what: string) => {
  if (want === null) return assert.equal(got, null, what);
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
};

/** Exact two-sided two-sample permutation p by enumerating every subset of the pooled values (bitmasks). */
function permP(a: number[], b: number[]): number {
  const pooled = [...a, ...b], n = pooled.length, obs = Math.abs(mean(a) - mean(b));
  let count = 0, extreme = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    const A = pooled.filter((_, i) => mask & (1 << i)), B = pooled.filter((_, i) => !(mask & (1 << i)));
    if (A.length !== a.length) continue;
    count++;
    if (Math.abs(mean(A) - mean(B)) >= obs - 1e-9) extreme++;
  }
  return extreme / count;
}

/** Exact two-sided sign-flip p of paired differences. */
function signP(d: number[]): number {
  const obs = Math.abs(d.reduce((x, y) => x + y, 0));
  let extreme = 0;
  for (let mask = 0; mask < 1 << d.length; mask++) {
    const s = d.reduce((acc, x, i) => acc + (mask & (1 << i) ? x : -x), 0);
    if (Math.abs(s) >= obs - 1e-9) extreme++;
  }
  return extreme / (1 << d.length);
}

/** R (1 - G) of one line's returns, from the definition: R - sum_i sum_j |e_i - e_j| / (2 N). */
const r1g = (e: number[]) => e.reduce((a, x) => a + x, 0) - e.reduce((a, x) => a + e.reduce((b, y) => b + Math.abs(x - y), 0), 0) / (2 * e.length);

test('matched pairs from a real sweep: an influence model, its beta-0 twin and A2C, every number recomputed from metrics.jsonl', () => {
  const dir = tmp('commons-pairs-');
  const schedule = [[0, 0], ['50%', 1]];
  const spec = writeSpec(dir, 'pairs', {
    games: ['harvest'],
    models: { 'a2c': {}, 'influence': { influenceSchedule: schedule }, 'influence-beta0': { model: 'influence', influenceBeta: 0, influenceSchedule: schedule } },
    seeds: [0, 1, 2], steps: 400, config: { ...TINY, reportEvery: 40, checkpointEvery: 400 },
    report: { window: 0.25, pairs: [['influence', 'influence-beta0'], ['influence', 'a2c']], windows: [[0.9, 1], [0.5, 0.75]], seed: 3, resamples: 2000 },
    preregistration: ['A test sweep.', 'Endpoint: the last 25%.'],
  });
  const out = join(dir, 'out');
  const r = commons(['sweep', 'run', spec, '--out', out, '--jobs', '2'], { timeout: 300_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);

  // The twin: the same model and every setting equal but beta; the curriculum's "50%" is 200 of 400 env steps.
  const file = readSweep(out);
  assert.equal(file.spec.preregistration, 'A test sweep.\n\nEndpoint: the last 25%.');
  const cfg = (id: string) => file.runs.find((x) => x.id === id)!;
  const twin = cfg('harvest-influence-beta0-s1'), inf = cfg('harvest-influence-s1');
  assert.equal(twin.model, 'influence');
  assert.equal(twin.arm, 'influence-beta0');
  assert.equal(inf.arm, undefined);
  assert.deepEqual(inf.config.influenceSchedule, [[0, 0], [200, 1]]);
  const { influenceBeta: b1, ...restTwin } = twin.config as unknown as Row;
  const { influenceBeta: b2, ...restInf } = inf.config as unknown as Row;
  assert.deepEqual([b1, b2], [0, 1]);
  assert.deepEqual(restTwin, restInf);
  // ...and its influence reward is 0 at every step: the beta in force on every metrics line
  const rows = (id: string) => metricsSansTiming(join(out, 'runs', id)) as Row[];
  for (const s of [0, 1, 2]) {
    const betas = rows(`harvest-influence-beta0-s${s}`).map((m) => (m.influence as { beta: number }).beta);
    assert.equal(betas.length, 10);
    assert.ok(betas.every((b) => b === 0), `twin s${s}: ${betas}`);
    const on = rows(`harvest-influence-s${s}`).map((m) => (m.influence as { beta: number }).beta);
    assert.ok(on.at(-1) === 1 && on[0] > 0 && on[0] < 1, `influence s${s}: ${on}`);
  }

  // the rule's threshold: the highest of the runs' lowest agent returns, so that the runs below it are dropped
  const ids = file.runs.map((x) => x.id);
  const endLines = (id: string) => rows(id).filter((m) => (m.env_steps as number) > 300);
  const agentMin = (id: string) => {
    const ls = endLines(id).filter((m) => Array.isArray(m.returns));
    const N = (ls[0].returns as number[]).length;
    return Math.min(...Array.from({ length: N }, (_, j) => mean(ls.map((m) => (m.returns as number[])[j]))));
  };
  const threshold = Math.max(...ids.map(agentMin));
  const rep = commons(['sweep', 'report', out, `--drop-below=${threshold}`]);
  assert.equal(rep.code, 0, rep.stderr);
  for (const f of ['report.md', 'pairs.csv', 'seeds.csv', 'harvest-endpoint.png', 'harvest-endpoint.svg', 'harvest-pairs.png', 'harvest-pairs.svg', 'harvest-curves-late.png']) {
    assert.ok(existsSync(join(out, 'report', f)), f);
  }
  assert.equal(readFileSync(join(out, 'report', 'harvest-pairs.png')).subarray(1, 4).toString(), 'PNG');
  assert.match(rep.stdout, /## Matched pairs/);
  assert.match(rep.stdout, /\*\*Pre-registration\*\* \(the spec's, written before the runs\):\n\n> A test sweep\.\n>\n> Endpoint: the last 25%\.\n>/);
  assert.match(rep.stdout, /\| influence - influence-beta0 \| \*\*collective return, last 25% of env steps\*\* \(primary\) \| 3, 3 \|/);
  assert.match(rep.stdout, /\| influence-beta0 \(influence\) \| /, 'the twin is shown with its model');
  const json = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
  const pr = json.pairs;
  assert.deepEqual(pr.endpoints.map((e: { key: string }) => e.key), ['endpoint', 'auc', 'window0', 'window1', 'equality_weighted_return']);
  const g = pr.games[0];
  assert.equal(g.rule, true);
  assert.deepEqual(g.arms.map((a: { arm: string }) => a.arm), ['a2c', 'influence', 'influence-beta0']);

  // every run's values, from its lines: endpoint (300, 400], whole run, (360, 400], (200, 300]
  const cr = (ls: Row[]) => ls.map((m) => m.collective_return).filter((v): v is number => typeof v === 'number');
  const want: Record<string, Record<string, number>> = {};
  for (const a of g.arms) {
    for (const run of a.runs) {
      const all = rows(run.id);
      const w = {
        endpoint: mean(cr(endLines(run.id))), auc: mean(cr(all)),
        window0: mean(cr(all.filter((m) => (m.env_steps as number) > 360))),
        window1: mean(cr(all.filter((m) => (m.env_steps as number) > 200 && (m.env_steps as number) <= 300))),
        equality_weighted_return: mean(endLines(run.id).map((m) => r1g(m.returns as number[]))),
      };
      want[run.id] = w;
      close(run.endpoint, w.endpoint, `${run.id} endpoint`);
      close(run.auc, w.auc, `${run.id} auc`);
      close(run.windows[0], w.window0, `${run.id} last 10%`);
      close(run.windows[1], w.window1, `${run.id} 50-75%`);
      close(run.equality_weighted_return, w.equality_weighted_return, `${run.id} R(1-G)`);
      close(run.min_agent_return, agentMin(run.id), `${run.id} lowest agent`);
      assert.equal(run.dropped, agentMin(run.id) < threshold, `${run.id} dropped`);
    }
  }
  // the late learning curves: from 25% of the run (100 env steps) on, each arm's mean over its seeds
  const a2cCurve = g.curves.filter((c: { arm: string }) => c.arm === 'a2c');
  assert.deepEqual(a2cCurve.map((c: { x: number }) => c.x), [120, 160, 200, 240, 280, 320, 360, 400]);
  const at = (id: string, x: number) => rows(id).find((m) => m.env_steps === x)!.collective_return as number;
  close(a2cCurve[2].y, mean([0, 1, 2].map((s) => at(`harvest-a2c-s${s}`, 200))), 'a2c curve at 200');
  // the endpoint agrees with the report's own final value over the same window
  for (const grp of json.games[0].groups) for (const run of grp.runs) close(run.values.collective_return, want[run.id].endpoint, `${run.id} table`);

  // every pair on every endpoint, with every run and under the rule: difference, exact p, sign-flip p, Holm, bootstrap
  const dropped = new Set(ids.filter((id) => agentMin(id) < threshold));
  assert.ok(dropped.size < ids.length, 'the highest run is kept');
  for (const v of g.variants) {
    assert.deepEqual([...v.dropped].sort(), v.name === 'all' ? [] : [...dropped].sort());
    for (const e of v.endpoints) {
      const ps: number[] = [];
      for (const p of e.pairs) {
        const side = (arm: string) => [0, 1, 2].map((s) => `harvest-${arm}-s${s}`).filter((id) => v.name === 'all' || !dropped.has(id));
        const A = side(p.a), B = side(p.b);
        const va = A.map((id) => want[id][e.key]), vb = B.map((id) => want[id][e.key]);
        assert.deepEqual(p.seedsA, A.map((id) => Number(id.at(-1))));
        if (!va.length || !vb.length) { assert.equal(p.p, null); continue; }
        close(p.diff, mean(va) - mean(vb), `${v.name} ${e.key} ${p.a}-${p.b} diff`);
        close(p.p, permP(va, vb), `${v.name} ${e.key} ${p.a}-${p.b} permutation p`);
        assert.equal(p.permutation.exact, true);
        const common = p.seedsA.filter((s: number) => p.seedsB.includes(s));
        assert.equal(p.pairedSeeds, common.length);
        if (common.length) {
          close(p.paired.p, signP(common.map((s: number) => want[`harvest-${p.a}-s${s}`][e.key] - want[`harvest-${p.b}-s${s}`][e.key])), `${e.key} sign-flip p`);
        }
        const ci = bootstrapDiffCI(va, vb, { resamples: 2000, seed: 3 })!;
        close(p.ci.low, ci.low, 'bootstrap low');
        close(p.ci.high, ci.high, 'bootstrap high');
        ps.push(p.p);
      }
      if (ps.length === 2) {
        // Holm over two: the smaller p doubled (at most 1), the larger at least that
        const lo = Math.min(1, 2 * Math.min(...ps)), hi = Math.max(lo, Math.max(...ps));
        const adj = e.pairs.map((p: { pAdjusted: number }) => p.pAdjusted);
        close(Math.min(...adj), lo, 'Holm smaller');
        close(Math.max(...adj), hi, 'Holm larger');
        for (const p of e.pairs) assert.equal(p.significant, p.pAdjusted <= 0.05);
      }
    }
  }
  // per-seed values in seeds.csv; the same report again is the same, to the byte
  const seedsCsv = readFileSync(join(out, 'report', 'seeds.csv'), 'utf8').trim().split('\n');
  assert.equal(seedsCsv.length, 1 + ids.length);
  assert.match(seedsCsv[0], /^game,arm,model,group,run,seed,endpoint,auc,window_0\.9_1,window_0\.5_0\.75,equality_weighted_return,min_agent_return,agent_returns,dropped$/);
  const pairsCsv = readFileSync(join(out, 'report', 'pairs.csv'), 'utf8');
  assert.equal(pairsCsv.trim().split('\n').length, 1 + 2 * 5 * 2, 'variants x endpoints x pairs');
  const again = commons(['sweep', 'report', out, `--drop-below=${threshold}`, '--out', join(dir, 'again')]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(dir, 'again', 'pairs.csv'), 'utf8'), pairsCsv);

  // --pairs replaces the spec's pairs; mistakes are one line, exit 2
  const one = commons(['sweep', 'report', out, '--pairs', 'influence-beta0:a2c', '--out', join(dir, 'one')]);
  assert.equal(one.code, 0, one.stderr);
  const onePairs = JSON.parse(readFileSync(join(dir, 'one', 'report.json'), 'utf8')).pairs;
  assert.deepEqual(onePairs.games[0].variants.map((v: { name: string }) => v.name), ['all'], 'no rule without --drop-below or report.drop');
  assert.deepEqual(onePairs.games[0].variants[0].endpoints[0].pairs.map((p: { a: string; b: string }) => [p.a, p.b]), [['influence-beta0', 'a2c']]);
  for (const [args, msg] of [
    [['--pairs', 'influence'], /^commons sweep( report)?: --pairs: expected A:B pairs/],
    [['--pairs', 'telepathy:a2c'], /^commons sweep( report)?: report\.pairs\[0\]\[0\]: telepathy is neither an arm nor a group of game harvest; arms: a2c, influence, influence-beta0/],
    [['--drop-below', 'many'], /^commons sweep( report)?: --drop-below: expected a number/],
  ] as const) {
    const bad = commons(['sweep', 'report', out, ...args, '--out', join(dir, 'bad')]);
    assert.equal(bad.code, 2, `${args}: ${bad.stdout}`);
    assert.match(bad.stderr, msg);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  }
});

test('report values keep two significant digits where their decimals would round them to 0', async () => {
  const { fmtValue } = await import('../src/sweep/pairs.ts');
  assert.equal(fmtValue(0.0045, 1), '0.0045');
  assert.equal(fmtValue(-0.00031), '-0.00031');
  assert.equal(fmtValue(0.085, 1), '0.1');
  assert.equal(fmtValue(0, 1), '0.0');
  assert.equal(fmtValue(42.56, 1), '42.6');
  assert.equal(fmtValue(null), 'n/a');
});

// The matched-pairs analysis of `commons sweep report` (docs/sweeps.md, "Matched pairs"): pairs of arms
// (an influence model and its twin with beta = 0, say) compared on a pre-registered endpoint, per game.
//
// For each run, from its metrics.jsonl: the endpoint (a metric's mean over the run's last window of env
// steps), the same metric's mean over the whole run (the area under the learning curve divided by its
// length) and over other windows, the equality-weighted return R (1 - G) over the endpoint window, and
// each agent's mean return there (for the paper's Harvest seed-dropping rule). For each pair and each of
// these: the per-seed values of both arms, the difference of means, a two-sided permutation test (exact
// when the relabelings are few enough, else Monte Carlo from a seed), the sign-flip test over the seeds
// both arms share, a bootstrap percentile interval of the difference, and Holm's correction over the
// family of pairs. The whole analysis is made twice where the seed-dropping rule applies: with every run,
// and without the runs it drops. Everything drawn at random comes from the spec's seed: the same sweep
// gives the same report everywhere.

import { loadRun, metricValue, renderVegaLite, type Run } from '../plot/curves.ts';
import { InputError } from '../util/errors.ts';
import {
  bootstrapDiffCI, bootstrapMeanCI, holm, pairedPermutationTest, permutationTest,
  type BootstrapInterval, type PermutationResult,
} from '../util/stats.ts';
import { mean } from './stats.ts';
import { runDirOf } from './store.ts';
import type { PairsSpec } from './spec.ts';

/** What the analysis needs of a report's group (a row of runs that differ only by seed). */
export interface PairGroup {
  group: string;
  game: string;
  model: string;
  arm: string;
  steps: number;
  runs: { id: string; seed: number }[];
}

/** The group a name means in one game: a group id, or an arm (a model, or a named variant of one) with one
 * group there; `flag` names the option for errors. */
export function groupNamed<G extends PairGroup>(name: string, game: string, groups: G[], flag = '--baseline'): G | null {
  const exact = groups.find((g) => g.group === name);
  if (exact) return exact;
  const byArm = groups.filter((g) => g.arm === name);
  if (byArm.length === 0) return null;
  if (byArm.length > 1) {
    throw new InputError(`${flag}: ${name} has ${byArm.length} grid points in ${game}; name one: ${byArm.map((g) => g.group).join(', ')}`);
  }
  return byArm[0];
}

/** One run's values, each null when no metrics line in its window has one. */
export interface RunValues {
  id: string;
  seed: number;
  /** the endpoint metric over the endpoint window */
  endpoint: number | null;
  /** the endpoint metric's mean over every line of the run */
  auc: number | null;
  /** the endpoint metric over each secondary window (spec.windows) */
  windows: (number | null)[];
  /** R (1 - G) over the endpoint window */
  equality_weighted_return: number | null;
  /** each agent's mean return per episode over the endpoint window */
  agent_returns: number[] | null;
  /** the lowest of them */
  min_agent_return: number | null;
  /** dropped by the seed-dropping rule (false where the rule does not apply to the game) */
  dropped: boolean;
}

/** A quantity compared across the pairs: the primary endpoint and the secondary ones. */
export interface Endpoint {
  key: string;
  label: string;
  primary: boolean;
}

export interface PairResult {
  /** the arms (or group ids) as named in the spec; the difference is a - b */
  a: string;
  b: string;
  groupA: string | null;
  groupB: string | null;
  seedsA: number[];
  valuesA: number[];
  seedsB: number[];
  valuesB: number[];
  meanA: number | null;
  meanB: number | null;
  diff: number | null;
  /** two-sample permutation test of the difference of means */
  permutation: PermutationResult | null;
  /** sign-flip test over the seeds both arms have (`pairedSeeds` of them) */
  paired: PermutationResult | null;
  pairedSeeds: number;
  /** the pre-registered test's p (spec.test), before and after the correction */
  p: number | null;
  pAdjusted: number | null;
  /** pAdjusted <= alpha (null without a test) */
  significant: boolean | null;
  ci: BootstrapInterval | null;
}

export interface EndpointResult extends Endpoint {
  pairs: PairResult[];
}

export interface PairsVariant {
  /** 'all': every finished run; 'rule': without the runs the seed-dropping rule drops */
  name: 'all' | 'rule';
  /** ids of the runs left out */
  dropped: string[];
  endpoints: EndpointResult[];
}

export interface PairsGame {
  game: string;
  /** every group of the game with its runs' values: the pairs' arms and the references beside them */
  arms: { arm: string; model: string; group: string; runs: RunValues[] }[];
  /** the seed-dropping rule applies to this game */
  rule: boolean;
  variants: PairsVariant[];
  /** each arm's learning curve of the endpoint metric from CURVES_FROM of the run on: the mean over its runs at
   * each reporting step where all of them have a value */
  curves: { arm: string; x: number; y: number }[];
  /** the budget (env steps) of the game's runs, the largest if they differ */
  steps: number;
}

/** The late learning curves start here (a fraction of the run): the first steps, where untrained agents fine each
 * other, would set the y axis's scale and hide the differences. */
export const CURVES_FROM = 0.25;

export interface PairsReport {
  spec: PairsSpec;
  endpoints: Endpoint[];
  games: PairsGame[];
}

const pct = (f: number) => `${+(f * 100).toFixed(2)}%`;
const metricLabel = (m: string) => (m === 'equality_weighted_return' ? 'R(1-G)' : m.replace(/_/g, ' '));

/** The endpoints compared: the primary one, the area under the curve, the secondary windows, R (1 - G) at the endpoint. */
export function endpointsOf(spec: PairsSpec): Endpoint[] {
  const m = metricLabel(spec.endpoint.metric);
  return [
    { key: 'endpoint', label: `${m}, last ${pct(spec.endpoint.window)} of env steps`, primary: true },
    { key: 'auc', label: `${m}, mean over the whole run (area under the curve)`, primary: false },
    ...spec.windows.map(([from, to], i) => ({ key: `window${i}`, label: `${m}, ${pct(from)} to ${pct(to)} of env steps`, primary: false })),
    ...(spec.endpoint.metric === 'equality_weighted_return' ? [] : [{ key: 'equality_weighted_return', label: `R(1-G), last ${pct(spec.endpoint.window)} of env steps`, primary: false }]),
  ];
}

/**
 * The metrics lines of `run` in the window [from, to] of its env steps, as fractions: with T the later of its
 * budget `steps` and its last line, the lines with T - (1 - from) steps < env_steps <= T - (1 - to) steps (so
 * [1 - w, 1] is the report's "last w", the same lines as its final values). A window that ends at the run's
 * end and holds no line with a value takes the last line that has one, as the report's final values do.
 */
export function linesIn(run: Run, steps: number, from: number, to: number, has: (r: Run['rows'][number]) => boolean): Run['rows'] {
  const last = run.rows.length ? run.rows[run.rows.length - 1].env_steps : 0;
  const T = Math.max(last, steps);
  const lo = T - (1 - from) * steps, hi = T - (1 - to) * steps;
  const withValue = run.rows.filter(has);
  const inside = withValue.filter((r) => r.env_steps > lo && r.env_steps <= hi);
  return inside.length || to < 1 ? inside : withValue.slice(-1);
}

function meanOf(rows: Run['rows'], metric: string): number | null {
  const vs = rows.map((r) => metricValue(r, metric)).filter((v): v is number => v !== null);
  return vs.length ? mean(vs) : null;
}

/** One run's values (see RunValues); `drop` is the rule's threshold where it applies to the run's game. */
export function runValues(run: Run, id: string, seed: number, steps: number, spec: PairsSpec, drop: number | null): RunValues {
  const metric = spec.endpoint.metric, w = spec.endpoint.window;
  const has = (m: string) => (r: Run['rows'][number]) => metricValue(r, m) !== null;
  const endLines = linesIn(run, steps, 1 - w, 1, has(metric));
  const retLines = linesIn(run, steps, 1 - w, 1, (r) => Array.isArray(r.returns) && (r.returns as unknown[]).every((x) => typeof x === 'number'));
  let agent: number[] | null = null;
  if (retLines.length) {
    const N = (retLines[0].returns as number[]).length;
    agent = Array.from({ length: N }, (_, j) => mean(retLines.map((r) => (r.returns as number[])[j])));
  }
  const minAgent = agent && agent.length ? Math.min(...agent) : null;
  return {
    id, seed,
    endpoint: meanOf(endLines, metric),
    auc: meanOf(run.rows, metric),
    windows: spec.windows.map(([from, to]) => meanOf(linesIn(run, steps, from, to, has(metric)), metric)),
    equality_weighted_return: meanOf(linesIn(run, steps, 1 - w, 1, has('equality_weighted_return')), 'equality_weighted_return'),
    agent_returns: agent,
    min_agent_return: minAgent,
    dropped: drop !== null && minAgent !== null && minAgent < drop,
  };
}

const valueOf = (r: RunValues, key: string): number | null =>
  key === 'endpoint' ? r.endpoint : key === 'auc' ? r.auc : key === 'equality_weighted_return' ? r.equality_weighted_return
    : key.startsWith('window') ? r.windows[Number(key.slice(6))] ?? null : null;

/** One pair on one endpoint, over the runs kept. */
function comparePair(a: string, b: string, ga: PairsGame['arms'][number] | undefined, gb: PairsGame['arms'][number] | undefined,
  key: string, keep: (r: RunValues) => boolean, spec: PairsSpec): PairResult {
  const side = (g: typeof ga) => {
    const rs = (g?.runs ?? []).filter(keep).map((r) => [r.seed, valueOf(r, key)] as const).filter((x): x is readonly [number, number] => x[1] !== null);
    return { seeds: rs.map((x) => x[0]), values: rs.map((x) => x[1]) };
  };
  const A = side(ga), B = side(gb);
  const opts = { exactUpTo: spec.exactUpTo, samples: spec.permutations, seed: spec.seed };
  const permutation = permutationTest(A.values, B.values, opts);
  const common = A.seeds.filter((s) => B.seeds.includes(s));
  const paired = pairedPermutationTest(common.map((s) => A.values[A.seeds.indexOf(s)]), common.map((s) => B.values[B.seeds.indexOf(s)]), opts);
  const p = (spec.test === 'paired-permutation' ? paired : permutation)?.p ?? null;
  return {
    a, b, groupA: ga?.group ?? null, groupB: gb?.group ?? null,
    seedsA: A.seeds, valuesA: A.values, seedsB: B.seeds, valuesB: B.values,
    meanA: A.values.length ? mean(A.values) : null, meanB: B.values.length ? mean(B.values) : null,
    diff: A.values.length && B.values.length ? mean(A.values) - mean(B.values) : null,
    permutation, paired, pairedSeeds: common.length, p, pAdjusted: null, significant: null,
    ci: bootstrapDiffCI(A.values, B.values, { resamples: spec.resamples, seed: spec.seed }),
  };
}

/** The analysis of every game's groups (as the report found them: finished runs only). */
export function analysePairs(sweepDir: string, games: { game: string; groups: PairGroup[] }[], spec: PairsSpec): PairsReport {
  const endpoints = endpointsOf(spec);
  const out: PairsGame[] = [];
  for (const { game, groups } of games) {
    const rule = !!spec.drop && spec.drop.games.includes(game);
    const named = spec.pairs.map((pair, i) => pair.map((name, j) => {
      const g = groupNamed(name, game, groups, `report.pairs[${i}][${j}]`);
      if (!g) throw new InputError(`report.pairs[${i}][${j}]: ${name} is neither an arm nor a group of game ${game}; arms: ${[...new Set(groups.map((x) => x.arm))].join(', ')}`);
      return g;
    }));
    const curves: PairsGame['curves'] = [];
    const arms = groups.map((g) => {
      const loaded = g.runs.map((r) => loadRun(runDirOf(sweepDir, r.id)));
      const xs = [...new Set(loaded.flatMap((run) => run.rows.map((row) => row.env_steps)))].filter((x) => x > CURVES_FROM * g.steps).sort((a, b) => a - b);
      for (const x of xs) {
        const vs = loaded.map((run) => { const row = run.rows.find((r) => r.env_steps === x); return row ? metricValue(row, spec.endpoint.metric) : null; });
        if (vs.length && vs.every((v) => v !== null)) curves.push({ arm: g.arm, x, y: mean(vs as number[]) });
      }
      return {
        arm: g.arm, model: g.model, group: g.group,
        runs: g.runs.map((r, i) => runValues(loaded[i], r.id, r.seed, g.steps, spec, rule ? spec.drop!.minAgentReturn : null)),
      };
    });
    const armOf = (g: PairGroup) => arms.find((x) => x.group === g.group);
    const variants: PairsVariant[] = [];
    for (const name of rule ? (['all', 'rule'] as const) : (['all'] as const)) {
      const keep = (r: RunValues) => name === 'all' || !r.dropped;
      const dropped = name === 'all' ? [] : arms.flatMap((x) => x.runs.filter((r) => r.dropped).map((r) => r.id));
      const results = endpoints.map((e) => {
        const pairs = spec.pairs.map(([a, b], i) => comparePair(a, b, armOf(named[i][0]), armOf(named[i][1]), e.key, keep, spec));
        const adjusted = spec.correction === 'holm' ? holm(pairs.map((p) => p.p)) : pairs.map((p) => p.p);
        pairs.forEach((p, i) => { p.pAdjusted = adjusted[i]; p.significant = adjusted[i] === null ? null : adjusted[i]! <= spec.alpha; });
        return { ...e, pairs };
      });
      variants.push({ name, dropped, endpoints: results });
    }
    out.push({ game, arms, rule, variants, curves, steps: Math.max(0, ...groups.map((g) => g.steps)) });
  }
  return { spec, endpoints, games: out };
}

// ---------------------------------------------------------------------------------------------------
// Output: Markdown, CSV, plots

/** d decimals; a value under 1 that they would round to 0 (a fraction of 0.004, influence in nats) keeps 2
 * significant digits instead, so that a small value never reads as 0. */
export const fmtValue = (v: number | null | undefined, d = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a'
  : v !== 0 && Math.abs(v) < 0.5 * 10 ** -d ? v.toPrecision(2) : v.toFixed(d));
const fmtP = (p: number | null | undefined) => (p === null || p === undefined ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function testText(spec: PairsSpec): string {
  const perm = `two-sided two-sample permutation test of the difference of means (exact when there are at most ${spec.exactUpTo.toLocaleString('en-US')} relabelings, ` +
    `else ${spec.permutations.toLocaleString('en-US')} random ones from seed ${spec.seed}, p = (1 + as extreme) / (1 + drawn))`;
  const paired = 'two-sided sign-flip permutation test of the per-seed differences over the seeds both arms have (exact up to the same number of sign patterns)';
  return spec.test === 'permutation' ? `${perm}; beside it, the ${paired.replace('two-sided ', '')}` : `${paired}; beside it, the ${perm.replace('two-sided ', '')}`;
}

/** The analysis as Markdown (a section of report.md). */
export function pairsMarkdown(rep: PairsReport): string {
  const { spec } = rep;
  const lines: string[] = ['## Matched pairs', ''];
  lines.push(`Endpoint: each run's mean ${metricLabel(spec.endpoint.metric)} over the last ${pct(spec.endpoint.window)} of its env steps. ` +
    `Test: ${testText(spec)}. Interval: ${(100 * 0.95).toFixed(0)}% bootstrap percentile interval of the difference (${spec.resamples.toLocaleString('en-US')} resamples of each arm, seed ${spec.seed}). ` +
    `Correction: ${spec.correction === 'holm' ? `Holm over the ${spec.pairs.length} pair(s), per game and endpoint` : 'none'}; a pair differs when its ${spec.correction === 'holm' ? 'Holm-adjusted ' : ''}p <= ${spec.alpha}. ` +
    'The secondary endpoints (the area under the curve, other windows, R(1-G)) are exploratory: each is corrected over the pairs on its own.' +
    (spec.drop ? ` Seed-dropping rule (${spec.drop.games.join(', ')}): a run is dropped when one of its agents' mean return per episode over the endpoint window is below ${spec.drop.minAgentReturn}; the analysis is given with every run and without the dropped ones.` : ''), '');
  for (const g of rep.games) {
    lines.push(`### ${g.game}`, '');
    for (const v of g.variants) {
      const title = v.name === 'all' ? 'every run' : `the seed-dropping rule: ${v.dropped.length ? `${v.dropped.length} run(s) dropped (${v.dropped.join(', ')})` : 'no run dropped'}`;
      lines.push(`**${g.game}, ${title}**`, '');
      lines.push('| pair (A - B) | endpoint | seeds A, B | mean A | mean B | difference [95% CI] | p | ' +
        `${spec.correction === 'holm' ? 'Holm p' : 'p'} | ${spec.test === 'permutation' ? 'sign-flip p (paired seeds)' : 'two-sample p'} |`, '|---|---|---|---|---|---|---|---|---|');
      for (const e of v.endpoints) {
        for (const p of e.pairs) {
          const other = spec.test === 'permutation' ? p.paired : p.permutation;
          lines.push(`| ${p.a} - ${p.b} | ${e.primary ? `**${e.label}** (primary)` : e.label} | ${p.valuesA.length}, ${p.valuesB.length} | ${fmtValue(p.meanA)} | ${fmtValue(p.meanB)} | ` +
            `${fmtValue(p.diff)} [${fmtValue(p.ci?.low)}, ${fmtValue(p.ci?.high)}] | ${fmtP(p.p)}${p.permutation && !p.permutation.exact && spec.test === 'permutation' ? ' (MC)' : ''} | ` +
            `${fmtP(p.pAdjusted)}${e.primary && p.significant ? ' *' : ''} | ${fmtP(other?.p)}${spec.test === 'permutation' ? ` (${p.pairedSeeds})` : ''} |`);
        }
      }
      lines.push('');
    }
    // per-seed values of every arm, primary endpoint first
    const seeds = [...new Set(g.arms.flatMap((a) => a.runs.map((r) => r.seed)))].sort((x, y) => x - y);
    for (const e of rep.endpoints) {
      lines.push(`Per seed, ${g.game}: ${e.label}${e.primary ? ' (primary)' : ''}${g.rule ? '; runs the rule drops are marked †' : ''}`, '');
      lines.push(`| arm | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean |`, `|---|${seeds.map(() => '---').join('|')}|---|`);
      for (const a of g.arms) {
        const vs = seeds.map((s) => {
          const r = a.runs.find((x) => x.seed === s);
          return r ? `${fmtValue(valueOf(r, e.key), 1)}${r.dropped ? '†' : ''}` : '-';
        });
        const all = a.runs.map((r) => valueOf(r, e.key)).filter((x): x is number => x !== null);
        lines.push(`| ${a.arm === a.model ? a.arm : `${a.arm} (${a.model})`} | ${vs.join(' | ')} | ${all.length ? fmtValue(mean(all), 1) : 'n/a'} |`);
      }
      lines.push('');
    }
    if (g.rule) {
      lines.push(`Lowest agent's mean return per episode over the endpoint window (the rule drops a run below ${spec.drop!.minAgentReturn}):`, '');
      lines.push(`| arm | ${seeds.map((s) => `seed ${s}`).join(' | ')} |`, `|---|${seeds.map(() => '---').join('|')}|`);
      for (const a of g.arms) lines.push(`| ${a.arm} | ${seeds.map((s) => { const r = a.runs.find((x) => x.seed === s); return r ? fmtValue(r.min_agent_return, 1) : '-'; }).join(' | ')} |`);
      lines.push('');
    }
    lines.push(`![${g.game}: per-seed endpoint values](${g.game}-endpoint.png)`, `![${g.game}: differences of the pairs](${g.game}-pairs.png)`,
      `![${g.game}: learning curves from ${pct(CURVES_FROM)} of the run on](${g.game}-curves-late.png)`, '');
  }
  return lines.join('\n') + '\n';
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (rows: unknown[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** pairs.csv: one row per game, variant, endpoint and pair. */
export function pairsCsv(rep: PairsReport): string {
  const head = ['game', 'variant', 'endpoint', 'primary', 'a', 'b', 'group_a', 'group_b', 'n_a', 'n_b', 'mean_a', 'mean_b', 'diff', 'ci_low', 'ci_high',
    'test', 'p', 'p_adjusted', 'correction', 'significant', 'permutation_p', 'permutation_exact', 'permutation_relabelings', 'paired_seeds', 'paired_p', 'seeds_a', 'values_a', 'seeds_b', 'values_b'];
  const rows = rep.games.flatMap((g) => g.variants.flatMap((v) => v.endpoints.flatMap((e) => e.pairs.map((p) => [
    g.game, v.name, e.key, e.primary, p.a, p.b, p.groupA, p.groupB, p.valuesA.length, p.valuesB.length, p.meanA, p.meanB, p.diff, p.ci?.low ?? null, p.ci?.high ?? null,
    rep.spec.test, p.p, p.pAdjusted, rep.spec.correction, p.significant, p.permutation?.p ?? null, p.permutation?.exact ?? null, p.permutation?.relabelings ?? null,
    p.pairedSeeds, p.paired?.p ?? null, p.seedsA.join(' '), p.valuesA.join(' '), p.seedsB.join(' '), p.valuesB.join(' '),
  ]))));
  return csv([head, ...rows]);
}

/** seeds.csv: one row per run: its arm and every value the analysis uses. */
export function seedsCsv(rep: PairsReport): string {
  const head = ['game', 'arm', 'model', 'group', 'run', 'seed', 'endpoint', 'auc', ...rep.spec.windows.map(([a, b]) => `window_${a}_${b}`),
    'equality_weighted_return', 'min_agent_return', 'agent_returns', 'dropped'];
  const rows = rep.games.flatMap((g) => g.arms.flatMap((a) => a.runs.map((r) => [
    g.game, a.arm, a.model, a.group, r.id, r.seed, r.endpoint, r.auc, ...r.windows, r.equality_weighted_return, r.min_agent_return,
    r.agent_returns?.join(' ') ?? null, g.rule ? r.dropped : null,
  ])));
  return csv([head, ...rows]);
}

const PLOT_CONFIG = {
  font: 'DejaVu Sans', title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555' }, axis: { gridColor: '#e6e6e6' }, view: { stroke: '#ccc' },
};

/** The Vega-Lite spec of a game's per-seed endpoint values: a point per run (side by side in seed order; a cross
 * where the seed-dropping rule drops it) beside each arm's mean and its 95% bootstrap interval; the y axis spans
 * the values, not 0. */
export function endpointPlotSpec(g: PairsGame, spec: PairsSpec): Record<string, unknown> | null {
  const arms = g.arms.map((a) => a.arm);
  const seeds = [...new Set(g.arms.flatMap((a) => a.runs.map((r) => r.seed)))].sort((x, y) => x - y);
  // seeds spread over 60% of an arm's slot, in seed order, the same place for a seed in every arm
  const offset = (seed: number) => (seeds.length > 1 ? (seeds.indexOf(seed) / (seeds.length - 1) - 0.5) * 0.6 : 0);
  const points = g.arms.flatMap((a, i) => a.runs.filter((r) => r.endpoint !== null).map((r) => ({
    arm: a.arm, seed: r.seed, x: i + offset(r.seed), value: r.endpoint, kept: r.dropped ? 'dropped by the rule' : g.rule ? 'kept by the rule' : 'run',
  })));
  if (points.length === 0) return null;
  const means = g.arms.flatMap((a, i) => {
    const vs = a.runs.map((r) => r.endpoint).filter((x): x is number => x !== null);
    const ci = bootstrapMeanCI(vs, { resamples: spec.resamples, seed: spec.seed });
    return ci ? [{ arm: a.arm, x: i, mean: ci.estimate, low: ci.low, high: ci.high, from: i - 0.4, to: i + 0.4 }] : [];
  });
  const x = {
    field: 'x', type: 'quantitative', title: null, scale: { domain: [-0.5, arms.length - 0.5], nice: false, zero: false },
    axis: { values: arms.map((_, i) => i), labelExpr: `${JSON.stringify(arms)}[datum.value]`, labelAngle: -30, labelLimit: 220, labelOverlap: false, labelBound: false, grid: false },
  };
  const y = { type: 'quantitative', title: metricLabel(spec.endpoint.metric), scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: Math.max(240, 90 * arms.length), height: 380, padding: 12, background: 'white',
    title: {
      text: `${g.game}: ${metricLabel(spec.endpoint.metric)}, last ${pct(spec.endpoint.window)} of env steps`,
      subtitle: `points: one per seed (${seeds.join(', ')}, left to right); black: mean over every run with its 95% bootstrap interval`, anchor: 'start',
    },
    config: PLOT_CONFIG,
    layer: [
      { data: { values: means }, mark: { type: 'rule', strokeWidth: 1.5, color: '#222' }, encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } } },
      { data: { values: means }, mark: { type: 'rule', strokeWidth: 3, color: '#222' }, encoding: { x: { ...x, field: 'from' }, x2: { field: 'to' }, y: { ...y, field: 'mean' } } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x, y: { ...y, field: 'value' },
          color: { field: 'arm', type: 'nominal', legend: null, scale: { domain: arms } },
          shape: {
            field: 'kept', type: 'nominal', title: null,
            scale: { domain: ['run', 'kept by the rule', 'dropped by the rule'], range: ['circle', 'circle', 'cross'] },
            legend: g.rule ? { orient: 'bottom', values: ['kept by the rule', 'dropped by the rule'] } : null,
          },
          tooltip: [{ field: 'arm' }, { field: 'seed' }, { field: 'value', type: 'quantitative' }],
        },
      },
    ],
  };
}

/** The Vega-Lite spec of a game's pairs: each difference of means with its 95% bootstrap interval, for every run
 * and (where it applies) under the seed-dropping rule, on the primary endpoint and the secondary ones; a line at 0. */
export function pairsPlotSpec(g: PairsGame, spec: PairsSpec): Record<string, unknown> | null {
  const rows = g.variants.flatMap((v) => v.endpoints.flatMap((e) => e.pairs.filter((p) => p.diff !== null).map((p) => ({
    pair: `${p.a} - ${p.b}`, endpoint: e.primary ? `${e.label} (primary)` : e.label, variant: v.name === 'all' ? 'every run' : 'seed-dropping rule',
    diff: p.diff, low: p.ci?.low ?? p.diff, high: p.ci?.high ?? p.diff, p: fmtP(p.pAdjusted),
  }))));
  if (rows.length === 0) return null;
  const y = { field: 'pair', type: 'nominal', title: null, sort: spec.pairs.map(([a, b]) => `${a} - ${b}`), axis: { labelLimit: 260 } };
  const x = { type: 'quantitative', title: 'difference of means, A - B' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    padding: 12, background: 'white',
    title: { text: `${g.game}: matched pairs`, subtitle: `difference of means with its 95% bootstrap interval; label: ${spec.correction === 'holm' ? 'Holm-adjusted ' : ''}p`, anchor: 'start' },
    config: PLOT_CONFIG,
    data: { values: rows },
    facet: { row: { field: 'endpoint', type: 'nominal', title: null, sort: endpointOrder(g), header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontSize: 12 } } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 520, height: { step: 22 },
      layer: [
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { datum: 0, type: 'quantitative' } } },
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, yOffset: { field: 'variant' }, x: { ...x, field: 'low' }, x2: { field: 'high' }, color: { field: 'variant', type: 'nominal', title: null, legend: { orient: 'bottom' } } } },
        { mark: { type: 'point', filled: true, size: 50 }, encoding: { y, yOffset: { field: 'variant' }, x: { ...x, field: 'diff' }, color: { field: 'variant', type: 'nominal' } } },
        { mark: { type: 'text', align: 'left', dx: 6, fontSize: 10, color: '#444' }, encoding: { y, yOffset: { field: 'variant' }, x: { field: 'high', type: 'quantitative' }, text: { field: 'p' } } },
      ],
    },
  };
}

/** The Vega-Lite spec of a game's learning curves of the endpoint metric from CURVES_FROM of the run on (mean over
 * seeds per arm), the endpoint window shaded; the y axis spans these values, not 0 nor the first steps'. */
export function curvesPlotSpec(g: PairsGame, spec: PairsSpec): Record<string, unknown> | null {
  if (g.curves.length === 0) return null;
  const arms = g.arms.map((a) => a.arm).filter((a) => g.curves.some((c) => c.arm === a));
  const x = { field: 'x', type: 'quantitative', title: 'environment steps', scale: { zero: false, nice: false }, axis: { labelExpr: "format(datum.value, '~s')" } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 720, height: 400, padding: 12, background: 'white',
    title: {
      text: `${g.game}: ${metricLabel(spec.endpoint.metric)} from ${pct(CURVES_FROM)} of the run on`,
      subtitle: `line: mean over every run of the arm; shaded: the endpoint window (last ${pct(spec.endpoint.window)})`, anchor: 'start',
    },
    config: { ...PLOT_CONFIG, legend: { labelLimit: 300 } },
    layer: [
      { data: { values: [{ from: (1 - spec.endpoint.window) * g.steps, to: g.steps }] }, mark: { type: 'rect', color: '#ddd', opacity: 0.45 }, encoding: { x: { ...x, field: 'from' }, x2: { field: 'to' } } },
      {
        data: { values: g.curves }, mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x, y: { field: 'y', type: 'quantitative', title: metricLabel(spec.endpoint.metric), scale: { zero: false } },
          color: { field: 'arm', type: 'nominal', title: null, scale: { domain: arms }, legend: { orient: 'bottom', columns: 3, symbolType: 'stroke', symbolStrokeWidth: 3 } },
          strokeDash: { condition: { test: "indexof(datum.arm, 'beta0') >= 0", value: [6, 3] }, value: [1, 0] },
        },
      },
    ],
  };
}

/** The endpoints' labels in the order of the analysis (the primary first). */
const endpointOrder = (g: PairsGame) => (g.variants[0]?.endpoints ?? []).map((e) => (e.primary ? `${e.label} (primary)` : e.label));

/** Renders the plots of every game; returns [file name, data] pairs. */
export async function pairsPlots(rep: PairsReport): Promise<[string, string | Uint8Array][]> {
  const out: [string, string | Uint8Array][] = [];
  for (const g of rep.games) {
    for (const [name, spec] of [[`${g.game}-endpoint`, endpointPlotSpec(g, rep.spec)], [`${g.game}-pairs`, pairsPlotSpec(g, rep.spec)],
      [`${g.game}-curves-late`, curvesPlotSpec(g, rep.spec)]] as const) {
      if (!spec) continue;
      const { svg, png } = await renderVegaLite(spec);
      out.push([`${name}.svg`, svg], [`${name}.png`, png]);
    }
  }
  return out;
}

// `commons sweep report`: per game, one row per group of runs that differ only by seed (a model, or a
// model at one grid point): each finished run's final value of every social outcome metric (the mean of
// its metrics lines over the last `window` of its env steps), then the mean over seeds with a 99.5%
// Student-t interval (the paper's Table 4 reports 99.5% intervals over 5 seeds) and the number of seeds;
// with a baseline named, Welch's t-test of each group's final collective return against the baseline's.
// Written as Markdown, CSV and JSON, with learning curves (mean over seeds, 99.5% band) as PNG and SVG.
//
// A reference column puts published numbers beside ours, with their budget: by default the paper's Table 4
// (PAPER_REFERENCES), or a JSON file { "cleanup": { "a2c": { "collective_return": 100, "steps": 5e8,
// "source": "..." } } }. When our budget is a fraction of the reference's, the report says so.
//
// Beside the social outcomes: the equality-weighted return R (1 - G) (Jaques et al. 2019, Fig. 16), the MOA's
// accuracy beside that of predicting each agent's most frequent action, and the correlation between how much
// each agent is influenced and its own return (the paper: rho = .67 in Cleanup, .34 in Harvest). With a rank
// metric, the groups of each game and model are ranked by it (a search's best settings), and a follow-up spec
// re-runs the top k with new seeds (followUpSpec).

import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { MissingPackageError } from '../util/optional.ts';
import { loadRun, metricValue, renderVegaLite, type Run } from '../plot/curves.ts';
import { correlation, type Correlation } from '../util/stats.ts';
import { mean, meanCI, welchTest, PAPER_LEVEL, type MeanCI, type WelchResult } from './stats.ts';
import { runDirOf, runState, type SweepFile } from './store.ts';
import type { PairsSpec, PlannedRun, SweepSpec } from './spec.ts';
import { analysePairs, groupNamed, pairsCsv, pairsMarkdown, pairsPlots, seedsCsv, type PairsReport } from './pairs.ts';
import { PAPER_TABLE4, PAPER_BUDGET_AT_LEAST } from '../learn/presets.ts';

/** The paper's Table 4 as references: budget not stated, at least its longest curriculum. */
export const PAPER_REFERENCES: References = Object.fromEntries(Object.entries(PAPER_TABLE4).map(([game, models]) => [game,
  Object.fromEntries(Object.entries(models).map(([model, cr]) => [model, {
    collective_return: cr, steps: PAPER_BUDGET_AT_LEAST, stepsAtLeast: true, agents: 5, source: 'Jaques et al. 2019, Table 4 (best hyper-parameters, 5 seeds)',
  }]))]));

/** Every run's final value of these is reported: the social outcomes, the equality-weighted return R (1 - G),
 * the influence (models that measure it) and the MOA's accuracy beside its most-frequent-action baseline. */
export const REPORT_METRICS = ['collective_return', 'efficiency', 'equality', 'sustainability', 'peace', 'equality_weighted_return',
  'influence_total', 'moa.accuracy', 'moa.majority_accuracy'] as const;
/** A reported metric, or any numeric field of metrics.jsonl (a rank metric, by its dotted path). */
export type ReportMetric = (typeof REPORT_METRICS)[number] | (string & {});

/** A published figure: its collective return, its budget in env steps (a lower bound when stepsAtLeast), the
 * number of agents it was measured with (a collective return sums over them) and its source. */
export interface Reference { collective_return: number; steps?: number; stepsAtLeast?: boolean; agents?: number; source?: string }
export type References = Record<string, Record<string, Reference>>;

export interface ReportOptions {
  /** Fraction of each run's env steps, at its end, averaged into its final value. */
  window: number;
  /** A model name or group id to test the others against. */
  baseline?: string;
  level?: number;
  references?: References;
  /** Rank the groups of each game and model by this metric's mean over seeds (highest first), keeping the top. */
  rank?: { metric: string; top: number };
  /** The matched-pairs analysis (./pairs.ts). */
  pairs?: PairsSpec;
}

export interface RunFinal {
  id: string;
  seed: number;
  env_steps: number;
  /** metric -> final value (null if no line of the window has one) */
  values: Record<ReportMetric, number | null>;
  /** Models that measure influence: per agent, the influence it received (sum over k of c_kj) and its return,
   * each the mean over the window's lines; null without influence or returns. */
  agents: { received: number[]; returns: number[] } | null;
}

export interface GroupReport {
  group: string;
  game: string;
  model: string;
  /** the arm: the model, or the name of a variant of it (spec.models.ARM.model) */
  arm: string;
  /** the grid settings of this group (empty without a grid) */
  point: Record<string, unknown>;
  steps: number;
  /** agents per environment in this group's runs */
  agents: number;
  planned: number;
  runs: RunFinal[];
  stats: Record<ReportMetric, MeanCI>;
  /** Welch's test of collective_return against the baseline group (null: no baseline, or too few seeds) */
  vsBaseline: (WelchResult & { baseline: string }) | null;
  /** the best mean collective return among the groups of this game and model (grid searches) */
  best: boolean;
  reference: Reference | null;
  /** Influence received against individual return over this group's runs' agents (null without influence). */
  influenceVsReturn: Correlation | null;
}

/** A game's groups of one arm (a model, or a named variant of one) ranked by the rank metric (highest mean first). */
export interface Ranking {
  game: string;
  /** the arm */
  model: string;
  /** group ids, best first, at most `top` */
  groups: string[];
}

export interface SweepReport {
  name: string;
  window: number;
  level: number;
  baseline: string | null;
  games: {
    game: string; groups: GroupReport[]; /** this game's baseline group */ baseline: string | null;
    /** influence received against individual return over every agent of every run that measures influence */
    influenceVsReturn: Correlation | null;
  }[];
  /** With a rank metric: the metric, how many are kept, and per game and model the best groups. */
  rank: { metric: string; top: number; rankings: Ranking[] } | null;
  /** runs not finished yet (left out of every figure) */
  unfinished: string[];
  /** The matched-pairs analysis, when the spec's report block or --pairs asks for it. */
  pairs?: PairsReport;
  /** The spec's pre-registration (free text written before the runs), quoted at the top of report.md. */
  preregistration?: string;
}

/** The lines a run's final values average: those in the last `window` of its env steps (of its budget
 * `steps`, or of its last line if later), or its last line when none is. */
function windowRows(run: Run, steps: number, window: number, has: (r: Run['rows'][number]) => boolean): Run['rows'] {
  const last = run.rows.length ? run.rows[run.rows.length - 1].env_steps : 0;
  const from = Math.max(last, steps) - window * steps;
  const withValue = run.rows.filter(has);
  const inWindow = withValue.filter((r) => r.env_steps > from);
  return inWindow.length ? inWindow : withValue.slice(-1);
}

/** A run's final value of each metric: the mean over its lines in the last `window` of its env steps (at least its last line with a value). */
export function finalValues(run: Run, steps: number, window: number, metrics: readonly string[] = REPORT_METRICS): Record<ReportMetric, number | null> {
  const out = {} as Record<ReportMetric, number | null>;
  for (const m of metrics) {
    const used = windowRows(run, steps, window, (r) => metricValue(r, m) !== null);
    out[m] = used.length ? mean(used.map((r) => metricValue(r, m) as number)) : null;
  }
  return out;
}

/** Per agent, the influence received (column sums of the influence matrix) and the return, each the mean over
 * the window's lines that have both; null when no line has an influence matrix and returns. */
export function agentInfluence(run: Run, steps: number, window: number): { received: number[]; returns: number[] } | null {
  const matrixOf = (r: Run['rows'][number]) => (r.influence as { matrix?: number[][] } | undefined)?.matrix;
  const used = windowRows(run, steps, window, (r) => Array.isArray(matrixOf(r)) && Array.isArray(r.returns));
  if (used.length === 0) return null;
  const N = (used[0].returns as number[]).length;
  const received = new Array<number>(N).fill(0), returns = new Array<number>(N).fill(0);
  for (const r of used) {
    const m = matrixOf(r)!, ret = r.returns as number[];
    for (let j = 0; j < N; j++) {
      returns[j] += ret[j] / used.length;
      for (let k = 0; k < N; k++) received[j] += (m[k]?.[j] ?? 0) / used.length;
    }
  }
  return { received, returns };
}

/** The correlation of influence received and return over the agents of these runs (null when none has influence). */
function influenceCorrelation(runs: RunFinal[]): Correlation | null {
  const with_ = runs.filter((r) => r.agents);
  if (with_.length === 0) return null;
  return correlation(with_.flatMap((r) => r.agents!.received), with_.flatMap((r) => r.agents!.returns));
}

function groupsOf(file: SweepFile): Map<string, PlannedRun[]> {
  const g = new Map<string, PlannedRun[]>();
  for (const r of file.runs) {
    if (!g.has(r.group)) g.set(r.group, []);
    g.get(r.group)!.push(r);
  }
  return g;
}

/** Reads every finished run of a sweep and computes the report. */
export function buildReport(sweepDir: string, file: SweepFile, opts: ReportOptions): SweepReport {
  const level = opts.level ?? PAPER_LEVEL;
  const metrics: string[] = [...REPORT_METRICS, ...(opts.rank && !(REPORT_METRICS as readonly string[]).includes(opts.rank.metric) ? [opts.rank.metric] : [])];
  const unfinished: string[] = [];
  const groups: GroupReport[] = [];
  for (const [group, planned] of groupsOf(file)) {
    const first = planned[0];
    const runs: RunFinal[] = [];
    for (const p of planned) {
      if (runState(sweepDir, p).state !== 'done') {
        unfinished.push(p.id);
        continue;
      }
      const run = loadRun(runDirOf(sweepDir, p.id));
      runs.push({
        id: p.id, seed: p.seed, env_steps: run.rows.at(-1)?.env_steps ?? 0, values: finalValues(run, p.config.steps, opts.window, metrics),
        agents: agentInfluence(run, p.config.steps, opts.window),
      });
    }
    const stats = Object.fromEntries(metrics.map((m) => [m, meanCI(runs.map((r) => r.values[m]).filter((v): v is number => v !== null), level)])) as Record<ReportMetric, MeanCI>;
    // a published figure belongs to the model as published, not to a variant of it
    const ref = first.arm ? null : opts.references?.[first.game]?.[first.model] ?? null;
    groups.push({
      group, game: first.game, model: first.model, arm: first.arm ?? first.model, point: first.point, steps: first.config.steps, agents: first.config.agents, planned: planned.length,
      runs, stats, vsBaseline: null, best: false, reference: ref, influenceVsReturn: influenceCorrelation(runs),
    });
  }
  const games = file.spec.games.map((game) => {
    const gs = groups.filter((g) => g.game === game);
    return { game: game as string, groups: gs, baseline: null as string | null, influenceVsReturn: influenceCorrelation(gs.flatMap((g) => g.runs)) };
  });
  let anyBaseline = false;
  for (const entry of games) {
    const { game, groups: gs } = entry;
    for (const arm of new Set(gs.map((g) => g.arm))) {
      const same = gs.filter((g) => g.arm === arm && g.stats.collective_return.n > 0);
      if (same.length > 1) same.reduce((a, b) => (b.stats.collective_return.mean > a.stats.collective_return.mean ? b : a)).best = true;
    }
    if (!opts.baseline) continue;
    const base = groupNamed(opts.baseline, game, gs);
    if (!base) continue;
    anyBaseline = true;
    entry.baseline = base.group;
    const bv = base.runs.map((r) => r.values.collective_return).filter((v): v is number => v !== null);
    for (const g of gs) {
      if (g === base) continue;
      const w = welchTest(g.runs.map((r) => r.values.collective_return).filter((v): v is number => v !== null), bv);
      g.vsBaseline = w ? { ...w, baseline: base.group } : null;
    }
  }
  if (opts.baseline && !anyBaseline) {
    throw new InputError(`--baseline: ${opts.baseline} is neither a model nor a group of sweep ${file.name}; groups: ${groups.map((g) => g.group).join(', ')}`);
  }
  let rank: SweepReport['rank'] = null;
  if (opts.rank) {
    const { metric, top } = opts.rank;
    if (!groups.some((g) => g.stats[metric].n > 0)) {
      const known = [...new Set(groups.flatMap((g) => g.runs.flatMap((r) => REPORT_METRICS.filter((m) => r.values[m] !== null))))];
      throw new InputError(`--rank: no finished run of sweep ${file.name} has a value of ${metric}; metrics: ${known.join(', ')} (or any numeric field of metrics.jsonl, by its dotted path)`);
    }
    const rankings: Ranking[] = [];
    for (const { game, groups: gs } of games) {
      for (const arm of new Set(gs.map((g) => g.arm))) {
        const ranked = gs.filter((g) => g.arm === arm && g.stats[metric].n > 0).sort((a, b) => b.stats[metric].mean - a.stats[metric].mean);
        if (ranked.length) rankings.push({ game, model: arm, groups: ranked.slice(0, top).map((g) => g.group) });
      }
    }
    rank = { metric, top, rankings };
  }
  const pairs = opts.pairs ? analysePairs(sweepDir, games, opts.pairs) : undefined;
  const prereg = file.spec.preregistration;
  return {
    name: file.name, window: opts.window, level, baseline: opts.baseline ?? null, games, unfinished, rank, ...(pairs ? { pairs } : {}),
    ...(prereg ? { preregistration: prereg } : {}),
  };
}

/** "0.1" (a fraction of the run's env steps) or "last25" (its last 25%): the fraction, or an InputError naming `flag`. */
export function parseWindow(text: string, flag = '--window'): number {
  const m = /^last(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const v = m ? Number(m[1]) / 100 : /^\s*[0-9.eE+-]+\s*$/.test(text) ? Number(text) : NaN;
  if (!(v > 0 && v <= 1)) throw new InputError(`${flag}: expected a fraction in (0, 1] (0.25) or lastP, the last P percent of each run's env steps (last25), got '${text}'`);
  return v;
}

/** The spec of a follow-up sweep: the ranked groups (rep.rank) re-run with `seeds` new seeds (after the
 * sweep's own, so that the settings picked on the first seeds are measured on others), every other setting as
 * in the sweep. The groups keep their ids, so the follow-up's rows match the search's. */
export function followUpSpec(file: SweepFile, rep: SweepReport, seeds: number): Record<string, unknown> {
  if (!rep.rank) throw new InputError('--follow-up: needs --rank METRIC (which groups to re-run)');
  if (!(Number.isInteger(seeds) && seeds >= 1)) throw new InputError(`--seeds: expected an integer from 1, got ${seeds}`);
  const spec: SweepSpec = file.spec;
  const keep = rep.rank.rankings.flatMap((r) => r.groups);
  const models = spec.models.filter((m) => rep.rank!.rankings.some((r) => r.model === m));
  const games = spec.games.filter((g) => rep.rank!.rankings.some((r) => r.game === g));
  const first = Math.max(...spec.seeds) + 1;
  return {
    $comment: `follow-up of sweep ${spec.name}: the top ${rep.rank.top} groups per game and model by ${rep.rank.metric} ` +
      `(last ${+(rep.window * 100).toFixed(2)}% of each run) re-run with ${seeds} new seed(s); written by commons sweep report --follow-up`,
    name: `${spec.name}-top${rep.rank.top}`.slice(0, 80),
    games, models: Object.fromEntries(models.map((m) => [m, { ...(spec.arms?.[m] ? { model: spec.arms[m] } : {}), ...(spec.modelConfig[m] ?? {}) }])),
    seeds: Array.from({ length: seeds }, (_, i) => first + i),
    config: spec.config,
    ...(Object.keys(spec.grid).length ? { grid: spec.grid } : {}),
    ...(spec.search ? { search: spec.search } : {}),
    only: keep,
    ...(spec.preset ? { preset: spec.preset } : {}),
    report: { ...spec.report, window: rep.window },
    checkpointMinutes: spec.checkpointMinutes, keepCheckpoints: spec.keepCheckpoints,
  };
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const fmtCI = (s: MeanCI, d = 2) => (s.n === 0 ? 'n/a' : s.half === null ? `${fmt(s.mean, d)}` : `${fmt(s.mean, d)} ± ${fmt(s.half, d)}`);
const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const fmtCorr = (c: Correlation, long = true) => (c.pearson === null
  ? `n/a (${c.n} agents)`
  : `${long ? 'Pearson ' : ''}r = ${fmt(c.pearson)}${long ? ` (p = ${fmtP(c.pearson_p!)})` : ''}, ${long ? 'Spearman ' : ''}rho = ${fmt(c.spearman)}${long ? '' : ` (n = ${c.n})`}`);
/** An arm as the tables show it: its name, and its model when it is a variant. */
export const armLabel = (g: { arm: string; model: string }) => (g.arm === g.model ? g.model : `${g.arm} (${g.model})`);
const pointLabel = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');

/** The report as Markdown: a table per game, then how the figures were computed. */
export function reportMarkdown(rep: SweepReport): string {
  const pct = `${(rep.level * 100).toFixed(1).replace(/\.0$/, '')}%`;
  const anyRef = rep.games.some((g) => g.groups.some((x) => x.reference));
  const anyGrid = rep.games.some((g) => g.groups.some((x) => Object.keys(x.point).length > 0));
  const anyMoa = rep.games.some((g) => g.groups.some((x) => x.stats['moa.accuracy'].n > 0));
  const lines = [`# Sweep ${rep.name}`, ''];
  if (rep.preregistration) lines.push('**Pre-registration** (the spec\'s, written before the runs):', '', ...rep.preregistration.split(/\n\n/).map((p) => `> ${p}\n>`), '');
  for (const { game, groups, baseline, influenceVsReturn } of rep.games) {
    lines.push(`## ${game}`, '');
    const head = ['model', ...(anyGrid ? ['settings'] : []), 'seeds', `collective return (${pct} CI)`, ...(anyRef ? ['reference'] : []),
      'efficiency', 'equality', 'sustainability', 'peace', 'R(1-G)', ...(anyMoa ? ['MOA accuracy (most frequent)'] : []),
      ...(rep.baseline ? [`vs ${rep.baseline}: Welch t, p`] : []), 'env steps'];
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const g of groups) {
      const s = g.stats;
      const cr = s.collective_return;
      const r = g.reference, ge = r?.stepsAtLeast ? '≥ ' : '';
      const ref = r
        ? `${fmt(r.collective_return, 1)}${r.steps ? ` at ${ge}${r.steps.toExponential(1)} steps` : ''}` +
          `${r.steps && g.steps < r.steps ? ` (our budget: ${r.stepsAtLeast ? 'at most ' : ''}${((100 * g.steps) / r.steps).toPrecision(2)}% of it)` : ''}` +
          `${r.agents && r.agents !== g.agents ? ` (${r.agents} agents; these runs: ${g.agents})` : ''}`
        : '';
      lines.push(`| ${[
        `${armLabel(g)}${g.best ? ' (best)' : ''}`, ...(anyGrid ? [pointLabel(g.point) || '-'] : []), `${cr.n}${g.planned !== cr.n ? ` of ${g.planned}` : ''}`,
        cr.n ? `${fmtCI(cr)}${cr.low !== null ? ` [${fmt(cr.low)}, ${fmt(cr.high)}]` : ''}` : 'n/a', ...(anyRef ? [ref || '-'] : []),
        ...([['efficiency', 3], ['equality', 3], ['sustainability', 1], ['peace', 1], ['equality_weighted_return', 2]] as const).map(([m, d]) =>
          `${fmtCI(s[m], d)}${s[m].n > 0 && s[m].n < cr.n ? ` (${s[m].n} seed${s[m].n === 1 ? '' : 's'})` : ''}`),
        ...(anyMoa ? [s['moa.accuracy'].n ? `${fmtCI(s['moa.accuracy'], 3)} (${fmt(s['moa.majority_accuracy'].n ? s['moa.majority_accuracy'].mean : null, 3)})` : '-'] : []),
        ...(rep.baseline ? [g.vsBaseline ? `t = ${fmt(g.vsBaseline.t)}, p = ${fmtP(g.vsBaseline.p)}` : g.group === baseline ? '(baseline)' : '-'] : []),
        g.steps.toLocaleString('en-US'),
      ].join(' | ')} |`);
    }
    const short = groups.filter((g) => g.reference?.steps && g.steps < g.reference.steps);
    if (short.length) {
      const r = short[0].reference!, most = Math.max(...short.map((g) => g.steps));
      lines.push('', `Our budget (at most ${most.toLocaleString('en-US')} env steps per run) is ${r.stepsAtLeast ? 'at most ' : ''}` +
        `${((100 * most) / r.steps!).toPrecision(2)}% of the reference's (${r.stepsAtLeast ? 'at least ' : ''}${r.steps!.toExponential(2)} env steps` +
        `${r.source ? `, ${r.source}` : ''}): the published numbers stand beside ours for orientation; they are not a like-for-like comparison.`);
    }
    const otherAgents = groups.filter((g) => g.reference?.agents && g.reference.agents !== g.agents);
    if (otherAgents.length) {
      const refAgents = otherAgents[0].reference!.agents!;
      const ours = [...new Set(otherAgents.map((g) => g.agents))].sort((a, b) => a - b).join(', ');
      lines.push('', `The reference figures are for ${refAgents} agents; ${otherAgents.length === groups.length ? 'these runs have' : `${otherAgents.map((g) => g.model).join(', ')} ran with`} ` +
        `${ours}. A collective return sums over the agents (and in Harvest and Cleanup what they can earn depends on how many share the map), ` +
        'so those rows do not compare with the reference at all.');
    }
    if (influenceVsReturn) {
      lines.push('', `Influence received against individual return, over the ${influenceVsReturn.n} agents of the runs that measure influence: ` +
        `${fmtCorr(influenceVsReturn)}${groups.filter((g) => g.influenceVsReturn).length > 1 ? `; per group: ${groups.filter((g) => g.influenceVsReturn).map((g) => `${g.group.replace(`${game}-`, '')} ${fmtCorr(g.influenceVsReturn!, false)}`).join(', ')}` : ''}.`);
    }
    lines.push('', `![${game} curves](${game}-collective_return.png)`, '');
  }
  if (rep.rank) {
    const { metric, top, rankings } = rep.rank;
    lines.push(`## Best settings by ${metric} (top ${top} per game and model)`, '');
    const byId = new Map(rep.games.flatMap((g) => g.groups.map((x) => [x.group, x] as const)));
    lines.push(`| game | model | rank | group | settings | seeds | ${metric} (${pct} CI) |`, '|---|---|---|---|---|---|---|');
    for (const r of rankings) {
      r.groups.forEach((id, i) => {
        const g = byId.get(id)!, st = g.stats[metric];
        lines.push(`| ${[r.game, r.model, i + 1, id, pointLabel(g.point) || '-', st.n, fmtCI(st, 4)].join(' | ')} |`);
      });
    }
    lines.push('', `Ranked by the mean over seeds of each run's ${metric} over the last ${+(rep.window * 100).toFixed(2)}% of its env steps. ` +
      'A search picks its best on the same seeds that measure it, so the top means are biased upward: measure them again on new seeds ' +
      '(commons sweep report DIR --rank METRIC --follow-up FILE writes that sweep).', '');
  }
  lines.push(`Each run's value is the mean of its metrics lines over the last ${(rep.window * 100).toFixed(0)}% of its env steps (at least its last line); ` +
    `the table gives the mean over seeds ± the half-width of the ${pct} Student-t interval, [low, high] for the collective return. ` +
    'n/a: no finished run has that metric; one seed gives no interval; (k seeds): only k runs had a value (equality is undefined when the returns sum to 0 or less, docs/metrics.md). ' +
    'R(1-G): the equality-weighted return of each line\'s per-agent mean returns (Jaques et al. 2019, Fig. 16).' +
    (anyMoa ? ' MOA accuracy: the next actions of the agents it trains on; in brackets the accuracy of predicting each one\'s most frequent action over the same predictions.' : '') +
    (rep.baseline ? ` Welch's unequal-variance t-test of each group's per-seed collective return against ${rep.baseline}, two-sided p.` : ''));
  if (rep.pairs) lines.push('', pairsMarkdown(rep.pairs).trimEnd());
  if (rep.unfinished.length) lines.push('', `Not finished, left out: ${rep.unfinished.length} run(s): ${rep.unfinished.slice(0, 10).join(', ')}${rep.unfinished.length > 10 ? ', ...' : ''}.`);
  return lines.join('\n') + '\n';
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One CSV row per group: every metric's mean, interval and n, and the test against the baseline. */
export function reportCsv(rep: SweepReport): string {
  const head = ['game', 'group', 'model', 'settings', 'env_steps', 'seeds_planned',
    ...REPORT_METRICS.flatMap((m) => [`${m}_n`, `${m}_mean`, `${m}_sd`, `${m}_ci_low`, `${m}_ci_high`]),
    'influence_return_n', 'influence_return_pearson', 'influence_return_spearman',
    'baseline', 'welch_t', 'welch_df', 'welch_p', 'reference_collective_return', 'reference_steps', 'reference_source'];
  const rows = rep.games.flatMap(({ groups }) => groups.map((g) => [
    g.game, g.group, g.model, pointLabel(g.point), g.steps, g.planned,
    ...REPORT_METRICS.flatMap((m) => { const s = g.stats[m]; return [s.n, s.n ? s.mean : null, s.sd, s.low, s.high]; }),
    g.influenceVsReturn?.n ?? null, g.influenceVsReturn?.pearson ?? null, g.influenceVsReturn?.spearman ?? null,
    g.vsBaseline?.baseline ?? null, g.vsBaseline?.t ?? null, g.vsBaseline?.df ?? null, g.vsBaseline?.p ?? null,
    g.reference?.collective_return ?? null, g.reference?.steps ?? null, g.reference?.source ?? null,
  ]));
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/**
 * The y range of a curves plot: the lowest to the highest mean from 5% of the run on, padded by 5% on each
 * side, and the earlier means that fall outside it (untrained agents firing at random: thousands below 0),
 * which would otherwise squash every later difference into one line.
 */
export function meanDomain(points: { x: number; y: number }[]): { domain: [number, number]; off: { x: number; y: number }[] } {
  const xMax = Math.max(...points.map((p) => p.x));
  const settled = points.filter((p) => p.x >= 0.05 * xMax).map((p) => p.y);
  const lo = Math.min(...settled), hi = Math.max(...settled);
  const pad = 0.05 * (hi - lo || Math.abs(hi) || 1);
  const domain: [number, number] = [lo - pad, hi + pad];
  return { domain, off: points.filter((p) => p.y < domain[0] || p.y > domain[1]) };
}

/** The Vega-Lite spec of one game's learning curves: per group, the mean over seeds and its Student-t band. */
export function curvesSpecFor(sweepDir: string, game: string, groups: GroupReport[], level: number, metric: ReportMetric = 'collective_return'): Record<string, unknown> | null {
  const lineRows: Record<string, unknown>[] = [];
  const bandRows: Record<string, unknown>[] = [];
  const labels: string[] = [];
  for (const g of groups) {
    if (g.runs.length === 0) continue;
    const series = g.runs.map((r) => loadRun(runDirOf(sweepDir, r.id)).rows);
    const label = `${g.group.replace(`${game}-`, '')} (${g.runs.length} seed${g.runs.length === 1 ? '' : 's'})`;
    // The runs of a group share their reporting steps (same settings but the seed): average where all have a value.
    const xs = [...new Set(series.flatMap((rows) => rows.map((r) => r.env_steps)))].sort((a, b) => a - b);
    let any = false;
    for (const x of xs) {
      const vs = series.map((rows) => rows.find((r) => r.env_steps === x)?.[metric]).filter((v): v is number => typeof v === 'number');
      if (vs.length !== series.length) continue;
      any = true;
      const ci = meanCI(vs, level);
      lineRows.push({ group: label, x, y: ci.mean });
      if (ci.low !== null) bandRows.push({ group: label, x, low: ci.low, high: ci.high });
    }
    if (any) labels.push(label);
  }
  if (lineRows.length === 0) return null;
  const pct = `${(level * 100).toFixed(1).replace(/\.0$/, '')}%`;
  // The y axis spans the means from 5% of the run on (meanDomain); earlier means off it are named, and the
  // bands are cut at its edges.
  const { domain, off } = meanDomain(lineRows.map((r) => ({ x: r.x as number, y: r.y as number })));
  const cut = bandRows.some((r) => (r.low as number) < domain[0] || (r.high as number) > domain[1]);
  const notes = [`line: mean over seeds; band: ${pct} Student-t interval (where 2+ seeds)${cut ? ', cut at the edges' : ''}`];
  if (off.length) {
    const worst = off.reduce((a, p) => (Math.abs(p.y) > Math.abs(a.y) ? p : a));
    notes.push(`${off.length} early mean${off.length === 1 ? '' : 's'} off the scale, up to ${Math.max(...off.map((p) => p.x)).toLocaleString('en-US')} env steps (farthest: ${Math.round(worst.y).toLocaleString('en-US')} at ${worst.x.toLocaleString('en-US')})`);
  }
  const color = { field: 'group', type: 'nominal', title: null, scale: { domain: labels }, legend: { orient: 'bottom', direction: 'vertical', symbolType: 'stroke', symbolStrokeWidth: 3 } };
  const x = { field: 'x', type: 'quantitative', title: 'environment steps', axis: { labelExpr: "format(datum.value, '~s')" } };
  const title = metric.replace(/_/g, ' ');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 720, height: 420, autosize: { type: 'fit', contains: 'padding' }, padding: 12, background: 'white',
    title: { text: `${game}: ${title} over training`, subtitle: notes.length === 1 ? notes[0] : notes, anchor: 'start' },
    config: { font: 'DejaVu Sans', title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555' }, axis: { gridColor: '#e6e6e6' }, legend: { labelLimit: 400 }, view: { stroke: '#ccc' } },
    layer: [
      ...(bandRows.length ? [{ data: { values: bandRows }, mark: { type: 'area', opacity: 0.2, clip: true }, encoding: { x, y: { field: 'low', type: 'quantitative', scale: { domain } }, y2: { field: 'high' }, color: { ...color, legend: null } } }] : []),
      { data: { values: lineRows }, mark: { type: 'line', strokeWidth: 2, clip: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title, scale: { zero: false, domain } }, color } },
    ],
    resolve: { legend: { color: 'independent' } },
  };
}

/** Writes report.md, report.csv, report.json and GAME-collective_return.{png,svg} into outDir; returns the paths. */
export async function writeReport(sweepDir: string, rep: SweepReport, outDir: string, warn: (line: string) => void = () => {}): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, data: string | Uint8Array) => { writeFileSync(join(outDir, name), data); written.push(join(outDir, name)); };
  put('report.md', reportMarkdown(rep));
  put('report.csv', reportCsv(rep));
  put('report.json', JSON.stringify(rep, null, 2) + '\n');
  for (const { game, groups } of rep.games) {
    const spec = curvesSpecFor(sweepDir, game, groups, rep.level);
    if (!spec) continue;
    let drawn;
    try {
      drawn = await renderVegaLite(spec);
    } catch (e) {
      // Without the plotting packages (an install of the package, src/util/optional.ts) the tables still stand.
      if (!(e instanceof MissingPackageError)) throw e;
      warn(`the curves are not drawn: ${e.message}`);
      break;
    }
    const { svg, png } = drawn;
    put(`${game}-collective_return.svg`, svg);
    put(`${game}-collective_return.png`, png);
  }
  if (rep.pairs) {
    put('pairs.csv', pairsCsv(rep.pairs));
    put('seeds.csv', seedsCsv(rep.pairs));
    for (const [name, data] of await pairsPlots(rep.pairs)) put(name, data);
  }
  return written;
}

/** Reads a references file (see the header); `flag` names the option for errors. */
export function readReferences(path: string, flag = '--reference'): References {
  if (!existsSync(path)) throw new InputError(`${flag}: no such file ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${flag}: ${path} is not valid JSON (${(e as Error).message})`);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) throw new InputError(`${flag}: ${path}: expected { game: { model: { collective_return, steps, source } } }`);
  for (const [game, models] of Object.entries(raw)) {
    if (!isObj(models)) throw new InputError(`${flag}: ${path}: ${game}: expected an object of models`);
    for (const [model, ref] of Object.entries(models)) {
      if (!isObj(ref) || typeof ref.collective_return !== 'number') throw new InputError(`${flag}: ${path}: ${game}.${model}.collective_return: expected a number`);
      if (ref.steps !== undefined && typeof ref.steps !== 'number') throw new InputError(`${flag}: ${path}: ${game}.${model}.steps: expected a number`);
    }
  }
  return raw as References;
}

// Figures and tables of a game's own statistics over trained runs (docs/plot.md, "commons game-report"):
// for Box trapped, the paper's Figs. 11-13. Everything here is a pure function of the evaluated episodes
// (src/cli/game-report.ts plays them): per group of runs, the fraction of episodes in which each 'flag'
// statistic was 1 (mean over seeds, with its Student-t interval), the distribution of each 'step'
// statistic over the episodes, the influence of the tracked agent at the step of the event against its
// influence at the other steps, and the Vega-Lite specs of the figures (drawn by curves.ts renderVegaLite).

import type { GameStat } from '../env/game-definition.ts';
import { summarize, type Summary } from '../util/stats.ts';

/** One evaluated episode of one run. */
export interface EpisodeRecord {
  /** The episode's environment seed (createVecEnv({ seed, numEnvs: 1 }) starts it). */
  seed: number;
  /** The game's own statistics (a step statistic is null when its event did not happen). */
  game: Record<string, number | null>;
  collective: number;
  returns: number[];
  /** The tracked agent's influence c_k at each step (nats; models that measure influence only). */
  influence?: number[];
}

/** One trained run, evaluated. */
export interface RunRecord {
  dir: string;
  model: string;
  seed: number | null;
  /** The group's label (model, and the settings in which groups differ). */
  group: string;
  envSteps: number;
  checkpoint: string;
  episodes: EpisodeRecord[];
}

/** A step statistic next to the tracked agent's influence: at that step, and at the episode's other steps. */
export interface InfluenceAtEvent {
  /** Episodes in which the event happened, with an influence trace. */
  episodes: number;
  /** Mean over those episodes of c at the event's step. */
  atEvent: number;
  /** Mean over those episodes of the mean c over the other steps. */
  elsewhere: number;
  /** Episodes in which c at the event's step is the episode's largest. */
  peakAtEvent: number;
}

export interface GroupSummary {
  group: string;
  model: string;
  runs: { dir: string; seed: number | null; envSteps: number; checkpoint: string; episodes: number; values: Record<string, number | null> }[];
  /** Per statistic: the per-run values (flag: fraction of episodes; step and count: mean where it has a value)
   * summarised over runs (seeds). */
  stats: Record<string, Summary | null>;
  /** Collective return per episode, per-run means summarised over runs. */
  collective: Summary | null;
  /** Per step statistic: how many episodes (over all runs) had the event at each step (index = step - 1), and
   * how many episodes were played. */
  histograms: Record<string, { counts: number[]; episodes: number }>;
  /** Per step statistic, for groups with influence traces: the influence at the event's step and elsewhere. */
  influence: Record<string, InfluenceAtEvent | null>;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);

/** The per-run value of a statistic: for a flag, the fraction of episodes where it is 1; otherwise the mean
 * over the episodes where it has a value (null when none has). */
export function runValue(episodes: EpisodeRecord[], stat: GameStat): number | null {
  const vs = episodes.map((e) => e.game[stat.name]).filter((v): v is number => v !== null && v !== undefined);
  if (stat.kind === 'flag') return episodes.length ? vs.filter((v) => v === 1).length / episodes.length : null;
  return mean(vs);
}

/** The tracked agent's influence at the step of `stat`'s event against the rest of the episode. */
export function influenceAtEvent(episodes: EpisodeRecord[], stat: GameStat): InfluenceAtEvent | null {
  const at: number[] = [], rest: number[] = [];
  let peak = 0;
  for (const e of episodes) {
    const step = e.game[stat.name];
    if (!e.influence || step === null || step === undefined || step < 1 || step > e.influence.length) continue;
    const c = e.influence[step - 1];
    const others = e.influence.filter((_, t) => t !== step - 1);
    at.push(c);
    rest.push(mean(others) ?? 0);
    if (others.every((x) => x <= c)) peak++;
  }
  return at.length ? { episodes: at.length, atEvent: mean(at)!, elsewhere: mean(rest)!, peakAtEvent: peak } : null;
}

/** Summaries per group, in the order groups first appear in `runs`. */
export function summarizeGroups(runs: RunRecord[], stats: readonly GameStat[], episodeLength: number, level = 0.95): GroupSummary[] {
  const order = [...new Set(runs.map((r) => r.group))];
  return order.map((group) => {
    const rs = runs.filter((r) => r.group === group);
    const values = rs.map((r) => Object.fromEntries(stats.map((st) => [st.name, runValue(r.episodes, st)])) as Record<string, number | null>);
    const histograms: GroupSummary['histograms'] = {};
    const influence: GroupSummary['influence'] = {};
    for (const st of stats.filter((s) => s.kind === 'step')) {
      const counts = new Array(episodeLength).fill(0);
      let episodes = 0;
      for (const r of rs) {
        for (const e of r.episodes) {
          episodes++;
          const v = e.game[st.name];
          if (v !== null && v !== undefined && v >= 1 && v <= episodeLength) counts[v - 1]++;
        }
      }
      histograms[st.name] = { counts, episodes };
      influence[st.name] = influenceAtEvent(rs.flatMap((r) => r.episodes), st);
    }
    return {
      group, model: rs[0].model,
      runs: rs.map((r, k) => ({ dir: r.dir, seed: r.seed, envSteps: r.envSteps, checkpoint: r.checkpoint, episodes: r.episodes.length, values: values[k] })),
      stats: Object.fromEntries(stats.map((st) => [st.name, summarize(values.map((v) => v[st.name]), level)])),
      collective: summarize(rs.map((r) => mean(r.episodes.map((e) => e.collective))), level),
      histograms, influence,
    };
  });
}

const FONT = 'DejaVu Sans';
const CONFIG = {
  font: FONT,
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 260 },
  header: { labelFontSize: 12, labelFont: FONT },
  view: { stroke: '#ccc' },
};
const frame = (title: string, subtitle: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  padding: 12, background: 'white', title: { text: title, subtitle, anchor: 'start' }, config: CONFIG,
});
/** Facet panels are labelled above, from the left. */
const HEADER = { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelAlign: 'left', labelFontWeight: 'bold' };
const pct = (level: number) => `${+(100 * level).toFixed(2)}%`;

/** A flag statistic per group: a bar at the mean over seeds of the fraction of episodes, its Student-t
 * interval, and each seed as a dot. */
export function flagSpec(groups: GroupSummary[], stat: GameStat, title: string, level = 0.95): Record<string, unknown> {
  const bars = groups.map((g) => {
    const s = g.stats[stat.name];
    return { group: g.group, mean: s?.mean ?? null, low: s?.ci != null ? Math.max(0, s.mean - s.ci) : null, high: s?.ci != null ? Math.min(1, s.mean + s.ci) : null, n: s?.n ?? 0 };
  });
  const dots = groups.flatMap((g) => g.runs.map((r) => ({ group: g.group, value: r.values[stat.name], seed: r.seed })));
  const episodes = groups.flatMap((g) => g.runs.map((r) => r.episodes));
  const per = Math.min(...episodes) === Math.max(...episodes) ? `${episodes[0]} episodes per seed` : `${Math.min(...episodes)}-${Math.max(...episodes)} episodes per seed`;
  const x = { field: 'group', type: 'nominal', title: null, sort: groups.map((g) => g.group), axis: { labelAngle: 0, labelLimit: 200 } };
  const y = { type: 'quantitative', title: `fraction of episodes: ${stat.name.replace(/_/g, ' ')}`, scale: { domain: [0, 1] } };
  return {
    ...frame(title, `bar: mean over seeds (${per}); line: ${pct(level)} Student-t interval; dots: seeds`),
    width: Math.max(240, 110 * groups.length), height: 320,
    layer: [
      { data: { values: bars }, mark: { type: 'bar', color: '#9ecae1', width: { band: 0.6 } }, encoding: { x, y: { ...y, field: 'mean' } } },
      { data: { values: bars.filter((b) => b.low !== null) }, mark: { type: 'rule', strokeWidth: 2, color: '#08519c' }, encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } } },
      { data: { values: dots }, mark: { type: 'point', filled: true, size: 40, color: '#333', opacity: 0.8 }, encoding: { x, y: { ...y, field: 'value' } } },
      { data: { values: bars }, mark: { type: 'text', dy: -8, fontSize: 12 }, encoding: { x, y: { ...y, field: 'mean' }, text: { field: 'mean', format: '.0%' } } },
    ],
  };
}

/** A step statistic per group: how many episodes had the event at each step (one panel per group). */
export function histogramSpec(groups: GroupSummary[], stat: GameStat, episodeLength: number, title: string): Record<string, unknown> {
  const rows = groups.flatMap((g) => {
    const h = g.histograms[stat.name];
    return h.counts.map((count, k) => ({ group: `${g.group}: ${h.counts.reduce((a, c) => a + c, 0)} of ${h.episodes} episodes`, lo: k + 0.5, hi: k + 1.5, count }));
  });
  return {
    ...frame(title, 'episodes of every seed together; a bar per step'),
    data: { values: rows },
    facet: { row: { field: 'group', type: 'nominal', title: null, sort: null, header: HEADER } },
    spec: {
      width: 640, height: 110,
      mark: { type: 'rect', color: '#6a51a3', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'lo', type: 'quantitative', title: `step of the episode (${stat.name.replace(/_/g, ' ')})`, scale: { domain: [0.5, episodeLength + 0.5], nice: false }, axis: { format: 'd', tickMinStep: 1 } },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', title: 'episodes', scale: { zero: true }, axis: { format: 'd', tickMinStep: 1 } },
        y2: { datum: 0 },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** One episode's influence trace per group: the tracked agent's c_k at each step, a dashed rule at the step
 * of the event. */
export function influenceEpisodeSpec(traces: { group: string; label: string; influence: number[]; event: number | null }[], stat: GameStat, title: string): Record<string, unknown> {
  const points = traces.flatMap((tr) => tr.influence.map((c, t) => ({ group: tr.label, step: t + 1, c })));
  const rules = traces.filter((tr) => tr.event !== null).map((tr) => ({ group: tr.label, step: tr.event }));
  return {
    ...frame(title, `dashed line: the episode's ${stat.name.replace(/_/g, ' ')}`),
    facet: { row: { field: 'group', type: 'nominal', title: null, sort: null, header: HEADER } },
    data: { values: [...points.map((p) => ({ ...p, kind: 'c' })), ...rules.map((r) => ({ ...r, kind: 'event' }))] },
    spec: {
      width: 640, height: 120,
      layer: [
        { transform: [{ filter: "datum.kind === 'c'" }], mark: { type: 'line', color: '#08519c', strokeWidth: 2, point: { size: 12, color: '#08519c' } },
          encoding: { x: { field: 'step', type: 'quantitative', title: 'step of the episode', axis: { format: 'd', tickMinStep: 1 } }, y: { field: 'c', type: 'quantitative', title: 'influence (nats)' } } },
        { transform: [{ filter: "datum.kind === 'event'" }], mark: { type: 'rule', color: '#cb181d', strokeDash: [5, 4], strokeWidth: 2 },
          encoding: { x: { field: 'step', type: 'quantitative' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The report as Markdown: a table of the game's statistics per group, then the influence at the events. */
export function gameReportMarkdown(title: string, groups: GroupSummary[], stats: readonly GameStat[], level: number, figures: string[]): string[] {
  const fmtPct = (s: Summary | null) => (s ? `${(100 * s.mean).toFixed(0)}%${s.ci !== null ? ` ± ${(100 * s.ci).toFixed(0)}` : ''} (${s.n})` : 'n/a');
  const fmt = (s: Summary | null, d = 1) => (s ? `${s.mean.toFixed(d)}${s.ci !== null ? ` ± ${s.ci.toFixed(d)}` : ''} (${s.n})` : 'n/a');
  const lines = [`# ${title}`, ''];
  const head = ['group', 'seeds', 'episodes', ...stats.map((s) => s.name), 'collective return'];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const g of groups) {
    lines.push(`| ${[g.group, String(g.runs.length), String(g.runs.reduce((a, r) => a + r.episodes, 0)),
      ...stats.map((s) => (s.kind === 'flag' ? fmtPct(g.stats[s.name]) : fmt(g.stats[s.name]))), fmt(g.collective)].join(' | ')} |`);
  }
  lines.push('', `Mean over seeds ± the half-width of its ${pct(level)} Student-t interval (number of seeds). A flag is the fraction of a seed's ` +
    'episodes in which it was 1; a step the mean step where its event happened; a count the mean per episode.', '');
  for (const st of stats.filter((s) => s.kind === 'step')) {
    const withInfluence = groups.filter((g) => g.influence[st.name]);
    if (!withInfluence.length) continue;
    lines.push(`Influence of agent 0 at ${st.name} (the step of the event) against the other steps of the same episodes:`, '',
      '| group | episodes | c at the event (nats) | c elsewhere (nats) | ratio | episodes whose largest c is at the event |', '|---|---|---|---|---|---|');
    for (const g of withInfluence) {
      const i = g.influence[st.name]!;
      lines.push(`| ${g.group} | ${i.episodes} | ${i.atEvent.toFixed(4)} | ${i.elsewhere.toFixed(4)} | ${i.elsewhere > 0 ? (i.atEvent / i.elsewhere).toFixed(1) : 'n/a'} | ${i.peakAtEvent} (${(100 * i.peakAtEvent / i.episodes).toFixed(0)}%) |`);
    }
    lines.push('');
  }
  for (const f of figures) lines.push(`![${f}](${f})`, '');
  return lines;
}

// commons game-report: a game's own statistics of trained runs (for Box trapped, the paper's Figs. 11-13).
// Each run's policy plays episodes (as commons eval does); per group of runs the report gives each 'flag'
// statistic as the fraction of episodes (mean over seeds, Student-t interval), the distribution of each
// 'step' statistic over the steps of an episode, the influence of agent 0 at that step against the other
// steps, one episode's influence trace, and the flags' learning curves from metrics.jsonl. The figures
// and tables are made in src/plot/game-stats.ts; this file reads runs, plays and writes.

import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GAMES, gameInfo, type GameDefinition } from '../env/games.ts';
import { evaluateWithMeasures } from '../learn/evaluate.ts';
import { modelOf } from '../learn/models/registry.ts';
import { loadPolicy } from '../hosting/run-dir.ts';
import { listCheckpoints } from '../hosting/checkpoint.ts';
import { readSweep, runDirOf } from '../sweep/store.ts';
import { loadRun, groupRuns, curvesSpec, renderVegaLite, type Run } from '../plot/curves.ts';
import {
  summarizeGroups, flagSpec, histogramSpec, influenceEpisodeSpec, gameReportMarkdown, type RunRecord, type EpisodeRecord,
} from '../plot/game-stats.ts';
import { parseCommand, str, intFlag, numFlag, UsageError, type CommandSpec } from './args.ts';
import { ensureDir, fsReason } from '../util/node-paths.ts';
import { warn } from './io.ts';

export const GAME_REPORT: CommandSpec = {
  name: 'game-report',
  summary: 'a game\'s own statistics of trained runs (Box trapped: how often and when the box is opened), with figures',
  usage: ['game-report SWEEP_DIR|RUN [RUN ...] --out DIR [--episodes 100] [--seed 0] [--greedy] [--checkpoint step-...] [--ci 0.95]'],
  about: `For games that keep statistics of their own (Box trapped: box_opened, open_step, open_actions; docs/RULES.md).
The newest checkpoint of every run (of a sweep directory: every run that has one; --checkpoint: the one of that
id in every run, e.g. an early one) plays --episodes episodes
(episode k seeded --seed + k, as commons eval). Per group of runs (a sweep's groups, or model and the settings in
which runs differ): each flag as the fraction of episodes, mean over seeds with its Student-t interval; each step
statistic's distribution over the episode (all seeds together); agent 0's influence at that step against the
other steps; one episode's influence trace; and each flag's learning curve (metrics.jsonl game_stats). Writes
into DIR: game-report.md, game-report.json, and per statistic STAT.png (and .svg), STAT-steps.png,
STAT-curves.png, influence-episode.png.`,
  positionals: true,
  flags: {
    out: { arg: 'DIR', help: 'the directory to write the report into (created; files in it are replaced)' },
    episodes: { arg: 'N', help: 'episodes each run plays; 1 to 100000', default: '100 (the paper\'s Fig. 12)' },
    seed: { arg: 'N', help: 'seed of the episodes (episode k: seed + k) and of the action sampling', default: '0' },
    greedy: { type: 'boolean', help: 'take the most probable action instead of sampling' },
    checkpoint: { arg: 'ID', help: 'the checkpoint every run plays (step-...), e.g. an early one', default: 'each run\'s newest intact' },
    ci: { arg: 'LEVEL', help: 'confidence level of the intervals over seeds, from 0.5 to 0.999', default: '0.95' },
  },
};

interface Target { dir: string; group?: string }

/** The runs to evaluate: a sweep directory's runs that have a checkpoint, or the run directories given. */
function targets(positionals: string[], log: (l: string) => void): { runs: Target[]; gridKeys: string[] | null } {
  if (positionals.length === 0) throw new UsageError('no runs given: commons game-report SWEEP_DIR|RUN [RUN ...] --out DIR');
  if (positionals.length === 1 && existsSync(join(positionals[0], 'sweep.json'))) {
    const dir = positionals[0];
    const sweep = readSweep(dir, 'SWEEP_DIR');
    const runs: Target[] = [];
    for (const r of sweep.runs) {
      const runDir = runDirOf(dir, r.id);
      if (!existsSync(runDir) || listCheckpoints(runDir).length === 0) continue;
      runs.push({ dir: runDir, group: r.group.startsWith(`${r.game}-`) ? r.group.slice(r.game.length + 1) : r.group });
    }
    if (runs.length < sweep.runs.length) log(`${sweep.runs.length - runs.length} of ${sweep.runs.length} runs of ${dir} have no checkpoint yet and are left out`);
    if (runs.length === 0) throw new UsageError(`SWEEP_DIR: no run of ${dir} has a checkpoint yet (commons sweep status ${dir})`);
    return { runs, gridKeys: Object.keys(sweep.spec.grid) };
  }
  return { runs: positionals.map((dir) => ({ dir })), gridKeys: null };
}

export async function gameReportCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(argv, GAME_REPORT);
  const dest = str(values, 'out');
  if (!dest) throw new UsageError('--out is required: the directory to write the report into, e.g. --out results/box-trapped');
  const episodes = intFlag('episodes', str(values, 'episodes'), 100, 1, 100_000);
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const level = numFlag('ci', str(values, 'ci'), 0.5, 0.999) ?? 0.95;
  const greedy = Boolean(values.greedy);
  const log = (l: string) => warn('game-report', l);
  const { runs: wanted, gridKeys } = targets(positionals, log);
  const loaded: Run[] = wanted.map((t) => loadRun(t.dir));
  const games = [...new Set(loaded.map((r) => r.game))];
  if (games.length > 1) throw new UsageError(`runs of different games cannot share a report: ${games.join(', ')}`);
  const def: GameDefinition = gameInfo(games[0]);
  if (def.stats.length === 0) {
    throw new UsageError(`${def.name} keeps no statistics of its own; game-report is for games that do (${GAMES.filter((g) => gameInfo(g).stats.length).join(', ')}). ` +
      'For the social outcome metrics use commons compare or commons sweep report');
  }
  const labels = gridKeys ? null : groupRuns(loaded);
  const labelOf = (k: number) => wanted[k].group ?? labels!.find((g) => g.runs.includes(loaded[k]))!.label;
  ensureDir('--out', dest);

  const records: RunRecord[] = [];
  let episodeLength = 0;
  for (const [k, t] of wanted.entries()) {
    const { cfg, agents, checkpoint, envSteps } = await loadPolicy(t.dir, { checkpoint: str(values, 'checkpoint'), batch: Math.min(episodes, 16), log });
    try {
      episodeLength = Math.max(episodeLength, cfg.episodeLength);
      const N = cfg.agents;
      const traced = !!modelOf(cfg.model).measuresInfluence;
      const traces = traced ? Array.from({ length: episodes }, () => new Array<number>(cfg.episodeLength).fill(0)) : null;
      const measured = await evaluateWithMeasures(cfg, agents, {
        episodes, greedy, seed,
        onStep: traces ? ({ t: step, firstEpisode, ck }) => {
          for (let b = 0; firstEpisode + b < episodes && b * N < ck.length; b++) traces[firstEpisode + b][step] = ck[b * N];
        } : undefined,
      });
      const eps: EpisodeRecord[] = measured.episodes.map((s, e) => ({
        seed: measured.seeds[e], game: s.game, collective: s.collectiveReturn, returns: s.returns,
        ...(traces ? { influence: traces[e] } : {}),
      }));
      records.push({ dir: t.dir, model: cfg.model, seed: cfg.seed, group: labelOf(k), envSteps, checkpoint, episodes: eps });
      const flags = def.stats.filter((s) => s.kind === 'flag').map((s) => `${s.name} ${eps.filter((e) => e.game[s.name] === 1).length}/${episodes}`);
      out(`${t.dir} @ ${checkpoint} (${envSteps.toLocaleString('en-US')} env steps): ${flags.join(', ')}`);
    } finally {
      agents.dispose();
    }
  }

  const groups = summarizeGroups(records, def.stats, episodeLength, level);
  const figures: string[] = [];
  const write = async (name: string, spec: Record<string, unknown>) => {
    const { svg, png } = await renderVegaLite(spec);
    try {
      writeFileSync(join(dest, `${name}.png`), png);
      writeFileSync(join(dest, `${name}.svg`), svg);
    } catch (e) {
      throw new UsageError(`--out: cannot write ${join(dest, name)}.png: ${fsReason(e)}`);
    }
    figures.push(`${name}.png`);
  };
  const title = def.title;
  for (const st of def.stats) {
    if (st.kind === 'flag') {
      await write(st.name, flagSpec(groups, st, `${title}: ${st.name.replace(/_/g, ' ')}, fraction of episodes`, level));
      const curves = loaded.filter((r) => r.rows.some((row) => typeof (row.game_stats as Record<string, unknown> | undefined)?.[st.name] === 'number'));
      if (curves.length) {
        // min..max over seeds stays inside [0, 1]; each line is one wave of episodes, so 5 are smoothed together
        const { spec } = curvesSpec(curves, { metric: `game_stats.${st.name}`, band: 'minmax', smooth: 5, groupBy: gridKeys ? ['model', ...gridKeys] : undefined,
          title: `${title}: ${st.name.replace(/_/g, ' ')} over training (fraction of episodes)` });
        await write(`${st.name}-curves`, spec);
      }
    } else if (st.kind === 'step') {
      await write(`${st.name}-steps`, histogramSpec(groups, st, episodeLength, `${title}: ${st.name.replace(/_/g, ' ')}, episodes per step`));
    }
  }
  // one episode's influence per group that measures influence: the first run's first episode with the event
  const step = def.stats.find((s) => s.kind === 'step');
  if (step) {
    const traces = groups.flatMap((g) => {
      const r = records.find((x) => x.group === g.group && x.episodes[0]?.influence);
      if (!r) return [];
      const e = r.episodes.find((x) => x.game[step.name] !== null) ?? r.episodes[0];
      return [{ group: g.group, label: `${g.group}, seed ${r.seed}, episode seed ${e.seed}`, influence: e.influence!, event: e.game[step.name] }];
    });
    if (traces.length) await write('influence-episode', influenceEpisodeSpec(traces, step, `${title}: agent 0's influence over one episode`));
  }

  const md = gameReportMarkdown(`${title}: ${records.length} runs, ${episodes} episodes each${greedy ? ' (greedy)' : ''}`, groups, def.stats, level, figures);
  const json = { game: def.name, version: def.version, episodes, seed, greedy, level, stats: def.stats, groups };
  try {
    writeFileSync(join(dest, 'game-report.md'), md.join('\n'));
    writeFileSync(join(dest, 'game-report.json'), JSON.stringify(json, null, 1) + '\n');
  } catch (e) {
    throw new UsageError(`--out: cannot write ${join(dest, 'game-report.md')}: ${fsReason(e)}`);
  }
  for (const l of md) out(l);
  out(`wrote ${resolve(dest)}: game-report.md, game-report.json, ${figures.join(', ')}`);
}

// commons eval: a trained run's policy plays episodes; prints per-episode returns and social outcomes, and
// every statistic's mean with its spread over the episodes.

import { evaluateWithMeasures } from '../learn/evaluate.ts';
import { loadPolicy } from '../hosting/run-dir.ts';
import { episodeJson } from '../env/random-rollout.ts';
import { summarize, equalityWeightedReturn, type Correlation } from '../util/stats.ts';
import { gameInfo } from '../env/games.ts';
import { parseCommand, str, intFlag, UsageError, type CommandSpec } from './args.ts';
import { warn } from './io.ts';

export const EVAL: CommandSpec = {
  name: 'eval',
  summary: 'play episodes with a trained policy; per-episode returns, social outcomes, means with spread',
  usage: [
    'eval --run runs/NAME [--checkpoint step-...] [--episodes 10] [--greedy] [--seed 0] [--json]',
    'eval --run checkpoint.tar [--episodes 10] [--greedy] [--seed 0] [--json]',
  ],
  about: `Plays episodes with the policy of a run's checkpoint (the newest that loads unless --checkpoint), or of a
checkpoint archive downloaded from the web app. Episode k's environment is seeded --seed + k (its "seed" in
--json); actions are sampled from one generator seeded --seed (--greedy takes the most probable action).
--json prints one object: the run, every episode, and under "mean" and "spread" each statistic's mean and its
std, min, max and n over the episodes (schemas/eval.schema.json). Each episode also has its equality-weighted
return R(1-G); for models that measure influence, the communication measures on influential moments (steps
where the speaker's influence is at least its mean) and the correlation of the influence each agent received
with its return (docs/metrics.md).`,
  flags: {
    run: { arg: 'RUN|FILE.tar', help: 'a run directory written by commons train, or a checkpoint archive (.tar)' },
    checkpoint: { arg: 'ID', help: 'the checkpoint of the run to play (step-...)', default: 'the newest intact' },
    episodes: { arg: 'N', help: 'episodes to play; 1 to 100000', default: '10' },
    greedy: { type: 'boolean', help: 'take the most probable action instead of sampling' },
    seed: { arg: 'N', help: 'seed of the episodes (episode k: seed + k) and of the action sampling', default: '0' },
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
  },
};

/** Per-episode statistics summarised in the mean and spread blocks. */
const STATS = ['collective_return', 'efficiency', 'equality', 'sustainability', 'peace', 'equality_weighted_return', 'apples_eaten', 'fire_actions', 'clean_actions', 'hits'] as const;

const fmtCorr = (c: Correlation) => (c.pearson === null ? `n/a (${c.n} agent-episodes, no spread)`
  : `Pearson r = ${c.pearson.toFixed(3)} (p = ${c.pearson_p! < 0.001 ? c.pearson_p!.toExponential(1) : c.pearson_p!.toFixed(3)}), Spearman rho = ${c.spearman!.toFixed(3)}, over ${c.n} agent-episodes`);

export async function evalCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parseCommand(argv, EVAL);
  const run = str(values, 'run');
  if (!run) throw new UsageError('--run is required: a run directory written by commons train, or a checkpoint archive (.tar)');
  const episodes = intFlag('episodes', str(values, 'episodes'), 10, 1, 100_000);
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const greedy = Boolean(values.greedy);
  const { cfg, agents, checkpoint, envSteps } = await loadPolicy(run, {
    checkpoint: str(values, 'checkpoint'), batch: Math.min(episodes, 16), log: (l) => warn('eval', l),
  });
  try {
    const measured = await evaluateWithMeasures(cfg, agents, { episodes, greedy, seed });
    const rows = measured.episodes.map((s, k) => {
      const row = episodeJson(measured.seeds[k], s);
      return { ...row, equality_weighted_return: equalityWeightedReturn(row.returns) };
    });
    const mean: Record<string, number | number[] | null> = {};
    const spread: Record<string, { std: number; min: number; max: number; n: number } | null> = {};
    for (const k of STATS) {
      const s = summarize(rows.map((r) => r[k]));
      mean[k] = s ? s.mean : null;
      spread[k] = s ? { std: s.std, min: s.min, max: s.max, n: s.n } : null;
    }
    mean.returns = Array.from({ length: cfg.agents }, (_, i) => rows.reduce((a, r) => a + r.returns[i], 0) / rows.length);
    // the game's own statistics (Box trapped): mean over the episodes where each has a value
    const own = gameInfo(cfg.game).stats;
    const ownValues = (name: string) => measured.episodes.map((e) => e.game[name]).filter((v): v is number => v !== null);
    const gameStats = Object.fromEntries(own.map((st) => {
      const v = ownValues(st.name);
      return [st.name, v.length ? v.reduce((a, x) => a + x, 0) / v.length : null];
    }));
    const summary = {
      run, checkpoint, env_steps: envSteps, game: cfg.game, model: cfg.model, algo: cfg.algo,
      agents: cfg.agents, greedy, seed, episodes: rows, mean: own.length ? { ...mean, game_stats: gameStats } : mean, spread,
      influence: measured.influence,
      ic_action_action: measured.comm.ic_action_action,
      ic_symbol_action: measured.comm.ic_symbol_action,
      speaker_consistency: measured.comm.speaker_consistency,
      influential: measured.comm.influential,
      influence_received: measured.received,
      influence_vs_return: measured.influenceVsReturn,
    };
    if (values.json) { out(JSON.stringify(summary)); return; }
    out(`${run} @ ${checkpoint} (${envSteps} env steps), ${cfg.model}/${cfg.algo} on ${cfg.game}, ${count(episodes, 'episode')}, ${greedy ? 'greedy' : 'sampled'} actions`);
    for (const [k, r] of rows.entries()) {
      out(`episode ${k} (seed ${r.seed}): collective ${r.collective_return}, returns [${r.returns.join(', ')}], equality ${r.equality?.toFixed(3) ?? 'n/a'}, ` +
        `sustainability ${r.sustainability?.toFixed(1) ?? 'n/a'}, peace ${r.peace.toFixed(2)}`);
    }
    if (measured.influence) {
      out(`influence (mean c_kj per step, row k influences column j; total ${measured.influence.total.toFixed(4)} nats):`);
      for (const row of measured.influence.matrix) out('  ' + row.map((x) => x.toFixed(4).padStart(8)).join(''));
    }
    const ic = measured.comm.ic_action_action;
    const sc = measured.comm.speaker_consistency, ics = measured.comm.ic_symbol_action;
    if (sc) out(`speaker consistency: max ${sc.max.toFixed(3)}, mean ${sc.mean.toFixed(3)} (shuffled baseline max ${sc.baseline?.max?.toFixed(3) ?? 'n/a'})`);
    if (ics) out(`instantaneous coordination, symbol/action: max ${ics.max.toFixed(4)} nats (shuffled baseline ${ics.baseline?.max?.toFixed(4) ?? 'n/a'}), mean ${ics.mean.toFixed(4)}`);
    if (ic) out(`instantaneous coordination, action/action: max ${ic.max.toFixed(4)} nats (shuffled baseline ${ic.baseline?.max?.toFixed(4) ?? 'n/a'}), mean ${ic.mean.toFixed(4)}`);
    const inf = measured.comm.influential;
    if (inf) {
      const f = (x: number | undefined | null, d: number) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');
      out(`on influential moments (speaker's influence >= its mean: ${inf.fraction.map((x) => `${(100 * x).toFixed(1)}%`).join(', ')} of steps per agent):`);
      if (inf.speaker_consistency) out(`  speaker consistency: max ${f(inf.speaker_consistency.max, 3)}, mean ${f(inf.speaker_consistency.mean, 3)} (shuffled baseline max ${f(inf.speaker_consistency.baseline?.max, 3)})`);
      if (inf.ic_symbol_action) out(`  instantaneous coordination, symbol/action: max ${f(inf.ic_symbol_action.max, 4)} nats (shuffled baseline ${f(inf.ic_symbol_action.baseline?.max, 4)}), mean ${f(inf.ic_symbol_action.mean, 4)}`);
      if (inf.ic_action_action) out(`  instantaneous coordination, action/action: max ${f(inf.ic_action_action.max, 4)} nats (shuffled baseline ${f(inf.ic_action_action.baseline?.max, 4)}), mean ${f(inf.ic_action_action.mean, 4)}`);
    }
    if (measured.influenceVsReturn) out(`influence received vs individual return: ${fmtCorr(measured.influenceVsReturn)}`);
    for (const st of own) {
      const v = ownValues(st.name), m = gameStats[st.name];
      if (st.kind === 'flag') out(`${st.name}: ${v.filter((x) => x === 1).length} of ${count(rows.length, 'episode')} (${st.meaning})`);
      else if (st.kind === 'step') out(`${st.name}: ${m === null ? 'never' : `mean ${m.toFixed(1)} over ${count(v.length, 'episode')}, ${Math.min(...v)}..${Math.max(...v)}`} (${st.meaning})`);
      else out(`${st.name}: mean ${m === null ? 'n/a' : m.toFixed(2)} per episode (${st.meaning})`);
    }
    out(`over ${count(rows.length, 'episode')} (mean, std, min..max):`);
    for (const k of STATS) {
      const m = mean[k] as number | null, s = spread[k];
      const d = k === 'efficiency' || k === 'equality' ? 3 : 2;
      const name = k === 'equality_weighted_return' ? 'R(1-G)' : k.replace(/_/g, ' ');
      out(`  ${name.padEnd(18)} ${m === null ? 'n/a' : `${m.toFixed(d)}, std ${s!.std.toFixed(d)}, ${s!.min.toFixed(d)}..${s!.max.toFixed(d)}${s!.n < rows.length ? ` (${count(s!.n, 'episode')} with a value)` : ''}`}`);
    }
  } finally {
    agents.dispose();
  }
}

/** "1 episode", "4 episodes". */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

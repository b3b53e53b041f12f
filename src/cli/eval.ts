// commons eval: a trained run's policy plays episodes; prints per-episode returns and social outcomes.

import { loadPolicy, evaluateWithMeasures } from '../learn/evaluate.ts';
import { episodeJson } from '../env/random-rollout.ts';
import { parse, intFlag, UsageError } from './args.ts';

export const EVAL_HELP = `commons eval --run runs/NAME [--checkpoint ID] [--episodes 10] [--greedy] [--seed 0] [--json]
  Plays episodes with a trained run's policy (its latest checkpoint unless --checkpoint step-...), sampling
  actions or, with --greedy, taking the most probable; prints per-episode returns and social outcome metrics.`;

export async function evalCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parse(argv, {
    run: { type: 'string' }, checkpoint: { type: 'string' }, episodes: { type: 'string' }, greedy: { type: 'boolean' },
    seed: { type: 'string' }, json: { type: 'boolean' },
  });
  if (!values.run) throw new UsageError('--run is required: a run directory written by commons train');
  const episodes = intFlag('episodes', values.episodes, 10, 1, 100_000);
  const seed = intFlag('seed', values.seed, 0, 0);
  const { cfg, agents, checkpoint, envSteps } = await loadPolicy(values.run, { checkpoint: values.checkpoint, batch: Math.min(episodes, 16) });
  try {
    const measured = await evaluateWithMeasures(cfg, agents, { episodes, greedy: values.greedy, seed });
    const stats = measured.episodes;
    const rows = stats.map((s, k) => episodeJson(seed + Math.floor(k / agents.B), s));
    const mean = (f: (r: (typeof rows)[number]) => number | null) => {
      const xs = rows.map(f).filter((x): x is number => x !== null);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    };
    const summary = {
      run: values.run, checkpoint, env_steps: envSteps, game: cfg.game, model: cfg.model, algo: cfg.algo,
      agents: cfg.agents, greedy: Boolean(values.greedy), episodes: rows,
      mean: {
        collective_return: mean((r) => r.collective_return), efficiency: mean((r) => r.efficiency),
        equality: mean((r) => r.equality), sustainability: mean((r) => r.sustainability), peace: mean((r) => r.peace),
      },
      influence: measured.influence,
      ic_action_action: measured.comm.ic_action_action,
      ic_symbol_action: measured.comm.ic_symbol_action,
      speaker_consistency: measured.comm.speaker_consistency,
    };
    if (values.json) { out(JSON.stringify(summary)); return; }
    out(`${values.run} @ ${checkpoint} (${envSteps} env steps), ${cfg.model}/${cfg.algo} on ${cfg.game}, ${episodes} episodes, ${values.greedy ? 'greedy' : 'sampled'} actions`);
    for (const [k, r] of rows.entries()) {
      out(`episode ${k}: collective ${r.collective_return}, returns [${r.returns.join(', ')}], equality ${r.equality?.toFixed(3) ?? 'n/a'}, ` +
        `sustainability ${r.sustainability?.toFixed(1) ?? 'n/a'}, peace ${r.peace.toFixed(2)}`);
    }
    const m = summary.mean;
    if (measured.influence) {
      out(`influence (mean c_kj per step, row k influences column j; total ${measured.influence.total.toFixed(4)} nats):`);
      for (const row of measured.influence.matrix) out('  ' + row.map((x) => x.toFixed(4).padStart(8)).join(''));
    }
    const ic = measured.comm.ic_action_action;
    const sc = measured.comm.speaker_consistency, ics = measured.comm.ic_symbol_action;
    if (sc) out(`speaker consistency: max ${sc.max.toFixed(3)}, mean ${sc.mean.toFixed(3)} (shuffled baseline max ${sc.baseline?.max?.toFixed(3) ?? 'n/a'})`);
    if (ics) out(`instantaneous coordination, symbol/action: max ${ics.max.toFixed(4)} nats (shuffled baseline ${ics.baseline?.max?.toFixed(4) ?? 'n/a'}), mean ${ics.mean.toFixed(4)}`);
    if (ic) out(`instantaneous coordination, action/action: max ${ic.max.toFixed(4)} nats (shuffled baseline ${ic.baseline?.max?.toFixed(4) ?? 'n/a'}), mean ${ic.mean.toFixed(4)}`);
    out(`mean: collective ${m.collective_return?.toFixed(2)}, efficiency ${m.efficiency?.toFixed(3)}, equality ${m.equality?.toFixed(3) ?? 'n/a'}, ` +
      `sustainability ${m.sustainability?.toFixed(1) ?? 'n/a'}, peace ${m.peace?.toFixed(2)}`);
  } finally {
    agents.dispose();
  }
}

// commons rollout: random-policy episodes and their statistics, as JSON or a table.

import { createVecEnv } from '../env/vec-env.ts';
import { GAMES, gameInfo } from '../env/games.ts';
import { randomEpisode, episodeJson } from '../env/random-rollout.ts';
import { parse, intFlag, choiceFlag } from './args.ts';

export const ROLLOUT_HELP = `commons rollout --game harvest|cleanup [--agents 5] [--steps 1000] [--seed 0] [--episodes 1] [--policy random] [--json]
  Plays episodes with a uniformly random policy; episode i uses seed S+i for the environment and the policy.
  --json prints { game, version, agents, steps, episodes: [...] }; otherwise a table.`;

export async function rolloutCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parse(argv, {
    game: { type: 'string' }, agents: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' },
    episodes: { type: 'string' }, policy: { type: 'string' }, json: { type: 'boolean' }, 'tag-timeout': { type: 'string' },
  });
  const game = choiceFlag('game', values.game, GAMES);
  const agents = intFlag('agents', values.agents, 5, 1, 255);
  const steps = intFlag('steps', values.steps, 1000, 1, 1_000_000);
  const seed = intFlag('seed', values.seed, 0, 0);
  const episodes = intFlag('episodes', values.episodes, 1, 1, 100_000);
  const tagTimeout = intFlag('tag-timeout', values['tag-timeout'], 0, 0);
  choiceFlag('policy', values.policy, ['random'] as const, 'random');

  const env = await createVecEnv({ game, numEnvs: 1, numAgents: agents, seed, episodeLength: steps, tagTimeout });
  const rows = [];
  for (let e = 0; e < episodes; e++) rows.push(episodeJson(seed + e, randomEpisode(env, seed + e)[0]));
  env.close();
  if (values.json) {
    out(JSON.stringify({ game, version: gameInfo(game).version, agents, steps, episodes: rows }));
    return;
  }
  const fmt = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  out(`${gameInfo(game).version}: ${agents} agents, ${steps} steps, random policy`);
  out(['seed', 'collective', 'apples', 'fires', 'cleans', 'hits', 'efficiency', 'equality', 'sustain.', 'peace']
    .map((h) => h.padStart(11)).join(''));
  for (const r of rows) {
    out([String(r.seed), String(r.collective_return), String(r.apples_eaten), String(r.fire_actions),
      String(r.clean_actions), String(r.hits), fmt(r.efficiency, 3), fmt(r.equality, 3), fmt(r.sustainability, 1),
      fmt(r.peace, 2)].map((c) => c.padStart(11)).join(''));
  }
}

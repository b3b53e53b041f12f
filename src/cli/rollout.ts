// commons rollout: random-policy episodes and their statistics, as JSON or a table.

import { createVecEnv } from '../env/vec-env.ts';
import { GAMES, gameInfo, perGameText } from '../env/games.ts';
import { randomEpisode, episodeJson } from '../env/random-rollout.ts';
import { parseCommand, str, intFlag, choiceFlag, type CommandSpec } from './args.ts';

export const ROLLOUT: CommandSpec = {
  name: 'rollout',
  summary: 'play episodes with a uniformly random policy and print their statistics',
  usage: [`rollout --game ${GAMES.join('|')} [--agents N] [--steps N] [--seed 0] [--episodes 1] [--policy random] [--tag-timeout 0] [--json]`],
  about: `Episode i uses seed S+i for the environment and the policy. --json prints { game, version, agents, steps,
episodes: [...] }; otherwise a table.`,
  flags: {
    game: { arg: GAMES.join('|'), help: 'the game (required)' },
    agents: { arg: 'N', help: 'agents; 1 to the map\'s spawn points', default: perGameText('defaultAgents') },
    steps: { arg: 'N', help: 'steps per episode', default: perGameText('episodeLength') },
    seed: { arg: 'N', help: 'seed of the first episode', default: '0' },
    episodes: { arg: 'N', help: 'episodes to play', default: '1' },
    policy: { arg: 'random', help: 'the policy (only random)', default: 'random' },
    'tag-timeout': { arg: 'N', help: 'steps a FIRE hit removes an agent for; 0 keeps it in play', default: '0' },
    json: { type: 'boolean', help: 'print JSON instead of a table' },
  },
};

export async function rolloutCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parseCommand(argv, ROLLOUT);
  const game = choiceFlag('game', str(values, 'game'), GAMES);
  const def = gameInfo(game);
  const agents = intFlag('agents', str(values, 'agents'), def.defaultAgents, 1, 255);
  const steps = intFlag('steps', str(values, 'steps'), def.episodeLength, 1, 1_000_000);
  const seed = intFlag('seed', str(values, 'seed'), 0, 0);
  const episodes = intFlag('episodes', str(values, 'episodes'), 1, 1, 100_000);
  const tagTimeout = intFlag('tag-timeout', str(values, 'tag-timeout'), 0, 0, 1_000_000);
  choiceFlag('policy', str(values, 'policy'), ['random'] as const, 'random');

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
  // the game's own statistics (its definition's) after the shared ones
  const own = def.stats.map((st) => st.name);
  const w = Math.max(11, ...own.map((n) => n.length + 1));
  out([...['seed', 'collective', 'apples', 'fires', 'cleans', 'hits', 'efficiency', 'equality', 'sustain.', 'peace'].map((h) => h.padStart(11)),
    ...own.map((h) => h.padStart(w))].join(''));
  for (const r of rows) {
    out([...[String(r.seed), String(r.collective_return), String(r.apples_eaten), String(r.fire_actions),
      String(r.clean_actions), String(r.hits), fmt(r.efficiency, 3), fmt(r.equality, 3), fmt(r.sustainability, 1),
      fmt(r.peace, 2)].map((c) => c.padStart(11)), ...own.map((n) => String(r.game?.[n] ?? 'n/a').padStart(w))].join(''));
  }
}

// Random-policy episodes: the baseline every statistic is compared against, and the source of the
// `commons rollout` figures. The policy draws each agent's action uniformly over the game's actions from
// its own generator seeded by the episode's seed, independent of the environment's generator.

import { Rng } from '../util/rng.ts';
import type { EpisodeStats, VecEnv } from './vec-env.ts';

/** Runs one full episode of every env in `env` with uniform random actions, from a reset with `seed`.
 * Calls `onStep` after each step (for renderers). Returns each env's episode statistics. */
export function randomEpisode(env: VecEnv, seed: number, onStep?: (t: number) => void): EpisodeStats[] {
  const { numEnvs: B, numActions, episodeLength: T } = env.spec;
  const rng = new Rng(seed);
  env.reset(seed);
  for (let t = 1; t <= T; t++) {
    rng.fillBelow(env.actions, numActions);
    env.step();
    onStep?.(t);
  }
  const out: EpisodeStats[] = [];
  for (let b = 0; b < B; b++) {
    const s = env.lastEpisode(b);
    if (!s) throw new Error(`randomEpisode: env ${b} did not finish an episode in ${T} steps`);
    out.push(s);
  }
  return out;
}

/** The `commons rollout --json` shape of one episode (snake_case, totals over agents). */
export function episodeJson(seed: number, s: EpisodeStats) {
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  return {
    seed,
    returns: s.returns,
    collective_return: s.collectiveReturn,
    apples_eaten: sum(s.applesEaten),
    fire_actions: sum(s.fireActions),
    clean_actions: sum(s.cleanActions),
    hits: sum(s.hitsReceived),
    apples_series: Array.from(s.applesSeries),
    waste_series: Array.from(s.wasteSeries),
    // the game's own statistics, for games that keep any (Box trapped)
    ...(Object.keys(s.game).length > 0 ? { game: s.game } : {}),
    efficiency: s.efficiency,
    equality: s.equality,
    sustainability: s.sustainability,
    peace: s.peace,
  };
}

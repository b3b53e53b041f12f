// Shared test helpers: build a scenario from an ASCII picture, step it, read it back as ASCII.

import { createVecEnv, type VecEnv, type EnvConfig } from '../src/env/vec-env.ts';
import { toAscii } from '../src/env/ascii.ts';
import type { GameName } from '../src/env/games.ts';

const ORI = { U: 0, R: 1, D: 2, L: 3 } as const;

/**
 * A one-env scenario. `rows` is a map in docs/RULES.md characters where the digits '0'..'9' put agent i on
 * that (floor) cell; `facing` gives each agent's orientation as a letter U, R, D, L (agent 0 first).
 * The digit cells become spawn points, so the map needs no 'P'. The reset's spawning phase runs
 * before the agents are placed, as in a real reset.
 */
export async function scenario(game: GameName, rows: string[], facing: string, extra: Partial<EnvConfig> = {}): Promise<VecEnv> {
  const places: { row: number; col: number }[] = [];
  const map = rows.map((row, r) =>
    row.replace(/[0-9]/g, (d, c: number) => {
      places[Number(d)] = { row: r, col: c };
      return 'P';
    }),
  );
  const n = places.length;
  if (facing.length !== n) throw new Error(`scenario: ${n} agents but facing '${facing}'`);
  const env = await createVecEnv({ game, map, numAgents: n, numEnvs: 1, seed: 1, ...extra });
  // Take everyone off first so that placing agent i never finds another agent on its cell.
  for (let i = 0; i < n; i++) env.internals.placeAgent(0, i, -1, 0, 0);
  for (let i = 0; i < n; i++) {
    const o = ORI[facing[i] as keyof typeof ORI];
    if (o === undefined) throw new Error(`scenario: facing '${facing[i]}' is not one of U, R, D, L`);
    env.internals.placeAgent(0, i, places[i].row, places[i].col, o);
  }
  env.internals.refresh(0);
  return env;
}

/** Steps env 0 once with the given actions (one per agent) and returns its map as ASCII. */
export function stepAscii(env: VecEnv, actions: number[]): string[] {
  env.step(actions);
  return toAscii(env, 0);
}

export { toAscii };

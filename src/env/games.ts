// What the host knows about each game: its version, actions and default map. The rules themselves live
// in the core (assembly/games/*.ts), whose headers state them.

import { CLEANUP_MAP, HARVEST_MAP } from './maps.ts';
import { InputError } from '../util/errors.ts';

export type GameName = 'harvest' | 'cleanup';
export const GAMES: readonly GameName[] = ['harvest', 'cleanup'];

const MOVES_AND_TURNS = [
  'MOVE_LEFT', 'MOVE_RIGHT', 'MOVE_UP', 'MOVE_DOWN', 'STAY', 'TURN_CLOCKWISE', 'TURN_COUNTERCLOCKWISE',
] as const;

export interface GameInfo {
  /** Core id: 0 Harvest, 1 Cleanup. */
  id: number;
  /** Behaviour version: bumped only when the rules change, never for a speed-up. */
  version: string;
  actionNames: readonly string[];
  defaultMap: readonly string[];
}

export const GAME_INFO: Record<GameName, GameInfo> = {
  harvest: {
    id: 0,
    version: 'harvest_v1',
    actionNames: [...MOVES_AND_TURNS, 'FIRE'],
    defaultMap: HARVEST_MAP,
  },
  cleanup: {
    id: 1,
    version: 'cleanup_v1',
    actionNames: [...MOVES_AND_TURNS, 'FIRE', 'CLEAN'],
    defaultMap: CLEANUP_MAP,
  },
};

/** Action indices shared by both games (docs/RULES.md "Agents and actions"). */
export const ACTION = {
  MOVE_LEFT: 0, MOVE_RIGHT: 1, MOVE_UP: 2, MOVE_DOWN: 3, STAY: 4,
  TURN_CLOCKWISE: 5, TURN_COUNTERCLOCKWISE: 6, FIRE: 7, CLEAN: 8,
} as const;

/** Orientation codes used by the core. */
export const ORIENTATION = { UP: 0, RIGHT: 1, DOWN: 2, LEFT: 3 } as const;

export function gameInfo(game: unknown): GameInfo & { name: GameName } {
  if (typeof game !== 'string' || !(GAMES as readonly string[]).includes(game)) {
    throw new InputError(`game: unknown game ${JSON.stringify(game)}; allowed values: ${GAMES.join(', ')}`);
  }
  return { ...GAME_INFO[game as GameName], name: game as GameName };
}

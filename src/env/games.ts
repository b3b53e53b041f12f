// The table of games. A game is one rules file in the core (assembly/games/NAME.ts, listed in
// assembly/games.ts) and one definition here (src/env/games/NAME.ts: name, version, actions, map,
// legend, statistics, defaults). Everything on the host side that depends on the game (createVecEnv, the
// settings' checks and defaults, schemas, the CLI's flags, the web app's choices and legends, statistics
// and reports) reads this table: adding a game is its two files and a line in each table.

import { InputError } from '../util/errors.ts';
import type { GameDefinition } from './game-definition.ts';
import { HARVEST } from './games/harvest.ts';
import { CLEANUP } from './games/cleanup.ts';
import { BOX_TRAPPED } from './games/box-trapped.ts';

export type { GameDefinition, GameStat } from './game-definition.ts';

/** Every game, in the order help and menus list them. */
export const GAME_TABLE = {
  'harvest': HARVEST,
  'cleanup': CLEANUP,
  'box-trapped': BOX_TRAPPED,
} as const satisfies Record<string, GameDefinition>;

export type GameName = keyof typeof GAME_TABLE;
export const GAMES = Object.keys(GAME_TABLE) as GameName[];

/** What the host knows about a game (kept under its old name: a definition is a GameInfo). */
export type GameInfo = GameDefinition;
export const GAME_INFO: Record<GameName, GameDefinition> = GAME_TABLE;

/** Action indices of the moves and turns, shared by every game, and of FIRE and CLEAN in Harvest and
 * Cleanup (docs/RULES.md "Agents and actions"); a game's own actions are named in its definition. */
export const ACTION = {
  MOVE_LEFT: 0, MOVE_RIGHT: 1, MOVE_UP: 2, MOVE_DOWN: 3, STAY: 4,
  TURN_CLOCKWISE: 5, TURN_COUNTERCLOCKWISE: 6, FIRE: 7, CLEAN: 8,
} as const;

/** Orientation codes used by the core. */
export const ORIENTATION = { UP: 0, RIGHT: 1, DOWN: 2, LEFT: 3 } as const;

export const isGame = (game: unknown): game is GameName => typeof game === 'string' && Object.hasOwn(GAME_TABLE, game);

/** The definition of `game`; an InputError naming the field and the games otherwise. */
export function gameInfo(game: unknown): GameDefinition & { name: GameName } {
  if (!isGame(game)) {
    throw new InputError(`game: unknown game ${JSON.stringify(game)}; allowed values: ${GAMES.join(', ')}`);
  }
  return GAME_TABLE[game] as GameDefinition & { name: GameName };
}

/** A per-game default in words, for help texts: "the game's: 5 (harvest, cleanup), 2 (box-trapped)". */
export function perGameText(key: 'defaultAgents' | 'episodeLength'): string {
  const byValue = new Map<number, string[]>();
  for (const g of GAMES) byValue.set(GAME_TABLE[g][key], [...(byValue.get(GAME_TABLE[g][key]) ?? []), g]);
  return `the game's: ${[...byValue].map(([v, gs]) => `${v} (${gs.join(', ')})`).join(', ')}`;
}

// The core's table of games, by id: the host's table (src/env/games.ts) gives each game its id, the
// index here. A game is one rules file in games/ that exports a Game (game.ts); adding one is that
// file and a line in each table. The core calls the hooks of the game selected at configure and never
// compares a game id.

import { Game } from './game';
import { HARVEST } from './games/harvest';
import { CLEANUP } from './games/cleanup';
import { BOX_TRAPPED } from './games/box-trapped';

const TABLE: StaticArray<Game> = [HARVEST, CLEANUP, BOX_TRAPPED];

/** The game this instance plays, set once by configure. */
export let rules: Game = HARVEST;

/** Selects game `id`; throws for an id outside the table. */
export function selectGame(id: i32): Game {
  if (<u32>id >= <u32>TABLE.length) throw new Error('core: unknown game id');
  rules = TABLE[id];
  return rules;
}

// What the host knows about a game: one definition per game in src/env/games/, listed in the table of
// src/env/games.ts. The rules themselves live in the core (assembly/games/NAME.ts, whose header states
// them; docs/RULES.md explains them); the definition names what the rules number: the actions, the map's
// characters and colours, the game's own statistics, its version and its defaults.

import type { CellColour } from './palette.ts';
import { InputError } from '../util/errors.ts';

/** A statistic a game keeps of its own, per episode (the core's EP_GAME, in the definition's order). */
export interface GameStat {
  /** snake_case, as it appears in episode statistics, metrics lines and reports. */
  name: string;
  /** 'flag': 0 or 1 per episode (metrics report the fraction of episodes); 'step': the 1-based step at which
   * something happened, null when it did not (metrics report the mean where it did); 'count': a number per
   * episode (metrics report the mean). */
  kind: 'flag' | 'step' | 'count';
  /** What it counts, for people. */
  meaning: string;
}

/** One colour of the map's legend: a name, the colour (a key of palette.ts CELL_RGB) and what it means. */
export interface LegendItem { name: string; colour: CellColour; note: string }

export interface GameDefinition {
  /** The name users type (--game NAME). */
  name: string;
  /** The name people read. */
  title: string;
  /** One line: what the game is. */
  summary: string;
  /** Where its rules come from. */
  source: string;
  /** The core's id: the game's index in assembly/games.ts (checked at load by test/games.test.ts). */
  id: number;
  /** Behaviour version `${name}_v${n}`: bumped only when the rules change, never for a speed-up. */
  version: string;
  /** Action names by index (the core's rules file gives them their effects). */
  actionNames: readonly string[];
  /** The default map (docs/RULES.md characters) and the characters its maps may use. */
  defaultMap: readonly string[];
  mapChars: string;
  /** Agents when none are given. */
  defaultAgents: number;
  /** Steps per episode when none are given. */
  episodeLength: number;
  /** Throws an Error naming `map` when a map with these character counts cannot hold `agents` agents. */
  checkAgents(counts: Readonly<Record<string, number>>, agents: number): void;
  /** The map's colours and what they mean, for legends (agents come on top: one colour each). */
  legend: readonly LegendItem[];
  /** The game's own statistics per episode (at most 4), in the core's order; none for most games. */
  stats: readonly GameStat[];
}

/** The seven moves and turns every game starts its actions with (assembly/grid.ts Action 0-6). */
export const MOVES_AND_TURNS = [
  'MOVE_LEFT', 'MOVE_RIGHT', 'MOVE_UP', 'MOVE_DOWN', 'STAY', 'TURN_CLOCKWISE', 'TURN_COUNTERCLOCKWISE',
] as const;

/** The legend entries games share: the walls and floor of every map, the apples the dilemmas grow, and the
 * punishment beam of their FIRE action. */
export const COMMON_LEGEND = {
  wall: { name: 'wall', colour: 'wall', note: 'not walkable' },
  floor: { name: 'floor', colour: 'floor', note: '' },
  apple: { name: 'apple', colour: 'apple', note: '+1 to the agent that eats it' },
  punishmentBeam: { name: 'punishment beam', colour: 'punishmentBeam', note: 'FIRE: -1 to the shooter, -50 to each agent hit' },
} as const satisfies Record<string, LegendItem>;

/** The sequential social dilemmas' check: every agent needs a spawn point 'P'. */
export function onePerSpawnPoint(counts: Readonly<Record<string, number>>, agents: number): void {
  const spawnPoints = counts.P ?? 0;
  if (spawnPoints < agents) {
    throw new InputError(`map: ${spawnPoints} spawn points ('P') for ${agents} agents; numAgents must be at most ${spawnPoints}`);
  }
}

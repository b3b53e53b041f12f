// Harvest's and Cleanup's default maps, copied exactly from the SSD repo's social_dilemmas/maps.py
// (docs/RULES.md "Grid and characters"), and the validation every map goes through before it reaches
// the core (the characters a game allows and the agents it can hold come from its definition).

import { InputError } from '../util/errors.ts';

/** Harvest: 16 x 38, 155 apple points 'A', 20 spawn points 'P'. */
export const HARVEST_MAP: readonly string[] = [
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
  '@ P   P      A    P AAAAA    P  A P  @',
  '@  P     A P AA    P    AAA    A  A  @',
  '@     A AAA  AAA    A    A AA AAAA   @',
  '@ A  AAA A    A  A AAA  A  A   A A   @',
  '@AAA  A A    A  AAA A  AAA        A P@',
  '@ A A  AAA  AAA  A A    A AA   AA AA @',
  '@  A A  AAA    A A  AAA    AAA  A    @',
  '@   AAA  A      AAA  A    AAAA       @',
  '@ P  A       A  A AAA    A  A      P @',
  '@A  AAA  A  A  AAA A    AAAA     P   @',
  '@    A A   AAA  A A      A AA   A  P @',
  '@     AAA   A A  AAA      AA   AAA P @',
  '@ A    A     AAA  A  P          A    @',
  '@       P     A         P  P P     P @',
  '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
];

/** Cleanup: 25 x 18, 56 waste 'H', 63 river 'R', 12 stream 'S', 103 apple points 'B', 10 spawn points 'P'. */
export const CLEANUP_MAP: readonly string[] = [
  '@@@@@@@@@@@@@@@@@@',
  '@RRRRRR     BBBBB@',
  '@HHHHHH      BBBB@',
  '@RRRRRR     BBBBB@',
  '@RRRRR  P    BBBB@',
  '@RRRRR    P BBBBB@',
  '@HHHHH       BBBB@',
  '@RRRRR      BBBBB@',
  '@HHHHHHSSSSSSBBBB@',
  '@HHHHHHSSSSSSBBBB@',
  '@RRRRR   P P BBBB@',
  '@HHHHH   P  BBBBB@',
  '@RRRRRR    P BBBB@',
  '@HHHHHH P   BBBBB@',
  '@RRRRR       BBBB@',
  '@HHHH    P  BBBBB@',
  '@RRRRR       BBBB@',
  '@HHHHH  P P BBBBB@',
  '@RRRRR       BBBB@',
  '@HHHH       BBBBB@',
  '@RRRRR       BBBB@',
  '@HHHHH      BBBBB@',
  '@RRRRR       BBBB@',
  '@HHHH       BBBBB@',
  '@@@@@@@@@@@@@@@@@@',
];

export interface ParsedMap {
  rows: string[];
  height: number;
  width: number;
  spawnPoints: number;
}

/** What parseMap needs of a game's definition (src/env/game-definition.ts). */
export interface MapRules {
  name: string;
  /** The characters its maps may use. */
  mapChars: string;
  /** Throws when a map with these character counts cannot hold `agents` agents. */
  checkAgents(counts: Readonly<Record<string, number>>, agents: number): void;
}

/** Checks a map for `game` and returns its size; throws an Error naming the problem (field `map`). */
export function parseMap(map: unknown, game: MapRules, agents: number): ParsedMap {
  if (!Array.isArray(map) || map.length === 0 || !map.every((r) => typeof r === 'string')) {
    throw new InputError('map: expected a non-empty array of strings, one per row');
  }
  const rows = map as string[];
  const width = rows[0].length;
  if (width === 0) throw new InputError('map: row 0 is empty');
  rows.forEach((row, r) => {
    if (row.length !== width) {
      throw new InputError(`map: row ${r} has ${row.length} characters but row 0 has ${width}; rows must be equal in length`);
    }
  });
  const allowed = game.mapChars;
  const counts: Record<string, number> = {};
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) {
      const ch = row[c];
      if (!allowed.includes(ch)) {
        throw new InputError(
          `map: unknown character ${JSON.stringify(ch)} at row ${r}, column ${c}; ` +
            `${game.name} maps use ${[...allowed].map((x) => JSON.stringify(x)).join(', ')}`,
        );
      }
      counts[ch] = (counts[ch] ?? 0) + 1;
    }
  });
  game.checkAgents(counts, agents);
  return { rows: [...rows], height: rows.length, width, spawnPoints: counts.P ?? 0 };
}

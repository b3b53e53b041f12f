// Cleanup, a public goods game: the host's definition. Rules: assembly/games/cleanup.ts, docs/RULES.md.

import { CLEANUP_MAP } from '../maps.ts';
import { COMMON_LEGEND, MOVES_AND_TURNS, onePerSpawnPoint, type GameDefinition } from '../game-definition.ts';

export const CLEANUP: GameDefinition = {
  name: 'cleanup',
  title: 'Cleanup',
  summary: 'a public goods game: apples grow only while someone cleans the river',
  source: 'Jaques et al. 2019; the SSD repository\'s cleanup.py',
  id: 1,
  version: 'cleanup_v1',
  actionNames: [...MOVES_AND_TURNS, 'FIRE', 'CLEAN'],
  defaultMap: CLEANUP_MAP,
  mapChars: '@ PBHRS',
  defaultAgents: 5,
  episodeLength: 1000,
  checkAgents: onePerSpawnPoint,
  legend: [
    COMMON_LEGEND.wall,
    COMMON_LEGEND.floor,
    COMMON_LEGEND.apple,
    { name: 'river', colour: 'river', note: 'clean water (and the stream)' },
    { name: 'waste', colour: 'waste', note: 'pollution: no apples grow while there is too much' },
    COMMON_LEGEND.punishmentBeam,
    { name: 'cleaning beam', colour: 'cleaningBeam', note: 'CLEAN: turns waste back into river, free' },
  ],
  stats: [],
};

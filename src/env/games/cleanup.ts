// Cleanup, a public goods game: the host's definition. Rules: assembly/games/cleanup.ts, docs/RULES.md.

import { CLEANUP_MAP } from '../maps.ts';
import { MOVES_AND_TURNS, onePerSpawnPoint, type GameDefinition } from '../game-definition.ts';

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
    { name: 'wall', colour: 'wall', note: 'not walkable' },
    { name: 'floor', colour: 'floor', note: '' },
    { name: 'apple', colour: 'apple', note: '+1 to the agent that eats it' },
    { name: 'river', colour: 'river', note: 'clean water (and the stream)' },
    { name: 'waste', colour: 'waste', note: 'pollution: no apples grow while there is too much' },
    { name: 'punishment beam', colour: 'punishmentBeam', note: 'FIRE: -1 to the shooter, -50 to each agent hit' },
    { name: 'cleaning beam', colour: 'cleaningBeam', note: 'CLEAN: turns waste back into river, free' },
  ],
  stats: [],
};

// Harvest, the tragedy of the commons: the host's definition. Rules: assembly/games/harvest.ts, docs/RULES.md.

import { HARVEST_MAP } from '../maps.ts';
import { MOVES_AND_TURNS, onePerSpawnPoint, type GameDefinition } from '../game-definition.ts';

export const HARVEST: GameDefinition = {
  name: 'harvest',
  title: 'Harvest',
  summary: 'a tragedy of the commons: apples regrow only near other apples',
  source: 'Jaques et al. 2019; the SSD repository\'s harvest.py',
  id: 0,
  version: 'harvest_v1',
  actionNames: [...MOVES_AND_TURNS, 'FIRE'],
  defaultMap: HARVEST_MAP,
  mapChars: '@ PA',
  defaultAgents: 5,
  episodeLength: 1000,
  checkAgents: onePerSpawnPoint,
  legend: [
    { name: 'wall', colour: 'wall', note: 'not walkable' },
    { name: 'floor', colour: 'floor', note: '' },
    { name: 'apple', colour: 'apple', note: '+1 to the agent that eats it' },
    { name: 'punishment beam', colour: 'punishmentBeam', note: 'FIRE: -1 to the shooter, -50 to each agent hit' },
  ],
  stats: [],
};

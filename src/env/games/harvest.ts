// Harvest, the tragedy of the commons: the host's definition. Rules: assembly/games/harvest.ts, docs/RULES.md.

import { HARVEST_MAP } from '../maps.ts';
import { COMMON_LEGEND, MOVES_AND_TURNS, onePerSpawnPoint, type GameDefinition } from '../game-definition.ts';

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
    COMMON_LEGEND.wall,
    COMMON_LEGEND.floor,
    COMMON_LEGEND.apple,
    COMMON_LEGEND.punishmentBeam,
  ],
  stats: [],
};

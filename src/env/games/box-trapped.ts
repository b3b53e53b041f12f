// Box trapped, the proof of concept of Jaques et al. (2019), Supplementary 10.3 (Figs. 11-13): the host's
// definition. Rules: assembly/games/box-trapped.ts; docs/RULES.md "Box trapped" gives each rule and, where
// the paper is silent, the reason for our choice.

import { InputError } from '../../util/errors.ts';
import { COMMON_LEGEND, MOVES_AND_TURNS, type GameDefinition } from '../game-definition.ts';

/** 9 x 11: the box (X) in the middle with one agent inside (T), six spawn points (P) beside the box, and
 * sixteen apple points (A) in the corners, two or more steps from any spawn point. */
export const BOX_TRAPPED_MAP: readonly string[] = [
  '@@@@@@@@@@@',
  '@AAA   AAA@',
  '@A  P P  A@',
  '@   XXX   @',
  '@  PXTXP  @',
  '@   XXX   @',
  '@A  P P  A@',
  '@AAA   AAA@',
  '@@@@@@@@@@@',
];

export const BOX_TRAPPED: GameDefinition = {
  name: 'box-trapped',
  title: 'Box trapped',
  summary: 'one agent is trapped in a box; another can open it (OPEN_BOX) or eat apples, which never run out',
  source: 'Jaques et al. 2019, Supplementary 10.3 (the map, the episode length and what opening needs are ours: docs/RULES.md)',
  id: 2,
  version: 'box-trapped_v1',
  actionNames: [...MOVES_AND_TURNS, 'OPEN_BOX'],
  defaultMap: BOX_TRAPPED_MAP,
  mapChars: '@ PAXT',
  defaultAgents: 2,
  episodeLength: 100,
  checkAgents(counts, agents) {
    const inside = counts.T ?? 0, spawnPoints = counts.P ?? 0;
    const free = agents - Math.min(inside, agents - 1);
    if (spawnPoints < free) {
      throw new InputError(`map: ${spawnPoints} spawn points ('P') and ${inside} cells inside the box ('T') for ${agents} agents; ` +
        `box-trapped traps min(T, numAgents - 1) agents and needs a 'P' for each of the others (${free})`);
    }
  },
  legend: [
    COMMON_LEGEND.wall,
    COMMON_LEGEND.floor,
    { name: 'apple', colour: 'apple', note: '+1 to the agent that eats it; it grows back as soon as its eater steps off' },
    { name: 'box', colour: 'box', note: 'solid while closed; OPEN_BOX from a cell beside it opens it for the rest of the episode' },
  ],
  stats: [
    { name: 'box_opened', kind: 'flag', meaning: '1 when the box was opened in the episode, else 0' },
    { name: 'open_step', kind: 'step', meaning: 'the step (1-based) at which the box was opened; null when it was not' },
    { name: 'open_actions', kind: 'count', meaning: 'OPEN_BOX actions taken by all agents, with or without effect' },
  ],
};

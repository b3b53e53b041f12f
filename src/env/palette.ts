// The colours the core draws with (docs/RULES.md "Grid and characters"), for legends: the web app's map
// and agent legend, and anyone drawing a picture of their own. test/palette.test.ts checks each against
// the core's renderWorld, so a legend cannot drift from the picture.

import type { GameName } from './games.ts';

export type Rgb = readonly [number, number, number];

/** What a colour on the map means, for one game's legend. */
export interface LegendEntry { name: string; rgb: Rgb; note: string }

export const CELL_RGB = {
  floor: [0, 0, 0],
  wall: [180, 180, 180],
  apple: [0, 255, 0],
  waste: [99, 156, 194],
  river: [113, 75, 24],
  punishmentBeam: [255, 255, 0],
  cleaningBeam: [100, 255, 255],
} as const satisfies Record<string, Rgb>;

/** Agent i is drawn in AGENT_RGB[i % 9]. */
export const AGENT_RGB: readonly Rgb[] = [
  [0, 0, 255], [2, 81, 154], [204, 0, 204], [216, 30, 54], [254, 151, 0], [100, 255, 255], [99, 99, 255], [250, 204, 255], [238, 223, 16],
];

export const agentRgb = (i: number): Rgb => AGENT_RGB[i % AGENT_RGB.length];

/** The map's colours in `game`, with what each means. */
export function mapLegend(game: GameName): LegendEntry[] {
  const common: LegendEntry[] = [
    { name: 'wall', rgb: CELL_RGB.wall, note: 'not walkable' },
    { name: 'floor', rgb: CELL_RGB.floor, note: '' },
    { name: 'apple', rgb: CELL_RGB.apple, note: '+1 to the agent that eats it' },
  ];
  const beams: LegendEntry[] = [{ name: 'punishment beam', rgb: CELL_RGB.punishmentBeam, note: 'FIRE: -1 to the shooter, -50 to each agent hit' }];
  if (game === 'harvest') return [...common, ...beams];
  return [
    ...common,
    { name: 'river', rgb: CELL_RGB.river, note: 'clean water (and the stream)' },
    { name: 'waste', rgb: CELL_RGB.waste, note: 'pollution: no apples grow while there is too much' },
    ...beams,
    { name: 'cleaning beam', rgb: CELL_RGB.cleaningBeam, note: 'CLEAN: turns waste back into river, free' },
  ];
}

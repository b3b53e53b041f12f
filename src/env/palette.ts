// The colours the core draws with (docs/RULES.md "Grid and characters"), for legends: the web app's map
// and agent legend, and anyone drawing a picture of their own. test/palette.test.ts checks each against
// the core's renderWorld, so a legend cannot drift from the picture. A game's legend (which of these it
// uses, and what each means there) is in ./legend.ts.

export type Rgb = readonly [number, number, number];

export const CELL_RGB = {
  floor: [0, 0, 0],
  wall: [180, 180, 180],
  apple: [0, 255, 0],
  waste: [99, 156, 194],
  river: [113, 75, 24],
  box: [205, 133, 63],
  punishmentBeam: [255, 255, 0],
  cleaningBeam: [100, 255, 255],
} as const satisfies Record<string, Rgb>;

/** A colour of the map, by name (a game's definition names its legend's colours this way). */
export type CellColour = keyof typeof CELL_RGB;

/** Agent i is drawn in AGENT_RGB[i % 9]. */
export const AGENT_RGB: readonly Rgb[] = [
  [0, 0, 255], [2, 81, 154], [204, 0, 204], [216, 30, 54], [254, 151, 0], [100, 255, 255], [99, 99, 255], [250, 204, 255], [238, 223, 16],
];

export const agentRgb = (i: number): Rgb => AGENT_RGB[i % AGENT_RGB.length];

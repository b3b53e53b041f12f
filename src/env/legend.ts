// A game's legend: the colours of its map (./palette.ts) with what each means in that game, as its
// definition (./games/NAME.ts) names them. Apart from the palette so that the palette imports nothing and
// the game definitions can name its colours.

import { gameInfo, type GameName } from './games.ts';
import { CELL_RGB, type Rgb } from './palette.ts';

/** What a colour on the map means, for one game's legend. */
export interface LegendEntry { name: string; rgb: Rgb; note: string }

/** The map's colours in `game`, with what each means: the legend of the game's definition. */
export function mapLegend(game: GameName): LegendEntry[] {
  return gameInfo(game).legend.map((e) => ({ name: e.name, rgb: CELL_RGB[e.colour], note: e.note }));
}

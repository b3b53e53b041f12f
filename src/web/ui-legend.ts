// The colour legend of a world picture: the cells of a game's map and the agents' colours. The Training
// panel shows the Setup's game; the player shows the game of the checkpoint it plays.

import { agentRgb, type Rgb } from '../env/palette.ts';
import { mapLegend } from '../env/legend.ts';
import type { GameName } from '../env/games.ts';

/** One legend entry: a colour swatch, a name and what it means. */
export function legendItem(rgb: Rgb, name: string, note = ''): HTMLLIElement {
  const li = document.createElement('li');
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.style.background = `rgb(${rgb.join(',')})`;
  sw.dataset.rgb = rgb.join(',');
  const label = document.createElement('span');
  label.textContent = name;
  li.append(sw, label);
  if (note) {
    const n = document.createElement('span');
    n.className = 'note';
    n.textContent = note;
    li.append(n);
  }
  return li;
}

/** Fills `map` with the game's cells and `agents` with one entry per agent. */
export function showLegend(map: HTMLUListElement, agents: HTMLUListElement, game: GameName, count: number): void {
  map.replaceChildren(...mapLegend(game).map((e) => legendItem(e.rgb, e.name, e.note)));
  agents.replaceChildren(...Array.from({ length: count }, (_, i) => legendItem(agentRgb(i), `agent ${i}`)));
}

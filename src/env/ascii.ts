// ASCII pictures of an environment's state, for scenario tests and debugging. Characters follow docs/RULES.md:
// '@' wall, ' ' floor, 'A' apple, 'H' waste, 'R' river, 'S' stream, 'X' Box trapped's closed box, 'F'/'C' a
// beam this step, and agents as their index '0'..'9' (drawn over beams, as in the views).

import type { VecEnv } from './vec-env.ts';

const CELL_CHARS = [' ', '@', 'A', 'H', 'R', 'S', 'X'];

/** Env b's map as rows of characters. */
export function toAscii(env: VecEnv, b = 0): string[] {
  const { mapHeight: H, mapWidth: W } = env.spec;
  const v = env.internals.views;
  const rows: string[] = [];
  for (let r = 0; r < H; r++) {
    let row = '';
    for (let c = 0; c < W; c++) {
      const k = b * H * W + r * W + c;
      const agent = v.occupancy[k] - 1;
      const beam = v.beams[k];
      row += agent >= 0 ? (agent < 10 ? String(agent) : '*') : beam ? (beam === 1 ? 'F' : 'C') : CELL_CHARS[v.cells[k]];
    }
    rows.push(row);
  }
  return rows;
}

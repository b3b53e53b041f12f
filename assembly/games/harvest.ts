// harvest_v1: Harvest, the tragedy of the commons (docs/RULES.md; SSD repo's harvest.py).
// Actions: 8, MOVE_LEFT..TURN_COUNTERCLOCKWISE and FIRE (grid.ts Action).
// Map: '@' wall, ' ' floor, 'P' spawn point, 'A' apple point holding an apple at reset.
// Rewards: +1 per apple eaten; FIRE costs the firer 1 and each agent hit 50 (shared with Cleanup, env.ts).
// Regrowth: an apple point with no apple and no agent regrows with probability 0, 0.005, 0.02, 0.05 for
// 0, 1, 2, >= 3 apples among its 3x3 neighbours (dr^2 + dc^2 <= 2, inside the map), all decided on the
// map as it stands before any of this step's new apples appear.

import { mapCells, mapW, mapH } from '../config';
import { Region, regionPtr } from '../layout';
import { Cell, getCell, setCell, agentAt, listCells, placeAllAtSpawnPoints } from '../grid';
import { chance } from '../rng';
import { Game, noActions, noWaste } from '../game';

const SPAWN_PROB = memory.data<f64>([0.0, 0.005, 0.02, 0.05]);

/** Apple points 'A'; no game points. */
function harvestScanMap(): void {
  const counts = regionPtr(Region.MAP_COUNTS);
  store<i32>(counts, listCells(0x41 /* A */, 0, regionPtr(Region.APPLE_POINTS)), 4);
  store<i32>(counts, 0, 8);
  store<i32>(counts, 0, 12);
}

function harvestResetCells(): void {
  const base = regionPtr(Region.BASE_MAP);
  for (let c = 0; c < mapCells; c++) {
    const ch = load<u8>(base + <usize>c);
    setCell(c, ch == 0x40 /* @ */ ? Cell.WALL : ch == 0x41 /* A */ ? Cell.APPLE : Cell.FLOOR);
  }
}

function neighbourApples(c: i32): i32 {
  const row = c / mapW, col = c - row * mapW;
  let n = 0;
  for (let dr = -1; dr <= 1; dr++) {
    const r = row + dr;
    if (<u32>r >= <u32>mapH) continue;
    for (let dc = -1; dc <= 1; dc++) {
      const k = col + dc;
      if (<u32>k >= <u32>mapW) continue;
      if (getCell(r * mapW + k) == Cell.APPLE) n++;
    }
  }
  return n;
}

/** The spawning phase: regrow apples. `scratch` holds at least as many i32 as there are apple points. */
function harvestSpawn(scratch: usize): void {
  const points = regionPtr(Region.APPLE_POINTS);
  const count = load<i32>(regionPtr(Region.MAP_COUNTS), 4);
  let fresh = 0;
  for (let k = 0; k < count; k++) {
    const c = load<i32>(points + (<usize>k << 2));
    if (getCell(c) == Cell.APPLE || agentAt(c) >= 0) continue;
    const n = neighbourApples(c);
    const level = n < 3 ? n : 3;
    if (chance(load<f64>(SPAWN_PROB + (<usize>level << 3)))) {
      store<i32>(scratch + (<usize>fresh << 2), c);
      fresh++;
    }
  }
  for (let k = 0; k < fresh; k++) setCell(load<i32>(scratch + (<usize>k << 2)), Cell.APPLE);
}

/** Harvest in the core's table (games.ts): 8 actions, FIRE at 7, no CLEAN. */
export const HARVEST = new Game(8, 7, -1, harvestScanMap, harvestResetCells, placeAllAtSpawnPoints, noActions, harvestSpawn, noWaste);

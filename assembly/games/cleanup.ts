// cleanup_v1: Cleanup, a public goods game (docs/RULES.md; SSD repo's cleanup.py).
// Actions: 9, Harvest's eight plus CLEAN, a free beam whose rays turn the first waste cell they reach
// into river and stop there.
// Map: '@' wall, ' ' floor, 'P' spawn point, 'B' apple point (floor when empty), 'H' waste (polluted
// river), 'R' clean river, 'S' stream (decoration).
// Pollution: W = 'H' + 'R' cells of the map; waste density d = waste cells now / W, taken each step
// before spawning. d >= 0.4: nothing spawns. Otherwise apples appear on each empty apple point with no
// agent with probability 0.05 (1 - d / 0.4), and the river cells without waste are visited in a fresh
// random order, each turning to waste with probability 0.5, stopping at the first that does.

import { mapCells } from '../config';
import { Region, regionPtr } from '../layout';
import { Cell, getCell, setCell, agentAt, listCells, placeAllAtSpawnPoints } from '../grid';
import { chance, nextBelow } from '../rng';
import { Game, noActions } from '../game';

const DEPLETION = 0.4;
const APPLE_PROB = 0.05;
const WASTE_PROB = 0.5;

/** Apple points 'B'; the river cells 'H' and 'R' as game points; the initial waste cells 'H' counted. */
function cleanupScanMap(): void {
  const counts = regionPtr(Region.MAP_COUNTS);
  store<i32>(counts, listCells(0x42 /* B */, 0, regionPtr(Region.APPLE_POINTS)), 4);
  const river = regionPtr(Region.GAME_POINTS);
  const nr = listCells(0x48 /* H */, 0x52 /* R */, river);
  const base = regionPtr(Region.BASE_MAP);
  let nw = 0;
  for (let k = 0; k < nr; k++) if (load<u8>(base + <usize>load<i32>(river + (<usize>k << 2))) == 0x48) nw++;
  store<i32>(counts, nr, 8);
  store<i32>(counts, nw, 12);
}

function cleanupResetCells(): void {
  const base = regionPtr(Region.BASE_MAP);
  for (let c = 0; c < mapCells; c++) {
    const ch = load<u8>(base + <usize>c);
    let cell = Cell.FLOOR;
    if (ch == 0x40 /* @ */) cell = Cell.WALL;
    else if (ch == 0x48 /* H */) cell = Cell.WASTE;
    else if (ch == 0x52 /* R */) cell = Cell.RIVER;
    else if (ch == 0x53 /* S */) cell = Cell.STREAM;
    setCell(c, cell);
  }
}

/** Waste cells on the map now. */
function countWaste(): i32 {
  const river = regionPtr(Region.GAME_POINTS);
  const n = load<i32>(regionPtr(Region.MAP_COUNTS), 8);
  let waste = 0;
  for (let k = 0; k < n; k++) if (getCell(load<i32>(river + (<usize>k << 2))) == Cell.WASTE) waste++;
  return waste;
}

/** The spawning phase: apples, then at most one waste cell. */
function cleanupSpawn(scratch: usize): void {
  const counts = regionPtr(Region.MAP_COUNTS);
  const area = load<i32>(counts, 8);
  const waste = countWaste();
  const density = area > 0 ? <f64>waste / <f64>area : 0.0;
  if (density >= DEPLETION) return;
  const appleProb = APPLE_PROB * (1.0 - density / DEPLETION);

  const points = regionPtr(Region.APPLE_POINTS);
  const nApple = load<i32>(counts, 4);
  for (let k = 0; k < nApple; k++) {
    const c = load<i32>(points + (<usize>k << 2));
    if (getCell(c) == Cell.APPLE || agentAt(c) >= 0) continue;
    if (chance(appleProb)) setCell(c, Cell.APPLE);
  }

  // Visiting the m clean river cells in a uniformly random order and stopping at the first success is
  // the same as: the number of failures before a success decides whether any cell turns (some success
  // within m visits), and by symmetry the one that turns is uniform over the m cells.
  const clean = area - waste;
  let visits = 0;
  while (visits < clean && !chance(WASTE_PROB)) visits++;
  if (visits >= clean) return;
  let pick = nextBelow(clean);
  const river = regionPtr(Region.GAME_POINTS);
  for (let k = 0; k < area; k++) {
    const c = load<i32>(river + (<usize>k << 2));
    if (getCell(c) == Cell.WASTE) continue;
    if (pick == 0) { setCell(c, Cell.WASTE); return; }
    pick--;
  }
}

/** Cleanup in the core's table (games.ts): 9 actions, FIRE at 7, CLEAN at 8. */
export const CLEANUP = new Game(9, 7, 8, cleanupScanMap, cleanupResetCells, placeAllAtSpawnPoints, noActions, cleanupSpawn, countWaste);

// The core's exports. The host (src/core/core.ts) instantiates one module per batch of environments:
//   configure -> write BASE_MAP -> initMap -> reset(seed) -> [write ACTIONS -> step]* ...
// All data crosses through the memory regions of layout.ts; these functions take and return numbers only.

import { setConfig, configured, mapCells, mapW, numEnvs, game } from './config';
import { computeLayout, Region, regionPtr } from './layout';
import { resetEnv, stepEnv, firstInvalidAction, refreshEnv } from './env';
import { bindEnv, placeAgent, setOri, setCell, renderFrame } from './grid';

export { layoutTable, layoutEnd } from './layout';

/** Lays out memory for B envs of N agents on an H x W map; game 0 = Harvest, 1 = Cleanup. */
export function configure(
  gameId: i32, envs: i32, agents: i32, height: i32, width: i32, viewRadius: i32,
  episodeLen: i32, tagSteps: i32,
): void {
  if (configured) throw new Error('core: configure may run once per instance');
  setConfig(gameId, envs, agents, height, width, viewRadius, episodeLen, tagSteps);
  computeLayout();
}

/** Reads BASE_MAP into the point lists. Returns the number of spawn points. */
export function initMap(): i32 {
  const base = regionPtr(Region.BASE_MAP);
  const spawn = regionPtr(Region.SPAWN_POINTS);
  const apples = regionPtr(Region.APPLE_POINTS);
  const river = regionPtr(Region.RIVER_POINTS);
  let ns = 0, na = 0, nr = 0, nw = 0;
  const appleChar: u8 = game == 0 ? 0x41 /* A */ : 0x42 /* B */;
  for (let c = 0; c < mapCells; c++) {
    const ch = load<u8>(base + <usize>c);
    if (ch == 0x50 /* P */) { store<i32>(spawn + (<usize>ns << 2), c); ns++; }
    if (ch == appleChar) { store<i32>(apples + (<usize>na << 2), c); na++; }
    if (game == 1 && (ch == 0x48 /* H */ || ch == 0x52 /* R */)) {
      store<i32>(river + (<usize>nr << 2), c);
      nr++;
      if (ch == 0x48) nw++;
    }
  }
  const counts = regionPtr(Region.MAP_COUNTS);
  store<i32>(counts, ns);
  store<i32>(counts, na, 4);
  store<i32>(counts, nr, 8);
  store<i32>(counts, nw, 12);
  return ns;
}

/** Seeds every env b from (seed, firstEnv + b), resets it and writes its first observations. A batch that
 * holds envs [firstEnv, firstEnv + B) of a larger one (a worker's shard) so replays those envs exactly. */
export function reset(seedLo: u32, seedHi: u32, firstEnv: u32): void {
  const seed = (<u64>seedHi << 32) | <u64>seedLo;
  for (let b = 0; b < numEnvs; b++) resetEnv(b, seed, firstEnv + <u32>b);
}

/** Reseeds and resets env b alone from (seed, index); evaluation gives each episode its own seed this way. */
export function resetOne(b: i32, seedLo: u32, seedHi: u32, index: u32): void {
  resetEnv(b, (<u64>seedHi << 32) | <u64>seedLo, index);
}

/** Steps every env with ACTIONS. Returns -1, or b*N+i of the first invalid action (nothing is changed). */
export function step(): i32 {
  const bad = firstInvalidAction();
  if (bad >= 0) return bad;
  for (let b = 0; b < numEnvs; b++) stepEnv(b);
  return -1;
}

/** Writes env b's full map as RGB into FRAME. */
export function renderWorld(b: i32): void {
  bindEnv(b);
  renderFrame();
}

// ---- test hooks: build a scenario by hand, then call refresh(b)
/** Puts agent i of env b on (row, col) facing `ori` (0 UP .. 3 LEFT); row < 0 takes it off the map. */
export function debugPlaceAgent(b: i32, i: i32, row: i32, col: i32, ori: i32): void {
  bindEnv(b);
  placeAgent(i, row < 0 ? -1 : row * mapW + col);
  setOri(i, ori);
}

/** Sets cell (row, col) of env b to a Cell code (grid.ts). */
export function debugSetCell(b: i32, row: i32, col: i32, cell: u32): void {
  bindEnv(b);
  setCell(row * mapW + col, cell);
}

/** Re-renders env b's image, counts and observations after test hooks changed it. */
export function refresh(b: i32): void {
  refreshEnv(b);
}

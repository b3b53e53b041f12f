// The core's exports. The host (src/core/core.ts) instantiates one module per batch of environments:
//   configure -> write BASE_MAP -> initMap -> reset(seed) -> [write ACTIONS -> step]* ...
// All data crosses through the memory regions of layout.ts; these functions take and return numbers only.

import { setConfig, configured, mapCells, mapW, numEnvs } from './config';
import { computeLayout, Region, regionPtr } from './layout';
import { resetEnv, stepEnv, firstInvalidAction, refreshEnv } from './env';
import { bindEnv, placeAgent, setOri, setCell, renderFrame, listCells } from './grid';
import { selectGame, rules } from './games';

export { layoutTable, layoutEnd } from './layout';

/** Lays out memory for B envs of N agents on an H x W map of game `gameId` (its index in games.ts). */
export function configure(
  gameId: i32, envs: i32, agents: i32, height: i32, width: i32, viewRadius: i32,
  episodeLen: i32, tagSteps: i32,
): void {
  if (configured) throw new Error('core: configure may run once per instance');
  const g = selectGame(gameId);
  setConfig(gameId, envs, agents, height, width, viewRadius, episodeLen, tagSteps, g.numActions);
  computeLayout();
}

/** Reads BASE_MAP into the point lists: the spawn points here, the game's own cells by its scanMap.
 * Returns the number of spawn points. */
export function initMap(): i32 {
  const ns = listCells(0x50 /* P */, 0, regionPtr(Region.SPAWN_POINTS));
  store<i32>(regionPtr(Region.MAP_COUNTS), ns);
  rules.scanMap();
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

// box-trapped_v1: Box trapped, the proof of concept of Jaques et al. (2019), Supplementary 10.3: one agent
// is trapped in a box, another can open it with an action of its own or just eat apples, which lie outside
// the box and never run out. docs/RULES.md "Box trapped" states these rules and why, where the paper is
// silent, they are as they are.
// Actions: 8: the seven moves and turns (grid.ts Action 0-6), then OPEN_BOX (7). No beams.
// Map: '@' wall, ' ' floor, 'P' a free agent's spawn point, 'A' apple point, 'X' the box (solid while it is
// closed), 'T' a cell inside the box, where a trapped agent starts.
// Reset: with T cells and N agents, t = min(T, N - 1) agents are trapped (at least one is free): agents
// 0..N-t-1 take distinct 'P' cells uniformly at random, agents N-t..N-1 the first t 'T' cells in map order;
// every agent then draws a random orientation, in agent order. Every apple point holds an apple.
// OPEN_BOX, after turns and before moves: while the box is closed, the first agent in index order that
// takes it standing outside the box (not on a 'T' cell) on a cell that shares a side with a box cell opens
// the box: every box cell becomes floor for the rest of the episode, so agents may walk through it in this
// very step's moves. Otherwise the action does nothing (it costs nothing).
// Apples: +1 each (env.ts); inexhaustible: in the spawning phase every apple point with no apple and no
// agent on it holds an apple again.
// Statistics of the game's own (EP_GAME): [0] 1 when the box was opened this episode, [1] the step
// (1-based) it was opened at, 0 if never, [2] OPEN_BOX actions taken by all agents, with or without effect.

import { numAgents as N, mapCells } from '../config';
import { Region, regionPtr, gameStatPtr } from '../layout';
import {
  Cell, getCell, setCell, agentAt, agentPos, agentAction, offset, listCells, placeAgent, setOri, freeSpawnPoint,
} from '../grid';
import { nextBelow } from '../rng';
import { Game, noWaste } from '../game';

const OPEN_BOX: i32 = 7;
const OPENED: i32 = 0, OPEN_STEP: i32 = 1, OPEN_ACTIONS: i32 = 2;

/** Apple points 'A'; the cells inside the box 'T' as game points; the box's cells 'X' counted. */
function boxScanMap(): void {
  const counts = regionPtr(Region.MAP_COUNTS);
  store<i32>(counts, listCells(0x41 /* A */, 0, regionPtr(Region.APPLE_POINTS)), 4);
  store<i32>(counts, listCells(0x54 /* T */, 0, regionPtr(Region.GAME_POINTS)), 8);
  // the box's cells are counted only; opening finds them on the map
  store<i32>(counts, listCells(0x58 /* X */, 0, regionPtr(Region.SCRATCH)), 12);
}

function boxResetCells(): void {
  const base = regionPtr(Region.BASE_MAP);
  for (let c = 0; c < mapCells; c++) {
    const ch = load<u8>(base + <usize>c);
    setCell(c, ch == 0x40 /* @ */ ? Cell.WALL : ch == 0x41 /* A */ ? Cell.APPLE : ch == 0x58 /* X */ ? Cell.BOX : Cell.FLOOR);
  }
}

function trappedCount(): i32 {
  const inside = load<i32>(regionPtr(Region.MAP_COUNTS), 8);
  return inside < N - 1 ? inside : N - 1;
}

function boxPlaceAgents(): void {
  const t = trappedCount();
  const inside = regionPtr(Region.GAME_POINTS);
  for (let i = 0; i < N; i++) {
    placeAgent(i, i < N - t ? freeSpawnPoint() : load<i32>(inside + (<usize>(i - (N - t)) << 2)));
    setOri(i, nextBelow(4));
  }
}

function insideBox(c: i32): bool {
  const inside = regionPtr(Region.GAME_POINTS);
  const n = load<i32>(regionPtr(Region.MAP_COUNTS), 8);
  for (let k = 0; k < n; k++) if (load<i32>(inside + (<usize>k << 2)) == c) return true;
  return false;
}

function nextToBox(c: i32): bool {
  for (let d = 0; d < 4; d++) {
    const n = offset(c, d == 0 ? -1 : d == 2 ? 1 : 0, d == 1 ? 1 : d == 3 ? -1 : 0);
    if (n >= 0 && getCell(n) == Cell.BOX) return true;
  }
  return false;
}

function boxAct(b: i32): void {
  const stats = regionPtr(Region.EP_GAME);
  for (let i = 0; i < N; i++) {
    if (agentAction(i) != OPEN_BOX) continue;
    const tried = gameStatPtr(stats, b, OPEN_ACTIONS);
    store<i32>(tried, load<i32>(tried) + 1);
    const p = agentPos(i);
    if (load<i32>(gameStatPtr(stats, b, OPENED)) != 0 || p < 0 || insideBox(p) || !nextToBox(p)) continue;
    for (let c = 0; c < mapCells; c++) if (getCell(c) == Cell.BOX) setCell(c, Cell.FLOOR);
    store<i32>(gameStatPtr(stats, b, OPENED), 1);
    store<i32>(gameStatPtr(stats, b, OPEN_STEP), load<i32>(regionPtr(Region.STEP_COUNT) + (<usize>b << 2)) + 1);
  }
}

/** Every apple point with no apple and no agent holds an apple again. */
function boxSpawn(scratch: usize): void {
  const points = regionPtr(Region.APPLE_POINTS);
  const n = load<i32>(regionPtr(Region.MAP_COUNTS), 4);
  for (let k = 0; k < n; k++) {
    const c = load<i32>(points + (<usize>k << 2));
    if (getCell(c) != Cell.APPLE && agentAt(c) < 0) setCell(c, Cell.APPLE);
  }
}

/** Box trapped in the core's table (games.ts): 8 actions, OPEN_BOX at 7, no beams. */
export const BOX_TRAPPED = new Game(8, -1, -1, boxScanMap, boxResetCells, boxPlaceAgents, boxAct, boxSpawn, noWaste);

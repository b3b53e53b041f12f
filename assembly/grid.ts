// Shared mechanics of the games (docs/RULES.md): cells and colours, placing agents at spawn points, turns,
// simultaneous moves with conflict resolution, eating, beams, the composited image, egocentric views and
// visibility. Nothing here knows which game is played; games/*.ts add their own cells, spawning and actions.

import {
  numAgents as N, mapW, mapH, mapCells, radius, viewSide, padW,
} from './config';
import { Region, regionPtr } from './layout';
import { nextBelow } from './rng';

// ---- cells
export const enum Cell { FLOOR = 0, WALL = 1, APPLE = 2, WASTE = 3, RIVER = 4, STREAM = 5, BOX = 6 }
export const enum Beam { NONE = 0, FIRE = 1, CLEAN = 2 }
export const enum Dir { UP = 0, RIGHT = 1, DOWN = 2, LEFT = 3 }
export const enum Action {
  MOVE_LEFT = 0, MOVE_RIGHT = 1, MOVE_UP = 2, MOVE_DOWN = 3, STAY = 4,
  TURN_CLOCKWISE = 5, TURN_COUNTERCLOCKWISE = 6, FIRE = 7, CLEAN = 8,
}

/** A beam's rays each cover up to this many cells (docs/RULES.md step 4; SSD's FIRE and CLEAN length 5). */
export const BEAM_LENGTH: i32 = 5;

// Colours as little-endian RGBX words (R in the low byte), docs/RULES.md's table.
@inline function rgb(r: u32, g: u32, b: u32): u32 { return r | (g << 8) | (b << 16); }

const CELL_COLOURS = memory.data<u32>([
  0x000000,                 // FLOOR 0,0,0
  0xB4B4B4,                 // WALL 180,180,180
  0x00FF00,                 // APPLE 0,255,0
  0xC29C63,                 // WASTE 99,156,194
  0x184B71,                 // RIVER 113,75,24
  0x184B71,                 // STREAM 113,75,24
  0x3F85CD,                 // BOX 205,133,63
]);
const AGENT_COLOURS = memory.data<u32>([
  0xFF0000,                 // 0,0,255
  0x9A5102,                 // 2,81,154
  0xCC00CC,                 // 204,0,204
  0x361ED8,                 // 216,30,54
  0x0097FE,                 // 254,151,0
  0xFFFF64,                 // 100,255,255
  0xFF6363,                 // 99,99,255
  0xFFCCFA,                 // 250,204,255
  0x10DFEE,                 // 238,223,16
]);
const BEAM_COLOURS = memory.data<u32>([0, 0x00FFFF, 0xFFFF64]); // -, 255,255,0, 100,255,255

@inline export function cellColour(cell: u32): u32 { return load<u32>(CELL_COLOURS + (<usize>cell << 2)); }
/** Agents beyond the ninth reuse the palette (docs/RULES.md lists nine colours). */
@inline export function agentColour(i: i32): u32 { return load<u32>(AGENT_COLOURS + (<usize>(i % 9) << 2)); }
@inline export function beamColour(kind: u32): u32 { return load<u32>(BEAM_COLOURS + (<usize>kind << 2)); }

// Forward vectors by orientation; an agent's right is the forward vector of the next orientation clockwise.
const DR = memory.data<i32>([-1, 0, 1, 0]);
const DC = memory.data<i32>([0, 1, 0, -1]);
@inline export function dirRow(d: i32): i32 { return load<i32>(DR + (<usize>(d & 3) << 2)); }
@inline export function dirCol(d: i32): i32 { return load<i32>(DC + (<usize>(d & 3) << 2)); }
// Which orientation-relative direction each move action goes: left = facing+3, right = +1, up = +0, down = +2.
const MOVE_TURN = memory.data<i32>([3, 1, 0, 2]);

// ---- per-env pointers, set by bindEnv before any per-env work
export let cells: usize = 0;
export let occ: usize = 0;
export let beams: usize = 0;
export let image: usize = 0;
export let pos: usize = 0;
export let ori: usize = 0;
export let timeout: usize = 0;
export let actions: usize = 0;
export let rewards: usize = 0;
export let envIndex: i32 = 0;

export function bindEnv(b: i32): void {
  envIndex = b;
  const C = <usize>mapCells;
  cells = regionPtr(Region.CELLS) + <usize>b * C;
  occ = regionPtr(Region.OCC) + <usize>b * C;
  beams = regionPtr(Region.BEAMS) + <usize>b * C;
  image = regionPtr(Region.IMAGE) + ((<usize>b * <usize>(padW * (mapH + 2 * radius))) << 2);
  pos = regionPtr(Region.AGENT_POS) + (<usize>(b * N) << 2);
  ori = regionPtr(Region.AGENT_ORI) + <usize>(b * N);
  timeout = regionPtr(Region.AGENT_TIMEOUT) + (<usize>(b * N) << 2);
  actions = regionPtr(Region.ACTIONS) + <usize>(b * N);
  rewards = regionPtr(Region.REWARDS) + (<usize>(b * N) << 2);
}

@inline export function getCell(c: i32): u32 { return load<u8>(cells + <usize>c); }
/** Cells that stop moves and beams: walls, and Box trapped's box while it is closed. */
@inline export function isSolid(cell: u32): bool { return cell == Cell.WALL || cell == Cell.BOX; }
@inline export function agentAt(c: i32): i32 { return <i32>load<u8>(occ + <usize>c) - 1; }
@inline export function agentPos(i: i32): i32 { return load<i32>(pos + (<usize>i << 2)); }
@inline export function agentOri(i: i32): i32 { return load<u8>(ori + <usize>i); }
@inline export function agentAction(i: i32): i32 { return load<u8>(actions + <usize>i); }
@inline export function addReward(i: i32, r: f32): void {
  const p = rewards + (<usize>i << 2);
  store<f32>(p, load<f32>(p) + r);
}
@inline function pixel(c: i32): usize {
  const row = c / mapW, col = c - row * mapW;
  return image + (<usize>((row + radius) * padW + col + radius) << 2);
}

/** Sets a cell's content and its colour in the image. */
@inline export function setCell(c: i32, cell: u32): void {
  store<u8>(cells + <usize>c, cell);
  store<u32>(pixel(c), cellColour(cell));
}

/** Puts agent i on cell c (or takes it off the map when c < 0), keeping OCC in step. */
export function placeAgent(i: i32, c: i32): void {
  const old = agentPos(i);
  if (old >= 0 && agentAt(old) == i) store<u8>(occ + <usize>old, 0);
  store<i32>(pos + (<usize>i << 2), c);
  if (c >= 0) store<u8>(occ + <usize>c, <u8>(i + 1));
}

@inline export function setOri(i: i32, d: i32): void { store<u8>(ori + <usize>i, <u8>(d & 3)); }

/** Lists into `dst` the cells whose BASE_MAP character is `a` or `b` (0: only `a`), in map order; returns how many. */
export function listCells(a: u8, b: u8, dst: usize): i32 {
  const base = regionPtr(Region.BASE_MAP);
  let n = 0;
  for (let c = 0; c < mapCells; c++) {
    const ch = load<u8>(base + <usize>c);
    if (ch == a || (b != 0 && ch == b)) { store<i32>(dst + (<usize>n << 2), c); n++; }
  }
  return n;
}

/** A free spawn point ('P') chosen uniformly, or -1 when every one is taken. */
export function freeSpawnPoint(): i32 {
  const points = regionPtr(Region.SPAWN_POINTS);
  const n = load<i32>(regionPtr(Region.MAP_COUNTS));
  let free = 0;
  for (let k = 0; k < n; k++) if (agentAt(load<i32>(points + (<usize>k << 2))) < 0) free++;
  if (free == 0) return -1;
  let pick = nextBelow(free);
  for (let k = 0; k < n; k++) {
    const c = load<i32>(points + (<usize>k << 2));
    if (agentAt(c) >= 0) continue;
    if (pick == 0) return c;
    pick--;
  }
  return -1;
}

/** Agents `from`..`to`-1 take distinct free spawn points uniformly at random, each with a random orientation. */
export function placeAtSpawnPoints(from: i32, to: i32): void {
  for (let i = from; i < to; i++) {
    placeAgent(i, freeSpawnPoint());
    setOri(i, nextBelow(4));
  }
}

/** The sequential social dilemmas' reset: every agent at a free spawn point (docs/RULES.md "Episodes"). */
export function placeAllAtSpawnPoints(): void {
  placeAtSpawnPoints(0, N);
}

/** The cell one step from c in direction (dr, dc), or -1 off the map. */
@inline export function offset(c: i32, dr: i32, dc: i32): i32 {
  const row = c / mapW + dr, col = c % mapW + dc;
  if (<u32>row >= <u32>mapH || <u32>col >= <u32>mapW) return -1;
  return row * mapW + col;
}

// ---- step 1: turns
export function applyTurns(): void {
  for (let i = 0; i < N; i++) {
    if (agentPos(i) < 0) continue;
    const a = agentAction(i);
    if (a == Action.TURN_CLOCKWISE) setOri(i, agentOri(i) + 1);
    else if (a == Action.TURN_COUNTERCLOCKWISE) setOri(i, agentOri(i) + 3);
  }
}

// ---- step 2: simultaneous moves (docs/RULES.md "Moves are resolved simultaneously")
// Scratch use: [0,N) target cell, [N,2N) state (-1 undecided, 0 stays, 1 moves), [2N,3N) chain, [3N,4N) claimants.
export function applyMoves(scratch: usize): void {
  const tgt = scratch, state = scratch + (<usize>N << 2), chain = scratch + (<usize>(2 * N) << 2);
  const claim = scratch + (<usize>(3 * N) << 2);
  let anyMove = false;
  for (let i = 0; i < N; i++) {
    const p = agentPos(i);
    let t = p;
    const a = agentAction(i);
    if (p >= 0 && a <= Action.MOVE_DOWN) {
      const d = agentOri(i) + load<i32>(MOVE_TURN + (<usize>a << 2));
      const c = offset(p, dirRow(d), dirCol(d));
      // A move into a wall or off the map leaves the agent where it is.
      if (c >= 0 && !isSolid(getCell(c))) { t = c; anyMove = true; }
    }
    store<i32>(tgt + (<usize>i << 2), t);
  }
  if (!anyMove) return;
  // Several agents wanting one cell: one of them, uniformly at random, keeps its move; the others stay.
  for (let i = 0; i < N; i++) {
    const t = load<i32>(tgt + (<usize>i << 2));
    if (t == agentPos(i)) continue;
    let first = true;
    for (let j = 0; j < i; j++) {
      if (load<i32>(tgt + (<usize>j << 2)) == t && agentPos(j) != t) { first = false; break; }
    }
    if (!first) continue;
    let count = 0;
    for (let j = i; j < N; j++) {
      if (load<i32>(tgt + (<usize>j << 2)) == t && agentPos(j) != t) {
        store<i32>(claim + (<usize>count << 2), j);
        count++;
      }
    }
    if (count < 2) continue;
    const winner = nextBelow(count);
    for (let k = 0; k < count; k++) {
      if (k == winner) continue;
      const j = load<i32>(claim + (<usize>k << 2));
      store<i32>(tgt + (<usize>j << 2), agentPos(j));
    }
  }
  // Now every target has at most one claimant. Follow each chain of occupants: it ends in a free cell
  // (all move), in an agent that stays (none move), or back at its start (a cycle: all move, unless it is
  // a two-agent swap, where both stay).
  for (let i = 0; i < N; i++) {
    store<i32>(state + (<usize>i << 2), load<i32>(tgt + (<usize>i << 2)) == agentPos(i) ? 0 : -1);
  }
  for (let i = 0; i < N; i++) {
    if (load<i32>(state + (<usize>i << 2)) != -1) continue;
    let len = 0;
    let cur = i;
    let result = 0;
    while (true) {
      store<i32>(chain + (<usize>len << 2), cur);
      len++;
      const j = agentAt(load<i32>(tgt + (<usize>cur << 2)));
      if (j < 0) { result = 1; break; }
      const sj = load<i32>(state + (<usize>j << 2));
      if (sj >= 0) { result = sj; break; }
      if (j == i) { result = len >= 3 ? 1 : 0; break; }
      cur = j;
    }
    for (let k = 0; k < len; k++) {
      store<i32>(state + (<usize>load<i32>(chain + (<usize>k << 2)) << 2), result);
    }
  }
  // Vacate every mover's cell first, then occupy the targets, so chains and cycles land cleanly.
  for (let i = 0; i < N; i++) {
    if (load<i32>(state + (<usize>i << 2)) == 1) store<u8>(occ + <usize>agentPos(i), 0);
  }
  for (let i = 0; i < N; i++) {
    if (load<i32>(state + (<usize>i << 2)) != 1) continue;
    const t = load<i32>(tgt + (<usize>i << 2));
    store<i32>(pos + (<usize>i << 2), t);
    store<u8>(occ + <usize>t, <u8>(i + 1));
  }
}

// ---- beams (docs/RULES.md step 4): three parallel rays; the centre starts in front of the agent, the sides
// directly left and right of it; each covers up to BEAM_LENGTH cells, stops at a wall or the edge (not
// covered) and after covering a cell with an agent. `onCell` is told each covered cell and returns true
// when the ray stops there. The covered cells are recorded for the views and cleared next step.
let beamList: usize = 0;
let beamCount: usize = 0;

export function bindBeams(b: i32): void {
  beamList = regionPtr(Region.BEAM_LIST) + (<usize>(b * 15 * N) << 2);
  beamCount = regionPtr(Region.BEAM_COUNT) + (<usize>b << 2);
}

@inline function markBeam(c: i32, kind: u32): void {
  if (load<u8>(beams + <usize>c) == 0) {
    const n = load<i32>(beamCount);
    store<i32>(beamList + (<usize>n << 2), c);
    store<i32>(beamCount, n + 1);
  }
  store<u8>(beams + <usize>c, kind); // the later beam shows where two overlap
}

/** Fires agent i's beam of `kind`. When `cleans` is set, the first waste cell a ray reaches turns into
 * river and the ray stops there. The agents the rays stop at are written to `victims` (one entry per
 * ray, so an agent may appear twice only if two rays reach it, which parallel rays cannot); returns how many. */
export function fireBeam(i: i32, kind: u32, cleans: bool, victims: usize): i32 {
  const p = agentPos(i);
  const d = agentOri(i);
  const fr = dirRow(d), fc = dirCol(d), rr = dirRow(d + 1), rc = dirCol(d + 1);
  let hits = 0;
  for (let ray = 0; ray < 3; ray++) {
    // centre: the cell in front; sides: the cells directly right and left
    let c = ray == 0 ? offset(p, fr, fc) : ray == 1 ? offset(p, rr, rc) : offset(p, -rr, -rc);
    for (let k = 0; k < BEAM_LENGTH && c >= 0; k++) {
      if (isSolid(getCell(c))) break;
      markBeam(c, kind);
      let stop = false;
      if (cleans && getCell(c) == Cell.WASTE) {
        setCell(c, Cell.RIVER);
        stop = true;
      }
      const victim = agentAt(c);
      if (victim >= 0) {
        store<i32>(victims + (<usize>hits << 2), victim);
        hits++;
        stop = true;
      }
      if (stop) break;
      c = offset(c, fr, fc);
    }
  }
  return hits;
}

// ---- the composited image: cells always drawn; beams and agents drawn over them at the end of a step
// and taken off at the start of the next one (agents on top of beams, docs/RULES.md [ours]).
export function clearOverlay(): void {
  const n = load<i32>(beamCount);
  for (let k = 0; k < n; k++) {
    const c = load<i32>(beamList + (<usize>k << 2));
    store<u8>(beams + <usize>c, 0);
    store<u32>(pixel(c), cellColour(getCell(c)));
  }
  store<i32>(beamCount, 0);
  for (let i = 0; i < N; i++) {
    const p = agentPos(i);
    if (p >= 0) store<u32>(pixel(p), cellColour(getCell(p)));
  }
}

export function drawOverlay(): void {
  const n = load<i32>(beamCount);
  for (let k = 0; k < n; k++) {
    const c = load<i32>(beamList + (<usize>k << 2));
    store<u32>(pixel(c), beamColour(load<u8>(beams + <usize>c)));
  }
  for (let i = 0; i < N; i++) {
    const p = agentPos(i);
    if (p >= 0) store<u32>(pixel(p), agentColour(i));
  }
}

/** Redraws the map part of the image from the cells (padding stays black). */
export function redrawImage(): void {
  for (let c = 0; c < mapCells; c++) store<u32>(pixel(c), cellColour(getCell(c)));
}

// ---- observations
/** Writes env b's views, other-agent actions and visibility flags. Call after drawOverlay. */
export function writeObservations(b: i32): void {
  const V = viewSide, R = radius;
  const viewBytes = <usize>(V * V * 3);
  const obs0 = regionPtr(Region.OBS) + <usize>(b * N) * viewBytes;
  // Pixels are written as 4-byte words 3 bytes apart; each word's spare byte lands on the next pixel and
  // is overwritten by it. Keep the word just past this env's block as it was.
  const end = obs0 + <usize>N * viewBytes;
  const saved = load<u32>(end);
  for (let i = 0; i < N; i++) {
    let dst = obs0 + <usize>i * viewBytes;
    const p = agentPos(i);
    if (p < 0) { memory.fill(dst, 0, viewBytes); continue; }
    // Output (row u, col v) shows the map cell  P + (R - u) * forward + (v - R) * right.
    const d = agentOri(i);
    const fwd = dirRow(d) * padW + dirCol(d);
    const right = dirRow(d + 1) * padW + dirCol(d + 1);
    const row = p / mapW, col = p - row * mapW;
    const centre = (row + R) * padW + col + R;
    let rowStart = image + (<isize>(centre + R * fwd - R * right) << 2);
    const stepRight = <isize>right << 2;
    const stepDown = <isize>(-fwd) << 2;
    for (let u = 0; u < V; u++) {
      let src = rowStart;
      for (let v = 0; v < V; v++) {
        store<u32>(dst, load<u32>(src));
        dst += 3;
        src += stepRight;
      }
      rowStart += stepDown;
    }
  }
  store<u32>(end, saved);

  // others' actions and visibility
  const others = regionPtr(Region.OTHER_ACTIONS) + <usize>(b * N * (N > 1 ? N - 1 : 1));
  const vis = regionPtr(Region.VISIBLE) + <usize>(b * N * N);
  for (let i = 0; i < N; i++) {
    const pi = agentPos(i);
    const ri = pi / mapW, ci = pi % mapW;
    let k = 0;
    for (let j = 0; j < N; j++) {
      let seen: u8 = 0;
      if (j != i) {
        store<u8>(others + <usize>(i * (N - 1) + k), load<u8>(actions + <usize>j));
        k++;
        const pj = agentPos(j);
        if (pi >= 0 && pj >= 0) {
          const rj = pj / mapW, cj = pj % mapW;
          if (abs<i32>(rj - ri) <= R && abs<i32>(cj - ci) <= R) seen = 1;
        }
      }
      store<u8>(vis + <usize>(i * N + j), seen);
    }
  }
}

/** Writes env b's full map (cells, beams, agents) as RGB into FRAME. */
export function renderFrame(): void {
  let dst = regionPtr(Region.FRAME);
  for (let c = 0; c < mapCells; c++) {
    const w = load<u32>(pixel(c));
    store<u8>(dst, <u8>w);
    store<u8>(dst, <u8>(w >> 8), 1);
    store<u8>(dst, <u8>(w >> 16), 2);
    dst += 3;
  }
}


// The one place that declares every region of the core's linear memory: its id, dtype and shape.
// Offsets are computed once by `computeLayout` (sizes depend on the configuration) and memory is grown
// to fit in one go; after that, stepping allocates nothing. The host (src/core/layout.ts) builds typed
// views from the table this module exports and checks each region's dtype and shape against its own
// typed declaration, so a mismatch fails at load time rather than corrupting memory.
//
// Shapes use B = envs, N = agents, H x W = map, V = 2r+1 = view side, T = episode length,
// Hp x Wp = padded map (H+2r) x (W+2r), S = STAT_COUNT.

import {
  numEnvs, numAgents, mapH, mapW, mapCells, viewSide, padH, padW, episodeLength,
} from './config';

export const enum DType { U8 = 0, I32 = 1, U32 = 2, F32 = 3, F64 = 4 }

export const enum Region {
  // ---- inputs
  /** u8 [B, N]: the actions for the next step, written by the host. */
  ACTIONS = 0,
  // ---- outputs of each step (and of reset)
  /** u8 [B*N, V, V, 3]: egocentric RGB views, forward on top (docs/RULES.md [ours]). */
  OBS,
  /** f32 [B, N]: rewards of the last step. */
  REWARDS,
  /** u8 [B]: 1 when the last step ended an episode; the env has already reset and OBS shows the new one. */
  DONES,
  /** u8 [B*N, max(N-1,1)]: each agent's copy of the other agents' actions of the last step, in agent order. */
  OTHER_ACTIONS,
  /** u8 [B, N, N]: [b,i,j] = 1 when agent j stands inside agent i's window (square test, j != i). */
  VISIBLE,
  /** u8 [H, W, 3]: the full map of one env as RGB, written by renderWorld. */
  FRAME,
  // ---- per-env state
  /** u8 [B, H*W]: cell contents without agents and beams (Cell codes in grid.ts). */
  CELLS,
  /** u8 [B, H*W]: 1 + index of the agent standing on the cell, 0 for none. */
  OCC,
  /** u8 [B, H*W]: beam shown on the cell this step: 0 none, 1 FIRE, 2 CLEAN. */
  BEAMS,
  /** i32 [B, 3*5*N]: the cells listed in BEAMS, so they can be cleared without a scan. */
  BEAM_LIST,
  /** i32 [B]: entries used in BEAM_LIST. */
  BEAM_COUNT,
  /** u32 [B, Hp*Wp]: padded RGBX image of the map with beams and agents drawn, source of the views. */
  IMAGE,
  /** i32 [B, N]: agent cell index (row*W + col), -1 while removed by a tag. */
  AGENT_POS,
  /** u8 [B, N]: agent orientation, 0 UP, 1 RIGHT, 2 DOWN, 3 LEFT. */
  AGENT_ORI,
  /** i32 [B, N]: steps left out of play after a tag (0 = in play). */
  AGENT_TIMEOUT,
  /** u32 [B, 4]: xoshiro128** state of each env. */
  RNG,
  /** i32 [B]: steps taken in the current episode. */
  STEP_COUNT,
  /** i32 [B]: apples on the map now. */
  APPLE_COUNT,
  /** i32 [B]: waste cells on the map now (Cleanup). */
  WASTE_COUNT,
  /** i32 [B]: episodes finished since the last reset() call. */
  EPISODES,
  // ---- per-episode statistics: EP_* accumulate the running episode, LAST_* hold the last finished one
  /** i32 [B, S, N]: per agent: return, apples eaten, fire actions, clean actions, hits received,
   * hits given, steps with a positive reward (Stat in metrics.ts). */
  EP_STATS,
  /** f64 [B, N]: sum of the (1-based) step indices at which the agent got a positive reward. */
  EP_POS_T,
  /** i32 [B]: agent-steps spent removed by tags. */
  EP_REMOVED,
  /** i32 [B, 2, T]: apples, then waste cells, on the map after each step. */
  EP_SERIES,
  /** i32 [B, S, N]: EP_STATS of the last finished episode. */
  LAST_STATS,
  /** f64 [B, N]: EP_POS_T of the last finished episode. */
  LAST_POS_T,
  /** i32 [B]: EP_REMOVED of the last finished episode. */
  LAST_REMOVED,
  /** i32 [B, 2, T]: EP_SERIES of the last finished episode. */
  LAST_SERIES,
  /** f64 [B, 4]: efficiency, equality, sustainability, peace of the last finished episode (NaN = undefined). */
  LAST_METRICS,
  // ---- the map, shared by all envs
  /** u8 [H, W]: the ASCII map, written by the host before init. */
  BASE_MAP,
  /** i32 [H*W]: cell indices of agent spawn points ('P'); MAP_COUNTS[0] are used. */
  SPAWN_POINTS,
  /** i32 [H*W]: cell indices of apple points ('A' in Harvest, 'B' in Cleanup); MAP_COUNTS[1] are used. */
  APPLE_POINTS,
  /** i32 [H*W]: cell indices the game lists for itself (Cleanup: river cells 'H' and 'R'; Box trapped: the
   * cells inside the box, 'T'); MAP_COUNTS[2] are used. */
  GAME_POINTS,
  /** i32 [4]: spawn points, apple points, game points, and one more count of the game's (Cleanup: the
   * initial waste cells; Box trapped: the box's cells). */
  MAP_COUNTS,
  /** i32 [max(H*W, 8N)]: scratch for one env's step (move targets, new apples, shuffles). */
  SCRATCH,
  // ---- the game's own statistics (appended last, so that the regions above keep their offsets)
  /** i32 [B, G]: the running episode's statistics of the game's own (G = GAME_STAT_COUNT; what each
   * means is in the game's rules file and its host definition; unused ones stay 0). */
  EP_GAME,
  /** i32 [B, G]: EP_GAME of the last finished episode. */
  LAST_GAME,
  COUNT,
}

// Per region: offset, bytes, dtype, rank, dims[4]; 8 x i32 each.
const TABLE = memory.data(<i32>Region.COUNT * 32);
let cursor: usize = 0;

function define(id: Region, dtype: DType, d0: i32, d1: i32 = -1, d2: i32 = -1, d3: i32 = -1): void {
  const rank = d1 < 0 ? 1 : d2 < 0 ? 2 : d3 < 0 ? 3 : 4;
  let elems = <usize>d0;
  if (rank > 1) elems *= <usize>d1;
  if (rank > 2) elems *= <usize>d2;
  if (rank > 3) elems *= <usize>d3;
  const size: usize = dtype == DType.U8 ? 1 : dtype == DType.F64 ? 8 : 4;
  // 16-byte alignment for every region; 4 spare bytes after each so word-wide stores may spill (grid.ts).
  cursor = (cursor + 15) & ~15;
  const row = TABLE + (<usize>id << 5);
  store<i32>(row, <i32>cursor);
  store<i32>(row, <i32>(elems * size), 4);
  store<i32>(row, dtype, 8);
  store<i32>(row, rank, 12);
  store<i32>(row, d0, 16);
  store<i32>(row, d1, 20);
  store<i32>(row, d2, 24);
  store<i32>(row, d3, 28);
  cursor += elems * size + 4;
}

/** Lays out every region after the static data and the objects made at start (the table of games),
 * and grows memory to hold them. Nothing is allocated after this: the regions are all the core writes. */
export function computeLayout(): void {
  // The runtime (stub) hands out memory upwards from __heap_base; one more small block marks how far it got.
  cursor = (heap.alloc(16) + 16 + 15) & ~15;
  const B = numEnvs, N = numAgents, V = viewSide, T = episodeLength, C = mapCells;
  define(Region.ACTIONS, DType.U8, B, N);
  define(Region.OBS, DType.U8, B * N, V, V, 3);
  define(Region.REWARDS, DType.F32, B, N);
  define(Region.DONES, DType.U8, B);
  define(Region.OTHER_ACTIONS, DType.U8, B * N, N > 1 ? N - 1 : 1);
  define(Region.VISIBLE, DType.U8, B, N, N);
  define(Region.FRAME, DType.U8, mapH, mapW, 3);
  define(Region.CELLS, DType.U8, B, C);
  define(Region.OCC, DType.U8, B, C);
  define(Region.BEAMS, DType.U8, B, C);
  define(Region.BEAM_LIST, DType.I32, B, 15 * N);
  define(Region.BEAM_COUNT, DType.I32, B);
  define(Region.IMAGE, DType.U32, B, padH * padW);
  define(Region.AGENT_POS, DType.I32, B, N);
  define(Region.AGENT_ORI, DType.U8, B, N);
  define(Region.AGENT_TIMEOUT, DType.I32, B, N);
  define(Region.RNG, DType.U32, B, 4);
  define(Region.STEP_COUNT, DType.I32, B);
  define(Region.APPLE_COUNT, DType.I32, B);
  define(Region.WASTE_COUNT, DType.I32, B);
  define(Region.EPISODES, DType.I32, B);
  define(Region.EP_STATS, DType.I32, B, STAT_COUNT, N);
  define(Region.EP_POS_T, DType.F64, B, N);
  define(Region.EP_REMOVED, DType.I32, B);
  define(Region.EP_SERIES, DType.I32, B, 2, T);
  define(Region.LAST_STATS, DType.I32, B, STAT_COUNT, N);
  define(Region.LAST_POS_T, DType.F64, B, N);
  define(Region.LAST_REMOVED, DType.I32, B);
  define(Region.LAST_SERIES, DType.I32, B, 2, T);
  define(Region.LAST_METRICS, DType.F64, B, 4);
  define(Region.BASE_MAP, DType.U8, mapH, mapW);
  define(Region.SPAWN_POINTS, DType.I32, C);
  define(Region.APPLE_POINTS, DType.I32, C);
  define(Region.GAME_POINTS, DType.I32, C);
  define(Region.MAP_COUNTS, DType.I32, 4);
  define(Region.SCRATCH, DType.I32, C > 8 * N ? C : 8 * N);
  define(Region.EP_GAME, DType.I32, B, GAME_STAT_COUNT);
  define(Region.LAST_GAME, DType.I32, B, GAME_STAT_COUNT);
  const need = (cursor + 0xFFFF) >> 16;
  const have = <usize>memory.size();
  if (need > have && memory.grow(<i32>(need - have)) < 0) {
    throw new Error('core: out of memory for this configuration');
  }
}

/** Number of statistics per agent in EP_STATS / LAST_STATS. */
export const STAT_COUNT: i32 = 7;

/** Number of per-episode statistics a game may keep of its own (EP_GAME / LAST_GAME). */
export const GAME_STAT_COUNT: i32 = 4;

/** Address of env b's statistic k of the game's own in `base` (EP_GAME or LAST_GAME). */
@inline export function gameStatPtr(base: usize, b: i32, k: i32): usize {
  return base + (<usize>(b * GAME_STAT_COUNT + k) << 2);
}

@inline export function regionPtr(id: Region): usize {
  return <usize>load<i32>(TABLE + (<usize>id << 5));
}

/** Address of the region table (Region.COUNT rows of 8 x i32) for the host. */
export function layoutTable(): usize {
  return TABLE;
}

/** Bytes in use up to the end of the last region. */
export function layoutEnd(): usize {
  return cursor;
}

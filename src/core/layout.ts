// Typed views over the core's memory regions. The core (assembly/layout.ts) decides offsets and sizes
// and exports them as a table; this module names each region with its dtype and shape, builds a typed
// array view per region, and checks every entry against the table at load time, so the two
// declarations cannot drift apart silently.

/** Sizes that shape the regions. */
export interface LayoutDims {
  /** B: environments. */ envs: number;
  /** N: agents per environment. */ agents: number;
  /** H: map rows. */ height: number;
  /** W: map columns. */ width: number;
  /** r: view radius; V = 2r + 1. */ radius: number;
  /** T: steps per episode. */ episodeLength: number;
}

type DType = 'u8' | 'i32' | 'u32' | 'f32' | 'f64';
const DTYPE_CODES: Record<DType, number> = { u8: 0, i32: 1, u32: 2, f32: 3, f64: 4 };
const CTORS = {
  u8: Uint8Array, i32: Int32Array, u32: Uint32Array, f32: Float32Array, f64: Float64Array,
} as const;
type ArrayOf<D extends DType> = InstanceType<(typeof CTORS)[D]>;

/** Per-agent statistics in EP_STATS / LAST_STATS, in the core's order (assembly/metrics.ts Stat). */
export const STATS = [
  'return', 'apples', 'fires', 'cleans', 'hitsReceived', 'hitsGiven', 'positiveSteps',
] as const;
const S = STATS.length;
/** Per-episode statistics a game may keep of its own (assembly/layout.ts GAME_STAT_COUNT). */
export const GAME_STAT_COUNT = 4;

function region<D extends DType>(id: number, dtype: D, shape: (d: LayoutDims) => number[]) {
  return { id, dtype, shape };
}

const V = (d: LayoutDims) => 2 * d.radius + 1;
const HW = (d: LayoutDims) => d.height * d.width;
const PAD = (d: LayoutDims) => (d.height + 2 * d.radius) * (d.width + 2 * d.radius);

/** Every region, with the id the core gives it (assembly/layout.ts Region) and its shape. */
export const REGIONS = {
  /** u8 [B, N]: actions for the next step. */
  actions: region(0, 'u8', (d) => [d.envs, d.agents]),
  /** u8 [B*N, V, V, 3]: egocentric RGB views. */
  obs: region(1, 'u8', (d) => [d.envs * d.agents, V(d), V(d), 3]),
  /** f32 [B, N]: rewards of the last step. */
  rewards: region(2, 'f32', (d) => [d.envs, d.agents]),
  /** u8 [B]: 1 when the last step ended the env's episode (it has already reset). */
  dones: region(3, 'u8', (d) => [d.envs]),
  /** u8 [B*N, max(N-1,1)]: other agents' actions of the last step, in agent order. */
  otherActions: region(4, 'u8', (d) => [d.envs * d.agents, Math.max(d.agents - 1, 1)]),
  /** u8 [B, N, N]: [b,i,j] = 1 when j is inside i's window (j != i). */
  visible: region(5, 'u8', (d) => [d.envs, d.agents, d.agents]),
  /** u8 [H, W, 3]: one env's full map, written by renderWorld. */
  frame: region(6, 'u8', (d) => [d.height, d.width, 3]),
  /** u8 [B, H*W]: cell codes (see CELL). */
  cells: region(7, 'u8', (d) => [d.envs, HW(d)]),
  /** u8 [B, H*W]: 1 + agent index on the cell, 0 for none. */
  occupancy: region(8, 'u8', (d) => [d.envs, HW(d)]),
  /** u8 [B, H*W]: beam on the cell this step: 0 none, 1 FIRE, 2 CLEAN. */
  beams: region(9, 'u8', (d) => [d.envs, HW(d)]),
  /** i32 [B, 15N]: cells listed in beams. */
  beamList: region(10, 'i32', (d) => [d.envs, 15 * d.agents]),
  /** i32 [B]: entries used in beamList. */
  beamCount: region(11, 'i32', (d) => [d.envs]),
  /** u32 [B, Hp*Wp]: padded RGBX image the views are cut from. */
  image: region(12, 'u32', (d) => [d.envs, PAD(d)]),
  /** i32 [B, N]: agent cell index row*W+col, -1 while tagged out. */
  agentPos: region(13, 'i32', (d) => [d.envs, d.agents]),
  /** u8 [B, N]: orientation 0 UP, 1 RIGHT, 2 DOWN, 3 LEFT. */
  agentOri: region(14, 'u8', (d) => [d.envs, d.agents]),
  /** i32 [B, N]: steps left out of play after a tag. */
  agentTimeout: region(15, 'i32', (d) => [d.envs, d.agents]),
  /** u32 [B, 4]: each env's generator state. */
  rng: region(16, 'u32', (d) => [d.envs, 4]),
  /** i32 [B]: steps taken in the current episode. */
  stepCount: region(17, 'i32', (d) => [d.envs]),
  /** i32 [B]: apples on the map. */
  appleCount: region(18, 'i32', (d) => [d.envs]),
  /** i32 [B]: waste cells on the map. */
  wasteCount: region(19, 'i32', (d) => [d.envs]),
  /** i32 [B]: episodes finished since reset(). */
  episodes: region(20, 'i32', (d) => [d.envs]),
  /** i32 [B, S, N]: running episode's per-agent statistics (STATS order). */
  epStats: region(21, 'i32', (d) => [d.envs, S, d.agents]),
  /** f64 [B, N]: running sum of 1-based steps with a positive reward. */
  epPosT: region(22, 'f64', (d) => [d.envs, d.agents]),
  /** i32 [B]: running agent-steps removed by tags. */
  epRemoved: region(23, 'i32', (d) => [d.envs]),
  /** i32 [B, 2, T]: running apples and waste after each step. */
  epSeries: region(24, 'i32', (d) => [d.envs, 2, d.episodeLength]),
  /** i32 [B, S, N]: last finished episode's statistics. */
  lastStats: region(25, 'i32', (d) => [d.envs, S, d.agents]),
  /** f64 [B, N]: last finished episode's positive-reward step sums. */
  lastPosT: region(26, 'f64', (d) => [d.envs, d.agents]),
  /** i32 [B]: last finished episode's removed agent-steps. */
  lastRemoved: region(27, 'i32', (d) => [d.envs]),
  /** i32 [B, 2, T]: last finished episode's apples and waste series. */
  lastSeries: region(28, 'i32', (d) => [d.envs, 2, d.episodeLength]),
  /** f64 [B, 4]: last finished episode's efficiency, equality, sustainability, peace (NaN = undefined). */
  lastMetrics: region(29, 'f64', (d) => [d.envs, 4]),
  /** u8 [H, W]: the ASCII map. */
  baseMap: region(30, 'u8', (d) => [d.height, d.width]),
  /** i32 [H*W]: spawn point cells. */
  spawnPoints: region(31, 'i32', (d) => [HW(d)]),
  /** i32 [H*W]: apple point cells. */
  applePoints: region(32, 'i32', (d) => [HW(d)]),
  /** i32 [H*W]: the cells a game lists for itself (Cleanup: river; Box trapped: inside the box). */
  gamePoints: region(33, 'i32', (d) => [HW(d)]),
  /** i32 [4]: spawn points, apple points, game points, and a count of the game's (Cleanup: initial waste; Box trapped: box cells). */
  mapCounts: region(34, 'i32', () => [4]),
  /** i32 scratch. */
  scratch: region(35, 'i32', (d) => [Math.max(HW(d), 8 * d.agents)]),
  /** i32 [B, G]: running episode's statistics of the game's own (its definition's `stats`, in order). */
  epGame: region(36, 'i32', (d) => [d.envs, GAME_STAT_COUNT]),
  /** i32 [B, G]: last finished episode's statistics of the game's own. */
  lastGame: region(37, 'i32', (d) => [d.envs, GAME_STAT_COUNT]),
} as const;

export const REGION_COUNT = 38;

export type CoreViews = { [K in keyof typeof REGIONS]: ArrayOf<(typeof REGIONS)[K]['dtype']> };

/** Cell codes of the `cells` region (assembly/grid.ts Cell). */
export const CELL = { FLOOR: 0, WALL: 1, APPLE: 2, WASTE: 3, RIVER: 4, STREAM: 5, BOX: 6 } as const;

/**
 * Builds a view per region over `buffer`, checking dtype and byte size of each against the core's table
 * (REGION_COUNT rows of [offset, bytes, dtype, rank, d0..d3] i32 at `tablePtr`).
 */
export function buildViews(buffer: ArrayBuffer, tablePtr: number, dims: LayoutDims): CoreViews {
  const table = new Int32Array(buffer, tablePtr, REGION_COUNT * 8);
  const views: Record<string, ArrayLike<number>> = {};
  for (const [name, r] of Object.entries(REGIONS)) {
    const row = table.subarray(r.id * 8, r.id * 8 + 8);
    const shape = r.shape(dims);
    const coreShape = Array.from(row.subarray(4, 4 + row[3]));
    const Ctor = CTORS[r.dtype];
    const elems = shape.reduce((a, b) => a * b, 1);
    if (row[2] !== DTYPE_CODES[r.dtype] || row[1] !== elems * Ctor.BYTES_PER_ELEMENT ||
        coreShape.join(',') !== shape.join(',')) {
      throw new Error(
        `core layout mismatch for region '${name}' (id ${r.id}): host expects ${r.dtype} [${shape}], ` +
          `core has dtype code ${row[2]} [${coreShape}] (${row[1]} bytes); rebuild with 'npm run build'`,
      );
    }
    views[name] = new Ctor(buffer, row[0], elems);
  }
  return views as unknown as CoreViews;
}

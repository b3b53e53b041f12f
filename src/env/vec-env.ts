// The environment host: a batch of B environments x N agents stepped by one WebAssembly core instance.
// Everything the core produces is exposed as typed-array views over its memory: no copies cross the
// boundary and a step allocates nothing. The same code runs in Node, browsers and workers.

import { InputError } from '../util/errors.ts';
import { createCore, type Core } from '../core/core.ts';
import { CELL, STATS, GAME_STAT_COUNT, type CoreViews } from '../core/layout.ts';
import { gameInfo, type GameName } from './games.ts';
import { parseMap } from './maps.ts';

/** Configuration of a batch of environments. */
export interface EnvConfig {
  /** Which game: a name of the table in src/env/games.ts ('harvest', 'cleanup', 'box-trapped'). Required. */
  game: GameName;
  /** B: environments stepped together. Default 1. */
  numEnvs?: number;
  /** N: agents per environment, 1 to the map's spawn points. Default: the game's (5; Box trapped 2). */
  numAgents?: number;
  /** Seed, an integer in [0, 2^53); environment b draws from its own generator seeded by (seed, firstEnv + b). Default 0. */
  seed?: number;
  /** Index of this batch's first environment in a larger batch split over workers: env b here replays env
   * firstEnv + b of the whole. Default 0. */
  firstEnv?: number;
  /** An ASCII map replacing the game's default (docs/RULES.md characters), one string per row. */
  map?: string[];
  /** View radius r: each agent sees a (2r+1) x (2r+1) window. Default 7 (15 x 15). */
  viewRadius?: number;
  /** Steps per episode; the env resets itself after this many. Default: the game's (1000; Box trapped 100). */
  episodeLength?: number;
  /** Steps a FIRE hit removes an agent for (docs/RULES.md [ours]); 0 keeps hit agents in play. Default 0. */
  tagTimeout?: number;
}

const DEFAULTS = { numEnvs: 1, seed: 0, firstEnv: 0, viewRadius: 7, tagTimeout: 0 };
const CONFIG_KEYS = ['game', 'map', 'numEnvs', 'numAgents', 'seed', 'firstEnv', 'viewRadius', 'episodeLength', 'tagTimeout'];

/** What a batch of environments is: fixed for its lifetime. */
export interface EnvSpec {
  game: GameName;
  /** Behaviour version of the rules, e.g. 'cleanup_v1'. */
  version: string;
  numEnvs: number;
  numAgents: number;
  /** The game's actions: 8 for Harvest and Box trapped, 9 for Cleanup. */
  numActions: number;
  /** Action names by index. */
  actionNames: readonly string[];
  /** One agent's observation: [V, V, 3] with V = 2 * viewRadius + 1. */
  obsShape: [number, number, number];
  viewRadius: number;
  mapHeight: number;
  mapWidth: number;
  episodeLength: number;
  tagTimeout: number;
  seed: number;
}

/**
 * What reset() and step() return: live views into the core's memory, overwritten by the next call.
 * Copy what you need to keep. Index agent i of env b as b * N + i.
 */
export interface StepResult {
  /** uint8 [B*N, V, V, 3]: each agent's egocentric RGB view, its forward direction on top. */
  obs: Uint8Array;
  /** float32 [B*N]: rewards of the last step (zeros after reset). */
  rewards: Float32Array;
  /** uint8 [B]: 1 where the last step ended an episode; that env has already reset and `obs` shows
   * the first observation of its next episode. lastEpisode(b) has the finished episode's statistics. */
  dones: Uint8Array;
  /** uint8 [B*N, N-1]: for each agent, the other agents' actions of the last step, in agent order. */
  otherActions: Uint8Array;
  /** uint8 [B, N, N]: [b, i, j] = 1 when agent j stands inside agent i's window (square test; 0 for j = i). */
  visible: Uint8Array;
}

/** Statistics of one finished episode (docs/RULES.md "Social outcome metrics"). */
export interface EpisodeStats {
  /** Episodes this env had finished before this one since reset(). */
  index: number;
  steps: number;
  /** Per-agent sum of rewards. */
  returns: number[];
  collectiveReturn: number;
  /** Per agent: apples eaten, FIRE and CLEAN actions taken, FIRE hits received and given. */
  applesEaten: number[];
  fireActions: number[];
  cleanActions: number[];
  hitsReceived: number[];
  hitsGiven: number[];
  /** int32 [T]: apples on the map after each step. */
  applesSeries: Int32Array;
  /** int32 [T]: waste cells on the map after each step (all 0 in Harvest). */
  wasteSeries: Int32Array;
  /** The game's own statistics (its definition's `stats`), by name; {} for games without any. A 'step'
   * statistic is null in an episode where its event did not happen. */
  game: Record<string, number | null>;
  /** Sum of returns / T. */
  efficiency: number;
  /** 1 - Gini of the returns; null when the returns sum to <= 0. */
  equality: number | null;
  /** Mean over agents of the mean step (1-based) of their positive rewards; null if no agent had one. */
  sustainability: number | null;
  /** (N*T - agent-steps removed by tags) / T. */
  peace: number;
}

/** One agent's place on the map; row = -1 while tagged out. */
export interface AgentState { row: number; col: number; orientation: number }

export interface VecEnv {
  readonly spec: EnvSpec;
  /** The action buffer, uint8 [B*N]: write into it and call step() with no argument to skip a copy. */
  readonly actions: Uint8Array;
  /** Reseeds (optionally with a new seed) and resets every env. */
  reset(seed?: number): StepResult;
  /** Reseeds env b alone with `seed` and resets it, as env 0 of a batch seeded `seed` starts (so
   * `createVecEnv({ ...config, seed, numEnvs: 1 })` replays it under the same actions); the other envs go on. */
  resetEnv(env: number, seed: number): StepResult;
  /** Steps every env once. `actions` has B*N entries, integers in [0, numActions). */
  step(actions?: ArrayLike<number>): StepResult;
  /** Statistics of env b's last finished episode, or null if none finished since reset(). */
  lastEpisode(env: number): EpisodeStats | null;
  /** A copy of env b's full map as RGB, uint8 [H, W, 3], beams and agents drawn. */
  renderWorld(env: number): Uint8Array;
  /** Where env b's agents stand. */
  agents(env: number): AgentState[];
  /** A copy of the whole batch's state (maps, agents, generators, statistics), for checkpoints. */
  saveState(): Uint8Array;
  /** Restores a saveState() copy taken from a batch with the same configuration. */
  loadState(state: Uint8Array): void;
  /** Releases the core; the env cannot be used afterwards. */
  close(): void;
  /** Hooks for tests and tools: raw region views and scenario building. Not a stable API. */
  readonly internals: EnvInternals;
}

export interface EnvInternals {
  views: CoreViews;
  memory: WebAssembly.Memory;
  /** Puts agent i of env b on (row, col) facing orientation (0 UP, 1 RIGHT, 2 DOWN, 3 LEFT); row -1 removes it. */
  placeAgent(env: number, agent: number, row: number, col: number, orientation: number): void;
  /** Sets a cell to a CELL code. */
  setCell(env: number, row: number, col: number, cell: number): void;
  /** Redraws env b's image and observations after placeAgent/setCell. */
  refresh(env: number): void;
}

function checkInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new InputError(`${field}: expected ${range}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkSeed(value: unknown): number {
  return checkInt('seed', value, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * Creates B environments of one game.
 * @example const env = await createVecEnv({ game: 'cleanup', numEnvs: 16, numAgents: 5, seed: 1 });
 */
export async function createVecEnv(config: EnvConfig): Promise<VecEnv> {
  if (config === null || typeof config !== 'object') throw new InputError('config: expected an object with at least { game }');
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw new InputError(`config: unknown option '${key}'; allowed options: ${CONFIG_KEYS.join(', ')}`);
    }
  }
  const info = gameInfo(config.game);
  const c = {
    ...DEFAULTS, numAgents: info.defaultAgents, episodeLength: info.episodeLength,
    ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
  };
  const numEnvs = checkInt('numEnvs', c.numEnvs, 1, 65536);
  const numAgents = checkInt('numAgents', c.numAgents, 1, 255);
  const seed = checkSeed(c.seed);
  const firstEnv = checkInt('firstEnv', c.firstEnv, 0, 2 ** 31);
  const viewRadius = checkInt('viewRadius', c.viewRadius, 0, 64);
  const episodeLength = checkInt('episodeLength', c.episodeLength, 1, 1_000_000);
  const tagTimeout = checkInt('tagTimeout', c.tagTimeout, 0, 1_000_000);
  const map = parseMap(config.map ?? info.defaultMap, info, numAgents);
  const dims = { envs: numEnvs, agents: numAgents, height: map.height, width: map.width, radius: viewRadius, episodeLength };

  let core: Core | undefined;
  try {
    core = await createCore(info.id, dims, tagTimeout);
  } catch (e) {
    throw new InputError(`createVecEnv: the core could not lay out ${numEnvs} envs x ${numAgents} agents ` +
      `(episodeLength ${episodeLength}, viewRadius ${viewRadius}): ${(e as Error).message}`);
  }
  const { exports, views } = core;
  const text = map.rows.join('');
  for (let k = 0; k < text.length; k++) views.baseMap[k] = text.charCodeAt(k);
  exports.initMap();

  const B = numEnvs, N = numAgents, nA = info.actionNames.length, T = episodeLength;
  const result: StepResult = {
    obs: views.obs,
    rewards: views.rewards,
    dones: views.dones,
    otherActions: views.otherActions.subarray(0, B * N * (N - 1)),
    visible: views.visible,
  };
  let closed = false;
  let currentSeed = seed;
  const live = () => {
    if (closed) throw new Error('env: this VecEnv is closed');
  };
  const checkEnv = (b: number) => checkInt('env', b, 0, B - 1);
  const doReset = (s: number) => {
    exports.reset(s % 2 ** 32, Math.floor(s / 2 ** 32), firstEnv);
    return result;
  };
  doReset(seed);

  const spec: EnvSpec = {
    game: info.name, version: info.version, numEnvs: B, numAgents: N, numActions: nA,
    actionNames: info.actionNames, obsShape: [2 * viewRadius + 1, 2 * viewRadius + 1, 3], viewRadius,
    mapHeight: map.height, mapWidth: map.width, episodeLength, tagTimeout, seed,
  };

  const describeBad = (k: number, value: number) =>
    `actions[${k}]: ${value} for env ${Math.floor(k / N)}, agent ${k % N} is not an action of ${info.name}; ` +
    `allowed values: integers 0 to ${nA - 1} (${info.actionNames.join(', ')})`;

  return {
    spec,
    actions: views.actions,
    reset(newSeed?: number) {
      live();
      if (newSeed !== undefined) currentSeed = checkSeed(newSeed);
      spec.seed = currentSeed;
      return doReset(currentSeed);
    },
    resetEnv(b: number, envSeed: number) {
      live();
      checkEnv(b);
      const s = checkSeed(envSeed);
      exports.resetOne(b, s % 2 ** 32, Math.floor(s / 2 ** 32), 0);
      return result;
    },
    step(actions?: ArrayLike<number>) {
      live();
      if (actions !== undefined) {
        if (actions.length !== B * N) {
          throw new InputError(`actions: expected ${B * N} entries (numEnvs ${B} x numAgents ${N}), got ${actions.length}`);
        }
        if (!(actions instanceof Uint8Array)) {
          // Check before copying: a Uint8Array would wrap -1 to 255 and truncate 2.5 to 2.
          for (let k = 0; k < actions.length; k++) {
            const a = actions[k];
            if (!Number.isInteger(a) || a < 0 || a >= nA) throw new InputError(describeBad(k, a));
          }
        }
        if (actions !== views.actions) views.actions.set(actions);
      }
      const bad = exports.step();
      if (bad >= 0) throw new InputError(describeBad(bad, views.actions[bad]));
      return result;
    },
    lastEpisode(b: number): EpisodeStats | null {
      live();
      checkEnv(b);
      const count = views.episodes[b];
      if (count === 0) return null;
      const stat = (name: (typeof STATS)[number]) => {
        const s = STATS.indexOf(name);
        return Array.from(views.lastStats.subarray((b * STATS.length + s) * N, (b * STATS.length + s + 1) * N));
      };
      const returns = stat('return');
      const m = views.lastMetrics.subarray(b * 4, b * 4 + 4);
      const orNull = (x: number) => (Number.isNaN(x) ? null : x);
      const game: Record<string, number | null> = {};
      info.stats.forEach((st, k) => {
        const v = views.lastGame[b * GAME_STAT_COUNT + k];
        game[st.name] = st.kind === 'step' && v === 0 ? null : v;
      });
      return {
        index: count - 1,
        steps: T,
        returns,
        collectiveReturn: returns.reduce((a, r) => a + r, 0),
        applesEaten: stat('apples'),
        fireActions: stat('fires'),
        cleanActions: stat('cleans'),
        hitsReceived: stat('hitsReceived'),
        hitsGiven: stat('hitsGiven'),
        applesSeries: views.lastSeries.slice(b * 2 * T, b * 2 * T + T),
        wasteSeries: views.lastSeries.slice(b * 2 * T + T, b * 2 * T + 2 * T),
        game,
        efficiency: m[0],
        equality: orNull(m[1]),
        sustainability: orNull(m[2]),
        peace: m[3],
      };
    },
    renderWorld(b: number) {
      live();
      exports.renderWorld(checkEnv(b));
      return views.frame.slice();
    },
    agents(b: number) {
      live();
      checkEnv(b);
      const out: AgentState[] = [];
      for (let i = 0; i < N; i++) {
        const p = views.agentPos[b * N + i];
        out.push({ row: p < 0 ? -1 : Math.floor(p / map.width), col: p < 0 ? -1 : p % map.width, orientation: views.agentOri[b * N + i] });
      }
      return out;
    },
    saveState() {
      live();
      const start = views.actions.byteOffset;
      return new Uint8Array(exports.memory.buffer, start, exports.layoutEnd() - start).slice();
    },
    loadState(state: Uint8Array) {
      live();
      const start = views.actions.byteOffset;
      const length = exports.layoutEnd() - start;
      // A state saved before the game's own statistics existed (commons before the games table) ends where the
      // scratch region did: it loads, the statistics of the running episode starting at 0 (Harvest and Cleanup
      // keep none, so nothing is lost).
      const older = views.scratch.byteOffset + views.scratch.byteLength + 4 - start;
      if (!(state instanceof Uint8Array) || (state.length !== length && (state.length !== older || info.stats.length > 0))) {
        throw new InputError(`loadState: expected ${length} bytes saved from a batch of ${B} ${info.name} envs x ${N} agents ` +
          `(episodeLength ${T}, viewRadius ${viewRadius}), got ${state?.length ?? typeof state}`);
      }
      const mem = new Uint8Array(exports.memory.buffer, start, length);
      mem.set(state);
      if (state.length < length) mem.fill(0, state.length);
    },
    close() {
      closed = true;
      core = undefined;
    },
    internals: {
      views,
      memory: exports.memory,
      placeAgent(b, i, row, col, orientation) {
        checkEnv(b);
        checkInt('agent', i, 0, N - 1);
        checkInt('orientation', orientation, 0, 3);
        if (row !== -1) {
          checkInt('row', row, 0, map.height - 1);
          checkInt('col', col, 0, map.width - 1);
          const other = views.occupancy[b * map.height * map.width + row * map.width + col] - 1;
          if (other >= 0 && other !== i) throw new InputError(`placeAgent: cell (${row}, ${col}) holds agent ${other}`);
        }
        exports.debugPlaceAgent(b, i, row, col, orientation);
      },
      setCell(b, row, col, cell) {
        checkEnv(b);
        checkInt('row', row, 0, map.height - 1);
        checkInt('col', col, 0, map.width - 1);
        checkInt('cell', cell, 0, Object.keys(CELL).length - 1);
        exports.debugSetCell(b, row, col, cell);
      },
      refresh(b) {
        exports.refresh(checkEnv(b));
      },
    },
  };
}

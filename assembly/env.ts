// The base stepper: owns what the games share once (docs/RULES.md "One step, in order" and "Episodes"):
// the order of a step, rewards for eating and FIRE, tags, statistics, the episode length and the
// automatic reset. It never asks which game it plays: the selected game's hooks (game.ts, games.ts) set
// its cells and agents at reset, act out its own actions, and run its spawning phase.
//
// Auto-reset: the step that reaches the episode length reports that step's rewards with DONES[b] = 1,
// copies the episode's statistics to the LAST_* regions, resets the env, and returns the first
// observation of the next episode in OBS.

import {
  numEnvs, numAgents as N, mapCells, episodeLength, tagTimeout, numActions,
} from './config';
import { Region, regionPtr, STAT_COUNT, GAME_STAT_COUNT } from './layout';
import {
  Beam, Cell, bindEnv, bindBeams, getCell, setCell, agentPos, agentAction, addReward,
  placeAgent, setOri, applyTurns, applyMoves, fireBeam, clearOverlay, drawOverlay, redrawImage,
  writeObservations, occ, beams, pos, timeout, rewards, freeSpawnPoint,
} from './grid';
import { rngLoad, rngStore, rngSeed, nextBelow } from './rng';
import { rules } from './games';
import { Stat, statPtr, socialMetrics } from './metrics';

/** FIRE: what the firer pays and what each agent hit loses (docs/RULES.md step 4). */
const FIRE_COST: f32 = 1;
const HIT_PENALTY: f32 = 50;

@inline function rngPtr(b: i32): usize { return regionPtr(Region.RNG) + (<usize>b << 4); }
@inline function scratch(): usize { return regionPtr(Region.SCRATCH); }

function countApples(): i32 {
  const points = regionPtr(Region.APPLE_POINTS);
  const n = load<i32>(regionPtr(Region.MAP_COUNTS), 4);
  let apples = 0;
  for (let k = 0; k < n; k++) if (getCell(load<i32>(points + (<usize>k << 2))) == Cell.APPLE) apples++;
  return apples;
}

/** Resets the bound env with its generator loaded: map, agents, one spawning phase, fresh statistics. */
function resetBound(b: i32): void {
  const C = <usize>mapCells;
  memory.fill(occ, 0, C);
  memory.fill(beams, 0, C);
  store<i32>(regionPtr(Region.BEAM_COUNT) + (<usize>b << 2), 0);
  for (let i = 0; i < N; i++) {
    store<i32>(pos + (<usize>i << 2), -1);
    store<i32>(timeout + (<usize>i << 2), 0);
  }
  rules.resetCells();
  redrawImage();
  rules.placeAgents();
  rules.spawn(scratch());
  memory.fill(statPtr(regionPtr(Region.EP_STATS), b, 0, 0), 0, <usize>(STAT_COUNT * N) << 2);
  memory.fill(regionPtr(Region.EP_GAME) + (<usize>(b * GAME_STAT_COUNT) << 2), 0, <usize>GAME_STAT_COUNT << 2);
  memory.fill(regionPtr(Region.EP_POS_T) + (<usize>(b * N) << 3), 0, <usize>N << 3);
  store<i32>(regionPtr(Region.EP_REMOVED) + (<usize>b << 2), 0);
  store<i32>(regionPtr(Region.STEP_COUNT) + (<usize>b << 2), 0);
  recordCounts(b);
  drawOverlay();
}

function recordCounts(b: i32): void {
  store<i32>(regionPtr(Region.APPLE_COUNT) + (<usize>b << 2), countApples());
  store<i32>(regionPtr(Region.WASTE_COUNT) + (<usize>b << 2), rules.countWaste());
}

/** Seeds env b from (seed, index) and resets it. */
export function resetEnv(b: i32, seed: u64, index: u32): void {
  bindEnv(b);
  bindBeams(b);
  rngSeed(rngPtr(b), seed, index);
  rngLoad(rngPtr(b));
  resetBound(b);
  rngStore(rngPtr(b));
  memory.fill(rewards, 0, <usize>N << 2);
  store<u8>(regionPtr(Region.DONES) + <usize>b, 0);
  store<i32>(regionPtr(Region.EPISODES) + (<usize>b << 2), 0);
  writeObservations(b);
}

/** Index b*N+i of the first action outside [0, numActions), or -1 when all are valid. */
export function firstInvalidAction(): i32 {
  const acts = regionPtr(Region.ACTIONS);
  const n = numEnvs * N;
  for (let k = 0; k < n; k++) if (<i32>load<u8>(acts + <usize>k) >= numActions) return k;
  return -1;
}

function finishEpisode(b: i32, T: i32): void {
  const S = <usize>(STAT_COUNT * N) << 2;
  memory.copy(statPtr(regionPtr(Region.LAST_STATS), b, 0, 0), statPtr(regionPtr(Region.EP_STATS), b, 0, 0), S);
  const G = <usize>(b * GAME_STAT_COUNT) << 2;
  memory.copy(regionPtr(Region.LAST_GAME) + G, regionPtr(Region.EP_GAME) + G, <usize>GAME_STAT_COUNT << 2);
  memory.copy(regionPtr(Region.LAST_POS_T) + (<usize>(b * N) << 3), regionPtr(Region.EP_POS_T) + (<usize>(b * N) << 3), <usize>N << 3);
  const removed = load<i32>(regionPtr(Region.EP_REMOVED) + (<usize>b << 2));
  store<i32>(regionPtr(Region.LAST_REMOVED) + (<usize>b << 2), removed);
  const seriesBytes = <usize>(2 * episodeLength) << 2;
  memory.copy(regionPtr(Region.LAST_SERIES) + <usize>b * seriesBytes, regionPtr(Region.EP_SERIES) + <usize>b * seriesBytes, seriesBytes);
  socialMetrics(regionPtr(Region.LAST_STATS), regionPtr(Region.LAST_POS_T), removed, b, T,
    regionPtr(Region.LAST_METRICS) + (<usize>b << 5));
  const ep = regionPtr(Region.EPISODES) + (<usize>b << 2);
  store<i32>(ep, load<i32>(ep) + 1);
}

@inline function bump(stat: i32, b: i32, i: i32, by: i32): void {
  const p = statPtr(regionPtr(Region.EP_STATS), b, stat, i);
  store<i32>(p, load<i32>(p) + by);
}

export function stepEnv(b: i32): void {
  bindEnv(b);
  bindBeams(b);
  rngLoad(rngPtr(b));
  clearOverlay();
  memory.fill(rewards, 0, <usize>N << 2);

  // Tags [ours]: an agent hit at step t sits out steps t+1 .. t+tagTimeout and comes back at a free spawn
  // point at the start of the step after.
  if (tagTimeout > 0) {
    for (let i = 0; i < N; i++) {
      let t = load<i32>(timeout + (<usize>i << 2));
      if (t == 0) continue;
      t--;
      if (t == 0) {
        const c = freeSpawnPoint();
        if (c < 0) t = 1; // every spawn point taken: try again next step
        else { placeAgent(i, c); setOri(i, nextBelow(4)); }
      }
      store<i32>(timeout + (<usize>i << 2), t);
    }
  }

  // Agent-steps spent out of play (for peace): the agents absent during this step.
  let removed = 0;
  for (let i = 0; i < N; i++) if (agentPos(i) < 0) removed++;

  applyTurns();
  rules.act(b);
  applyMoves(scratch());

  // Eating
  for (let i = 0; i < N; i++) {
    const p = agentPos(i);
    if (p >= 0 && getCell(p) == Cell.APPLE) {
      setCell(p, Cell.FLOOR);
      addReward(i, 1);
      bump(Stat.APPLES, b, i, 1);
    }
  }

  // Beams, firers in a uniformly random order, each beam applied before the next is fired.
  const order = scratch();
  const victims = scratch() + (<usize>(2 * N) << 2);
  const FIRE = rules.fireAction, CLEAN = rules.cleanAction;
  let firers = 0;
  for (let i = 0; i < N; i++) {
    const a = agentAction(i);
    if (agentPos(i) >= 0 && (a == FIRE || a == CLEAN)) {
      store<i32>(order + (<usize>firers << 2), i);
      firers++;
    }
  }
  for (let k = firers - 1; k > 0; k--) {
    const j = nextBelow(k + 1);
    const pk = order + (<usize>k << 2), pj = order + (<usize>j << 2);
    const t = load<i32>(pk);
    store<i32>(pk, load<i32>(pj));
    store<i32>(pj, t);
  }
  for (let k = 0; k < firers; k++) {
    const i = load<i32>(order + (<usize>k << 2));
    if (agentPos(i) < 0) continue; // tagged out earlier in this step
    if (agentAction(i) == FIRE) {
      addReward(i, -FIRE_COST);
      bump(Stat.FIRES, b, i, 1);
      const hits = fireBeam(i, Beam.FIRE, false, victims);
      for (let h = 0; h < hits; h++) {
        const v = load<i32>(victims + (<usize>h << 2));
        addReward(v, -HIT_PENALTY);
        bump(Stat.HITS_RECEIVED, b, v, 1);
        bump(Stat.HITS_GIVEN, b, i, 1);
      }
      if (tagTimeout > 0) {
        for (let h = 0; h < hits; h++) {
          const v = load<i32>(victims + (<usize>h << 2));
          if (agentPos(v) >= 0) {
            placeAgent(v, -1);
            store<i32>(timeout + (<usize>v << 2), tagTimeout + 1);
          }
        }
      }
    } else {
      bump(Stat.CLEANS, b, i, 1);
      fireBeam(i, Beam.CLEAN, true, victims);
    }
  }

  rules.spawn(scratch());

  // Statistics
  const stepPtr = regionPtr(Region.STEP_COUNT) + (<usize>b << 2);
  const t = load<i32>(stepPtr) + 1;
  store<i32>(stepPtr, t);
  for (let i = 0; i < N; i++) {
    const r = load<f32>(rewards + (<usize>i << 2));
    bump(Stat.RETURN, b, i, <i32>r);
    if (r > 0) {
      bump(Stat.POSITIVE_STEPS, b, i, 1);
      const p = regionPtr(Region.EP_POS_T) + (<usize>(b * N + i) << 3);
      store<f64>(p, load<f64>(p) + <f64>t);
    }
  }
  const rem = regionPtr(Region.EP_REMOVED) + (<usize>b << 2);
  store<i32>(rem, load<i32>(rem) + removed);
  recordCounts(b);
  const series = regionPtr(Region.EP_SERIES) + (<usize>(b * 2 * episodeLength) << 2);
  store<i32>(series + (<usize>(t - 1) << 2), load<i32>(regionPtr(Region.APPLE_COUNT) + (<usize>b << 2)));
  store<i32>(series + (<usize>(episodeLength + t - 1) << 2), load<i32>(regionPtr(Region.WASTE_COUNT) + (<usize>b << 2)));

  const done = t >= episodeLength;
  store<u8>(regionPtr(Region.DONES) + <usize>b, done ? 1 : 0);
  if (done) {
    finishEpisode(b, t);
    resetBound(b);
  } else {
    drawOverlay();
  }
  writeObservations(b);
  rngStore(rngPtr(b));
}

/** Test hook: re-renders env b's image and observations after cells or agents were changed by hand. */
export function refreshEnv(b: i32): void {
  bindEnv(b);
  bindBeams(b);
  redrawImage();
  drawOverlay();
  recordCounts(b);
  writeObservations(b);
}

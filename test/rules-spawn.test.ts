// docs/RULES.md step 5 (spawning) and "Episodes and spawning agents": Harvest regrowth by neighbour count,
// Cleanup's pollution thresholds, waste and apple spawn rates, and where agents start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv } from '../src/env/vec-env.ts';
import { CLEANUP_MAP, HARVEST_MAP } from '../src/env/maps.ts';

const FLOOR = 0, APPLE = 2, WASTE = 3, RIVER = 4;
const STAY = 4;

/** Observed successes within 4 standard errors of a binomial(n, p); p = 0 must give exactly 0. */
function assertRate(successes: number, n: number, p: number, what: string) {
  if (p === 0) {
    assert.equal(successes, 0, `${what}: probability 0 but ${successes} of ${n}`);
    return;
  }
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(successes - n * p) <= 4 * sd,
    `${what}: ${successes} of ${n} = ${(successes / n).toFixed(5)}, expected ${p} (+- ${(4 * sd / n).toFixed(5)})`);
}

// 5 x 5 blocks around one apple point 'x' (emptied before the run) with a given number of apples 'A' in its
// 3x3 neighbourhood. The ring block checks that apples two cells away do not count.
const BLOCKS: { k: number; p: number; rows: string[] }[] = [
  { k: 0, p: 0, rows: ['     ', '     ', '  x  ', '     ', '     '] },
  { k: 0, p: 0, rows: ['AAAAA', 'A   A', 'A x A', 'A   A', 'AAAAA'] },
  { k: 1, p: 0.005, rows: ['     ', '  A  ', '  x  ', '     ', '     '] },
  { k: 1, p: 0.005, rows: ['     ', ' A   ', '  x  ', '     ', '     '] },
  { k: 2, p: 0.02, rows: ['     ', '  A  ', '  xA ', '     ', '     '] },
  { k: 2, p: 0.02, rows: ['     ', ' A   ', '  x  ', '   A ', '     '] },
  { k: 3, p: 0.05, rows: ['     ', ' AAA ', '  x  ', '     ', '     '] },
  { k: 5, p: 0.05, rows: ['     ', ' AAA ', ' AxA ', '     ', '     '] },
  { k: 8, p: 0.05, rows: ['     ', ' AAA ', ' AxA ', ' AAA ', '     '] },
];

test('Harvest: an empty apple point regrows with probability 0, 0.005, 0.02, 0.05 for 0, 1, 2, >=3 neighbouring apples', async () => {
  // three copies of each block side by side, one block row per kind, and a spawn point in a walled-off corner
  const inner = BLOCKS.flatMap((b) => b.rows.map((r) => r + r + r));
  const W = inner[0].length + 4;
  const map = [
    '@'.repeat(W),
    ...inner.map((r) => '@' + r + '@@@'),
    '@' + ' '.repeat(W - 4) + '@P@',
    '@'.repeat(W),
  ];
  const points: { row: number; col: number; kind: number }[] = [];
  map.forEach((row, r) => [...row].forEach((ch, c) => {
    if (ch === 'x') points.push({ row: r, col: c, kind: Math.floor((r - 1) / 5) });
  }));
  const B = 200, T = 300;
  const env = await createVecEnv({ game: 'harvest', map: map.map((r) => r.replace(/x/g, 'A')), numAgents: 1, numEnvs: B, seed: 3 });
  const H = env.spec.mapHeight;
  const cells = env.internals.views.cells;
  for (let b = 0; b < B; b++) {
    for (const q of points) env.internals.setCell(b, q.row, q.col, FLOOR);
    env.internals.refresh(b);
  }
  const grown = BLOCKS.map(() => 0);
  const actions = new Uint8Array(B).fill(STAY);
  for (let t = 0; t < T; t++) {
    env.step(actions);
    for (let b = 0; b < B; b++) {
      for (const q of points) {
        if (cells[b * H * W + q.row * W + q.col] === APPLE) {
          grown[q.kind]++;
          env.internals.setCell(b, q.row, q.col, FLOOR); // keep the point empty for the next trial
        }
      }
    }
  }
  const trials = B * T * 3;
  BLOCKS.forEach((blk, i) => assertRate(grown[i], trials, blk.p, `${blk.k} neighbours (block ${i})`));
  // the neighbours themselves are full apple points and never change
  env.internals.refresh(0);
  assert.equal(env.internals.views.appleCount[0], BLOCKS.reduce((a, b) => a + b.rows.join('').split('A').length - 1, 0) * 3);
});

test('Harvest: apples never spawn under an agent, and do once it leaves', async () => {
  // an apple point with 8 apple neighbours (probability 0.05) under agent 0
  const map = ['@@@@@@', '@AAA @', '@AAAP@', '@AAA @', '@@@@@@'];
  const B = 200, T = 200;
  const env = await createVecEnv({ game: 'harvest', map, numAgents: 1, numEnvs: B, seed: 5 });
  const W = 6, cells = env.internals.views.cells;
  for (let b = 0; b < B; b++) {
    env.internals.setCell(b, 2, 2, FLOOR);
    env.internals.placeAgent(b, 0, 2, 2, 0);
    env.internals.refresh(b);
  }
  const stay = new Uint8Array(B).fill(STAY);
  for (let t = 0; t < T; t++) {
    const r = env.step(stay);
    for (let b = 0; b < B; b++) {
      assert.equal(cells[b * 30 + 2 * W + 2], FLOOR, `env ${b} step ${t}: an apple spawned under the agent`);
      assert.equal(r.rewards[b], 0);
    }
  }
  // agent 0 faces UP; MOVE_RIGHT takes it to (2,3), off the apple point
  env.step(new Uint8Array(B).fill(1));
  let grown = 0;
  for (let t = 0; t < 20; t++) {
    env.step(stay);
    for (let b = 0; b < B; b++) if (cells[b * 30 + 2 * W + 2] === APPLE) grown++;
  }
  assert.ok(grown > 0, 'the point regrows once the agent has left');
});

/** A Cleanup map with `river` river cells in one row block (first `waste` of them waste), apple points 'B'
 * and one spawn point. */
function cleanupMap(river: number, waste: number, applePoints: number): string[] {
  const width = 12;
  const riverChars = ('H'.repeat(waste) + 'R'.repeat(river - waste)).padEnd(Math.ceil(river / width) * width, 'S');
  const rows: string[] = [];
  for (let k = 0; k < riverChars.length; k += width) rows.push('@' + riverChars.slice(k, k + width) + '@');
  const apples = 'B'.repeat(applePoints).padEnd(Math.ceil(applePoints / width) * width, ' ');
  for (let k = 0; k < apples.length; k += width) rows.push('@' + apples.slice(k, k + width) + '@');
  rows.push('@P' + ' '.repeat(width - 1) + '@');
  return ['@'.repeat(width + 2), ...rows, '@'.repeat(width + 2)];
}

test('Cleanup: at waste density >= 0.4 (here exactly 0.4, and 0.5) neither apples nor waste spawn', async () => {
  for (const waste of [4, 5]) {
    const B = 100;
    const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(10, waste, 24), numAgents: 1, numEnvs: B, seed: 9 });
    const v = env.internals.views;
    const stay = new Uint8Array(B).fill(STAY);
    for (let t = 0; t < 100; t++) {
      env.step(stay);
      for (let b = 0; b < B; b++) {
        assert.equal(v.wasteCount[b], waste);
        assert.equal(v.appleCount[b], 0);
      }
    }
  }
});

test('Cleanup: below density 0.4 exactly one waste cell appears per step (nearly always) until 0.4 is reached', async () => {
  const B = 50;
  const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(100, 0, 0), numAgents: 1, numEnvs: B, seed: 2 });
  const v = env.internals.views;
  // the reset's spawning phase already ran once
  for (let b = 0; b < B; b++) assert.ok(v.wasteCount[b] <= 1);
  let prev = Array.from(v.wasteCount);
  let ones = 0, below = 0;
  const stay = new Uint8Array(B).fill(STAY);
  for (let t = 0; t < 60; t++) {
    env.step(stay);
    for (let b = 0; b < B; b++) {
      const inc = v.wasteCount[b] - prev[b];
      assert.ok(inc === 0 || inc === 1, `env ${b}: waste went from ${prev[b]} to ${v.wasteCount[b]}`);
      if (prev[b] < 40) { below++; if (inc === 1) ones++; } else assert.equal(inc, 0, 'nothing spawns at d >= 0.4');
    }
    prev = Array.from(v.wasteCount);
  }
  assert.ok(ones >= 0.99 * below, `one waste cell in ${ones} of ${below} steps below the threshold`);
  for (let b = 0; b < B; b++) assert.equal(v.wasteCount[b], 40, 'waste stops at d = 40/100');
});

test('Cleanup: with few clean river cells a step may spawn no waste (probability 0.5 per cell visited)', async () => {
  // 5 river cells, 1 of them waste (d = 0.2), restored before every step: 4 clean cells are visited,
  // so a waste cell appears with probability 1 - 0.5^4 = 0.9375.
  const B = 400;
  const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(5, 1, 0), numAgents: 1, numEnvs: B, seed: 4 });
  const v = env.internals.views;
  const stay = new Uint8Array(B).fill(STAY);
  let spawned = 0, trials = 0;
  for (let t = 0; t < 10; t++) {
    for (let b = 0; b < B; b++) {
      // reset the river to exactly 1 waste cell, the first one
      for (let c = 1; c <= 5; c++) env.internals.setCell(b, 1, c, c === 1 ? WASTE : RIVER);
      env.internals.refresh(b);
    }
    env.step(stay);
    for (let b = 0; b < B; b++) {
      trials++;
      assert.ok(v.wasteCount[b] === 1 || v.wasteCount[b] === 2);
      if (v.wasteCount[b] === 2) spawned++;
    }
  }
  assertRate(spawned, trials, 1 - 0.5 ** 4, 'a waste cell appears');
});

test('Cleanup: apples spawn on each empty apple point with probability 0.05 (1 - d / 0.4)', async () => {
  const B = 100, T = 100, applePoints = 24;
  for (const waste of [0, 2, 4, 6]) {
    const d = waste / 20;
    const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(20, waste, applePoints), numAgents: 1, numEnvs: B, seed: 6 });
    const W = env.spec.mapWidth, H = env.spec.mapHeight;
    const v = env.internals.views;
    const river: [number, number][] = [], apples: [number, number][] = [];
    // map rows: 0 wall, 1-2 river (12 + 8 cells, then 4 'S'), 3-4 apple points, 5 the spawn point
    for (let c = 1; c <= 12; c++) river.push([1, c]);
    for (let c = 1; c <= 8; c++) river.push([2, c]);
    for (let c = 1; c <= 12; c++) { apples.push([3, c]); apples.push([4, c]); }
    const restore = (b: number) => {
      river.forEach(([r, c], k) => env.internals.setCell(b, r, c, k < waste ? WASTE : RIVER));
      apples.forEach(([r, c]) => env.internals.setCell(b, r, c, FLOOR));
    };
    const stay = new Uint8Array(B).fill(STAY);
    let grown = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) restore(b);
      env.step(stay);
      for (let b = 0; b < B; b++) {
        for (const [r, c] of apples) if (v.cells[b * H * W + r * W + c] === APPLE) grown++;
      }
    }
    assertRate(grown, B * T * applePoints, 0.05 * (1 - d / 0.4), `apple spawn at d = ${d}`);
  }
});

test('Cleanup: apples never spawn under an agent', async () => {
  // no river at all: d = 0, apple probability 0.05 on each empty apple point
  const B = 200;
  const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(0, 0, 3), numAgents: 1, numEnvs: B, seed: 10 });
  const v = env.internals.views;
  const W = env.spec.mapWidth, H = env.spec.mapHeight;
  for (let b = 0; b < B; b++) {
    env.internals.setCell(b, 1, 2, FLOOR);
    env.internals.placeAgent(b, 0, 1, 2, 0); // on the middle apple point
    env.internals.refresh(b);
  }
  const stay = new Uint8Array(B).fill(STAY);
  let besides = 0;
  for (let t = 0; t < 100; t++) {
    const r = env.step(stay);
    for (let b = 0; b < B; b++) {
      assert.equal(v.cells[b * H * W + W + 2], FLOOR, `env ${b}: an apple spawned under the agent`);
      assert.equal(r.rewards[b], 0);
      if (v.cells[b * H * W + W + 1] === APPLE) besides++;
    }
  }
  assert.ok(besides > 0, 'the free apple points beside it do grow');
});

test('Cleanup: waste may appear under an agent', async () => {
  const B = 1000;
  const env = await createVecEnv({ game: 'cleanup', map: cleanupMap(5, 0, 0), numAgents: 1, numEnvs: B, seed: 8 });
  const v = env.internals.views;
  const W = env.spec.mapWidth, H = env.spec.mapHeight;
  for (let b = 0; b < B; b++) {
    for (let c = 1; c <= 5; c++) env.internals.setCell(b, 1, c, RIVER);
    env.internals.placeAgent(b, 0, 1, 3, 0); // on a clean river cell
    env.internals.refresh(b);
  }
  env.step(new Uint8Array(B).fill(STAY));
  let under = 0;
  for (let b = 0; b < B; b++) {
    const k = b * H * W + 1 * W + 3;
    assert.equal(v.occupancy[k], 1, 'the agent is still there');
    if (v.cells[k] === WASTE) under++;
  }
  // each of the 5 clean cells is equally likely: (1 - 0.5^5) / 5 = 0.19375 per env
  assertRate(under, B, (1 - 0.5 ** 5) / 5, 'waste under the agent');
});

test('Cleanup: the default map starts at d = 56/119 with no apples, and nothing grows until agents clean', async () => {
  const B = 20;
  const env = await createVecEnv({ game: 'cleanup', numAgents: 5, numEnvs: B, seed: 1 });
  const v = env.internals.views;
  assert.deepStrictEqual(Array.from(v.mapCounts), [10, 103, 119, 56]);
  const start = Array.from(v.cells);
  const stay = new Uint8Array(B * 5).fill(STAY);
  for (let t = 0; t < 100; t++) env.step(stay);
  assert.deepStrictEqual(Array.from(v.cells), start, 'no cell changed in 100 steps');
  for (let b = 0; b < B; b++) {
    assert.equal(v.wasteCount[b], 56);
    assert.equal(v.appleCount[b], 0);
  }
  // clean 30 waste cells by hand: 26/119 < 0.4, so waste and apples start to spawn
  const W = 18;
  for (let b = 0; b < B; b++) {
    let cleaned = 0;
    for (let k = 0; k < 25 * W && cleaned < 30; k++) {
      if (v.cells[b * 25 * W + k] === WASTE) { env.internals.setCell(b, Math.floor(k / W), k % W, RIVER); cleaned++; }
    }
    env.internals.refresh(b);
    assert.equal(v.wasteCount[b], 26);
  }
  env.step(stay);
  for (let b = 0; b < B; b++) assert.equal(v.wasteCount[b], 27, 'one waste cell appeared');
  let apples = 0;
  for (let t = 0; t < 20; t++) { env.step(stay); for (let b = 0; b < B; b++) apples += v.appleCount[b]; }
  assert.ok(apples > 0, 'apples appear');
});

test('at reset agents stand on distinct spawn points, chosen uniformly, with random orientations', async () => {
  for (const [game, map, N] of [['harvest', HARVEST_MAP, 20], ['cleanup', CLEANUP_MAP, 10], ['cleanup', CLEANUP_MAP, 3]] as const) {
    const B = 400;
    const env = await createVecEnv({ game, numAgents: N, numEnvs: B, seed: 12 });
    const spawn = new Map<string, number>();
    map.forEach((row, r) => [...row].forEach((ch, c) => { if (ch === 'P') spawn.set(`${r},${c}`, 0); }));
    const oris = [0, 0, 0, 0];
    for (let b = 0; b < B; b++) {
      const agents = env.agents(b);
      const keys = agents.map((a) => `${a.row},${a.col}`);
      assert.equal(new Set(keys).size, N, `env ${b}: agents share a cell`);
      for (const k of keys) assert.ok(spawn.has(k), `env ${b}: ${k} is not a spawn point`);
      spawn.set(keys[0], spawn.get(keys[0])! + 1);
      for (const a of agents) oris[a.orientation]++;
    }
    for (const [k, n] of spawn) assertRate(n, B, 1 / spawn.size, `${game}: agent 0 starts at ${k}`);
    oris.forEach((n, o) => assertRate(n, B * N, 0.25, `${game}: orientation ${o}`));
  }
});

test('at reset every Harvest apple point holds an apple, and every Cleanup river cell marked H holds waste', async () => {
  const h = await createVecEnv({ game: 'harvest', numAgents: 5, numEnvs: 3, seed: 1 });
  assert.deepStrictEqual(Array.from(h.internals.views.appleCount), [155, 155, 155]);
  const c = await createVecEnv({ game: 'cleanup', numAgents: 5, numEnvs: 3, seed: 1 });
  assert.deepStrictEqual(Array.from(c.internals.views.wasteCount), [56, 56, 56]);
  assert.deepStrictEqual(Array.from(c.internals.views.appleCount), [0, 0, 0]);
});

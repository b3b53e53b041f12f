// docs/RULES.md "Box trapped": the default map and who starts where, the closed box, OPEN_BOX (next to the
// box, from outside, any facing; it opens the box before this step's moves), inexhaustible apples, the
// game's own statistics, and the checks of its maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv, type VecEnv } from '../src/env/vec-env.ts';
import { BOX_TRAPPED_MAP } from '../src/env/games/box-trapped.ts';
import { gameInfo } from '../src/env/games.ts';
import { stepAscii, toAscii } from './helpers.ts';

const LEFT = 0, RIGHT = 1, UP = 2, DOWN = 3, STAY = 4, CW = 5, OPEN = 7;
const ORI = { U: 0, R: 1, D: 2, L: 3 } as const;

/**
 * A one-env Box trapped scenario: digits put agent i on that cell; the agents listed in `inside` stand on
 * cells inside the box ('T'), the others on spawn points ('P'). `facing` gives each agent's orientation.
 */
async function boxScenario(rows: string[], facing: string, inside: number[] = []): Promise<VecEnv> {
  const places: { row: number; col: number }[] = [];
  const map = rows.map((row, r) => row.replace(/[0-9]/g, (d, c: number) => {
    places[Number(d)] = { row: r, col: c };
    return inside.includes(Number(d)) ? 'T' : 'P';
  }));
  const env = await createVecEnv({ game: 'box-trapped', map, numAgents: places.length, numEnvs: 1, seed: 1 });
  for (let i = 0; i < places.length; i++) env.internals.placeAgent(0, i, -1, 0, 0);
  places.forEach((p, i) => env.internals.placeAgent(0, i, p.row, p.col, ORI[facing[i] as keyof typeof ORI]));
  env.internals.refresh(0);
  return env;
}

const gameStats = (env: VecEnv) => Array.from(env.internals.views.epGame.subarray(0, 3));

test('the default map: 9 x 11, a box of 8 cells around one inside cell, 6 spawn points beside it, 16 apples', () => {
  const count = (ch: string) => BOX_TRAPPED_MAP.join('').split(ch).length - 1;
  assert.equal(BOX_TRAPPED_MAP.length, 9);
  assert.ok(BOX_TRAPPED_MAP.every((r) => r.length === 11));
  assert.deepEqual(['X', 'T', 'P', 'A'].map(count), [8, 1, 6, 16]);
  const def = gameInfo('box-trapped');
  assert.deepEqual([def.version, def.defaultAgents, def.episodeLength], ['box-trapped_v1', 2, 100]);
  assert.deepEqual(def.actionNames, ['MOVE_LEFT', 'MOVE_RIGHT', 'MOVE_UP', 'MOVE_DOWN', 'STAY', 'TURN_CLOCKWISE', 'TURN_COUNTERCLOCKWISE', 'OPEN_BOX']);
});

test('at reset agent 1 is in the box and agent 0 on a spawn point beside it, each chosen uniformly with a random orientation', async () => {
  const env = await createVecEnv({ game: 'box-trapped', numEnvs: 600, seed: 3 });
  const spots = new Map<string, number>(), orientations = [0, 0, 0, 0];
  for (let b = 0; b < 600; b++) {
    const [free, trapped] = env.agents(b);
    assert.deepEqual([trapped.row, trapped.col], [4, 5], `env ${b}: agent 1 inside the box`);
    assert.equal(BOX_TRAPPED_MAP[free.row][free.col], 'P');
    spots.set(`${free.row},${free.col}`, (spots.get(`${free.row},${free.col}`) ?? 0) + 1);
    orientations[free.orientation]++;
  }
  assert.equal(spots.size, 6);
  // 100 expected per spawn point and 150 per orientation; 4.5 standard deviations either way
  for (const n of spots.values()) assert.ok(Math.abs(n - 100) < 45, `spawn counts ${[...spots.values()]}`);
  for (const n of orientations) assert.ok(Math.abs(n - 150) < 50, `orientation counts ${orientations}`);
  assert.deepEqual(toAscii(env, 0).map((r) => r.replace(/[01]/g, ' ')), BOX_TRAPPED_MAP.map((r) => r.replace(/[PT]/g, ' ')),
    'walls, box and apples as the map has them');
});

const BOX = [
  '@@@@@@@',
  '@  0  @',
  '@ XXX @',
  '@ X1X @',
  '@ XXX @',
  '@     @',
  '@@@@@@@',
];
const OPENED = BOX.map((r) => r.replace(/X/g, ' '));

test('the closed box holds: every move of the agent inside leaves it where it is', async () => {
  for (const facing of 'URDL') {
    for (const action of [LEFT, RIGHT, UP, DOWN]) {
      const env = await boxScenario(BOX, `D${facing}`, [1]);
      assert.deepStrictEqual(stepAscii(env, [STAY, action]), BOX, `facing ${facing}, action ${action}`);
    }
  }
});

test('OPEN_BOX beside the box opens it before the moves: the box is gone and the trapped agent walks out in the same step', async () => {
  const env = await boxScenario(BOX, 'DU', [1]);
  const r = env.step([OPEN, DOWN]); // agent 1 faces up: DOWN is a step back, through the box's lower side
  assert.deepStrictEqual(toAscii(env), [
    '@@@@@@@',
    '@  0  @',
    '@     @',
    '@     @',
    '@  1  @',
    '@     @',
    '@@@@@@@',
  ]);
  assert.deepEqual(Array.from(r.rewards), [0, 0], 'opening is free');
  assert.deepEqual(gameStats(env), [1, 1, 1], 'opened, at step 1, one OPEN_BOX');
  // the opener, facing down, may walk forward into where the box was
  assert.deepStrictEqual(stepAscii(env, [UP, STAY]).slice(1, 4), ['@     @', '@  0  @', '@     @']);
});

test('OPEN_BOX needs a cell sharing a side with the box: diagonal or farther does nothing', async () => {
  const diagonal = ['@@@@@@@', '@0    @', '@ XXX @', '@ X1X @', '@ XXX @', '@     @', '@@@@@@@'];
  const far = ['@@@@@@@', '@     @', '@ XXX @', '@ X1X @', '@ XXX @', '@     @', '@  0  @', '@@@@@@@'];
  for (const rows of [diagonal, far]) {
    const env = await boxScenario(rows, 'DU', [1]);
    assert.deepStrictEqual(stepAscii(env, [OPEN, DOWN]), rows);
    assert.deepEqual(gameStats(env), [0, 0, 1], 'closed, one OPEN_BOX taken');
  }
});

test('facing does not matter: OPEN_BOX opens the box from each side, in each orientation', async () => {
  const sides = [
    ['@@@@@@@', '@  0  @', '@ XXX @', '@ X1X @', '@ XXX @', '@     @', '@@@@@@@'],
    ['@@@@@@@', '@     @', '@ XXX @', '@ X1X0@', '@ XXX @', '@     @', '@@@@@@@'],
    ['@@@@@@@', '@     @', '@ XXX @', '@ X1X @', '@ XXX @', '@  0  @', '@@@@@@@'],
    ['@@@@@@@', '@     @', '@ XXX @', '@0X1X @', '@ XXX @', '@     @', '@@@@@@@'],
    ['@@@@@@@', '@     @', '@ XXX @', '@ X1X @', '@ XXX @', '@ 0   @', '@@@@@@@'],
  ];
  for (const rows of sides) {
    for (const facing of 'URDL') {
      const env = await boxScenario(rows, `${facing}U`, [1]);
      assert.deepStrictEqual(stepAscii(env, [OPEN, STAY]), rows.map((r) => r.replace(/X/g, ' ')), `${rows.join('/')} facing ${facing}`);
    }
  }
});

test('the trapped agent cannot open its own box, though the box surrounds it', async () => {
  const env = await boxScenario(BOX, 'DU', [1]);
  assert.deepStrictEqual(stepAscii(env, [STAY, OPEN]), BOX);
  assert.deepEqual(gameStats(env), [0, 0, 1]);
});

test('after the box is open OPEN_BOX does nothing; the statistics keep the first opening and count every OPEN_BOX', async () => {
  const env = await boxScenario(BOX, 'DU', [1]);
  stepAscii(env, [STAY, STAY]);
  stepAscii(env, [OPEN, OPEN]);
  assert.deepStrictEqual(toAscii(env), OPENED);
  stepAscii(env, [OPEN, OPEN]);
  assert.deepStrictEqual(stepAscii(env, [OPEN, STAY]), OPENED);
  assert.deepEqual(gameStats(env), [1, 2, 5], 'opened at step 2; five OPEN_BOX actions');
});

test('with two agents beside the box, the first in index order opens it; the box closes again at the next episode', async () => {
  const rows = ['@@@@@@@', '@  0  @', '@ XXX @', '@ X2X1@', '@ XXX @', '@     @', '@@@@@@@'];
  const env = await createVecEnv({ game: 'box-trapped', map: rows.map((r) => r.replace(/[01]/, 'P').replace(/[01]/, 'P').replace('2', 'T')),
    numAgents: 3, episodeLength: 3, seed: 2 });
  for (let i = 0; i < 3; i++) env.internals.placeAgent(0, i, -1, 0, 0);
  env.internals.placeAgent(0, 0, 1, 3, 2);
  env.internals.placeAgent(0, 1, 3, 5, 3);
  env.internals.placeAgent(0, 2, 3, 3, 0);
  env.internals.refresh(0);
  env.step([OPEN, OPEN, STAY]);
  assert.deepStrictEqual(toAscii(env), rows.map((r) => r.replace(/X/g, ' ')));
  assert.deepEqual(gameStats(env), [1, 1, 2]);
  env.step([STAY, STAY, STAY]);
  const r = env.step([STAY, STAY, STAY]);
  assert.equal(r.dones[0], 1);
  assert.deepEqual(env.lastEpisode(0)!.game, { box_opened: 1, open_step: 1, open_actions: 2 });
  assert.equal(toAscii(env).join('').split('X').length - 1, 8, 'the new episode starts with the box closed');
  const trapped = env.agents(0)[2];
  assert.deepEqual([trapped.row, trapped.col], [3, 3], 'agent 2 is trapped again');
  assert.deepEqual(gameStats(env), [0, 0, 0]);
});

test('apples never run out: an eaten apple grows back as soon as its eater steps off, so walking between two apples pays every step', async () => {
  const env = await boxScenario(['@@@@@@', '@0AA @', '@@@@@@'], 'R');
  const rewards: number[] = [];
  for (const a of [UP, UP, DOWN, UP, DOWN, STAY, STAY]) rewards.push(env.step([a]).rewards[0]);
  // forward onto A (+1), onto the second A (+1; the first is back), back (+1), forward (+1), back (+1), then
  // standing on an apple point earns nothing more: its apple is eaten and grows back only when the agent leaves
  assert.deepEqual(rewards, [1, 1, 1, 1, 1, 0, 0]);
  assert.deepStrictEqual(toAscii(env), ['@@@@@@', '@ 0A @', '@@@@@@']);
  assert.equal(env.internals.views.appleCount[0], 1);
});

test('an episode without an opening reports box_opened 0 and open_step null; there is no FIRE', async () => {
  const env = await createVecEnv({ game: 'box-trapped', episodeLength: 5, seed: 4 });
  for (let t = 0; t < 5; t++) env.step([CW, STAY]);
  const s = env.lastEpisode(0)!;
  assert.deepEqual(s.game, { box_opened: 0, open_step: null, open_actions: 0 });
  assert.deepEqual([s.fireActions, s.hitsReceived, s.returns], [[0, 0], [0, 0], [0, 0]]);
  assert.throws(() => env.step([8, STAY]), /actions\[0\]: 8 .* not an action of box-trapped; allowed values: integers 0 to 7 \(.*OPEN_BOX\)/);
});

test('maps: X and T belong to Box trapped; every free agent needs a P, and at least one agent stays free', async () => {
  await assert.rejects(createVecEnv({ game: 'harvest', map: ['@@@@', '@PX@', '@@@@'], numAgents: 1 }), /map: unknown character "X" .* harvest maps use/);
  await assert.rejects(createVecEnv({ game: 'box-trapped', map: ['@@@@@@', '@PXTX@', '@@@@@@'], numAgents: 3 }),
    /map: 1 spawn points \('P'\) and 1 cells inside the box \('T'\) for 3 agents/);
  // two T cells but two agents: one is trapped, the other free
  const env = await createVecEnv({ game: 'box-trapped', map: ['@@@@@@@', '@PXTXT@', '@@@@@@@'], numAgents: 2 });
  assert.deepEqual(env.agents(0).map((a) => [a.row, a.col]), [[1, 1], [1, 3]]);
  assert.equal(env.spec.numAgents, 2);
});

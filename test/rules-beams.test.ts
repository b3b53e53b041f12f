// docs/RULES.md "One step, in order" step 4: FIRE and CLEAN beams (shape, length, what stops a ray, rewards,
// statistics, their one-step life), Harvest's lack of CLEAN, and the [ours] tagTimeout option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv, type VecEnv } from '../src/env/vec-env.ts';
import type { GameName } from '../src/env/games.ts';
import { scenario, stepAscii, toAscii } from './helpers.ts';

const STAY = 4, FIRE = 7, CLEAN = 8;

const ORI: Record<string, number> = { U: 0, R: 1, D: 2, L: 3 };

/** Like helpers.scenario but with `numEnvs` copies, each env drawing from its own generator. */
async function scenarios(game: GameName, rows: string[], facing: string, numEnvs: number, tagTimeout = 0): Promise<VecEnv> {
  const places: { row: number; col: number }[] = [];
  const map = rows.map((row, r) => row.replace(/[0-9]/g, (d, c: number) => {
    places[Number(d)] = { row: r, col: c };
    return 'P';
  }));
  const n = places.length;
  const env = await createVecEnv({ game, map, numAgents: n, numEnvs, seed: 11, tagTimeout });
  for (let b = 0; b < numEnvs; b++) {
    for (let i = 0; i < n; i++) env.internals.placeAgent(b, i, -1, 0, 0);
    for (let i = 0; i < n; i++) env.internals.placeAgent(b, i, places[i].row, places[i].col, ORI[facing[i]]);
    env.internals.refresh(b);
  }
  return env;
}

/** |count - n p| within 4 standard errors of a binomial(n, p). */
function assertBinomial(count: number, n: number, p: number, what: string) {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(count - n * p) <= 4 * sd, `${what}: ${count} of ${n}, expected about ${n * p} +- ${(4 * sd).toFixed(1)}`);
}

/** Rotates a square picture a quarter turn clockwise. */
function rotateCW(rows: string[]): string[] {
  const n = rows.length;
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => rows[n - 1 - c][r]).join(''));
}

// A 13 x 13 floor without walls; agent 0 in the middle. The centre ray covers 5 cells ahead, each side
// ray starts beside the agent and covers 5 cells, reaching 4 ahead.
const OPEN = [
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
  '      0      ',
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
];
const FIRED_UP = [
  '             ',
  '      F      ',
  '     FFF     ',
  '     FFF     ',
  '     FFF     ',
  '     FFF     ',
  '     F0F     ',
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
  '             ',
];

test('a beam is three parallel rays: the centre reaches 5 ahead, the sides start beside the agent and reach 4 ahead (all orientations)', async () => {
  let expected = FIRED_UP;
  for (const facing of 'URDL') {
    const env = await scenario('harvest', OPEN, facing);
    assert.deepStrictEqual(stepAscii(env, [FIRE]), expected, `facing ${facing}`);
    assert.equal(env.internals.views.beams.reduce((a, x) => a + x, 0), 15, 'fifteen covered cells, all FIRE (1)');
    expected = rotateCW(expected);
  }
});

test('firing costs the firer 1 even when nothing is hit', async () => {
  const env = await scenario('harvest', OPEN, 'U');
  assert.deepStrictEqual(Array.from(env.step([FIRE]).rewards), [-1]);
});

test('a ray stops at a wall: the wall and the cells beyond it are not covered', async () => {
  const env = await scenario('harvest', [
    '@@@@@@@@@',
    '@       @',
    '@       @',
    '@   @   @',
    '@  @    @',
    '@       @',
    '@   0   @',
    '@       @',
    '@@@@@@@@@',
  ], 'U');
  assert.deepStrictEqual(stepAscii(env, [FIRE]), [
    '@@@@@@@@@',
    '@       @',
    '@    F  @',
    '@   @F  @',
    '@  @FF  @',
    '@  FFF  @',
    '@  F0F  @',
    '@       @',
    '@@@@@@@@@',
  ]);
});

test('a ray stops at the map edge', async () => {
  const env = await scenario('harvest', ['   ', ' 0 ', '   '], 'U');
  assert.deepStrictEqual(stepAscii(env, [FIRE]), ['FFF', 'F0F', '   ']);
});

test('a ray stops at the first agent it hits: that cell is covered, nothing beyond it; the agent loses 50', async () => {
  const env = await scenario('harvest', [
    '@@@@@@@',
    '@     @',
    '@  2  @',
    '@  1  @',
    '@     @',
    '@ 30  @',
    '@     @',
    '@@@@@@@',
  ], 'UUUU');
  const r = env.step([FIRE, STAY, STAY, STAY]);
  assert.deepStrictEqual(toAscii(env), [
    '@@@@@@@',
    '@   F @',
    '@  2F @',
    '@  1F @',
    '@  FF @',
    '@ 30F @',
    '@     @',
    '@@@@@@@',
  ]);
  const { beams } = env.internals.views;
  assert.equal(beams[3 * 7 + 3], 1, 'the hit agent\'s cell is covered');
  assert.equal(beams[2 * 7 + 3], 0, 'the agent behind it is not');
  assert.equal(beams[5 * 7 + 2], 1, 'the side ray covers the agent right beside the firer');
  assert.equal(beams[5 * 7 + 1], 0, 'and stops there');
  assert.deepStrictEqual(Array.from(r.rewards), [-1, -50, 0, -50]);
});

test('a beam hits every agent its rays stop at; each loses 50 and the firer counts each hit', async () => {
  const env = await scenario('harvest', [
    '@@@@@@@',
    '@1 2 3@',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'UUUU', { episodeLength: 1 });
  const r = env.step([FIRE, STAY, STAY, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [-1, 0, -50, 0]);
  const env2 = await scenario('harvest', [
    '@@@@@@@',
    '@ 123 @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'UUUU', { episodeLength: 1 });
  const r2 = env2.step([FIRE, STAY, STAY, STAY]);
  assert.deepStrictEqual(Array.from(r2.rewards), [-1, -50, -50, -50]);
  const ep = env2.lastEpisode(0)!;
  assert.deepStrictEqual(ep.hitsGiven, [3, 0, 0, 0]);
  assert.deepStrictEqual(ep.hitsReceived, [0, 1, 1, 1]);
  assert.deepStrictEqual(ep.fireActions, [1, 0, 0, 0]);
  assert.deepStrictEqual(ep.returns, [-1, -50, -50, -50]);
});

test('two agents\' beams both hitting one agent cost it 100, and lastEpisode counts both hits', async () => {
  const env = await scenario('harvest', [
    '@@@@@@@',
    '@     @',
    '@0 2 1@',
    '@     @',
    '@@@@@@@',
  ], 'RLU', { episodeLength: 2 });
  let r = env.step([FIRE, FIRE, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [-1, -1, -100]);
  r = env.step([STAY, STAY, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [0, 0, 0]);
  assert.equal(r.dones[0], 1);
  const ep = env.lastEpisode(0)!;
  assert.deepStrictEqual(ep.hitsReceived, [0, 0, 2]);
  assert.deepStrictEqual(ep.hitsGiven, [1, 1, 0]);
  assert.deepStrictEqual(ep.fireActions, [1, 1, 0]);
  assert.deepStrictEqual(ep.returns, [-1, -1, -100]);
});

test('two agents firing at each other both pay 1 and both lose 50', async () => {
  const env = await scenario('harvest', ['@@@@@@', '@0  1@', '@@@@@@'], 'RL');
  assert.deepStrictEqual(Array.from(env.step([FIRE, FIRE]).rewards), [-51, -51]);
  assert.deepStrictEqual(toAscii(env), ['@@@@@@', '@0FF1@', '@@@@@@']);
});

test('FIRE changes neither apples nor waste', async () => {
  // every apple point holds an apple, so nothing can regrow either
  const harvest = await scenario('harvest', ['@@@@@', '@AAA@', '@AAA@', '@ 0 @', '@@@@@'], 'U');
  const before = Array.from(harvest.internals.views.cells);
  harvest.step([FIRE]);
  assert.deepStrictEqual(Array.from(harvest.internals.views.cells), before);
  assert.deepStrictEqual(toAscii(harvest), ['@@@@@', '@FFF@', '@FFF@', '@F0F@', '@@@@@']);
  assert.deepStrictEqual(stepAscii(harvest, [STAY]), ['@@@@@', '@AAA@', '@AAA@', '@ 0 @', '@@@@@']);
  // all river cells are waste (density 1), so nothing spawns
  const cleanup = await scenario('cleanup', ['@@@@@', '@HHH@', '@HHH@', '@ 0 @', '@@@@@'], 'U');
  const beforeC = Array.from(cleanup.internals.views.cells);
  cleanup.step([FIRE]);
  assert.deepStrictEqual(Array.from(cleanup.internals.views.cells), beforeC);
  assert.deepStrictEqual(stepAscii(cleanup, [STAY]), ['@@@@@', '@HHH@', '@HHH@', '@ 0 @', '@@@@@']);
});

// A Cleanup room whose top row of waste (out of the beams' reach) keeps the waste density at or above 0.4
// whatever is cleaned, so nothing spawns and the maps are deterministic.
test('CLEAN is free, turns the first waste cell of each ray into river and stops that ray there', async () => {
  const env = await scenario('cleanup', [
    '@@@@@@@@@',
    '@HHHHHHH@',
    '@       @',
    '@   H   @',
    '@    H  @',
    '@   H H @',
    '@  H    @',
    '@   0   @',
    '@       @',
    '@@@@@@@@@',
  ], 'U', { episodeLength: 3 });
  const r = env.step([CLEAN]);
  assert.deepStrictEqual(Array.from(r.rewards), [0]);
  assert.deepStrictEqual(toAscii(env), [
    '@@@@@@@@@',
    '@HHHHHHH@',
    '@       @',
    '@   H   @',
    '@    C  @',
    '@   CCH @',
    '@  CCC  @',
    '@  C0C  @',
    '@       @',
    '@@@@@@@@@',
  ]);
  assert.deepStrictEqual(stepAscii(env, [STAY]), [
    '@@@@@@@@@',
    '@HHHHHHH@',
    '@       @',
    '@   H   @',
    '@    R  @',
    '@   R H @',
    '@  R    @',
    '@   0   @',
    '@       @',
    '@@@@@@@@@',
  ], 'the cleaned cells are river; the cells behind them untouched; the beam is gone');
  env.step([CLEAN]);
  const ep = env.lastEpisode(0)!;
  assert.deepStrictEqual(ep.cleanActions, [2]);
  assert.deepStrictEqual(ep.fireActions, [0]);
  assert.deepStrictEqual(ep.returns, [0]);
});

test('CLEAN passes over river and apples without changing them', async () => {
  const env = await scenario('cleanup', [
    '@@@@@@@',
    '@HHHHH@',
    '@ HHH @',
    '@ HRH @',
    '@ RRR @',
    '@     @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'U');
  env.internals.setCell(0, 5, 2, 2); // apples in the side rays' way
  env.internals.setCell(0, 5, 4, 2);
  env.internals.refresh(0);
  env.step([CLEAN]);
  assert.deepStrictEqual(toAscii(env), [
    '@@@@@@@',
    '@HHHHH@',
    '@ HCH @',
    '@ CCC @',
    '@ CCC @',
    '@ CCC @',
    '@ CCC @',
    '@ C0C @',
    '@@@@@@@',
  ]);
  assert.deepStrictEqual(stepAscii(env, [STAY]), [
    '@@@@@@@',
    '@HHHHH@',
    '@ HRH @',
    '@ RRR @',
    '@ RRR @',
    '@ A A @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'each ray cleaned the waste 5 cells away, beyond the apples and the river');
});

test('CLEAN does not hit agents (no -50, no hit counted) but stops at them', async () => {
  const env = await scenario('cleanup', [
    '@@@@@@@',
    '@HHHHH@',
    '@  H  @',
    '@  1  @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'UU', { episodeLength: 1 });
  const r = env.step([CLEAN, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [0, 0]);
  const ep = env.lastEpisode(0)!;
  assert.deepStrictEqual(ep.hitsReceived, [0, 0]);
  assert.deepStrictEqual(ep.hitsGiven, [0, 0]);
  // the episode has reset; replay the step on a fresh scenario to look at the map
  const env2 = await scenario('cleanup', [
    '@@@@@@@',
    '@HHHHH@',
    '@  H  @',
    '@  1  @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'UU');
  assert.deepStrictEqual(stepAscii(env2, [CLEAN, STAY]), [
    '@@@@@@@',
    '@HCHCH@',
    '@ CHC @',
    '@ C1C @',
    '@ CCC @',
    '@ C0C @',
    '@@@@@@@',
  ]);
  assert.equal(env2.internals.views.beams[3 * 7 + 3], 2, 'the agent\'s cell is covered by the CLEAN beam');
  assert.equal(env2.internals.views.cells[2 * 7 + 3], 3, 'the waste behind the agent stays');
});

test('Harvest has no CLEAN: action 8 throws an error naming the env and the agent', async () => {
  const env = await scenario('harvest', ['@@@@@', '@0 1@', '@@@@@'], 'UU');
  assert.throws(() => env.step([STAY, CLEAN]), /env 0, agent 1/);
  assert.throws(() => env.step([CLEAN, STAY]), /env 0, agent 0.*harvest/);
  // nothing was stepped
  assert.deepStrictEqual(toAscii(env), ['@@@@@', '@0 1@', '@@@@@']);
  // the same action is legal in Cleanup
  const c = await scenario('cleanup', ['@@@@@', '@0 1@', '@@@@@'], 'UU');
  assert.doesNotThrow(() => c.step([STAY, CLEAN]));
});

test('beams last one step: they are gone after the next step', async () => {
  const env = await scenario('harvest', ['@@@@@', '@   @', '@ 0 @', '@@@@@'], 'U');
  assert.deepStrictEqual(stepAscii(env, [FIRE]), ['@@@@@', '@FFF@', '@F0F@', '@@@@@']);
  assert.deepStrictEqual(stepAscii(env, [STAY]), ['@@@@@', '@   @', '@ 0 @', '@@@@@']);
  assert.equal(env.internals.views.beams.reduce((a, x) => a + x, 0), 0);
  assert.equal(env.internals.views.beamCount[0], 0);
});

test('with tagTimeout 3 a hit agent leaves the map for exactly 3 steps, then comes back on a free spawn point', async () => {
  const rows = [
    '@@@@@@@',
    '@P   P@',
    '@  1  @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ];
  const spawn = ['1,1', '1,5', '2,3', '4,3']; // the P cells and the agents' cells
  const env = await scenario('harvest', rows, 'UD', { tagTimeout: 3, episodeLength: 8 });
  let r = env.step([FIRE, STAY]); // step 1: agent 1 is hit and taken off the map
  assert.deepStrictEqual(Array.from(r.rewards), [-1, -50]);
  assert.equal(env.agents(0)[1].row, -1);
  assert.ok(!toAscii(env).join('').includes('1'));
  assert.equal(env.internals.views.beams[2 * 7 + 3], 1, 'the hit cell still shows the beam');
  for (let t = 2; t <= 4; t++) { // steps 2-4: out of play, its actions ignored, its view black
    r = env.step([FIRE, FIRE]);
    assert.deepStrictEqual(Array.from(r.rewards), [-1, 0], `step ${t}`);
    assert.equal(env.agents(0)[1].row, -1, `step ${t}`);
    assert.ok(r.obs.subarray(15 * 15 * 3).every((x) => x === 0), 'a removed agent sees nothing');
    assert.equal(r.visible[1], 0, 'a removed agent is not visible');
  }
  r = env.step([STAY, STAY]); // step 5: back on a spawn point, at the start of the step
  const back = env.agents(0)[1];
  assert.ok(spawn.includes(`${back.row},${back.col}`), `came back at ${back.row},${back.col}`);
  assert.notDeepStrictEqual([back.row, back.col], [4, 3]);
  for (let t = 6; t <= 8; t++) r = env.step([STAY, STAY]);
  assert.equal(r.dones[0], 1);
  const ep = env.lastEpisode(0)!;
  assert.equal(ep.peace, (2 * 8 - 3) / 8, 'peace = (N T - removed agent-steps) / T');
  assert.deepStrictEqual(ep.hitsReceived, [0, 1]);
  assert.deepStrictEqual(ep.hitsGiven, [1, 0]);
});

test('without tagTimeout a hit agent stays in play and peace is N', async () => {
  const env = await scenario('harvest', ['@@@@@', '@ 1 @', '@ 0 @', '@@@@@'], 'UD', { episodeLength: 2 });
  assert.deepStrictEqual(stepAscii(env, [FIRE, STAY]), ['@@@@@', '@F1F@', '@F0F@', '@@@@@']);
  assert.deepStrictEqual(env.agents(0)[1], { row: 1, col: 2, orientation: 2 });
  const r = env.step([FIRE, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [-1, -50]);
  assert.equal(env.lastEpisode(0)!.peace, 2);
  assert.deepStrictEqual(env.lastEpisode(0)!.hitsReceived, [0, 2]);
});

test('beams are applied one at a time in a uniformly random order: a ray passes waste another beam cleaned first', async () => {
  const B = 300;
  const env = await scenarios('cleanup', [
    '@@@@@@@@',
    '@HHHHHH@',
    '@  H  @@',
    '@ HH  1@',
    '@     @@',
    '@      @',
    '@ @0@  @',
    '@@@@@@@@',
  ], 'UL', B);
  env.step(Array(2 * B).fill(CLEAN));
  env.step(Array(2 * B).fill(STAY));
  const zeroFirst = ['@@@@@@@@', '@HHHHHH@', '@  H  @@', '@ RR  1@', '@     @@', '@      @', '@ @0@  @', '@@@@@@@@'];
  const oneFirst = ['@@@@@@@@', '@HHHHHH@', '@  R  @@', '@ HR  1@', '@     @@', '@      @', '@ @0@  @', '@@@@@@@@'];
  let zero = 0;
  for (let b = 0; b < B; b++) {
    const got = toAscii(env, b).join('\n');
    assert.ok(got === zeroFirst.join('\n') || got === oneFirst.join('\n'), `env ${b}:\n${got}`);
    if (got === zeroFirst.join('\n')) zero++;
  }
  assertBinomial(zero, B, 0.5, 'agent 0 cleans first');
});

test('with tagTimeout, of two agents firing at each other only the one whose beam comes first (at random) hits', async () => {
  const B = 300;
  const env = await scenarios('harvest', ['@@@@@@', '@0  1@', '@@@@@@'], 'RL', B, 2);
  const r = env.step(Array(2 * B).fill(FIRE));
  let zeroFirst = 0;
  for (let b = 0; b < B; b++) {
    const pair = [r.rewards[2 * b], r.rewards[2 * b + 1]];
    assert.ok((pair[0] === -1 && pair[1] === -50) || (pair[0] === -50 && pair[1] === -1), `env ${b}: ${pair}`);
    const out = env.agents(b).map((a) => a.row);
    assert.deepStrictEqual(out, pair[1] === -50 ? [1, -1] : [-1, 1], 'the hit agent is removed and never fires');
    if (pair[1] === -50) zeroFirst++;
  }
  assertBinomial(zeroFirst, B, 0.5, 'agent 0 fires first');
});

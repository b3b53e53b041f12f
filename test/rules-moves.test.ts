// docs/RULES.md "Agents and actions" and "One step, in order" steps 1-3: egocentric moves, turns, walls and
// the map edge, simultaneous move resolution (conflicts, blocking, swaps, chains, cycles) and eating.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv, type VecEnv } from '../src/env/vec-env.ts';
import { scenario, stepAscii, toAscii } from './helpers.ts';

const LEFT = 0, RIGHT = 1, UP = 2, DOWN = 3, STAY = 4, CW = 5, CCW = 6, FIRE = 7;
const ORI: Record<string, number> = { U: 0, R: 1, D: 2, L: 3 };

/** Like helpers.scenario but with `numEnvs` copies of the scenario, each env with its own generator. */
async function scenarios(rows: string[], facing: string, numEnvs: number, seed = 7): Promise<VecEnv> {
  const places: { row: number; col: number }[] = [];
  const map = rows.map((row, r) => row.replace(/[0-9]/g, (d, c: number) => {
    places[Number(d)] = { row: r, col: c };
    return 'P';
  }));
  const n = places.length;
  const env = await createVecEnv({ game: 'harvest', map, numAgents: n, numEnvs, seed });
  for (let b = 0; b < numEnvs; b++) {
    for (let i = 0; i < n; i++) env.internals.placeAgent(b, i, -1, 0, 0);
    for (let i = 0; i < n; i++) env.internals.placeAgent(b, i, places[i].row, places[i].col, ORI[facing[i]]);
    env.internals.refresh(b);
  }
  return env;
}

/** Every env's actions: the same per-agent actions repeated. */
const repeat = (actions: number[], numEnvs: number) => Array.from({ length: numEnvs }, () => actions).flat();

/** The map `picture` with agent 0 on the cell marked `mark` and every other letter L, R, F, B blanked. */
function expectAt(picture: string[], mark: string): string[] {
  return picture.map((row) => row.replace(/0/g, ' ').replace(/[LRFB]/g, (m) => (m === mark ? '0' : ' ')));
}

// Where agent 0 ends up for MOVE_LEFT (L), MOVE_RIGHT (R), MOVE_UP = forward (F), MOVE_DOWN = back (B).
const EGOCENTRIC: Record<string, string[]> = {
  U: ['@@@@@', '@ F @', '@L0R@', '@ B @', '@@@@@'],
  R: ['@@@@@', '@ L @', '@B0F@', '@ R @', '@@@@@'],
  D: ['@@@@@', '@ B @', '@R0L@', '@ F @', '@@@@@'],
  L: ['@@@@@', '@ R @', '@F0B@', '@ L @', '@@@@@'],
};
const START = ['@@@@@', '@   @', '@ 0 @', '@   @', '@@@@@'];

for (const [facing, picture] of Object.entries(EGOCENTRIC)) {
  const name = { U: 'UP', R: 'RIGHT', D: 'DOWN', L: 'LEFT' }[facing];
  test(`moves are egocentric for an agent facing ${name}: left, right, forward and back go to its own sides`, async () => {
    for (const [action, mark] of [[LEFT, 'L'], [RIGHT, 'R'], [UP, 'F'], [DOWN, 'B']] as const) {
      const env = await scenario('harvest', START, facing);
      assert.deepStrictEqual(stepAscii(env, [action]), expectAt(picture, mark), `action ${action} facing ${name}`);
      assert.equal(env.agents(0)[0].orientation, ORI[facing], 'a move does not turn the agent');
      assert.equal(env.step([STAY]).rewards[0], 0);
    }
  });
}

test('turns rotate clockwise UP->RIGHT->DOWN->LEFT->UP and counterclockwise the other way, in place', async () => {
  for (let o = 0; o < 4; o++) {
    for (const [action, expected] of [[CW, (o + 1) % 4], [CCW, (o + 3) % 4]]) {
      const env = await scenario('harvest', START, 'URDL'[o]);
      assert.deepStrictEqual(stepAscii(env, [action]), START);
      assert.deepStrictEqual(env.agents(0)[0], { row: 2, col: 2, orientation: expected }, `orientation ${o} action ${action}`);
    }
  }
});

test('after a turn, moves follow the new orientation', async () => {
  const env = await scenario('harvest', START, 'U');
  stepAscii(env, [CW]);
  assert.deepStrictEqual(stepAscii(env, [UP]), ['@@@@@', '@   @', '@  0@', '@   @', '@@@@@'], 'after turning right, forward is column+1');
});

test('a move into a wall leaves the agent where it is, for every move and orientation', async () => {
  const boxed = ['@@@', '@0@', '@@@'];
  for (const facing of 'URDL') {
    for (const action of [LEFT, RIGHT, UP, DOWN]) {
      const env = await scenario('harvest', boxed, facing);
      assert.deepStrictEqual(stepAscii(env, [action]), boxed);
      assert.deepStrictEqual(env.agents(0)[0], { row: 1, col: 1, orientation: ORI[facing] });
    }
  }
  // against one wall only: the blocked move stays, the open one moves
  const env = await scenario('harvest', ['@@@@', '@0 @', '@@@@'], 'U');
  assert.deepStrictEqual(stepAscii(env, [LEFT]), ['@@@@', '@0 @', '@@@@']);
  assert.deepStrictEqual(stepAscii(env, [RIGHT]), ['@@@@', '@ 0@', '@@@@']);
});

test('a move off the edge of the map leaves the agent where it is', async () => {
  for (const facing of 'URDL') {
    for (const action of [LEFT, RIGHT, UP, DOWN]) {
      const env = await scenario('harvest', ['0'], facing);
      assert.deepStrictEqual(stepAscii(env, [action]), ['0']);
    }
  }
  // a 1 x 3 map without walls: agent 0 at the left edge facing LEFT cannot go forward, but can go back
  const env = await scenario('harvest', ['0  '], 'L');
  assert.deepStrictEqual(stepAscii(env, [UP]), ['0  ']);
  assert.deepStrictEqual(stepAscii(env, [DOWN]), [' 0 ']);
  assert.deepStrictEqual(stepAscii(env, [DOWN]), ['  0']);
  assert.deepStrictEqual(stepAscii(env, [DOWN]), ['  0']);
});

/** Counts, over all envs, which of the listed outcomes (ASCII maps) each env shows; fails on any other. */
function outcomes(env: VecEnv, expected: string[][]): number[] {
  const counts = expected.map(() => 0);
  for (let b = 0; b < env.spec.numEnvs; b++) {
    const got = toAscii(env, b);
    const k = expected.findIndex((e) => e.join('\n') === got.join('\n'));
    assert.ok(k >= 0, `env ${b} shows an outcome the rules do not allow:\n${got.join('\n')}`);
    counts[k]++;
  }
  return counts;
}

/** |count - n p| within 4 standard errors of a binomial(n, p). */
function assertBinomial(count: number, n: number, p: number, what: string) {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(count - n * p) <= 4 * sd, `${what}: ${count} of ${n}, expected about ${(n * p).toFixed(1)} +- ${(4 * sd).toFixed(1)}`);
}

test('two agents wanting the same cell: exactly one of them, chosen uniformly at random, gets it', async () => {
  const B = 400;
  const env = await scenarios(['@@@@@', '@0 1@', '@@@@@'], 'RL', B);
  env.step(repeat([UP, UP], B));
  const [zero, one] = outcomes(env, [['@@@@@', '@ 01@', '@@@@@'], ['@@@@@', '@01 @', '@@@@@']]);
  assertBinomial(zero, B, 0.5, 'agent 0 wins');
  assert.equal(zero + one, B);
});

test('three and four agents wanting the same cell: each wins about equally often, the others stay', async () => {
  const B = 600;
  const env3 = await scenarios(['@@@@@', '@ 2 @', '@0 1@', '@@@@@'], 'RLD', B);
  env3.step(repeat([UP, UP, UP], B));
  const c3 = outcomes(env3, [
    ['@@@@@', '@ 2 @', '@ 01@', '@@@@@'],
    ['@@@@@', '@ 2 @', '@01 @', '@@@@@'],
    ['@@@@@', '@   @', '@021@', '@@@@@'],
  ]);
  c3.forEach((c, i) => assertBinomial(c, B, 1 / 3, `of 3 claimants, agent ${i} wins`));

  // from all four sides, with each agent using a different move (left, right, forward, back)
  const env4 = await scenarios(['@@@@@', '@ 0 @', '@3 1@', '@ 2 @', '@@@@@'], 'UUUU', B);
  env4.step(repeat([DOWN, LEFT, UP, RIGHT], B));
  const c4 = outcomes(env4, [0, 1, 2, 3].map((w) => {
    const m = ['@@@@@', '@ 0 @', '@3 1@', '@ 2 @', '@@@@@'].map((r) => r.replace(String(w), ' '));
    m[2] = m[2].slice(0, 2) + String(w) + m[2].slice(3);
    return m;
  }));
  c4.forEach((c, i) => assertBinomial(c, B, 1 / 4, `of 4 claimants, agent ${i} wins`));
});

test('an agent cannot enter the cell of an agent that stays, turns, fires or is blocked by a wall', async () => {
  const start = ['@@@@@@', '@  01@', '@    @', '@@@@@@'];
  // agent 1 faces UP, into the wall, so its own move forward (action UP) is blocked
  for (const blocker of [STAY, CW, CCW, FIRE, UP]) {
    const env = await scenario('harvest', start, 'RU');
    env.step([UP, blocker]);
    assert.deepStrictEqual(env.agents(0).map((a) => [a.row, a.col]), [[1, 3], [1, 4]], `blocker action ${blocker}`);
  }
  // the same agent moves once the cell is left
  const env = await scenario('harvest', start, 'RU');
  assert.deepStrictEqual(stepAscii(env, [UP, DOWN]), ['@@@@@@', '@   0@', '@   1@', '@@@@@@']);
});

test('two agents swapping cells both stay', async () => {
  const start = ['@@@@@@', '@ 01 @', '@@@@@@'];
  const env = await scenario('harvest', start, 'RL');
  assert.deepStrictEqual(stepAscii(env, [UP, UP]), start);
  // the same swap made with strafes
  const env2 = await scenario('harvest', start, 'DU');
  assert.deepStrictEqual(stepAscii(env2, [LEFT, LEFT]), start);
});

test('chains resolve: an agent may enter a cell its occupant leaves in the same step, for chains of 2 and 3', async () => {
  const env = await scenario('harvest', ['@@@@@@', '@01  @', '@@@@@@'], 'RR');
  assert.deepStrictEqual(stepAscii(env, [UP, UP]), ['@@@@@@', '@ 01 @', '@@@@@@']);
  const env3 = await scenario('harvest', ['@@@@@@@', '@012  @', '@@@@@@@'], 'RRR');
  assert.deepStrictEqual(stepAscii(env3, [UP, UP, UP]), ['@@@@@@@', '@ 012 @', '@@@@@@@']);
  // the leader moves sideways (a strafe) and the others follow in a bent chain
  const bent = await scenario('harvest', ['@@@@@', '@012@', '@   @', '@@@@@'], 'RRR');
  assert.deepStrictEqual(stepAscii(bent, [UP, UP, RIGHT]), ['@@@@@', '@ 01@', '@  2@', '@@@@@']);
});

test('a chain whose head is blocked does not move at all', async () => {
  const start = ['@@@@@', '@012@', '@@@@@'];
  const env = await scenario('harvest', start, 'RRR');
  assert.deepStrictEqual(stepAscii(env, [UP, UP, UP]), start);
  const env2 = await scenario('harvest', ['@@@@@@', '@012 @', '@@@@@@'], 'RRR');
  assert.deepStrictEqual(stepAscii(env2, [UP, UP, STAY]), ['@@@@@@', '@012 @', '@@@@@@']);
});

test('a closed cycle of agents each moving into the next one\'s cell all move (4 and 6 agents)', async () => {
  // 0 -> right, 1 -> down, 2 -> left, 3 -> up: a 2 x 2 rotation (a cycle of 3 cannot exist on a grid)
  const env = await scenario('harvest', ['@@@@', '@01@', '@32@', '@@@@'], 'UUUU');
  assert.deepStrictEqual(stepAscii(env, [RIGHT, DOWN, LEFT, UP]), ['@@@@', '@30@', '@21@', '@@@@']);
  const env6 = await scenario('harvest', ['@@@@@', '@012@', '@543@', '@@@@@'], 'RRDLLU');
  assert.deepStrictEqual(stepAscii(env6, [UP, UP, UP, UP, UP, UP]), ['@@@@@', '@501@', '@432@', '@@@@@']);
});

test('the loser of a same-target conflict stays and so blocks an agent moving into its cell', async () => {
  const B = 400;
  // 0 and 1 both want (1,2); 2 follows 1 into (1,3)
  const env = await scenarios(['@@@@@@', '@0 12@', '@@@@@@'], 'RLL', B);
  env.step(repeat([UP, UP, UP], B));
  const [zeroWins, oneWins] = outcomes(env, [
    ['@@@@@@', '@ 012@', '@@@@@@'], // 0 won: 1 stays, so 2 cannot move
    ['@@@@@@', '@012 @', '@@@@@@'], // 1 won: 2 follows it
  ]);
  assertBinomial(zeroWins, B, 0.5, 'agent 0 wins');
  assert.equal(zeroWins + oneWins, B);
});

test('eating: stepping onto an apple gives +1, the cell becomes floor, and lastEpisode counts the apples', async () => {
  // isolated apples (no apple neighbours) never regrow, so the map is deterministic
  const env = await scenario('harvest', ['@@@@@@@', '@0A A @', '@ 1   @', '@@@@@@@'], 'RU', { episodeLength: 3 });
  let r = env.step([UP, STAY]);
  assert.deepStrictEqual(toAscii(env), ['@@@@@@@', '@ 0 A @', '@ 1   @', '@@@@@@@']);
  assert.deepStrictEqual(Array.from(r.rewards), [1, 0]);
  assert.equal(env.internals.views.appleCount[0], 1);
  r = env.step([UP, STAY]);
  assert.deepStrictEqual(toAscii(env), ['@@@@@@@', '@  0A @', '@ 1   @', '@@@@@@@'], 'the eaten apple is floor');
  assert.deepStrictEqual(Array.from(r.rewards), [0, 0]);
  assert.equal(env.lastEpisode(0), null);
  r = env.step([UP, STAY]);
  assert.deepStrictEqual(Array.from(r.rewards), [1, 0]);
  assert.equal(r.dones[0], 1);
  const ep = env.lastEpisode(0)!;
  assert.deepStrictEqual(ep.applesEaten, [2, 0]);
  assert.deepStrictEqual(ep.returns, [2, 0]);
  assert.deepStrictEqual(Array.from(ep.applesSeries), [1, 1, 0]);
});

test('only the winner of a conflict over an apple eats it', async () => {
  const B = 100;
  const env = await scenarios(['@@@@@', '@0A1@', '@@@@@'], 'RL', B);
  const r = env.step(repeat([UP, UP], B));
  for (let b = 0; b < B; b++) {
    const got = toAscii(env, b)[1];
    assert.ok(got === '@ 01@' || got === '@01 @', got);
    const winner = got === '@ 01@' ? 0 : 1;
    assert.deepStrictEqual([r.rewards[2 * b], r.rewards[2 * b + 1]], winner === 0 ? [1, 0] : [0, 1]);
  }
});

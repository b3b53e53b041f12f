// docs/RULES.md "Observations" and the colour table: egocentric 15x15x3 views rotated so that forward is on top
// and the agent's right on the right ([ours]), black padding, beams drawn in the step they are fired under
// the agents ([ours]), visibility flags, other agents' actions, and renderWorld.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv } from '../src/env/vec-env.ts';
import { HARVEST_MAP } from '../src/env/maps.ts';
import { scenario, toAscii } from './helpers.ts';

const STAY = 4, FIRE = 7, CLEAN = 8;
const V = 15;
const DIRS = [[-1, 0], [0, 1], [1, 0], [0, -1]]; // forward vector by orientation UP, RIGHT, DOWN, LEFT

/** docs/RULES.md's colours by map character; agents by index. */
const COLOUR: Record<string, number[]> = {
  ' ': [0, 0, 0], '@': [180, 180, 180], A: [0, 255, 0], H: [99, 156, 194], R: [113, 75, 24], S: [113, 75, 24],
  F: [255, 255, 0], C: [100, 255, 255],
};
const AGENT = [[0, 0, 255], [2, 81, 154], [204, 0, 204], [216, 30, 54], [254, 151, 0], [100, 255, 255],
  [99, 99, 255], [250, 204, 255], [238, 223, 16]];

/** Pixel (u, v) of view k (= b * N + i). */
function pixel(obs: Uint8Array, k: number, u: number, v: number): number[] {
  const o = ((k * V + u) * V + v) * 3;
  return [obs[o], obs[o + 1], obs[o + 2]];
}

/** View k as characters: ' ' black, '@' wall, 'A' apple, 'H' waste, 'R' river, 'F'/'C' beams, digits 0-4
 * agents, '?' any other colour. */
function viewAscii(obs: Uint8Array, k: number): string[] {
  const table: [string, number[]][] = [
    ...Object.entries(COLOUR).filter(([ch]) => ch !== 'S'),
    ...AGENT.slice(0, 5).map((c, i) => [String(i), c] as [string, number[]]),
  ];
  const rows: string[] = [];
  for (let u = 0; u < V; u++) {
    let row = '';
    for (let v = 0; v < V; v++) {
      const p = pixel(obs, k, u, v).join(',');
      row += table.find(([, c]) => c.join(',') === p)?.[0] ?? '?';
    }
    rows.push(row);
  }
  return rows;
}

const blank = (n: number) => Array.from({ length: n }, () => ' '.repeat(n));

// What agent 0 must see whatever its orientation: an apple 2 ahead, agent 1 3 to its right, a wall 4
// behind and 1 to its left. Agent 1, facing the same way, sees the same things from 3 cells further right.
const VIEW_0 = [
  '               ',
  '               ',
  '               ',
  '               ',
  '               ',
  '       A       ',
  '               ',
  '       0  1    ',
  '               ',
  '               ',
  '               ',
  '      @        ',
  '               ',
  '               ',
  '               ',
];
const VIEW_1 = [
  '               ',
  '               ',
  '               ',
  '               ',
  '               ',
  '    A          ',
  '               ',
  '    0  1       ',
  '               ',
  '               ',
  '               ',
  '   @           ',
  '               ',
  '               ',
  '               ',
];

for (const [o, name] of ['UP', 'RIGHT', 'DOWN', 'LEFT'].entries()) {
  test(`a view is rotated so that forward is the top row and the agent's right the right column (facing ${name})`, async () => {
    const env = await scenario('harvest', blank(17).map((r, i) => (i === 16 ? '0' + r.slice(1, 16) + '1' : r)), 'UU');
    const [fr, fc] = DIRS[o], [rr, rc] = DIRS[(o + 1) % 4];
    const P = [8, 8];
    env.internals.placeAgent(0, 0, P[0], P[1], o);
    env.internals.placeAgent(0, 1, P[0] + 3 * rr, P[1] + 3 * rc, o);
    env.internals.setCell(0, P[0] + 2 * fr, P[1] + 2 * fc, 2); // apple 2 ahead
    env.internals.setCell(0, P[0] - 4 * fr - rr, P[1] - 4 * fc - rc, 1); // wall 4 behind, 1 to the left
    env.internals.refresh(0);
    let { obs } = env.step([STAY, STAY]);
    assert.equal(obs.length, 2 * V * V * 3);
    assert.deepStrictEqual(viewAscii(obs, 0), VIEW_0);
    assert.deepStrictEqual(viewAscii(obs, 1), VIEW_1);
    assert.deepStrictEqual(pixel(obs, 0, 7, 7), [0, 0, 255], 'the agent itself at the centre in its own colour');
    assert.deepStrictEqual(pixel(obs, 0, 5, 7), [0, 255, 0], 'forward is up');
    assert.deepStrictEqual(pixel(obs, 0, 7, 10), [2, 81, 154], 'the agent\'s right is to the right');
    assert.deepStrictEqual(pixel(obs, 0, 11, 6), [180, 180, 180]);
    assert.deepStrictEqual(pixel(obs, 1, 7, 7), [2, 81, 154]);
    // the same after a real turn: turning clockwise moves the apple from the top to the left side
    obs = env.step([5, STAY]).obs;
    assert.deepStrictEqual(pixel(obs, 0, 7, 5), [0, 255, 0], 'after a clockwise turn the apple is on the left');
    assert.deepStrictEqual(pixel(obs, 0, 4, 7), [2, 81, 154], 'and agent 1 ahead');
  });
}

test('outside the map a view is black (0,0,0); walls are 180,180,180', async () => {
  const room = ['@@@@@', '@0  @', '@   @', '@   @', '@@@@@'];
  const pad = '               ';
  const up = await scenario('harvest', room, 'U');
  assert.deepStrictEqual(viewAscii(up.step([STAY]).obs, 0), [
    pad, pad, pad, pad, pad, pad,
    '      @@@@@    ',
    '      @0  @    ',
    '      @   @    ',
    '      @   @    ',
    '      @@@@@    ',
    pad, pad, pad, pad,
  ]);
  const right = await scenario('harvest', room, 'R');
  const obs = right.step([STAY]).obs;
  assert.deepStrictEqual(viewAscii(obs, 0), [
    pad, pad, pad, pad,
    '      @@@@@    ',
    '      @   @    ',
    '      @   @    ',
    '      @0  @    ',
    '      @@@@@    ',
    pad, pad, pad, pad, pad, pad,
  ]);
  for (let u = 0; u < V; u++) for (let v = 0; v < V; v++) {
    if (u < 4 || u > 8 || v < 6 || v > 10) assert.deepStrictEqual(pixel(obs, 0, u, v), [0, 0, 0], `padding at ${u},${v}`);
  }
  assert.deepStrictEqual(pixel(obs, 0, 4, 6), [180, 180, 180]);
});

test('a FIRE beam is visible (255,255,0) in the views of the step it is fired, with agents drawn on top', async () => {
  const map = blank(17);
  const env = await scenario('harvest', map.map((r, i) => (i === 8 ? r.slice(0, 8) + '0 1' + r.slice(11) : r)), 'RU');
  const { obs, rewards } = env.step([FIRE, STAY]);
  assert.deepStrictEqual(Array.from(rewards), [-1, -50]);
  assert.deepStrictEqual(viewAscii(obs, 0), [
    '               ',
    '               ',
    '               ',
    '      F F      ',
    '      F F      ',
    '      F1F      ',
    '      FFF      ',
    '      F0F      ',
    '               ',
    '               ',
    '               ',
    '               ',
    '               ',
    '               ',
    '               ',
  ]);
  assert.deepStrictEqual(pixel(obs, 0, 6, 7), [255, 255, 0]);
  assert.deepStrictEqual(pixel(obs, 0, 5, 7), [2, 81, 154], 'the hit agent, not the beam, on its cell');
  // agent 1 (facing UP, at the end of the centre ray) sees the beam to its left and itself on top
  assert.deepStrictEqual(pixel(obs, 1, 7, 7), [2, 81, 154]);
  assert.deepStrictEqual(pixel(obs, 1, 7, 6), [255, 255, 0]);
  assert.deepStrictEqual(pixel(obs, 1, 6, 5), [255, 255, 0]);
  // gone the next step
  const next = env.step([STAY, STAY]).obs;
  assert.ok(!viewAscii(next, 0).join('').includes('F'));
  assert.ok(!viewAscii(next, 1).join('').includes('F'));
});

test('a CLEAN beam is visible (100,255,255) in the views of the step it is fired, over the waste it cleans', async () => {
  const env = await scenario('cleanup', [
    '@@@@@@@',
    '@HHHHH@',
    '@ HHH @',
    '@     @',
    '@  0  @',
    '@@@@@@@',
  ], 'U');
  const { obs } = env.step([CLEAN]);
  assert.deepStrictEqual(viewAscii(obs, 0).slice(3, 9), [
    '    @@@@@@@    ',
    '    @HHHHH@    ',
    '    @ CCC @    ',
    '    @ CCC @    ',
    '    @ C0C @    ',
    '    @@@@@@@    ',
  ]);
  assert.deepStrictEqual(pixel(obs, 0, 5, 7), [100, 255, 255], 'the cleaned cell shows the beam');
  const next = env.step([STAY]).obs;
  assert.deepStrictEqual(pixel(next, 0, 5, 7), [113, 75, 24], 'then river');
  assert.deepStrictEqual(pixel(next, 0, 5, 6), [113, 75, 24]);
  assert.deepStrictEqual(pixel(next, 0, 4, 7), [99, 156, 194], 'the waste beyond it stays');
  assert.ok(!viewAscii(next, 0).join('').includes('C'), 'the beam is gone');
});

test('visibility flags: [i][j] = 1 when agent j is within 7 rows and 7 columns of agent i (square, any orientation), 0 on the diagonal', async () => {
  const rows = blank(21);
  const put = (r: number, c: number, d: string) => { rows[r] = rows[r].slice(0, c) + d + rows[r].slice(c + 1); };
  put(10, 10, '0'); put(3, 17, '1'); put(2, 10, '2'); put(10, 18, '3'); put(17, 3, '4');
  const expected = [
    [0, 1, 0, 0, 1],
    [1, 0, 1, 1, 0],
    [0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0],
    [1, 0, 0, 0, 0],
  ];
  for (const facing of ['UUUUU', 'RRRRR', 'DLURD']) {
    const env = await scenario('harvest', rows, facing);
    const { visible, obs } = env.step([STAY, STAY, STAY, STAY, STAY]);
    const got = [0, 1, 2, 3, 4].map((i) => Array.from(visible.subarray(i * 5, i * 5 + 5)));
    assert.deepStrictEqual(got, expected, `facing ${facing}`);
    // the flags agree with what the views show
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
      if (i !== j) assert.equal(viewAscii(obs, i).join('').includes(String(j)), expected[i][j] === 1, `${i} sees ${j}`);
    }
  }
});

test('otherActions gives each agent the other agents\' actions of this step, in agent order', async () => {
  const env = await createVecEnv({ game: 'cleanup', numAgents: 3, numEnvs: 2, seed: 4 });
  const r = env.step([4, 5, 7, 0, 8, 2]);
  assert.equal(r.otherActions.length, 2 * 3 * 2);
  assert.deepStrictEqual(Array.from(r.otherActions), [5, 7, 4, 7, 4, 5, 8, 2, 0, 2, 0, 8]);
  const r2 = env.step([1, 1, 3, 6, 6, 6]);
  assert.deepStrictEqual(Array.from(r2.otherActions), [1, 3, 1, 3, 1, 1, 6, 6, 6, 6, 6, 6]);
});

test('renderWorld(0) returns the whole map as [H, W, 3] RGB in docs/RULES.md\'s colours, beams and agents drawn', async () => {
  const env = await scenario('cleanup', [
    '@@@@@@@',
    '@HRS B@',
    '@  0 1@',
    '@@@@@@@',
  ], 'UD');
  env.internals.setCell(0, 1, 5, 2);
  env.internals.refresh(0);
  env.step([STAY, FIRE]); // agent 1 faces DOWN: only its right-hand ray has room, one cell
  const expected = ['@@@@@@@', '@HRS A@', '@  0F1@', '@@@@@@@'];
  assert.deepStrictEqual(toAscii(env), ['@@@@@@@', '@HRS A@', '@  0F1@', '@@@@@@@']);
  const frame = env.renderWorld(0);
  assert.equal(frame.length, 4 * 7 * 3);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 7; c++) {
    const ch = expected[r][c];
    const want = /[0-9]/.test(ch) ? AGENT[Number(ch)] : COLOUR[ch];
    assert.deepStrictEqual(Array.from(frame.subarray((r * 7 + c) * 3, (r * 7 + c) * 3 + 3)), want, `(${r}, ${c}) '${ch}'`);
  }
});

test('renderWorld draws the nine agent colours of docs/RULES.md and the default Harvest map\'s walls and 155 apples', async () => {
  const env = await scenario('harvest', ['@@@@@@@@@@@', '@012345678@', '@@@@@@@@@@@'], 'UUUUUUUUU');
  const frame = env.renderWorld(0);
  for (let i = 0; i < 9; i++) assert.deepStrictEqual(Array.from(frame.subarray((11 + 1 + i) * 3, (11 + 2 + i) * 3)), AGENT[i], `agent ${i}`);
  const h = await createVecEnv({ game: 'harvest', numAgents: 5, seed: 0 });
  const f = h.renderWorld(0);
  const count = (rgb: number[]) => {
    let n = 0;
    for (let k = 0; k < f.length; k += 3) if (f[k] === rgb[0] && f[k + 1] === rgb[1] && f[k + 2] === rgb[2]) n++;
    return n;
  };
  assert.equal(f.length, 16 * 38 * 3);
  assert.equal(count(COLOUR.A), 155);
  assert.equal(count(COLOUR['@']), HARVEST_MAP.join('').split('@').length - 1);
  for (const [i, a] of h.agents(0).entries()) {
    assert.deepStrictEqual(Array.from(f.subarray((a.row * 38 + a.col) * 3, (a.row * 38 + a.col) * 3 + 3)), AGENT[i]);
  }
});

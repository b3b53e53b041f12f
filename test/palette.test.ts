// The legend's colours (src/env/palette.ts) are the core's: each checked against renderWorld on a map that
// holds every kind of cell, agents and both beams.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario } from './helpers.ts';
import { CELL_RGB, agentRgb } from '../src/env/palette.ts';
import { mapLegend } from '../src/env/legend.ts';
import { ACTION } from '../src/env/games.ts';
import { createVecEnv, type VecEnv } from '../src/env/vec-env.ts';

const pixel = (env: VecEnv, row: number, col: number) => {
  const img = env.renderWorld(0);
  const k = (row * env.spec.mapWidth + col) * 3;
  return [img[k], img[k + 1], img[k + 2]];
};

test('the legend colours are the colours the core draws: cells, agents, beams', async () => {
  // Cleanup: wall, floor, waste (H), river (R), stream (S), apple points (B); agents 0-2 facing right/up
  const env = await scenario('cleanup', [
    '@@@@@@@@@',
    '@0 H R S@',
    '@1      @',
    '@2 B    @',
    '@@@@@@@@@',
  ], 'RRR');
  assert.deepEqual(pixel(env, 0, 0), [...CELL_RGB.wall]);
  assert.deepEqual(pixel(env, 1, 2), [...CELL_RGB.floor]);
  assert.deepEqual(pixel(env, 1, 3), [...CELL_RGB.waste]);
  assert.deepEqual(pixel(env, 1, 5), [...CELL_RGB.river]);
  assert.deepEqual(pixel(env, 1, 7), [...CELL_RGB.river], 'the stream is drawn as river');
  for (let i = 0; i < 3; i++) assert.deepEqual(pixel(env, 1 + i, 1), [...agentRgb(i)], `agent ${i}`);
  // agent 0 cleans (the beam reaches the waste), agent 2 fires along its row
  env.step([ACTION.CLEAN, ACTION.STAY, ACTION.FIRE]);
  assert.deepEqual(pixel(env, 1, 2), [...CELL_RGB.cleaningBeam]);
  assert.deepEqual(pixel(env, 3, 2), [...CELL_RGB.punishmentBeam]);
  env.close();
  const harvest = await scenario('harvest', ['@@@@@', '@0A @', '@@@@@'], 'R');
  assert.deepEqual(pixel(harvest, 1, 2), [...CELL_RGB.apple]);
  harvest.close();
  assert.deepEqual(mapLegend('harvest').map((e) => e.name), ['wall', 'floor', 'apple', 'punishment beam']);
  assert.ok(mapLegend('cleanup').some((e) => e.name === 'waste'));
});

test('Box trapped\'s legend comes from its definition, and its box is drawn in the legend\'s colour', async () => {
  const env = await createVecEnv({ game: 'box-trapped', seed: 0 });
  assert.deepEqual(pixel(env, 3, 4), [...CELL_RGB.box], 'a box cell of the default map');
  assert.deepEqual(pixel(env, 1, 1), [...CELL_RGB.apple]);
  assert.deepEqual(mapLegend('box-trapped').map((e) => e.name), ['wall', 'floor', 'apple', 'box']);
  assert.deepEqual(mapLegend('box-trapped')[3].rgb, CELL_RGB.box);
  env.close();
});

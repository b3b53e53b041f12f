// Bad input gets a clear error that names the field and the allowed values, and changes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVecEnv, type EnvConfig } from '../src/env/vec-env.ts';

const bad = (config: unknown, pattern: RegExp) => assert.rejects(createVecEnv(config as EnvConfig), pattern);

test('an unknown game is rejected with the allowed values', async () => {
  await bad({ game: 'chess' }, /game: unknown game "chess"; allowed values: harvest, cleanup/);
  await bad({}, /game: unknown game undefined/);
});

test('non-integer, negative or zero sizes are rejected, naming the field', async () => {
  await bad({ game: 'harvest', numEnvs: 0 }, /numEnvs: expected an integer from 1/);
  await bad({ game: 'harvest', numEnvs: 2.5 }, /numEnvs: expected an integer/);
  await bad({ game: 'harvest', numAgents: -1 }, /numAgents: expected an integer from 1/);
  await bad({ game: 'harvest', numAgents: '5' }, /numAgents: expected an integer.*got "5"/);
  await bad({ game: 'cleanup', viewRadius: -2 }, /viewRadius: expected an integer from 0/);
  await bad({ game: 'cleanup', episodeLength: 0 }, /episodeLength: expected an integer from 1/);
  await bad({ game: 'cleanup', episodeLength: 1.5 }, /episodeLength/);
  await bad({ game: 'cleanup', tagTimeout: -1 }, /tagTimeout: expected an integer from 0/);
  await bad({ game: 'cleanup', seed: -3 }, /seed: expected an integer >= 0, got -3/);
  await bad({ game: 'cleanup', seed: 0.5 }, /seed/);
});

test('unknown options are rejected with the list of options', async () => {
  await bad({ game: 'harvest', numAgent: 5 }, /config: unknown option 'numAgent'; allowed options: game, map, numEnvs, numAgents/);
});

test('maps with ragged rows, unknown characters or too few spawn points are rejected', async () => {
  await bad({ game: 'harvest', map: ['@@@@', '@P@', '@@@@'] }, /map: row 1 has 3 characters but row 0 has 4/);
  await bad({ game: 'harvest', map: ['@@@@', '@PX@', '@@@@'], numAgents: 1 }, /map: unknown character "X" at row 1, column 2; harvest maps use/);
  await bad({ game: 'harvest', map: ['@@@@', '@PB@', '@@@@'], numAgents: 1 }, /unknown character "B"/);
  await bad({ game: 'cleanup', map: ['@@@@', '@PA@', '@@@@'], numAgents: 1 }, /unknown character "A".*cleanup maps use/);
  await bad({ game: 'harvest', map: ['@@@@', '@PP@', '@@@@'], numAgents: 3 }, /map: 2 spawn points \('P'\) for 3 agents; numAgents must be at most 2/);
  await bad({ game: 'harvest', numAgents: 21 }, /20 spawn points/);
  await bad({ game: 'cleanup', numAgents: 11 }, /10 spawn points/);
  await bad({ game: 'harvest', map: [] }, /map: expected a non-empty array of strings/);
  await bad({ game: 'harvest', map: 'P' }, /map: expected a non-empty array/);
});

test('an action outside the game names env and agent, is not clamped, and changes nothing', async () => {
  const env = await createVecEnv({ game: 'harvest', numEnvs: 2, numAgents: 3, seed: 1 });
  const before = env.step(new Uint8Array(6).fill(4)).obs.slice();
  const stepsBefore = Array.from(env.internals.views.stepCount);
  assert.throws(() => env.step([4, 4, 4, 4, 8, 4]), /actions\[4\]: 8 for env 1, agent 1 is not an action of harvest; allowed values: integers 0 to 7/);
  assert.throws(() => env.step(new Uint8Array([4, 4, 4, 4, 4, 200])), /actions\[5\]: 200 for env 1, agent 2/);
  assert.throws(() => env.step([4, -1, 4, 4, 4, 4]), /actions\[1\]: -1 for env 0, agent 1/);
  assert.throws(() => env.step([4, 2.5, 4, 4, 4, 4]), /actions\[1\]: 2.5/);
  assert.throws(() => env.step([4, 4, 4]), /actions: expected 6 entries \(numEnvs 2 x numAgents 3\), got 3/);
  assert.deepEqual(Array.from(env.internals.views.stepCount), stepsBefore, 'no env stepped');
  assert.deepEqual(env.internals.views.obs.slice(0, before.length), before, 'observations unchanged');
  // Cleanup accepts CLEAN (8) but not 9
  const c = await createVecEnv({ game: 'cleanup', numAgents: 2 });
  c.step([8, 8]);
  assert.throws(() => c.step([9, 0]), /actions\[0\]: 9 for env 0, agent 0 is not an action of cleanup; allowed values: integers 0 to 8/);
});

test('env indices outside the batch are rejected', async () => {
  const env = await createVecEnv({ game: 'cleanup', numEnvs: 2 });
  assert.throws(() => env.renderWorld(2), /env: expected an integer from 0 to 1, got 2/);
  assert.throws(() => env.lastEpisode(-1), /env: expected an integer from 0 to 1/);
});

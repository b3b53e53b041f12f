// The learner reads tensors back only asynchronously (src/learn/tfjs/read.ts): a synchronous read breaks
// tfjs-webgpu in headless Chromium's software adapter. Every tfjs synchronous read (dataSync, arraySync,
// bufferSync) goes through engine.readSync; count those calls over rollouts, updates, influence,
// checkpoints and evaluation of every model, on both algorithms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { resolveTrainConfig, type TrainConfig } from '../src/learn/config.ts';
import { Shard } from '../src/learn/shard.ts';
import { evaluate } from '../src/learn/evaluate.ts';
import { initBackend } from '../src/learn/tfjs/backend.ts';

const FIELD = ['@@@@@@@@@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAPAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@@@@@@@@@'];

/** Runs fn with engine.readSync counting its calls; returns the count. */
async function countSyncReads(fn: () => Promise<void>): Promise<number> {
  const engine = tf.engine() as unknown as { readSync: (id: unknown) => unknown };
  const original = engine.readSync;
  let calls = 0;
  engine.readSync = function (this: unknown, id: unknown) {
    calls++;
    return original.call(this, id);
  };
  try {
    await fn();
  } finally {
    engine.readSync = original;
  }
  return calls;
}

test('the spy sees a synchronous read', async () => {
  await initBackend('wasm');
  const t = tf.tensor1d([1, 2]);
  assert.equal(await countSyncReads(async () => { t.dataSync(); }), 1);
  assert.equal(await countSyncReads(async () => { await t.data(); }), 0, 'an asynchronous read is not counted');
  t.dispose();
});

const CASES: [string, Partial<TrainConfig>][] = [
  ['a2c', { model: 'a2c' }],
  ['a2c with shared parameters, ppo', { model: 'a2c', shareParams: true, algo: 'ppo', minibatches: 2, epochs: 2 }],
  ['influence (model I)', { model: 'influence' }],
  ['influence-comm (model II)', { model: 'influence-comm', algo: 'ppo', minibatches: 2 }],
  ['influence-moa (model III)', { model: 'influence-moa' }],
  ['influence-moa with PMI, ppo', { model: 'influence-moa', divergence: 'pmi', algo: 'ppo', minibatches: 2 }],
];

for (const [name, extra] of CASES) {
  test(`${name}: rollouts, updates, checkpoints and evaluation read nothing synchronously`, async () => {
    const cfg = resolveTrainConfig({
      game: 'harvest', map: FIELD, agents: 2, envs: 4, episodeLength: 20, viewRadius: 3, rolloutSteps: 5, seed: 3,
      backend: 'wasm', influenceBeta: 0.1, influenceStart: 0, influenceEnd: 0, ...extra,
    });
    const shard = await Shard.create(cfg);
    try {
      let stats;
      const calls = await countSyncReads(async () => {
        for (let k = 0; k < 3; k++) stats = await shard.iterate(k * cfg.envs * cfg.rolloutSteps);
        const saved = await shard.saveState();
        await shard.loadState(saved);
        await evaluate(cfg, shard.agents, { episodes: 1, seed: 9 });
      });
      assert.equal(calls, 0, `${calls} synchronous tensor reads`);
      assert.ok(Number.isFinite(stats!.policyLoss) && Number.isFinite(stats!.gradNorm), 'the update produced statistics');
    } finally {
      shard.dispose();
    }
  });
}

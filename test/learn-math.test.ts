// The learners' arithmetic on hand-computed cases: losses, returns, advantages, shaping, sampling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { a2cLoss, ppoLoss, sampleCategorical, argmax, clipByGlobalNorm } from '../src/learn/losses.ts';
import { nStepReturns, gae } from '../src/learn/returns.ts';
import { InequityAversion } from '../src/learn/shaping.ts';
import { resolveTrainConfig } from '../src/learn/config.ts';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);
const LN2 = Math.log(2), LN3 = Math.log(3);

test('the A2C loss matches a hand computation', async () => {
  await initBackend('wasm');
  const parts = tf.tidy(() => {
    const p = a2cLoss(tf.tensor2d([[0, 0], [LN3, 0]]), tf.tensor1d([1, 0.5]), tf.tensor1d([0, 1], 'int32'),
      tf.tensor1d([2, -1]), tf.tensor1d([3, 0]), { valueCoef: 0.5, entropyCoef: 0.01 });
    return [p.policy, p.value, p.entropy, p.total].map((t) => t.dataSync()[0]);
  });
  // policy: -mean(log .5 * 2, log .25 * -1) = -mean(-1.3863, 1.3863) = 0
  close(parts[0], 0);
  close(parts[1], 0.5 * (4 + 0.25) / 2);
  const h2 = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  close(parts[2], (LN2 + h2) / 2);
  close(parts[3], 0 + 0.5 * 1.0625 - 0.01 * (LN2 + h2) / 2);
});

test('the PPO loss clips the probability ratio on the side the advantage favours', async () => {
  await initBackend('wasm');
  const run = (adv: number) => tf.tidy(() => ppoLoss(tf.tensor2d([[0, 0]]), tf.tensor1d([1]), tf.tensor1d([0], 'int32'),
    tf.tensor1d([Math.log(0.25)]), tf.tensor1d([adv]), tf.tensor1d([3]), 0.2, { valueCoef: 0.5, entropyCoef: 0 }).policy.dataSync()[0]);
  // ratio = 0.5 / 0.25 = 2: for A > 0 the clipped 1.2 A wins, for A < 0 the unclipped 2 A
  close(run(1), -1.2);
  close(run(-1), 2);
});

test('n-step returns bootstrap from the last value and stop at episode ends', () => {
  const R = nStepReturns(new Float32Array([1, 0, 2]), new Uint8Array([0, 1, 0]), new Float32Array([4]), 3, 1, 0.5);
  assert.deepEqual(Array.from(R), [1, 0, 4]);
  // two streams interleaved time-major
  const R2 = nStepReturns(new Float32Array([1, 10, 1, 10]), new Uint8Array(4), new Float32Array([0, 2]), 2, 2, 0.5);
  assert.deepEqual(Array.from(R2), [1.5, 15.5, 1, 11]);
});

test('GAE advantages and returns match a hand computation', () => {
  const { advantages, returns } = gae(new Float32Array([1, 0, 2]), new Float32Array([0.5, 1, 1]), new Uint8Array([0, 1, 0]),
    new Float32Array([4]), 3, 1, 0.5, 0.5);
  [0.75, -1, 3].forEach((a, k) => close(advantages[k], a));
  [1.25, 0, 4].forEach((r, k) => close(returns[k], r));
});

test('inequity aversion penalises smoothed disadvantage by alpha and advantage by beta', () => {
  const ia = new InequityAversion(1, 2, { alpha: 5, beta: 0.05, gamma: 1, lambda: 0.5 });
  const out = new Float32Array([1, 0]);
  ia.apply(new Float32Array([1, 0]), new Uint8Array([0]), out);
  close(out[0], 1 - 0.05);
  close(out[1], -5);
  const out2 = new Float32Array([0, 0]);
  ia.apply(new Float32Array([0, 0]), new Uint8Array([1]), out2);
  close(out2[0], -0.05 * 0.5);
  close(out2[1], -5 * 0.5);
  assert.deepEqual(ia.getState(), [0, 0], 'smoothing restarts when the episode ends');
});

test('sampling follows the softmax and reports the log probability', () => {
  const logits = new Float32Array([0, LN3]);
  assert.equal(sampleCategorical(logits, 0, 2, 0.1).action, 0);
  const s = sampleCategorical(logits, 0, 2, 0.3);
  assert.equal(s.action, 1);
  close(s.logp, Math.log(0.75));
  assert.equal(argmax(logits, 0, 2), 1);
});

test('gradients are clipped to the global norm', async () => {
  await initBackend('wasm');
  const { grads, norm } = await clipByGlobalNorm({ a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }, 1);
  close(norm, 5);
  close(grads.a.dataSync()[0], 0.6);
  close(grads.b.dataSync()[1], 0.8);
});

test('training settings are checked: unknown values and out-of-range numbers name the field', () => {
  assert.throws(() => resolveTrainConfig({ model: 'dqn' as never }), /model: unknown value "dqn"; allowed values: a2c, inequity-aversion/);
  assert.throws(() => resolveTrainConfig({ algo: 'sac' as never }), /algo: unknown value "sac"; allowed values: a2c, ppo/);
  assert.throws(() => resolveTrainConfig({ game: 'go' as never }), /game: unknown value "go"; allowed values: harvest, cleanup/);
  assert.throws(() => resolveTrainConfig({ envs: 0 }), /envs: expected an integer from 1 to 4096, got 0/);
  assert.throws(() => resolveTrainConfig({ lr: -1 }), /lr: expected a number > 0 and <= 1, got -1/);
  // a learning rate of 0 trains nothing: refused, not run
  assert.throws(() => resolveTrainConfig({ lr: 0 }), /lr: expected a number > 0 and <= 1, got 0/);
  assert.throws(() => resolveTrainConfig({ maxGradNorm: 0 }), /maxGradNorm: expected a number > 0/);
  assert.throws(() => resolveTrainConfig({ tags: 'a' as never }), /tags: expected an array of strings/);
  assert.throws(() => resolveTrainConfig({ gamma: Number.NaN }), /gamma/);
  assert.throws(() => resolveTrainConfig({ steps: 1.5 }), /steps: expected an integer/);
  assert.throws(() => resolveTrainConfig({ algo: 'ppo', envs: 6, minibatches: 4 }), /minibatches must divide envs/);
  assert.throws(() => resolveTrainConfig({ algo: 'ppo', envs: 5 }), /minibatches must divide envs \(got 2\)/);
  assert.throws(() => resolveTrainConfig({ bogus: 1 } as never), /config: unknown setting 'bogus'/);
  const c = resolveTrainConfig({ algo: 'ppo' });
  assert.equal(c.lr, 2.5e-4);
  assert.equal(c.rolloutSteps, 32);
  assert.equal(resolveTrainConfig({}).reportEvery, 16 * 1000);
});

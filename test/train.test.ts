// Training end to end: agents learn, tensors do not leak, checkpoints round-trip, resumed runs match
// uninterrupted ones, checkpoint writes are atomic, and bad checkpoints are refused.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, truncateSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, resumeTrainer } from '../src/hosting/run-dir.ts';
import { evaluate } from '../src/learn/evaluate.ts';
import { loadCheckpoint, listCheckpoints } from '../src/hosting/checkpoint.ts';
import { createVecEnv } from '../src/env/vec-env.ts';
import { randomEpisode } from '../src/env/random-rollout.ts';
import type { TrainConfig } from '../src/learn/config.ts';

/** 9x9 Harvest with a 7x7 field of apples, two spawn points in the middle. */
const FIELD = ['@@@@@@@@@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAPAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@@@@@@@@@'];
const SMALL: Partial<TrainConfig> = { game: 'harvest', map: FIELD, agents: 2, envs: 16, episodeLength: 100, viewRadius: 3, seed: 0 };
const tmp = () => mkdtempSync(join(tmpdir(), 'commons-train-'));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function randomApples(episodes: number): Promise<number> {
  const env = await createVecEnv({ game: 'harvest', map: FIELD, numAgents: 2, numEnvs: episodes, episodeLength: 100, viewRadius: 3 });
  const stats = randomEpisode(env, 1000);
  env.close();
  return sum(stats.map((s) => sum(s.applesEaten))) / episodes;
}

describe('learning smoke tests: 2 agents on a 9x9 Harvest field', () => {
  for (const [algo, extra] of [
    ['a2c', { lr: 0.002, steps: 25_600 }],
    ['ppo', { lr: 0.001, steps: 25_600, rolloutSteps: 25, epochs: 2, minibatches: 2 }],
  ] as const) {
    test(`${algo} collects clearly more apples than the random policy`, async () => {
      const trainer = await createTrainer({ ...SMALL, algo, ...extra });
      await trainer.run();
      const stats = await evaluate(trainer.cfg, trainer.agents, { episodes: 32, seed: 1000 });
      await trainer.close();
      const trained = sum(stats.map((s) => sum(s.applesEaten))) / stats.length;
      const random = await randomApples(32);
      const fires = sum(stats.map((s) => sum(s.fireActions))) / stats.length;
      assert.ok(trained > 1.15 * random, `${algo}: ${trained.toFixed(1)} apples per episode vs random ${random.toFixed(1)}`);
      assert.ok(fires < 10, `${algo} stopped firing at others: ${fires} FIRE actions per episode (random: ~25)`);
    });
  }
});

describe('tensor hygiene', () => {
  for (const [name, extra] of [
    ['a2c, independent', { algo: 'a2c' }],
    ['ppo, shared parameters', { algo: 'ppo', shareParams: true, epochs: 1, minibatches: 2 }],
  ] as const) {
    test(`${name}: the number of live tensors is flat over 200 updates`, async () => {
      const trainer = await createTrainer({ ...SMALL, envs: 2, viewRadius: 2, rolloutSteps: 5, steps: 1e9, ...extra });
      for (let k = 0; k < 5; k++) await trainer.iterate();
      const before = tf.memory().numTensors;
      for (let k = 0; k < 200; k++) await trainer.iterate();
      assert.equal(tf.memory().numTensors, before);
      await trainer.close();
    });
  }
});

describe('checkpoints', () => {
  const base: Partial<TrainConfig> = { ...SMALL, envs: 4, viewRadius: 2, rolloutSteps: 10, episodeLength: 50, reportEvery: 200, checkpointEvery: 400 };

  test('a checkpoint round-trips weights, optimiser state, recurrent state and the environments', async () => {
    const dir = tmp();
    const trainer = await createTrainer({ ...base, steps: 400 }, dir);
    await trainer.run();
    const ckpt = loadCheckpoint(dir);
    assert.equal(ckpt.manifest.envSteps, 400);
    assert.equal(ckpt.manifest.game, 'harvest');
    const live = (await trainer.local.saveState()).tensors;
    assert.deepEqual(ckpt.tensors.map((t) => t.name), live.map((t) => t.name));
    ckpt.tensors.forEach((t, k) => assert.deepEqual(Array.from(t.data), Array.from(live[k].data), t.name));
    assert.deepEqual(Array.from(ckpt.env), Array.from(trainer.env.saveState()));
    await trainer.close();
  });

  test('a resumed run writes the same metrics as an uninterrupted one', async () => {
    const strip = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => { const r = JSON.parse(l); delete r.timing; return r; });
    for (const algo of ['a2c', 'ppo'] as const) {
      const extra = algo === 'ppo' ? { algo, minibatches: 2, epochs: 2 } : { algo };
      const whole = tmp(), parts = tmp();
      const a = await createTrainer({ ...base, ...extra, steps: 1200 }, whole);
      await a.run();
      await a.close();
      const b1 = await createTrainer({ ...base, ...extra, steps: 1200 }, parts);
      let n = 0;
      await b1.run({ shouldStop: () => ++n === 10 }); // stop after 10 updates = 400 env steps, as Ctrl-C would
      await b1.close();
      const b2 = await resumeTrainer(parts);
      assert.equal(b2.envSteps, 400);
      await b2.run();
      await b2.close();
      const ma = strip(whole), mb = strip(parts);
      assert.equal(ma.length, 6);
      assert.deepEqual(mb, ma, algo);
      assert.deepEqual(JSON.parse(readFileSync(join(parts, 'summary.json'), 'utf8')).last.collective_return, ma[5].collective_return);
    }
  });

  test('a checkpoint write killed half-way leaves the previous checkpoint loadable', async () => {
    const dir = tmp();
    const trainer = await createTrainer({ ...base, steps: 400 }, dir);
    await trainer.run();
    assert.equal(loadCheckpoint(dir).manifest.id, 'step-000000000400');
    for (const stage of ['tensors', 'env', 'manifest', 'renamed'] as const) {
      trainer.envSteps += 10;
      await assert.rejects(trainer.checkpoint({ saveHook: (s) => { if (s === stage) throw new Error(`killed after ${s}`); } }), /killed/);
      const ck = loadCheckpoint(dir);
      assert.equal(ck.manifest.id, 'step-000000000400', `after a crash at '${stage}' the previous checkpoint loads`);
    }
    await trainer.close();
  });

  test('corrupt, truncated or mismatched checkpoints are refused with the file named', async () => {
    const dir = tmp();
    const trainer = await createTrainer({ ...base, steps: 400 }, dir);
    await trainer.run();
    await trainer.close();
    const id = listCheckpoints(dir).at(-1)!;
    const ck = join(dir, 'checkpoints', id);

    const flipped = tmp();
    cpSync(dir, flipped, { recursive: true });
    const t = readFileSync(join(flipped, 'checkpoints', id, 'tensors.bin'));
    t[100] ^= 0xff;
    writeFileSync(join(flipped, 'checkpoints', id, 'tensors.bin'), t);
    assert.throws(() => loadCheckpoint(flipped), /tensors\.bin is corrupt: its SHA-256 does not match/);

    const cut = tmp();
    cpSync(dir, cut, { recursive: true });
    truncateSync(join(cut, 'checkpoints', id, 'env.bin'), 100);
    assert.throws(() => loadCheckpoint(cut), /env\.bin is truncated or corrupt: 100 bytes/);

    const garbled = tmp();
    cpSync(dir, garbled, { recursive: true });
    writeFileSync(join(garbled, 'checkpoints', id, 'manifest.json'), '{"format": "commons-chec');
    assert.throws(() => loadCheckpoint(garbled), /manifest\.json is corrupt or truncated/);

    const other = tmp();
    cpSync(dir, other, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8'));
    writeFileSync(join(other, 'config.json'), JSON.stringify({ ...cfg, game: 'cleanup', map: undefined }));
    await assert.rejects(resumeTrainer(other), /config\.json does not match checkpoint step-000000000400: game is "cleanup" in config\.json, "harvest" in the checkpoint/);
    writeFileSync(join(other, 'config.json'), JSON.stringify({ ...cfg, agents: 1 }));
    await assert.rejects(resumeTrainer(other), /agents is 1 in config\.json, 2 in the checkpoint/);

    assert.throws(() => loadCheckpoint(dir, 'step-9'), /step-9 not found .* \(available: step-000000000400\)/);
    assert.throws(() => loadCheckpoint(dir, 'latest'), /'latest' is not a checkpoint id/);
    assert.ok(existsSync(join(ck, 'manifest.json')));
    await assert.rejects(createTrainer({ ...base, steps: 400 }, dir), /already holds a run; continue it with --resume/);
  });
});

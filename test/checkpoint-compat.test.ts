// Checkpoints of format version 1 (commons 0.1: one set of tensors per network) still load for playing:
// their weights are stacked into the batched population and the policy acts exactly as the one they were
// taken from. Resuming one is refused with a message naming the format version.
// Environment states saved before the games table (shorter by the statistics of a game's own) still load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { resolveTrainConfig } from '../src/learn/config.ts';
import { Policy } from '../src/learn/policy/policy.ts';
import { moaOf } from '../src/learn/models/moa.ts';
import { loadWeights } from '../src/learn/learner.ts';
import { Trainer } from '../src/learn/trainer.ts';
import { encodeCheckpoint, decodeCheckpoint } from '../src/learn/checkpoint-format.ts';
import { Rng } from '../src/util/rng.ts';

/** A format-1 tensor list for `policy`: network g's weights as 'net{g}/w{k}' (model I's influencers without
 * head inputs, as 0.1 built them), its MOA's as 'moa{g}/w{k}'. */
async function format1Tensors(policy: Policy) {
  const out: { name: string; data: Float32Array; shape: number[] }[] = [];
  const vars = policy.net.variables;
  for (let g = 0; g < policy.G; g++) {
    const w = await policy.net.getWeights(g);
    w.forEach((data, k) => {
      let shape = vars[k].shape.slice(1);
      // 0.1's influencers had no head inputs: their head weights had H rows
      const K = policy.cfg.model === 'influence' ? policy.cfg.influencers : 0;
      if (K && g < K && k >= vars.length - 4 && k % 2 === vars.length % 2) {
        shape = [policy.net.lstmUnits, shape[1]];
        data = data.slice(0, shape[0] * shape[1]);
      }
      out.push({ name: `net${g}/w${k}`, data, shape });
    });
    const moa = moaOf(policy)?.net;
    if (moa) (await moa.getWeights(g)).forEach((data, k) => out.push({ name: `moa${g}/w${k}`, data, shape: moa.variables[k].shape.slice(1) }));
  }
  return out;
}

for (const model of ['a2c', 'influence', 'influence-moa', 'influence-comm'] as const) {
  test(`a format-1 checkpoint of ${model} loads into the batched population and plays the same`, async () => {
    await initBackend('wasm');
    const cfg = resolveTrainConfig({ game: 'harvest', model, agents: 3, envs: 2, viewRadius: 3, seed: 4 });
    const A = 8, B = 2, N = 3;
    const original = new Policy(cfg, A, B, N);
    if (model === 'influence') {
      // influencer 0's head inputs are all zero when it acts: zero its head-input weights, as 0.1 had none
      const w = await original.net.getWeights(0);
      const H = original.net.lstmUnits, nv = w.length;
      for (const k of [nv - 4, nv - 2]) w[k].fill(0, H * (k === nv - 4 ? A : 1));
      original.net.setWeights(0, w);
    }
    const v1 = { manifest: { formatVersion: 1 }, tensors: await format1Tensors(original) };
    const loaded = new Policy({ ...cfg, seed: 99 }, A, B, N);
    loadWeights(loaded, v1);
    const obs = Uint8Array.from({ length: B * N * 7 * 7 * 3 }, (_, i) => (i * 37) % 256);
    const act = async (p: Policy) => {
      const actions = new Uint8Array(B * N);
      await p.act(obs, new Uint8Array(B).fill(1), new Rng(1), actions);
      return { actions: Array.from(actions), logits: Array.from(p.lastLogits) };
    };
    const a = await act(original), b = await act(loaded);
    assert.deepEqual(b.actions, a.actions);
    b.logits.forEach((x, i) => assert.ok(Math.abs(x - a.logits[i]) < 1e-5, `logit ${i}: ${x} vs ${a.logits[i]}`));
    original.dispose();
    loaded.dispose();
  });
}

test('resuming a format-1 checkpoint is refused with a message that names the format version', async () => {
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'a2c', agents: 2, envs: 2, viewRadius: 3 });
  const { files } = encodeCheckpoint({
    manifest: { game: 'harvest', version: 'harvest_v1', model: 'a2c', algo: 'a2c', agents: 2, envs: 2, shareParams: false, envSteps: 40,
      agentSteps: 80, updates: 1, trainer: {}, config: { ...cfg } },
    tensors: [{ name: 'net0/w0', data: new Float32Array(3), shape: [3] }], env: new Uint8Array(4),
  });
  const m = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  files['manifest.json'] = new TextEncoder().encode(JSON.stringify({ ...m, formatVersion: 1 }));
  const dir = join(mkdtempSync(join(tmpdir(), 'commons-v1-')), 'step-000000000040');
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const ckpt = decodeCheckpoint(files, dir);
  assert.equal(ckpt.manifest.formatVersion, 1);
  await assert.rejects(Trainer.restore(cfg, ckpt), /has format version 1 .*resumes formats 2 and 3 only.*eval, render/);
  assert.equal(tf.memory().numTensors >= 0, true);
});

test('a player checkpoint (weights only, float16) plays like its run, is a quarter of the size, and cannot be resumed', async () => {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const { statSync } = await import('node:fs');
  const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'commons-player-'));
  const run = join(dir, 'run');
  execFileSync(process.execPath, [cli, 'train', '--game', 'harvest', '--model', 'influence-moa', '--agents', '3', '--envs', '2', '--steps', '400',
    '--episode-length', '50', '--view-radius', '3', '--out', run], { stdio: 'ignore' });
  const player = join(dir, 'player.tar'), full = join(dir, 'full.tar');
  execFileSync(process.execPath, [cli, 'checkpoints', run, '--export', player, '--player']);
  execFileSync(process.execPath, [cli, 'checkpoints', run, '--export', full]);
  assert.ok(statSync(player).size < statSync(full).size / 3, `${statSync(player).size} vs ${statSync(full).size} bytes`);
  const evalOf = (src: string) => JSON.parse(execFileSync(process.execPath, [cli, 'eval', '--run', src, '--episodes', '2', '--greedy', '--json'], { encoding: 'utf8' }));
  const a = evalOf(run), b = evalOf(player);
  assert.deepEqual(b.episodes.map((e: { returns: number[] }) => e.returns), a.episodes.map((e: { returns: number[] }) => e.returns));
  assert.ok(Math.abs(b.influence.total - a.influence.total) <= 1e-3 * Math.max(1e-6, a.influence.total) + 1e-6, `${b.influence.total} vs ${a.influence.total}`);
  const resume = spawnSync(process.execPath, [cli, 'train', '--resume', player, '--out', join(dir, 'again'), '--steps', '800'], { encoding: 'utf8' });
  assert.equal(resume.status, 2);
  assert.match(resume.stderr, /is a player checkpoint \(weights only.*cannot be resumed/);
});

test('an environment state saved before the games table (no statistics of a game\'s own at its end) still loads and continues exactly', async () => {
  const { createVecEnv } = await import('../src/env/vec-env.ts');
  for (const game of ['harvest', 'cleanup'] as const) {
    const a = await createVecEnv({ game, numEnvs: 2, numAgents: 3, seed: 4, episodeLength: 60 });
    const rng = new Rng(2);
    for (let t = 0; t < 45; t++) { rng.fillBelow(a.actions, a.spec.numActions); a.step(); }
    // the older layout ended 4 bytes past the scratch region; the game's statistics came after it
    const v = a.internals.views;
    const older = a.saveState().slice(0, v.scratch.byteOffset + v.scratch.byteLength + 4 - v.actions.byteOffset);
    const b = await createVecEnv({ game, numEnvs: 2, numAgents: 3, seed: 99, episodeLength: 60 });
    b.loadState(older);
    for (let t = 0; t < 100; t++) {
      rng.fillBelow(a.actions, a.spec.numActions);
      const ra = a.step(), rb = b.step(a.actions);
      assert.deepEqual(rb.obs, ra.obs, `${game} step ${t}`);
      assert.deepEqual(rb.rewards, ra.rewards);
    }
    assert.deepEqual(b.lastEpisode(1), a.lastEpisode(1));
    assert.throws(() => b.loadState(older.subarray(1)), /loadState: expected \d+ bytes/);
  }
  // a game that keeps statistics of its own needs them
  const box = await createVecEnv({ game: 'box-trapped', seed: 1 });
  const v = box.internals.views;
  assert.throws(() => box.loadState(box.saveState().slice(0, v.scratch.byteOffset + v.scratch.byteLength + 4 - v.actions.byteOffset)), /loadState: expected/);
});

// The influence models end to end: the counterfactual batch is assembled correctly (a hand-built MOA that
// predicts a copy of the influencer's action gives the reward the formula says), a MOA learns a predictable
// partner well above chance, and every model trains on both games without NaN or leaked tensors.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { Policy } from '../src/learn/policy/policy.ts';
import { moaOf } from '../src/learn/models/moa.ts';
import { modelOf } from '../src/learn/models/registry.ts';
import { resolveTrainConfig, MODELS } from '../src/learn/config.ts';
import { createInfluenceKernel } from '../src/core/influence.ts';
import { createTrainer, resumeTrainer } from '../src/hosting/run-dir.ts';
import { evaluateWithMeasures } from '../src/learn/evaluate.ts';
import { loadRun, renderCurves } from '../src/plot/curves.ts';
import { Rng } from '../src/util/rng.ts';

/** Rewrites group g's network weights: f edits them in place (all of them, in `variables` order), given
 * their count and the LSTM width. The policy head is w[nv - 4] (weights) and w[nv - 3] (bias). */
async function editNet(agents: Policy, g: number, f: (w: Float32Array[], nv: number, H: number) => void): Promise<void> {
  const net = agents.net, w = await net.getWeights(g);
  f(w, net.variables.length, net.lstmUnits);
  net.setWeights(g, w);
}

/** An editNet edit: the policy's logits are log p, whatever the network sees. */
const policyLogP = (p: number[]) => (w: Float32Array[], nv: number) => {
  w[nv - 4].fill(0);
  w[nv - 3].set(p.map(Math.log));
};

/** An editNet edit for a model I influencee: logit 30 on the action influencer 0 took (head input slot
 * H + a), whatever else it sees. */
const copyInfluencer = (A: number) => (w: Float32Array[], nv: number, H: number) => {
  w[nv - 4].fill(0);
  w[nv - 3].fill(0);
  for (let a = 0; a < A; a++) w[nv - 4][(H + a) * A + a] = 30;
};

/** Agent 0's MOA (2 agents, A actions) predicts that agent 1's next action copies agent 0's action of this
 * step: logit 30 on the copy, whatever else it sees. */
async function copyingMoa(agents: Policy, A: number): Promise<void> {
  const moa = moaOf(agents)!.net;
  const mw = (await moa.getWeights(0)).map((x) => x.fill(0));
  const mv = moa.variables;
  const H = moa.lstmUnits, head = mv[mv.length - 4].shape[2]!;
  for (let a = 0; a < A; a++) {
    mw[mv.length - 4][(H + 0 * A + a) * head + a] = 1; // hidden.w: agent 0's action slot a -> unit a
    mw[mv.length - 2][a * A + a] = 30; // out.w: unit a -> logit of action a of the one other agent
  }
  moa.setWeights(0, mw);
}

const FIELD = ['@@@@@@@@@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAPAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@@@@@@@@@'];

test('a hand-built MOA whose influencee copies the influencer gives c = -log pi(a_taken)', async () => {
  await initBackend('wasm');
  const B = 3, N = 2, A = 8;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-moa', agents: N, envs: B, viewRadius: 3, influenceVisibleOnly: false });
  const agents = new Policy(cfg, A, B, N);
  // Agent 0's policy: logits = log p, whatever it sees.
  const p = [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
  await editNet(agents, 0, policyLogP(p));
  await copyingMoa(agents, A);
  const obs = new Uint8Array(B * N * 7 * 7 * 3).fill(40);
  const actions = new Uint8Array(B * N);
  await agents.act(obs, new Uint8Array(B).fill(1), new Rng(0), actions);
  actions.set([0, 5, 6, 1, 2, 7]); // agent 0 takes 0, 6, 2 in the three envs
  const kernel = await createInfluenceKernel();
  const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  [0, 6, 2].forEach((a, b) => {
    assert.ok(Math.abs(ckj[(b * N + 0) * N + 1] - -Math.log(p[a])) < 1e-4, `env ${b}: ${ckj[(b * N + 0) * N + 1]} vs ${-Math.log(p[a])}`);
    assert.ok(Math.abs(ck[b * N + 0] - ckj[(b * N + 0) * N + 1]) < 1e-7, 'c_k sums c_kj');
    assert.equal(ckj[(b * N + 0) * N + 0], 0, 'no influence on oneself');
  });
  agents.dispose();
});

test('model I: an influencee whose policy copies the influencer gives the influencer c = -log pi(a_taken)', async () => {
  await initBackend('wasm');
  const B = 3, N = 3, A = 8;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence', agents: N, envs: B, viewRadius: 3, influenceVisibleOnly: false });
  const agents = new Policy(cfg, A, B, N);
  const p = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3];
  await editNet(agents, 0, policyLogP(p));
  // influencees 1 and 2: logit 30 on the action the influencer took (head input slot H + a)
  for (const g of [1, 2]) await editNet(agents, g, copyInfluencer(A));
  const obs = new Uint8Array(B * N * 7 * 7 * 3).fill(40);
  const actions = new Uint8Array(B * N);
  await agents.act(obs, new Uint8Array(B).fill(1), new Rng(0), actions);
  // the influencees saw agent 0's sampled actions and copied them
  for (let b = 0; b < B; b++) assert.deepEqual([actions[b * N + 1], actions[b * N + 2]], [actions[b * N], actions[b * N]]);
  const kernel = await createInfluenceKernel();
  const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  for (let b = 0; b < B; b++) {
    const want = -Math.log(p[actions[b * N]]);
    for (const j of [1, 2]) assert.ok(Math.abs(ckj[(b * N) * N + j] - want) < 1e-4, `env ${b}, influencee ${j}: ${ckj[(b * N) * N + j]} vs ${want}`);
    assert.ok(Math.abs(ck[b * N] - 2 * want) < 2e-4);
    assert.equal(ck[b * N + 1], 0, 'influencees earn no influence reward');
  }
  agents.dispose();
});

test('model II: a listener that copies the speaker\'s last symbol gives the speaker c = -log pi_msg(m_taken)', async () => {
  await initBackend('wasm');
  const B = 3, N = 2, A = 8;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-comm', agents: N, envs: B, viewRadius: 3, influenceVisibleOnly: false });
  const agents = new Policy(cfg, A, B, N);
  assert.equal(agents.vocab, A, 'the vocabulary defaults to the number of actions');
  const p = [0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
  // speaker 0: message head = log p whatever it sees; its actions ignore what it hears
  await editNet(agents, 0, (w, nv) => { policyLogP(p)(w, nv); w[nv - 8].fill(0); });
  // listener 1: its action copies the symbol agent 0 said last step (head input slot H + 0 * V + m)
  await editNet(agents, 1, (w, nv, H) => { w[nv - 8].fill(0); w[nv - 7].fill(0); for (let m = 0; m < A; m++) w[nv - 8][(H + m) * A + m] = 30; });
  const obs = new Uint8Array(B * N * 7 * 7 * 3).fill(40);
  const actions = new Uint8Array(B * N), rng = new Rng(3);
  await agents.act(obs, new Uint8Array(B).fill(1), rng, actions);
  const said = Array.from({ length: B }, (_, b) => agents.symbols[b * N]);
  await agents.act(obs, new Uint8Array(B), rng, actions);
  for (let b = 0; b < B; b++) assert.equal(actions[b * N + 1], said[b], 'the listener copied the symbol');
  const kernel = await createInfluenceKernel();
  const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  for (let b = 0; b < B; b++) {
    const want = -Math.log(p[said[b]]);
    assert.ok(Math.abs(ckj[b * N * N + 1] - want) < 1e-4, `env ${b}: ${ckj[b * N * N + 1]} vs ${want}`);
    assert.ok(ckj[(b * N + 1) * N] < 1e-3, 'the listener\'s own symbols moved nothing');
  }
  agents.dispose();
});

test('a MOA learns a partner that copies its action, far above chance, and sees the influence', async () => {
  const trainer = await createTrainer({
    game: 'harvest', map: FIELD, model: 'moa', agents: 2, envs: 8, viewRadius: 3, episodeLength: 100, steps: 8 * 20 * 60,
    reportEvery: 8 * 20 * 20, influenceVisibleOnly: false, lr: 0.003, seed: 1,
  });
  // Agent 1 repeats agent 0's previous action: its next action is predictable from this step's actions.
  const prev = new Uint8Array(8);
  trainer.local.script = (actions) => {
    for (let b = 0; b < 8; b++) {
      const a0 = actions[b * 2];
      actions[b * 2 + 1] = prev[b];
      prev[b] = a0;
    }
  };
  const rows: { moa?: { accuracy: number | null; chance_accuracy: number }; influence?: { matrix: number[][] } }[] = [];
  await trainer.run({ onReport: (r) => rows.push(r) });
  await trainer.close();
  const last = rows.at(-1)!;
  assert.ok(last.moa!.accuracy! > 4 * last.moa!.chance_accuracy, `MOA accuracy ${last.moa!.accuracy} vs chance ${last.moa!.chance_accuracy}`);
  const m = last.influence!.matrix;
  assert.ok(m[0][1] > 0.1 && m[0][1] > 20 * m[1][0], `influence 0->1 ${m[0][1]} vs 1->0 ${m[1][0]}`);
});

describe('every model trains on both games', () => {
  for (const game of ['harvest', 'cleanup'] as const) {
    for (const model of MODELS) {
      test(`${model} on ${game}: a few updates, finite losses, no leaked tensors, eval and plot accept the run`, async () => {
        const dir = join(mkdtempSync(join(tmpdir(), 'commons-models-')), 'run');
        const trainer = await createTrainer({ game, model, agents: 3, envs: 2, rolloutSteps: 5, steps: 60, episodeLength: 10, reportEvery: 20 }, dir);
        const stats = [await trainer.iterate(), await trainer.iterate()];
        const before = tf.memory().numTensors;
        stats.push(await trainer.iterate(), await trainer.iterate());
        assert.equal(tf.memory().numTensors, before, 'tensors flat');
        for (const s of stats) for (const [k, v] of Object.entries(s)) assert.ok(Number.isFinite(v) || (Array.isArray(v) && v.every(Number.isFinite)), `${k} = ${v}`);
        // the MOA's target counts (its most-frequent-action baseline): one per counted prediction, N (N - 1) A of them
        for (const s of stats) if (s.moaTargets) {
          assert.equal(s.moaTargets.length, 3 * 2 * trainer.agents.numActions);
          assert.equal(s.moaTargets.reduce((a, x) => a + x, 0), s.moaCounted);
        }
        await trainer.run();
        const measured = await evaluateWithMeasures(trainer.cfg, trainer.agents, { episodes: 2 });
        assert.equal(measured.episodes.length, 2);
        assert.equal(measured.influence !== null, !!modelOf(model).measuresInfluence);
        if (measured.influence) assert.ok(Number.isFinite(measured.influence.total) && measured.influence.total >= 0);
        assert.ok(measured.comm.ic_action_action && measured.comm.ic_action_action.max >= 0);
        await trainer.close();
        const { png } = await renderCurves([loadRun(dir)], {});
        assert.ok(png.length > 1000);
      });
    }
  }
});

describe('resuming an influence model gives the same metrics as an uninterrupted run', () => {
  for (const [model, divergence] of [['influence', 'kl'], ['influence-comm', 'kl'], ['influence-moa', 'kl'], ['influence-moa', 'pmi']] as const) {
    test(`${model} (${divergence})`, async () => {
      const { readFileSync } = await import('node:fs');
      const base = { game: 'harvest' as const, map: FIELD, model, agents: 2, envs: 2, viewRadius: 2, rolloutSteps: 5, episodeLength: 20,
        steps: 200, reportEvery: 40, checkpointEvery: 1000, influenceStart: 0, influenceEnd: 50, divergence };
      const strip = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
        .map((l) => { const r = JSON.parse(l); delete r.timing; return r; });
      const whole = join(mkdtempSync(join(tmpdir(), 'commons-resume-')), 'run');
      const a = await createTrainer(base, whole);
      await a.run();
      await a.close();
      const parts = join(mkdtempSync(join(tmpdir(), 'commons-resume-')), 'run');
      const b1 = await createTrainer(base, parts);
      let n = 0;
      await b1.run({ shouldStop: () => ++n === 9 }); // 90 env steps: mid-episode, mid-report
      await b1.close();
      const b2 = await resumeTrainer(parts);
      await b2.run();
      await b2.close();
      assert.deepEqual(strip(parts), strip(whole));
    });
  }
});

test('PMI: model I rewards -log p at the influencee\'s action for a copying influencee', async () => {
  await initBackend('wasm');
  const B = 2, N = 2, A = 8;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence', agents: N, envs: B, viewRadius: 3, influenceVisibleOnly: false, divergence: 'pmi' });
  const agents = new Policy(cfg, A, B, N);
  const p = [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
  await editNet(agents, 0, policyLogP(p));
  await editNet(agents, 1, copyInfluencer(A));
  const obs = new Uint8Array(B * N * 7 * 7 * 3).fill(40), actions = new Uint8Array(B * N);
  await agents.act(obs, new Uint8Array(B).fill(1), new Rng(5), actions);
  const kernel = await createInfluenceKernel();
  const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  for (let b = 0; b < B; b++) {
    // the copy took the influencer's action: PMI = log 1 - log p(a) = -log p(a)
    assert.ok(Math.abs(ckj[b * N * N + 1] - -Math.log(p[actions[b * N]])) < 1e-4);
  }
  agents.dispose();
});

test('PMI with a MOA: settled one step later with the partner\'s actual action, -log pi(a) for a copying partner', async () => {
  await initBackend('wasm');
  const B = 3, N = 2, A = 8;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-moa', agents: N, envs: B, viewRadius: 3, influenceVisibleOnly: false, divergence: 'pmi' });
  const agents = new Policy(cfg, A, B, N);
  const p = [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
  await editNet(agents, 0, policyLogP(p));
  await copyingMoa(agents, A);
  const obs = new Uint8Array(B * N * 7 * 7 * 3).fill(40), actions = new Uint8Array(B * N);
  const kernel = await createInfluenceKernel();
  const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
  await agents.act(obs, new Uint8Array(B).fill(1), new Rng(0), actions);
  actions.set([0, 5, 6, 1, 2, 7]);
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  assert.deepEqual(Array.from(ck), [0, 0, 0, 0, 0, 0], 'nothing is settled at the first step');
  await agents.act(obs, new Uint8Array(B), new Rng(1), actions);
  actions.set([3, 0, 3, 6, 3, 2]); // agent 1 copies agent 0's previous action (0, 6, 2)
  await agents.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
  [0, 6, 2].forEach((a, b) => assert.ok(Math.abs(ckj[b * N * N + 1] - -Math.log(p[a])) < 1e-4, `env ${b}: ${ckj[b * N * N + 1]} vs ${-Math.log(p[a])}`));
  agents.dispose();
});

test('broadcast counterfactual heads equal re-running the heads on copied features', async () => {
  await initBackend('wasm');
  const { Population } = await import('../src/learn/policy/population.ts');
  const { MoaPopulation } = await import('../src/learn/policy/moa-net.ts');
  const G = 2, S = 4, K = 3, E = 10, H = 128;
  const net = new Population({ G, numActions: 8, viewSize: 5, headInputs: E, seedOf: (g) => 3 + g });
  const moa = new MoaPopulation({ G, numAgents: 3, numActions: 4, inputSize: 54, seedOf: (g) => 4 + g });
  const rng = new Rng(9);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  tf.tidy(() => {
    const f = tf.tensor3d(rand(G * S * H), [G, S, H]);
    const x = tf.tensor3d(rand(K * S * E), [K, S, E]);
    // reference: the heads on K copies of the features, alternative k's head inputs on copy k
    const copies = tf.reshape(tf.tile(tf.expandDims(f, 1), [1, K, 1, 1]), [G, K * S, H]) as tf.Tensor3D;
    const xs = tf.reshape(tf.tile(tf.expandDims(x, 0), [G, 1, 1, 1]), [G, K * S, E]) as tf.Tensor3D;
    const a = net.counterfactualLogits(f, x).dataSync(), b = net.heads(copies, xs).logits.dataSync();
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `policy ${i}: ${v} vs ${b[i]}`));
    // a range of networks gives those networks' rows
    const last = net.counterfactualLogits(tf.slice(f, [1, 0, 0], [1, S, H]) as tf.Tensor3D, x, 1, 2).dataSync();
    last.forEach((v, i) => assert.ok(Math.abs(v - a[K * S * 8 + i]) < 1e-6));
    const oh = tf.tensor4d(rand(G * K * S * 12), [G, K, S, 12]);
    const c = moa.predictCounterfactual(f, oh).dataSync(), d = moa.predict(copies, tf.reshape(oh, [G, K * S, 12]) as tf.Tensor3D).dataSync();
    c.forEach((v, i) => assert.ok(Math.abs(v - d[i]) < 1e-5, `moa ${i}: ${v} vs ${d[i]}`));
  });
  net.dispose();
  moa.dispose();
});

test('model II with a comm embedding: counterfactual logits through the embedding equal separate forward passes', async () => {
  await initBackend('wasm');
  const { Population } = await import('../src/learn/policy/population.ts');
  const G = 3, S = 4, N = 3, V = 5, E = N * V, K = V, H = 128, A = 8;
  const net = new Population({ G, numActions: A, viewSize: 5, headInputs: E, messages: V, headEmbedding: 16, seedOf: (g) => 30 + g });
  const plain = new Population({ G, numActions: A, viewSize: 5, headInputs: E, messages: V, seedOf: (g) => 30 + g });
  assert.equal(net.variables.length, plain.variables.length + 2, 'the embedding adds a weight and a bias');
  assert.deepEqual(net.variables.at(-2)!.shape, [G, E, 16]);
  const rng = new Rng(4);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  // one-hot symbols heard, speaker 1's replaced by each alternative k
  const heard = Uint8Array.from({ length: S * N }, () => Math.floor(rng.next() * V));
  const x = new Float32Array(K * S * E);
  for (let k = 0; k < K; k++) for (let s = 0; s < S; s++) for (let i = 0; i < N; i++) x[(k * S + s) * E + i * V + (i === 1 ? k : heard[s * N + i])] = 1;
  tf.tidy(() => {
    const f = tf.tensor3d(rand(G * S * H), [G, S, H]);
    const cf = net.counterfactualLogits(f, tf.tensor3d(x, [K, S, E])).arraySync();
    for (let k = 0; k < K; k++) {
      // reference: a separate forward pass of the heads for alternative k
      const xk = tf.tile(tf.tensor3d(x.subarray(k * S * E, (k + 1) * S * E), [1, S, E]), [G, 1, 1]) as tf.Tensor3D;
      const ref = net.heads(f, xk).logits.arraySync();
      for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) ref[g][s].forEach((v, a) => assert.ok(Math.abs(v - cf[g][k][s][a]) < 1e-5, `g ${g} k ${k} s ${s}: ${v} vs ${cf[g][k][s][a]}`));
    }
    // a range of networks gives those networks' rows
    const last = net.counterfactualLogits(tf.slice(f, [1, 0, 0], [2, S, H]) as tf.Tensor3D, tf.tensor3d(x, [K, S, E]), 1, 3).arraySync();
    assert.ok(last.every((byK, g) => byK.every((byS, k) => byS.every((row, s) => row.every((v, a) => Math.abs(v - cf[g + 1][k][s][a]) < 1e-6)))));
    // the embedding is in the path: other embedding weights, other logits
    const other = new Population({ G, numActions: A, viewSize: 5, headInputs: E, messages: V, headEmbedding: 16, seedOf: (g) => 30 + g });
    const w = other.variables.at(-2)!;
    w.assign(tf.mul(w, 2));
    const moved = other.counterfactualLogits(f, tf.tensor3d(x, [K, S, E])).arraySync();
    assert.ok(Math.abs(moved[0][0][0][0] - cf[0][0][0][0]) > 1e-6);
    other.dispose();
  });
  net.dispose();
  plain.dispose();
});

test('model II knobs: --comm-embedding trains; --comm-loss-weight 0 leaves the message head untouched', async () => {
  const base = { game: 'harvest' as const, map: FIELD, model: 'influence-comm' as const, agents: 2, envs: 2, viewRadius: 2, rolloutSteps: 5, episodeLength: 20,
    steps: 40, influenceStart: 0, influenceEnd: 10, vocab: 4 };
  const a = await createTrainer({ ...base, commEmbedding: 8, commEntropyCoef: 0.05, commLossWeight: 0.1 });
  assert.equal(a.cfg.commEmbedding, 8);
  const stats = [await a.iterate(), await a.iterate()];
  const before = tf.memory().numTensors;
  stats.push(await a.iterate());
  for (const s of stats) for (const [key, v] of Object.entries(s)) assert.ok(Number.isFinite(v) || (Array.isArray(v) && v.every(Number.isFinite)), `${key} = ${v}`);
  assert.equal(tf.memory().numTensors, before, 'tensors flat');
  await a.close();
  const b = await createTrainer({ ...base, commLossWeight: 0 });
  const vars = b.agents.net.variables, nv = vars.length; // message head: the last four
  const w0 = await Promise.all(vars.map((v) => v.data()));
  await b.iterate();
  const w1 = await Promise.all(vars.map((v) => v.data()));
  for (let k = nv - 4; k < nv; k++) assert.deepEqual(Array.from(w1[k]), Array.from(w0[k]), `message head weight ${k} unchanged`);
  assert.notDeepEqual(Array.from(w1[nv - 8]), Array.from(w0[nv - 8]), 'the action head learns');
  await b.close();
  const c = resolveTrainConfig({ model: 'comm', entropyCoef: 0.003 });
  assert.equal(c.commEntropyCoef, 0.003, 'the message head\'s entropy weight defaults to --entropy');
  assert.equal(c.commLossWeight, 1);
  assert.equal(c.commEmbedding, 0);
});

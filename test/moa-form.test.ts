// The two forms of the Model of Other Agents (--moa-form): 'head' reads the actions of step t after its
// LSTM, 'lstm' (the paper's) feeds them into its LSTM. For 'lstm' the counterfactuals of one acting step
// are A LSTM steps from the same state, batched: they equal one LSTM step per substituted action; the state
// carried on is the real actions'; what acting predicts equals what the update's replay predicts; and a run
// trains, resumes, runs over workers and refuses a checkpoint of the other form.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { MoaPopulation, type MoaForm } from '../src/learn/policy/moa-net.ts';
import { Policy } from '../src/learn/policy/policy.ts';
import { moaOf } from '../src/learn/models/moa.ts';
import { resolveTrainConfig, type TrainConfig } from '../src/learn/config.ts';
import { createTrainer, resumeTrainer, loadPolicy } from '../src/hosting/run-dir.ts';
import { loadCheckpoint } from '../src/hosting/checkpoint.ts';
import { loadWeights } from '../src/learn/learner.ts';
import type { MetricsRow } from '../src/learn/trainer.ts';
import { Rng } from '../src/util/rng.ts';

const G = 3, N = 3, A = 4, S = 5, C = 54, J = N - 1;
const rng = new Rng(11);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

/** One-hot joint actions [G, K=A, S, N*A]: stream s's actions `acts[s * N + j]`, with agent g's replaced by
 * alternative k in network g's row k (as MoaInfluence.measure builds them). */
function counterfactualRows(acts: Uint8Array): Float32Array {
  const oh = new Float32Array(G * A * S * N * A);
  for (let g = 0; g < G; g++) {
    for (let k = 0; k < A; k++) {
      for (let s = 0; s < S; s++) {
        const row = ((g * A + k) * S + s) * N * A;
        for (let j = 0; j < N; j++) oh[row + j * A + (j === g ? k : acts[s * N + j])] = 1;
      }
    }
  }
  return oh;
}

/** One-hot real joint actions [G, S, N*A] (the same for every network). */
function realRows(acts: Uint8Array): Float32Array {
  const oh = new Float32Array(G * S * N * A);
  for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) for (let j = 0; j < N; j++) oh[(g * S + s) * N * A + j * A + acts[s * N + j]] = 1;
  return oh;
}

const realIndex = (acts: Uint8Array) => Int32Array.from({ length: G * S }, (_, r) => acts[(r % S) * N + Math.floor(r / S)]);
const randomActions = () => Uint8Array.from({ length: S * N }, () => Math.floor(rng.next() * A));

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what} [${i}]: ${a[i]} vs ${b[i]}`);
}

describe('the \'lstm\' MOA (actions into the LSTM)', () => {
  test('its batched counterfactuals equal one LSTM step per substituted action, and it carries the real actions\' state', async () => {
    await initBackend('wasm');
    const moa = new MoaPopulation({ G, numAgents: N, numActions: A, inputSize: C, form: 'lstm', seedOf: (g) => 7 + g });
    tf.tidy(() => {
      const conv = tf.relu(tf.tensor3d(rand(G * S * C), [G, S, C])) as tf.Tensor3D;
      const h = tf.tensor3d(rand(G * S * 128), [G, S, 128]), c = tf.tensor3d(rand(G * S * 128), [G, S, 128]);
      const keepData = Float32Array.from({ length: G * S }, (_, r) => (r % S === 2 ? 0 : 1)); // stream 2 starts an episode
      const keep = tf.tensor3d(keepData, [G, 1, S]);
      const acts = randomActions();
      const step = moa.step(conv, keep, h, c, tf.tensor4d(counterfactualRows(acts), [G, A, S, N * A]), realIndex(acts));
      assert.deepEqual(step.logits.shape, [G, A, S, J * A]);
      const batched = step.logits.arraySync();
      const cf = counterfactualRows(acts);
      for (let k = 0; k < A; k++) {
        // reference: one LSTM step from (h, c) with alternative k's actions (each network's own agent set to k)
        const ohK = new Float32Array(G * S * N * A);
        for (let g = 0; g < G; g++) ohK.set(cf.subarray(((g * A + k) * S) * N * A, ((g * A + k) * S + S) * N * A), g * S * N * A);
        const ref = moa.sequence(conv, tf.tensor3d(ohK, [G, S, N * A]), keep, h, c).logits.arraySync();
        for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) close(batched[g][k][s], ref[g][s], 1e-5, `network ${g} alternative ${k} stream ${s}`);
      }
      const real = moa.sequence(conv, tf.tensor3d(realRows(acts), [G, S, N * A]), keep, h, c);
      close(step.h.dataSync(), real.h.dataSync(), 1e-6, 'h after the real actions');
      close(step.c.dataSync(), real.c.dataSync(), 1e-6, 'c after the real actions');
      // the actions matter: another real action gives another state
      const zeros = realRows(new Uint8Array(S * N)); // every agent took action 0
      const other = moa.sequence(conv, tf.tensor3d(zeros, [G, S, N * A]), keep, h, c);
      assert.ok(Math.max(...Array.from(tf.abs(tf.sub(other.h, real.h)).dataSync())) > 1e-4, 'the actions change the LSTM state');
    });
    moa.dispose();
  });

  for (const form of ['head', 'lstm'] as MoaForm[]) {
    test(`${form}: what acting predicts at each step equals the update's replay of the rollout`, async () => {
      await initBackend('wasm');
      const moa = new MoaPopulation({ G, numAgents: N, numActions: A, inputSize: C, form, seedOf: (g) => 20 + g });
      const T = 4;
      tf.tidy(() => {
        const h0 = tf.tensor3d(rand(G * S * 128), [G, S, 128]), c0 = tf.tensor3d(rand(G * S * 128), [G, S, 128]);
        let h = h0, c = c0;
        const convs: tf.Tensor3D[] = [], real: Float32Array[] = [], keeps: Float32Array[] = [], acting: number[][][][] = [];
        for (let t = 0; t < T; t++) {
          const conv = tf.relu(tf.tensor3d(rand(G * S * C), [G, S, C])) as tf.Tensor3D;
          const keep = Float32Array.from({ length: G * S }, (_, r) => (t === 2 && r % S === 1 ? 0 : 1));
          const acts = randomActions();
          const step = moa.step(conv, tf.tensor3d(keep, [G, 1, S]), h, c, tf.tensor4d(counterfactualRows(acts), [G, A, S, N * A]), realIndex(acts));
          const lg = step.logits.arraySync();
          // the real alternative's predictions of network g, stream s
          acting.push(lg.map((byK, g) => byK[0].map((_, s) => byK[acts[s * N + g]][s])));
          ({ h, c } = step);
          convs.push(conv);
          real.push(realRows(acts));
          keeps.push(keep);
        }
        // the update's replay: time-major [G, T * S, ...]
        const timeMajor = (xs: Float32Array[], w: number) => {
          const out = new Float32Array(G * T * S * w);
          for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) out.set(xs[t].subarray(g * S * w, (g + 1) * S * w), (g * T + t) * S * w);
          return out;
        };
        const convData = convs.map((x) => x.dataSync() as Float32Array);
        const replay = moa.sequence(tf.tensor3d(timeMajor(convData, C), [G, T * S, C]), tf.tensor3d(timeMajor(real, N * A), [G, T * S, N * A]),
          tf.tensor3d(timeMajor(keeps, 1), [G, T, S]), h0, c0);
        const rp = replay.logits.arraySync();
        for (let t = 0; t < T; t++) for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) close(acting[t][g][s], rp[g][t * S + s], 1e-5, `step ${t} network ${g} stream ${s}`);
        close(replay.h.dataSync(), h.dataSync(), 1e-5, 'final h');
      });
      moa.dispose();
    });
  }

  test('the two forms have differently shaped weights: actions in the LSTM input or in the head input', () => {
    const head = new MoaPopulation({ G: 1, numAgents: N, numActions: A, inputSize: C, form: 'head' });
    const lstm = new MoaPopulation({ G: 1, numAgents: N, numActions: A, inputSize: C, form: 'lstm' });
    const shapes = (m: MoaPopulation) => m.variables.map((v) => v.shape.slice(1));
    const [hs, ls] = [shapes(head), shapes(lstm)];
    assert.deepEqual(ls[4], [hs[4][0]! + N * A, 4 * 128], 'LSTM weights: N*A more input rows');
    assert.deepEqual(ls[6], [hs[6][0]! - N * A, 32], 'head: N*A fewer input rows');
    head.dispose();
    lstm.dispose();
  });
});

const FIELD = ['@@@@@@@@@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAPAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@@@@@@@@@'];
const BASE: Partial<TrainConfig> = {
  game: 'harvest', map: FIELD, model: 'influence-moa', moaForm: 'lstm', agents: 2, envs: 2, viewRadius: 2, rolloutSteps: 5,
  episodeLength: 20, steps: 200, reportEvery: 40, checkpointEvery: 1000, influenceStart: 0, influenceEnd: 50, influenceVisibleOnly: false,
};
const tmp = () => join(mkdtempSync(join(tmpdir(), 'commons-moa-form-')), 'run');
const strip = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((l) => { const r = JSON.parse(l); delete r.timing; return r; });

describe('training with --moa-form lstm', () => {
  for (const [algo, divergence] of [['a2c', 'kl'], ['a2c', 'pmi'], ['ppo', 'kl']] as const) {
    test(`${algo}, ${divergence}: finite losses, influence measured, no leaked tensors`, async () => {
      const trainer = await createTrainer({ ...BASE, algo, divergence, minibatches: 2, epochs: 2 });
      const stats = [await trainer.iterate(), await trainer.iterate()];
      const before = tf.memory().numTensors;
      stats.push(await trainer.iterate(), await trainer.iterate());
      assert.equal(tf.memory().numTensors, before, 'tensors flat');
      for (const s of stats) for (const [k, v] of Object.entries(s)) assert.ok(Number.isFinite(v) || (Array.isArray(v) && v.every(Number.isFinite)), `${k} = ${v}`);
      assert.ok(stats.some((s) => s.moaLoss! > 0), 'the MOA loss is counted');
      const rows: MetricsRow[] = [];
      await trainer.run({ onReport: (r) => rows.push(r) });
      await trainer.close();
      const last = rows.at(-1)!;
      assert.ok(last.moa && Number.isFinite(last.moa.loss));
      assert.ok(last.influence && last.influence.total > 0, 'influence measured');
    });
  }

  test('a resumed run writes the metrics of one that never stopped; evaluation loads its checkpoint', async () => {
    const whole = tmp();
    const a = await createTrainer(BASE, whole);
    await a.run();
    await a.close();
    const parts = tmp();
    const b1 = await createTrainer(BASE, parts);
    let n = 0;
    await b1.run({ shouldStop: () => ++n === 9 });
    await b1.close();
    const b2 = await resumeTrainer(parts);
    await b2.run();
    await b2.close();
    assert.deepEqual(strip(parts), strip(whole));
    const { agents, cfg } = await loadPolicy(whole, { batch: 1 });
    assert.equal(cfg.moaForm, 'lstm');
    assert.equal(moaOf(agents)!.net.form, 'lstm');
    agents.dispose();
  });

  test('a checkpoint of one form is refused by the other with a message naming --moa-form', async () => {
    await initBackend('wasm');
    const dir = tmp();
    const t = await createTrainer({ ...BASE, steps: 10, checkpointEvery: 10 }, dir);
    await t.run();
    await t.close();
    const ckpt = loadCheckpoint(dir);
    const cfg = resolveTrainConfig({ ...BASE, moaForm: 'head' });
    const head = new Policy(cfg, 8, 1, 2);
    assert.throws(() => loadWeights(head, ckpt), /form 'lstm' \(--moa-form lstm\), this run's are 'head'/);
    head.dispose();
    const lstm = new Policy(resolveTrainConfig(BASE), 8, 1, 2);
    loadWeights(lstm, ckpt);
    lstm.dispose();
    // a checkpoint from before the setting (no moaForm in its config) is a 'head' one
    const old = { ...ckpt, manifest: { ...ckpt.manifest, config: { ...ckpt.manifest.config, moaForm: undefined } } };
    const again = new Policy(resolveTrainConfig(BASE), 8, 1, 2);
    assert.throws(() => loadWeights(again, old), /form 'head'/);
    again.dispose();
  });

  test('one worker trains exactly as the calling thread', async () => {
    const run = async (workers: number) => {
      const dir = tmp();
      const t = await createTrainer({ ...BASE, steps: 80, workers }, dir);
      await t.run();
      await t.close();
      return strip(dir);
    };
    const inThread = await run(0), oneWorker = await run(1);
    assert.equal(inThread.length, 2);
    assert.deepEqual(oneWorker, inThread);
  });
});

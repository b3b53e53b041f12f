// The paper's network form (--net-form paper): the conditioning inputs enter the LSTM, and the counterfactuals
// of an acting step run their own LSTM steps in one batched call (lstmStepCounterfactual). Checked here against
// a naive reference, one plain LSTM step (lstmSequence) per alternative from the same state: the
// counterfactual distributions of models I and II, the state carried on (the real input's), episode resets,
// the view mask, and the influence the kernel makes of them; what acting predicts against the update's replay,
// for every model of the form; checkpoints (format 3, the form named, the other form refused, the head form's
// format-2 checkpoints still loading and resuming); workers.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { Policy } from '../src/learn/policy/policy.ts';
import { resolveTrainConfig, resolveStoredConfig, type TrainConfig } from '../src/learn/config.ts';
import { createInfluenceKernel } from '../src/core/influence.ts';
import { modelIOf } from '../src/learn/models/visible-actions.ts';
import { channelOf } from '../src/learn/models/comm.ts';
import { moaOf } from '../src/learn/models/moa.ts';
import { createTrainer, resumeTrainer, loadPolicy } from '../src/hosting/run-dir.ts';
import { loadCheckpoint } from '../src/hosting/checkpoint.ts';
import { loadWeights } from '../src/learn/learner.ts';
import { Rng } from '../src/util/rng.ts';

const A = 8, VIEW = 7, O = VIEW * VIEW * 3;

const softmax = (x: ArrayLike<number>, from: number, n: number): number[] => {
  const z = Array.from({ length: n }, (_, k) => x[from + k]), m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** KL, JS or PMI (at `at`) of two distributions, natural log: the reference for the influence kernel. */
function divergence(d: 'kl' | 'js' | 'pmi', p: number[], q: number[], at = 0): number {
  const kl = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x > 0 ? x * Math.log(x / b[i]) : 0), 0);
  if (d === 'kl') return kl(p, q);
  if (d === 'pmi') return Math.log(p[at] / q[at]);
  const m = p.map((x, i) => (x + q[i]) / 2);
  return 0.5 * kl(p, m) + 0.5 * kl(q, m);
}

/** Env-order views [B * N, V, V, 3] in the policy's group-major order (independent learners: network g, stream s = env s). */
function groupMajor(obs: Uint8Array, N: number, B: number): Uint8Array {
  const out = new Uint8Array(obs.length);
  for (let g = 0; g < N; g++) for (let s = 0; s < B; s++) out.set(obs.subarray((s * N + g) * O, (s * N + g + 1) * O), (g * B + s) * O);
  return out;
}

/** The reference: one plain LSTM step (lstmSequence, T = 1) of every network from state (h, c) with
 * conditioning `cond` [G * S * width] into the LSTM (paper form) or the heads (head form), then the heads:
 * softmax policies [G * S * A] and the state. */
function naiveStep(p: Policy, bytes: Uint8Array, keep: Float32Array, h: tf.Tensor3D, c: tf.Tensor3D, cond: Float32Array) {
  return tf.tidy(() => {
    const { G, S } = p, input = p.net.input(bytes, S), x = tf.tensor3d(cond, [G, S, p.condWidth]), lstm = p.condAt === 'lstm';
    const t = p.net.torso(input);
    const rec = p.net.recur(t.y, tf.tensor3d(keep, [G, 1, S]), h, c, undefined, undefined, lstm ? x : undefined);
    const probs = tf.softmax(p.net.heads(rec.features, lstm ? undefined : x).logits).dataSync() as Float32Array;
    input.tensor.dispose();
    return { probs: Float32Array.from(probs), h: Float32Array.from(rec.h.dataSync()), c: Float32Array.from(rec.c.dataSync()) };
  });
}

/** Multiplies every network's weights of its conditioning inputs by `by` (the LSTM's rows in the paper form, the
 * policy head's in the head form), so that the conditioning moves the policies far enough for a wrong
 * alternative to show. */
async function strengthenConditioning(p: Policy, by: number): Promise<void> {
  const fc = p.net.fcOut, H = p.net.lstmUnits, W = p.condWidth, lstm = p.condAt === 'lstm';
  const [k, from, cols] = lstm ? [6, fc, 4 * H] : [8, H, A]; // the LSTM's weights, or the policy head's
  for (let g = 0; g < p.G; g++) {
    const w = await p.net.getWeights(g);
    for (let r = from; r < from + W; r++) for (let x = 0; x < cols; x++) w[k][r * cols + x] *= by;
    p.net.setWeights(g, w);
  }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what} [${i}]: ${a[i]} vs ${b[i]}`);
}

/** Resets [B] per step: all envs start at step 0, env 1 starts again at step 2. */
const resetsAt = (t: number, B: number) => Uint8Array.from({ length: B }, (_, b) => (t === 0 || (t === 2 && b === 1) ? 1 : 0));

describe('model I: counterfactual policies and c_kj end to end, KL, JS and PMI on soft policies (paper form: the influencees\' LSTM reads the influencers\' actions)', () => {
  for (const [form, divergence_] of [['paper', 'kl'], ['paper', 'js'], ['paper', 'pmi'], ['head', 'js'], ['head', 'pmi']] as const) {
    test(`${form} form, K = 2 influencers, 2 influencees, ${divergence_}: counterfactual policies, carried state and c_kj equal a naive step per alternative`, async () => {
      await initBackend('wasm');
      const N = 4, K = 2, B = 3;
      const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence', agents: N, envs: B, viewRadius: 3, netForm: form, influencers: K,
        influenceVisibleOnly: true, divergence: divergence_, seed: 3 });
      const p = new Policy(cfg, A, B, N), m = modelIOf(p)!, kernel = await createInfluenceKernel();
      await strengthenConditioning(p, 20);
      const rng = new Rng(5), world = new Rng(9), J = N - K, W = K * A, S = B;
      let spread = 0, counted = 0, otherDivergence = 0;
      for (let t = 0; t < 4; t++) {
        const obs = Uint8Array.from({ length: B * N * O }, () => Math.floor(world.next() * 256)), resets = resetsAt(t, B);
        const h0 = tf.clone(p.h), c0 = tf.clone(p.c);
        const actions = new Uint8Array(B * N);
        await p.act(obs, resets, rng, actions);
        const visible = Uint8Array.from({ length: B * N * N }, () => (world.next() < 0.7 ? 1 : 0));
        const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
        await p.influence(actions, visible, kernel, ck, ckj);
        const bytes = groupMajor(obs, N, B), keep = Float32Array.from({ length: N * B }, (_, r) => (resets[r % B] ? 0 : 1));
        /** the influencees' conditioning: influencer actions, k's replaced by alt */
        const condWith = (k = -1, alt = 0) => {
          const cond = new Float32Array(N * S * W);
          for (let g = K; g < N; g++) for (let b = 0; b < B; b++) for (let i = 0; i < K; i++) cond[(g * S + b) * W + i * A + (i === k ? alt : actions[b * N + i])] = 1;
          return cond;
        };
        const real = naiveStep(p, bytes, keep, h0, c0, condWith());
        close(p.h.dataSync(), real.h, 1e-5, `step ${t}: h carried on is the real input's`);
        close(p.c.dataSync(), real.c, 1e-5, `step ${t}: c carried on is the real input's`);
        for (let r = 0; r < N * S; r++) close(softmax(p.lastLogits, r * A, A), real.probs.subarray(r * A, (r + 1) * A), 1e-5, `step ${t}: policy of row ${r}`);
        const alt = Array.from({ length: K }, (_, k) => Array.from({ length: A }, (_, a) => naiveStep(p, bytes, keep, h0, c0, condWith(k, a)).probs));
        for (let q = 0; q < J; q++) {
          for (let k = 0; k < K; k++) {
            for (let a = 0; a < A; a++) {
              for (let b = 0; b < B; b++) {
                const want = alt[k][a].subarray(((K + q) * S + b) * A, ((K + q) * S + b + 1) * A);
                const got = m.lastCounterfactuals!.subarray(((q * K * A + k * A + a) * S + b) * A, ((q * K * A + k * A + a) * S + b + 1) * A);
                close(got, want, 1e-5, `step ${t}: influencee ${K + q}, influencer ${k}'s action ${a}, env ${b}`);
                spread = Math.max(spread, ...Array.from(want, (x, i) => Math.abs(x - alt[k][0][((K + q) * S + b) * A + i])));
              }
            }
          }
        }
        // c_kj from the reference distributions (the influencer's prior: its policy of this step)
        for (let b = 0; b < B; b++) {
          for (let k = 0; k < K; k++) {
            const prior = softmax(p.lastLogits, (k * S + b) * A, A);
            for (let j = K; j < N; j++) {
              const row = (x: number) => Array.from(alt[k][x].subarray((j * S + b) * A, (j * S + b + 1) * A));
              const marginal = Array.from({ length: A }, (_, y) => prior.reduce((s, pa, x) => s + pa * row(x)[y], 0));
              const want = visible[(b * N + k) * N + j] ? divergence(divergence_, row(actions[b * N + k]), marginal, actions[b * N + j]) : 0;
              // the bug this catches: another divergence than the one asked for (e.g. KL where JS is set)
              const other = divergence(divergence_ === 'kl' ? 'js' : 'kl', row(actions[b * N + k]), marginal, actions[b * N + j]);
              if (visible[(b * N + k) * N + j]) otherDivergence = Math.max(otherDivergence, Math.abs(other - want));
              const got = ckj[(b * N + k) * N + j];
              assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)), `step ${t}, env ${b}: c_${k}${j} ${got} vs ${want}`);
              if (visible[(b * N + k) * N + j]) counted++;
            }
          }
        }
        tf.dispose([h0, c0]);
      }
      assert.ok(spread > 1e-2, `the alternatives move the influencees' policies (by ${spread}), so a wrong alternative would show`);
      assert.ok(counted > 0, 'some pairs are in view');
      assert.ok(otherDivergence > 1e-3, `another divergence gives other values (by ${otherDivergence}): the check tells them apart`);
      p.dispose();
    });
  }
});

describe('model II in the paper\'s form (the others\' symbols of the last step into the LSTM; the comm embedding before the message heads)', () => {
  for (const commEmbedding of [0, 5]) {
    test(`N = 3 listeners with their own policies, comm embedding ${commEmbedding}: counterfactual policies and c_kj equal a naive LSTM step per alternative symbol`, async () => {
      await initBackend('wasm');
      const N = 3, B = 2, V = 4, S = B;
      const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-comm', agents: N, envs: B, viewRadius: 3, netForm: 'paper', vocab: V, commEmbedding, seed: 4 });
      const p = new Policy(cfg, A, B, N), ch = channelOf(p)!, kernel = await createInfluenceKernel();
      assert.equal(p.condWidth, (N - 1) * V, 'each listener hears the others');
      assert.equal(p.net.messageEmbedding, commEmbedding);
      await strengthenConditioning(p, 20);
      const rng = new Rng(6), world = new Rng(8), W = (N - 1) * V;
      let spread = 0, differ = 0;
      for (let t = 0; t < 4; t++) {
        const obs = Uint8Array.from({ length: B * N * O }, () => Math.floor(world.next() * 256)), resets = resetsAt(t, B);
        const h0 = tf.clone(p.h), c0 = tf.clone(p.c), heard = p.symbols.slice(), prior = p.msgLogits?.slice();
        const actions = new Uint8Array(B * N);
        await p.act(obs, resets, rng, actions);
        const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
        await p.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
        const bytes = groupMajor(obs, N, B), keep = Float32Array.from({ length: N * B }, (_, r) => (resets[r % B] ? 0 : 1));
        /** every listener's conditioning: the others' symbols heard (none where an episode starts), k's replaced by v */
        const condWith = (k = -1, v = 0) => {
          const cond = new Float32Array(N * S * W);
          for (let j = 0; j < N; j++) for (let b = 0; b < B; b++) {
            if (resets[b]) continue;
            for (let i = 0; i < N; i++) if (i !== j) cond[(j * S + b) * W + (i < j ? i : i - 1) * V + (i === k ? v : heard[b * N + i])] = 1;
          }
          return cond;
        };
        const real = naiveStep(p, bytes, keep, h0, c0, condWith());
        close(p.h.dataSync(), real.h, 1e-5, `step ${t}: h carried on`);
        if (t === 0) { tf.dispose([h0, c0]); continue; } // nothing was said before the first step
        for (let k = 0; k < N; k++) {
          const alt = Array.from({ length: V }, (_, v) => naiveStep(p, bytes, keep, h0, c0, condWith(k, v)).probs);
          for (let b = 0; b < B; b++) {
            const pm = softmax(prior!, (k * S + b) * V, V);
            for (let j = 0; j < N; j++) {
              if (j === k) continue;
              const row = (v: number) => Array.from(alt[v].subarray((j * S + b) * A, (j * S + b + 1) * A));
              // an env whose episode starts heard nothing: its influence is 0 (checked below), its alternatives unused
              for (let v = 0; v < V && !resets[b]; v++) {
                const x = ch.slot(k, j) * V + v;
                close(ch.lastCounterfactuals!.subarray(((j * (N - 1) * V + x) * S + b) * A, ((j * (N - 1) * V + x) * S + b + 1) * A), row(v), 1e-5,
                  `step ${t}: listener ${j}, speaker ${k}'s symbol ${v}, env ${b}`);
                spread = Math.max(spread, ...row(v).map((y, i) => Math.abs(y - row(0)[i])));
              }
              const marginal = Array.from({ length: A }, (_, y) => pm.reduce((s, pv, v) => s + pv * row(v)[y], 0));
              const want = resets[b] ? 0 : divergence('kl', row(heard[b * N + k]), marginal);
              assert.ok(Math.abs(ckj[(b * N + k) * N + j] - want) <= 1e-4 * Math.max(1, want), `step ${t}, env ${b}: c_${k}${j} ${ckj[(b * N + k) * N + j]} vs ${want}`);
            }
            // two listeners of one speaker: their c_kj differ, so a swap of listeners would not pass the check above
            const [j1, j2] = [0, 1, 2].filter((j) => j !== k);
            if (!resets[b] && Math.abs(ckj[(b * N + k) * N + j1] - ckj[(b * N + k) * N + j2]) > 1e-3) differ++;
          }
        }
        tf.dispose([h0, c0]);
      }
      assert.ok(spread > 1e-2, `the symbols move the listeners' policies (by ${spread})`);
      assert.ok(differ > 0, 'listeners of one speaker are influenced differently (a swapped c_kj would be caught)');
      p.dispose();
    });
  }
});

test('model III in the paper\'s form: the policy\'s LSTM reads the others\' actions of the last step (zero where an episode starts)', async () => {
  await initBackend('wasm');
  const N = 3, B = 2, S = B;
  const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-moa', agents: N, envs: B, viewRadius: 3, netForm: 'paper', seed: 2 });
  assert.equal(cfg.moaForm, 'lstm', 'the paper\'s form has the paper\'s MOA');
  const p = new Policy(cfg, A, B, N), kernel = await createInfluenceKernel();
  assert.equal(moaOf(p)!.net.form, 'lstm');
  assert.equal(p.condWidth, (N - 1) * A);
  const rng = new Rng(1), world = new Rng(2), W = (N - 1) * A;
  let last = new Uint8Array(B * N);
  for (let t = 0; t < 4; t++) {
    const obs = Uint8Array.from({ length: B * N * O }, () => Math.floor(world.next() * 256)), resets = resetsAt(t, B);
    const h0 = tf.clone(p.h), c0 = tf.clone(p.c);
    const actions = new Uint8Array(B * N);
    await p.act(obs, resets, rng, actions);
    const want = new Float32Array(N * S * W);
    for (let g = 0; g < N; g++) for (let b = 0; b < B; b++) {
      if (resets[b]) continue;
      for (let j = 0, q = 0; j < N; j++) if (j !== g) want[(g * S + b) * W + (q++) * A + last[b * N + j]] = 1;
    }
    close(p.lastCond!, want, 0, `step ${t}: the conditioning`);
    const real = naiveStep(p, groupMajor(obs, N, B), Float32Array.from({ length: N * B }, (_, r) => (resets[r % B] ? 0 : 1)), h0, c0, want);
    close(p.h.dataSync(), real.h, 1e-5, `step ${t}: h carried on`);
    await p.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, new Float32Array(B * N), new Float32Array(B * N * N));
    p.afterStep(actions, new Uint8Array(B));
    last = actions.slice();
    tf.dispose([h0, c0]);
  }
  p.dispose();
});

const FIELD = ['@@@@@@@@@', '@AAAAAAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAPAA@', '@AAAAAAA@', '@AAAAAAA@', '@AAPAAAA@', '@@@@@@@@@'];
const BASE: Partial<TrainConfig> = {
  game: 'harvest', map: FIELD, agents: 3, envs: 2, viewRadius: 2, rolloutSteps: 6, episodeLength: 4, netForm: 'paper', influencers: 1,
  influenceStart: 0, influenceEnd: 0, steps: 1e9, seed: 11,
};

describe('what acting computes equals the update\'s replay of the rollout (paper form)', () => {
  for (const model of ['visible-actions', 'influence', 'comm', 'influence-comm', 'moa', 'influence-moa'] as const) {
    for (const record of [true, false]) {
      test(`${model}, ${record ? 'acting\'s forward passes kept for the update' : 'replayed from the views'}`, async () => {
        const trainer = await createTrainer({ ...BASE, model });
        const sh = trainer.local, p = sh.policy, { G, S } = p, r = sh.rollout;
        const acted: Float32Array[] = [], msg: Float32Array[] = [];
        sh.script = () => { acted.push(p.lastLogits.slice()); if (p.msgLogits) msg.push(p.msgLogits.slice()); };
        p.beginRollout(r, record);
        for (let t = 0; t < r.T; t++) await sh.play.step(sh.rng, { rollout: r, terms: sh.terms, envSteps: t });
        assert.equal(r.record?.steps ?? 0, record ? r.T : 0);
        const out = tf.tidy(() => {
          const u = p.unroll(r);
          return { logits: u.logits.dataSync().slice(), msgLogits: u.msgLogits?.dataSync().slice() };
        });
        for (let t = 0; t < r.T; t++) for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) {
          const row = (g * r.T + t) * S + s, k = g * S + s;
          close(out.logits.subarray(row * A, (row + 1) * A), acted[t].subarray(k * A, (k + 1) * A), 1e-4, `step ${t}, network ${g}, stream ${s}`);
          if (out.msgLogits) {
            const V = p.vocab;
            close(out.msgLogits.subarray(row * V, (row + 1) * V), msg[t].subarray(k * V, (k + 1) * V), 1e-4, `symbols: step ${t}, network ${g}, stream ${s}`);
          }
        }
        assert.ok(r.keep.some((x) => x === 0) && r.keep.some((x) => x === 1), 'episodes start inside the rollout');
        await trainer.close();
      });
    }
  }
});

describe('checkpoints of the two forms', () => {
  const tmp = () => join(mkdtempSync(join(tmpdir(), 'commons-net-form-')), 'run');
  const small = { ...BASE, model: 'influence-moa' as const, episodeLength: 20, rolloutSteps: 5, steps: 40, checkpointEvery: 1000, reportEvery: 20 };
  const strip = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const x = JSON.parse(l); delete x.timing; return x; });

  test('format 3 names the form; a checkpoint of one form is refused by the other with a line naming --net-form', async () => {
    const dir = tmp();
    const t = await createTrainer(small, dir);
    await t.run();
    await t.close();
    const ckpt = loadCheckpoint(dir);
    assert.equal(ckpt.manifest.formatVersion, 3);
    assert.equal(ckpt.manifest.netForm, 'paper');
    const head = new Policy(resolveTrainConfig({ ...small, netForm: 'head' }), 8, 1, 3);
    assert.throws(() => loadWeights(head, ckpt), /networks of form 'paper' \(--net-form paper\), this run's are 'head'.*--net-form \(netForm\)/);
    head.dispose();
    const { agents } = await loadPolicy(dir, { batch: 1 });
    assert.equal(agents.cfg.netForm, 'paper');
    agents.dispose();
    // and the other way round: a head-form checkpoint in a paper-form run
    const hdir = tmp();
    const h = await createTrainer({ ...small, netForm: 'head' }, hdir);
    await h.run();
    await h.close();
    const paper = new Policy(resolveTrainConfig(small), 8, 1, 3);
    assert.throws(() => loadWeights(paper, loadCheckpoint(hdir)), /networks of form 'head' \(--net-form head\), this run's are 'paper'/);
    paper.dispose();
  });

  for (const [model, divergence] of [['influence', 'pmi'], ['influence-comm', 'kl'], ['influence-moa', 'kl'], ['influence-moa', 'pmi']] as const) {
    test(`${model} (${divergence}) in the paper form: a resumed run writes the metrics of one that never stopped`, async () => {
      const cfg = { ...small, model, divergence, agents: 2, steps: 80 };
      const whole = tmp();
      const a = await createTrainer(cfg, whole);
      await a.run();
      await a.close();
      const parts = tmp();
      const b1 = await createTrainer(cfg, parts);
      let n = 0;
      await b1.run({ shouldStop: () => ++n === 9 }); // mid-episode, mid-report
      await b1.close();
      const b2 = await resumeTrainer(parts);
      assert.equal(b2.cfg.netForm, 'paper');
      await b2.run();
      await b2.close();
      assert.deepEqual(strip(parts), strip(whole));
    });
  }

  test('a stored configuration without netForm (written before the setting) is the head form, even under --preset paper', () => {
    const stored = { preset: 'paper' as const, game: 'harvest' as const, model: 'influence-moa' as const, moaForm: 'lstm' as const };
    assert.equal(resolveTrainConfig(stored).netForm, 'paper', 'a new run of the preset has the paper form');
    assert.equal(resolveStoredConfig(stored).netForm, 'head', 'a stored run of the preset from before --net-form had the head form');
    assert.equal(resolveStoredConfig(stored).moaForm, 'lstm');
    assert.equal(resolveStoredConfig({ ...stored, netForm: 'paper' }).netForm, 'paper');
  });

  test('a head-form checkpoint of format 2 (no netForm anywhere) still loads with the head form and resumes exactly', async () => {
    const head = { ...small, netForm: 'head' as const, steps: 80 };
    const whole = tmp();
    const a = await createTrainer(head, whole);
    await a.run();
    await a.close();
    const parts = tmp();
    const b1 = await createTrainer(head, parts);
    let n = 0;
    await b1.run({ shouldStop: () => ++n === 9 });
    await b1.close();
    // rewrite the checkpoint as commons 0.2 wrote it: format 2, no netForm in the manifest or the config
    const ckDir = join(parts, 'checkpoints', readdirSync(join(parts, 'checkpoints')).filter((x) => x.startsWith('step-')).sort().at(-1)!);
    const m = JSON.parse(readFileSync(join(ckDir, 'manifest.json'), 'utf8'));
    m.formatVersion = 2;
    delete m.netForm;
    delete m.config.netForm;
    writeFileSync(join(ckDir, 'manifest.json'), JSON.stringify(m));
    const cfgFile = join(parts, 'config.json'), runCfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    delete runCfg.netForm;
    writeFileSync(cfgFile, JSON.stringify(runCfg));
    assert.equal(loadCheckpoint(parts).manifest.formatVersion, 2);
    const b2 = await resumeTrainer(parts);
    assert.equal(b2.cfg.netForm, 'head');
    await b2.run();
    await b2.close();
    assert.deepEqual(strip(parts), strip(whole));
  });
});

test('the paper form over one worker trains exactly as in the calling thread; two workers train', async () => {
  const run = async (workers: number) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'commons-net-form-')), 'run');
    const t = await createTrainer({ ...BASE, model: 'influence-comm', episodeLength: 20, rolloutSteps: 5, steps: 40, reportEvery: 20, envs: 2, workers }, dir);
    await t.run();
    await t.close();
    return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const x = JSON.parse(l); delete x.timing; return x; });
  };
  const inThread = await run(0);
  assert.deepEqual(await run(1), inThread);
  const two = await run(2);
  assert.equal(two.length, inThread.length);
  assert.ok(two.every((r) => Number.isFinite(r.policy_loss) && r.influence.total >= 0));
});

// Time indexing of the influence models, pinned step by step: with hand-built networks on a small room
// (no apples, no FIRE: the game's rewards are 0, so a step's reward is its influence bonus alone), every
// step of a rollout (an episode ends inside it, at steps 6 and 13, and at its last step 19) must receive
// exactly beta * clip(c) with c from the action (or symbol) of that step, the prior of the same step (the
// previous step's for a symbol), and the visibility of the step the influencer acted. Each test also shows
// that the bug the SSD repo once had (credit a step late, mask by the next step's view, an episode's last
// step rewarded for the next episode's actions, a MOA that reads a later view) would give other numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { Policy } from '../src/learn/policy/policy.ts';
import { moaOf, moaRollout } from '../src/learn/models/moa.ts';
import { modelOf } from '../src/learn/models/registry.ts';
import type { TrainConfig } from '../src/learn/config.ts';
import { Rng } from '../src/util/rng.ts';

const ROOM = ['@@@@@@@', '@P   P@', '@     @', '@     @', '@P   P@', '@@@@@@@'];
const B = 2, N = 2, A = 8, T = 20, L = 7, BETA = 0.5, CLIP = 10;
const BASE = {
  game: 'harvest', map: ROOM, agents: N, envs: B, viewRadius: 2, episodeLength: L, rolloutSteps: T, steps: 1000,
  influenceBeta: BETA, influenceClip: CLIP, influenceStart: 0, influenceEnd: 0, seed: 3,
} as const;

/** What the test saw at each step, before the influence was measured: priors [B][A] of agent 0 (actions or
 * symbols), agent 0's action, the symbols emitted [B * N], who saw whom [B * N * N]. */
interface Seen { prior: number[][]; msgPrior: number[][]; a0: number[]; symbols: number[]; vis: Uint8Array }

const softmax = (x: ArrayLike<number>, from: number, n: number) => {
  const z = Array.from({ length: n }, (_, k) => x[from + k]), m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

async function editNet(agents: Policy, g: number, f: (w: Float32Array[], nv: number, H: number) => void): Promise<void> {
  const w = await agents.net.getWeights(g);
  f(w, agents.net.variables.length, agents.net.lstmUnits);
  agents.net.setWeights(g, w);
}

/** Large random weights: a policy (or message) head whose distribution changes from step to step. */
const randomHead = (slot: number) => (w: Float32Array[], nv: number) => {
  const r = new Rng(11);
  for (let k = 0; k < w[nv - slot].length; k++) w[nv - slot][k] = (r.next() - 0.5) * 60;
};

/** Plays one rollout (no update) with every agent's actions scripted to random moves and turns. */
async function rollout(cfg: Partial<TrainConfig>, setup: (agents: Policy) => Promise<void>) {
  const trainer = await createTrainer(cfg as TrainConfig);
  const sh = trainer.local, policy = sh.policy, S = policy.S;
  await setup(policy);
  const seen: Seen[] = [], moaPreds: Float32Array[] = [];
  const r = new Rng(7);
  sh.script = (actions, t) => {
    if (t > 0 && moaOf(policy)) moaPreds.push(moaOf(policy)!.lastPredictions!);
    for (let k = 0; k < B * N; k++) actions[k] = Math.floor(r.next() * 7); // moves, turns, stay: no FIRE
    seen.push({
      prior: Array.from({ length: B }, (_, b) => softmax(policy.lastLogits, (0 * S + b) * A, A)),
      msgPrior: policy.vocab ? Array.from({ length: B }, (_, b) => softmax(policy.msgLogits!, (0 * S + b) * policy.vocab, policy.vocab)) : [],
      a0: Array.from({ length: B }, (_, b) => actions[b * N]),
      symbols: Array.from(policy.symbols),
      vis: Uint8Array.from(sh.env.internals.views.visible.subarray(0, B * N * N)),
    });
  };
  policy.beginRollout(sh.rollout, trainer.cfg.algo === 'a2c');
  for (let t = 0; t < T; t++) await sh.play.step(sh.rng, { rollout: sh.rollout, terms: sh.terms, envSteps: t * B });
  if (moaOf(policy)) moaPreds.push(moaOf(policy)!.lastPredictions!);
  return { trainer, sh, policy, seen, moaPreds };
}

const v01 = (s: Seen, b: number) => s.vis[(b * N + 0) * N + 1];
const lastOfEpisode = (t: number) => (t + 1) % L === 0;
const bonus = (c: number) => BETA * Math.min(Math.max(c, -CLIP), CLIP);

/** Asserts got[t][b] = want[t][b] everywhere, and that each alternative (a known bug) differs somewhere. */
function pin(got: (t: number, b: number) => number, want: (t: number, b: number) => number, bugs: Record<string, (t: number, b: number) => number>) {
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    assert.ok(Math.abs(got(t, b) - want(t, b)) < 1e-4, `step ${t}, env ${b}: reward ${got(t, b)}, expected ${want(t, b)}`);
  }
  for (const [bug, f] of Object.entries(bugs)) {
    let differs = false;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (Math.abs(f(t, b) - want(t, b)) > 1e-3) differs = true;
    assert.ok(differs, `this rollout cannot tell the right indexing from the bug "${bug}"`);
  }
}

function visibilityChanges(seen: Seen[]): void {
  let changes = 0;
  for (let t = 1; t < T; t++) for (let b = 0; b < B; b++) if (v01(seen[t], b) !== v01(seen[t - 1], b)) changes++;
  assert.ok(changes >= 2, 'agents walk in and out of view during the rollout');
}

/** Paper form: network g's LSTM carries one-hot entry `from + a` of its input into unit a (input and output gates
 * open, forget gate shut, every other LSTM weight 0), and the head whose weights are w[head] turns unit a into a
 * logit of about 30 on action a: the policy copies that entry, whatever else it sees. (Population's variables:
 * conv weight and bias, two dense layers, then the LSTM's weights [in + H, 4H] and bias [4H], gates i, f, g, o.) */
const copyThroughLstm = (lstm: number, from: number, head: number, out = A) => (w: Float32Array[], _nv: number, H: number) => {
  w[lstm].fill(0);
  w[lstm + 1].fill(0).fill(10, 0, H).fill(-10, H, 2 * H).fill(10, 3 * H, 4 * H);
  for (let a = 0; a < A; a++) w[lstm][(from + a) * 4 * H + 2 * H + a] = 10;
  w[head].fill(0);
  w[head + 1].fill(0);
  for (let a = 0; a < A; a++) w[head][a * out + a] = 40;
};

for (const form of ['head', 'paper'] as const) {
  const F = form === 'paper' ? ' (paper form)' : '';
  const FC = 32; // the dense layers' output: where the conditioning block starts in the LSTM's input
  test(`model III (influence-moa)${F}: step t earns -log pi_t(a_t) when the partner is in view at t; an episode's last step earns 0`, async () => {
    const { trainer, sh, seen } = await rollout({ ...BASE, model: 'influence-moa', influenceVisibleOnly: true, netForm: form }, async (agents) => {
      await editNet(agents, 0, randomHead(4));
      // agent 0's MOA: agent 1's next action copies agent 0's action of this step (logit 30), whatever it sees
      const moa = moaOf(agents)!.net, mv = moa.variables;
      const mw = (await moa.getWeights(0)).map((x) => x.fill(0));
      const H = moa.lstmUnits, head = mv[mv.length - 4].shape[2]!;
      if (form === 'head') {
        for (let a = 0; a < A; a++) { mw[mv.length - 4][(H + a) * head + a] = 1; mw[mv.length - 2][a * A + a] = 30; }
      } else {
        // the actions enter the MOA's LSTM (variables: two dense layers, LSTM, hidden, out): unit a -> hidden a -> logit a
        copyThroughLstm(4, moa.fcOut + 0 * A, 6, head)(mw, mv.length, H);
        for (let a = 0; a < A; a++) mw[8][a * A + a] = 40;
      }
      moa.setWeights(0, mw);
    });
    visibilityChanges(seen);
    const c = (t: number, b: number) => -Math.log(seen[t].prior[b][seen[t].a0[b]]);
    const want = (t: number, b: number) => (lastOfEpisode(t) ? 0 : v01(seen[t], b) ? bonus(c(t, b)) : 0);
    const r = sh.rollout;
    pin((t, b) => r.rewards[r.at(0, t, b)], want, {
      'credited a step late': (t, b) => (t > 0 ? want(t - 1, b) : 0),
      'prior of the previous step': (t, b) => (lastOfEpisode(t) || !v01(seen[t], b) || t === 0 ? 0 : bonus(-Math.log(seen[t - 1].prior[b][seen[t].a0[b]]))),
      'mask of the next step': (t, b) => (lastOfEpisode(t) || t === T - 1 ? 0 : v01(seen[t + 1], b) ? bonus(c(t, b)) : 0),
      'episode end not zeroed': (t, b) => (v01(seen[t], b) ? bonus(c(t, b)) : 0),
    });
    assert.ok(seen.some((_, t) => t === T - 1) && [0, 1].some((b) => want(T - 1, b) > 0), 'the rollout\'s last step earns its reward');
    await trainer.close();
  });

  test(`model II (influence-comm)${F}: the symbol of step t earns -log pi_msg,t(m_t) on the message stream of step t, masked by the view at t`, async () => {
    const { trainer, sh, seen } = await rollout({ ...BASE, model: 'influence-comm', influenceVisibleOnly: true, netForm: form }, async (agents) => {
      await editNet(agents, 0, randomHead(4)); // speaker 0's message head
      // listener 1's action copies the symbol agent 0 said last step (head input slot H + 0 * V + m; paper form:
      // the LSTM's input slot FC + 0 * V + m, speaker 0 being the first of listener 1's others)
      if (form === 'head') await editNet(agents, 1, (w, nv, H) => { w[nv - 8].fill(0); w[nv - 7].fill(0); for (let m = 0; m < A; m++) w[nv - 8][(H + m) * A + m] = 30; });
      else await editNet(agents, 1, (w, nv, H) => copyThroughLstm(6, FC, nv - 8)(w, nv, H));
    });
    visibilityChanges(seen);
    const c = (t: number, b: number) => -Math.log(seen[t].msgPrior[b][seen[t].symbols[b * N]]);
    // heard at t+1 inside the same episode and inside the rollout (the last step's symbols are heard in the next)
    const want = (t: number, b: number) => (t === T - 1 || lastOfEpisode(t) ? 0 : v01(seen[t], b) ? bonus(c(t, b)) : 0);
    const r = sh.rollout;
    pin((t, b) => r.msgRewards![r.at(0, t, b)], want, {
      'credited to the step heard': (t, b) => (t > 0 ? want(t - 1, b) : 0),
      'mask of the step heard': (t, b) => (t === T - 1 || lastOfEpisode(t) ? 0 : v01(seen[t + 1], b) ? bonus(c(t, b)) : 0),
    });
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) assert.equal(r.rewards[r.at(0, t, b)], 0, 'the actions earn no influence');
    await trainer.close();
  });

  test(`model I (influence)${F}: the influencer's action of step t earns -log pi_t(a_t) at step t, masked by the view at t, episode ends included`, async () => {
    const { trainer, sh, seen } = await rollout({ ...BASE, model: 'influence', influenceVisibleOnly: true, netForm: form }, async (agents) => {
      await editNet(agents, 0, randomHead(4));
      if (form === 'head') await editNet(agents, 1, (w, nv, H) => { w[nv - 4].fill(0); w[nv - 3].fill(0); for (let a = 0; a < A; a++) w[nv - 4][(H + a) * A + a] = 30; });
      else await editNet(agents, 1, (w, nv, H) => copyThroughLstm(6, FC, nv - 4)(w, nv, H));
    });
    visibilityChanges(seen);
    const c = (t: number, b: number) => -Math.log(seen[t].prior[b][seen[t].a0[b]]);
    const want = (t: number, b: number) => (v01(seen[t], b) ? bonus(c(t, b)) : 0);
    const r = sh.rollout;
    pin((t, b) => r.rewards[r.at(0, t, b)], want, {
      'credited a step late': (t, b) => (t > 0 ? want(t - 1, b) : 0),
      'mask of the next step': (t, b) => (t === T - 1 ? 0 : v01(seen[t + 1], b) ? bonus(c(t, b)) : 0),
    });
    await trainer.close();
  });
}

test('model I without a visibility mask (the default): every step earns its influence', async () => {
  const { trainer, sh, seen } = await rollout({ ...BASE, model: 'influence' }, async (agents) => {
    await editNet(agents, 0, randomHead(4));
    await editNet(agents, 1, (w, nv, H) => { w[nv - 4].fill(0); w[nv - 3].fill(0); for (let a = 0; a < A; a++) w[nv - 4][(H + a) * A + a] = 30; });
  });
  assert.equal(trainer.cfg.influenceVisibleOnly, false);
  const r = sh.rollout;
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    assert.ok(Math.abs(r.rewards[r.at(0, t, b)] - bonus(-Math.log(seen[t].prior[b][seen[t].a0[b]]))) < 1e-4);
  }
  await trainer.close();
});

for (const [algo, form] of [['ppo', 'head'], ['a2c', 'head'], ['ppo', 'paper'], ['a2c', 'paper']] as const) {
  test(`the MOA's prediction while acting equals its prediction in training for the same step (${algo}, ${form} form): no view from a later step`, async () => {
    const { trainer, sh, policy, seen, moaPreds } = await rollout({ ...BASE, model: 'moa', algo, rolloutSteps: T, netForm: form }, async () => {});
    const J = N - 1, r = sh.rollout;
    const train = tf.tidy(() => {
      const out = policy.unroll(r);
      return tf.softmax(moaOf(policy)!.predict(r, out.conv).logits).dataSync();
    });
    let later = 0;
    for (let i = 0; i < N; i++) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      const own = moaRollout(r).jointActions[(t * B + b) * N + i];
      for (let q = 0; q < J; q++) {
        const acting = moaPreds[t].subarray((((i * A + own) * B + b) * J + q) * A, (((i * A + own) * B + b) * J + q + 1) * A);
        const row = (((i * T + t) * B + b) * J + q) * A;
        for (let a = 0; a < A; a++) assert.ok(Math.abs(acting[a] - train[row + a]) < 1e-4, `agent ${i}, step ${t}, env ${b}: ${acting[a]} vs ${train[row + a]}`);
        if (t + 1 < T) for (let a = 0; a < A; a++) later = Math.max(later, Math.abs(acting[a] - train[row + B * J * A + a]));
      }
    }
    assert.ok(later > 1e-3, 'the predictions of consecutive steps differ, so a MOA reading a later view would fail');
    void seen;
    await trainer.close();
  });
}

test('the MOA trains on every other agent with moaVisibleOnly false, on the visible ones otherwise; moaLossNorm all divides by every pair', async () => {
  for (const moaVisibleOnly of [true, false]) {
    const { trainer, sh, policy } = await rollout({ ...BASE, model: 'moa', moaVisibleOnly }, async () => {});
    const r = sh.rollout, moa = moaOf(policy)!;
    let valid = 0, seen = 0;
    for (let t = 0; t < T - 1; t++) for (let b = 0; b < B; b++) {
      if (r.dones[r.at(0, t, b)]) continue;
      valid++;
      seen += moaRollout(r).visibleAfter[((t * B + b) * N + 0) * N + 1];
    }
    const [ce, pairs, counts] = tf.tidy(() => {
      const out = policy.unroll(r);
      const p = moa.predict(r, out.conv);
      const logp = tf.logSoftmax(p.logits);
      const ceAll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(p.target, [N, p.target.length / N], 'int32'), A)), 2));
      return [tf.sum(tf.mul(ceAll, tf.tensor2d(p.weight, [N, p.weight.length / N])), 1).dataSync(), p.pairs, p.counts];
    }) as unknown as [Float32Array, Float32Array, Float32Array];
    assert.equal(pairs[0], valid);
    assert.equal(counts[0], moaVisibleOnly ? seen : valid, `agent 0 trains on ${moaVisibleOnly ? 'the visible' : 'all'} pairs`);
    assert.ok(seen > 0 && seen < valid);
    for (const norm of ['visible', 'all'] as const) {
      (moa as unknown as { cfg: { moaLossNorm: string } }).cfg.moaLossNorm = norm;
      const loss = tf.tidy(() => moa.loss(r, policy.unroll(r).conv, undefined, { correct: 0, counted: 0, pending: [] }).dataSync());
      for (let i = 0; i < N; i++) {
        const want = ce[i] / (norm === 'all' ? pairs[i] : counts[i]);
        assert.ok(Math.abs(loss[i] - want) < 1e-4 * Math.max(1, want), `${norm}: agent ${i} loss ${loss[i]} vs ${want}`);
      }
    }
    await trainer.close();
  }
});

test('PMI keeps its sign: the influence reward is clipped to [-clip, clip]', async () => {
  const { resolveTrainConfig } = await import('../src/learn/config.ts');
  const { InfluenceBonus } = await import('../src/learn/rewards.ts');
  const cfg = resolveTrainConfig({ model: 'influence-moa', agents: 2, divergence: 'pmi', influenceBeta: 0.5, influenceClip: 2, influenceStart: 0, influenceEnd: 0 });
  const z = () => new Float32Array(4);
  const out = { actions: z(), messages: z(), previousActions: z(), previousMessages: z() };
  new InfluenceBonus(cfg, 'actions').apply({ extrinsic: z(), dones: new Uint8Array(2), ck: Float32Array.from([-5, -1, 1, 5]), envSteps: 0 }, out);
  assert.deepEqual(Array.from(out.actions), [-1, -0.5, 0.5, 1]);
});

test('model I with influenceeReward: each influencee also earns beta * the influence it received', async () => {
  const { resolveTrainConfig } = await import('../src/learn/config.ts');
  for (const influenceeReward of [false, true]) {
    const cfg = resolveTrainConfig({ model: 'influence', agents: 3, influencers: 1, influenceBeta: 0.5, influenceStart: 0, influenceEnd: 0, influenceeReward });
    const z = () => new Float32Array(3);
    const out = { actions: z(), messages: z(), previousActions: z(), previousMessages: z() };
    const ckj = new Float32Array(9);
    ckj[1] = 0.4; ckj[2] = 1.2; // influencer 0 on agents 1 and 2
    const [term] = modelOf('influence').rewardTerms!(cfg, 1, 3);
    term.apply({ extrinsic: z(), dones: new Uint8Array(1), ck: Float32Array.from([1.6, 0, 0]), ckj, envSteps: 0 }, out);
    assert.deepEqual(Array.from(out.actions).map((x) => +x.toFixed(6)), influenceeReward ? [0.8, 0.2, 0.6] : [0.8, 0, 0]);
  }
});

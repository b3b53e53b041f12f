// Cases of the influence models that a review found untested, in both network forms, each with the bug it
// catches named and shown to fail: several influencers (model I with K = 3: an alternative must replace its
// own influencer's action), several listeners with different policies (model II with N = 3: c_kj belongs to
// listener j), and the curriculum's step count when two workers share the environments.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/learn/tfjs/backend.ts';
import { Policy } from '../src/learn/policy/policy.ts';
import { resolveTrainConfig } from '../src/learn/config.ts';
import { createInfluenceKernel } from '../src/core/influence.ts';
import { modelIOf } from '../src/learn/models/visible-actions.ts';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { UpdateStats } from '../src/learn/learner.ts';
import { Rng } from '../src/util/rng.ts';

const A = 8, FC = 32, O = 7 * 7 * 3;

async function editNet(p: Policy, g: number, f: (w: Float32Array[], nv: number, H: number) => void): Promise<void> {
  const w = await p.net.getWeights(g);
  f(w, p.net.variables.length, p.net.lstmUnits);
  p.net.setWeights(g, w);
}

/** The head at w[head] (weights) and w[head + 1] (bias) gives log p, whatever the network sees. */
const logP = (head: number, p: number[]) => (w: Float32Array[]) => {
  w[head].fill(0);
  w[head + 1].set(p.map(Math.log));
};

/** The policy copies one-hot entry `slot * A + a` of the conditioning (logit about 30 on action a). Head form: the
 * head-input rows after the LSTM's H outputs; paper form: the LSTM carries the entry into unit a (gates saturated,
 * every other LSTM weight 0) and the head turns unit a into action a. */
const copyEntry = (form: 'head' | 'paper', slot: number, head: number) => (w: Float32Array[], _nv: number, H: number) => {
  w[head].fill(0);
  w[head + 1].fill(0);
  if (form === 'head') {
    for (let a = 0; a < A; a++) w[head][(H + slot * A + a) * A + a] = 30;
    return;
  }
  w[6].fill(0);
  w[7].fill(0).fill(10, 0, H).fill(-10, H, 2 * H).fill(10, 3 * H, 4 * H);
  for (let a = 0; a < A; a++) {
    w[6][(FC + slot * A + a) * 4 * H + 2 * H + a] = 10;
    w[head][a * A + a] = 40;
  }
};

const obsOf = (n: number, seed: number) => { const r = new Rng(seed); return Uint8Array.from({ length: n * O }, () => Math.floor(r.next() * 256)); };

describe('model I with three influencers (the Harvest preset\'s K): influencer k\'s counterfactuals replace influencer k\'s action', () => {
  for (const form of ['head', 'paper'] as const) {
    test(`${form} form; planted bug: every counterfactual replaces influencer 0's action`, async () => {
      await initBackend('wasm');
      const N = 5, K = 3, B = 2;
      const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence', agents: N, envs: B, viewRadius: 3, influencers: K, netForm: form, seed: 1 });
      const p = new Policy(cfg, A, B, N), kernel = await createInfluenceKernel();
      const priors = [[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05], [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3], [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]];
      for (let k = 0; k < K; k++) await editNet(p, k, logP(p.net.variables.length - 4, priors[k]));
      // both influencees copy influencer 1, and ignore influencers 0 and 2
      for (const g of [3, 4]) await editNet(p, g, copyEntry(form, 1, p.net.variables.length - 4));
      const obs = obsOf(B * N, 3);
      const measure = async () => {
        p.resetState();
        const actions = new Uint8Array(B * N), ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
        await p.act(obs, new Uint8Array(B).fill(1), new Rng(4), actions);
        await p.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
        return { actions, ck, ckj };
      };
      /** c_kj as it should be: -log p_1(a_1) from influencer 1 to each influencee, nothing from 0 and 2 */
      const check = ({ actions, ck, ckj }: Awaited<ReturnType<typeof measure>>) => {
        for (let b = 0; b < B; b++) {
          assert.deepEqual([actions[b * N + 3], actions[b * N + 4]], [actions[b * N + 1], actions[b * N + 1]], 'the influencees copied influencer 1');
          const want = -Math.log(priors[1][actions[b * N + 1]]);
          for (let k = 0; k < K; k++) {
            for (const j of [3, 4]) {
              const c = ckj[(b * N + k) * N + j];
              assert.ok(Math.abs(c - (k === 1 ? want : 0)) < 1e-4, `env ${b}: c_${k}${j} = ${c}, expected ${k === 1 ? want : 0}`);
            }
          }
          assert.ok(Math.abs(ck[b * N + 1] - 2 * want) < 2e-4, `env ${b}: c_1 sums its influencees`);
        }
      };
      check(await measure());
      // the planted bug: the counterfactual of influencer k sets influencer 0's action instead
      const m = modelIOf(p)!;
      if (form === 'paper') {
        const alternatives = m.alternatives.bind(m);
        m.alternatives = (...args) => {
          const alts = alternatives(...args);
          return alts && { ...alts, altIdx: alts.altIdx.map((x) => x % A), altGroup: alts.altGroup.map(() => 0) };
        };
      } else {
        const conditioning = m.conditioning.bind(m);
        m.conditioning = (actions, resets, out, g0, g1, k = -1, alt = 0) => conditioning(actions, resets, out, g0, g1, k >= 0 ? 0 : k, alt);
      }
      const bugged = await measure();
      assert.throws(() => check(bugged), /c_1[34]/, 'the bug gives influencer 1 none of its influence');
      p.dispose();
    });
  }
});

describe('model II with three agents: each listener\'s c_kj is its own', () => {
  for (const form of ['head', 'paper'] as const) {
    test(`${form} form; the bug caught: c_kj written to another listener`, async () => {
      await initBackend('wasm');
      const N = 3, B = 2;
      const cfg = resolveTrainConfig({ game: 'harvest', model: 'influence-comm', agents: N, envs: B, viewRadius: 3, netForm: form, seed: 2 });
      const p = new Policy(cfg, A, B, N), kernel = await createInfluenceKernel(), nv = p.net.variables.length;
      const said = [0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
      await editNet(p, 0, logP(nv - 4, said)); // speaker 0's message policy
      // listener 1 copies what speaker 0 said (speaker 0 is the first slot of listener 1's block in both forms)
      await editNet(p, 1, copyEntry(form, 0, nv - 8));
      // listener 2's policy is uniform, whatever it hears
      await editNet(p, 2, (w) => { w[nv - 8].fill(0); w[nv - 7].fill(0); });
      const obs = obsOf(B * N, 5), actions = new Uint8Array(B * N), rng = new Rng(7);
      await p.act(obs, new Uint8Array(B).fill(1), rng, actions);
      const heard = p.symbols.slice();
      await p.act(obs, new Uint8Array(B), rng, actions);
      const ck = new Float32Array(B * N), ckj = new Float32Array(B * N * N);
      await p.influence(actions, new Uint8Array(B * N * N).fill(1), kernel, ck, ckj);
      for (let b = 0; b < B; b++) {
        assert.equal(actions[b * N + 1], heard[b * N], 'listener 1 copied speaker 0');
        const want = [0, -Math.log(said[heard[b * N]]), 0]; // c_0j for j = 0, 1, 2
        const got = [1, 2].map((j) => ckj[(b * N) * N + j]);
        [1, 2].forEach((j, q) => assert.ok(Math.abs(got[q] - want[j]) < 1e-4, `env ${b}: c_0${j} = ${got[q]}, expected ${want[j]}`));
        // the bug: listener 2 credited with listener 1's influence and the other way round
        assert.ok(Math.abs(want[2] - want[1]) > 0.5, 'swapped listeners would fail the check above');
        assert.ok(ckj[(b * N + 2) * N + 1] < 1e-4, 'listener 1 ignores speaker 2');
      }
      p.dispose();
    });
  }
});

test('the influence curriculum counts the whole run\'s env steps with two workers (bug caught: each worker counting its own envs\' steps)', async () => {
  // beta jumps from 0 to 20 at env step J; each update is envs x rollout = 4 x 5 = 20 env steps of the whole run
  const J = 45, base = {
    game: 'harvest' as const, model: 'influence' as const, agents: 2, envs: 4, workers: 2, viewRadius: 2, rolloutSteps: 5, episodeLength: 50,
    steps: 1e9, influenceStart: 0, influenceEnd: 0, seed: 3,
  };
  const updates = async (at: number) => {
    const t = await createTrainer({ ...base, influenceBeta: 20, influenceSchedule: [[0, 0], [at, 0], [at, 1]] });
    const out: UpdateStats[] = [];
    for (let k = 0; k < 4; k++) out.push(await t.iterate());
    await t.close();
    return out;
  };
  const withJump = await updates(J), never = await updates(1e12);
  // update u covers env steps [20u, 20u + 20): steps 0-39 see beta 0, update 2 (40-59) crosses J = 45 at its rollout's step 3
  const differs = withJump.map((s, u) => Math.abs(s.valueLoss - never[u].valueLoss) > 1e-9 * Math.max(1, never[u].valueLoss));
  assert.deepEqual(differs, [false, false, true, true], 'the influence reward starts in the update whose rollout reaches env step 45');
  // a worker counting only its own envs (2 of 4) would reach step 45 in its update 4 (its steps 40-49 are the run's 80-99)
  const buggyFirst = Math.floor(J / (base.envs / base.workers * base.rolloutSteps));
  assert.ok(buggyFirst > 3, `with that bug the first update to differ would be ${buggyFirst}, not 2`);
});

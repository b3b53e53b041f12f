// The conformance suite every game of the table passes: shapes and dtypes, determinism, auto-reset, steps
// really run, no allocation per step, and statistics that agree with each other. Numbers of agents and
// actions come from the game's definition (Harvest and Cleanup: 5 agents, 8 and 9 actions).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createVecEnv, type VecEnv } from '../src/env/vec-env.ts';
import { GAMES, gameInfo } from '../src/env/games.ts';
import { Rng } from '../src/util/rng.ts';
import { randomEpisode } from '../src/env/random-rollout.ts';

/** Hash of every observation, reward and done flag over `steps` random steps. */
function trajectoryHash(env: VecEnv, seed: number, steps: number): string {
  const h = createHash('sha256');
  const rng = new Rng(seed);
  let r = env.reset(seed);
  h.update(r.obs);
  for (let t = 0; t < steps; t++) {
    rng.fillBelow(env.actions, env.spec.numActions);
    r = env.step();
    h.update(r.obs);
    h.update(new Uint8Array(r.rewards.buffer, r.rewards.byteOffset, r.rewards.byteLength));
    h.update(r.dones);
  }
  return h.digest('hex');
}

for (const game of GAMES) {
  const def = gameInfo(game);
  /** Agents by default, and in the shapes test (4 where the map has room, as for Harvest and Cleanup). */
  const N = def.defaultAgents, M = Math.min(4, Math.max(N, 2));
  describe(`${game} conformance`, () => {
    test('spec, shapes and dtypes match the configuration', async () => {
      const env = await createVecEnv({ game, numEnvs: 3, numAgents: M, seed: 1 });
      const s = env.spec;
      assert.equal(s.version, `${game}_v1`);
      assert.equal(s.numActions, { harvest: 8, cleanup: 9 }[game as string] ?? def.actionNames.length);
      assert.equal(s.actionNames.length, s.numActions);
      assert.deepEqual(s.obsShape, [15, 15, 3]);
      const r = env.step(new Uint8Array(3 * M).fill(4));
      assert.ok(r.obs instanceof Uint8Array);
      assert.equal(r.obs.length, 3 * M * 15 * 15 * 3);
      assert.ok(r.rewards instanceof Float32Array);
      assert.equal(r.rewards.length, 3 * M);
      assert.equal(r.dones.length, 3);
      assert.equal(r.otherActions.length, 3 * M * (M - 1));
      assert.equal(r.visible.length, 3 * M * M);
      const frame = env.renderWorld(2);
      assert.equal(frame.length, s.mapHeight * s.mapWidth * 3);
      env.close();
      assert.throws(() => env.step(), /closed/);
    });

    test('the same seed gives the same trajectory, bit for bit', async () => {
      const a = await createVecEnv({ game, numEnvs: 4, seed: 7 });
      const b = await createVecEnv({ game, numEnvs: 4, seed: 7 });
      assert.equal(trajectoryHash(a, 7, 300), trajectoryHash(b, 7, 300));
      // reset(seed) on a used env gives the same again
      assert.equal(trajectoryHash(a, 7, 300), trajectoryHash(b, 7, 300));
      assert.notEqual(trajectoryHash(a, 8, 300), trajectoryHash(b, 7, 300));
    });

    test('env b of a batch follows (seed, b) whatever the batch size; different env indices differ', async () => {
      const big = await createVecEnv({ game, numEnvs: 3, seed: 11 });
      const small = await createVecEnv({ game, numEnvs: 1, seed: 11 });
      const V = 15 * 15 * 3 * N;
      // With STAY everywhere the only randomness is the env's own generator (spawning, reset).
      for (let t = 0; t < 200; t++) {
        big.step(new Uint8Array(3 * N).fill(4));
        small.step(new Uint8Array(N).fill(4));
      }
      const o = big.step(new Uint8Array(3 * N).fill(4)).obs;
      const o0 = small.step(new Uint8Array(N).fill(4)).obs;
      assert.deepEqual(o.subarray(0, V), o0.subarray(0, V));
      assert.notDeepEqual(o.subarray(0, V), o.subarray(V, 2 * V));
      assert.notDeepEqual(big.agents(0), big.agents(1));
    });

    test('episodes end after episodeLength steps and the env resets itself', async () => {
      const env = await createVecEnv({ game, numEnvs: 2, seed: 3, episodeLength: 50 });
      const rng = new Rng(3);
      for (let t = 1; t <= 120; t++) {
        rng.fillBelow(env.actions, env.spec.numActions);
        const r = env.step();
        const done = t % 50 === 0;
        assert.deepEqual(Array.from(r.dones), [done ? 1 : 0, done ? 1 : 0], `step ${t}`);
        if (done) {
          assert.equal(env.internals.views.stepCount[0], 0, 'the env has reset');
          const s = env.lastEpisode(0)!;
          assert.equal(s.index, t / 50 - 1);
          assert.equal(s.steps, 50);
          assert.equal(s.applesSeries.length, 50);
        }
      }
      assert.equal(env.internals.views.stepCount[1], 20);
      assert.equal(env.lastEpisode(1)!.index, 1);
    });

    test('N steps really ran: the step counter, the series and the action counts agree', async () => {
      const env = await createVecEnv({ game, numEnvs: 1, seed: 5, episodeLength: 400 });
      const [s] = randomEpisode(env, 5);
      const actions = 400 * N;
      const expected = 1 / env.spec.numActions;
      // a count of one action the game keeps: FIRE where there is FIRE, else the game's own count
      const fires = def.actionNames.includes('FIRE') ? s.fireActions.reduce((a, b) => a + b, 0)
        : def.stats.filter((st) => st.kind === 'count').reduce((a, st) => a + s.game[st.name]!, 0);
      const share = fires / actions;
      assert.ok(Math.abs(share - expected) < 0.03, `FIRE share ${share} vs ${expected}`);
      // apples change over the episode: the map was really stepped
      assert.ok(new Set(s.applesSeries).size > 1 || game === 'cleanup');
      if (game === 'cleanup') {
        const cleans = s.cleanActions.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(cleans / actions - expected) < 0.03);
        assert.ok(new Set(s.wasteSeries).size > 1, 'waste changes');
      }
    });

    test('returns add up: apples eaten - fire actions - 50 x hits received, per agent', async () => {
      const env = await createVecEnv({ game, numEnvs: 2, seed: 9, episodeLength: 300 });
      for (const s of randomEpisode(env, 9)) {
        for (let i = 0; i < N; i++) {
          assert.equal(s.returns[i], s.applesEaten[i] - s.fireActions[i] - 50 * s.hitsReceived[i]);
        }
        assert.equal(s.hitsReceived.reduce((a, b) => a + b, 0), s.hitsGiven.reduce((a, b) => a + b, 0));
      }
    });

    test('social outcome metrics follow their formulas', async () => {
      const env = await createVecEnv({ game, numEnvs: 4, seed: 2, episodeLength: 200 });
      for (const s of randomEpisode(env, 2)) {
        const T = 200;
        const sum = s.returns.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(s.efficiency - sum / T) < 1e-9);
        if (sum > 0) {
          let d = 0;
          for (const a of s.returns) for (const b of s.returns) d += Math.abs(a - b);
          assert.ok(Math.abs(s.equality! - (1 - d / (2 * N * sum))) < 1e-9);
        } else {
          assert.equal(s.equality, null);
        }
        assert.equal(s.peace, N);
        if (s.sustainability !== null) assert.ok(s.sustainability >= 1 && s.sustainability <= T);
      }
    });

    test('a step allocates nothing: memory size is unchanged over 10,000 steps', async () => {
      const env = await createVecEnv({ game, numEnvs: 4, seed: 4 });
      const before = env.internals.memory.buffer.byteLength;
      const obsBefore = env.step().obs;
      const rng = new Rng(4);
      for (let t = 0; t < 10_000; t++) {
        rng.fillBelow(env.actions, env.spec.numActions);
        env.step();
      }
      assert.equal(env.internals.memory.buffer.byteLength, before);
      const obsAfter = env.step().obs;
      assert.equal(obsAfter.buffer, obsBefore.buffer, 'views stay attached to the same memory');
      assert.ok(env.lastEpisode(0) !== null, 'episodes finished and reset along the way');
    });
  });
}

test('a custom map replaces the default', async () => {
  const map = ['@@@@@@@', '@P A P@', '@ AAA @', '@P A P@', '@@@@@@@'];
  const env = await createVecEnv({ game: 'harvest', map, numAgents: 4, seed: 0 });
  assert.equal(env.spec.mapHeight, 5);
  assert.equal(env.spec.mapWidth, 7);
  assert.equal(env.internals.views.appleCount[0], 5);
  const spots = env.agents(0).map((a) => `${a.row},${a.col}`).sort();
  assert.deepEqual(spots, ['1,1', '1,5', '3,1', '3,5']);
});

test('the default maps have the SSD layouts: sizes and character counts of docs/RULES.md', async () => {
  const { HARVEST_MAP, CLEANUP_MAP } = await import('../src/env/maps.ts');
  const count = (m: readonly string[]) => {
    const c: Record<string, number> = {};
    for (const ch of m.join('')) c[ch] = (c[ch] ?? 0) + 1;
    return c;
  };
  assert.equal(HARVEST_MAP.length, 16);
  assert.ok(HARVEST_MAP.every((r) => r.length === 38));
  assert.equal(count(HARVEST_MAP).A, 155);
  assert.equal(count(HARVEST_MAP).P, 20);
  assert.equal(CLEANUP_MAP.length, 25);
  assert.ok(CLEANUP_MAP.every((r) => r.length === 18));
  const c = count(CLEANUP_MAP);
  assert.deepEqual([c.H, c.R, c.S, c.B, c.P], [56, 63, 12, 103, 10]);
});

test('resetEnv(b, seed) starts env b as env 0 of a batch seeded `seed` does, and the other envs go on', async () => {
  for (const game of GAMES) {
    const batch = await createVecEnv({ game, numEnvs: 3, numAgents: 3, seed: 1 });
    const alone = await createVecEnv({ game, numEnvs: 1, numAgents: 3, seed: 42 });
    const rng = new Rng(5);
    const acts = new Uint8Array(9);
    for (let t = 0; t < 7; t++) { rng.fillBelow(acts, batch.spec.numActions); batch.step(acts); }
    const other = batch.renderWorld(2);
    batch.resetEnv(1, 42);
    assert.deepEqual(batch.renderWorld(1), alone.renderWorld(0), `${game}: env 1 starts as the seed-42 env`);
    assert.deepEqual(batch.renderWorld(2), other, `${game}: env 2 is untouched`);
    // and both follow the same trajectory under the same actions
    for (let t = 0; t < 30; t++) {
      rng.fillBelow(acts, batch.spec.numActions);
      const r = batch.step(acts);
      const a = alone.step(acts.subarray(3, 6));
      assert.deepEqual(Array.from(r.rewards.subarray(3, 6)), Array.from(a.rewards), `${game} step ${t}: rewards`);
    }
    assert.deepEqual(batch.renderWorld(1), alone.renderWorld(0), `${game}: same map after 30 steps`);
    assert.throws(() => batch.resetEnv(3, 1), /env: expected an integer from 0 to 2/);
    batch.close();
    alone.close();
  }
});

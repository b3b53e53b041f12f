// Harvest and Cleanup are pinned: these digests were measured on harvest_v1 and cleanup_v1 before the games
// became entries of a table (docs/RULES.md "Games"), and every change of the core since must leave them as
// they are. A digest that moves is a change of rules: it needs a new version of the game (and new digests),
// never an edit of this file alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createVecEnv, type EnvConfig } from '../src/env/vec-env.ts';
import { Rng } from '../src/util/rng.ts';

/** sha256 over 1,200 random steps: every observation, reward, done flag, other-actions and visibility
 * array, each finished episode's statistics, and env 0's world picture every 97 steps. */
async function digest(c: EnvConfig & { seed: number; numEnvs: number }): Promise<string> {
  const env = await createVecEnv(c);
  const h = createHash('sha256');
  const rng = new Rng(c.seed);
  h.update(env.reset(c.seed).obs);
  for (let t = 0; t < 1200; t++) {
    rng.fillBelow(env.actions, env.spec.numActions);
    const r = env.step();
    h.update(r.obs);
    h.update(new Uint8Array(r.rewards.buffer, r.rewards.byteOffset, r.rewards.byteLength));
    h.update(r.dones);
    h.update(r.otherActions);
    h.update(r.visible);
    for (let b = 0; b < c.numEnvs; b++) {
      if (!r.dones[b]) continue;
      const s = env.lastEpisode(b)!;
      h.update(JSON.stringify([s.index, s.steps, s.returns, s.collectiveReturn, s.applesEaten, s.fireActions, s.cleanActions,
        s.hitsReceived, s.hitsGiven, Array.from(s.applesSeries), Array.from(s.wasteSeries), s.efficiency, s.equality,
        s.sustainability, s.peace]));
    }
    if (t % 97 === 0) h.update(env.renderWorld(0));
  }
  env.close();
  return h.digest('hex');
}

const PINNED: [EnvConfig & { seed: number; numEnvs: number }, string][] = [
  [{ game: 'harvest', numEnvs: 3, seed: 1 }, '96a160d12577bdb12e4fcc6bd13a52f6e7a0cce369bdc6213c61a1c2932139ea'],
  [{ game: 'cleanup', numEnvs: 3, seed: 1 }, '86b2166c8481eedc2e33ba759d00299258c52f05297fb157ea44f41388596b32'],
  [{ game: 'harvest', numEnvs: 2, numAgents: 7, seed: 5, tagTimeout: 25, episodeLength: 300 }, 'b5e09f0a485972cd7b8c833c6756f030ea3e7f3d00258436ea468641991fb4b4'],
  [{ game: 'cleanup', numEnvs: 2, numAgents: 3, seed: 9, tagTimeout: 10, episodeLength: 250, viewRadius: 4 }, '2c4b9d9ef649d0e2d8f12189e9a15ddfa3bab3fca92b6a3835d91f7c4b871dd0'],
];

for (const [config, expected] of PINNED) {
  test(`${config.game} is pinned bit for bit: ${JSON.stringify(config)}`, async () => {
    assert.equal(await digest(config), expected);
  });
}

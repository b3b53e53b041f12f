// The paper's network form in a browser: Chromium trains models II and III with --net-form paper in a Web
// Worker (dist/web/bench.html, one metrics row per update), through the same kernels as Node (the
// counterfactual LSTM step included), and every update's losses equal the same run's in Node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { browserSkip, launchChromium, serveDir } from './browser.ts';
import { Trainer } from '../src/learn/trainer.ts';
import type { TrainConfig } from '../src/learn/config.ts';

const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));
interface Row { policy_loss: number; value_loss: number; entropy: number; grad_norm: number; influence_total: number | null }

test('--net-form paper trains in a browser worker as in Node (influence-comm, influence-moa)', { skip: browserSkip(), timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(WEB, 'bench.html')), `${WEB}bench.html is missing: run npm run build`);
  const { url, server } = await serveDir(WEB);
  const browser = await launchChromium();
  try {
    for (const model of ['influence-comm', 'influence-moa'] as const) {
      const base = { game: 'harvest', model, agents: 2, envs: 2, seed: 7, rolloutSteps: 8, episodeLength: 40, netForm: 'paper' } as const;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const q = new URLSearchParams({
        game: base.game, model, agents: '2', envs: '2', workers: '1', backend: 'wasm', seed: '7', netForm: 'paper',
        rolloutSteps: '8', episodeLength: '40', updates: '3', warmup: '0', report: '1',
      });
      await page.goto(`${url}bench.html?${q}`);
      await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
      const b = await page.evaluate(() => (window as unknown as { __bench: { rows?: Row[]; error?: string } }).__bench);
      await page.close();
      assert.deepEqual(errors, [], `${model}: page errors`);
      assert.equal(b.error, undefined, `${model}: ${b.error}`);
      assert.ok(b.rows!.length >= 3, `${model}: one row per update`);
      const t = await Trainer.start({ ...base, steps: 1e9 } as Partial<TrainConfig>);
      for (let k = 0; k < 3; k++) {
        const s = await t.iterate(), row = b.rows![k];
        for (const [f, x] of [['policy_loss', s.policyLoss], ['value_loss', s.valueLoss], ['entropy', s.entropy], ['grad_norm', s.gradNorm]] as const) {
          assert.ok(Math.abs(row[f] - x) <= 1e-5 * Math.max(1, Math.abs(x)), `${model}, update ${k}, ${f}: browser ${row[f]}, Node ${x}`);
        }
        assert.ok(row.influence_total !== null && row.influence_total > 0, `${model}: influence measured in the browser`);
      }
      await t.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
});

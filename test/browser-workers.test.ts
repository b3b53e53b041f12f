// Data-parallel training in Chromium's module Web Workers, bit for bit as in Node's worker_threads: the
// benchmark page (dist/web/bench.html, cross-origin isolated as `commons serve` serves it) trains with two
// workers exchanging gradients in shared memory, one metrics row per update, and every row (losses, gradient
// norm, episode statistics) equals the row of the same run in Node. A page served without isolation cannot
// share memory: its workers send their gradients through the page, and train exactly the same run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { browserSkip, launchChromium, serveDir } from './browser.ts';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { MetricsRow } from '../src/learn/trainer.ts';
import type { TrainConfig } from '../src/learn/config.ts';
import type { WorkerGroup } from '../src/parallel/group.ts';

const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));
const strip = ({ timing: _t, ...row }: MetricsRow) => row;

interface Bench { exchange?: string; backend?: string; workers?: number; rows?: MetricsRow[]; error?: string; cross_origin_isolated?: boolean }

const CASES = [['a2c', true], ['ppo', true], ['a2c', false]] as const;
for (const [algo, isolated] of CASES) {
  const name = isolated ? `${algo}: two Web Workers sharing memory train exactly as two Node worker threads`
    : `${algo}: in a page that is not cross-origin isolated, two Web Workers exchange through the page and train the same run`;
  test(name, { skip: browserSkip(), timeout: 600_000 }, async () => {
    assert.ok(existsSync(join(WEB, 'bench.html')), `${WEB}bench.html is missing: run npm run build`);
    const run = { game: 'harvest', model: 'a2c', agents: 2, envs: 4, workers: 2, seed: 11, rolloutSteps: 10, episodeLength: 40 } as const;
    const warmup = 2, updates = 4;
    const { url, server } = await serveDir(WEB, { isolate: isolated });
    const browser = await launchChromium();
    let b: Bench;
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const q = new URLSearchParams({
        ...Object.fromEntries(Object.entries(run).map(([k, v]) => [k, String(v)])), algo, backend: 'wasm',
        updates: String(updates), warmup: String(warmup), report: '1',
      });
      await page.goto(`${url}bench.html?${q}`);
      await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
      b = await page.evaluate(() => (window as unknown as { __bench: Bench }).__bench);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      server.close();
    }
    assert.equal(b.error, undefined, b.error);
    assert.equal(b.cross_origin_isolated, isolated);
    assert.equal(b.exchange, isolated ? 'shared' : 'main-thread');
    assert.equal(b.workers, 2);
    assert.equal(b.rows!.length, warmup + updates, 'one row per update');

    const cfg: Partial<TrainConfig> = {
      // As the page configures it (src/web/bench.ts, session.ts): a budget it never reaches; it pauses.
      ...run, algo, backend: 'wasm', steps: 1e12, reportEvery: run.envs * run.rolloutSteps,
    };
    const t = await createTrainer(cfg);
    const rows: MetricsRow[] = [];
    try {
      assert.equal((t.group as WorkerGroup).exchange, 'shared');
      await t.run({ onReport: (r) => rows.push(r), shouldStop: () => rows.length >= warmup + updates });
    } finally {
      await t.close();
    }
    assert.deepEqual(b.rows!.map(strip), rows.map(strip));
  });
}

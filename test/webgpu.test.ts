// The WebGPU code path, in headless Chromium with --enable-unsafe-webgpu (a SwiftShader adapter: this
// checks correctness, not speed). The benchmark page (dist/web/bench.html) trains the same seed on
// WASM and on WebGPU in a Web Worker with one metrics row per update; the two backends must agree on
// every update's losses and gradient norm to float32 rounding. Influence models run more kernels
// (LSTM, counterfactual heads, the MOA and its loss, the message head), so two of them are checked too.
// This comparison found tfjs-webgpu's AddN summing 8 or more inputs wrongly (see kernels.ts (c)).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { browserSkip, launchChromium, serveDir } from './browser.ts';

const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));

interface Row { policy_loss: number; value_loss: number; entropy: number; grad_norm: number; moa?: { loss: number } }
interface Bench { backend?: string; backend_note?: string | null; rows?: Row[]; error?: string }

const FIELDS = ['policy_loss', 'value_loss', 'entropy', 'grad_norm'] as const;

for (const [model, algo] of [['a2c', 'a2c'], ['influence-moa', 'a2c']]) {
  test(`${model} (${algo}): WebGPU training matches WASM update by update`, { skip: browserSkip(), timeout: 600_000 }, async (t) => {
    assert.ok(existsSync(join(WEB, 'bench.html')), `${WEB}bench.html is missing: run npm run build`);
    const { url, server } = await serveDir(WEB);
    const browser = await launchChromium(['--enable-unsafe-webgpu']);
    try {
      const runOn = async (backend: string): Promise<Bench> => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const q = new URLSearchParams({
          game: 'harvest', model, algo, agents: '2', envs: '2', workers: '1', backend, seed: '7',
          rolloutSteps: '8', episodeLength: '40', updates: '4', warmup: '0', report: '1',
        });
        await page.goto(`${url}bench.html?${q}`);
        await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
        const b = await page.evaluate(() => (window as unknown as { __bench: Bench }).__bench);
        await page.close();
        assert.deepEqual(errors, [], `${backend}: page errors`);
        assert.equal(b.error, undefined, `${backend}: ${b.error}`);
        return b;
      };
      const wasm = await runOn('wasm');
      const gpu = await runOn('webgpu');
      assert.equal(wasm.backend, 'wasm');
      assert.equal(gpu.backend, 'webgpu', `trained on ${gpu.backend} (${gpu.backend_note})`);
      assert.ok(wasm.rows!.length >= 4, `one row per update: ${wasm.rows!.length} rows`);
      assert.equal(gpu.rows!.length, wasm.rows!.length);
      let worst = 0;
      wasm.rows!.forEach((w, k) => {
        const g = gpu.rows![k];
        const pairs: [string, number, number][] = FIELDS.map((f) => [f, w[f], g[f]]);
        if (w.moa) pairs.push(['moa.loss', w.moa.loss, g.moa!.loss]);
        for (const [f, a, b] of pairs) {
          assert.ok(Number.isFinite(a) && Number.isFinite(b), `update ${k} ${f}: ${a} vs ${b}`);
          const d = Math.abs(a - b) / Math.max(1, Math.abs(a));
          assert.ok(d <= 1e-3, `update ${k} ${f}: wasm ${a}, webgpu ${b}`);
          worst = Math.max(worst, d);
        }
      });
      t.diagnostic(`${wasm.rows!.length} updates; largest difference ${worst.toExponential(1)} (relative, or absolute below 1)`);
    } finally {
      await browser.close();
      server.close();
    }
  });
}

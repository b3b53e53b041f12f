// Same seed, same trajectory, bit for bit: Node, a Chromium page and a Chromium module worker agree.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { browserSkip, launchChromium, serveDir, tempDir } from './browser.ts';
import { trajectoryDigest } from './fixtures/trajectory.ts';
import { GAMES } from '../src/env/games.ts';

test('a browser page and a browser worker reproduce Node\'s trajectories', { skip: browserSkip(), timeout: 120_000 }, async () => {
  const dir = tempDir();
  const fixtures = new URL('./fixtures/', import.meta.url).pathname;
  await build({
    entryPoints: { 'browser-page': join(fixtures, 'browser-page.ts'), 'browser-worker': join(fixtures, 'browser-worker.ts') },
    outdir: dir, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>determinism</title><script type="module" src="browser-page.js"></script>');
  const { url, server } = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}?seed=42&steps=250`);
    await page.waitForFunction(() => window.__digests || window.__error, null, { timeout: 60_000 });
    const { digests, error } = await page.evaluate(() => ({ digests: window.__digests, error: window.__error }));
    assert.equal(error, undefined);
    assert.deepEqual(errors, []);
    for (const game of GAMES) {
      const node = await trajectoryDigest(game, 42, 250);
      assert.equal(digests![`page:${game}`], node, `${game} page`);
      assert.equal(digests![`worker:${game}`], node, `${game} worker`);
    }
  } finally {
    await browser.close();
    server.close();
  }
});

// Same seed, same trajectory, bit for bit, in the main thread and in a worker.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { trajectoryDigest } from './fixtures/trajectory.ts';
import { GAMES } from '../src/env/games.ts';

function inWorker(game: string, seed: number, steps: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
      workerData: { entry: new URL('./fixtures/trajectory-worker.ts', import.meta.url).href, game, seed, steps },
    });
    w.once('message', (m) => { resolve(m as string); void w.terminate(); });
    w.once('error', reject);
  });
}

for (const game of GAMES) {
  test(`${game}: a worker_thread reproduces the main thread's trajectory`, async () => {
    const main = await trajectoryDigest(game, 42, 250);
    assert.equal(await inWorker(game, 42, 250), main);
    assert.notEqual(await trajectoryDigest(game, 43, 250), main);
  });
}

// Long runs keep their memory flat: with workers, the main thread (which gathers every update's statistics,
// and where memory cannot be shared averages its gradients) holds no more after 4N updates than after N, with
// either exchange. Figures over 1k and 10k updates, workers included, are in BENCHMARKS.md.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { WorkerGroup } from '../src/parallel/group.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The main thread's external memory (ArrayBuffer backing stores, including those received from workers)
 * once garbage is collected. Buffers received from a worker are freed a moment after the collection that
 * finds them dead, hence the wait and the second collection. */
async function external(): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  return process.memoryUsage().external;
}

for (const exchange of ['shared', 'main-thread'] as const) test(`with --workers (exchange ${exchange}), the main thread's memory does not grow with the number of updates`, async () => {
  // A tiny configuration: 2 agents, view radius 2 (about 87k parameters each, so one update's gradients
  // are ~0.7 MB for the two agents), 5-step rollouts. COMMONS_EXCHANGE is read when the workers start.
  process.env.COMMONS_EXCHANGE = exchange;
  const t = await createTrainer({ game: 'harvest', agents: 2, envs: 4, episodeLength: 50, viewRadius: 2, rolloutSteps: 5, steps: 1e9, workers: 2 });
  delete process.env.COMMONS_EXCHANGE;
  assert.equal((t.group as WorkerGroup).exchange, exchange);
  const N = 15;
  try {
    for (let k = 0; k < 5; k++) await t.iterate(); // warm-up
    const m0 = await external();
    for (let k = 0; k < N; k++) await t.iterate();
    const mN = await external();
    for (let k = 0; k < 3 * N; k++) await t.iterate();
    const m4N = await external();
    const mb = (x: number) => (x / 2 ** 20).toFixed(1);
    // Flat memory gives about the same figure after N and 4N updates. Keeping one gradient per update (the
    // fault this guards against) adds ~0.7 MB per update: ~31 MB over the last 3N updates.
    assert.ok(m4N - mN < 8 * 2 ** 20,
      `external memory after warm-up ${mb(m0)} MB, after ${N} updates ${mb(mN)} MB, after ${4 * N} updates ${mb(m4N)} MB`);
  } finally {
    await t.close();
  }
});

// The gradient exchange in shared memory (src/parallel/exchange.ts), between real worker threads: the
// average is bit for bit what the main thread computed before (a float32 running sum in worker order, then
// one division), for W = 2 and 3 and sizes that do not split evenly; exchanges follow one another with no
// mix-up; and aborting wakes a worker that waits for one that will never come.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { abortSharedExchange, createSharedExchange } from '../src/parallel/exchange.ts';

function startWorkers(count: number, params: number) {
  const buffer = createSharedExchange(count, params);
  const workers = Array.from({ length: count }, (_, index) => new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./fixtures/exchange-worker.ts', import.meta.url).href, buffer, index, count, params },
  }));
  const ready = Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const send = (w: number, grads: Float32Array) => new Promise<{ mean?: Float32Array; error?: string }>((resolve, reject) => {
    workers[w].once('message', resolve);
    workers[w].once('error', reject);
    workers[w].postMessage(grads);
  });
  return { buffer, workers, ready, send, close: () => Promise.all(workers.map((w) => w.terminate())) };
}

/** The main thread's average, as group.ts computed it before the shared exchange. */
function reference(grads: Float32Array[]): Float32Array {
  const mean = grads[0].slice();
  for (let w = 1; w < grads.length; w++) for (let k = 0; k < mean.length; k++) mean[k] += grads[w][k];
  for (let k = 0; k < mean.length; k++) mean[k] /= grads.length;
  return mean;
}

/** Values that make float32 sums order-sensitive: mixed signs and magnitudes from 1e-8 to 1e4. */
function gradients(seed: number, n: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, () => (next() - 0.5) * 10 ** (next() * 12 - 8));
}

for (const [count, params] of [[2, 1000], [3, 12_345]] as const) {
  test(`${count} workers, ${params} values: three exchanges in a row, each the main thread's average bit for bit`, async () => {
    const x = startWorkers(count, params);
    try {
      await x.ready;
      for (let round = 0; round < 3; round++) {
        const grads = Array.from({ length: count }, (_, w) => gradients(100 * round + w, params));
        const answers = await Promise.all(grads.map((g, w) => x.send(w, g)));
        const want = reference(grads);
        for (const [w, a] of answers.entries()) {
          assert.equal(a.error, undefined);
          assert.deepEqual(new Uint32Array(a.mean!.buffer), new Uint32Array(want.buffer), `worker ${w}, exchange ${round}`);
        }
        // Not a trivial case: with three terms, summing in the other order changes some values.
        if (count > 2) {
          const reversed = reference(grads.slice().reverse());
          assert.notDeepEqual(new Uint32Array(reversed.buffer), new Uint32Array(want.buffer));
        }
      }
    } finally {
      await x.close();
    }
  });
}

test('aborting the exchange wakes a worker that waits for one that never arrives', async () => {
  const x = startWorkers(2, 64);
  try {
    await x.ready;
    const waiting = x.send(0, gradients(1, 64));
    await new Promise((r) => setTimeout(r, 300));
    abortSharedExchange(x.buffer);
    const a = await waiting;
    assert.equal(a.error, 'ExchangeAborted: the gradient exchange was aborted (another worker failed)');
    // An exchange begun after the abort fails at once.
    assert.match((await x.send(1, gradients(2, 64))).error ?? '', /^ExchangeAborted/);
  } finally {
    await x.close();
  }
});

test('a worker blocked in the exchange can be terminated (what a second Ctrl-C relies on)', async () => {
  const x = startWorkers(2, 64);
  try {
    await x.ready;
    void x.send(0, gradients(1, 64));
    await new Promise((r) => setTimeout(r, 300));
    const exited = await Promise.race([x.workers[0].terminate(), new Promise((r) => setTimeout(() => r('still blocked'), 20_000))]);
    assert.equal(exited, 1, 'the thread was stopped');
  } finally {
    await x.close();
  }
});

// Load: many tiny runs through 4 `commons worker` processes on a real Redis: none lost, none trained
// twice, every worker busy, and the queue's overhead per run measured (and bounded). CI runs 40 runs to
// keep the suite short on 2 cores (each run is a child process of its own: about a second of start-up);
// `npm run bench:sweep` runs the same harness with 200 runs for BENCHMARKS.md, and COMMONS_SWEEP_LOAD_RUNS
// sets the count here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisMissing } from './sweep-helpers.ts';
import { runLoad } from './sweep-load.ts';

const runs = Number(process.env.COMMONS_SWEEP_LOAD_RUNS ?? 40);

test(`${runs} tiny runs through 4 workers: none lost, none duplicated, queue overhead measured`, { skip: redisMissing ?? false }, async (t) => {
  const r = await runLoad({ runs, workers: 4, steps: 100 });
  t.diagnostic(`${r.runs} runs in ${r.wallSeconds.toFixed(1)} s; per run: queue ${r.queueMs.toFixed(0)} ms, process ${r.processMs.toFixed(0)} ms, training ${r.trainMs.toFixed(0)} ms; ` +
    `workers' memory ${r.rssQuarterMb.toFixed(0)} MB after a quarter of the runs, ${r.rssEndMb.toFixed(0)} MB at the end`);
  assert.equal(r.completed, runs);
  assert.equal(r.failed, 0);
  assert.deepEqual(r.notOnce, [], 'every run trained exactly once (one start, one done)');
  assert.deepEqual(r.missing, [], 'every run has its summary');
  assert.equal(Object.keys(r.perWorker).length, 4, `every worker took runs: ${JSON.stringify(r.perWorker)}`);
  assert.equal(Object.values(r.perWorker).reduce((a, b) => a + b, 0), runs);
  // The queue's share is small beside a run's own process start-up: a generous bound for a loaded machine.
  assert.ok(r.queueMs < 500, `queue overhead per run ${r.queueMs} ms`);
  assert.ok(r.queueMs < r.processMs, 'the queue costs less than starting the run\'s process');
  // the workers hold nothing per run: their memory stays flat while the runs go through
  assert.ok(r.rssEndMb < r.rssQuarterMb * 1.3 + 20, `workers' memory ${r.rssQuarterMb.toFixed(0)} MB -> ${r.rssEndMb.toFixed(0)} MB`);
});

// Data-parallel training over Node worker_threads: one worker replays a run without workers exactly,
// W workers are reproducible and keep identical replicas, the exchange in shared memory trains bit for bit
// as the exchange through the main thread did, resumes match, and a failing worker (also one killed in the
// middle of the exchange) stops the run with an error naming it, leaves the last checkpoint intact and
// leaves no thread behind.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainer, resumeTrainer } from '../src/hosting/run-dir.ts';
import { loadCheckpoint } from '../src/hosting/checkpoint.ts';
import type { MetricsRow } from '../src/learn/trainer.ts';
import type { WorkerGroup } from '../src/parallel/group.ts';
import { resolveTrainConfig, type TrainConfig } from '../src/learn/config.ts';
import { Shard } from '../src/learn/shard.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'commons-parallel-'));
const BASE: Partial<TrainConfig> = { game: 'harvest', agents: 2, envs: 4, rolloutSteps: 10, episodeLength: 40, viewRadius: 2, reportEvery: 80, seed: 5 };
/** A metrics line without its wall-clock fields. */
const strip = ({ timing: _t, ...row }: MetricsRow) => row;

/** Runs `f` with COMMONS_EXCHANGE set to `mode` (run-dir.ts reads it when it starts workers). */
async function withExchange<T>(mode: 'shared' | 'main-thread', f: () => Promise<T>): Promise<T> {
  const before = process.env.COMMONS_EXCHANGE;
  process.env.COMMONS_EXCHANGE = mode;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.COMMONS_EXCHANGE;
    else process.env.COMMONS_EXCHANGE = before;
  }
}

async function metrics(cfg: Partial<TrainConfig>, dir?: string, exchange?: 'shared' | 'main-thread'): Promise<Omit<MetricsRow, 'timing'>[]> {
  const t = await createTrainer(cfg, dir);
  if (exchange) assert.equal((t.group as WorkerGroup).exchange, exchange);
  const rows: MetricsRow[] = [];
  try {
    await t.run({ onReport: (r) => rows.push(r) });
  } finally {
    await t.close();
  }
  return rows.map(strip);
}

/** Open message ports in this process: each live worker thread holds one. */
const liveWorkers = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

describe('data-parallel training in worker threads', () => {
  test('one worker writes exactly the metrics of a run without workers', async () => {
    const cfg = { ...BASE, steps: 160 };
    const inThread = await metrics({ ...cfg, workers: 0 });
    const oneWorker = await metrics({ ...cfg, workers: 1 });
    assert.equal(inThread.length, 2);
    assert.deepEqual(oneWorker, inThread);
  });

  test('two workers: the same seed gives the same run, and both replicas hold the same weights', async () => {
    const cfg = { ...BASE, steps: 160, workers: 2 };
    const dir = tmp();
    const a = await metrics(cfg, dir);
    const b = await metrics(cfg);
    assert.equal(a.length, 2);
    assert.deepEqual(b, a);
    assert.ok(a[1].episodes === 4 && a[1].collective_return !== null, 'all four envs (two per worker) finished episodes');
    const ck = loadCheckpoint(dir);
    const weights = ck.tensors.filter((t) => /^w\/\d+$/.test(t.name));
    assert.ok(weights.length > 0);
    for (const w of weights) {
      const twin = ck.tensors.find((t) => t.name === `shard1/${w.name}`);
      assert.ok(twin, `shard1/${w.name} is saved`);
      assert.deepEqual(Array.from(twin.data), Array.from(w.data), `${w.name}: worker 1's replica equals worker 0's`);
    }
    // The workers' environments are envs 0-1 and 2-3 of the whole batch, not copies of each other.
    const half = ck.env.length / 2;
    assert.notDeepEqual(Array.from(ck.env.subarray(0, half)), Array.from(ck.env.subarray(half)));
  });

  test("the learner's side of the exchange (gradients flattened out of the backend into shared memory, averages back) changes nothing when the average is its own gradient", async () => {
    const cfg = resolveTrainConfig({ ...BASE, model: 'influence-moa', agents: 3 });
    const plain = await Shard.create(cfg), exchanged = await Shard.create(cfg);
    try {
      let calls = 0;
      exchanged.learner.reducer = {
        input: (total) => new Float32Array(new SharedArrayBuffer(total * 4)),
        reduce: async (grads) => { calls++; return grads; },
      };
      for (let k = 0; k < 3; k++) assert.deepEqual(await exchanged.iterate(k * 40), await plain.iterate(k * 40), `update ${k}`);
      assert.equal(calls, 3);
      const [a, b] = [await plain.saveState(), await exchanged.saveState()];
      a.tensors.forEach((t, i) => assert.deepEqual(b.tensors[i].data, t.data, t.name));
    } finally {
      plain.dispose();
      exchanged.dispose();
    }
  });

  test('the exchange in shared memory trains bit for bit as the exchange through the main thread (A2C and PPO, 2 and 3 workers)', async () => {
    for (const [algo, workers, envs] of [['a2c', 2, 4], ['ppo', 2, 4], ['a2c', 3, 6]] as const) {
      const cfg = { ...BASE, algo, workers, envs, minibatches: 2, epochs: 2, steps: 160 };
      const dirShared = tmp(), dirMain = tmp();
      const shared = await metrics(cfg, dirShared, 'shared');
      const main = await withExchange('main-thread', () => metrics(cfg, dirMain, 'main-thread'));
      assert.ok(shared.length >= 2);
      assert.deepEqual(shared, main, `${algo}, ${workers} workers: metrics`);
      // Weights and optimiser state of every replica, bit for bit.
      const a = loadCheckpoint(dirShared).tensors, b = loadCheckpoint(dirMain).tensors;
      assert.deepEqual(a.map((t) => t.name), b.map((t) => t.name));
      assert.ok(a.some((t) => t.name === `shard${workers - 1}/opt/0/0`), 'every replica and its optimiser are saved');
      a.forEach((t, i) => assert.deepEqual(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
        new Uint32Array(b[i].data.buffer, b[i].data.byteOffset, b[i].data.length), `${algo}, ${workers} workers: ${t.name}`));
    }
  });

  for (const algo of ['a2c', 'ppo'] as const) {
    test(`${algo}: a run with two workers resumed from its checkpoint writes the same metrics as one that never stopped`, async () => {
      const cfg = { ...BASE, algo, workers: 2, minibatches: 2, epochs: 2, checkpointEvery: 80 };
      const whole = await metrics({ ...cfg, steps: 240 });
      const dir = tmp();
      await metrics({ ...cfg, steps: 80 }, dir);
      const t = await resumeTrainer(dir, { steps: 240 });
      const rows: MetricsRow[] = [];
      try {
        await t.run({ onReport: (r) => rows.push(r) });
      } finally {
        await t.close();
      }
      assert.deepEqual(rows.map(strip), whole.slice(1));
    });
  }

  test('the influence models train over workers', async () => {
    for (const model of ['influence', 'influence-comm', 'influence-moa'] as const) {
      const rows = await metrics({ ...BASE, agents: 3, model, steps: 160, workers: 2, influenceStart: 0, influenceEnd: 80 });
      assert.equal(rows.length, 2, model);
      assert.ok(Number.isFinite(rows[1].policy_loss), model);
      assert.ok(rows[1].influence && rows[1].influence.matrix.length === 3, `${model} reports its influence matrix`);
    }
  });

  test('workers must divide envs, and PPO minibatches must divide each worker\'s envs', async () => {
    await assert.rejects(createTrainer({ ...BASE, workers: 3 }), /workers: each worker steps an equal share of the environments; workers must divide envs \(4\), got 3/);
    await assert.rejects(createTrainer({ ...BASE, algo: 'ppo', workers: 4, minibatches: 2 }), /minibatches: PPO splits each worker's 1 environments/);
    await assert.rejects(createTrainer({ ...BASE, workers: -1 }), /workers: expected an integer from 0 to 64/);
  });

  for (const [fault, cause] of [['throw', /worker 1 failed: injected fault/], ['exit', /worker 1 failed: the thread exited \(code 3\)/]] as const) {
    test(`a worker that ${fault === 'throw' ? 'throws' : 'dies'} stops the run with its name and cause; the last checkpoint stays; no thread is left`, async () => {
      const dir = tmp();
      const before = liveWorkers();
      const t = await createTrainer({ ...BASE, steps: 400, workers: 2, checkpointEvery: 80 }, dir);
      let iterations = 0, during = 0;
      await assert.rejects(t.run({
        onProgress: () => {
          during = liveWorkers();
          if (++iterations === 9) void (t.group as WorkerGroup).fault(1, fault);
        },
      }), cause);
      await t.close();
      assert.equal(loadCheckpoint(dir).manifest.id, 'step-000000000320', 'the checkpoint before the failure loads');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(during, before + 2, 'two worker threads ran');
      assert.equal(liveWorkers(), before, 'every worker thread is gone');
    });
  }

  test('a worker killed in the middle of the exchange stops the run (no worker is left waiting); the last checkpoint loads and the run resumes exactly', { timeout: 300_000 }, async () => {
    const cfg = { ...BASE, workers: 2, checkpointEvery: 80, steps: 400 };
    const whole = await metrics(cfg);
    const dir = tmp();
    const before = liveWorkers();
    const t = await createTrainer(cfg, dir);
    assert.equal((t.group as WorkerGroup).exchange, 'shared');
    let iterations = 0;
    // After update 5 (200 env steps; checkpoint 160 saved), worker 1 writes its gradient of update 6 and
    // exits before summing its slice: worker 0 waits for that slice until the group aborts the exchange.
    await assert.rejects(t.run({
      onProgress: () => { if (++iterations === 5) void (t.group as WorkerGroup).fault(1, 'exit-in-exchange'); },
    }), /^WorkerError: worker 1 failed: the thread exited \(code 3\)$/m);
    assert.equal(iterations, 5, 'no update finished after the fault');
    await t.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(liveWorkers(), before, 'every worker thread is gone');
    assert.equal(loadCheckpoint(dir).manifest.id, 'step-000000000160', 'the checkpoint before the failure loads');
    const resumed = await resumeTrainer(dir, {});
    const rows: MetricsRow[] = [];
    try {
      await resumed.run({ onReport: (r) => rows.push(r) });
    } finally {
      await resumed.close();
    }
    assert.deepEqual(rows.map(strip), whole.slice(2), 'the resumed run writes the metrics of one that never failed');
  });
});

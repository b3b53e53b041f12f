// Where a training update's time goes, per tfjs kernel: wraps every kernel registered for the active
// backend with a timer, runs a few updates of `commons bench train`'s configuration, and prints a table
// (calls, total ms, ms per update) sorted by time. A developer tool, not part of the package:
//   node --import tsx scripts/profile-train.ts [--model a2c] [--algo a2c] [--envs 16] [--updates 5] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { createTrainer } from '../src/hosting/run-dir.ts';
import type { TrainConfig } from '../src/learn/config.ts';

const { values } = parseArgs({ options: {
  model: { type: 'string', default: 'a2c' }, algo: { type: 'string', default: 'a2c' }, envs: { type: 'string', default: '16' },
  updates: { type: 'string', default: '5' }, backend: { type: 'string', default: 'wasm' }, game: { type: 'string', default: 'cleanup' },
} });
const cfg = { game: values.game, model: values.model, algo: values.algo, envs: Number(values.envs), agents: 5, steps: 1e12, backend: values.backend } as Partial<TrainConfig>;
const trainer = await createTrainer(cfg);
for (let k = 0; k < 2; k++) await trainer.iterate();
const backend = tf.getBackend();
const totals = new Map<string, { calls: number; ms: number }>();
let depth = 0;
for (const k of tf.getKernelsForBackend(backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({ ...k, kernelFunc: (args) => {
    if (depth > 0) return inner(args);
    depth++;
    const t0 = performance.now();
    try { return inner(args); } finally {
      depth--;
      const e = totals.get(k.kernelName) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += performance.now() - t0;
      totals.set(k.kernelName, e);
    }
  } });
}
const updates = Number(values.updates);
const shard = trainer.local;
const before = { ...shard.time };
const t0 = performance.now();
for (let k = 0; k < updates; k++) await trainer.iterate();
const wall = performance.now() - t0;
const kernelMs = [...totals.values()].reduce((a, e) => a + e.ms, 0);
const calls = [...totals.values()].reduce((a, e) => a + e.calls, 0);
console.log(`${values.model}/${values.algo}, ${cfg.envs} envs x 5 agents on ${backend}: ${(wall / updates).toFixed(1)} ms per update ` +
  `(inference ${((shard.time.inference - before.inference) * 1000 / updates).toFixed(1)}, update ${((shard.time.update - before.update) * 1000 / updates).toFixed(1)}, ` +
  `env ${((shard.time.env - before.env) * 1000 / updates).toFixed(1)}); kernels ${(kernelMs / updates).toFixed(1)} ms in ${Math.round(calls / updates)} calls per update`);
console.log('kernel'.padEnd(28), 'calls/upd'.padStart(10), 'ms/upd'.padStart(9), 'us/call'.padStart(9));
for (const [name, e] of [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
  console.log(name.padEnd(28), (e.calls / updates).toFixed(0).padStart(10), (e.ms / updates).toFixed(2).padStart(9), (1000 * e.ms / e.calls).toFixed(1).padStart(9));
}
await trainer.close();

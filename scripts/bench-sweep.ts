// Queue load and overhead: N tiny runs through W `commons worker` processes on a real redis-server
// (started here on a free port). Checks that no run is lost or trained twice and prints, per run, the
// queue's overhead, the child process's overhead and the training time (test/sweep-load.ts).
// Run: npm run bench:sweep [-- --runs 200 --workers 4 --steps 200]   (needs npm run build and redis-server)

import { availableParallelism, cpus } from 'node:os';
import { runLoad } from '../test/sweep-load.ts';
import { redisMissing } from '../test/sweep-helpers.ts';

const args = process.argv.slice(2);
const flag = (k: string, d: number) => {
  const i = args.indexOf(`--${k}`);
  if (i < 0) return d;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) { console.error(`bench-sweep: --${k}: expected a positive integer, got '${args[i + 1]}'`); process.exit(2); }
  return v;
};
if (redisMissing) { console.error(`bench-sweep: ${redisMissing}`); process.exit(1); }
const opts = { runs: flag('runs', 200), workers: flag('workers', 4), steps: flag('steps', 200) };
const r = await runLoad({ ...opts, log: (s) => console.log(`# ${s}`) });
const ms = (x: number) => `${Math.round(x)} ms`;
console.log(JSON.stringify(r));
console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${r.runs} runs of ${r.steps} env steps through ${r.workers} workers in ${r.wallSeconds.toFixed(1)} s (${r.throughput.toFixed(2)} runs/s): ` +
  `${r.completed} completed, ${r.failed} failed, ${r.notOnce.length} not trained exactly once, ${r.missing.length} without a summary`);
console.log(`per run: queue overhead ${ms(r.queueMs)}, process overhead ${ms(r.processMs)} (of which ${ms(r.startupMs)} until the trainer is ready), training ${ms(r.trainMs)}`);
console.log(`runs per worker: ${Object.values(r.perWorker).join(', ')}; workers' memory (sum): ${r.rssQuarterMb.toFixed(0)} MB after a quarter of the runs, ${r.rssEndMb.toFixed(0)} MB at the end`);
if (r.completed !== r.runs || r.failed || r.notOnce.length || r.missing.length) process.exit(1);

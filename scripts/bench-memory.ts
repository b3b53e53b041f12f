// npm run bench:memory -- [--updates 1000,10000] [--workers 2] [--model a2c]: the memory of a long run with
// workers, in one process: RSS (main thread and workers together) and the main thread's external memory
// and heap after each count of updates, garbage collected first. A tiny configuration (Harvest, 2 agents,
// 4 envs, view radius 2, 5-step rollouts: ~87k parameters per agent) makes 10,000 updates take minutes.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTrainer } from '../src/hosting/run-dir.ts';
import { WorkerGroup } from '../src/parallel/group.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const { values } = parseArgs({ options: { updates: { type: 'string', default: '1000,10000' }, workers: { type: 'string', default: '2' }, model: { type: 'string', default: 'a2c' } } });
const marks = values.updates.split(',').map(Number).sort((a, b) => a - b);
const t = await createTrainer({
  game: 'harvest', model: values.model as 'a2c', agents: 2, envs: 4, episodeLength: 50, viewRadius: 2, rolloutSteps: 5, steps: 1e12,
  workers: Number(values.workers),
});
if (t.group instanceof WorkerGroup) console.log(JSON.stringify({ workers: t.group.size, exchange: t.group.exchange }));
const mib = (x: number) => +(x / 2 ** 20).toFixed(1);
const sample = async (updates: number) => {
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ updates, rss_mib: mib(m.rss), external_mib: mib(m.external), heap_used_mib: mib(m.heapUsed), seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
};
const t0 = performance.now();
let done = 0;
await sample(0);
for (const mark of marks) {
  while (done < mark) { await t.iterate(); done++; }
  await sample(done);
}
await t.close();

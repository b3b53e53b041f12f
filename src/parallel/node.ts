// Node workers: worker_threads serving ShardApi through Comlink's node adapter. tfjs-wasm has no
// threads in Node, so workers are how training uses several cores here.

import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ShardApi } from './protocol.ts';
import { spawnAll, type WorkerLink } from './group.ts';

/**
 * The worker entry: dist/shard-worker.js beside a bundle (the CLI, the library), or, when running from
 * the TypeScript sources (tests, tsx), worker-node.ts behind a bootstrap that registers tsx in the thread.
 */
export function workerEntry(): { url: URL; workerData?: unknown } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { url: new URL('./tsx-boot.mjs', here), workerData: { entry: new URL('./worker-node.ts', here).href } };
  }
  for (const rel of ['./shard-worker.js', '../shard-worker.js']) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return { url };
  }
  throw new Error(`workers: shard-worker.js is missing beside ${fileURLToPath(here)} (run npm run build)`);
}

/** Starts one worker and waits for its ready signal (a worker loading WebAssembly can miss early messages). */
function spawnOne(index: number): Promise<WorkerLink> {
  const entry = workerEntry();
  const worker = new Worker(entry.url, { workerData: entry.workerData, name: `commons-worker-${index}` });
  let terminating = false;
  const died = new Promise<never>((_, reject) => {
    worker.on('error', (e) => reject(e));
    worker.on('exit', (code) => reject(new Error(terminating ? 'terminated' : `the thread exited (code ${code})`)));
  });
  died.catch(() => {});
  return new Promise<WorkerLink>((resolve, reject) => {
    const onReady = (m: unknown) => {
      if (m !== 'ready') return;
      worker.off('message', onReady);
      resolve({
        api: Comlink.wrap<ShardApi>(nodeEndpoint(worker)),
        died,
        async terminate() {
          terminating = true;
          await worker.terminate();
        },
      });
    };
    worker.on('message', onReady);
    died.catch((e) => reject(new Error(`worker ${index} failed to start: ${(e as Error).message}`)));
  });
}

/** Starts `count` workers; if any fails to start, stops the others. */
export function spawnNodeWorkers(count: number): Promise<WorkerLink[]> {
  return spawnAll(count, spawnOne);
}



// Browser workers: module Web Workers serving ShardApi through Comlink.

import * as Comlink from 'comlink';
import type { ShardApi } from './protocol.ts';
import type { WorkerLink } from './group.ts';

/** Starts one module worker from `url` and waits for its ready signal (a module worker whose imports use
 * top-level await can lose messages sent before it runs). */
export function spawnBrowserWorker(url: URL, index: number): Promise<WorkerLink> {
  const worker = new Worker(url, { type: 'module', name: `commons-worker-${index}` });
  let terminated = false;
  const died = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      reject(new Error(ev.message || `the worker script ${url.href} failed to load or threw outside a call`));
    });
    worker.addEventListener('messageerror', () => reject(new Error('a message from the worker could not be read')));
  });
  died.catch(() => {});
  return new Promise<WorkerLink>((resolve, reject) => {
    const onReady = (ev: MessageEvent) => {
      if (ev.data !== 'ready') return;
      worker.removeEventListener('message', onReady);
      resolve({
        api: Comlink.wrap<ShardApi>(worker),
        died,
        terminate() {
          if (terminated) return;
          terminated = true;
          worker.terminate();
        },
      });
    };
    worker.addEventListener('message', onReady);
    died.catch((e) => {
      worker.terminate();
      reject(new Error(`worker ${index} failed to start: ${(e as Error).message}`));
    });
  });
}

/** Starts `count` workers; if any fails to start, stops the others. */
export async function spawnBrowserWorkers(url: URL, count: number): Promise<WorkerLink[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => spawnBrowserWorker(url, i)));
  const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) {
    for (const s of started) if (s.status === 'fulfilled') s.value.terminate();
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<WorkerLink>).value);
}

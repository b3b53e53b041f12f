// Browser workers: module Web Workers serving ShardApi through Comlink.

import * as Comlink from 'comlink';
import type { ShardApi } from './protocol.ts';
import { spawnAll, type WorkerLink } from './group.ts';

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
export function spawnBrowserWorkers(url: URL, count: number): Promise<WorkerLink[]> {
  return spawnAll(count, (i) => spawnBrowserWorker(url, i));
}

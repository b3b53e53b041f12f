// Playback of a checkpoint in a module Web Worker: the light part of the web app's session API, which the
// page loads at once (the gallery's first agent plays as the page opens); training (./session.ts, with
// tfjs on the page's side) is imported only when a session starts.

import * as Comlink from 'comlink';
import type { CheckpointManifest } from '../learn/checkpoint-format.ts';
import type { ShardApi } from '../parallel/protocol.ts';
import { orDeath, type WorkerLink } from '../parallel/group.ts';
import { spawnBrowserWorker } from '../parallel/browser.ts';
import type { PlayStep } from '../parallel/protocol.ts';

/** The worker bundle and the tfjs .wasm files sit beside the page's bundle. */
export const WORKER_URL = new URL('./worker.js', import.meta.url);
export const ASSETS = new URL('./', import.meta.url).href;

export interface Player {
  readonly manifest: CheckpointManifest;
  /** Advances `n` steps with the checkpoint's policy (sampling) and returns the frame after them. */
  step(n: number, agent: number): Promise<PlayStep>;
  dispose(): void;
}

export type PlayerFiles = { name: string; bytes: Uint8Array }[];

/** A performance mark 'commons:NAME' (the first-frame benchmark reads where the time goes), once per page. */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && performance.getEntriesByName(`commons:${name}`).length === 0) performance.mark(`commons:${name}`);
}

/** Starts a player's worker (before its files are at hand: see loadPlayer's `worker`); the one index.html's
 * inline script started, when there is one not yet taken. */
export function startPlayerWorker(): Promise<WorkerLink> {
  return adoptEarlyWorker() ?? spawnBrowserWorker(WORKER_URL, 0);
}

interface EarlyWorker { worker: Worker; ready: Promise<void>; failed: Promise<string> }

/** The worker index.html started before the page's scripts loaded, as a WorkerLink (once); null if none. The
 * same link spawnBrowserWorker makes, for a worker whose 'ready' the inline script has been waiting for. */
function adoptEarlyWorker(): Promise<WorkerLink> | null {
  const g = globalThis as { __commonsEarlyPlayer?: EarlyWorker };
  const early = g.__commonsEarlyPlayer;
  if (!early) return null;
  delete g.__commonsEarlyPlayer;
  const died = early.failed.then((why) => { throw new Error(why); }) as Promise<never>;
  died.catch(() => {});
  let terminated = false;
  const link: WorkerLink = {
    api: Comlink.wrap<ShardApi>(early.worker),
    died,
    terminate() {
      if (terminated) return;
      terminated = true;
      early.worker.terminate();
    },
  };
  return Promise.race([early.ready.then(() => link), died.catch((e: Error) => {
    link.terminate();
    throw new Error(`the player's worker failed to start: ${e.message}`);
  })]);
}

/** Loads a checkpoint (a .tar archive, or the files manifest.json + tensors.bin [+ env.bin] of a checkpoint
 * directory) and plays it in a worker (a new one, or `opts.worker` started earlier). Rejects with a clear
 * message for anything else. */
export async function loadPlayer(files: PlayerFiles | Promise<PlayerFiles>, opts: { seed?: number; worker?: Promise<WorkerLink> } = {}): Promise<Player> {
  // The worker starts while the files are still on their way (the gallery fetches them meanwhile).
  const [link, list] = await Promise.all([
    (opts.worker ?? startPlayerWorker()).then((l) => { mark('player-worker-ready'); return l; }),
    Promise.resolve(files).then((f) => { mark('player-files'); return f; }).catch((e: unknown) => ({ error: e })),
  ]);
  try {
    if ('error' in list) throw list.error;
    const manifest = await orDeath(link.api.loadPlayer(list, { wasmPaths: ASSETS, seed: opts.seed }), link.died);
    mark('player-loaded');
    return {
      manifest,
      step: (n, agent) => orDeath(link.api.playStep(n, agent), link.died),
      dispose: () => link.terminate(),
    };
  } catch (e) {
    link.terminate();
    throw e;
  }
}

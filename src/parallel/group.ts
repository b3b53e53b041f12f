// The trainer's side of data-parallel training: W workers, one environment shard each. Every update,
// each worker computes gradients on its own rollout; the workers average them in worker order among
// themselves, in shared memory (./exchange.ts), and each applies the average, so the replicas stay
// identical and a run is a function of its seed and worker count. The group only coordinates: it starts
// each update, gathers the statistics, saves and loads states, and aborts the exchange when a worker fails.
// Where memory cannot be shared (a browser page that is not cross-origin isolated), the gradients go
// through this thread instead, averaged with the same arithmetic. Platform-neutral: node.ts and browser.ts
// spawn the workers.

import * as Comlink from 'comlink';
import type { TrainConfig } from '../learn/config.ts';
import type { UpdateStats } from '../learn/learner.ts';
import type { ShardState } from '../learn/shard.ts';
import type { ShardGroup } from '../learn/trainer.ts';
import type { WindowState } from '../learn/window.ts';
import type { ShardApi, ShardEvent, Frame, WorkerInit, FaultKind } from './protocol.ts';
import { abortSharedExchange, canShareMemory, createSharedExchange, type ExchangeTime } from './exchange.ts';

/** Where the workers average their gradients: in shared memory among themselves, or through this thread. */
export type ExchangeMode = 'shared' | 'main-thread';

/** A started worker: its API, a promise that rejects when it dies, and a way to stop it. */
export interface WorkerLink {
  api: Comlink.Remote<ShardApi>;
  /** Rejects with the cause when the worker exits or fails outside a call (never resolves). */
  died: Promise<never>;
  /** Stops the worker; resolves once it is gone. */
  terminate(): Promise<void> | void;
}

/** The pending calls of each worker, to be rejected when it dies (see orDeath). */
const pendingByDeath = new WeakMap<Promise<never>, { failure?: { cause: unknown }; pending: Set<(cause: unknown) => void> }>();

/**
 * `call`, or the worker's death if that comes first. Not Promise.race([call, died]): `died` settles only
 * if the worker dies, and each race leaves a reaction on it that keeps the race's answer reachable for
 * as long as the worker lives. Every update's gradients stayed in memory that way (~2 MB per update with
 * the paper's network; node issue #17469 describes the pattern). Here a call waits in a set it leaves
 * when it settles.
 */
export function orDeath<T>(call: Promise<T>, died: Promise<never>): Promise<T> {
  let watch = pendingByDeath.get(died);
  if (!watch) {
    const w: { failure?: { cause: unknown }; pending: Set<(cause: unknown) => void> } = { pending: new Set() };
    died.catch((cause) => {
      w.failure = { cause };
      for (const reject of w.pending) reject(cause);
      w.pending.clear();
    });
    pendingByDeath.set(died, w);
    watch = w;
  }
  const w = watch;
  if (w.failure) return Promise.reject(w.failure.cause);
  return new Promise<T>((resolve, reject) => {
    w.pending.add(reject);
    call.then(
      (v) => { w.pending.delete(reject); resolve(v); },
      (e) => { w.pending.delete(reject); reject(e); },
    );
  });
}

/** Starts `count` workers with `spawn`; if any fails to start, stops the others (waiting for them) and
 * rethrows its error. Node and browser spawning share this. */
export async function spawnAll(count: number, spawn: (index: number) => Promise<WorkerLink>): Promise<WorkerLink[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => spawn(i)));
  const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.terminate() : undefined)));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<WorkerLink>).value);
}

/** A worker's failure: names the worker and the cause. */
export class WorkerError extends Error {
  constructor(readonly worker: number, cause: unknown) {
    super(`worker ${worker} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'WorkerError';
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n  caused by ${cause.stack}`;
  }
}

export class WorkerGroup implements ShardGroup {
  private closed = false;
  private backendName = '';
  /** The shared exchange's buffer (W > 1 and memory shared), else undefined. */
  private shared?: SharedArrayBuffer;

  private constructor(private readonly links: WorkerLink[]) {
    // A worker that dies (or a call that fails, see all()) must not leave the others waiting in the exchange.
    for (const l of links) l.died.catch(() => this.abort());
  }

  get size(): number { return this.links.length; }
  get backend(): string { return this.backendName; }
  /** How the workers exchange gradients (one worker exchanges nothing: 'shared'). */
  get exchange(): ExchangeMode { return this.shared || this.links.length === 1 ? 'shared' : 'main-thread'; }

  /**
   * Builds shard i of cfg.workers in worker i and, with several workers, the exchange: in shared memory where
   * this thread can share it (`exchange` forces one or the other); on any failure stops every worker and rethrows.
   */
  static async start(cfg: TrainConfig, links: WorkerLink[], init: WorkerInit = {}, opts: { exchange?: ExchangeMode } = {}): Promise<WorkerGroup> {
    const group = new WorkerGroup(links);
    try {
      const answers = await group.all((api, i) => api.init(cfg, i, links.length, init));
      group.backendName = answers[0].backend;
      const params = answers[0].params;
      answers.forEach((a, i) => {
        if (a.params !== params) throw new WorkerError(i, `its networks have ${a.params} parameters, worker 0's ${params}`);
      });
      const mode = opts.exchange ?? (canShareMemory() ? 'shared' : 'main-thread');
      if (links.length > 1 && mode === 'shared') {
        if (!canShareMemory()) throw new Error('workers: this page cannot share memory with its workers (it is not cross-origin isolated)');
        const buffer = createSharedExchange(links.length, params);
        await group.all((api) => api.share(buffer));
        group.shared = buffer;
      }
      return group;
    } catch (e) {
      await group.close();
      throw e;
    }
  }

  /** Makes every worker waiting in the shared exchange give up (a worker failed). */
  private abort(): void {
    if (this.shared) abortSharedExchange(this.shared);
  }

  /** Calls every worker at once; the first failure (a call that throws, or a worker that dies) names its worker. */
  private all<T>(call: (api: Comlink.Remote<ShardApi>, i: number) => Promise<T>): Promise<T[]> {
    if (this.closed) return Promise.reject(new Error('workers: the group is closed'));
    return Promise.all(this.links.map((l, i) =>
      orDeath(call(l.api, i), l.died).catch((e) => {
        this.abort();
        throw e instanceof WorkerError ? e : new WorkerError(i, e);
      })));
  }

  async iterate(envSteps: number): Promise<UpdateStats> {
    let events: ShardEvent[] = await this.all<ShardEvent>((api) => api.start(envSteps));
    while (events[0].kind === 'gradient') {
      const first = events[0];
      const grads = events.map((e, i) => {
        if (e.kind !== 'gradient' || e.step !== first.step || e.grads.length !== first.grads.length) {
          throw new WorkerError(i, 'its update went out of step with worker 0 (replicas differ)');
        }
        return e.grads;
      });
      // The shared exchange (./exchange.ts) does exactly this, slice by slice.
      const mean = grads[0];
      for (let w = 1; w < grads.length; w++) {
        const g = grads[w];
        for (let k = 0; k < mean.length; k++) mean[k] += g[k];
      }
      if (grads.length > 1) for (let k = 0; k < mean.length; k++) mean[k] /= grads.length;
      events = await this.all<ShardEvent>((api, i) => {
        const copy = i === this.links.length - 1 ? mean : mean.slice();
        return api.reduce(Comlink.transfer(copy, [copy.buffer]));
      });
    }
    return mergeStats(events.map((e, i) => {
      if (e.kind !== 'done') throw new WorkerError(i, 'its update went out of step with worker 0 (replicas differ)');
      return e.stats;
    }));
  }

  /** Time each worker spent in the shared exchange so far (empty without it). */
  async exchangeTimes(): Promise<ExchangeTime[]> {
    if (!this.shared) return [];
    return (await this.all((api) => api.exchangeTime())).map((t) => t!);
  }

  takeWindows(): Promise<WindowState[]> {
    return this.all((api) => api.takeWindow());
  }

  saveStates(): Promise<ShardState[]> {
    return this.all((api) => api.saveState());
  }

  async loadStates(states: ShardState[]): Promise<void> {
    await this.all((api, i) => api.loadState(states[i]));
  }

  /** Worker 0's picture of its env 0. */
  async frame(agent: number): Promise<Frame> {
    return orDeath(this.links[0].api.frame(agent), this.links[0].died);
  }

  /** Test hook: injects a fault into worker i. */
  fault(i: number, kind: FaultKind): Promise<void> {
    return this.links[i].api.fault(kind);
  }

  /** Stops every worker and resolves once all are gone (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.links.map((l) => {
      l.died.catch(() => {});
      try {
        l.api[Comlink.releaseProxy]();
      } catch { /* already gone */ }
      return l.terminate();
    }));
  }
}

/** Update statistics over workers: losses averaged, MOA counts summed. */
function mergeStats(all: UpdateStats[]): UpdateStats {
  const mean = (f: (s: UpdateStats) => number) => all.reduce((a, s) => a + f(s), 0) / all.length;
  const out: UpdateStats = {
    policyLoss: mean((s) => s.policyLoss), valueLoss: mean((s) => s.valueLoss), entropy: mean((s) => s.entropy), gradNorm: mean((s) => s.gradNorm),
  };
  if (all[0].moaLoss !== undefined) {
    Object.assign(out, {
      moaLoss: mean((s) => s.moaLoss ?? 0),
      moaCorrect: all.reduce((a, s) => a + (s.moaCorrect ?? 0), 0),
      moaCounted: all.reduce((a, s) => a + (s.moaCounted ?? 0), 0),
      ...(all[0].moaTargets ? { moaTargets: all[0].moaTargets.map((_, k) => all.reduce((a, s) => a + (s.moaTargets?.[k] ?? 0), 0)) } : {}),
    });
  }
  return out;
}

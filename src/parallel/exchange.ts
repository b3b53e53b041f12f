// The gradient exchange in shared memory: W workers average their gradients in one SharedArrayBuffer,
// with no hop through the main thread. Every exchange (one per A2C update, one per PPO minibatch):
//
//   1. each worker writes its gradient (every variable's, flattened in the learner's order) into its slot;
//   2. barrier: every slot is written;
//   3. worker w sums slice w of every slot, in worker order 0, 1, ..., W-1, then divides by W, into `mean`;
//   4. barrier: every slice is summed; each worker reads the whole mean and applies it to its replica.
//
// Two barriers suffice: a worker writes its next gradient (step 1 of the next exchange) only after it has
// read this mean, and the mean is overwritten only after every worker has written its next gradient.
// The arithmetic is the one the main thread did before (float32 running sum in worker order, then one
// division), element by element, so the average is bit-identical to it and a run stays a function of its
// seed and W. Only the element ranges summed by each worker differ, which changes no result.
//
// Workers block in Atomics.wait (allowed in Node worker_threads and browser dedicated workers). The main
// thread never waits: it only aborts an exchange when a worker fails (abortSharedExchange), which wakes
// every waiting worker with an ExchangeAborted error instead of leaving it blocked for good.
//
// Layout of the buffer (byte offsets; every region starts on a 64-byte line, so workers writing their
// own slot never share a cache line):
//   [0, 64 + 4W)      control words, Int32: COUNT (arrivals at the barrier), GEN (barrier generation),
//                     ABORT (set by the main thread), then one word per worker: its exchange sequence number
//   slot w            W regions of P float32 (P rounded up to 16 values), worker w's gradient
//   mean              P float32, the average

import type { GradientReducer } from '../learn/learner.ts';

const COUNT = 0, GEN = 1, ABORT = 2, SEQ = 16;
/** Float32 values per 64-byte line. */
const LINE = 16;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Where the regions of a buffer for `workers` workers and `params` values lie (offsets in bytes). */
function layout(workers: number, params: number) {
  const header = roundUp((SEQ + workers) * 4, 64);
  const stride = roundUp(params, LINE) * 4;
  return { header, stride, mean: header + workers * stride, bytes: header + (workers + 1) * stride };
}

/** The shared buffer for `workers` workers exchanging `params` gradient values each. */
export function createSharedExchange(workers: number, params: number): SharedArrayBuffer {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`exchange: workers must be a positive integer, got ${workers}`);
  if (!Number.isInteger(params) || params < 1) throw new Error(`exchange: params must be a positive integer, got ${params}`);
  return new SharedArrayBuffer(layout(workers, params).bytes);
}

/** Whether this thread can share memory with workers (a browser page must be cross-origin isolated). */
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && g.crossOriginIsolated !== false;
}

/** Main thread: makes every worker waiting in (or arriving at) the exchange throw ExchangeAborted. Used when a
 * worker fails, so that the others do not wait for it forever. Idempotent. */
export function abortSharedExchange(buffer: SharedArrayBuffer): void {
  const ctl = new Int32Array(buffer, 0, SEQ);
  Atomics.store(ctl, ABORT, 1);
  // Waiters sleep while GEN is unchanged: moving it wakes them even if they went to sleep after the store.
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
}

/** A worker's exchange stopped because another worker (or the run) failed. */
export class ExchangeAborted extends Error {
  constructor() {
    super('the gradient exchange was aborted (another worker failed)');
    this.name = 'ExchangeAborted';
  }
}

/** Seconds spent in the exchange by one worker: waiting at the barriers, and summing its slice (with the copies). */
export interface ExchangeTime { wait: number; reduce: number; exchanges: number }

const now = () => performance.now() / 1000;

/** Worker `index`'s side of the exchange: what its learner's reducer calls. */
export class SharedExchange implements GradientReducer {
  readonly time: ExchangeTime = { wait: 0, reduce: 0, exchanges: 0 };
  /** Test hook: called after every gradient is written, before this worker sums its slice. */
  onReduce?: () => void;
  private readonly ctl: Int32Array;
  private readonly slots: Float32Array[];
  private readonly mean: Float32Array;
  private readonly lo: number;
  private readonly hi: number;
  private seq = 0;

  constructor(buffer: SharedArrayBuffer, readonly index: number, readonly count: number, readonly params: number) {
    const l = layout(count, params);
    if (buffer.byteLength !== l.bytes) throw new Error(`exchange: the shared buffer has ${buffer.byteLength} bytes, ${count} workers x ${params} values need ${l.bytes}`);
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`exchange: worker index ${index} is not in [0, ${count})`);
    this.ctl = new Int32Array(buffer, 0, l.header / 4);
    this.slots = Array.from({ length: count }, (_, w) => new Float32Array(buffer, l.header + w * l.stride, params));
    this.mean = new Float32Array(buffer, l.mean, params);
    // Slice w: whole 64-byte lines, so two workers never write the same line of the mean.
    const edge = (w: number) => (w >= count ? params : Math.min(params, Math.floor((params * w) / count / LINE) * LINE));
    this.lo = edge(index);
    this.hi = edge(index + 1);
  }

  input(total: number): Float32Array {
    if (total !== this.params) throw new Error(`exchange: this worker has ${total} gradient values, the exchange was built for ${this.params}`);
    return this.slots[this.index];
  }

  /** `grads` must be input()'s buffer, filled. Resolves with the average over workers: a view of shared
   * memory, valid until this worker's next exchange. */
  async reduce(grads: Float32Array): Promise<Float32Array> {
    if (grads !== this.slots[this.index]) throw new Error('exchange: reduce() takes the buffer input() gave');
    const { ctl, slots, mean, lo, hi, count: W } = this;
    Atomics.store(ctl, SEQ + this.index, ++this.seq);
    const t0 = now();
    this.barrier();
    const t1 = now();
    for (let w = 0; w < W; w++) {
      if (Atomics.load(ctl, SEQ + w) !== this.seq) {
        throw new Error(`exchange: worker ${w} is at exchange ${Atomics.load(ctl, SEQ + w)}, worker ${this.index} at ${this.seq} (replicas differ)`);
      }
    }
    this.onReduce?.();
    // The main thread's arithmetic before, on this slice: a float32 running sum in worker order (fround after
    // every addition, as storing into its Float32Array did), then / W rounded to float32 by the store. One
    // pass over the slice instead of W + 1.
    const g0 = slots[0];
    if (W === 2) {
      const g1 = slots[1];
      for (let k = lo; k < hi; k++) mean[k] = Math.fround(g0[k] + g1[k]) / 2;
    } else {
      for (let k = lo; k < hi; k++) {
        let sum = g0[k];
        for (let w = 1; w < W; w++) sum = Math.fround(sum + slots[w][k]);
        mean[k] = sum / W;
      }
    }
    const t2 = now();
    this.barrier();
    this.time.wait += t1 - t0 + now() - t2;
    this.time.reduce += t2 - t1;
    this.time.exchanges++;
    return mean;
  }

  /** Waits until every worker has arrived (a generation barrier); throws ExchangeAborted if the main thread aborted. */
  private barrier(): void {
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, ABORT)) throw new ExchangeAborted();
    if (Atomics.add(ctl, COUNT, 1) === this.count - 1) {
      // The last to arrive: every other worker is asleep on GEN, so resetting COUNT first is safe.
      Atomics.store(ctl, COUNT, 0);
      Atomics.add(ctl, GEN, 1);
      Atomics.notify(ctl, GEN);
    } else {
      while (Atomics.load(ctl, GEN) === gen) Atomics.wait(ctl, GEN, gen);
    }
    if (Atomics.load(ctl, ABORT)) throw new ExchangeAborted();
  }
}

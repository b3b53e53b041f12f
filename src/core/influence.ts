// Host of the influence-reward kernel (assembly/influence.ts): c_kj and c_k of Jaques et al. (2019)
// over a batch, with KL, Jensen-Shannon or pointwise-mutual-information divergences. The module is
// embedded as base64 (scripts/build-core.mjs) like the env core, compiled once per realm, and
// instantiated once per kernel. The math, and its plain TypeScript reference, are in
// src/core/influence-ref.ts.
//
// Fast path: const v = kernel.prepare(batch, K, J, A); fill v.cond, v.prior, v.taken, v.mask (and v.jTaken
// for 'pmi') in place; const out = kernel.run('kl'); read out.ckj, out.ck. Nothing is allocated per run.
// Views stay valid until the next prepare with other sizes (which may grow memory; the views it returns
// are rebuilt). The output views are overwritten by the next run.

import influenceWasmBase64 from '../../build/influence-wasm.js';
import { InputError } from '../util/errors.ts';
import { embeddedModule, instantiate } from './embedded.ts';
import {
  checkInfluenceInputs, checkInfluenceSizes, divergenceId, jTakenRangeMessage, takenRangeMessage,
  type Divergence, type InfluenceInputs,
} from './influence-ref.ts';

export type { Divergence, InfluenceInputs } from './influence-ref.ts';

/** The functions the kernel exports (assembly/influence.ts). */
export interface InfluenceExports {
  memory: WebAssembly.Memory;
  reserve(batch: number, K: number, J: number, A: number): void;
  regionOffset(id: number): number;
  regionBytes(id: number): number;
  lastError(): number;
  compute(divergence: number): void;
}

/** Region ids of assembly/influence.ts (checked against the module's exported enum at load). */
const REGION = { COND: 0, PRIOR: 1, TAKEN: 2, JTAKEN: 3, MASK: 4, CKJ: 5, CK: 6 } as const;

/** Inputs to fill in place before run(). */
export interface InfluenceInputViews {
  /** [batch, K, J, A] */
  cond: Float32Array;
  /** [batch, K] */
  prior: Float32Array;
  /** [batch], values 0..K-1 */
  taken: Int32Array;
  /** [batch, J], values 0..A-1; read by 'pmi' only, where mask != 0 */
  jTaken: Int32Array;
  /** [batch, J], 1 = count the pair, 0 = leave it out */
  mask: Uint8Array;
}

/** Outputs of run(), valid until the next call. */
export interface InfluenceOutputViews {
  /** [batch, J]: c_kj */
  ckj: Float32Array;
  /** [batch]: c_k */
  ck: Float32Array;
}

export interface InfluenceKernel {
  readonly exports: InfluenceExports;
  /** Lays out memory for these sizes (growing it only past its high-water mark) and returns input views. */
  prepare(batch: number, K: number, J: number, A: number): InfluenceInputViews;
  /** Computes c_kj and c_k from the inputs filled in place; returns views of the outputs. */
  run(divergence?: Divergence): InfluenceOutputViews;
  /** Copies plain arrays in (mask defaults to all 1, jTaken to 0) and returns copies of the outputs. */
  compute(inputs: InfluenceInputs, divergence?: Divergence): { ckj: Float32Array; ck: Float32Array };
}

const compileKernel = embeddedModule(influenceWasmBase64);

export async function createInfluenceKernel(): Promise<InfluenceKernel> {
  const instance = await instantiate(await compileKernel(), 'influence kernel');
  const exports = instance.exports as unknown as InfluenceExports;
  const memory = exports.memory;
  for (const [name, id] of Object.entries(REGION)) {
    const g = (instance.exports as Record<string, unknown>)[`Region.${name}`];
    if (!(g instanceof WebAssembly.Global) || g.value !== id) {
      throw new Error(`influence kernel: region ${name} is not ${id} in build/influence.wasm; rebuild (npm run build)`);
    }
  }

  let dims: [number, number, number, number] | undefined;
  let buffer: ArrayBuffer | undefined;
  let inputs: InfluenceInputViews | undefined;
  let outputs: InfluenceOutputViews | undefined;

  function rebuildViews(): void {
    const [batch, K, J, A] = dims!;
    const buf = memory!.buffer;
    const at = (id: number) => exports.regionOffset(id);
    inputs = {
      cond: new Float32Array(buf, at(REGION.COND), batch * K * J * A),
      prior: new Float32Array(buf, at(REGION.PRIOR), batch * K),
      taken: new Int32Array(buf, at(REGION.TAKEN), batch),
      jTaken: new Int32Array(buf, at(REGION.JTAKEN), batch * J),
      mask: new Uint8Array(buf, at(REGION.MASK), batch * J),
    };
    outputs = {
      ckj: new Float32Array(buf, at(REGION.CKJ), batch * J),
      ck: new Float32Array(buf, at(REGION.CK), batch),
    };
    buffer = buf;
  }

  function prepare(batch: number, K: number, J: number, A: number): InfluenceInputViews {
    checkInfluenceSizes({ batch, K, J, A });
    // cond dominates; the kernel refuses layouts past 4 GiB - 64 KiB.
    const bytes = 4 * batch * (K * J * A + K + 2 + 3 * J) + 8 * J * A + 1024;
    if (bytes > 0xFFFF0000) {
      throw new InputError(`influence: batch=${batch}, K=${K}, J=${J}, A=${A} needs ~${bytes} bytes, over the 4 GiB of WebAssembly memory`);
    }
    if (!dims || dims[0] !== batch || dims[1] !== K || dims[2] !== J || dims[3] !== A) {
      try {
        exports.reserve(batch, K, J, A);
      } catch (e) {
        dims = undefined;
        throw new InputError(`influence: cannot lay out batch=${batch}, K=${K}, J=${J}, A=${A}: ${(e as Error).message}`);
      }
      dims = [batch, K, J, A];
      rebuildViews();
    } else if (buffer !== memory!.buffer) {
      rebuildViews();
    }
    return inputs!;
  }

  function run(divergence: Divergence = 'kl'): InfluenceOutputViews {
    const id = divergenceId(divergence);
    if (!dims) throw new InputError('influence: call prepare(batch, K, J, A) before run()');
    exports.compute(id);
    const err = exports.lastError();
    if (err !== -1) {
      const [batch, K, J, A] = dims;
      if (buffer !== memory!.buffer) rebuildViews();
      if (err >= 0 && err < batch) throw new InputError(takenRangeMessage(err, inputs!.taken[err], K));
      if (err >= batch) throw new InputError(jTakenRangeMessage(err - batch, J, inputs!.jTaken[err - batch], A));
      throw new Error(`influence kernel: compute failed with code ${err}`);
    }
    if (buffer !== memory!.buffer) rebuildViews();
    return outputs!;
  }

  function compute(inp: InfluenceInputs, divergence: Divergence = 'kl'): { ckj: Float32Array; ck: Float32Array } {
    checkInfluenceInputs(inp, divergence);
    const v = prepare(inp.batch, inp.K, inp.J, inp.A);
    v.cond.set(inp.cond);
    v.prior.set(inp.prior);
    v.taken.set(inp.taken);
    if (inp.mask) v.mask.set(inp.mask);
    else v.mask.fill(1);
    if (inp.jTaken) v.jTaken.set(inp.jTaken);
    else v.jTaken.fill(0);
    const out = run(divergence);
    return { ckj: out.ckj.slice(), ck: out.ck.slice() };
  }

  return { exports, prepare, run, compute };
}

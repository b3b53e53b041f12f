/**
 * The learner's own kernels for tfjs's wasm backend (assembly/learn/, compiled to build/learn.wasm).
 *
 * The module is instantiated on the WebAssembly memory of tfjs's wasm backend, so it reads and writes
 * tensors in place, by the addresses tfjs gives them: no copies. It registers, for the 'wasm' backend only:
 *
 * - BatchMatMul (replacing tfjs's): batched products with transposes handled inside the kernel. tfjs's
 *   own runs a batch of matrices at about 1 GFLOP/s and is 7-11x slower with its transpose flags set;
 *   this one runs 2D and batched products alike at the speed of XNNPACK's 2D path or better
 *   (BENCHMARKS.md, "Learner kernels").
 * - CommonsConv / CommonsConvGrad: the population's first layer (3x3 conv + bias + ReLU on uint8 views)
 *   and its filter and bias gradients.
 * - CommonsLstm / CommonsLstmGrad: a population's LSTM over a whole sequence, forward (keeping its gates
 *   and cells) and backward in one call each, instead of ~40 small kernels per time step.
 * - CommonsLstmCf: one LSTM step for the real input and for K alternatives of a one-hot block of it
 *   (./lstm-counterfactual.ts), sharing the real step's products.
 * - CommonsRmsprop / CommonsAdam: one optimiser step of one variable in one call (tfjs's optimisers run
 *   about seven kernels per variable).
 * - Identity (replacing tfjs's): shares the input's memory (a reference count) instead of copying it, as
 *   tfjs's cpu backend does. tf.clone and every tensor an op saves for its gradient go through it; tensors
 *   are immutable, so sharing is safe.
 *
 * ./ops.ts calls the custom kernels when they are installed and composes the same computation from
 * standard tfjs ops otherwise (other backends, or a wasm build without SIMD); test/learn-kernels.test.ts
 * checks each kernel against that composition on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import learnWasmBase64 from '../../../build/learn-wasm.js';
import { embeddedModule } from '../../core/embedded.ts';

interface LearnExports {
  gemmBatch(G: number, M: number, N: number, K: number, a: number, strideA: number, transA: number, b: number, strideB: number,
    transB: number, c: number, strideC: number, accumulate: number, scratch: number): void;
  lstmForward(G: number, T: number, S: number, I: number, H: number, x: number, W: number, bias: number, h0: number, c0: number,
    keep: number, hs: number, hT: number, cT: number, gates: number, cs: number, scratch: number): void;
  lstmForwardScratch(S: number, H: number): number;
  lstmBackward(G: number, T: number, S: number, I: number, H: number, x: number, W: number, h0: number, c0: number, keep: number,
    hs: number, gates: number, cs: number, dhs: number, dhT: number, dcT: number, dx: number, dW: number, db: number,
    dh0: number, dc0: number, scratch: number): void;
  lstmBackwardScratch(T: number, S: number, I: number, H: number): number;
  lstmStepCf(G: number, S: number, I: number, H: number, R: number, K: number, offset: number, x: number, W: number, bias: number,
    h0: number, c0: number, keep: number, realIdx: number, altIdx: number, altGroup: number, hT: number, cT: number, gates: number,
    cs: number, hAlt: number, scratch: number): void;
  lstmStepCfScratch(S: number, H: number, R: number, K: number): number;
  convForward(G: number, M: number, V: number, C: number, F: number, obs: number, obsStride: number, w: number, bias: number,
    out: number, scratch: number): void;
  convBackward(G: number, M: number, V: number, C: number, F: number, obs: number, obsStride: number, y: number, dy: number,
    dw: number, db: number, scratch: number): void;
  convScratch(V: number, C: number): number;
  rmsprop(n: number, w: number, g: number, ms: number, lr: number, decay: number, eps: number, outW: number, outMs: number): void;
  adam(n: number, w: number, g: number, m: number, v: number, lr: number, b1: number, b2: number, eps: number, p1: number, p2: number,
    outW: number, outM: number, outV: number): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackend extends tf.KernelBackend {
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc(n: number): number; _free(p: number): void };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number; refCount: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

export const CONV = 'CommonsConv';
export const CONV_GRAD = 'CommonsConvGrad';
export const LSTM = 'CommonsLstm';
export const LSTM_GRAD = 'CommonsLstmGrad';
export const LSTM_CF = 'CommonsLstmCf';
export const RMSPROP = 'CommonsRmsprop';
export const ADAM = 'CommonsAdam';

const compile = embeddedModule(learnWasmBase64);
let ex: LearnExports | undefined;
let installedOn: WasmBackend | undefined;
let originalMatMul: tf.KernelConfig | undefined;
let originalIdentity: tf.KernelConfig | undefined;
let disabled = false;

const addr = (b: WasmBackend, t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;

/** Runs `f` with `floats` floats of scratch memory on tfjs's heap (16-byte aligned), then frees it. */
function withScratch<T>(b: WasmBackend, floats: number, f: (p: number) => T): T {
  const raw = b.wasm._malloc(floats * 4 + 16);
  try {
    return f((raw + 15) & ~15);
  } finally {
    b.wasm._free(raw);
  }
}

/** Whether the learner's wasm kernels are installed on the current wasm backend. */
export function learnKernelsActive(): boolean {
  return ex !== undefined && !disabled && tf.getBackend() === 'wasm' && installedOn === tf.backend();
}

/** Turns the kernels off (and tfjs's BatchMatMul back on) or on again: for tests and benchmarks. */
export function setLearnKernels(on: boolean): void {
  disabled = !on;
  if (originalMatMul == null || originalIdentity == null) return;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(on ? matMulConfig : originalMatMul);
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(on ? identityConfig : originalIdentity);
}

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  if (x.dtype === 'string') return originalIdentity!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  b.dataIdMap.get(x.dataId).refCount++;
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identityConfig: tf.KernelConfig = { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity as tf.KernelFunc };

// ---------------------------------------------------------------------------------------------------------
// BatchMatMul

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const { a: A, b: B } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
  const ra = A.shape.length, rb = B.shape.length;
  const M = transposeA ? A.shape[ra - 1] : A.shape[ra - 2];
  const K = transposeA ? A.shape[ra - 2] : A.shape[ra - 1];
  const Kb = transposeB ? B.shape[rb - 1] : B.shape[rb - 2];
  const N = transposeB ? B.shape[rb - 2] : B.shape[rb - 1];
  const batchA = A.shape.slice(0, -2), batchB = B.shape.slice(0, -2);
  const ga = tf.util.sizeFromShape(batchA), gb = tf.util.sizeFromShape(batchB);
  // Broadcasting beyond "same batch, or one matrix for all", odd dtypes and empty tensors go to tfjs's kernel.
  const sameBatch = tf.util.arraysEqual(batchA, batchB) || ga === 1 || gb === 1;
  if (K !== Kb || !sameBatch || A.dtype !== 'float32' || B.dtype !== 'float32' || M * N * K === 0) {
    return originalMatMul!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const G = Math.max(ga, gb);
  const outShape = [...(ga >= gb ? batchA : batchB), M, N];
  const out = b.makeOutput(outShape, 'float32');
  const run = (scratch: number) => ex!.gemmBatch(G, M, N, K, addr(b, A), ga === 1 ? 0 : M * K, transposeA ? 1 : 0,
    addr(b, B), gb === 1 ? 0 : K * N, transposeB ? 1 : 0, addr(b, out), M * N, 0, scratch);
  if (transposeB) withScratch(b, K * N, run);
  else run(0);
  return out;
}

const matMulConfig: tf.KernelConfig = { kernelName: tf.BatchMatMul, backendName: 'wasm', kernelFunc: batchMatMul as tf.KernelFunc };

// ---------------------------------------------------------------------------------------------------------
// conv: obs [G, M, stride/4] int32 (the views' bytes, rows padded to a multiple of 4), w [G, 3, 3, C, F],
// bias [G, F] -> [G, M, (V-2)^2 F]; attrs { V, C }

function convKernel(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const { obs, w, bias } = args.inputs as Record<string, tf.TensorInfo>;
  const { V, C } = args.attrs as { V: number; C: number };
  const [G, M, words] = obs.shape;
  const F = w.shape[4];
  const out = b.makeOutput([G, M, (V - 2) * (V - 2) * F], 'float32');
  withScratch(b, ex!.convScratch(V, C), (s) => ex!.convForward(G, M, V, C, F, addr(b, obs), words * 4, addr(b, w), addr(b, bias), addr(b, out), s));
  return out;
}

function convGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { obs, y, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const { V, C, F } = args.attrs as { V: number; C: number; F: number };
  const [G, M, words] = obs.shape;
  const dw = b.makeOutput([G, 3, 3, C, F], 'float32'), db = b.makeOutput([G, F], 'float32');
  withScratch(b, ex!.convScratch(V, C), (s) => ex!.convBackward(G, M, V, C, F, addr(b, obs), words * 4, addr(b, y), addr(b, dy), addr(b, dw), addr(b, db), s));
  return [dw, db];
}

// ---------------------------------------------------------------------------------------------------------
// LSTM: x [G, T, S, I], W [G, I + H, 4H], bias [G, 4H], h0, c0 [G, S, H], keep [G, T, S]
//   -> hs [G, T, S, H], hT, cT [G, S, H], gates [G, T, S, 4H], cs [G, T, S, H]

function lstmKernel(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { x, W, bias, h0, c0, keep } = args.inputs as Record<string, tf.TensorInfo>;
  const [G, T, S, I] = x.shape, H = h0.shape[2];
  const hs = b.makeOutput([G, T, S, H], 'float32'), hT = b.makeOutput([G, S, H], 'float32'), cT = b.makeOutput([G, S, H], 'float32');
  const gates = b.makeOutput([G, T, S, 4 * H], 'float32'), cs = b.makeOutput([G, T, S, H], 'float32');
  withScratch(b, ex!.lstmForwardScratch(S, H), (s) => ex!.lstmForward(G, T, S, I, H, addr(b, x), addr(b, W), addr(b, bias),
    addr(b, h0), addr(b, c0), addr(b, keep), addr(b, hs), addr(b, hT), addr(b, cT), addr(b, gates), addr(b, cs), s));
  return [hs, hT, cT, gates, cs];
}

function lstmGradKernel(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { x, W, h0, c0, keep, hs, gates, cs, dhs, dhT, dcT } = args.inputs as Record<string, tf.TensorInfo>;
  const [G, T, S, I] = x.shape, H = h0.shape[2];
  const dx = b.makeOutput([G, T, S, I], 'float32'), dW = b.makeOutput([G, I + H, 4 * H], 'float32');
  const db = b.makeOutput([G, 4 * H], 'float32'), dh0 = b.makeOutput([G, S, H], 'float32'), dc0 = b.makeOutput([G, S, H], 'float32');
  withScratch(b, ex!.lstmBackwardScratch(T, S, I, H), (s) => ex!.lstmBackward(G, T, S, I, H, addr(b, x), addr(b, W), addr(b, h0),
    addr(b, c0), addr(b, keep), addr(b, hs), addr(b, gates), addr(b, cs), addr(b, dhs), addr(b, dhT), addr(b, dcT),
    addr(b, dx), addr(b, dW), addr(b, db), addr(b, dh0), addr(b, dc0), s));
  return [dx, dW, db, dh0, dc0];
}

// LSTM step with counterfactuals: x [G, S, I], W, bias, h0, c0 as above, keep [G, 1, S], realIdx [G, R, S],
// altIdx [G, K], altGroup [K] (int32); attrs { offset } -> hT, cT [G, S, H], gates [G, 1, S, 4H],
// cs [G, 1, S, H], hAlt [G, K, S, H]

function lstmCfKernel(args: KArgs): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { x, W, bias, h0, c0, keep, realIdx, altIdx, altGroup } = args.inputs as Record<string, tf.TensorInfo>;
  const { offset } = args.attrs as { offset: number };
  const [G, S, I] = x.shape, H = h0.shape[2], R = realIdx.shape[1], K = altGroup.shape[0];
  const hT = b.makeOutput([G, S, H], 'float32'), cT = b.makeOutput([G, S, H], 'float32');
  const gates = b.makeOutput([G, 1, S, 4 * H], 'float32'), cs = b.makeOutput([G, 1, S, H], 'float32');
  const hAlt = b.makeOutput([G, K, S, H], 'float32');
  withScratch(b, ex!.lstmStepCfScratch(S, H, R, K), (s) => ex!.lstmStepCf(G, S, I, H, R, K, offset, addr(b, x), addr(b, W), addr(b, bias),
    addr(b, h0), addr(b, c0), addr(b, keep), addr(b, realIdx), K > 0 ? addr(b, altIdx) : 0, K > 0 ? addr(b, altGroup) : 0,
    addr(b, hT), addr(b, cT), addr(b, gates), addr(b, cs), K > 0 ? addr(b, hAlt) : 0, s));
  return [hT, cT, gates, cs, hAlt];
}

// ---------------------------------------------------------------------------------------------------------
// optimisers: inputs w, g and the slots; attrs the constants -> the new w and slots

type KArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function rmspropKernel(args: KArgs): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { w, g, ms } = args.inputs as Record<string, tf.TensorInfo>;
  const { lr, decay, eps } = args.attrs as { lr: number; decay: number; eps: number };
  const ow = b.makeOutput(w.shape, 'float32'), oms = b.makeOutput(w.shape, 'float32');
  ex!.rmsprop(tf.util.sizeFromShape(w.shape), addr(b, w), addr(b, g), addr(b, ms), lr, decay, eps, addr(b, ow), addr(b, oms));
  return [ow, oms];
}

function adamKernel(args: KArgs): tf.TensorInfo[] {
  const b = args.backend as WasmBackend;
  const { w, g, m, v } = args.inputs as Record<string, tf.TensorInfo>;
  const { lr, b1, b2, eps, p1, p2 } = args.attrs as Record<string, number>;
  const ow = b.makeOutput(w.shape, 'float32'), om = b.makeOutput(w.shape, 'float32'), ov = b.makeOutput(w.shape, 'float32');
  ex!.adam(tf.util.sizeFromShape(w.shape), addr(b, w), addr(b, g), addr(b, m), addr(b, v), lr, b1, b2, eps, p1, p2, addr(b, ow), addr(b, om), addr(b, ov));
  return [ow, om, ov];
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Instantiates the kernels on the current wasm backend's memory and registers them. Returns false (and
 * changes nothing) when that is not possible here: another backend is active, or tfjs loaded a build
 * whose memory this module cannot import (e.g. the threaded one's shared memory), or WebAssembly SIMD
 * is missing. Idempotent.
 */
export async function installLearnKernels(): Promise<boolean> {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as WasmBackend;
  if (installedOn === backend) return true;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return false;
  try {
    const instance = await WebAssembly.instantiate(await compile(), { env: { memory } });
    ex = instance.exports as unknown as LearnExports;
  } catch {
    return false;
  }
  installedOn = backend;
  originalMatMul ??= tf.getKernel(tf.BatchMatMul, 'wasm');
  originalIdentity ??= tf.getKernel(tf.Identity, 'wasm');
  if (!disabled) {
    tf.unregisterKernel(tf.BatchMatMul, 'wasm');
    tf.registerKernel(matMulConfig);
    tf.unregisterKernel(tf.Identity, 'wasm');
    tf.registerKernel(identityConfig);
  }
  for (const [kernelName, kernelFunc] of [[CONV, convKernel], [CONV_GRAD, convGradKernel], [LSTM, lstmKernel], [LSTM_GRAD, lstmGradKernel], [LSTM_CF, lstmCfKernel], [RMSPROP, rmspropKernel], [ADAM, adamKernel]] as const) {
    if (tf.getKernel(kernelName, 'wasm') == null) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  return true;
}

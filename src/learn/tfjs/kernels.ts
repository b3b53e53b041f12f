/**
 * Kernel and gradient fixes for running training on the tfjs wasm backend.
 *
 * (a) tfjs-backend-wasm 4.22 has no 'Conv2DBackpropFilter' kernel, so the
 *     gradient of conv2d w.r.t. its filter throws. We register one, composed
 *     of public ops (transpose, pad, dilated conv2d, slice).
 * (b) The built-in 'BatchMatMul' gradient calls matMul with transposeA /
 *     transposeB set; on tfjs's own wasm kernel those flags are 7-11x slower
 *     than an explicit transpose followed by a plain matMul, and it does not
 *     reduce over broadcast batch dims. Ours reduces them, and issues plain
 *     matMuls on explicitly transposed operands where tfjs's wasm kernel runs;
 *     where the learner's own BatchMatMul runs (./wasm-kernels.ts, transposes
 *     inside the kernel) or on other backends it passes the transpose flags.
 *     Installed globally.
 *
 * (c) tfjs-backend-webgpu 4.22's 'AddN' binds every input as a storage buffer of one shader, and a device
 *     allows maxStorageBuffersPerShaderStage of them (8 by default, the output included): with more
 *     inputs the sum comes out wrong without an error (measured in Chromium: 8 or more inputs). Its
 *     Concat splits its inputs into chunks; installWebgpuFixes() makes AddN do the same.
 *
 * '_FusedMatMul' is NOT overridden: tf.fused.matMul defines its gradient in a
 * customGrad closure inside the op (there is no registered gradient to
 * replace), so training code should use tf.matMul + tf.add instead of
 * tf.fused.matMul. Our own network code follows that rule.
 *
 * Everything goes through public tfjs-core APIs (registerKernel,
 * registerGradient, getKernel, getGradient, unregisterKernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { learnKernelsActive } from './wasm-kernels.ts';

type Tensor = tf.Tensor;

// ---------------------------------------------------------------------------
// helpers

/** Turn a kernel input (a Tensor in practice, a bare TensorInfo in theory) into a Tensor. */
function asTensor(info: tf.TensorInfo): Tensor {
  if (info instanceof tf.Tensor) return info;
  // Creates a new handle on the same data (ref-counted); disposed by the
  // surrounding tidy.
  return tf.engine().makeTensorFromTensorInfo(info);
}

function pair(v: number | [number, number] | undefined, what: string): [number, number] {
  if (v == null) return [1, 1];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new Error(`Conv2DBackpropFilter (wasm fix): unsupported ${what} ${JSON.stringify(v)}`);
}

/** Swap the last two axes with an explicit Transpose kernel. */
function swapLast2(x: Tensor): Tensor {
  const r = x.rank;
  if (r === 2) return tf.transpose(x);
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** Sum a gradient over broadcast batch dims so it matches `shape`. */
function unbroadcast(g: Tensor, shape: number[]): Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const axes: number[] = [];
  const lead = g.rank - shape.length;
  for (let i = 0; i < g.rank - 2; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(s, shape);
}

// ---------------------------------------------------------------------------
// (a) Conv2DBackpropFilter for wasm

/**
 * dW[kh,kw,ci,co] = sum_{b,i,j} xpad[b, i*sh + kh, j*sw + kw, ci] * dy[b,i,j,co]
 *
 * This is itself a convolution in which the batch axis plays the role of the
 * channel axis: with X = transpose(xpad) [Ci, Hp, Wp, B] as the input and
 * F = transpose(dy) [Oh, Ow, B, Co] as the filter, dilated by the forward
 * strides,  conv2d(X, F, stride 1, 'valid', dilation [sh, sw]) [Ci, >=Kh, >=Kw, Co]
 * holds dW (transposed) in its first Kh x Kw positions. On wasm this runs in
 * XNNPACK and was ~8x faster than a per-tap matMul formulation for the
 * paper's 1600 x 15x15x3 batches. Dilation is not an attribute of this kernel
 * (tfjs' conv2d gradient rejects dilation > 1), so none is handled.
 */
function conv2DBackpropFilterImpl(x: Tensor, dy: Tensor, attrs: tf.Conv2DBackpropFilterAttrs): Tensor {
  const { pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new Error(`Conv2DBackpropFilter (wasm fix): unsupported dataFormat '${String(dataFormat)}'`);
  }
  if (x.rank !== 4 || dy.rank !== 4) {
    throw new Error(`Conv2DBackpropFilter (wasm fix): x and dy must be rank 4, got ${x.shape} and ${dy.shape}`);
  }
  if (!Array.isArray(filterShape) || filterShape.length !== 4) {
    throw new Error(`Conv2DBackpropFilter (wasm fix): bad filterShape ${JSON.stringify(filterShape)}`);
  }
  const [sh, sw] = pair(attrs.strides, 'strides');
  const nchw = dataFormat === 'NCHW';
  // X: [Ci, H, W, B] and F: [Oh, Ow, B, Co], whatever the data format.
  const X = tf.transpose(x, nchw ? [1, 2, 3, 0] : [3, 1, 2, 0]) as tf.Tensor4D;
  const F = tf.transpose(dy, nchw ? [2, 3, 0, 1] : [1, 2, 0, 3]) as tf.Tensor4D;
  const [Ci, H, W, B] = X.shape;
  const [Oh, Ow, dyB, Co] = F.shape;
  const [Kh, Kw, fCi, fCo] = filterShape;
  if (fCi !== Ci || fCo !== Co || dyB !== B) {
    throw new Error(
      `Conv2DBackpropFilter (wasm fix): shapes do not match: x ${x.shape}, dy ${dy.shape}, ` +
      `filter ${filterShape}, dataFormat ${dataFormat ?? 'NHWC'}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    [B, H, W, Ci], filterShape, [sh, sw], 1, pad, dimRoundingMode, false, 'channelsLast');
  if (info.outHeight !== Oh || info.outWidth !== Ow) {
    throw new Error(
      `Conv2DBackpropFilter (wasm fix): dy spatial shape [${Oh},${Ow}] does not match the convolution ` +
      `output [${info.outHeight},${info.outWidth}]`);
  }
  const { top, bottom, left, right } = info.padInfo;
  const Xp = (top | bottom | left | right) !== 0
    ? tf.pad(X, [[0, 0], [top, bottom], [left, right], [0, 0]])
    : X;
  const full = tf.conv2d(Xp, F, 1, 'valid', 'NHWC', [sh, sw]); // [Ci, >=Kh, >=Kw, Co]
  const dW = full.shape[1] === Kh && full.shape[2] === Kw
    ? full
    : tf.slice(full, [0, 0, 0, 0], [Ci, Kh, Kw, Co]);
  return tf.transpose(dW, [1, 2, 0, 3]);
}

const conv2DBackpropFilterWasm: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs;
  if (x == null || dy == null) throw new Error('Conv2DBackpropFilter (wasm fix): inputs x and dy are required');
  return tf.tidy(() => conv2DBackpropFilterImpl(asTensor(x), asTensor(dy), a));
};

// ---------------------------------------------------------------------------
// (b) BatchMatMul gradient with explicit transposes

const batchMatMulGradFunc: tf.GradConfig['gradFunc'] = (dy, saved, attrs) => {
  const [a, b] = saved;
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const g = dy as Tensor;
  if (tf.getBackend() !== 'wasm' || learnKernelsActive()) {
    const [da, db] = !transposeA && !transposeB ? [() => tf.matMul(g, b, false, true), () => tf.matMul(a, g, true, false)]
      : !transposeA && transposeB ? [() => tf.matMul(g, b), () => tf.matMul(g, a, true, false)]
        : transposeA && !transposeB ? [() => tf.matMul(b, g, false, true), () => tf.matMul(a, g)]
          : [() => tf.matMul(b, g, true, true), () => tf.matMul(g, a, true, true)];
    return { a: () => unbroadcast(da(), a.shape), b: () => unbroadcast(db(), b.shape) };
  }
  const T = swapLast2;
  let da: () => Tensor;
  let db: () => Tensor;
  if (!transposeA && !transposeB) {
    // y = a b
    da = () => tf.matMul(g, T(b));
    db = () => tf.matMul(T(a), g);
  } else if (!transposeA && transposeB) {
    // y = a b^T
    da = () => tf.matMul(g, b);
    db = () => tf.matMul(T(g), a);
  } else if (transposeA && !transposeB) {
    // y = a^T b
    da = () => tf.matMul(b, T(g));
    db = () => tf.matMul(a, g);
  } else {
    // y = a^T b^T
    da = () => tf.matMul(T(b), T(g));
    db = () => tf.matMul(T(g), T(a));
  }
  return {
    a: () => unbroadcast(da(), a.shape),
    b: () => unbroadcast(db(), b.shape),
  };
};

const batchMatMulGrad: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: batchMatMulGradFunc,
};

// ---------------------------------------------------------------------------
// install / uninstall

export interface KernelFixOptions {
  /** Register Conv2DBackpropFilter for wasm (default true). */
  conv2dBackpropFilter?: boolean;
  /** Replace the BatchMatMul gradient (default true). */
  matMulGrad?: boolean;
}

let savedMatMulGrad: tf.GradConfig | undefined;

/** True when our Conv2DBackpropFilter kernel is the one registered for wasm. */
export function convFixInstalled(): boolean {
  return tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc === conv2DBackpropFilterWasm;
}

/** True when our BatchMatMul gradient is the registered one. */
export function matMulGradFixInstalled(): boolean {
  return tf.getGradient(tf.BatchMatMul)?.gradFunc === batchMatMulGradFunc;
}

/**
 * Install the fixes. Idempotent. Call after the built-in gradients have been
 * registered (initBackend does this), otherwise a later registration of the
 * built-in gradients would overwrite ours.
 */
export function installKernelFixes(opts: KernelFixOptions = {}): void {
  const { conv2dBackpropFilter = true, matMulGrad = true } = opts;
  // Only register the kernel if wasm lacks one (a future wasm release may ship it).
  if (conv2dBackpropFilter && tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') == null) {
    tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm });
  }
  if (matMulGrad && !matMulGradFixInstalled()) {
    const prev = tf.getGradient(tf.BatchMatMul);
    if (prev != null) savedMatMulGrad = prev;
    tf.registerGradient(batchMatMulGrad);
  }
}

/** Undo installKernelFixes (restores the previous BatchMatMul gradient). For tests and benchmarks. */
export function uninstallKernelFixes(opts: KernelFixOptions = {}): void {
  const { conv2dBackpropFilter = true, matMulGrad = true } = opts;
  if (conv2dBackpropFilter && convFixInstalled()) {
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  }
  if (matMulGrad && matMulGradFixInstalled()) {
    tf.unregisterGradient(tf.BatchMatMul);
    if (savedMatMulGrad != null) tf.registerGradient(savedMatMulGrad);
  }
}

/** Exposed for direct testing on any backend. */
export function conv2DBackpropFilterViaOps(
  x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number],
  strides: number | [number, number], pad: 'valid' | 'same' | number, dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): tf.Tensor4D {
  return tf.tidy(() => conv2DBackpropFilterImpl(x, dy, { strides, pad, dataFormat, filterShape }) as tf.Tensor4D);
}

// ---------------------------------------------------------------------------
// (c) webgpu AddN with more inputs than a shader may bind

let webgpuAddN: tf.KernelFunc | undefined;

/** AddN in chunks of at most maxStorageBuffersPerShaderStage - 1 inputs, summed again until one is left. */
function addNChunked(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { backend, attrs } = args;
  const original = webgpuAddN!;
  const limits = (backend as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }).device?.limits;
  const chunk = Math.max(2, (limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
  let xs = args.inputs as unknown as tf.TensorInfo[];
  const partial: tf.TensorInfo[] = [];
  while (xs.length > chunk) {
    const next: tf.TensorInfo[] = [];
    for (let i = 0; i < xs.length; i += chunk) {
      const part = xs.slice(i, i + chunk);
      if (part.length === 1) {
        next.push(part[0]);
        continue;
      }
      const sum = original({ inputs: part as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
      partial.push(sum);
      next.push(sum);
    }
    xs = next;
  }
  const out = original({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
  for (const t of partial) (backend as unknown as tf.KernelBackend).disposeData(t.dataId);
  return out;
}

/** True when the webgpu AddN kernel is ours. */
export function webgpuAddNFixInstalled(): boolean {
  return tf.getKernel(tf.AddN, 'webgpu')?.kernelFunc === addNChunked;
}

/** Install the webgpu fixes (after '@tensorflow/tfjs-backend-webgpu' has registered its kernels). Idempotent. */
export function installWebgpuFixes(): void {
  const k = tf.getKernel(tf.AddN, 'webgpu');
  if (k == null || k.kernelFunc === addNChunked) return;
  webgpuAddN = k.kernelFunc;
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ kernelName: tf.AddN, backendName: 'webgpu', kernelFunc: addNChunked });
}

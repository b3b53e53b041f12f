/**
 * tfjs backend selection for the learner.
 *
 * initBackend(name) registers tfjs-core's gradients, the cpu and wasm backends
 * (webgpu only on request, via dynamic import), selects the backend, waits for
 * it to be ready and installs our kernel fixes (./kernels.ts).
 *
 * Gradients: tfjs-core registers its gradients only through the side-effect
 * module '@tensorflow/tfjs-core/dist/register_all_gradients', an ESM tree with
 * extensionless imports that Node cannot load from source (its CommonJS build,
 * which Node resolves, has none). scripts/build-core.mjs bundles that module
 * into build/tfjs-gradients.js; importing it registers every gradient in tfjs's
 * global registry, which all copies of tfjs-core share.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installKernelFixes, installWebgpuFixes } from './kernels.ts';
import { installLearnKernels } from './wasm-kernels.ts';
import '../../../build/tfjs-gradients.js';
import { InputError } from '../../util/errors.ts';

export type BackendName = 'wasm' | 'webgpu' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'webgpu', 'cpu'];

const ALLOWED = BACKEND_NAMES.map((n) => `'${n}'`).join(', ');

export interface InitBackendOptions {
  /**
   * Where a browser fetches the tfjs-backend-wasm .wasm files from (a URL prefix ending in '/', passed
   * to setWasmPaths). Not needed in Node. Default: beside the script that holds this code (the page's
   * bundle, or dist/lib/browser.js itself); see defaultWasmPaths. Only the first initialisation's
   * value counts.
   */
  wasmPaths?: string;
}

/** The tfjs-backend-wasm binaries a browser may fetch (threads are off: see initBackend). */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'] as const;

const inNode = () => typeof process !== 'undefined' && process.versions?.node != null;

/**
 * In a browser: where the .wasm files are looked for when no wasmPaths is given, the folder of the script
 * that holds this code (import.meta.url: the bundle a bundler made of the page, or dist/lib/browser.js
 * when that is loaded as it is, which has the files beside it). null where import.meta.url is not a URL
 * (a classic-script bundle): tfjs's own default (beside the page) applies.
 */
export function defaultWasmPaths(): string | null {
  let base: unknown;
  try {
    base = import.meta.url;
  } catch {
    return null;
  }
  if (typeof base !== 'string' || base === '') return null;
  try {
    return new URL('./', base).href;
  } catch {
    return null;
  }
}

/** Where the wasm backend was told to look (for the message when it fails), or null for tfjs's default. */
let wasmLocation: string | null = null;

function haveGradients(): boolean {
  return tf.getGradient(tf.Conv2D) != null && tf.getGradient(tf.Relu) != null;
}

/** Make sure tfjs-core's gradients are registered (see the file comment). */
export async function ensureGradients(): Promise<void> {
  if (!haveGradients()) throw new Error('tfjs-core gradients are missing: build/tfjs-gradients.js did not register them (run npm run build)');
}

function silenceCpuNodeBanner(): void {
  // backend-cpu prints a "use tfjs-node" banner on first use in Node.
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu != null && 'firstUse' in cpu) cpu.firstUse = false;
}

interface AdapterLike { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string } }

/**
 * What WebGPU adapter this environment gives: none, a software fallback (e.g. SwiftShader, a CPU
 * emulation: Chromium's with --enable-unsafe-webgpu and no GPU), or a hardware one; with a description.
 */
export async function webgpuAdapter(): Promise<{ kind: 'none' | 'software' | 'hardware'; description: string }> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator?.gpu;
  if (gpu == null) return { kind: 'none', description: 'no navigator.gpu' };
  try {
    const a = await gpu.requestAdapter();
    if (a == null) return { kind: 'none', description: 'no adapter' };
    const description = [a.info?.vendor, a.info?.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
    return { kind: a.info?.isFallbackAdapter || a.isFallbackAdapter ? 'software' : 'hardware', description };
  } catch (e) {
    return { kind: 'none', description: `requestAdapter failed: ${(e as Error).message}` };
  }
}

/** Whether this environment gives a WebGPU adapter (software or hardware). */
export async function webgpuAdapterAvailable(): Promise<boolean> {
  return (await webgpuAdapter()).kind !== 'none';
}

let wasmPathsSet = false;
let webgpuProvider: (() => Promise<string | null>) | undefined;

/** Where navigator.gpu comes from when the runtime has none (Node: ./node-webgpu.ts); called once, when
 * the 'webgpu' backend is asked for. Resolves with null, or with why no GPU API could be provided. */
export function setWebgpuProvider(provide: () => Promise<string | null>): void {
  webgpuProvider = provide;
}

/**
 * Select and initialise a tfjs backend (default 'wasm'); returns the active
 * backend name. Throws for unknown names, and for 'webgpu' when no WebGPU
 * adapter exists.
 */
export function initBackend(name: BackendName = 'wasm', opts: InitBackendOptions = {}): Promise<BackendName> {
  // One at a time: a call made while another runs (a web worker warming its wasm backend at start, then the
  // page's request) waits for it, so that selecting the backend and installing the kernels never interleave.
  const next = initChain.then(() => initBackendNow(name, opts));
  initChain = next.catch(() => undefined);
  return next;
}

let initChain: Promise<unknown> = Promise.resolve();

async function initBackendNow(name: BackendName, opts: InitBackendOptions): Promise<BackendName> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new Error(`Unknown tfjs backend '${String(name)}'; allowed values: ${ALLOWED}`);
  }
  await ensureGradients();
  if (name === 'wasm' && !wasmPathsSet && !inNode()) {
    // In Node the backend reads the files from beside its own module (node_modules, or the bundle's folder).
    const paths = opts.wasmPaths ?? defaultWasmPaths();
    if (paths != null) {
      setWasmPaths(paths);
      wasmLocation = paths;
    }
    wasmPathsSet = true;
  }
  if (name === 'webgpu') {
    const hasGpuApi = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null;
    const why = !hasGpuApi && webgpuProvider ? await webgpuProvider() : null;
    const adapter = await webgpuAdapter();
    if (adapter.kind === 'none') {
      // Bad input (a choice this machine cannot honour): the command line prints one line and exits with 2.
      throw new InputError(
        `backend: 'webgpu' requested but no WebGPU adapter is available in this environment (${why ?? adapter.description}); ` +
        `allowed values: ${ALLOWED} (use 'wasm' or 'cpu' here)`);
    }
    await import('@tensorflow/tfjs-backend-webgpu');
    installWebgpuFixes();
  }
  silenceCpuNodeBanner();
  // The learner's kernels (./wasm-kernels.ts) need tfjs's single-threaded wasm build, whose memory is not
  // shared; threads did not speed training up on the machines measured (workers parallelise instead).
  if (name === 'wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const ok = await tf.setBackend(name);
  if (!ok) {
    if (name === 'wasm' && !inNode()) {
      const where = wasmLocation ?? 'beside the page';
      throw new Error(`tfjs backend 'wasm' failed to initialise: its binaries (${WASM_FILES.join(', ')}) could not be loaded from ${where}; ` +
        'copy them there from node_modules/commons/dist/lib/, or pass wasmPaths (train(config, { wasmPaths: URL_PREFIX }))');
    }
    throw new Error(`tfjs backend '${name}' failed to initialise`);
  }
  await tf.ready();
  installKernelFixes();
  if (name === 'wasm') await installLearnKernels();
  if (name === 'webgpu') await checkWebgpuReadback();
  return tf.getBackend() as BackendName;
}

/**
 * A WebGPU adapter can exist and still fail at work (a software adapter, a lost device). Upload, compute
 * and read back twice, with a turn of the event loop between, the way the learner works (it reads only
 * asynchronously: see ./read.ts), so a run fails at the start with the reason rather than at its first
 * update.
 */
async function checkWebgpuReadback(): Promise<void> {
  try {
    for (let k = 0; k < 2; k++) {
      const t = tf.tensor1d(new Float32Array(1000).fill(k + 1));
      const y = tf.relu(t);
      const v = await y.data();
      tf.dispose([t, y]);
      if (v[0] !== k + 1) throw new Error(`read back ${v[0]}, expected ${k + 1}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } catch (e) {
    throw new Error(`tfjs backend 'webgpu' failed its self-check (upload, compute, read back): ${(e as Error).message}`);
  }
}

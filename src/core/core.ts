// Loads the WebAssembly core. The module is embedded in the bundle as base64 (scripts/build-core.mjs),
// so Node, browsers and workers load it the same way, with no file paths and no fetch. It is compiled
// once per JavaScript realm and instantiated once per batch of environments.

import coreWasmBase64 from '../../build/core-wasm.js';
import { buildViews, type CoreViews, type LayoutDims } from './layout.ts';

/** The functions the core exports (assembly/index.ts). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  configure(game: number, envs: number, agents: number, height: number, width: number,
    radius: number, episodeLength: number, tagTimeout: number): void;
  initMap(): number;
  reset(seedLo: number, seedHi: number): void;
  step(): number;
  renderWorld(env: number): void;
  layoutTable(): number;
  layoutEnd(): number;
  debugPlaceAgent(env: number, agent: number, row: number, col: number, ori: number): void;
  debugSetCell(env: number, row: number, col: number, cell: number): void;
  refresh(env: number): void;
}

export interface Core {
  exports: CoreExports;
  views: CoreViews;
  dims: LayoutDims;
}

let compiled: Promise<WebAssembly.Module> | undefined;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function compileCore(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(decodeBase64(coreWasmBase64));
  return compiled;
}

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4) out of the core's memory. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** Instantiates a core and lays out its memory for `dims`; game 0 = Harvest, 1 = Cleanup. */
export async function createCore(game: number, dims: LayoutDims, tagTimeout: number): Promise<Core> {
  const module = await compileCore();
  let memory: WebAssembly.Memory | undefined;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const where = memory ? `${readString(memory, file)}:${line}:${col}` : `${line}:${col}`;
        throw new Error(`core aborted: ${memory ? readString(memory, msg) : msg} at ${where}`);
      },
    },
  });
  const exports = instance.exports as unknown as CoreExports;
  memory = exports.memory;
  exports.configure(game, dims.envs, dims.agents, dims.height, dims.width, dims.radius,
    dims.episodeLength, tagTimeout);
  const views = buildViews(memory.buffer, exports.layoutTable(), dims);
  return { exports, views, dims };
}

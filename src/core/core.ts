// Loads the WebAssembly core. The module is embedded in the bundle as base64 (scripts/build-core.mjs),
// so Node, browsers and workers load it the same way, with no file paths and no fetch. It is compiled
// once per JavaScript realm and instantiated once per batch of environments.

import coreWasmBase64 from '../../build/core-wasm.js';
import { buildViews, type CoreViews, type LayoutDims } from './layout.ts';
import { embeddedModule, instantiate } from './embedded.ts';

/** The functions the core exports (assembly/index.ts). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  configure(game: number, envs: number, agents: number, height: number, width: number,
    radius: number, episodeLength: number, tagTimeout: number): void;
  initMap(): number;
  reset(seedLo: number, seedHi: number, firstEnv: number): void;
  resetOne(env: number, seedLo: number, seedHi: number, index: number): void;
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

const compileCore = embeddedModule(coreWasmBase64);

/** Instantiates a core and lays out its memory for `dims`; `game` is the game's id in the table (src/env/games.ts). */
export async function createCore(game: number, dims: LayoutDims, tagTimeout: number): Promise<Core> {
  const instance = await instantiate(await compileCore(), 'core');
  const exports = instance.exports as unknown as CoreExports;
  const memory = exports.memory;
  exports.configure(game, dims.envs, dims.agents, dims.height, dims.width, dims.radius,
    dims.episodeLength, tagTimeout);
  const views = buildViews(memory.buffer, exports.layoutTable(), dims);
  return { exports, views, dims };
}

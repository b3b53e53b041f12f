// Entry of a browser module Web Worker: serves ShardApi (src/parallel/service.ts) through Comlink.

import * as Comlink from 'comlink';
import { ShardService } from '../parallel/service.ts';
import { initBackend } from '../learn/tfjs/backend.ts';

Comlink.expose(new ShardService(() => self.close()));
self.postMessage('ready');
// The wasm backend starts at once, while the page sends its request (the gallery's player, a WASM session:
// most of what a worker is asked for); a request for another backend switches to it as before.
void initBackend('wasm', { wasmPaths: new URL('./', import.meta.url).href }).catch(() => {});

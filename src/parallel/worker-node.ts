// Entry of a Node worker_thread: serves ShardApi (./service.ts) on the parent port through Comlink.

import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { ShardService } from './service.ts';
import { setWebgpuProvider } from '../learn/tfjs/backend.ts';
import { provideNodeWebgpu } from '../learn/tfjs/node-webgpu.ts';

setWebgpuProvider(provideNodeWebgpu);

if (!parentPort) throw new Error('worker-node: not running in a worker thread');
const port = parentPort;
Comlink.expose(new ShardService(() => process.exit(3)), nodeEndpoint(port));
port.postMessage('ready');

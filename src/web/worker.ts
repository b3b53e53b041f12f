// Entry of a browser module Web Worker: serves ShardApi (src/parallel/service.ts) through Comlink.

import * as Comlink from 'comlink';
import { ShardService } from '../parallel/service.ts';

Comlink.expose(new ShardService(() => self.close()));
self.postMessage('ready');

// Worker bootstrap when running from the TypeScript sources: worker_threads do not inherit tsx's loader,
// so register it in the thread, then load the entry named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);

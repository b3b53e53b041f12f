// Types for Comlink's Node adapter, which its package ships without a declaration under this path.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  interface NodeEndpoint {
    postMessage(message: any, transfer?: any): void;
    on(type: string, listener: (arg: any) => void): unknown;
    off(type: string, listener: (arg: any) => void): unknown;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}

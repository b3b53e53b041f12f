// gifenc ships no type declarations; these cover what src/cli/render.ts uses.
declare module 'gifenc' {
  export interface GifWriter {
    writeFrame(index: Uint8Array, width: number, height: number,
      opts?: { palette?: number[][]; delay?: number; repeat?: number; transparent?: boolean }): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  export function GIFEncoder(opts?: { auto?: boolean }): GifWriter;
}

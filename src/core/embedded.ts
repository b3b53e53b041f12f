// Loading AssemblyScript modules embedded in the bundle as base64 (scripts/build-core.mjs), the same way in
// Node, browsers and workers: compiled once per realm, instantiated with an `abort` import that turns the
// module's assertion failures into JavaScript errors carrying its message and source position.

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4) out of a module's memory. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** A memoised compiler for one embedded module. */
export function embeddedModule(base64: string): () => Promise<WebAssembly.Module> {
  let compiled: Promise<WebAssembly.Module> | undefined;
  return () => (compiled ??= WebAssembly.compile(decodeBase64(base64)));
}

/** Instantiates `module`; its aborts throw Errors that start with `label`. */
export async function instantiate(module: WebAssembly.Module, label: string): Promise<WebAssembly.Instance> {
  let memory: WebAssembly.Memory | undefined;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const where = memory ? `${readString(memory, file)}:${line}:${col}` : `${line}:${col}`;
        throw new Error(`${label} aborted: ${memory ? readString(memory, msg) : msg} at ${where}`);
      },
    },
  });
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance;
}

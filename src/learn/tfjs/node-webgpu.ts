// WebGPU for Node: Node has no navigator.gpu; the `webgpu` package (Dawn, Chromium's WebGPU
// implementation, with its binaries in the package) provides one. Node entry points register this with
// the backend selection (setWebgpuProvider in ./backend.ts), which asks for it only when 'webgpu' is
// chosen, so a run that never uses the GPU never loads it, and browser bundles never see it.
//
// Dawn reaches the GPU through the system's Vulkan loader (libvulkan.so.1) and the driver's ICD. Without a
// GPU, a software Vulkan works for testing: Debian's chromium ships SwiftShader's; start node with
// LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.

/** Installs navigator.gpu (and the WebGPU globals tfjs-backend-webgpu uses) from the `webgpu` package;
 * resolves with null, or with why it could not. */
export async function provideNodeWebgpu(): Promise<string | null> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return null;
  let mod: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    mod = await import('webgpu') as typeof mod;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test(err.message)) {
      return "WebGPU in Node needs the optional package 'webgpu', which is not installed: npm i webgpu";
    }
    return `the 'webgpu' package failed to load: ${err.message}`;
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return null;
}

// Optional packages (package.json "peerDependenciesMeta"): the library installs with tfjs-core and comlink
// only; plotting (vega, vega-lite, @resvg/resvg-js, dejavu-fonts-ttf), the sweeps' queue (bullmq, ioredis)
// and WebGPU in Node (webgpu) are loaded when a command needs them. A clone of the repository has them all
// (they are its devDependencies); an install of the package has them when the user adds them. When one is
// missing, the command stops with one line naming the packages to install.

import { InputError } from './errors.ts';

/** What each optional feature needs, in the order `npm i` should name them. */
export const OPTIONAL_FEATURES = {
  plot: ['vega', 'vega-lite', '@resvg/resvg-js', 'dejavu-fonts-ttf'],
  queue: ['bullmq', 'ioredis'],
  webgpu: ['webgpu'],
} as const satisfies Record<string, readonly string[]>;

export type OptionalFeature = keyof typeof OPTIONAL_FEATURES;

/** A feature's package is not installed. Exit status 1: nothing the user typed is wrong. */
export class MissingPackageError extends InputError {
  override name = 'MissingPackageError';
  readonly exitCode = 1;
  constructor(readonly feature: OptionalFeature, readonly missing: string, what: string) {
    const all = OPTIONAL_FEATURES[feature];
    super(`${what} needs the optional package '${missing}', which is not installed: npm i ${all.join(' ')}`);
  }
}

/** The optional package a module-not-found error is about, if it is one of `packages`. */
export function missingPackage(e: unknown, packages: readonly string[]): string | null {
  const err = e as NodeJS.ErrnoException | null;
  if (err == null || (err.code !== 'ERR_MODULE_NOT_FOUND' && err.code !== 'MODULE_NOT_FOUND')) return null;
  const m = /Cannot find (?:package|module) '([^']+)'/.exec(err.message ?? '');
  if (m == null) return null;
  // 'vega' or '/x/node_modules/vega/index.js', 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf', '@resvg/resvg-js'.
  const named = m[1];
  return packages.find((p) => named === p || named.startsWith(`${p}/`) || named.includes(`/node_modules/${p}/`)) ?? null;
}

/**
 * Runs `load` (an import of the feature's code); a missing package of `feature` becomes a
 * MissingPackageError saying what needs it (e.g. 'commons plot'), any other error passes through.
 */
export async function needOptional<T>(feature: OptionalFeature, what: string, load: () => Promise<T> | T): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const missing = missingPackage(e, OPTIONAL_FEATURES[feature]);
    if (missing != null) throw new MissingPackageError(feature, missing, what);
    throw e;
  }
}

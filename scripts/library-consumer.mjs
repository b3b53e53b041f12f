// A strict TypeScript consumer of the installed package, written into a scratch project by
// scripts/measure-install.mjs and test/package.test.ts: it imports the library's entry points and
// types, and one deliberate misuse must be refused, so the check fails if the declarations go loose (any).

/** consumer.ts: checked by tsc with skipLibCheck: false, so every shipped .d.ts is read. */
export const CONSUMER_TS = [
  "import { createVecEnv, train, type TrainConfig, type TrainOptions } from 'commons';",
  "const env = await createVecEnv({ game: 'harvest' });",
  "const cfg: Partial<TrainConfig> = { game: 'cleanup', model: 'influence-moa' };",
  "const opts: TrainOptions = { wasmPaths: '/assets/' };",
  '// @ts-expect-error: wasmPaths is a URL prefix',
  'const bad: TrainOptions = { wasmPaths: 3 };',
  'export const go = () => train(cfg, opts);',
  'export { env, bad };',
].join('\n');

/** Its tsconfig.json; `extra` adds compiler options (typeRoots, say). */
export const consumerTsconfig = (extra = {}) => JSON.stringify({
  compilerOptions: {
    module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: false,
    ...extra,
  },
  files: ['consumer.ts'],
});

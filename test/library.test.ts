// The package as a dependency (npm test builds dist/lib first): a consumer project under the temp folder
// whose node_modules/commons links to this repository imports 'commons' through package.json "exports",
// from Node, through a browser bundler (the bundle runs in headless Chromium), and from TypeScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createVecEnv } from '../src/env/vec-env.ts';
import { browserSkip, launchChromium, serveDir } from './browser.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TFJS_TYPES = Object.keys(JSON.parse(readFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).dependencies)
  .filter((d) => d.startsWith('@types/'))
  .map((d) => d.slice('@types/'.length));

// The consumer's program and the test's own check run the same steps: a fixed action pattern, then a
// hash of every observation and the reward sum. Kept as source text so both run it verbatim.
const STEPS = `
  const env = await createVecEnv({ game: 'cleanup', numEnvs: 2, numAgents: 3, seed: 7 });
  let hash = 2166136261;
  let rewardSum = 0;
  const mix = (bytes) => { for (let k = 0; k < bytes.length; k++) hash = Math.imul(hash ^ bytes[k], 16777619) >>> 0; };
  mix(env.reset().obs);
  const actions = new Uint8Array(env.spec.numEnvs * env.spec.numAgents);
  for (let t = 0; t < 60; t++) {
    for (let i = 0; i < actions.length; i++) actions[i] = (t * 7 + i * 3) % env.spec.numActions;
    const r = env.step(actions);
    mix(r.obs);
    for (const x of r.rewards) rewardSum += x;
  }
  const result = { version: env.spec.version, obsShape: env.spec.obsShape, hash, rewardSum };
  env.close();
`;

let tmp: string;

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `node ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  for (const f of ['dist/lib/node.js', 'dist/lib/browser.js', 'dist/lib/index.d.ts']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run npm run build (npm test does)`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'commons-consumer-'));
  writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  mkdirSync(join(tmp, 'node_modules'));
  symlinkSync(ROOT, join(tmp, 'node_modules', 'commons'), 'dir');
  writeFileSync(join(tmp, 'resolve.mjs'), "console.log(import.meta.resolve('commons'));\n");
  writeFileSync(join(tmp, 'consumer.mjs'), `import { createVecEnv } from 'commons';\n${STEPS}\nconsole.log(JSON.stringify(result));\n`);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function fromSource() {
  const run = new Function('createVecEnv', `return (async () => {${STEPS}\nreturn result; })();`);
  return run(createVecEnv);
}

test('"exports" sends Node to dist/lib/node.js and the browser condition to dist/lib/browser.js', () => {
  assert.match(node(['resolve.mjs']).trim(), /\/dist\/lib\/node\.js$/);
  assert.match(node(['--conditions=browser', 'resolve.mjs']).trim(), /\/dist\/lib\/browser\.js$/);
});

test('Node: import { createVecEnv } from "commons" steps the same trajectory as the sources', async () => {
  const got = JSON.parse(node(['consumer.mjs']));
  assert.deepEqual(got, await fromSource());
  assert.deepEqual(got.obsShape, [15, 15, 3]);
});

test('Node: train() from "commons" writes a run directory and trains over two worker threads', () => {
  const runDir = join(tmp, 'run-lib');
  writeFileSync(join(tmp, 'train.mjs'), `import { train } from 'commons';
const s = await train({ game: 'harvest', agents: 2, envs: 2, steps: 40, rolloutSteps: 10, episodeLength: 20, viewRadius: 2, workers: 2 }, { runDir: ${JSON.stringify(runDir)} });
console.log(JSON.stringify(s));\n`);
  const s = JSON.parse(node(['train.mjs']).trim().split('\n').at(-1)!);
  assert.equal(s.env_steps, 40);
  assert.equal(s.checkpoint, 'step-000000000040');
  assert.ok(existsSync(join(runDir, 'checkpoints', 'step-000000000040', 'manifest.json')));
  assert.equal(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).workers, 2);
});

test('a browser bundler takes dist/lib/browser.js, pulls no node: module, and the bundle steps the same trajectory in Chromium', { skip: browserSkip(), timeout: 120_000 }, async () => {
  const dir = join(tmp, 'web');
  mkdirSync(dir);
  writeFileSync(join(dir, 'page.mjs'), `import { createVecEnv } from 'commons';\n${STEPS}\nglobalThis.__result = result;\n`);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="page.js"></script>');
  const r = await build({
    entryPoints: [join(dir, 'page.mjs')], outfile: join(dir, 'page.js'), absWorkingDir: tmp,
    bundle: true, platform: 'browser', format: 'esm', target: 'es2022', metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('dist/lib/browser.js')), inputs.join('\n'));
  assert.ok(!inputs.some((f) => f.endsWith('dist/lib/node.js')));
  const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((m) => m.path));
  assert.deepEqual(imports.filter((p) => p.startsWith('node:')), []);
  const { url, server } = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result, null, { timeout: 60_000 }).catch(() => {
      throw new Error(`the page did not finish: ${errors.join('; ')}`);
    });
    const got = await page.evaluate(() => (globalThis as { __result?: unknown }).__result);
    assert.deepEqual(got, await fromSource());
  } finally {
    await browser.close();
    server.close();
  }
});

for (const [name, options] of [
  ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
] as const) {
  test(`TypeScript (moduleResolution ${name}) finds the declarations and checks a consumer against them`, () => {
    const dir = join(tmp, `ts-${name}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'consumer.ts'), `
import { createVecEnv, train, MODELS, resolveTrainConfig, type EnvConfig, type VecEnv, type TrainConfig, type MetricsRow, type TrainSummary } from 'commons';

const config: EnvConfig = { game: 'harvest', numEnvs: 2 };
const env: VecEnv = await createVecEnv(config);
const obs: Uint8Array = env.reset().obs;
const shape: [number, number, number] = env.spec.obsShape;
const partial: Partial<TrainConfig> = { game: 'cleanup', model: MODELS[MODELS.length - 1] };
const full: TrainConfig = resolveTrainConfig(partial);
const row: Pick<MetricsRow, 'env_steps'> = { env_steps: 0 };
// Were the declarations not found, every name above would be 'any' and these would not be errors.
// @ts-expect-error: 'chess' is not a game
const bad: EnvConfig = { game: 'chess' };
// @ts-expect-error: not a model
const badModel: Partial<TrainConfig> = { model: 'dqn' };
const run = (): Promise<TrainSummary> => train({ game: 'harvest', steps: 100 }, { onReport: (r: MetricsRow) => r.env_steps });
// @ts-expect-error: steps is a number
const badTrain = () => train({ steps: '1e6' });
export { obs, shape, full, row, bad, badModel, run, badTrain };
`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        ...options, target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: false,
        // What an install hoists into the consumer's node_modules/@types: tfjs-core's own @types dependencies
        // (the symlinked package leaves them in this repository). Not @types/node: a browser consumer has none.
        typeRoots: [join(ROOT, 'node_modules', '@types')], types: TFJS_TYPES,
      },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

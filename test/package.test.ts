// The package as npm ships it (npm test builds dist/ first): `npm pack` of this repository, unpacked into a
// scratch project the way `npm i commons-0.1.0.tgz` lays it out, with only its declared dependencies beside
// it (linked from this repository's node_modules, so the test needs no network). What a library user gets:
// what the tarball carries, the CLI working without the optional packages and naming them when a command
// needs one, declarations that check with skipLibCheck: false, and README's "In a web page" steps run as
// written (esbuild, cp, a page in Chromium that trains). The install's size from the registry is measured
// by scripts/measure-install.mjs (npm run bench:install), not here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserSkip, launchChromium, serveDir } from './browser.ts';
import { CONSUMER_TS, consumerTsconfig } from '../scripts/library-consumer.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let tmp: string;
let project: string;
let files: string[];
let cli: string;

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeout = 120_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The package and every package it depends on (transitively), as this repository's node_modules holds them. */
function dependencyClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const manifest = join(ROOT, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return;
    seen.add(name);
    for (const d of Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).dependencies ?? {})) visit(d);
  };
  names.forEach(visit);
  return [...seen];
}

function link(name: string) {
  const to = join(project, 'node_modules', name);
  if (existsSync(to)) return;
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', name), to, 'dir');
}

before(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js')) || !existsSync(join(ROOT, 'dist', 'lib', 'browser.js'))) {
    throw new Error('dist/ is missing: run npm run build (npm test does)');
  }
  tmp = mkdtempSync(join(tmpdir(), 'commons-package-'));
  const pack = sh('npm', ['pack', '--json', '--pack-destination', tmp], ROOT, { npm_config_offline: 'true' });
  assert.equal(pack.status, 0, pack.stderr);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0] as { filename: string; files: { path: string }[] };
  files = packed.files.map((f) => f.path);
  project = join(tmp, 'project');
  const installed = join(project, 'node_modules', 'commons');
  mkdirSync(installed, { recursive: true });
  const untar = sh('tar', ['-xzf', join(tmp, packed.filename), '-C', installed, '--strip-components=1'], tmp);
  assert.equal(untar.status, 0, untar.stderr);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const name of dependencyClosure(Object.keys(PKG.dependencies))) link(name);
  cli = join(installed, 'dist', 'cli.js');
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('package.json: the library depends on tfjs-core and comlink only; plotting, the queue and Node WebGPU are optional peers the repository installs', () => {
  assert.deepEqual(Object.keys(PKG.dependencies).sort(), ['@tensorflow/tfjs-core', 'comlink']);
  assert.equal(PKG.optionalDependencies, undefined, 'npm installs optionalDependencies by default (webgpu: 132 MB)');
  const optional = ['@resvg/resvg-js', 'bullmq', 'dejavu-fonts-ttf', 'ioredis', 'vega', 'vega-lite', 'webgpu'];
  assert.deepEqual(Object.keys(PKG.peerDependencies).sort(), optional);
  for (const name of optional) {
    assert.equal(PKG.peerDependenciesMeta[name]?.optional, true, name);
    assert.ok(PKG.devDependencies[name], `${name} is a devDependency, so that npm ci in a clone installs it`);
  }
});

test('the tarball carries the CLI, the library and its wasm binaries, and no web app, gallery archives or source maps', () => {
  for (const f of ['dist/cli.js', 'dist/shard-worker.js', 'dist/lib/node.js', 'dist/lib/browser.js', 'dist/lib/index.d.ts',
    'dist/lib/tfjs-backend-wasm.wasm', 'dist/lib/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'package.json', 'README.md']) {
    assert.ok(files.includes(f), `${f} is missing from the tarball`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith('dist/web/') || f.endsWith('.map') || f.endsWith('.tar') || f === 'dist/sizes.json' || f.includes('threaded')), []);
  // Every chunk the CLI imports is in the tarball.
  for (const f of readdirSync(join(ROOT, 'dist')).filter((f) => f.startsWith('chunk-'))) assert.ok(files.includes(`dist/${f}`), f);
});

test('the declarations import nothing the package does not ship: a consumer checks with skipLibCheck: false', () => {
  for (const f of files.filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(join(project, 'node_modules', 'commons', f), 'utf8');
    assert.doesNotMatch(text, /^import\s+['"]|from\s+['"][^'"]*(build\/|@tensorflow\/tfjs-backend)/m, f);
  }
  const dir = join(project, 'ts');
  mkdirSync(dir);
  writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
  writeFileSync(join(dir, 'tsconfig.json'), consumerTsconfig({ typeRoots: [join(project, 'node_modules', '@types')] }));
  const r = sh(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('installed without the optional packages, the CLI trains, and a command that needs one names what to install', () => {
  const run = join(project, 'run-a');
  const train = sh(process.execPath, [cli, 'train', '--game', 'harvest', '--agents', '2', '--envs', '2', '--steps', '40', '--rollout', '10', '--episode-length', '20', '--out', run], project);
  assert.equal(train.status, 0, train.stderr);
  assert.ok(existsSync(join(run, 'summary.json')));
  // A local sweep needs no queue packages (its children are the installed CLI's own).
  const spec = join(project, 'sweep.json');
  writeFileSync(spec, JSON.stringify({ name: 'tiny', games: ['harvest'], models: ['a2c'], seeds: [0], steps: 40,
    config: { agents: 2, envs: 2, episodeLength: 20, viewRadius: 2, rolloutSteps: 10, checkpointEvery: 20 } }));
  const sweep = sh(process.execPath, [cli, 'sweep', 'run', spec, '--out', join(project, 'sweep')], project);
  assert.equal(sweep.status, 0, sweep.stdout + sweep.stderr);
  assert.match(sweep.stdout, /sweep tiny: 1 of 1 done, 0 failed/);
  // Its report: the tables, and a line saying why the curves are not drawn.
  const rep = sh(process.execPath, [cli, 'sweep', 'report', join(project, 'sweep')], project);
  assert.equal(rep.status, 0, rep.stderr);
  assert.ok(existsSync(join(project, 'sweep', 'report', 'report.md')));
  assert.equal(rep.stderr, "commons sweep report: warning: the curves are not drawn: plotting needs the optional package 'vega', which is not installed: npm i vega vega-lite @resvg/resvg-js dejavu-fonts-ttf\n");
  const cases: [string[], RegExp][] = [
    [['serve', '--port', '0'], /^commons serve: .* the web app is not part of the npm package; run it from a clone of the repository/],
    [['plot', run, '--out', join(project, 'c.png')], /^commons plot: plotting needs the optional package 'vega', which is not installed: npm i vega vega-lite @resvg\/resvg-js dejavu-fonts-ttf\n$/],
    [['sweep', 'submit', 'x.json', '--queue', 'redis://127.0.0.1:1', '--store', project], /^commons sweep submit: the sweep queue needs the optional package 'bullmq', which is not installed: npm i bullmq ioredis\n$/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--store', project], /^commons worker: the sweep queue needs the optional package 'bullmq', which is not installed: npm i bullmq ioredis\n$/],
    [['train', '--game', 'harvest', '--agents', '2', '--envs', '2', '--steps', '40', '--backend', 'webgpu', '--out', join(project, 'run-gpu')], /npm i webgpu/],
  ];
  for (const [args, want] of cases) {
    const r = sh(process.execPath, [cli, ...args], project);
    assert.match(r.stderr, want, args.join(' '));
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

/** The project's esbuild: `npm i esbuild` would fetch it; this repository's is the same package. */
function linkEsbuild() {
  for (const name of ['esbuild', ...readdirSync(join(ROOT, 'node_modules', '@esbuild')).map((n) => `@esbuild/${n}`)]) link(name);
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  if (!existsSync(join(project, 'node_modules', '.bin', 'esbuild'))) symlinkSync('../esbuild/bin/esbuild', join(project, 'node_modules', '.bin', 'esbuild'));
}

/** A fenced block of README's "In a web page" section: the n-th of the given language. */
function readmeBlock(lang: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### In a web page'));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!m) throw new Error(`README's "In a web page" has no \`\`\`${lang} block`);
  return m[1];
}

test("README's \"In a web page\": esbuild and cp as written, and the page trains influence-moa in Chromium", { skip: browserSkip(), timeout: 240_000 }, async () => {
  const dir = join(project, 'web');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'page', private: true, type: 'module' }));
  symlinkSync(join(project, 'node_modules'), join(dir, 'node_modules'), 'dir');
  linkEsbuild();
  writeFileSync(join(dir, 'main.ts'), readmeBlock('ts'));
  mkdirSync(join(dir, 'public'));
  const html = readmeBlock('html');
  writeFileSync(join(dir, 'public', 'index.html'), html);
  const commands = readmeBlock('bash').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
  assert.match(commands[0], /^npm i /, 'the first step installs the package (done above, from the tarball)');
  for (const cmd of commands.slice(1)) {
    const r = sh('bash', ['-c', cmd], dir, { npm_config_offline: 'true', npm_config_update_notifier: 'false' });
    assert.equal(r.status, 0, `${cmd}:\n${r.stdout}${r.stderr}`);
  }
  assert.ok(existsSync(join(dir, 'public', 'main.js')));
  const { url, server } = await serveDir(join(dir, 'public'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => /trained/.test(document.body?.textContent ?? ''), null, { timeout: 180_000 }).catch(() => {
      throw new Error(`the page did not finish training: ${errors.join('; ')}`);
    });
    assert.equal(await page.textContent('body'), 'trained 240 env steps in 3 updates');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('in a page whose bundle (in assets/) has no wasm binaries beside it, train() fails with one line naming the files, the bundle\'s folder and the fix', { skip: browserSkip(), timeout: 120_000 }, async () => {
  const dir = join(project, 'web-missing');
  mkdirSync(join(dir, 'public'), { recursive: true });
  writeFileSync(join(dir, 'main.ts'), "import { train } from 'commons';\n" +
    "train({ game: 'harvest', envs: 2, agents: 2, steps: 40 }).then(() => { document.body.textContent = 'trained'; }, (e) => { document.body.textContent = 'error: ' + e.message; });\n");
  writeFileSync(join(dir, 'public', 'index.html'), '<!doctype html><script type="module" src="assets/main.js"></script>');
  symlinkSync(join(project, 'node_modules'), join(dir, 'node_modules'), 'dir');
  linkEsbuild();
  const r = sh(join(project, 'node_modules', '.bin', 'esbuild'), ['main.ts', '--bundle', '--format=esm', '--platform=browser', '--outdir=public/assets', '--log-level=warning'], dir);
  assert.equal(r.status, 0, r.stderr);
  const { url, server } = await serveDir(join(dir, 'public'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => /trained|error/.test(document.body?.textContent ?? ''), null, { timeout: 60_000 });
    const text = (await page.textContent('body')) ?? '';
    assert.match(text, /^error: tfjs backend 'wasm' failed to initialise: its binaries \(tfjs-backend-wasm\.wasm, tfjs-backend-wasm-simd\.wasm\) could not be loaded from http:\/\/127\.0\.0\.1:\d+\/assets\/; copy them there from node_modules\/commons\/dist\/lib\/, or pass wasmPaths/);
  } finally {
    await browser.close();
    server.close();
  }
});

// Bundles the TypeScript sources with esbuild (run after build-core.mjs, which writes build/):
//   dist/cli.js            Node ESM, the `commons` bin (src/cli/main.ts)
//   dist/shard-worker.js   Node ESM, the worker_threads entry of one environment shard (src/parallel/worker-node.ts)
//   dist/chunk-HASH.js     their shared code, and the parts the CLI imports only when a command needs them
//                          (plotting, the sweeps' queue): those import the optional packages (vega, bullmq, ...)
//                          from node_modules, so a command that does not need one runs without it
//   dist/*.wasm            tfjs-backend-wasm's binaries: the backend loads them from beside the bundle
//   dist/web/              the web app: src/web's static files (html, css, svg, png); app.js, worker.js and
//                          the scripts its pages load, with their shared chunk-HASH.js files (browser ESM,
//                          minified, linked source maps); the tfjs-backend-wasm binaries again
//   dist/lib/              the library entry: node.js (src/node.ts), browser.js (src/index.ts), index.d.ts (+ the
//                          declarations it references), reached through package.json "exports"; the
//                          tfjs-backend-wasm binaries beside them (found there by default: see src/learn/tfjs/backend.ts)
//   dist/sizes.json        bytes and gzip bytes of every bundle, also printed as a table
// An entry whose source file does not exist is skipped with a line saying so. Any esbuild error fails
// the build (exit status 1) after the other outputs are written; when a browser bundle reaches a node:
// module the error is followed by the import chain that pulls it in.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = join(root, 'dist');
const rel = (p) => relative(root, p).split('\\').join('/');
const started = performance.now();

// The lib bundles and the web bundles are rebuilt whole: stale files (a removed page, an old .d.ts)
// must not linger beside the new ones.
rmSync(join(dist, 'web'), { recursive: true, force: true });
rmSync(join(dist, 'lib'), { recursive: true, force: true });
if (existsSync(dist)) for (const f of readdirSync(dist).filter((f) => /^chunk-.*\.js$/.test(f))) rmSync(join(dist, f));
mkdirSync(join(dist, 'web'), { recursive: true });
mkdirSync(join(dist, 'lib'), { recursive: true });

// esbuild's Node ESM output may still call require() (CommonJS dependencies) or read __dirname.
const NODE_GLOBALS = [
  "import { createRequire as __cr } from 'node:module';",
  "import { fileURLToPath as __fu } from 'node:url';",
  "import { dirname as __dn } from 'node:path';",
  'const require = __cr(import.meta.url);',
  'const __filename = __fu(import.meta.url);',
  'const __dirname = __dn(__filename);',
].join('\n');

// The code's version, embedded in the Node bundles for config.json and `commons --version`
// (src/util/code-version.ts): the package version and the commit built, when this is a git checkout.
const git = (...args) => {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const commit = git('rev-parse', 'HEAD');
const BUILD_INFO = {
  version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  commit,
  dirty: commit !== null && git('status', '--porcelain', '--untracked-files=no') !== '',
};

const NODE = {
  bundle: true,
  define: { __COMMONS_BUILD__: JSON.stringify(BUILD_INFO) },
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ESM builds: tfjs's CommonJS node builds are marked side-effect free and would be dropped.
  mainFields: ['module', 'main'],
  logLevel: 'silent',
};

const BROWSER = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  // AssemblyScript's ESM bindings use top-level await and class fields.
  target: 'es2022',
  logLevel: 'silent',
};

// The library keeps package.json's "dependencies" (tfjs-core and comlink) external: they are installed with
// `commons`, so a user shares one tfjs-core with it (tf.memory(), custom backends), and a browser user's
// bundler resolves and de-duplicates them. Everything else the library runs is in dist/lib/*.js: our code,
// build/ (the embedded cores) and the tfjs backends (cpu, wasm, webgpu), which as packages would add 41 MB
// to an install (BENCHMARKS.md, "Bundle sizes").
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const DEPENDENCIES = Object.keys(pkg.dependencies ?? {});
// Optional packages (package.json "peerDependenciesMeta"): loaded at run time from node_modules by the
// command that needs them, which names the package to install when it is missing (src/util/optional.ts).
const OPTIONAL = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((k) => pkg.peerDependenciesMeta[k].optional);

// src/learn/tfjs/backend.ts imports build/tfjs-gradients.js, tfjs-core's gradients pre-bundled with a
// private copy of tfjs-core, because Node cannot load tfjs-core's ESM tree from source. A bundle that
// resolves tfjs-core to that same ESM tree (browser bundles) can import the gradients from it directly,
// and carries one tfjs-core instead of two. `external` keeps the import for the user's bundler.
const GRADIENTS_ESM = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
function gradientsFromTfjsCore({ external }) {
  return {
    name: 'gradients-from-tfjs-core',
    setup(b) {
      b.onResolve({ filter: /\/build\/tfjs-gradients\.js$/ }, () =>
        external ? { path: '@tensorflow/tfjs-core/dist/register_all_gradients.js', external: true } : { path: GRADIENTS_ESM },
      );
    },
  };
}

/** [output, entry, esbuild options] */
const BUNDLES = [
  ['dist/lib/node.js', 'src/node.ts', { ...NODE, external: [...DEPENDENCIES, ...OPTIONAL], banner: { js: NODE_GLOBALS } }],
  ['dist/lib/browser.js', 'src/index.ts', { ...BROWSER, external: DEPENDENCIES, plugins: [gradientsFromTfjsCore({ external: true })] }],
];

/** The Node programs: one build with code splitting, so that what a command imports on demand stays out
 * of the others' way (a missing optional package fails only the command that imports it). */
const NODE_PROGRAMS = {
  entries: { cli: 'src/cli/main.ts', 'shard-worker': 'src/parallel/worker-node.ts' },
  options: { ...NODE, external: OPTIONAL, splitting: true, chunkNames: 'chunk-[hash]', banner: { js: NODE_GLOBALS } },
};

const failures = [];
/** Outputs written by this run (a failed bundle may leave an older file behind: not measured). */
const built = new Set();

async function bundle([out, entry, options]) {
  const outfile = join(root, out);
  if (!existsSync(join(root, entry))) {
    rmSync(outfile, { force: true });
    rmSync(outfile + '.map', { force: true });
    console.log(`skip ${out}: ${entry} does not exist yet`);
    return;
  }
  try {
    await build({ ...options, entryPoints: [join(root, entry)], outfile, absWorkingDir: root });
    built.add(out);
  } catch (e) {
    await reportFailure(out, entry, e, options);
  }
}

async function bundleNodePrograms() {
  const entryPoints = {};
  for (const [name, entry] of Object.entries(NODE_PROGRAMS.entries)) {
    if (existsSync(join(root, entry))) entryPoints[name] = join(root, entry);
    else console.log(`skip dist/${name}.js: ${entry} does not exist yet`);
  }
  try {
    const { metafile } = await build({ ...NODE_PROGRAMS.options, entryPoints, outdir: dist, absWorkingDir: root, metafile: true });
    for (const out of Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'))) built.add(out);
  } catch (e) {
    await reportFailure('dist/cli.js, dist/shard-worker.js', Object.values(entryPoints).map(rel).join(', '), e, NODE_PROGRAMS.options);
  }
  // The bin runs as a program: its shebang goes on dist/cli.js alone (a banner would put it on every chunk).
  const cli = join(dist, 'cli.js');
  if (existsSync(cli)) {
    const text = readFileSync(cli, 'utf8');
    if (!text.startsWith('#!')) writeFileSync(cli, '#!/usr/bin/env node\n' + text, { mode: 0o755 });
  }
}

// The web app's scripts: app.js and worker.js, and any other src/web/NAME.ts whose NAME.js a page of
// src/web loads with <script src>. One build with code splitting: the page and the workers share their
// common code (tfjs, the env core) as chunk-HASH.js files, downloaded once, and the WebGPU backend,
// imported on demand, is a chunk that a WASM session never fetches. Chunks sit beside the entries so
// that import.meta.url-relative paths (worker.js, the tfjs .wasm files) mean the same in every file.
function webEntries() {
  const web = join(root, 'src', 'web');
  const names = new Set(['app', 'worker']);
  for (const page of existsSync(web) ? readdirSync(web).filter((f) => f.endsWith('.html')) : []) {
    for (const m of readFileSync(join(web, page), 'utf8').matchAll(/<script\b[^>]*\bsrc=["']\.?\/?([\w-]+)\.js["']/g)) names.add(m[1]);
  }
  const entries = {};
  for (const name of names) {
    if (existsSync(join(web, `${name}.ts`))) entries[name] = join(web, `${name}.ts`);
    else console.log(`skip dist/web/${name}.js: src/web/${name}.ts does not exist yet`);
  }
  return entries;
}

async function bundleWeb() {
  const entryPoints = webEntries();
  if (Object.keys(entryPoints).length === 0) return;
  const options = {
    ...BROWSER, minify: true, sourcemap: 'linked', splitting: true, chunkNames: 'chunk-[hash]',
    plugins: [gradientsFromTfjsCore({ external: false })],
  };
  try {
    const { metafile } = await build({ ...options, entryPoints, outdir: join(dist, 'web'), absWorkingDir: root, metafile: true });
    for (const out of Object.keys(metafile.outputs).filter((f) => f.endsWith('.js') || f.endsWith('.css'))) built.add(out);
  } catch (e) {
    await reportFailure('dist/web/*.js', Object.values(entryPoints).map(rel).join(', '), e, options);
  }
}

async function reportFailure(out, entry, e, options) {
  const errors = e.errors ?? [{ text: String(e) }];
  const lines = errors.map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);
  if (options.platform === 'browser' && errors.some((m) => /node:|built into node/.test(m.text))) {
    for (const one of entry.split(', ')) {
      lines.push(`  import chains from ${one} to Node built-ins:`, ...(await nodeImportChains(one, options)).map((c) => `    ${c}`));
    }
  }
  failures.push(`${out} (from ${entry}):\n${lines.join('\n')}`);
}

/** For a browser entry that reaches Node built-ins: one shortest import chain from the entry to each. */
async function nodeImportChains(entry, options) {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const { metafile } = await build({
    ...options, entryPoints: [join(root, entry)], absWorkingDir: root, write: false, metafile: true, minify: false,
    sourcemap: false, splitting: false, outfile: join(root, 'dist/.chains.js'), external: [...(options.external ?? []), ...builtins],
  });
  const parent = new Map([[entry, null]]);
  const queue = [entry];
  const chains = [];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external && builtins.has(imp.path)) {
        const chain = [imp.path];
        for (let f = file; f !== null; f = parent.get(f)) chain.unshift(f);
        if (!chains.some((c) => c.at(-1) === imp.path)) chains.push(chain);
      } else if (!imp.external && !parent.has(imp.path)) {
        parent.set(imp.path, file);
        queue.push(imp.path);
      }
    }
  }
  return chains.map((c) => c.join(' -> '));
}

/** dist/lib/**.d.ts from src/index.ts; relative `.ts` specifiers become `.js` so that they resolve. */
async function declarations() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { cwd: root });
  } catch (e) {
    failures.push(`dist/lib/index.d.ts (tsc -p tsconfig.types.json):\n${(e.stdout || e.message).trimEnd()}`);
    return;
  }
  // Declaration output keeps the sources' './x.ts' specifiers (allowImportingTsExtensions). TypeScript 5
  // maps those to x.d.ts, TypeScript 4 rejects them (TS2691); './x.js' maps to x.d.ts in every version
  // and module resolution mode.
  const specifier = /((?:from\s+|import\s*\(\s*)(['"]))(\.{1,2}\/[^'"]*?)\.ts\2/g;
  // Side-effect imports (`import '...';`: tfjs backends, build/tfjs-gradients.js) carry no types, and name
  // files a package does not ship (build/) or packages it bundles: a consumer checking every declaration
  // (skipLibCheck: false) would fail on them.
  const sideEffect = /^import\s+(['"])[^'"]+\1;?[ \t]*\r?\n/gm;
  for (const file of listFiles(join(dist, 'lib')).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(specifier, '$1$3.js$2').replace(sideEffect, '');
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

function copyAssets() {
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
    copyFileSync(join(wasmDir, f), join(dist, 'web', f));
    // The threaded build is never loaded by the CLI or the library (initBackend turns threads off): the
    // package carries the other two.
    if (f.includes('threaded')) { rmSync(join(dist, f), { force: true }); continue; }
    copyFileSync(join(wasmDir, f), join(dist, f));
    copyFileSync(join(wasmDir, f), join(dist, 'lib', f));
  }
  const web = join(root, 'src', 'web');
  const statics = existsSync(web) ? readdirSync(web).filter((f) => /\.(html|css|svg|png)$/.test(f)) : [];
  for (const f of statics) copyFileSync(join(web, f), join(dist, 'web', f));
  // The gallery: player checkpoints of trained agents (gallery/, made by scripts/make-gallery.sh) and its index.
  // Without a gallery folder the page still finds an (empty) index rather than a 404.
  const gallery = join(root, 'gallery');
  mkdirSync(join(dist, 'web', 'gallery'), { recursive: true });
  if (existsSync(gallery)) {
    for (const f of readdirSync(gallery)) if (/\.(tar|json)$/.test(f)) copyFileSync(join(gallery, f), join(dist, 'web', 'gallery', f));
  }
  if (!existsSync(join(dist, 'web', 'gallery', 'gallery.json'))) writeFileSync(join(dist, 'web', 'gallery', 'gallery.json'), '{ "entries": [] }\n');
  // The first entry plays as the page opens: the page preloads its checkpoint with the index (the file is
  // named in gallery.json, so the build writes the link).
  const first = JSON.parse(readFileSync(join(dist, 'web', 'gallery', 'gallery.json'), 'utf8')).entries?.[0]?.file;
  const page = join(dist, 'web', 'index.html');
  if (typeof first === 'string' && /^[\w.-]+$/.test(first) && existsSync(page)) {
    const html = readFileSync(page, 'utf8');
    const link = `<link rel="preload" href="gallery/${first}" as="fetch" crossorigin="anonymous">`;
    writeFileSync(page, html.replace(/(<link rel="preload" href="gallery\/gallery\.json"[^>]*>)/, `$1\n  ${link}`));
  }
  if (!statics.includes('index.html')) console.log('skip dist/web/index.html: src/web/index.html does not exist yet');
}

copyAssets();
await Promise.all([bundleNodePrograms(), ...BUNDLES.map(bundle), bundleWeb(), declarations()]);

// Sizes: every bundle that was built, and the tfjs-backend-wasm binaries a browser downloads.
const WEB_ORDER = (f) => [/\/app\.js$/, /\/worker\.js$/, /\/(?!chunk-)[^/]+\.js$/, /\/chunk-/, /\.css$/].findIndex((r) => r.test(f));
const NODE_ORDER = (f) => [/\/cli\.js$/, /\/shard-worker\.js$/, /\/chunk-/].findIndex((r) => r.test(f));
const sized = [
  ...[...built].filter((f) => /^dist\/[^/]+\.js$/.test(f)).sort((a, b) => NODE_ORDER(a) - NODE_ORDER(b) || a.localeCompare(b)),
  ...BUNDLES.map(([out]) => out).filter((f) => built.has(f)),
  ...[...built].filter((f) => f.startsWith('dist/web/')).sort((a, b) => WEB_ORDER(a) - WEB_ORDER(b) || a.localeCompare(b)),
  ...readdirSync(join(dist, 'web')).filter((f) => f.endsWith('.wasm')).sort().map((f) => `dist/web/${f}`),
];
const sizes = {};
for (const f of sized) {
  const bytes = readFileSync(join(root, f));
  sizes[f] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
writeFileSync(join(dist, 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n');
const w = Math.max(...sized.map((f) => f.length));
const num = (n) => n.toLocaleString('en-US').padStart(11);
console.log(`${'bundle'.padEnd(w)} ${'bytes'.padStart(11)} ${'gzip -9'.padStart(11)}`);
for (const f of sized) console.log(`${f.padEnd(w)} ${num(sizes[f].bytes)} ${num(sizes[f].gzip)}`);
const dts = existsSync(join(dist, 'lib', 'index.d.ts')) ? listFiles(join(dist, 'lib')).filter((f) => f.endsWith('.d.ts')) : [];
console.log(`dist/lib: ${dts.length} declaration files; built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

if (failures.length > 0) {
  console.error(`\nbuild failed:\n${failures.join('\n\n')}`);
  process.exitCode = 1;
}

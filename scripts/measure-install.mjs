// What a library user downloads: packs this repository (npm pack, after npm run build), installs the
// tarball into a fresh scratch project with npm (this reaches the npm registry, as any install does),
// and reports the tarball's size, the install's size (node_modules: the files' bytes, and the disk space
// `du -sk` counts) and its largest packages. Then it checks the install as a user would: Node imports 'commons' and steps an environment,
// `npx commons --version` runs, and TypeScript (skipLibCheck: false) checks a consumer against the
// shipped declarations. Figures go to BENCHMARKS.md ("Bundle sizes").
//
// Usage: npm run bench:install [-- --keep] [-- --json]
//   --keep   leave the scratch project (its path is printed)
//   --json   print the figures as one JSON object at the end
// Exit status: 0 when every check passed, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSUMER_TS, consumerTsconfig } from './library-consumer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const asJson = process.argv.includes('--json');
const TARGET_MB = 60;

function run(cmd, args, cwd, timeout = 600_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: r.stdout ?? '' };
}

/** Apparent bytes (the sum of file sizes, as the tarball and the registry count them) under `dir`. */
function bytesUnder(dir) {
  let total = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) total += bytesUnder(p);
    else if (d.isFile()) total += statSync(p).size;
    else if (d.isSymbolicLink()) total += lstatSync(p).size;
  }
  return total;
}

/** Each installed package (scoped ones by their full name) and its own bytes, largest first. */
function packages(nodeModules) {
  const out = [];
  const visit = (dir) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (!d.isDirectory() || d.name.startsWith('.')) continue;
      const p = join(dir, d.name);
      if (d.name.startsWith('@')) { visit(p); continue; }
      out.push({ name: p.slice(nodeModules.length + 1), bytes: bytesUnder(p) });
    }
  };
  visit(nodeModules);
  return out.sort((a, b) => b.bytes - a.bytes);
}

const mb = (n) => (n / 1e6).toFixed(1) + ' MB';
const scratch = mkdtempSync(join(tmpdir(), 'commons-install-'));
const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
};

try {
  const pack = run('npm', ['pack', '--json', '--pack-destination', scratch], root);
  if (!pack.ok) throw new Error(`npm pack failed:\n${pack.out}`);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
  const tarball = join(scratch, packed.filename);
  console.log(`packed ${packed.filename}: ${mb(packed.size)} (${packed.entryCount} files, ${mb(packed.unpackedSize)} unpacked)`);

  const project = join(scratch, 'project');
  rmSync(project, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
  const t0 = performance.now();
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', tarball], project);
  if (!install.ok) throw new Error(`npm install failed:\n${install.out}`);
  const seconds = (performance.now() - t0) / 1000;
  const nodeModules = join(project, 'node_modules');
  const total = bytesUnder(nodeModules);
  const pkgs = packages(nodeModules);
  const du = spawnSync('du', ['-sk', nodeModules], { encoding: 'utf8' });
  const diskBytes = du.status === 0 ? Number(du.stdout.split(/\s/)[0]) * 1024 : null;
  console.log(`installed in ${seconds.toFixed(0)} s: node_modules ${mb(total)} in ${pkgs.length} packages (target < ${TARGET_MB} MB)` +
    `${diskBytes !== null ? `; ${mb(diskBytes)} on disk (du -sk)` : ''}`);
  for (const p of pkgs.slice(0, 8)) console.log(`  ${mb(p.bytes).padStart(9)}  ${p.name}`);
  check(`install under ${TARGET_MB} MB`, total < TARGET_MB * 1e6, mb(total));

  writeFileSync(join(project, 'env.mjs'), [
    "import { createVecEnv } from 'commons';",
    "const env = await createVecEnv({ game: 'cleanup', numEnvs: 2, numAgents: 2, seed: 1 });",
    'env.reset(); for (let t = 0; t < 10; t++) env.step(new Uint8Array(4));',
    'console.log(env.spec.version); env.close();',
  ].join('\n'));
  const env = run(process.execPath, ['env.mjs'], project, 60_000);
  check("Node: import { createVecEnv } from 'commons'", env.ok && /cleanup_v1/.test(env.out), env.ok ? '' : env.out.trim().split('\n').slice(-3).join(' | '));

  const cli = run(process.execPath, [join(nodeModules, 'commons', 'dist', 'cli.js'), '--version'], project, 60_000);
  check('commons --version', cli.ok, cli.out.trim().split('\n').at(-1));

  // The declarations as a strict consumer sees them: every .d.ts checked (skipLibCheck: false).
  writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
  writeFileSync(join(project, 'tsconfig.json'), consumerTsconfig());
  const tsc = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project, 180_000);
  check('TypeScript, skipLibCheck: false', tsc.ok, tsc.ok ? '' : tsc.out.trim().split('\n').slice(0, 4).join(' | '));

  if (asJson) {
    console.log(JSON.stringify({
      tarball_bytes: packed.size, tarball_files: packed.entryCount, unpacked_bytes: packed.unpackedSize,
      install_bytes: total, install_disk_bytes: diskBytes, install_packages: pkgs.length, install_seconds: Math.round(seconds),
      largest: pkgs.slice(0, 8), checks,
    }));
  }
} catch (e) {
  console.error(e.message);
  checks.push({ name: 'measure', ok: false });
} finally {
  if (keep) console.log(`scratch project kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;

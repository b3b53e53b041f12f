// commons serve: the static server of the web app. Raw HTTP requests (node:http sends the path as
// written, so '/../x' reaches the server unnormalised) against startServer, then the bundled CLI as a
// child process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../src/cli/serve.ts';
import { UsageError } from '../src/cli/args.ts';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));
const SECRET = 'outside the served folder';

const FILES: Record<string, { body: string; type: string }> = {
  'index.html': { body: '<!doctype html><title>commons</title>', type: 'text/html; charset=utf-8' },
  'app.js': { body: 'export {};', type: 'text/javascript; charset=utf-8' },
  'lib.mjs': { body: 'export {};', type: 'text/javascript; charset=utf-8' },
  'style.css': { body: 'body{}', type: 'text/css; charset=utf-8' },
  'core.wasm': { body: '\0asm\x01\0\0\0', type: 'application/wasm' },
  'sizes.json': { body: '{}', type: 'application/json; charset=utf-8' },
  'app.js.map': { body: '{"version":3}', type: 'application/json; charset=utf-8' },
  'logo.svg': { body: '<svg xmlns="http://www.w3.org/2000/svg"/>', type: 'image/svg+xml' },
  'shot.png': { body: '\x89PNG', type: 'image/png' },
  'run.tar': { body: 'tar', type: 'application/x-tar' },
  'blob.bin': { body: 'bin', type: 'application/octet-stream' },
  'sub/index.html': { body: '<p>sub</p>', type: 'text/html; charset=utf-8' },
};

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

let tmp: string;
let dir: string;
let server: RunningServer;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'commons-serve-'));
  dir = join(tmp, 'web');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  for (const [name, { body }] of Object.entries(FILES)) writeFileSync(join(dir, name), body, 'latin1');
  // Files a traversal would reach: beside the served folder and a prefix-sharing sibling folder.
  writeFileSync(join(tmp, 'secret.txt'), SECRET);
  mkdirSync(join(tmp, 'web-private'));
  writeFileSync(join(tmp, 'web-private', 'secret.txt'), SECRET);
  server = await startServer({ port: 0, host: '127.0.0.1', dir });
});

after(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** One request with the path sent byte for byte as given. */
function raw(url: string, path: string, method = 'GET'): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('every file is served with its MIME type, its exact bytes and the isolation headers', async () => {
  for (const [name, { body, type }] of Object.entries(FILES)) {
    const r = await raw(server.url, '/' + name);
    assert.equal(r.status, 200, name);
    assert.equal(r.headers['content-type'], type, name);
    assert.deepEqual(r.body, Buffer.from(body, 'latin1'), name);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(body, 'latin1')), name);
    for (const [h, v] of Object.entries(ISOLATION)) assert.equal(r.headers[h], v, `${name}: ${h}`);
  }
});

test('/ and a folder serve their index.html; a query string is ignored', async () => {
  for (const [path, file] of [['/', 'index.html'], ['/?v=2', 'index.html'], ['/sub/', 'sub/index.html'], ['/sub', 'sub/index.html']]) {
    const r = await raw(server.url, path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body.toString(), FILES[file].body, path);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
  }
  const encoded = await raw(server.url, '/%61pp.js');
  assert.equal(encoded.status, 200);
  assert.equal(encoded.body.toString(), FILES['app.js'].body);
});

test('a missing file is a 404 with the same headers', async () => {
  for (const path of ['/nope.js', '/sub/nope.html', '/index.html/x', '/nope/']) {
    const r = await raw(server.url, path);
    assert.equal(r.status, 404, path);
    for (const [h, v] of Object.entries(ISOLATION)) assert.equal(r.headers[h], v, `${path}: ${h}`);
  }
});

test('paths that climb out of the folder are refused and never reach a file outside it', async () => {
  const attempts = [
    '/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt',
    '/sub/../../secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/..\\secret.txt',
    '/../web-private/secret.txt', '/%2e%2e/web-private/secret.txt', '/../../../../../../etc/passwd',
    '/%00index.html', '/index.html%00.js', '//etc/passwd', '/%2fetc%2fpasswd',
  ];
  for (const path of attempts) {
    const r = await raw(server.url, path);
    assert.ok(r.status === 403 || r.status === 404 || r.status === 400, `${path}: status ${r.status}`);
    assert.ok(!r.body.toString().includes(SECRET), `${path} leaked the file`);
    assert.ok(!r.body.toString().includes('root:'), `${path} leaked /etc/passwd`);
  }
  assert.equal((await raw(server.url, '/../secret.txt')).status, 403);
  assert.equal((await raw(server.url, '/%2e%2e/secret.txt')).status, 403);
  assert.equal((await raw(server.url, '/%zz')).status, 400);
});

test('HEAD answers headers only; other methods are 405 with Allow', async () => {
  const head = await raw(server.url, '/app.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], String(FILES['app.js'].body.length));
  assert.equal(head.headers['content-type'], 'text/javascript; charset=utf-8');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await raw(server.url, '/index.html', method);
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD', method);
  }
});

test('startServer refuses a folder without index.html and a port in use, naming the port', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'commons-serve-empty-'));
  await assert.rejects(startServer({ port: 0, dir: empty }), (e: Error) => e instanceof UsageError && /no index\.html: run npm run build first/.test(e.message));
  rmSync(empty, { recursive: true });
  const port = Number(new URL(server.url).port);
  await assert.rejects(startServer({ port, host: '127.0.0.1', dir }), (e: Error) => e instanceof UsageError && e.message.includes(`port ${port}`) && /in use/.test(e.message));
});

function requireCli() {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)');
}

test('the CLI with --port 0 prints the real address, serves the folder and stops on SIGTERM', async () => {
  requireCli();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((done, fail) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) done(out.split('\n')[0]);
      });
      child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      child.on('exit', (code) => fail(new Error(`serve exited with ${code} before printing its address: ${err}`)));
    });
    const m = /^commons serve: (http:\/\/127\.0\.0\.1:(\d+)\/) \(serving (.+)\)$/.exec(line);
    assert.ok(m, line);
    assert.notEqual(Number(m[2]), 0);
    assert.equal(m[3], dir);
    const r = await raw(m[1], '/');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), FILES['index.html'].body);
    assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal((await raw(m[1], '/%2e%2e/secret.txt')).status, 403);
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('the CLI rejects a bad port, a folder without index.html and a port in use with one-line errors', () => {
  requireCli();
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'serve', ...args], { encoding: 'utf8', timeout: 20_000 });
  for (const port of ['65536', '-1', 'http', '80.5']) {
    const r = run(`--port=${port}`, '--dir', dir);
    assert.equal(r.status, 2, `--port ${port}: ${r.stderr}`);
    assert.match(r.stderr, /^commons serve: --port: expected an integer from 0 to 65535/);
  }
  const empty = mkdtempSync(join(tmpdir(), 'commons-serve-empty-'));
  const r = run('--port', '0', '--dir', empty);
  rmSync(empty, { recursive: true });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /has no index\.html: run npm run build first/);
  const port = new URL(server.url).port;
  const busy = run('--port', port, '--dir', dir);
  assert.equal(busy.status, 2, busy.stderr);
  assert.match(busy.stderr, new RegExp(`^commons serve: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  assert.equal(busy.stderr.trim().split('\n').length, 1);
});

test('without --dir the CLI serves dist/web, the folder beside the bundle', { skip: !existsSync(join(WEB, 'index.html')) && 'dist/web/index.html is not built yet (src/web/index.html missing)' }, async () => {
  requireCli();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((done) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) done(out.split('\n')[0]);
      });
    });
    const m = /^commons serve: (\S+) \(serving (.+)\)$/.exec(line);
    assert.ok(m, line);
    assert.equal(join(m[2], '/'), WEB);
    for (const [path, type] of [['/', 'text/html; charset=utf-8'], ['/tfjs-backend-wasm.wasm', 'application/wasm']]) {
      const r = await raw(m[1], path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
    }
  } finally {
    child.kill('SIGKILL');
  }
});

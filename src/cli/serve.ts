// commons serve: the built web app (dist/web) over HTTP, with node:http only. Every response carries the
// headers that make the page cross-origin isolated (COOP same-origin + COEP require-corp): browsers give
// SharedArrayBuffer, and so tfjs-backend-wasm's threaded build, only to isolated pages.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, str, intFlag, UsageError, type CommandSpec } from './args.ts';

export const SERVE: CommandSpec = {
  name: 'serve',
  summary: 'serve the web app (train and watch agents in a browser)',
  usage: ['serve [--port 8080] [--host 127.0.0.1] [--dir dist/web]'],
  about: `Serves the web app written by npm run build with the cross-origin isolation headers it needs, and prints
the address. Stop with Ctrl-C (or SIGTERM): exit status 0.`,
  flags: {
    port: { arg: 'N', help: 'TCP port; 0 picks a free one', default: '8080' },
    host: { arg: 'ADDRESS', help: 'interface to listen on (0.0.0.0: every interface)', default: '127.0.0.1' },
    dir: { arg: 'DIR', help: 'the folder to serve; must hold index.html', default: 'dist/web' },
  },
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.tar': 'application/x-tar',
  '.txt': 'text/plain; charset=utf-8',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  // The app is rebuilt in place; a stale cached app.js beside a new worker.js would break it.
  'Cache-Control': 'no-cache',
};

/** The web app beside the running bundle (dist/cli.js -> dist/web); from source (tsx), <repo>/dist/web. */
export function defaultWebDir(): string {
  if (import.meta.url.endsWith('.ts')) return fileURLToPath(new URL('../../dist/web/', import.meta.url));
  return fileURLToPath(new URL('./web/', import.meta.url));
}

export interface ServeOptions {
  /** TCP port; 0 picks a free one (the returned url has the real one). Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Folder to serve; must hold index.html. Default defaultWebDir(). */
  dir?: string;
}

export interface RunningServer {
  /** http://HOST:PORT/ with the port actually bound. */
  url: string;
  /** The folder served, absolute. */
  dir: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Serves `dir` until close(); rejects with a UsageError for a folder without index.html or a port in use. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? 8080;
  const host = opts.host ?? '127.0.0.1';
  const dir = resolve(opts.dir ?? defaultWebDir());
  if (!existsSync(join(dir, 'index.html'))) {
    // The npm package leaves the web app out (its pages, workers and gallery archives): it is built in a clone.
    const inClone = existsSync(join(dir, '..', '..', 'src', 'web', 'index.html'));
    if (opts.dir === undefined && !inClone) {
      throw new UsageError(`${dir} has no index.html: the web app is not part of the npm package; run it from a clone of the repository (npm ci && npm run web), or give --dir a folder with an index.html`);
    }
    throw new UsageError(`${dir} has no index.html: run npm run build first (it writes dist/web)${opts.dir === undefined ? '' : ', or give --dir the folder it wrote'}`);
  }
  const server = createServer((req, res) => handle(dir, req, res));
  await new Promise<void>((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, host, port)));
    server.listen(port, host, () => done());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/`,
    dir,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (e.code) {
    case 'EADDRINUSE':
      return new UsageError(`port ${port} on ${host} is already in use: pick another with --port N, or --port 0 for a free one`);
    case 'EACCES':
      return new UsageError(`port ${port} on ${host}: permission denied (ports below 1024 need privileges); try --port 8080`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(`--host: cannot listen on '${host}' (${e.code}); try --host 127.0.0.1`);
    default:
      return e;
  }
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function handle(dir: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  // The raw request target, not a WHATWG URL: that would quietly fold '/../x' into '/x', and a request
  // that tries to climb out of the folder deserves a refusal, not some other file.
  const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0];
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'bad request: malformed percent-encoding\n');
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\') || path.split('/').includes('..')) {
    return send(res, 403, 'forbidden\n');
  }
  let file = resolve(join(dir, path));
  if (file !== dir && !file.startsWith(dir + sep)) return send(res, 403, 'forbidden\n');
  let stat = statOrNull(file);
  if (stat?.isDirectory()) {
    file = join(file, 'index.html');
    stat = statOrNull(file);
  }
  if (stat === null || !stat.isFile()) return send(res, 404, 'not found\n');
  res.writeHead(200, {
    ...HEADERS,
    'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': stat.size,
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function statOrNull(file: string) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

export async function serveCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = parseCommand(argv, SERVE);
  const port = intFlag('port', str(values, 'port'), 8080, 0, 65535);
  const host = str(values, 'host');
  if (host !== undefined && host.trim() === '') throw new UsageError("--host: expected an address such as 127.0.0.1 or 0.0.0.0, got ''");
  const dir = str(values, 'dir');
  if (dir !== undefined && (!existsSync(dir) || !statSync(dir).isDirectory())) throw new UsageError(`--dir: ${dir} is not a directory`);
  const server = await startServer({ port, host, dir });
  out(`commons serve: ${server.url} (serving ${server.dir})`);
  // Runs until interrupted; then closes cleanly so that the exit status is 0.
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

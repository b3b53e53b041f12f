// Helpers of the sweep tests: a real redis-server on 127.0.0.1 and a free port (stopped by its PID), the
// CLI as users run it (dist/cli.js), worker processes in process groups of their own (so that a test can
// SIGKILL a worker together with its training children, as a lost machine would), and reading runs back.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Why the Redis tests cannot run here, or null when redis-server is installed. */
export const redisMissing: string | null = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).error
  ? 'redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)' : null;

export function tmp(prefix = 'commons-sweep-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function commons(args: string[], opts: { cwd?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeout ?? 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value; fails with `what` after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  pid: () => number;
  /** Stops the server (SIGTERM: it writes its append-only file and exits) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (its data comes back from the append-only file). */
  start(): Promise<void>;
  /** Runs redis-cli against it. */
  cli(...args: string[]): string;
}

/** Starts redis-server on a free port; `appendonly: false` starts one without persistence (a restart loses the queue). */
export async function startRedis(opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = tmp('commons-redis-');
  let proc: ChildProcess | null = null;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`, port, dir,
    pid: () => proc!.pid!,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', opts.appendonly === false ? 'no' : 'yes', '--dir', dir,
        '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      proc.stdout!.on('data', (d) => { log += d; });
      await waitFor(`redis-server on port ${port} (log: ${log.slice(-300)})`, () => /Ready to accept connections/.test(log), 15_000, 50);
    },
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      process.kill(p.pid!, 'SIGTERM');
      await exited;
    },
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim(),
  };
  await server.start();
  return server;
}

export interface WorkerProc {
  proc: ChildProcess;
  /** Everything it printed so far. */
  out: () => string;
  exited: Promise<number | null>;
  /** SIGKILL to its whole process group: the worker and the training processes it started. */
  killGroup(): void;
}

/** Starts `commons worker` in its own process group. */
export function startWorkerProc(args: string[], cwd?: string): WorkerProc {
  const proc = spawn(process.execPath, [CLI, 'worker', ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc, out: () => out, exited,
    killGroup() { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } },
  };
}

/** Kills what a test left running (process groups of workers that are still up). */
export async function cleanup(workers: WorkerProc[], redis?: RedisServer | null): Promise<void> {
  for (const w of workers) if (w.proc.exitCode === null) w.killGroup();
  await Promise.all(workers.map((w) => w.exited));
  await redis?.stop();
  if (redis) rmSync(redis.dir, { recursive: true, force: true });
}

/** A run's metrics lines without the fields that depend on the wall clock (what determinism compares). */
export function metricsSansTiming(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const row = JSON.parse(l);
    delete row.timing;
    return row;
  });
}

export function events(runDir: string): { event: string; owner: string; env_steps?: number }[] {
  const p = join(runDir, 'events.jsonl');
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : [];
}

/** The tiny settings every sweep test uses: 2 agents x 2 envs, 20-step episodes, 5x5 views, 10-step rollouts. */
export const TINY = { agents: 2, envs: 2, episodeLength: 20, viewRadius: 2, rolloutSteps: 10 };

export function writeSpec(dir: string, name: string, spec: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...spec }, null, 2));
  return path;
}

/** A queue handle on the Redis at `url` for a test to read or add jobs with (its own connection, closed after). */
export async function queueAt<T>(url: string, name: string, fn: (q: Queue) => Promise<T>): Promise<T> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const q = new Queue(name, { connection });
  try {
    return await fn(q);
  } finally {
    await q.close();
    connection.disconnect();
  }
}

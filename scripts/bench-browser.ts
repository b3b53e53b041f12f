// Training throughput of one configuration in headless Chromium (Web Workers) beside the same configuration
// in Node (commons bench train). Run: npm run bench:browser [-- --workers 1,2 --backend wasm|webgpu]
// Other flags: --game, --model, --agents, --envs, --updates. With --backend webgpu only Chromium runs
// (started with --enable-unsafe-webgpu: where the machine has no GPU that is SwiftShader, a CPU emulation).
//
// --scaling R: worker scaling in Chromium instead, R interleaved rounds. --envs is then per worker; each round
// runs 1 worker (E envs), and for each W > 1 of --workers, W workers (W*E envs) in one page and W independent
// pages of 1 worker (E envs each), each in its own browser context, trained at the same time, their rates
// summed. Prints each round, the median and range of W workers / W pages, and the load before and after.
// Needs npm run build and Debian's chromium (/usr/bin/chromium).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveDir } from '../test/browser.ts';

const args = process.argv.slice(2);
const flag = (k: string, d: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const workers = flag('workers', '1,2').split(',').map(Number);
const cfg = { game: flag('game', 'cleanup'), model: flag('model', 'a2c'), agents: flag('agents', '5'), envs: flag('envs', '16'), updates: flag('updates', '20') };
const backend = flag('backend', 'wasm');
if (!['wasm', 'webgpu'].includes(backend)) throw new Error(`--backend: unknown value '${backend}'; allowed values: wasm, webgpu`);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const scaling = args.includes('--scaling') ? Number(flag('scaling', '3')) : 0;
if (args.includes('--scaling') && !(Number.isInteger(scaling) && scaling >= 1)) throw new Error(`--scaling: expected a number of rounds >= 1, got '${flag('scaling', '')}'`);
if (scaling) {
  await scalingRounds(scaling);
  process.exit(0);
}

const rows: string[] = [];
for (const w of backend === 'wasm' ? [0, ...workers] : []) {
  const r = spawnSync(process.execPath, [`${dist}cli.js`, 'bench', 'train', '--game', cfg.game, '--model', cfg.model, '--agents', cfg.agents,
    '--envs', cfg.envs, '--updates', cfg.updates, '--workers', String(w), '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  rows.push(`| Node ${process.version} | ${w === 0 ? 'main thread' : `${w} worker${w > 1 ? 's' : ''}`} | ${j.agent_steps_per_s} |`);
  console.log(rows.at(-1));
}
const { url, server } = await serveDir(`${dist}web`);
const browser = await launchChromium(backend === 'webgpu' ? ['--enable-unsafe-webgpu'] : []);
try {
  for (const w of workers) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const q = new URLSearchParams({ ...cfg, workers: String(w), backend });
    await page.goto(`${url}bench.html?${q}`);
    await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 300_000 });
    const b = await page.evaluate(() => (window as { __bench?: Record<string, unknown> }).__bench!);
    if (b.error || errors.length) throw new Error(`chromium: ${b.error ?? errors.join('; ')}`);
    if (b.backend !== backend) throw new Error(`chromium trained on ${b.backend}, not ${backend}: ${b.backend_note}`);
    rows.push(`| Chromium ${browser.version()}${backend === "webgpu" ? " (WebGPU, SwiftShader)" : ""} | ${w} worker${w > 1 ? 's' : ''} | ${b.agent_steps_per_s} |`);
    console.log(rows.at(-1));
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`\n${cfg.model} on ${cfg.game}, ${cfg.agents} agents x ${cfg.envs} envs, ${cfg.updates} updates after 3 warm-up updates, tfjs ${backend === 'wasm' ? 'WASM' : 'WebGPU'} backend\n`);
console.log('| runtime | threads | agent-steps/s |\n|---|---|---|\n' + rows.join('\n'));

/** One bench page's result (src/web/bench.ts). */
interface BenchResult { agent_steps_per_s: number; exchange?: string; backend?: string; error?: string; backend_note?: string }

async function scalingRounds(rounds: number): Promise<void> {
  const E = Number(cfg.envs);
  const Ws = workers.filter((w) => w > 1);
  const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const { url, server } = await serveDir(`${dist}web`);
  const browser = await launchChromium();
  /** Trains in a page of a fresh browser context with `w` workers and `envs` envs; resolves with its result. */
  const page = async (w: number, envs: number): Promise<BenchResult> => {
    const context = await browser.newContext();
    try {
      const p = await context.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      const q = new URLSearchParams({ ...cfg, envs: String(envs), workers: String(w), backend });
      await p.goto(`${url}bench.html?${q}`);
      await p.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 600_000 });
      const b = await p.evaluate(() => (window as { __bench?: BenchResult }).__bench!);
      if (b.error || errors.length) throw new Error(`chromium: ${b.error ?? errors.join('; ')}`);
      if (w > 1 && b.exchange !== 'shared') throw new Error(`chromium: the workers exchanged through the page (${b.exchange}), not in shared memory`);
      return b;
    } finally {
      await context.close();
    }
  };
  const load0 = loadavg();
  console.log(`${new Date().toISOString()}; Chromium ${browser.version()}; ${cfg.model} on ${cfg.game}, ${cfg.agents} agents x ${E} envs per worker, ` +
    `${cfg.updates} updates after 3 warm-ups, tfjs ${backend}; load before: ${load0}\n`);
  const cols = ['1 worker', ...Ws.flatMap((w) => [`${w} workers`, `${w} pages`, `${w} workers / ${w} pages`])];
  console.log(`| round | ${cols.join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|`);
  const ratios: Record<number, number[]> = Object.fromEntries(Ws.map((w) => [w, []]));
  try {
    for (let r = 1; r <= rounds; r++) {
      const cells = [String((await page(1, E)).agent_steps_per_s)];
      for (const w of Ws) {
        const together = (await page(w, w * E)).agent_steps_per_s;
        const pages = (await Promise.all(Array.from({ length: w }, () => page(1, E)))).reduce((a, b) => a + b.agent_steps_per_s, 0);
        ratios[w].push(together / pages);
        cells.push(String(together), String(pages), (together / pages).toFixed(3));
      }
      console.log(`| ${r} | ${cells.join(' | ')} |`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`\nload after: ${loadavg()} (before: ${load0})`);
  for (const w of Ws) {
    const xs = [...ratios[w]].sort((a, b) => a - b), m = xs.length >> 1;
    const median = xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
    console.log(`${w} workers / ${w} pages: median ${median.toFixed(3)}, range ${xs[0].toFixed(3)}-${xs.at(-1)!.toFixed(3)} over ${xs.length} rounds`);
  }
}

// Training throughput of one configuration in headless Chromium (Web Workers) beside the same configuration
// in Node (commons bench train). Run: npm run bench:browser [-- --workers 1,2 --backend wasm|webgpu]
// Other flags: --game, --model, --agents, --envs, --updates. With --backend webgpu only Chromium runs
// (started with --enable-unsafe-webgpu: where the machine has no GPU that is SwiftShader, a CPU emulation).
// Needs npm run build and Debian's chromium (/usr/bin/chromium).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveDir } from '../test/browser.ts';

const args = process.argv.slice(2);
const flag = (k: string, d: string) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const workers = flag('workers', '1,2').split(',').map(Number);
const cfg = { game: flag('game', 'cleanup'), model: flag('model', 'a2c'), agents: flag('agents', '5'), envs: flag('envs', '16'), updates: flag('updates', '20') };
const backend = flag('backend', 'wasm');
if (!['wasm', 'webgpu'].includes(backend)) throw new Error(`--backend: unknown value '${backend}'; allowed values: wasm, webgpu`);
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

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

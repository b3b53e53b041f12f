// How soon the web app's gallery plays: headless Chromium opens dist/web (served by commons serve's
// server) ROUNDS times at each viewport, and reads the page's performance mark 'commons:first-play-frame'
// (src/web/app.ts): ms from navigation start to the first drawn step of the gallery's first agent. Also the
// the page's marks on the way (the player's worker ready, the checkpoint fetched, the player loaded).
//   npm run bench:first-frame [-- --rounds 5]
import { startServer } from '../src/cli/serve.ts';
import { launchChromium } from '../test/browser.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--rounds');
const rounds = at >= 0 ? Number(process.argv[at + 1]) : 5;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got '${process.argv[at + 1]}'`);
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

const server = await startServer({ port: 0, host: '127.0.0.1', dir: join(root, 'dist', 'web') });
const browser = await launchChromium();
const results: Record<string, number[]> = {};
const stageLog: string[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    for (const vp of VIEWPORTS) {
      const page = await browser.newPage({ viewport: vp });
      await page.goto(server.url);
      const ms = await page.waitForFunction(() => performance.getEntriesByName('commons:first-play-frame')[0]?.startTime, null, { timeout: 60_000, polling: 20 })
        .then((h) => h.jsonValue() as Promise<number>);
      const key = `${vp.width}x${vp.height}`;
      (results[key] ??= []).push(ms);
      const stages = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('commons:', ''), Math.round(m.startTime)])));
      (results[`${key} stages`] ??= []).push(0);
      stageLog.push(`${key}: ${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const line of stageLog) console.log(`  ms after navigation: ${line}`);
for (const [vp, xs] of Object.entries(results).filter(([k]) => !k.endsWith(' stages'))) {
  console.log(`${vp}: first drawn step of the first gallery agent after ${median(xs).toFixed(0)} ms (median of ${xs.length}; ${xs.map((x) => x.toFixed(0)).join(', ')})`);
}

// The web app's gallery and its honest display (dist/web in headless Chromium): the first entry plays as the
// page opens, at 1280x800 and at 390x844 (the time from navigation to its first drawn step is measured and
// printed: the figure in BENCHMARKS.md comes from npm run bench:first-frame); every entry states its budget
// beside the paper's, what it shows and what `commons eval` measured; the player's legend is the game it
// plays, not the Setup's; Enter on a gallery button keeps the keyboard focus there; an influence matrix
// that is noise is said to be one. Then the charts and the heatmap as a phone shows them: a fixed colour
// scale per model (the same matrix halved draws darker, never the same), labels inside a 390 px page, an
// x-axis title, a first report's lone point drawn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserSkip, launchChromium } from './browser.ts';
import { startServer } from '../src/cli/serve.ts';
import type { GalleryIndex } from '../src/web/gallery.ts';
import type { MetricsRow } from '../src/learn/trainer.ts';

const root = new URL('..', import.meta.url).pathname;
const WEB = join(root, 'dist', 'web');
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** ms from navigation start to the first drawn step of the gallery's first agent (the page's own mark). */
function firstFrame(page: Page): Promise<number> {
  return page.waitForFunction(() => performance.getEntriesByName('commons:first-play-frame')[0]?.startTime, null, { timeout: 120_000, polling: 20 })
    .then((h) => h.jsonValue() as Promise<number>);
}

const texts = (page: Page, sel: string) => page.evaluate((s) => [...document.querySelectorAll(s)].map((e) => e.textContent ?? ''), sel);

test('the gallery: its first agent plays on opening; every entry says its budget, what it shows and what eval measured; legend, focus and noise handled', { skip: browserSkip(), timeout: 400_000 }, async (t) => {
  const index = JSON.parse(readFileSync(join(WEB, 'gallery', 'gallery.json'), 'utf8')) as GalleryIndex;
  assert.ok(index.entries.length >= 2 && index.paper, 'gallery/gallery.json lists trained agents and the paper\'s budget');
  for (const e of index.entries) assert.ok(existsSync(join(WEB, 'gallery', e.file)), `${e.file} is shipped`);
  const server = await startServer({ port: 0, host: '127.0.0.1', dir: WEB });
  const browser = await launchChromium();
  const measured: Record<string, number> = {};
  try {
    for (const vp of VIEWPORTS) {
      const page = await browser.newPage({ viewport: vp });
      const errors = watchConsole(page);
      await page.goto(server.url);
      const ms = await firstFrame(page);
      measured[`${vp.width}x${vp.height}`] = Math.round(ms);
      t.diagnostic(`${vp.width}x${vp.height}: the first gallery agent's first step drawn ${ms.toFixed(0)} ms after navigation`);
      const first = index.entries[0];
      assert.equal(await page.isVisible('#player'), true, 'the player shows the first entry');
      assert.match((await page.textContent('#play-info'))!, new RegExp(`^${first.game} · ${first.model} `));
      assert.equal(await page.getAttribute(`#gallery button[data-file="${first.file}"]`, 'aria-pressed'), 'true');
      await page.waitForFunction(() => window.__commons!.state().playSteps > 3, null, { timeout: 60_000 });
      assert.deepEqual(errors, [], 'console errors');
      await page.close();
    }
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'first-frame.json'), JSON.stringify({ ms: measured, when: new Date().toISOString() }, null, 2) + '\n');

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = watchConsole(page);
    await page.goto(`${server.url}?game=harvest&autoplay=0`);
    await page.waitForFunction(() => document.body.dataset.ready === '1' && document.querySelectorAll('#gallery button').length > 0, null, { timeout: 60_000 });
    await page.waitForTimeout(300);
    assert.equal(await page.isVisible('#player'), false, 'autoplay=0: nothing plays until chosen');

    // The paper's budget beside ours, and every entry's figures.
    const share = `${+((100 * index.entries[0].envSteps!) / index.paper!.envSteps).toPrecision(2)}%`;
    assert.match((await page.textContent('#gallery-intro'))!, new RegExp(`${share.replace('.', '\\.')} of the paper's budget, which is at least 2\\.26e8 env steps`));
    const items = await texts(page, '#gallery li');
    index.entries.forEach((e, i) => {
      assert.ok(e.shows && e.eval && e.envSteps && e.game && e.model, `${e.file}: budget, what it shows and eval are given`);
      assert.ok(items[i].includes(e.shows!), `${e.file} says what it shows`);
      const paperGame = !index.paper!.games || index.paper!.games.includes(e.game!);
      assert.match(items[i], new RegExp(`Budget: ${e.envSteps!.toLocaleString('en-US')} env steps${paperGame ? ", [\\d.]+% of the paper's" : ' \\(the paper states no budget for this game\\)'}`));
      assert.match(items[i], new RegExp(`commons eval, ${e.eval!.episodes} episodes: collective return ${+e.eval!.collectiveReturn.toFixed(1)} `));
      if (e.eval!.paperCollectiveReturn !== undefined) assert.ok(items[i].includes(`the paper's Table 4: ${e.eval!.paperCollectiveReturn}`));
      if (!e.cooperating) assert.match(e.shows!, /^Not yet cooperating/, `${e.file}: an entry that does not cooperate says so first`);
    });

    // Keyboard: Enter on a Cleanup entry while the Setup's game is Harvest. The focus stays on the button;
    // the player's legend is Cleanup's (river, waste, cleaning beam), the Training panel's stays Harvest's.
    const cleanup = index.entries.find((e) => e.game === 'cleanup' && e.model === 'a2c')!;
    await page.focus(`#gallery button[data-file="${cleanup.file}"]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^cleanup · /.test(document.querySelector('#play-info')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.file), cleanup.file, 'focus stays on the pressed button');
    assert.equal(await page.getAttribute(`#gallery button[data-file="${cleanup.file}"]`, 'aria-pressed'), 'true');
    const playLegend = await texts(page, '#play-map-legend li');
    for (const cell of ['river', 'waste', 'cleaning beam']) assert.ok(playLegend.some((x) => x.startsWith(cell)), `player legend: ${cell} (${playLegend.join(' | ')})`);
    const setupLegend = await texts(page, '#map-legend li');
    assert.ok(!setupLegend.some((x) => x.startsWith('river')), 'the Training legend is still the Setup\'s game (Harvest)');

    // The Cleanup MOA agents' influence is noise (eval: 0.0004 nats in all): the page says so, draws no colours.
    const moa = index.entries.find((e) => e.model === 'influence-moa' && (e.eval?.influenceTotal ?? 1) < 1e-3);
    if (moa) {
      await page.click(`#gallery button[data-file="${moa.file}"]`);
      await page.waitForFunction(() => /^cleanup · influence-moa/.test(document.querySelector('#play-info')?.textContent ?? ''), null, { timeout: 60_000 });
      await page.fill('#play-speed', '120');
      await page.waitForFunction(() => window.__commons!.state().playSteps > 60, null, { timeout: 120_000 });
      assert.match((await page.textContent('#play-heatmap-note'))!, /^Influence below 0\.001 nats: not significant/);
      assert.equal(await page.isVisible('#play-heatmap'), false);
    }
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
    await server.close();
  }
});

/** A metrics line with a given influence matrix (for the page's showReport hook). */
function row(steps: number, matrix: number[][], equality: number | null): MetricsRow {
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  return {
    env_steps: steps, agent_steps: 3 * steps, updates: 1, episodes: 3, collective_return: 12, returns: [4, 4, 4], efficiency: 0.1,
    equality, sustainability: 300, peace: 3, apples_eaten: 12, fire_actions: 0, clean_actions: 0, hits: 0,
    policy_loss: 0, value_loss: 0, entropy: 2.1, grad_norm: 1, influence_total: total,
    influence: { matrix, total, beta: 0 },
    timing: { agent_steps_per_s: 1, env_s: 0, inference_s: 0, update_s: 0, wall_s: 1 },
  } as unknown as MetricsRow;
}

test('at 390 px: the heatmap keeps a fixed scale per model and its labels inside the page; noise is said to be noise; charts title their x axis and draw a lone point', { skip: browserSkip(), timeout: 200_000 }, async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1', dir: WEB });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors = watchConsole(page);
    await page.goto(`${server.url}?model=influence&agents=3&autoplay=0`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
    const m = (x: number) => [[0, x, x / 2], [x, 0, x], [x / 4, x, 0]];
    const cell01 = () => page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#heatmap')!;
      const r = c.getBoundingClientRect();
      const ctx = c.getContext('2d')!;
      // the centre-left of cell (0, 1): away from its number
      const k = c.width / r.width;
      const box = { left: r.left, right: r.right, width: r.width, parent: c.parentElement!.clientWidth, page: document.documentElement.clientWidth };
      const cellW = (r.width - 92) / 3;
      const px = ctx.getImageData(Math.round((60 + cellW + 4) * k), Math.round((46 + cellW / 2) * k), 1, 1).data;
      return { rgb: [px[0], px[1], px[2]], scale: c.dataset.scale, box, scroll: document.documentElement.scrollWidth };
    });

    await page.evaluate((r) => window.__commons!.showReport(r), row(1000, m(0.006), -0.566));
    assert.equal(await page.isVisible('#heatmap'), true);
    const a = await cell01();
    assert.equal(a.scale, '0.01', "model I's fixed scale, nats");
    assert.ok(a.box.right <= a.box.page && a.box.width <= a.box.parent, `the heatmap fits the page: ${JSON.stringify(a.box)}`);
    assert.ok(a.scroll <= 390, `no sideways scrolling: ${a.scroll} px`);

    // The same matrix halved: on a fixed scale it is darker; scaled to its own maximum it would look the same.
    await page.evaluate((r) => window.__commons!.showReport(r), row(2000, m(0.003), -0.4));
    const b = await cell01();
    assert.notDeepEqual(b.rgb, a.rgb, 'the colour follows the value, not the matrix\'s own range');
    assert.ok(b.rgb[0] + b.rgb[1] + b.rgb[2] < a.rgb[0] + a.rgb[1] + a.rgb[2], `half the influence draws darker: ${a.rgb} -> ${b.rgb}`);

    // Noise: nothing above 1e-3 nats.
    await page.evaluate((r) => window.__commons!.showReport(r), row(3000, m(1e-4), null));
    assert.equal(await page.isVisible('#heatmap'), false);
    assert.match((await page.textContent('#heatmap-note'))!, /^Influence below 0\.001 nats: not significant \(the largest pair, 1\.0e-4 nats per step, is noise\)/);
    assert.equal(await page.locator('#heatmap-table tr').count(), 4, 'the numbers stay in the table');

    // Charts: an x-axis title, and the first report's lone equality point is drawn (equality's colour is on the canvas).
    const axes = await page.evaluate(() => window.__commons!.axes());
    for (const x of axes) assert.match(x.xTitle, /^env steps/, `${x.key}: x-axis title`);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
    await page.evaluate((r) => window.__commons!.showReport(r), row(1000, m(0.006), -0.566));
    await page.waitForTimeout(200);
    const equalityDrawn = await page.evaluate(() => {
      const charts = [...document.querySelectorAll('#charts figure')];
      const fig = charts.find((f) => /Equality/.test(f.textContent ?? ''))!;
      let n = 0;
      for (const c of fig.querySelectorAll('canvas')) {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0x2a) < 12 && Math.abs(d[i + 1] - 0x7d) < 12 && Math.abs(d[i + 2] - 0x3a) < 12) n++;
      }
      return n;
    });
    assert.ok(equalityDrawn > 4, `the lone equality point is drawn: ${equalityDrawn} px of its colour`);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
    await server.close();
  }
});

// The web app (dist/web, served by `commons serve`'s startServer) in headless Chromium: it loads without
// console errors, trains in two Web Workers until the step counter moves and a metrics report reaches the
// charts, draws a non-blank world, pauses (the counter stops) and resumes, downloads a checkpoint, shows a
// wrong file as an alert, plays back both a `commons train` checkpoint directory and the downloaded .tar,
// and draws the influence heatmap for an influence model. A second test starts Chromium with WebGPU
// (SwiftShader) and checks that backend 'auto' takes it and trains. The gallery: test/web-gallery.test.ts.
// The page is configured through its query string (src/web/app.ts header): small batches, short rollouts
// and a report every update keep it quick. Screenshot: test-artifacts/web-app.png.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserSkip, launchChromium, tempDir } from './browser.ts';
import { startServer } from '../src/cli/serve.ts';
// Types only (window.__commons is declared there); the page itself runs from dist/web.
import type { AppState } from '../src/web/app.ts';

const root = new URL('..', import.meta.url).pathname;
const WEB = join(root, 'dist', 'web');
const CLI = join(root, 'dist', 'cli.js');


const state = (page: Page) => page.evaluate(() => window.__commons!.state());

/** Waits until `cond` holds for the page's state, failing at once (with the page's messages) if an error shows. */
async function until(page: Page, cond: string, timeout: number, allowErrors = 0): Promise<AppState> {
  await page.waitForFunction(([c, allowed]) => {
    const s = window.__commons!.state();
    return s.errors.length > (allowed as number) || new Function('s', `return ${c};`)(s);
  }, [cond, allowErrors] as const, { timeout, polling: 100 });
  const s = await state(page);
  assert.equal(s.errors.length, allowErrors, `page errors while waiting for ${cond}: ${s.errors.join(' | ')}`);
  return s;
}

/** Number of distinct colours on a canvas, and a cheap hash of its pixels. */
function canvasInfo(page: Page, selector: string): Promise<{ colours: number; hash: number; width: number; height: number }> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      seen.add(v);
      hash = (Math.imul(hash, 31) + v) | 0;
    }
    return { colours: seen.size, hash, width: c.width, height: c.height };
  }, selector);
}

function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

test('the web app trains in workers, draws, pauses and resumes, downloads a checkpoint, plays checkpoints back and shows influence', { skip: browserSkip(), timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(WEB, 'app.js')), `${WEB}/app.js is missing: run npm run build`);
  const tmp = tempDir('commons-web-app-');
  // A checkpoint written by the command line, loaded below from its directory's three files.
  execFileSync(process.execPath, [CLI, 'train', '--game', 'harvest', '--model', 'a2c', '--agents', '2', '--envs', '2',
    '--steps', '400', '--rollout', '20', '--out', join(tmp, 'run')], { stdio: 'pipe' });
  const id = JSON.parse(readFileSync(join(tmp, 'run', 'checkpoints', 'latest.json'), 'utf8')).id as string;
  const ckptDir = join(tmp, 'run', 'checkpoints', id);

  const server = await startServer({ port: 0, host: '127.0.0.1', dir: WEB });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const consoleErrors = watchConsole(page);
    const query = 'game=cleanup&model=a2c&agents=2&backend=wasm&envsPerWorker=2&rolloutSteps=10&episodeLength=20&reportEvery=40&autoplay=0';
    await page.goto(`${server.url}?${query}`);
    await page.waitForFunction(() => document.body.dataset.ready === '1' && window.__commons?.ready === true, null, { timeout: 30_000 });
    assert.deepEqual(consoleErrors, [], 'console errors while loading');
    assert.equal(await page.inputValue('#game'), 'cleanup', 'query string presets the game');
    const s0 = await state(page);
    assert.deepEqual([s0.steps, s0.running, s0.reports, s0.errors], [0, false, 0, []]);

    // Every setup control is labelled.
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select')]
      .filter((e) => (e as HTMLInputElement).labels?.length === 0).map((e) => e.id));
    assert.deepEqual(unlabelled, [], 'controls without a <label>');

    // Train with two workers until the counter moves and a report reaches the charts.
    await page.selectOption('#workers', '2');
    await page.click('#start');
    let s = await until(page, 's.steps > 0 && s.reports >= 1', 240_000);
    assert.equal(s.backend, 'wasm');
    assert.equal(await page.textContent('#backend-used'), 'WASM');
    assert.equal(await page.textContent('#workers-used'), '2');
    assert.match((await page.textContent('#throughput'))!, /^[\d,]+ agent-steps\/s$/);
    assert.equal(await page.locator('#charts .uplot').count(), 5, 'five charts');
    // The world's colours are explained while training: the game's cells and one swatch per agent, in the
    // colours the core draws (test/palette.test.ts checks those against the core).
    const legend = await page.evaluate(() => ({
      map: [...document.querySelectorAll('#map-legend li')].map((li) => li.textContent ?? ''),
      agents: [...document.querySelectorAll('#agent-legend .swatch')].map((e) => (e as HTMLElement).dataset.rgb),
    }));
    assert.deepEqual(legend.agents, ['0,0,255', '2,81,154'], 'agents 0 and 1');
    for (const cell of ['wall', 'apple', 'river', 'waste', 'punishment beam', 'cleaning beam']) {
      assert.ok(legend.map.some((t) => t.startsWith(cell)), `map legend: ${cell}`);
    }
    const explain = (await page.textContent('#explain'))!;
    assert.match(explain, /Why returns start far below zero/);
    assert.match(explain, /loses 50/);
    assert.match(explain, /equality\s+falls below 0/);
    assert.match((await page.textContent('#heatmap-note'))!, /n\/a/, 'a2c has no influence matrix');

    // The world is drawn from frames: walls, floor, river, waste, agents and their notches.
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('#world')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size > 5;
    }, null, { timeout: 30_000 });
    const world = await canvasInfo(page, '#world');
    assert.ok(world.width >= 18 * 8 && world.height >= 25 * 8, `world canvas scaled up (${world.width}x${world.height})`);
    assert.ok((await canvasInfo(page, '#view')).colours > 2, 'the agent view is drawn');

    // Pause: run() resolves after the current update, then the counter stays put.
    await page.click('#pause');
    s = await until(page, '!s.running', 120_000);
    const paused = s.steps;
    assert.equal(await page.textContent('#steps'), String(paused), 'the counter shows the env steps as a plain integer');
    assert.equal(await page.textContent('#pause'), 'Resume');
    await page.waitForTimeout(1500);
    assert.equal((await state(page)).steps, paused, 'steps stopped changing while paused');
    assert.equal(await page.textContent('#steps'), String(paused));

    // While paused, choosing another agent redraws its view.
    const view0 = await canvasInfo(page, '#view');
    await page.selectOption('#view-agent', '1');
    await page.waitForFunction((h) => {
      const c = document.querySelector<HTMLCanvasElement>('#view')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + ((d[i] << 16) | (d[i + 1] << 8) | d[i + 2])) | 0;
      return hash !== h;
    }, view0.hash, { timeout: 30_000 });

    // The y axis is wide enough for its labels, minus sign included: a report of -2,000 (beam penalties make
    // such returns common early on) shows as −2k, not as 2k with its sign cut off.
    await page.evaluate((x) => window.__commons!.showReport({
      env_steps: x, agent_steps: 2 * x, updates: 1, episodes: 2, collective_return: -2000, returns: [-1000, -1000], efficiency: -100,
      equality: -0.4, sustainability: 12, peace: 2, apples_eaten: 1, fire_actions: 40, clean_actions: 0, hits: 40,
      policy_loss: 0, value_loss: 0, entropy: 2.1, grad_norm: 1, influence_total: null,
      timing: { agent_steps_per_s: 1, env_s: 0, inference_s: 0, update_s: 0, wall_s: 1 },
    }), paused + 1);
    await page.waitForTimeout(300);
    const axes = await page.evaluate(() => window.__commons!.axes());
    const ret = axes.find((a) => a.key === 'collective_return')!;
    assert.ok(ret.labels.some((l) => /^\u2212\d/.test(l)), `negative ticks carry a minus sign: ${ret.labels.join(' ')}`);
    for (const a of axes) assert.ok(a.size >= a.needed, `${a.key}: axis ${a.size} px wide, its labels need ${a.needed} px (${a.labels.join(' ')})`);

    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-artifacts', 'web-app.png'), fullPage: true });

    // Download the current state as a checkpoint archive.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), `commons-cleanup-a2c-step-${paused}.tar`);
    const tarPath = join(tmp, download.suggestedFilename());
    await download.saveAs(tarPath);
    assert.ok(readFileSync(tarPath).length > 1024, 'the archive holds the weights');

    // Resume, then pause again.
    await page.click('#pause');
    await until(page, `s.steps > ${paused}`, 120_000);
    await page.click('#pause');
    await until(page, '!s.running', 120_000);

    // A file that is no checkpoint is reported in the alert region.
    await page.setInputFiles('#load', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a checkpoint') }]);
    await page.waitForFunction(() => window.__commons!.state().errors.length >= 1, null, { timeout: 30_000 });
    assert.match((await page.textContent('[role="alert"]'))!, /Could not load the checkpoint \(notes\.txt\)/);
    assert.equal((await state(page)).errors.length, 1);
    await page.click('#alert-dismiss');

    // The CLI's checkpoint directory plays: the play counter advances and the picture changes.
    await page.setInputFiles('#load', ['manifest.json', 'tensors.bin', 'env.bin'].map((f) => join(ckptDir, f)));
    await until(page, 's.playSteps > 0', 60_000, 1);
    await page.fill('#play-speed', '60');
    assert.equal(await page.textContent('#play-speed-out'), '60 steps/s');
    assert.match((await page.textContent('#play-info'))!, /harvest · a2c .* 2 agents/);
    const first = await canvasInfo(page, '#play-world');
    assert.ok(first.colours > 5, 'the playback world is drawn');
    const played = (await state(page)).playSteps;
    await page.waitForFunction(([h, n]) => {
      const c = document.querySelector<HTMLCanvasElement>('#play-world')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + ((d[i] << 16) | (d[i + 1] << 8) | d[i + 2])) | 0;
      return hash !== h && window.__commons!.state().playSteps > n + 5;
    }, [first.hash, played] as const, { timeout: 60_000 });
    assert.equal(await page.locator('#play-returns tr').count(), 3, 'two agents and the collective return');

    // Pause playback: the counter stops.
    await page.click('#play-toggle');
    await page.waitForTimeout(500);
    const stopped = (await state(page)).playSteps;
    await page.waitForTimeout(800);
    assert.equal((await state(page)).playSteps, stopped, 'playback paused');
    assert.equal(await page.textContent('#play-steps'), String(stopped));

    // The archive downloaded above plays too.
    await page.setInputFiles('#load', tarPath);
    await page.waitForFunction(() => /cleanup · a2c/.test(document.querySelector('#play-info')!.textContent ?? ''), null, { timeout: 60_000 });
    await until(page, 's.playSteps > 5', 60_000, 1);

    await page.click('#stop');
    assert.equal((await state(page)).phase, 'idle');

    // An influence model fills the heatmap: a labelled k x j matrix (and its table for screen readers). With the
    // report interval left blank, the page reports every 2 updates: points within seconds of the start.
    await page.selectOption('#model', 'influence');
    await page.click('#setup details summary');
    await page.fill('#reportEvery', '');
    await page.click('#start');
    const early = await until(page, 's.reports >= 1', 240_000, 1);
    assert.equal(early.reportEvery, 2 * early.stepsPerUpdate, 'a report every 2 updates');
    assert.ok(early.steps <= early.reportEvery + early.stepsPerUpdate, `first report after ${early.steps} env steps`);
    // Fresh agents' influence is mostly noise: either the matrix is drawn on the model's fixed scale, or the
    // page says it is not significant (test/web-gallery.test.ts checks both with chosen matrices).
    assert.equal(await page.locator('#heatmap-table tr').count(), 3, 'a header row and one row per influencer');
    if (await page.isVisible('#heatmap')) {
      assert.equal(await page.isVisible('#heatmap-note'), false);
      assert.ok((await canvasInfo(page, '#heatmap')).colours > 10, 'cells, labels and the colour bar are drawn');
    } else {
      assert.match((await page.textContent('#heatmap-note'))!, /Influence below 0\.001 nats: not significant/);
    }
    await page.click('#stop');
    assert.deepEqual(consoleErrors, [], 'console errors');
  } finally {
    await browser.close();
    await server.close();
  }
});

// WebGPU: with --enable-unsafe-webgpu Chromium gives a SwiftShader adapter, a software emulation
// (correctness, not speed). 'auto' does not take a software adapter (it is about 130x slower than WASM)
// and says why; WebGPU chosen explicitly starts tfjs-webgpu, passes its self-check
// (src/learn/tfjs/backend.ts) and trains a few updates. The learner reads tensors back only
// asynchronously (src/learn/tfjs/read.ts); a synchronous read would break this adapter.
test('with a software WebGPU adapter, auto trains on WASM and says why; WebGPU chosen trains on WebGPU', { skip: browserSkip(), timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(WEB, 'app.js')), `${WEB}/app.js is missing: run npm run build`);
  const server = await startServer({ port: 0, host: '127.0.0.1', dir: WEB });
  const browser = await launchChromium(['--enable-unsafe-webgpu']);
  try {
    const query = 'game=harvest&model=a2c&agents=2&workers=1&envsPerWorker=1&rolloutSteps=5&episodeLength=50&reportEvery=5&autoplay=0';
    const auto = await browser.newPage();
    const autoErrors = watchConsole(auto);
    await auto.goto(`${server.url}?${query}&backend=auto`);
    await auto.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30_000 });
    assert.ok(await auto.evaluate(async () => (await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()) != null),
      'Chromium gives a WebGPU adapter with --enable-unsafe-webgpu');
    await auto.click('#start');
    const a = await until(auto, 's.reports >= 1', 120_000);
    assert.equal(a.backend, 'wasm');
    assert.match(a.backendNote ?? '', /software emulation \(google swiftshader\)/);
    assert.equal(await auto.textContent('#backend-used'), 'WASM (WebGPU adapter is software)');
    await auto.click('#pause');
    await until(auto, '!s.running', 60_000);
    assert.deepEqual(autoErrors, [], 'console errors (auto)');
    await auto.close();

    const page = await browser.newPage();
    const consoleErrors = watchConsole(page);
    await page.goto(`${server.url}?${query}&backend=webgpu`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30_000 });
    await page.click('#start');
    // reportEvery=5 env steps with one env and 5-step rollouts: a report after every update
    const s = await until(page, 's.reports >= 3', 420_000);
    assert.equal(s.backend, 'webgpu', `trains on WebGPU (note: ${s.backendNote})`);
    assert.equal(s.backendNote, null);
    assert.equal(await page.textContent('#backend-used'), 'WebGPU');
    assert.ok(s.steps >= 15, `three updates of 5 env steps: ${s.steps} env steps`);
    await page.click('#pause');
    await until(page, '!s.running', 150_000);
    assert.deepEqual(consoleErrors, [], 'console errors');
  } finally {
    await browser.close();
    await server.close();
  }
});

test('the web app offers every game of the table: Box trapped starts at two agents, its legend names the box, and it trains', { skip: browserSkip(), timeout: 300_000 }, async () => {
  assert.ok(existsSync(join(WEB, 'app.js')), `${WEB}/app.js is missing: run npm run build`);
  const server = await startServer({ port: 0, host: '127.0.0.1', dir: WEB });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const consoleErrors = watchConsole(page);
    await page.goto(`${server.url}?model=influence&workers=1&envsPerWorker=2&rolloutSteps=10&reportEvery=20&backend=wasm&autoplay=0`);
    await page.waitForFunction(() => document.body.dataset.ready === '1' && window.__commons?.ready === true, null, { timeout: 30_000 });
    const games = await page.evaluate(() => [...document.querySelectorAll('#game option')].map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(games, ['harvest', 'cleanup', 'box-trapped']);
    assert.equal(await page.inputValue('#agents'), '5');
    await page.selectOption('#game', 'box-trapped');
    assert.equal(await page.inputValue('#agents'), '2', 'the game\'s own number of agents');
    const legend = await page.evaluate(() => [...document.querySelectorAll('#map-legend li')].map((li) => ({
      text: li.textContent ?? '', rgb: (li.querySelector('.swatch') as HTMLElement | null)?.dataset.rgb,
    })));
    assert.ok(legend.some((e) => e.text.startsWith('box') && e.rgb === '205,133,63'), `map legend: ${JSON.stringify(legend)}`);
    assert.ok(!legend.some((e) => e.text.startsWith('punishment beam')), 'no beams in Box trapped');
    await page.click('#start');
    const s = await until(page, 's.reports >= 1', 240_000);
    assert.ok(s.steps >= 20);
    await page.click('#pause');
    await until(page, '!s.running', 60_000);
    assert.deepEqual(consoleErrors, [], 'console errors');
  } finally {
    await browser.close();
    await server.close();
  }
});

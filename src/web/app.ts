// The web app: set up a training session (game, model, agents, seed, workers), start, pause and resume it,
// watch the world, one agent's view, learning curves and the influence matrix live, download a checkpoint,
// and play back a checkpoint (from here or from `commons train`). Training runs in Web Workers behind
// ./session.ts; this page only drives it and draws.
//
// Query string: any setup control can be preset by its id, e.g.
//   index.html?game=harvest&model=a2c&agents=2&workers=2&seed=3&backend=wasm&algo=a2c
//     &envsPerWorker=2&episodeLength=100&rolloutSteps=10&reportEvery=200&steps=100000
// (the last six are the "Advanced" fields; a blank advanced field keeps the trainer's default), and
// autoplay=0, which keeps the gallery's first agent from playing on its own when the page opens.
//
// The gallery (gallery/gallery.json, docs/web.md): its first entry starts loading with the page (the index,
// its checkpoint and the player's worker all at once) and plays as soon as it can; performance mark
// 'commons:first-play-frame' records when its first step is drawn.
//
// Test hooks: window.__commons = { ready, state(), axes(), showReport(row) } and document.body.dataset.ready = '1'
// once set up; showReport draws a metrics line as a report would (the charts' axes are checked with it).

// Types only: the training side (./session.ts, tfjs) is imported when a session starts.
import type { TrainingSession, Frame, SessionOptions } from './session.ts';
import type { MetricsRow, Progress, TrainSummary } from '../learn/trainer.ts';
import { MODELS, ALGOS, type TrainConfig } from '../learn/config.ts';
import { modelOf } from '../learn/models/registry.ts';
import { GAMES, gameInfo, isGame, type GameName } from '../env/games.ts';
import { FrameView } from './ui-world.ts';
import { Charts, type AxisInfo } from './ui-charts.ts';
import { Heatmap } from './ui-heatmap.ts';
import { Playback } from './ui-player.ts';
import { showLegend as fillLegend } from './ui-legend.ts';
import { galleryItem, galleryIntro, type GalleryEntry, type GalleryIndex } from './gallery.ts';
import { loadPlayer, startPlayerWorker, type PlayerFiles } from './player.ts';

// First of all, before the page's own setup: the gallery's index, its first checkpoint and the player's
// worker, all loading at once.
const params = new URLSearchParams(location.search);
/** The gallery's first agent plays when the page opens (autoplay=0 keeps it still; so does a wish for reduced motion, after its first step). */
const AUTOPLAY = params.get('autoplay') !== '0';
const REDUCED_MOTION = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

async function fetchBytes(file: string): Promise<PlayerFiles> {
  const res = await fetch(new URL(`gallery/${file}`, location.href));
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return [{ name: file, bytes: new Uint8Array(await res.arrayBuffer()) }];
}

/** Started with the module, before anything else: the index, then at once the first entry's checkpoint and
 * a player worker loading it (docs/web.md: the first agent plays within a second of opening the page). */
const galleryIndex: Promise<GalleryIndex> = fetch(new URL('gallery/gallery.json', location.href))
  .then(async (res) => (res.ok ? ((await res.json()) as GalleryIndex) : { entries: [] }))
  .catch(() => ({ entries: [] }));
const firstWorker = AUTOPLAY ? startPlayerWorker() : null;
const firstPlayer = firstWorker ? galleryIndex.then((g) => {
  const first = g.entries?.[0];
  if (!first) {
    void firstWorker.then((w) => w.terminate(), () => {});
    return null;
  }
  const files = fetchBytes(first.file);
  return { entry: first, files, player: loadPlayer(files, { worker: firstWorker }) };
}) : Promise.resolve(null);
firstPlayer.then((f) => f?.player.catch(() => {}), () => {});

/** What the test hooks report (window.__commons.state()). */
export interface AppState {
  steps: number; running: boolean; reports: number; backend: string; backendNote: string | null; errors: string[]; playSteps: number; phase: Phase;
  /** The session's report interval (env steps) and env steps per update; 0 without a session. */
  reportEvery: number; stepsPerUpdate: number;
}

declare global {
  interface Window { __commons?: { ready: boolean; state(): AppState; axes(): AxisInfo[]; showReport(row: MetricsRow): void } }
}

/** idle: no session; the setup can be edited. running: run() is pending. pausing: pause() asked, run() not yet resolved. */
type Phase = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'finished' | 'failed';


/** Frames are requested at most this often while training (about 10 per second). */
const FRAME_INTERVAL_MS = 100;

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: element #${id} is missing`);
  return e as T;
};

const ui = {
  setup: $<HTMLFormElement>('setup'),
  game: $<HTMLSelectElement>('game'),
  model: $<HTMLSelectElement>('model'),
  agents: $<HTMLSelectElement>('agents'),
  seed: $<HTMLInputElement>('seed'),
  workers: $<HTMLSelectElement>('workers'),
  backend: $<HTMLSelectElement>('backend'),
  algo: $<HTMLSelectElement>('algo'),
  envsPerWorker: $<HTMLInputElement>('envsPerWorker'),
  episodeLength: $<HTMLInputElement>('episodeLength'),
  rolloutSteps: $<HTMLInputElement>('rolloutSteps'),
  reportEvery: $<HTMLInputElement>('reportEvery'),
  budget: $<HTMLInputElement>('steps-budget'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  stop: $<HTMLButtonElement>('stop'),
  download: $<HTMLButtonElement>('download'),
  status: $<HTMLElement>('status-text'),
  steps: $<HTMLElement>('steps'),
  throughput: $<HTMLElement>('throughput'),
  backendOut: $<HTMLElement>('backend-used'),
  workersOut: $<HTMLElement>('workers-used'),
  alertList: $<HTMLUListElement>('alert-list'),
  alertDismiss: $<HTMLButtonElement>('alert-dismiss'),
  viewAgent: $<HTMLSelectElement>('view-agent'),
  episodeStep: $<HTMLElement>('episode-step'),
  load: $<HTMLInputElement>('load'),
  mapLegend: $<HTMLUListElement>('map-legend'),
  agentLegend: $<HTMLUListElement>('agent-legend'),
};

const frames = new FrameView($<HTMLCanvasElement>('world'), $<HTMLCanvasElement>('view'));
const charts = new Charts($('charts'));
const heatmap = new Heatmap($<HTMLCanvasElement>('heatmap'), $('heatmap-note'), $<HTMLTableElement>('heatmap-table'));
const playback = new Playback({
  panel: $('player'), info: $('play-info'), toggle: $<HTMLButtonElement>('play-toggle'), stepOnce: $<HTMLButtonElement>('play-step'),
  speed: $<HTMLInputElement>('play-speed'), speedOut: $<HTMLOutputElement>('play-speed-out'), agent: $<HTMLSelectElement>('play-agent'),
  steps: $('play-steps'), episodeStep: $('play-episode-step'), returns: $<HTMLTableSectionElement>('play-returns'),
  world: $<HTMLCanvasElement>('play-world'), view: $<HTMLCanvasElement>('play-view'),
  heatmap: new Heatmap($<HTMLCanvasElement>('play-heatmap'), $('play-heatmap-note'), $<HTMLTableElement>('play-heatmap-table')),
  mapLegend: $<HTMLUListElement>('play-map-legend'), agentLegend: $<HTMLUListElement>('play-agent-legend'),
}, showError);

let phase: Phase = 'idle';
let session: TrainingSession | null = null;
let opts: SessionOptions | null = null;
let progress: Progress | null = null;
let reports = 0;
const errors: string[] = [];

// Frame requests while training: one in flight at most, none closer than FRAME_INTERVAL_MS.
let frameInFlight = false;
let lastFrameAt = 0;
let pendingFrame: Frame | null = null;
let raf = 0;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function showError(message: string): void {
  errors.push(message);
  const li = document.createElement('li');
  li.textContent = message;
  ui.alertList.append(li);
  while (ui.alertList.children.length > 5) ui.alertList.firstElementChild!.remove();
  ui.alertDismiss.hidden = false;
}

function option(value: string, text = value): HTMLOptionElement {
  return new Option(text, value);
}

function fillSetup(): void {
  ui.game.replaceChildren(...GAMES.map((g) => option(g)));
  ui.model.replaceChildren(...MODELS.map((m) => option(m, modelOf(m).label)));
  ui.algo.replaceChildren(...ALGOS.map((a) => option(a)));
  // 2-5 agents: every game's default map holds five, and the influence models need two. Each game starts at its
  // own number of agents (src/env/games/: 5, Box trapped 2), set again when the game is changed.
  ui.agents.replaceChildren(...[2, 3, 4, 5].map((n) => option(String(n))));
  ui.agents.value = String(gameInfo(ui.game.value).defaultAgents);
  const cores = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
  ui.workers.replaceChildren(...Array.from({ length: cores }, (_, i) => option(String(i + 1))));
  ui.workers.value = String(Math.min(cores, 4));
  const fields: Record<string, HTMLInputElement | HTMLSelectElement> = {
    game: ui.game, model: ui.model, agents: ui.agents, seed: ui.seed, workers: ui.workers, backend: ui.backend, algo: ui.algo,
    envsPerWorker: ui.envsPerWorker, episodeLength: ui.episodeLength, rolloutSteps: ui.rolloutSteps, reportEvery: ui.reportEvery, steps: ui.budget,
  };
  for (const [key, value] of params) {
    if (key === 'autoplay') {
      if (value !== '0' && value !== '1') showError(`Query parameter autoplay=${value} is not an allowed value (0 or 1)`);
      continue;
    }
    const el = fields[key];
    if (!el) { showError(`Unknown query parameter '${key}'; known: ${Object.keys(fields).join(', ')}`); continue; }
    el.value = value;
    if (el.value !== value) showError(`Query parameter ${key}=${value} is not an allowed value`);
  }
  if (!params.has('agents') && isGame(ui.game.value)) ui.agents.value = String(gameInfo(ui.game.value).defaultAgents);
}

/** The setup form as SessionOptions; null (with the form's own messages shown) when a field is invalid. */
function readSetup(): SessionOptions | null {
  if (!ui.setup.reportValidity()) return null;
  const int = (el: HTMLInputElement) => el.value.trim() === '' ? undefined : Number(el.value);
  const workers = Number(ui.workers.value);
  const extra: Partial<TrainConfig> = { algo: ui.algo.value as TrainConfig['algo'] };
  const episodeLength = int(ui.episodeLength), rolloutSteps = int(ui.rolloutSteps), reportEvery = int(ui.reportEvery);
  if (episodeLength !== undefined) extra.episodeLength = episodeLength;
  if (rolloutSteps !== undefined) extra.rolloutSteps = rolloutSteps;
  if (reportEvery !== undefined) extra.reportEvery = reportEvery;
  const perWorker = int(ui.envsPerWorker);
  return {
    game: ui.game.value as SessionOptions['game'],
    model: ui.model.value as SessionOptions['model'],
    agents: Number(ui.agents.value),
    seed: Number(ui.seed.value),
    workers,
    envs: perWorker === undefined ? undefined : perWorker * workers,
    steps: int(ui.budget),
    backend: ui.backend.value as SessionOptions['backend'],
    extra,
  };
}

/** The Training panel's legend: the Setup's game (the player has its own, for the game it plays). */
function showLegend(game: GameName, agents: number): void {
  fillLegend(ui.mapLegend, ui.agentLegend, game, agents);
}

function setPhase(p: Phase): void {
  phase = p;
  const active = session !== null;
  for (const el of ui.setup.querySelectorAll<HTMLInputElement | HTMLSelectElement>('fieldset input, fieldset select')) el.disabled = active || p === 'starting';
  ui.start.disabled = active || p === 'starting';
  ui.pause.disabled = !(p === 'running' || p === 'paused');
  ui.pause.textContent = p === 'paused' ? 'Resume' : p === 'pausing' ? 'Pausing…' : 'Pause';
  ui.stop.disabled = !active || p === 'starting' || p === 'pausing';
  ui.download.disabled = !(p === 'paused' || p === 'finished');
  const steps = progress?.envSteps ?? 0;
  ui.status.textContent = {
    idle: 'No session. Choose a setup and start training.',
    starting: 'Starting the workers…',
    running: 'Training.',
    pausing: 'Pausing after the current update…',
    paused: `Paused at ${steps} env steps.`,
    finished: `Finished: ${steps} env steps, the whole budget.`,
    failed: 'Training stopped with an error (see above). End the session to start again.',
  }[p];
}

function scheduleRender(): void {
  if (!raf) raf = requestAnimationFrame(render);
}

function render(): void {
  raf = 0;
  if (pendingFrame) {
    try {
      frames.draw(pendingFrame);
      ui.episodeStep.textContent = String(pendingFrame.episodeStep);
    } catch (e) { showError(`Drawing failed: ${messageOf(e)}`); }
    pendingFrame = null;
  }
  if (progress) {
    ui.steps.textContent = String(progress.envSteps);
    ui.throughput.textContent = `${Math.round(progress.agentStepsPerS).toLocaleString('en-US')} agent-steps/s`;
  }
}

/** Asks the session for a picture (between updates: from onProgress, or while paused) unless one is on its way. */
function requestFrame(force = false): void {
  const s = session;
  if (!s || frameInFlight) return;
  const now = performance.now();
  if (!force && now - lastFrameAt < FRAME_INTERVAL_MS) return;
  frameInFlight = true;
  lastFrameAt = now;
  s.frame(Number(ui.viewAgent.value) || 0).then((f) => {
    if (s !== session) return;
    pendingFrame = f;
    scheduleRender();
  }, (e: unknown) => { if (s === session) showError(`Could not get a frame: ${messageOf(e)}`); })
    .finally(() => { frameInFlight = false; });
}

function onReport(row: MetricsRow): void {
  reports++;
  charts.add(row);
  if (row.influence) heatmap.show(row.influence.matrix, opts?.model ?? ui.model.value);
  else heatmap.unavailable(`n/a: model ${opts?.model ?? ''} has no influence measure`);
}

function onProgress(p: Progress): void {
  progress = p;
  scheduleRender();
  requestFrame();
}

async function start(): Promise<void> {
  const o = readSetup();
  if (!o) return;
  opts = o;
  progress = null;
  reports = 0;
  charts.reset();
  showLegend(o.game, o.agents);
  heatmap.unavailable('No report yet: the matrix appears with the first metrics line.');
  ui.steps.textContent = '0';
  ui.throughput.textContent = '—';
  ui.backendOut.textContent = '…';
  setPhase('starting');
  let s: TrainingSession;
  try {
    const { startSession } = await import('./session.ts');
    s = await startSession(o);
  } catch (e) {
    showError(`Could not start training: ${messageOf(e)}`);
    setPhase('idle');
    return;
  }
  session = s;
  charts.reset(s.config.envs * s.config.episodeLength);
  ui.backendOut.textContent = (s.backend === 'webgpu' ? 'WebGPU' : s.backend === 'wasm' ? 'WASM' : s.backend) +
    (s.backendFallback === 'software-adapter' ? ' (WebGPU adapter is software)' : s.backendFallback === 'webgpu-failed' ? ' (WebGPU unusable here)' : '');
  ui.backendOut.dataset.backend = s.backend;
  ui.backendOut.title = s.backendNote ?? '';
  ui.workersOut.textContent = String(s.workers);
  ui.viewAgent.replaceChildren(...Array.from({ length: o.agents }, (_, i) => option(String(i), `agent ${i}`)));
  progress = { envSteps: 0, totalSteps: s.config.steps, agentStepsPerS: 0, lastReturn: null, updates: 0 };
  requestFrame(true);
  run();
}

function run(): void {
  const s = session;
  if (!s) return;
  setPhase('running');
  s.run({ onReport, onProgress }).then((summary: TrainSummary) => {
    if (s !== session) return;
    if (progress) progress = { ...progress, envSteps: summary.env_steps };
    setPhase(summary.env_steps >= s.config.steps ? 'finished' : 'paused');
    render(); // now, not at the next animation frame: the counter must agree with the state once paused
    requestFrame(true);
  }, (e: unknown) => {
    if (s !== session) return;
    showError(`Training failed: ${messageOf(e)}`);
    setPhase('failed');
  });
}

function togglePause(): void {
  if (!session) return;
  if (phase === 'running') {
    session.pause();
    setPhase('pausing');
  } else if (phase === 'paused') {
    run();
  }
}

function endSession(): void {
  const s = session;
  if (!s) return;
  session = null;
  s.dispose();
  setPhase('idle');
}

async function download(): Promise<void> {
  const s = session, o = opts;
  if (!s || !o) return;
  ui.download.disabled = true;
  try {
    const bytes = await s.checkpoint();
    const steps = progress?.envSteps ?? 0;
    // A copy: the bytes may sit on a SharedArrayBuffer, which Blob does not take.
    const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/x-tar' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `commons-${o.game}-${o.model}-step-${steps}.tar`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    showError(`Could not write a checkpoint: ${messageOf(e)}`);
  } finally {
    setPhase(phase);
  }
}

/** Lists the gallery's entries (in gallery.json's order); choosing one fetches its checkpoint and plays it at once. */
async function showGallery(): Promise<void> {
  const list = $<HTMLUListElement>('gallery');
  const index = await galleryIndex;
  const entries = index.entries ?? [];
  if (entries.length === 0) {
    $('gallery-note').textContent = 'No trained agents are shipped with this build: load a checkpoint below.';
    return;
  }
  $('gallery-intro').textContent = galleryIntro(index);
  list.replaceChildren(...entries.map((e) => {
    const { li, button } = galleryItem(e, index);
    button.addEventListener('click', () => void watch(e, button));
    return li;
  }));
  const first = await firstPlayer;
  if (first && !playback.loaded && !galleryBusy) {
    await watch(first.entry, list.querySelector<HTMLButtonElement>('button')!, { player: first.player, files: first.files, auto: true });
  }
}

let galleryBusy = false;

async function watch(e: GalleryEntry, button: HTMLButtonElement, pre?: { player: ReturnType<typeof loadPlayer>; files: Promise<PlayerFiles>; auto: boolean }): Promise<void> {
  // The button stays enabled (a disabled button drops the keyboard focus to the page): aria-busy says it
  // is loading, and a second press meanwhile does nothing.
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  galleryBusy = true;
  try {
    const files = pre?.files ?? fetchBytes(e.file);
    await playback.loadBytes(await files, { player: pre?.player, play: !(pre?.auto && REDUCED_MOTION) });
    for (const b of document.querySelectorAll<HTMLButtonElement>('#gallery button')) b.setAttribute('aria-pressed', String(b === button));
    if (!pre?.auto) $('player').scrollIntoView({ block: 'nearest' });
  } catch (err) {
    showError(`Could not play "${e.title}": ${messageOf(err)}`);
  } finally {
    button.removeAttribute('aria-busy');
    galleryBusy = false;
  }
}

async function loadFiles(): Promise<void> {
  const files = [...(ui.load.files ?? [])];
  try {
    await playback.load(files);
  } catch (e) {
    showError(`Could not load the checkpoint (${files.map((f) => f.name).join(', ') || 'no files'}): ${messageOf(e)}`);
  } finally {
    ui.load.value = '';
  }
}

function init(): void {
  fillSetup();
  playback.onFirstFrame = () => performance.mark('commons:first-play-frame');
  void showGallery();
  ui.setup.addEventListener('submit', (e) => { e.preventDefault(); void start(); });
  ui.pause.addEventListener('click', togglePause);
  ui.stop.addEventListener('click', endSession);
  ui.download.addEventListener('click', () => void download());
  ui.load.addEventListener('change', () => void loadFiles());
  ui.viewAgent.addEventListener('change', () => { if (phase !== 'running') requestFrame(true); });
  ui.alertDismiss.addEventListener('click', () => { ui.alertList.replaceChildren(); ui.alertDismiss.hidden = true; });
  const legendFromSetup = () => { if (!session) showLegend(ui.game.value as GameName, Number(ui.agents.value)); };
  ui.game.addEventListener('change', () => { if (isGame(ui.game.value)) ui.agents.value = String(gameInfo(ui.game.value).defaultAgents); });
  ui.game.addEventListener('change', legendFromSetup);
  ui.agents.addEventListener('change', legendFromSetup);
  legendFromSetup();
  window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${messageOf(e.reason)}`));
  window.addEventListener('pagehide', () => { session?.dispose(); playback.dispose(); });
  heatmap.unavailable('No session yet.');
  setPhase('idle');
  window.__commons = {
    ready: true,
    state: () => ({
      steps: progress?.envSteps ?? 0,
      running: phase === 'running' || phase === 'pausing',
      reports,
      backend: session?.backend ?? '',
      backendNote: session?.backendNote ?? null,
      errors: [...errors],
      playSteps: playback.steps,
      phase,
      reportEvery: session?.config.reportEvery ?? 0,
      stepsPerUpdate: session ? session.config.envs * session.config.rolloutSteps : 0,
    }),
    axes: () => charts.axes(),
    showReport: (row) => onReport(row),
  };
  document.body.dataset.ready = '1';
}

init();

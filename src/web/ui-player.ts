// Playback of a loaded checkpoint: its policy plays in a worker (loadPlayer), this panel asks for steps at
// the chosen speed (steps per second) and draws the world, the chosen agent's view and the returns so far.
// At most one step() call is in flight; frames are drawn from requestAnimationFrame.

import { loadPlayer, type Player } from './player.ts';
import type { PlayStep } from '../parallel/protocol.ts';
import { FrameView } from './ui-world.ts';
import { Heatmap } from './ui-heatmap.ts';
import { showLegend } from './ui-legend.ts';
import { GAMES, type GameName } from '../env/games.ts';
import { modelsWhere } from '../learn/models/registry.ts';

/** The models that measure influence (their checkpoints show the influence heatmap). */
const MEASURE_INFLUENCE: readonly string[] = modelsWhere((x) => !!x.measuresInfluence);

export interface PlaybackElements {
  panel: HTMLElement;
  info: HTMLElement;
  toggle: HTMLButtonElement;
  stepOnce: HTMLButtonElement;
  speed: HTMLInputElement;
  speedOut: HTMLOutputElement;
  agent: HTMLSelectElement;
  steps: HTMLElement;
  episodeStep: HTMLElement;
  returns: HTMLTableSectionElement;
  world: HTMLCanvasElement;
  view: HTMLCanvasElement;
  heatmap: Heatmap;
  /** The legend of the game being played (not the Setup's). */
  mapLegend: HTMLUListElement;
  agentLegend: HTMLUListElement;
}

/** Steps asked for in one call at most, so a high speed never queues a long burst. */
const MAX_BATCH = 200;

export class Playback {
  private player: Player | null = null;
  private readonly frames: FrameView;
  playing = false;
  /** Steps played since the checkpoint was loaded. */
  steps = 0;
  /** The player whose step() is pending, if any. A load clears it: a player disposed mid-step never answers.
   * Holding the player, not a flag, keeps an old step that does answer late from clearing the new one's. */
  private inFlight: Player | null = null;
  private budget = 0;
  private last = 0;
  private raf = 0;
  private pending: PlayStep | null = null;
  /** Called once per load, when the loaded agents' first step is drawn. */
  onFirstFrame: (() => void) | null = null;
  private firstShown = false;

  constructor(private readonly el: PlaybackElements, private readonly onError: (message: string) => void) {
    this.frames = new FrameView(el.world, el.view, { w: 560, h: 420 }, 210);
    el.toggle.addEventListener('click', () => this.setPlaying(!this.playing));
    el.stepOnce.addEventListener('click', () => this.request(1));
    el.speed.addEventListener('input', () => this.showSpeed());
    // While paused, a zero-step call redraws with the newly chosen agent's view.
    el.agent.addEventListener('change', () => { if (!this.playing) this.request(0); });
    this.showSpeed();
  }

  get loaded(): boolean { return this.player !== null; }

  /** Reads the chosen files and starts playing them; on failure the current player (if any) keeps playing. */
  async load(files: File[]): Promise<void> {
    if (files.length === 0) return;
    await this.loadBytes(await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
  }

  /** Starts playing a checkpoint given as files (a .tar, or a checkpoint directory's files); `play: false`
   * shows its first step and waits for Play. `player`: one already loading (see loadPlayer). */
  async loadBytes(list: { name: string; bytes: Uint8Array }[], opts: { play?: boolean; player?: Promise<Player> } = {}): Promise<void> {
    const player = await (opts.player ?? loadPlayer(list));
    this.player?.dispose();
    this.player = player;
    this.inFlight = null;
    this.steps = 0;
    this.budget = 0;
    this.pending = null;
    this.frames.colours = [];
    const m = player.manifest;
    this.el.info.textContent = `${m.game} · ${m.model} (${m.algo}) · ${m.agents} agents · trained for ${m.envSteps} env steps (${m.id})`;
    this.el.agent.replaceChildren(...Array.from({ length: m.agents }, (_, i) => new Option(`agent ${i}`, String(i))));
    this.el.returns.replaceChildren();
    this.el.steps.textContent = '0';
    this.el.episodeStep.textContent = '0';
    this.el.heatmap.unavailable(!MEASURE_INFLUENCE.includes(m.model)
      ? `n/a: model ${m.model} has no influence measure` : 'The matrix appears after the first step.');
    if ((GAMES as readonly string[]).includes(m.game)) showLegend(this.el.mapLegend, this.el.agentLegend, m.game as GameName, m.agents);
    this.el.panel.hidden = false;
    this.el.panel.dataset.game = m.game;
    this.firstShown = false;
    this.setPlaying(opts.play ?? true);
    this.request(1);
  }

  setPlaying(on: boolean): void {
    this.playing = on && this.player !== null;
    this.el.toggle.textContent = this.playing ? 'Pause playback' : 'Play';
    this.el.toggle.setAttribute('aria-pressed', String(this.playing));
    this.el.stepOnce.disabled = this.playing || !this.player;
    this.last = 0;
    this.schedule();
  }

  dispose(): void {
    this.setPlaying(false);
    this.player?.dispose();
    this.player = null;
  }

  private showSpeed(): void {
    this.el.speedOut.value = `${this.el.speed.value} steps/s`;
  }

  private schedule(): void {
    if (!this.raf) this.raf = requestAnimationFrame(this.tick);
  }

  private readonly tick = (t: number): void => {
    this.raf = 0;
    if (this.pending) { this.show(this.pending); this.pending = null; }
    if (!this.playing) return;
    const speed = Number(this.el.speed.value) || 1;
    const dt = this.last ? Math.min(0.25, (t - this.last) / 1000) : 0;
    this.last = t;
    // Steps owed at this speed; a slow worker does not build up a backlog of more than a quarter second.
    this.budget = Math.min(this.budget + dt * speed, Math.max(1, speed / 4));
    if (!this.inFlight && this.budget >= 1) {
      const n = Math.min(MAX_BATCH, Math.floor(this.budget));
      this.budget -= n;
      this.request(n);
    }
    this.schedule();
  };

  private request(n: number): void {
    const player = this.player;
    if (!player || this.inFlight) return;
    this.inFlight = player;
    player.step(n, Number(this.el.agent.value) || 0).then((f) => {
      if (player !== this.player) return;
      this.steps += n;
      this.pending = f;
      this.schedule();
    }, (e: unknown) => {
      this.setPlaying(false);
      this.onError(`Playback failed: ${e instanceof Error ? e.message : String(e)}`);
    }).finally(() => { if (this.inFlight === player) this.inFlight = null; });
  }

  private show(f: PlayStep): void {
    this.frames.draw(f);
    if (f.influence && this.player) this.el.heatmap.show(f.influence, this.player.manifest.model);
    if (!this.firstShown) {
      this.firstShown = true;
      this.onFirstFrame?.();
    }
    this.el.steps.textContent = String(this.steps);
    this.el.episodeStep.textContent = String(f.episodeStep);
    const rows = f.returns.map((r, i) => {
      const tr = document.createElement('tr');
      const who = document.createElement('th');
      who.scope = 'row';
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = this.frames.colours[i] ?? 'transparent';
      who.append(sw, `agent ${i}`);
      const val = document.createElement('td');
      val.textContent = String(+r.toFixed(2));
      tr.append(who, val);
      return tr;
    });
    const total = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = 'collective';
    const td = document.createElement('td');
    td.textContent = String(+f.returns.reduce((a, b) => a + b, 0).toFixed(2));
    total.append(th, td);
    this.el.returns.replaceChildren(...rows, total);
  }
}

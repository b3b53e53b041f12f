// Draws a Frame: the whole map (one RGB pixel per cell, scaled up with smoothing off so cells stay
// square), a notch on every agent pointing where it faces, and one agent's egocentric view. Colours come
// from the core's own picture (docs/RULES.md "Grid and characters"); nothing is recoloured here.

import type { Frame } from './session.ts';

/** Unit steps (drow, dcol) of each orientation code: 0 up, 1 right, 2 down, 3 left (src/env/games.ts ORIENTATION). */
const STEP: readonly (readonly [number, number])[] = [[-1, 0], [0, 1], [1, 0], [0, -1]];

/** Pixels per cell so that a width x height map fits maxW x maxH, never below `min`. */
export function cellScale(width: number, height: number, maxW: number, maxH: number, min = 6): number {
  return Math.max(min, Math.floor(Math.min(maxW / width, maxH / height)));
}

/** Paints an RGB [h, w, 3] image onto `canvas`, `scale` pixels per cell, resizing the canvas if needed. */
function paint(canvas: HTMLCanvasElement, scratch: HTMLCanvasElement, rgb: Uint8Array, w: number, h: number, scale: number): CanvasRenderingContext2D {
  if (rgb.length < w * h * 3) throw new Error(`frame: expected ${w * h * 3} RGB bytes for ${w}x${h}, got ${rgb.length}`);
  if (scratch.width !== w || scratch.height !== h) { scratch.width = w; scratch.height = h; }
  const img = new ImageData(w, h);
  for (let i = 0, j = 0; i < w * h; i++, j += 3) {
    img.data[4 * i] = rgb[j]; img.data[4 * i + 1] = rgb[j + 1]; img.data[4 * i + 2] = rgb[j + 2]; img.data[4 * i + 3] = 255;
  }
  scratch.getContext('2d')!.putImageData(img, 0, 0);
  if (canvas.width !== w * scale || canvas.height !== h * scale) { canvas.width = w * scale; canvas.height = h * scale; }
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, w * scale, h * scale);
  return ctx;
}

/** A triangle inside cell (row, col) pointing towards `orientation`, light with a dark edge so it shows on any colour. */
function notch(ctx: CanvasRenderingContext2D, row: number, col: number, orientation: number, s: number): void {
  const [dr, dc] = STEP[orientation & 3];
  const cx = (col + 0.5) * s, cy = (row + 0.5) * s;
  const tipX = cx + dc * 0.42 * s, tipY = cy + dr * 0.42 * s;
  const baseX = cx + dc * 0.02 * s, baseY = cy + dr * 0.02 * s;
  const half = 0.26 * s;
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(baseX + dr * half, baseY - dc * half);
  ctx.lineTo(baseX - dr * half, baseY + dc * half);
  ctx.closePath();
  ctx.fillStyle = '#ffffff';
  ctx.strokeStyle = '#111111';
  ctx.lineWidth = Math.max(1, s / 12);
  ctx.fill();
  ctx.stroke();
}

/** Where each agent appears in `self`'s view, and which way it faces there. The view is rotated so that
 * self's forward is the top row and its right the right column (docs/RULES.md "Observations"). */
export function agentsInView(f: Frame, radius: number): { row: number; col: number; orientation: number }[] {
  const me = f.agents[f.view.agent];
  if (!me || me.row < 0) return [];
  const fwd = STEP[me.orientation & 3], right = STEP[(me.orientation + 1) & 3];
  const out: { row: number; col: number; orientation: number }[] = [];
  for (const a of f.agents) {
    if (a.row < 0) continue;
    const dr = a.row - me.row, dc = a.col - me.col;
    const vr = radius - (dr * fwd[0] + dc * fwd[1]);
    const vc = radius + (dr * right[0] + dc * right[1]);
    if (vr < 0 || vc < 0 || vr > 2 * radius || vc > 2 * radius) continue;
    out.push({ row: vr, col: vc, orientation: (a.orientation - me.orientation + 4) & 3 });
  }
  return out;
}

/** The colour of each agent as the core drew it (its cell in the world picture), CSS rgb(); null when out of play. */
export function agentColours(f: Frame): (string | null)[] {
  return f.agents.map((a) => {
    if (a.row < 0) return null;
    const j = 3 * (a.row * f.world.width + a.col);
    return `rgb(${f.world.rgb[j]}, ${f.world.rgb[j + 1]}, ${f.world.rgb[j + 2]})`;
  });
}

/** The world canvas and the agent-view canvas of one panel (training or playback). */
export class FrameView {
  private readonly scratch = document.createElement('canvas');
  /** Agent colours seen so far: an agent out of play keeps the last colour it was drawn in. */
  colours: string[] = [];

  constructor(
    private readonly world: HTMLCanvasElement,
    private readonly view: HTMLCanvasElement,
    private readonly maxWorld = { w: 640, h: 480 },
    private readonly viewPx = 240,
  ) {}

  draw(f: Frame): void {
    const { width: w, height: h } = f.world;
    const s = cellScale(w, h, this.maxWorld.w, this.maxWorld.h);
    const ctx = paint(this.world, this.scratch, f.world.rgb, w, h, s);
    for (const a of f.agents) if (a.row >= 0) notch(ctx, a.row, a.col, a.orientation, s);
    agentColours(f).forEach((c, i) => { if (c) this.colours[i] = c; });
    const out = f.agents.filter((a) => a.row < 0).length;
    this.world.setAttribute('aria-label', `World map, ${w} by ${h} cells, episode step ${f.episodeStep}, ` +
      `${f.agents.length} agents${out ? ` (${out} out of play)` : ''}`);

    const n = f.view.size;
    const vs = Math.max(4, Math.floor(this.viewPx / n));
    const vctx = paint(this.view, this.scratch, f.view.rgb, n, n, vs);
    for (const a of agentsInView(f, (n - 1) >> 1)) notch(vctx, a.row, a.col, a.orientation, vs);
    this.view.setAttribute('aria-label', `Egocentric view of agent ${f.view.agent}, ${n} by ${n} cells, its forward direction on top`);
  }
}

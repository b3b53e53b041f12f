// The influence matrix of the latest metrics line as a heatmap: row k = influencer, column j = influenced,
// cell = mean c_kj per step in nats (docs/metrics.md "Influence matrix"), the diagonal blank (c_kk = 0 by
// definition). The colour scale is fixed per model (INFLUENCE_SCALE), never stretched to the values on
// show: a matrix of noise would otherwise glow as brightly as real influence. A matrix whose every entry is
// below INFLUENCE_NOISE is not drawn at all: the page says it is not significant. A table with the same
// numbers is kept for screen readers.

/** Influence per step (nats) below which an entry is noise: a matrix with nothing above it is not drawn. */
export const INFLUENCE_NOISE = 1e-3;

/**
 * The top of the colour scale (nats per step) per model: from the trained runs of docs/RESULTS.md, whose
 * largest agent pairs reach a few thousandths of a nat (models I and III) to about a hundredth (model II,
 * whose messages are made to be influential); larger entries show the top colour and their number.
 */
export const INFLUENCE_SCALE: Readonly<Record<string, number>> = {
  'influence': 0.01, 'visible-actions': 0.01,
  'influence-comm': 0.02, 'comm': 0.02,
  'influence-moa': 0.01, 'moa': 0.01,
};
const DEFAULT_SCALE = 0.01;

/** Viridis, sampled at 9 even stops: perceptually uniform and readable in greyscale and by most colour-blind readers. */
const VIRIDIS = ['#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725']
  .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

/** Colour of t in [0, 1] on the viridis scale, as [r, g, b]. */
export function viridis(t: number): number[] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

/** Layout at full size; narrower containers shrink the cells (down to MIN_CELL) and the type. */
const CELL = 52, MIN_CELL = 30, LEFT = 60, TOP = 46, BAR_GAP = 16, BAR_W = 14, BAR_LABELS = 46, BOTTOM = 10;

export class Heatmap {
  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Shown instead of the canvas when there is nothing to draw. */
    private readonly note: HTMLElement,
    private readonly table: HTMLTableElement,
  ) {}

  /** Shows `text` in place of the heatmap (a model without influence, or no report yet). */
  unavailable(text: string): void {
    this.canvas.hidden = true;
    this.note.hidden = false;
    this.note.textContent = text;
    this.table.replaceChildren();
  }

  /** Draws `matrix` on `model`'s fixed scale, or says it is not significant. Returns what it did. */
  show(matrix: number[][], model: string): 'drawn' | 'not-significant' {
    const n = matrix.length;
    let largest = 0;
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) {
      if (k !== j && Number.isFinite(matrix[k][j])) largest = Math.max(largest, Math.abs(matrix[k][j]));
    }
    this.fillTable(matrix);
    if (largest < INFLUENCE_NOISE) {
      this.canvas.hidden = true;
      this.note.hidden = false;
      this.note.textContent = `Influence below ${INFLUENCE_NOISE} nats: not significant (the largest pair, ${short(largest)} nats per step, is noise). The table lists the numbers.`;
      return 'not-significant';
    }
    const hi = INFLUENCE_SCALE[model] ?? DEFAULT_SCALE;
    // As wide as the container allows, so that every label stays inside it (390 px phones included).
    const avail = Math.floor(this.canvas.parentElement?.clientWidth || 0) || 480;
    const fixed = LEFT + BAR_GAP + BAR_W + BAR_LABELS;
    const cell = Math.max(MIN_CELL, Math.min(CELL, Math.floor((avail - fixed) / n)));
    const small = cell < 44;
    const w = fixed + n * cell, h = TOP + Math.max(n * cell, 120) + BOTTOM;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr); this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`; // height follows the aspect ratio (style.css)
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = `${small ? 10 : 12}px system-ui, sans-serif`;
    ctx.fillStyle = '#1a1a1a';
    ctx.textBaseline = 'middle';

    // Axis titles and labels.
    ctx.textAlign = 'center';
    ctx.fillText('influenced j →', LEFT + (n * cell) / 2, 10);
    for (let j = 0; j < n; j++) ctx.fillText(`j=${j}`, LEFT + (j + 0.5) * cell, TOP - 12);
    ctx.textAlign = 'right';
    for (let k = 0; k < n; k++) ctx.fillText(`k=${k}`, LEFT - 6, TOP + (k + 0.5) * cell);
    ctx.save();
    ctx.translate(12, TOP + (n * cell) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('influencer k →', 0, 0);
    ctx.restore();

    // Cells, each with its value; the colour is the value on [0, hi] (above hi: the top colour).
    ctx.textAlign = 'center';
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) {
      const x = LEFT + j * cell, y = TOP + k * cell, v = matrix[k][j];
      if (k === j || !Number.isFinite(v)) {
        ctx.fillStyle = '#d0d0d0';
        ctx.fillRect(x, y, cell - 1, cell - 1);
        ctx.fillStyle = '#444';
        ctx.fillText('—', x + cell / 2, y + cell / 2);
        continue;
      }
      const [r, g, b] = viridis(v / hi);
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fillRect(x, y, cell - 1, cell - 1);
      ctx.fillStyle = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
      ctx.fillText(short(v, small ? 2 : 3), x + cell / 2, y + cell / 2);
    }

    // Colour bar: top = the model's scale, bottom = 0.
    const bx = LEFT + n * cell + BAR_GAP, barH = Math.max(n * cell, 120) - 1;
    const grad = ctx.createLinearGradient(0, TOP + barH, 0, TOP);
    for (let i = 0; i <= 8; i++) { const [r, g, b] = viridis(i / 8); grad.addColorStop(i / 8, `rgb(${r}, ${g}, ${b})`); }
    ctx.fillStyle = grad;
    ctx.fillRect(bx, TOP, BAR_W, barH);
    ctx.strokeStyle = '#555';
    ctx.strokeRect(bx + 0.5, TOP + 0.5, BAR_W - 1, barH - 1);
    ctx.fillStyle = '#1a1a1a';
    ctx.textAlign = 'left';
    ctx.fillText(`≥${short(hi)}`, bx + BAR_W + 3, TOP + 6);
    ctx.fillText(short(hi / 2), bx + BAR_W + 3, TOP + barH / 2);
    ctx.fillText('0', bx + BAR_W + 3, TOP + barH - 6);
    ctx.textAlign = 'center';
    ctx.fillText('nats', bx + BAR_W / 2, TOP - 12);

    this.canvas.hidden = false;
    this.note.hidden = true;
    this.canvas.dataset.scale = String(hi);
    this.canvas.setAttribute('aria-label', `Influence matrix of ${n} agents on a scale of 0 to ${short(hi)} nats per step (fixed for model ${model}), the largest pair ${short(largest)}; the table below lists them`);
    return 'drawn';
  }

  private fillTable(matrix: number[][]): void {
    const n = matrix.length;
    const cap = document.createElement('caption');
    cap.textContent = 'Influence c[k][j] in nats: rows influencer k, columns influenced j';
    const head = document.createElement('tr');
    head.append(cell('th', 'k \\ j'));
    for (let j = 0; j < n; j++) head.append(cell('th', `j=${j}`, 'col'));
    const rows = matrix.map((r, k) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', `k=${k}`, 'row'), ...r.map((v, j) => cell('td', j === k ? '—' : short(v))));
      return tr;
    });
    this.table.replaceChildren(cap, head, ...rows);
  }
}

function cell(tag: 'th' | 'td', text: string, scope?: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  if (scope) e.setAttribute('scope', scope);
  return e;
}

/** `digits` significant digits, no exponent for the usual range. */
function short(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 0.001 && a < 1e4 ? String(+v.toPrecision(digits)) : v.toExponential(1);
}

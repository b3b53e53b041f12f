// The influence matrix of the latest metrics line as a heatmap: row k = influencer, column j = influenced,
// cell = mean c_kj per step in nats (docs/metrics.md "Influence matrix"), the diagonal blank (c_kk = 0 by
// definition). A colour bar gives the scale. A table with the same numbers is kept for screen readers.

/** Viridis, sampled at 9 even stops: perceptually uniform and readable in greyscale and by most colour-blind readers. */
const VIRIDIS = ['#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725']
  .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

/** Colour of t in [0, 1] on the viridis scale, as [r, g, b]. */
export function viridis(t: number): number[] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

const CELL = 52, LEFT = 74, TOP = 46, BAR_GAP = 22, BAR_W = 16, BAR_LABELS = 56, BOTTOM = 10;

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

  show(matrix: number[][]): void {
    const n = matrix.length;
    let lo = 0, hi = 0;
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) {
      if (k === j || !Number.isFinite(matrix[k][j])) continue;
      lo = Math.min(lo, matrix[k][j]); hi = Math.max(hi, matrix[k][j]);
    }
    if (hi - lo < 1e-12) hi = lo + 1e-12;
    const w = LEFT + n * CELL + BAR_GAP + BAR_W + BAR_LABELS, h = TOP + Math.max(n * CELL, 120) + BOTTOM;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr); this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`; // height follows the aspect ratio (style.css)
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#1a1a1a';
    ctx.textBaseline = 'middle';

    // Axis titles and labels.
    ctx.textAlign = 'center';
    ctx.fillText('influenced j →', LEFT + (n * CELL) / 2, 10);
    for (let j = 0; j < n; j++) ctx.fillText(`j=${j}`, LEFT + (j + 0.5) * CELL, TOP - 12);
    ctx.textAlign = 'right';
    for (let k = 0; k < n; k++) ctx.fillText(`k=${k}`, LEFT - 8, TOP + (k + 0.5) * CELL);
    ctx.save();
    ctx.translate(14, TOP + (n * CELL) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('influencer k →', 0, 0);
    ctx.restore();

    // Cells, each with its value.
    ctx.textAlign = 'center';
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) {
      const x = LEFT + j * CELL, y = TOP + k * CELL, v = matrix[k][j];
      if (k === j || !Number.isFinite(v)) {
        ctx.fillStyle = '#d0d0d0';
        ctx.fillRect(x, y, CELL - 1, CELL - 1);
        ctx.fillStyle = '#444';
        ctx.fillText('—', x + CELL / 2, y + CELL / 2);
        continue;
      }
      const [r, g, b] = viridis((v - lo) / (hi - lo));
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fillRect(x, y, CELL - 1, CELL - 1);
      ctx.fillStyle = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
      ctx.fillText(short(v), x + CELL / 2, y + CELL / 2);
    }

    // Colour bar: top = max, bottom = min.
    const bx = LEFT + n * CELL + BAR_GAP, barH = Math.max(n * CELL, 120) - 1;
    const grad = ctx.createLinearGradient(0, TOP + barH, 0, TOP);
    for (let i = 0; i <= 8; i++) { const [r, g, b] = viridis(i / 8); grad.addColorStop(i / 8, `rgb(${r}, ${g}, ${b})`); }
    ctx.fillStyle = grad;
    ctx.fillRect(bx, TOP, BAR_W, barH);
    ctx.strokeStyle = '#555';
    ctx.strokeRect(bx + 0.5, TOP + 0.5, BAR_W - 1, barH - 1);
    ctx.fillStyle = '#1a1a1a';
    ctx.textAlign = 'left';
    ctx.fillText(short(hi), bx + BAR_W + 4, TOP + 6);
    ctx.fillText(short((lo + hi) / 2), bx + BAR_W + 4, TOP + barH / 2);
    ctx.fillText(short(lo), bx + BAR_W + 4, TOP + barH - 6);
    ctx.textAlign = 'center';
    ctx.fillText('nats', bx + BAR_W / 2, TOP - 12);

    this.canvas.hidden = false;
    this.note.hidden = true;
    this.canvas.setAttribute('aria-label', `Influence matrix of ${n} agents, values from ${short(lo)} to ${short(hi)} nats; the table below lists them`);
    this.fillTable(matrix);
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

/** Three significant digits, no exponent for the usual range. */
function short(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 0.001 && a < 1e4 ? String(+v.toPrecision(3)) : v.toExponential(1);
}

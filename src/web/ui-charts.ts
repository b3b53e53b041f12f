// Live learning curves against environment steps, one small uPlot chart per quantity of the metrics line
// (docs/metrics.md): collective return, policy entropy, influence, equality, sustainability. A metric that
// is undefined for a window (no episode finished, or a model without influence) is a gap, never a zero.
// The y axis is as wide as its widest label (a fixed width cut the minus sign off "-2,000"), and negative
// values carry a true minus sign.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricsRow } from '../learn/trainer.ts';

interface Series {
  key: 'collective_return' | 'entropy' | 'influence_total' | 'equality' | 'sustainability';
  title: string;
  /** What the number means, shown under the chart's title. */
  hint: string;
  colour: string;
  /** Defined only when episodes have ended (not at every report). */
  perEpisode?: boolean;
}

const SERIES: readonly Series[] = [
  { key: 'collective_return', title: 'Collective return', hint: 'sum of the agents\' returns per episode (a point each time episodes end)', colour: '#1f5fbf', perEpisode: true },
  { key: 'entropy', title: 'Policy entropy', hint: 'nats, mean over agents: falls as the agents settle on what to do', colour: '#5b5b5b' },
  { key: 'influence_total', title: 'Influence', hint: 'mean total influence per step, nats (influence models)', colour: '#a3367a' },
  { key: 'equality', title: 'Equality', hint: '1 − Gini of the returns; below 0 when some returns are negative', colour: '#2a7d3a', perEpisode: true },
  { key: 'sustainability', title: 'Sustainability', hint: 'mean step of positive rewards', colour: '#9a5b00', perEpisode: true },
];

const HEIGHT = 170;
/** The x axis of every chart: environment steps of the whole batch (what the step counter counts). */
export const X_TITLE = 'env steps (all environments)';

/** Whether a series has few enough defined values for each to be marked with a point. */
function fewPoints(u: uPlot, seriesIdx: number): boolean {
  let n = 0;
  for (const v of u.data[seriesIdx] ?? []) if (v != null && ++n > 40) return false;
  return true;
}
/** The axes' font: uPlot draws with it, and the y axis measures its labels with it. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
/** Tick length plus the gap between tick and label (uPlot's defaults: 10 and 5), and a little air. */
const AXIS_PAD = 10 + 5 + 6;

let measurer: CanvasRenderingContext2D | null = null;
/** Width in CSS pixels of the widest label, drawn in AXIS_FONT. */
function labelWidth(labels: readonly string[]): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return 8 * Math.max(0, ...labels.map((l) => l.length));
  measurer.font = AXIS_FONT;
  return Math.max(0, ...labels.map((l) => measurer!.measureText(l).width));
}

/** What a test reads of one chart's y axis: its tick labels, its width, and the width they need. */
export interface AxisInfo { key: string; labels: string[]; size: number; needed: number; xTitle: string }

const fmt = (x: number | null) => x === null ? 'n/a' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);

export class Charts {
  private readonly xs: number[] = [];
  private readonly ys: (number | null)[][] = SERIES.map(() => []);
  private readonly plots: uPlot[] = [];
  private readonly latest: HTMLElement[] = [];

  constructor(container: HTMLElement) {
    for (const s of SERIES) {
      const fig = document.createElement('figure');
      fig.className = 'chart';
      const cap = document.createElement('figcaption');
      const title = document.createElement('strong');
      title.textContent = s.title;
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = s.hint;
      const latest = document.createElement('span');
      latest.className = 'latest';
      latest.textContent = 'no report yet';
      cap.append(title, ' ', latest, document.createElement('br'), hint);
      const box = document.createElement('div');
      box.className = 'plot';
      box.setAttribute('role', 'img');
      box.setAttribute('aria-label', `${s.title} against environment steps`);
      fig.append(cap, box);
      container.append(fig);
      this.latest.push(latest);
      this.plots.push(new uPlot({
        width: Math.max(200, box.clientWidth || 300),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        // One report is one x value: a range around it, so that a lone point has somewhere to be drawn.
        scales: { x: { time: false, range: (_u, min, max) => (min === max ? [Math.max(0, min - 1), max + 1] : [min, max]) } },
        axes: [
          {
            stroke: '#333', font: AXIS_FONT, grid: { stroke: '#e3e3e3' }, values: (_u, ticks) => ticks.map(compact),
            label: X_TITLE, labelFont: AXIS_FONT, labelSize: 18, labelGap: 0,
          },
          {
            stroke: '#333', font: AXIS_FONT, grid: { stroke: '#e3e3e3' }, values: (_u, ticks) => ticks.map(compact),
            size: (_u, values) => Math.max(32, Math.ceil(labelWidth(values ?? [])) + AXIS_PAD),
          },
        ],
        // Points are drawn while a series has few values (a line needs two: the first report would draw nothing).
        series: [{ label: X_TITLE }, { label: s.title, stroke: s.colour, width: 2, spanGaps: true, points: { size: 5, show: fewPoints, fill: s.colour } }],
      }, [[], []], box));
    }
    const resize = () => {
      for (const p of this.plots) {
        const w = Math.max(200, Math.floor(p.root.parentElement!.clientWidth));
        if (w !== p.width) p.setSize({ width: w, height: HEIGHT });
      }
    };
    new ResizeObserver(resize).observe(container);
  }

  add(row: MetricsRow): void {
    this.xs.push(row.env_steps);
    SERIES.forEach((s, i) => {
      const v = row[s.key];
      const y = typeof v === 'number' && Number.isFinite(v) ? v : null;
      this.ys[i].push(y);
      // The last defined value: a window in which no episode ended keeps the previous figure on show.
      if (y !== null) {
        delete this.latest[i].dataset.waiting;
        this.latest[i].textContent = `latest ${fmt(y)}`;
      } else if (!this.latest[i].dataset.waiting && this.latest[i].textContent === 'no report yet') {
        this.latest[i].textContent = `latest ${fmt(y)}`;
      }
      this.plots[i].setData([this.xs, this.ys[i]]);
    });
  }

  /** The y axes as drawn (test hook): uPlot keeps each axis's last labels and size; and the x axis's title. */
  axes(): AxisInfo[] {
    return this.plots.map((p, i) => {
      const axis = p.axes[1] as uPlot.Axis & { _values?: string[] | null; _size?: number };
      const labels = axis._values ?? [];
      return { key: SERIES[i].key, labels: [...labels], size: axis._size ?? 0, needed: Math.ceil(labelWidth(labels)) + 10 + 5, xTitle: String(p.axes[0].label ?? '') };
    });
  }

  /** Clears the charts. `episodesEndAt`: the env step at which the first episodes end, said on the charts that
   * wait for them (all environments start together, so their first episodes end together). */
  reset(episodesEndAt?: number): void {
    this.xs.length = 0;
    this.ys.forEach((y, i) => {
      y.length = 0;
      this.plots[i].setData([[], []]);
      this.latest[i].textContent = 'no report yet';
      if (SERIES[i].perEpisode && episodesEndAt) this.latest[i].dataset.waiting = `first point when the first episodes end, at ${episodesEndAt.toLocaleString('en-US')} env steps`;
      else delete this.latest[i].dataset.waiting;
      if (this.latest[i].dataset.waiting) this.latest[i].textContent = this.latest[i].dataset.waiting;
    });
  }
}

/** 1200 -> 1.2k, 3000000 -> 3M, -2000 -> −2k (a true minus sign): axes stay narrow and signs stay visible. */
export function compact(x: number): string {
  const a = Math.abs(x);
  const body = a >= 1e6 ? `${+(a / 1e6).toFixed(2)}M` : a >= 1e3 ? `${+(a / 1e3).toFixed(1)}k` : String(+a.toFixed(2));
  return x < 0 && body !== '0' ? `\u2212${body}` : body;
}

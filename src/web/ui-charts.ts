// Live learning curves against environment steps, one small uPlot chart per quantity of the metrics line
// (docs/metrics.md): collective return, influence, equality, sustainability. A metric that is undefined
// for a window (no episode finished, or a model without influence) is a gap, never a zero.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricsRow } from '../learn/trainer.ts';

interface Series {
  key: 'collective_return' | 'influence_total' | 'equality' | 'sustainability';
  title: string;
  /** What the number means, shown under the chart's title. */
  hint: string;
  colour: string;
}

const SERIES: readonly Series[] = [
  { key: 'collective_return', title: 'Collective return', hint: 'sum of the agents\' returns per episode', colour: '#1f5fbf' },
  { key: 'influence_total', title: 'Influence', hint: 'mean total influence per step, nats (influence models)', colour: '#a3367a' },
  { key: 'equality', title: 'Equality', hint: '1 − Gini of the returns', colour: '#2a7d3a' },
  { key: 'sustainability', title: 'Sustainability', hint: 'mean step of positive rewards', colour: '#9a5b00' },
];

const HEIGHT = 150;

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
        scales: { x: { time: false } },
        axes: [
          { stroke: '#333', grid: { stroke: '#e3e3e3' }, values: (_u, ticks) => ticks.map(compact) },
          { stroke: '#333', grid: { stroke: '#e3e3e3' }, size: 48 },
        ],
        series: [{ label: 'env steps' }, { label: s.title, stroke: s.colour, width: 2, spanGaps: true, points: { size: 5 } }],
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
      if (y !== null || this.latest[i].textContent === 'no report yet') this.latest[i].textContent = `latest ${fmt(y)}`;
      this.plots[i].setData([this.xs, this.ys[i]]);
    });
  }

  reset(): void {
    this.xs.length = 0;
    this.ys.forEach((y, i) => { y.length = 0; this.plots[i].setData([[], []]); this.latest[i].textContent = 'no report yet'; });
  }
}

/** 1200 -> 1.2k, 3000000 -> 3M: step axes stay narrow. */
function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${+(x / 1e3).toFixed(1)}k`;
  return String(+x.toFixed(2));
}

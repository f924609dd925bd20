// A small SVG line chart: a few series over a step axis, on a linear or a log10 y axis, with
// grid lines, ticks, a legend above it and a text alternative. Pure DOM building (base/dom.ts):
// the elements that draw curves of a run (bn-landscape; bn-cnn and bn-small-batches draw theirs
// the same way) share it. A series' non-finite values break its line instead of drawing NaN.
import { el, lineLegend, part, svgEl } from './dom.js';
import { fmt } from './format.js';

export interface LineSeries {
  name: string;
  color: string;
  dashed?: boolean;
  xs: readonly number[];
  ys: readonly number[];
}

export interface LineChartOptions {
  /** Pixel width (clamped to [280, 640]) and height. */
  width: number;
  height?: number;
  /** The x axis runs from 0 to xMax; its label. */
  xMax: number;
  xLabel: string;
  /** 'linear' (default) over [yMin, yMax], or 'log' over the data's decades. */
  scale?: 'linear' | 'log';
  yMin?: number;
  yMax?: number;
  /** Tick values of a linear axis (default 5 even steps) and how a tick reads. */
  yTicks?: readonly number[];
  yFormat?: (y: number) => string;
  /** The figure's caption, and a sentence summarising it for screen readers. */
  caption: string;
  summary: string;
  className?: string;
}

/** `<figure>` with caption, legend and the chart. */
export function lineChart(series: readonly LineSeries[], o: LineChartOptions): HTMLElement {
  const W = Math.max(280, Math.min(640, o.width || 640));
  const H = o.height ?? 200;
  const left = 52, right = 12, top = 10, bottom = 34;
  const log = o.scale === 'log';
  const finite = series.flatMap((s) => s.ys.filter((y) => Number.isFinite(y) && (!log || y > 0)));
  let lo: number;
  let hi: number;
  let ticks: number[];
  if (log) {
    lo = finite.length ? Math.floor(Math.log10(Math.min(...finite))) : -3;
    hi = finite.length ? Math.ceil(Math.log10(Math.max(...finite))) : 0;
    if (hi <= lo) hi = lo + 1;
    ticks = [];
    const stride = Math.ceil((hi - lo) / 5);
    for (let d = lo; d <= hi; d += stride) ticks.push(d);
  } else {
    lo = o.yMin ?? Math.min(0, ...finite);
    hi = o.yMax ?? (finite.length ? Math.max(...finite) : 1);
    if (hi <= lo) hi = lo + 1;
    ticks = o.yTicks ? [...o.yTicks] : [0, 1, 2, 3, 4].map((k) => lo + ((hi - lo) * k) / 4);
  }
  const yOf = (y: number) => (log ? Math.log10(y) : y);
  const lx = (x: number) => left + (x / (o.xMax || 1)) * (W - left - right);
  const ly = (y: number) => top + (1 - (yOf(y) - lo) / (hi - lo)) * (H - top - bottom);
  const tickText = (t: number) => (log ? `1e${t}` : (o.yFormat ?? ((y: number) => fmt(y, 2)))(t));
  const svg = part(svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'line-chart', role: 'img' }), 'plot');
  svg.setAttribute('aria-label', o.summary);
  for (const t of ticks) {
    const y = top + (1 - (t - lo) / (hi - lo)) * (H - top - bottom);
    svg.append(svgEl('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'grid' }));
    svg.append(svgEl('text', { x: left - 6, y: y + 4, class: 'tick end' }, tickText(t)));
  }
  for (let k = 0; k <= 4; k++) {
    const x = Math.round((o.xMax * k) / 4);
    svg.append(svgEl('text', { x: lx(x), y: H - bottom + 16, class: 'tick' }, String(x)));
  }
  svg.append(svgEl('text', { x: (left + W - right) / 2, y: H - 3, class: 'tick' }, o.xLabel));
  series.forEach((s, i) => {
    // One polyline per unbroken run of drawable points.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) {
        svg.append(svgEl('polyline', {
          points: run.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2,
          ...(s.dashed ? { 'stroke-dasharray': '6 3' } : {}), class: `line line-${i}`,
        }));
      }
      run = [];
    };
    s.xs.forEach((x, k) => {
      const y = s.ys[k]!;
      if (!Number.isFinite(y) || (log && y <= 0)) return flush();
      run.push(`${lx(x)},${ly(Math.min(Math.max(y, log ? 10 ** lo : lo), log ? 10 ** hi : hi))}`);
    });
    flush();
  });
  const figure = el('figure', o.className ?? 'chart-fig');
  figure.append(part(el('figcaption', undefined, o.caption), 'caption'), lineLegend(series.map((s) => ({ name: s.name, color: s.color, ...(s.dashed ? { dashed: true } : {}) }))), svg);
  return figure;
}

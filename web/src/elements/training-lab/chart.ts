// Charts for the training lab. Line charts are uPlot (small, fast, canvas): this file turns the
// lab's columnar Float32Arrays into uPlot's aligned arrays, averaging the points that fall in one
// pixel column, so 20,000 steps cost ~width points per redraw. Percentile bands are uPlot bands,
// "diverged" words are drawn in a draw hook, and a point that cannot be drawn (non-finite, or
// ≤ 0 on a log axis) breaks its line (a null point). Redraws are batched to one per animation
// frame and at most one per MIN_INTERVAL. Colours: Okabe–Ito, readable for the common
// colour-vision deficiencies; axes follow the elements' --_* theme tokens (light and dark), and
// the charts redraw when those change.
// The decision-boundary heatmap is in boundary-map.ts, the PNG export in chart-export.ts.
import type uPlot from '../vendor/uplot.mjs';
import { FONT, logTicks, niceTicks, textWidth, theme, tickText, valueText, type Theme } from './chart-axes.js';
import { exportPng } from './chart-export.js';

/** Okabe–Ito palette. */
export const OKABE_ITO = {
  orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
  blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', black: '#000000',
} as const;

/**
 * uPlot's stylesheet: link it inside every shadow root that holds a LineChart. `?no-inline`: it is
 * small enough that Vite would inline it as a data: URL, which a strict CSP (style-src 'self')
 * blocks; Vite drops the query from the built URL, and static servers ignore it.
 */
export const CHART_STYLESHEET = new URL('../uplot.min.css?no-inline', import.meta.url).href;

/** uPlot itself, once loadCharts() has imported it. */
let UPlot: typeof uPlot | null = null;
let loading: Promise<void> | null = null;

/**
 * Imports uPlot (its module costs ~40 ms to evaluate, mostly its Intl formatters), so a page
 * pays for it only when a lab is about to show charts. Charts redraw once it has arrived.
 */
export function loadCharts(): Promise<void> {
  loading ??= import('../vendor/uplot.mjs').then((m) => {
    UPlot = m.default;
  }, (e: unknown) => {
    loading = null; // a later call may try again
    throw e;
  });
  return loading;
}

/** Shortest time between two redraws of one chart, ms. */
const MIN_INTERVAL = 100;

/** One line: columnar x and y, of which the first n points are used. */
export interface Series {
  label: string;
  color: string;
  dash?: number[];
  x: Float32Array;
  y: Float32Array;
  n: number;
  /** Draw a dot at every point (sweeps). */
  points?: boolean;
}

/** A filled band between lo and hi (e.g. 15th and 85th percentiles); color is #rrggbb, filled at 25% opacity. */
export interface Band { color: string; x: Float32Array; lo: Float32Array; hi: Float32Array; n: number }

/** A word at a point, e.g. "diverged" at a learning rate whose run blew up (y NaN: at the bottom). */
export interface Mark { x: number; y: number; text: string; color: string }

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Fixed y range (else from the data). */
  yMin?: number;
  yMax?: number;
  /** CSS pixel height of the plot, axes included. */
  height?: number;
}

/** Columns of one series (or of a band's lo and hi together): x ascending, null where a line breaks. */
interface Binned { x: number[]; ys: (number | null)[][] }

/**
 * Averages the points of each pixel column (`col` maps x to its column) into one point at their
 * mean x. A point that `ok` rejects ends the line: a null point goes halfway between the last
 * point drawn and the next drawable one, which uPlot draws as a gap.
 */
function binColumns(x: Float32Array, ys: Float32Array[], n: number, ok: (x: number, y: number) => boolean, col: (x: number) => number): Binned {
  const out: Binned = { x: [], ys: ys.map(() => []) };
  const sums = new Float64Array(ys.length);
  let column = NaN, count = 0, sx = 0, broken = false;
  const flush = () => {
    if (!count) return;
    out.x.push(sx / count);
    out.ys.forEach((o, k) => o.push(sums[k]! / count));
    count = 0;
    sx = 0;
    sums.fill(0);
  };
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    if (!ys.every((y) => ok(xi, y[i]!))) {
      flush();
      broken = out.x.length > 0;
      column = NaN;
      continue;
    }
    const c = col(xi);
    if (c !== column) {
      flush();
      if (broken) {
        out.x.push((out.x[out.x.length - 1]! + xi) / 2);
        for (const o of out.ys) o.push(null);
        broken = false;
      }
      column = c;
    }
    sx += xi;
    ys.forEach((y, k) => (sums[k]! += y[i]!));
    count++;
  }
  flush();
  return out;
}

/** Binned series on one shared, sorted x (uPlot's aligned data); undefined where a series has no point. */
function align(parts: Binned[]): uPlot.AlignedData {
  const xs = Float64Array.from(new Set(parts.flatMap((p) => p.x))).sort();
  const slot = new Map<number, number>();
  xs.forEach((x, i) => slot.set(x, i));
  const cols: (number | null | undefined)[][] = [];
  for (const p of parts) {
    for (const y of p.ys) {
      const c = new Array<number | null | undefined>(xs.length).fill(undefined);
      p.x.forEach((x, j) => (c[slot.get(x)!] = y[j]));
      cols.push(c);
    }
  }
  return [xs, ...cols];
}

/** A line chart in a <figure>, with a title, a legend (values under the cursor) and PNG export. */
export class LineChart {
  readonly element: HTMLElement;
  /** The plot's box: role="img", its aria-label summarises the latest values. */
  readonly plotBox: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly at: HTMLElement;
  private values: HTMLElement[] = [];
  private plot: uPlot | null = null;
  /** Series and band count, colours and styles the current uPlot was built for. */
  private shape = '';
  private series: Series[] = [];
  private bands: Band[] = [];
  private marks: Mark[] = [];
  private frame = 0;
  private lastDraw = -Infinity;
  private observedWidth = -1;
  private th: Theme = { fg: '#1b1b1b', muted: '#5a5a5a', grid: '#e3e3e3', bg: '#ffffff' };
  private xr: [number, number] = [0, 1];
  private yr: [number, number] = [0, 1];
  /** Bumped by set(): the binned data is computed once per version. */
  private version = 0;
  private cache: ReturnType<LineChart['binned']> | null = null;
  /** Pixel columns of the plot area at the last draw. */
  private cols = 0;
  /** The charts whose drawn y extents this one's y range covers (shareY), itself included. */
  private peers: LineChart[] = [this];
  /** A fixed y range (overrides the data's and the shared one), or null. */
  yRange: [number, number] | null = null;
  private drawnPoints = 0;

  private readonly caption: HTMLElement;

  constructor(private opts: ChartOptions) {
    this.element = document.createElement('figure');
    this.element.className = 'chart';
    const cap = (this.caption = document.createElement('figcaption'));
    cap.setAttribute('part', 'caption');
    cap.textContent = opts.title;
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    this.plotBox = document.createElement('div');
    this.plotBox.className = 'plot';
    this.plotBox.setAttribute('part', 'plot');
    this.plotBox.setAttribute('role', 'img');
    this.plotBox.setAttribute('aria-label', this.summary());
    // The x under the cursor, over the plot's corner (in the legend it would reflow the figure).
    this.at = document.createElement('span');
    this.at.className = 'at';
    this.plotBox.append(this.at);
    this.element.append(cap, this.legend, this.plotBox);
    // A theme change (a media query, a page's toggle restyling an ancestor) changes the --_*
    // colours, which the stylesheet mirrors into unused properties of the plot box with a 1 ms
    // transition: its start is the signal to redraw the canvas in the new colours.
    this.plotBox.addEventListener('transitionrun', (e) => {
      if (e.target === this.plotBox) this.schedule();
    });
    new ResizeObserver((entries) => {
      const w = Math.floor(entries[entries.length - 1]!.contentRect.width);
      if (w !== this.observedWidth) {
        this.observedWidth = w;
        this.schedule();
      }
    }).observe(this.element);
  }

  /** Renames the chart (its caption and the summary read to screen readers). */
  setTitle(title: string): void {
    if (title === this.opts.title) return;
    this.opts = { ...this.opts, title };
    this.caption.textContent = title;
    this.plotBox.setAttribute('aria-label', this.summary());
  }

  /** Replaces what is drawn; the redraw happens on the next animation frame. */
  set(series: Series[], bands: Band[] = [], marks: Mark[] = []): void {
    const changed = series.map((s) => s.label).join('|') !== this.series.map((s) => s.label).join('|');
    this.series = series;
    this.bands = bands;
    this.marks = marks;
    this.version++;
    if (changed) {
      this.values = [];
      this.legend.replaceChildren(
        ...series.map((s) => {
          const item = document.createElement('span');
          item.className = 'key';
          const sw = document.createElement('span');
          sw.className = s.dash ? 'swatch dashed' : 'swatch';
          sw.style.borderColor = s.color;
          const value = document.createElement('span');
          value.className = 'value';
          this.values.push(value);
          item.append(sw, document.createTextNode(s.label), value);
          return item;
        }),
      );
    }
    this.schedule();
  }

  /** Redraws on the next animation frame, and at most every MIN_INTERVAL ms (software canvas is slow on phones). */
  schedule(): void {
    if (this.frame) return;
    const wait = Math.max(0, this.lastDraw + MIN_INTERVAL - performance.now());
    this.frame = window.setTimeout(() => requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    }), wait);
  }

  /** The chart as a PNG blob: title and legend above the plot, on the theme's background. */
  png(): Promise<Blob> {
    this.draw();
    const src = this.plot?.ctx.canvas;
    if (!this.plot || !src || !src.width) return Promise.reject(new Error('the chart is not shown'));
    return exportPng(src, this.plot.width, this.opts.title, this.series, this.th);
  }

  /** Points per series handed to uPlot at the last redraw (about one per pixel column of the plot). */
  get pointsDrawn(): number {
    return this.drawnPoints;
  }

  /** Makes `charts` share one y range: the union of what each of them draws (e.g. to compare spreads). */
  static shareY(charts: LineChart[]): void {
    for (const c of charts) c.peers = charts;
  }

  /** The y extent of the data drawn (finite values, averaged per pixel column as drawn), or null. */
  dataY(): [number, number] | null {
    return this.binned(this.cols || 300).y;
  }

  /** Whether (x, y) can be drawn on this chart's axes. */
  private drawable = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!this.opts.logX || x > 0) && (!this.opts.logY || y > 0);

  /** The x range: every drawable point and mark (sweeps get a margin). */
  private xRange(): [number, number] {
    let x0 = Infinity, x1 = -Infinity;
    const { logX } = this.opts;
    const take = (x: number, y: number) => {
      if (!this.drawable(x, y)) return;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    };
    for (const s of this.series) for (let i = 0; i < s.n; i++) take(s.x[i]!, s.y[i]!);
    for (const b of this.bands) for (let i = 0; i < b.n; i++) take(b.x[i]!, b.lo[i]!);
    for (const m of this.marks) if (Number.isFinite(m.x) && (!logX || m.x > 0)) { x0 = Math.min(x0, m.x); x1 = Math.max(x1, m.x); }
    if (!Number.isFinite(x0)) { x0 = logX ? 1 : 0; x1 = logX ? 10 : 1; }
    if (x1 === x0) x1 = x0 + (logX ? x0 * 9 : 1);
    // Sweeps (dots) get a margin, so the end points and their "diverged" words are not cut off.
    if (this.series.some((s) => s.points)) {
      if (logX) { const f = (x1 / x0) ** 0.04; x0 /= f; x1 *= f; } else { const p = (x1 - x0) * 0.04; x0 -= p; x1 += p; }
    }
    return [x0, x1];
  }

  /** The y range: fixed, shared, or what is drawn (a one-point spike averaged away does not stretch it). */
  private yRangeOf(extent: [number, number] | null): [number, number] {
    const { logY, yMin, yMax } = this.opts;
    let [y0, y1] = extent ?? [logY ? 0.1 : 0, 1];
    if (yMin !== undefined) y0 = yMin;
    if (yMax !== undefined) y1 = yMax;
    if (this.yRange) [y0, y1] = this.yRange;
    if (y1 <= y0) y1 = logY ? y0 * 10 : y0 + 1;
    if (!logY && yMin === undefined) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
    return [y0, y1];
  }

  /**
   * The series and bands as uPlot data, one point per pixel column of a `cols`-wide plot, with
   * their x range and y extent; computed once per set() and width.
   */
  private binned(cols: number): { version: number; cols: number; x: [number, number]; data: uPlot.AlignedData; y: [number, number] | null } {
    if (this.cache?.version === this.version && this.cache.cols === cols) return this.cache;
    const x = this.xRange();
    const t = this.opts.logX ? Math.log10 : (v: number) => v;
    const t0 = t(x[0]), k = cols / (t(x[1]) - t0);
    const col = (v: number) => Math.floor((t(v) - t0) * k);
    const data = align([
      ...this.bands.map((b) => binColumns(b.x, [b.hi, b.lo], b.n, this.drawable, col)),
      ...this.series.map((s) => binColumns(s.x, [s.y], s.n, this.drawable, col)),
    ]);
    let lo = Infinity, hi = -Infinity;
    for (let j = 1; j < data.length; j++) {
      for (const v of data[j]!) {
        if (v == null) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    this.cache = { version: this.version, cols, x, data, y: Number.isFinite(lo) ? [lo, hi] : null };
    return this.cache;
  }

  private draw(): void {
    this.lastDraw = performance.now();
    // The width the ResizeObserver last saw (reading layout here would force one per chart per
    // frame while the page is still building); before its first report (e.g. a PNG asked for right
    // after the chart was inserted), layout is read once. 0: hidden (a sweep chart before its first
    // sweep); drawn when the ResizeObserver sees it.
    const width = this.observedWidth >= 0 ? this.observedWidth : Math.floor(this.element.getBoundingClientRect().width);
    if (width <= 0) return;
    // Before uPlot has arrived (loadCharts()), the chart draws when it does.
    if (!UPlot) {
      void loadCharts().then(() => this.draw(), () => {});
      return;
    }
    const cssW = Math.max(200, width);
    const cssH = this.opts.height ?? 200;
    this.th = theme(this.element);
    const shape = JSON.stringify([this.series.map((s) => [s.color, s.dash, s.points]), this.bands.map((b) => b.color)]);
    if (shape !== this.shape) {
      this.plot?.destroy();
      this.plot = null;
      this.shape = shape;
    }
    // One point per pixel column of the plot area (the axes take the rest of the width).
    const u0 = this.plot;
    this.cols = Math.max(50, Math.round(u0 ? u0.bbox.width / UPlot.pxRatio + cssW - u0.width : cssW - 50));
    const { x, data, y } = this.binned(this.cols);
    const extents = this.peers.map((c) => (c === this ? y : c.dataY())).filter((e): e is [number, number] => e !== null);
    this.drawnPoints = data[0].length;
    this.xr = x;
    this.yr = this.yRangeOf(extents.length ? [Math.min(...extents.map((e) => e[0])), Math.max(...extents.map((e) => e[1]))] : null);
    if (!u0) {
      this.plot = new UPlot(this.options(cssW, cssH), data, this.plotBox);
    } else {
      // batch: size and data land in one synchronous redraw (png() reads the canvas right after).
      u0.batch(() => {
        if (u0.width !== cssW || u0.height !== cssH) u0.setSize({ width: cssW, height: cssH });
        u0.setData(data);
      });
    }
    this.plotBox.setAttribute('aria-label', this.summary());
  }

  private options(width: number, height: number): uPlot.Options {
    const { logX, logY, xLabel, yLabel } = this.opts;
    const series: uPlot.Series[] = [{ label: xLabel }];
    const bands: uPlot.Band[] = [];
    for (const b of this.bands) {
      const i = series.length;
      // The band's edges are series without a line; uPlot fills between them.
      for (const label of ['band high', 'band low']) series.push({ label, stroke: 'rgba(0,0,0,0)', width: 0, points: { show: false } });
      bands.push({ series: [i, i + 1], fill: `${b.color}40` });
    }
    for (const s of this.series) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: 2,
        ...(s.dash ? { dash: s.dash } : {}),
        points: s.points ? { show: true, size: 7, width: 0, fill: s.color, stroke: s.color } : { show: false },
      });
    }
    const nBand = 2 * this.bands.length;
    const axis = (label: string, log: boolean, vertical: boolean): uPlot.Axis => ({
      label,
      font: FONT,
      labelFont: FONT,
      stroke: () => this.th.muted,
      grid: { stroke: () => this.th.grid, width: 1 },
      ticks: { stroke: () => this.th.grid, width: 1, size: 4 },
      gap: 3,
      labelGap: 0,
      labelSize: vertical ? 16 : 14,
      // A y axis as wide as its widest tick label; an x axis one line high.
      size: vertical ? (_u, values) => Math.ceil(Math.max(12, ...(values ?? []).map(textWidth))) + 9 : 20,
      splits: (u, _i, lo, hi) => {
        if (log) return logTicks(lo, hi);
        const dim = (vertical ? u.bbox.height : u.bbox.width) / UPlot!.pxRatio || (vertical ? height - 40 : width - 60);
        return niceTicks(lo, hi, Math.max(2, Math.floor(dim / (vertical ? 40 : 70))));
      },
      values: (_u, splits) => splits.map(tickText),
      filter: (_u, splits) => splits,
    });
    return {
      width,
      height,
      series,
      bands,
      legend: { show: false },
      padding: [10, 12, 0, 0],
      scales: {
        x: { time: false, distr: logX ? 3 : 1, log: 10, range: () => this.xr },
        y: { distr: logY ? 3 : 1, log: 10, range: () => this.yr },
      },
      axes: [axis(xLabel, !!logX, false), axis(yLabel, !!logY, true)],
      cursor: {
        y: false,
        drag: { x: false, y: false, setScale: false },
        points: { size: (_u, i) => (i > nBand ? 8 : 0), width: 0 },
      },
      hooks: {
        draw: [(u) => this.drawMarks(u)],
        setCursor: [(u) => this.readout(u, nBand)],
      },
    };
  }

  /** The marks (e.g. "diverged"): a cross at the point and the word above it, upright. */
  private drawMarks(u: uPlot): void {
    if (!this.marks.length) return;
    const ctx = u.ctx, r = UPlot!.pxRatio;
    const { top, height } = u.bbox;
    for (const m of this.marks) {
      if (!Number.isFinite(m.x) || (this.opts.logX && m.x <= 0)) continue;
      const px = u.valToPos(m.x, 'x', true);
      const py = Math.min(top + height, Math.max(top, this.drawable(m.x, m.y) ? u.valToPos(m.y, 'y', true) : top + height - 10 * r));
      // save/restore: uPlot caches the context's styles between its own draws.
      ctx.save();
      ctx.font = `bold ${11 * r}px system-ui, sans-serif`;
      ctx.textBaseline = 'middle';
      ctx.fillStyle = m.color;
      ctx.textAlign = 'center';
      ctx.fillText('×', px, py);
      ctx.translate(px, py - 8 * r);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.fillText(m.text, 0, 0);
      ctx.restore();
    }
  }

  /** The values under the cursor, in the legend (empty when the cursor is off the plot). */
  private readout(u: uPlot, nBand: number): void {
    const idx = u.cursor.idx;
    const x = idx == null ? undefined : u.data[0][idx];
    this.at.textContent = x == null ? '' : `${this.opts.xLabel} ${valueText(x)}`;
    this.legend.classList.toggle('live', x != null);
    this.values.forEach((span, k) => {
      const si = 1 + nBand + k;
      const i = u.cursor.idxs?.[si] ?? idx;
      const y = i == null || x == null ? null : u.data[si]?.[i];
      span.textContent = y == null ? '' : valueText(y);
    });
  }

  /** The text alternative: what is plotted and each series' latest value (every value, for sweeps). */
  private summary(): string {
    const { title, xLabel, yLabel, logX, logY } = this.opts;
    const scale = logX || logY ? ` (log ${logX && logY ? 'axes' : logX ? 'x axis' : 'y axis'})` : '';
    const parts = [`${title}: ${yLabel} against ${xLabel}${scale}.`];
    const marks = new Set(this.marks);
    /** The mark of series `s` at x, if any (it says more than "none", e.g. "diverged"). */
    const markAt = (s: Series, x: number) => this.marks.find((m) => m.color === s.color && m.x === x);
    for (const s of this.series) {
      if (s.points) {
        const pairs = Array.from({ length: s.n }, (_, i) => {
          const m = Number.isFinite(s.y[i]!) ? undefined : markAt(s, s.x[i]!);
          if (m) marks.delete(m);
          return `${valueText(s.x[i]!)}: ${m ? m.text : valueText(s.y[i]!)}`;
        });
        parts.push(`${s.label}, by ${xLabel}: ${pairs.join(', ')}.`);
        continue;
      }
      let i = s.n - 1;
      while (i >= 0 && !Number.isFinite(s.y[i]!)) i--;
      parts.push(i < 0 ? `${s.label}: no data yet.` : `${s.label}: ${valueText(s.y[i]!)} at ${xLabel} ${valueText(s.x[i]!)}.`);
    }
    for (const b of this.bands) {
      let i = b.n - 1;
      while (i >= 0 && !(Number.isFinite(b.lo[i]!) && Number.isFinite(b.hi[i]!))) i--;
      if (i >= 0) parts.push(`Band: ${valueText(b.lo[i]!)} to ${valueText(b.hi[i]!)} at ${xLabel} ${valueText(b.x[i]!)}.`);
    }
    for (const m of marks) {
      const who = this.series.find((s) => s.color === m.color)?.label;
      parts.push(`${who ? `${who}: ` : ''}${m.text} at ${xLabel} ${valueText(m.x)}.`);
    }
    return parts.join(' ');
  }

}

// Small canvas charts for the training lab: line charts over columnar Float32Arrays (each pixel
// column draws the mean of the points that fall in it, so 20,000 steps cost ~width segments),
// percentile bands, point markers with words ("diverged"), and a decision-boundary heatmap.
// Redraws are batched to one per animation frame. Non-finite values are never drawn: they break
// the line. Colours: Okabe–Ito, readable for the common colour-vision deficiencies.

/** Okabe–Ito palette. */
export const OKABE_ITO = {
  orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
  blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', black: '#000000',
} as const;

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

/** A filled band between lo and hi (e.g. 15th and 85th percentiles). */
export interface Band { color: string; x: Float32Array; lo: Float32Array; hi: Float32Array; n: number }

/** A word at a point, e.g. "diverged" at a learning rate whose run blew up. */
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
  /** CSS pixel height of the plot. */
  height?: number;
}

function theme(node: Element): { fg: string; muted: string; grid: string; bg: string } {
  const cs = getComputedStyle(node);
  const v = (name: string, d: string) => cs.getPropertyValue(name).trim() || d;
  return { fg: v('--lab-fg', '#1b1b1b'), muted: v('--lab-muted', '#5a5a5a'), grid: v('--lab-grid', '#e3e3e3'), bg: v('--lab-bg', '#ffffff') };
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const mag = 10 ** Math.floor(Math.log10(span / count));
  // The largest 1-2-5 step giving at least `count` ticks (and never fewer than two).
  let out: number[] = [];
  for (const k of [10, 5, 2, 1, 0.5]) {
    const step = k * mag;
    out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    if (out.length >= Math.min(count, 3)) break;
  }
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  for (const mults of [[1], [1, 3], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]]) {
    const out: number[] = [];
    for (let e = e0; e <= e1; e++) for (const m of mults) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) out.push(Number(t.toPrecision(3)));
    }
    if (out.length >= 3) return out;
  }
  return [lo, hi];
}

function tickText(t: number): string {
  if (t === 0) return '0';
  const a = Math.abs(t);
  const s = a >= 1e4 || a < 1e-3 ? t.toExponential(0) : String(Number(t.toPrecision(3)));
  return s.replace('-', '\u2212');
}

/** A line chart in a <figure>, with a title, a legend and PNG export. */
export class LineChart {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLElement;
  private series: Series[] = [];
  private bands: Band[] = [];
  private marks: Mark[] = [];
  private frame = 0;
  private lastDraw = -Infinity;
  private width = 0;
  /** A y range shared with another chart (overrides the data's), or null. */
  yRange: [number, number] | null = null;

  constructor(private readonly opts: ChartOptions) {
    this.element = document.createElement('figure');
    this.element.className = 'chart';
    const cap = document.createElement('figcaption');
    cap.textContent = opts.title;
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `${opts.title}: ${opts.yLabel} against ${opts.xLabel}`);
    this.element.append(cap, this.legend, this.canvas);
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** Replaces what is drawn; the redraw happens on the next animation frame. */
  set(series: Series[], bands: Band[] = [], marks: Mark[] = []): void {
    const changed = series.map((s) => s.label).join('|') !== this.series.map((s) => s.label).join('|');
    this.series = series;
    this.bands = bands;
    this.marks = marks;
    if (changed) {
      this.legend.replaceChildren(
        ...series.map((s) => {
          const item = document.createElement('span');
          item.className = 'key';
          const sw = document.createElement('span');
          sw.className = s.dash ? 'swatch dashed' : 'swatch';
          sw.style.borderColor = s.color;
          item.append(sw, document.createTextNode(s.label));
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

  /** The chart as a PNG blob. */
  png(): Promise<Blob> {
    this.draw();
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
  }

  /** The y extent of the data drawn (finite values only), for sharing axes between charts. */
  dataY(): [number, number] | null {
    let lo = Infinity, hi = -Infinity;
    const take = (y: number) => { if (Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); } };
    for (const s of this.series) for (let i = 0; i < s.n; i++) take(s.y[i]!);
    for (const b of this.bands) for (let i = 0; i < b.n; i++) { take(b.lo[i]!); take(b.hi[i]!); }
    return Number.isFinite(lo) ? [lo, hi] : null;
  }

  private range(): { x0: number; x1: number; y0: number; y1: number } {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const { logX, logY } = this.opts;
    const take = (x: number, y: number) => {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) return;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    };
    for (const s of this.series) for (let i = 0; i < s.n; i++) take(s.x[i]!, s.y[i]!);
    for (const b of this.bands) for (let i = 0; i < b.n; i++) { take(b.x[i]!, b.lo[i]!); take(b.x[i]!, b.hi[i]!); }
    for (const m of this.marks) if (Number.isFinite(m.x)) { x0 = Math.min(x0, m.x); x1 = Math.max(x1, m.x); }
    if (!Number.isFinite(x0)) { x0 = logX ? 1 : 0; x1 = logX ? 10 : 1; }
    if (x1 === x0) x1 = x0 + (logX ? x0 * 9 : 1);
    // Sweeps (dots) get a margin, so the end points and their "diverged" words are not cut off.
    if (this.series.some((s) => s.points)) {
      if (logX) { const f = (x1 / x0) ** 0.04; x0 /= f; x1 *= f; } else { const p = (x1 - x0) * 0.04; x0 -= p; x1 += p; }
    }
    if (!Number.isFinite(y0)) { y0 = logY ? 0.1 : 0; y1 = 1; }
    if (this.opts.yMin !== undefined) y0 = this.opts.yMin;
    if (this.opts.yMax !== undefined) y1 = this.opts.yMax;
    if (this.yRange) [y0, y1] = this.yRange;
    if (y1 <= y0) y1 = logY ? y0 * 10 : y0 + 1;
    if (!logY && this.opts.yMin === undefined && !this.yRange) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
    return { x0, x1, y0, y1 };
  }

  private draw(): void {
    this.lastDraw = performance.now();
    const rect = this.element.getBoundingClientRect();
    const cssW = Math.max(200, Math.floor(rect.width || this.width || 320));
    const cssH = this.opts.height ?? 200;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
      this.canvas.style.width = `${cssW}px`;
      this.canvas.style.height = `${cssH}px`;
    }
    this.width = cssW;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const th = theme(this.element);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = th.bg;
    ctx.fillRect(0, 0, cssW, cssH);
    const L = 48, R = 10, T = 8, B = 34;
    const pw = cssW - L - R, ph = cssH - T - B;
    const { x0, x1, y0, y1 } = this.range();
    const { logX, logY } = this.opts;
    const fx = logX ? (x: number) => L + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw : (x: number) => L + ((x - x0) / (x1 - x0)) * pw;
    const fy = logY ? (y: number) => T + ph - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph : (y: number) => T + ph - ((y - y0) / (y1 - y0)) * ph;
    const clampY = (py: number) => Math.min(T + ph, Math.max(T, py));
    // Grid and ticks.
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = th.grid;
    ctx.fillStyle = th.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of logY ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.floor(ph / 40)))) {
      const py = Math.round(fy(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(L, py); ctx.lineTo(L + pw, py); ctx.stroke();
      ctx.fillText(tickText(t), L - 4, py);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of logX ? logTicks(x0, x1) : niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)))) {
      const px = Math.round(fx(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(px, T); ctx.lineTo(px, T + ph); ctx.stroke();
      ctx.fillText(tickText(t), px, T + ph + 3);
    }
    ctx.fillText(this.opts.xLabel, L + pw / 2, T + ph + 18);
    ctx.save();
    ctx.translate(11, T + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(this.opts.yLabel, 0, 0);
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T, pw, ph);
    ctx.clip();
    // Bands: one polygon per finite run of points, averaged per pixel column.
    for (const b of this.bands) {
      const cols = this.columns(b.x, [b.lo, b.hi], b.n, fx);
      ctx.fillStyle = b.color;
      ctx.globalAlpha = 0.25;
      for (const run of cols) {
        ctx.beginPath();
        run.forEach((c, i) => (i ? ctx.lineTo(c.px, clampY(fy(c.v[1]!))) : ctx.moveTo(c.px, clampY(fy(c.v[1]!)))));
        for (let i = run.length - 1; i >= 0; i--) ctx.lineTo(run[i]!.px, clampY(fy(run[i]!.v[0]!)));
        ctx.closePath();
        ctx.fill();
      }
      ctx.globalAlpha = 1;
    }
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dash ?? []);
      for (const run of this.columns(s.x, [s.y], s.n, fx)) {
        ctx.beginPath();
        run.forEach((c, i) => (i ? ctx.lineTo(c.px, clampY(fy(c.v[0]!))) : ctx.moveTo(c.px, clampY(fy(c.v[0]!)))));
        ctx.stroke();
        if (s.points) for (const c of run) { ctx.beginPath(); ctx.arc(c.px, clampY(fy(c.v[0]!)), 3.5, 0, 2 * Math.PI); ctx.fill(); }
      }
      ctx.setLineDash([]);
    }
    ctx.restore();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = 'bold 11px system-ui, sans-serif';
    for (const m of this.marks) {
      const px = fx(m.x), py = clampY(Number.isFinite(m.y) ? fy(m.y) : T + ph - 10);
      ctx.fillStyle = m.color;
      ctx.fillText('×', px, py);
      ctx.save();
      ctx.translate(px, py - 8);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.fillText(m.text, 0, 0);
      ctx.restore();
    }
  }

  /** Points grouped per pixel column (mean of each value), split into runs at non-finite values. */
  private columns(x: Float32Array, ys: Float32Array[], n: number, fx: (x: number) => number): { px: number; v: number[] }[][] {
    const runs: { px: number; v: number[] }[][] = [];
    let run: { px: number; v: number[] }[] = [];
    let col = NaN, count = 0;
    let sums = ys.map(() => 0);
    const flush = () => {
      if (count) run.push({ px: col, v: sums.map((s) => s / count) });
      count = 0;
      sums = ys.map(() => 0);
    };
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const ok = Number.isFinite(xi) && (!this.opts.logX || xi > 0) && ys.every((y) => Number.isFinite(y[i]!) && (!this.opts.logY || y[i]! > 0));
      if (!ok) {
        flush();
        if (run.length) runs.push(run);
        run = [];
        col = NaN;
        continue;
      }
      const px = Math.round(fx(xi));
      if (px !== col) { flush(); col = px; }
      ys.forEach((y, k) => (sums[k]! += y[i]!));
      count++;
    }
    flush();
    if (run.length) runs.push(run);
    return runs;
  }
}

/** A decision-boundary heatmap: P(class 1) on a grid plus the training points. */
export class BoundaryMap {
  readonly canvas: HTMLCanvasElement;
  private readonly image: HTMLCanvasElement;
  private readonly dots: HTMLCanvasElement;
  private points: Float32Array | null = null;
  private labels: Int32Array | null = null;
  private grid: Float32Array | null = null;
  private frame = 0;

  constructor(label: string, private readonly n = 100, private readonly extent = 6) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'boundary';
    this.canvas.width = 300;
    this.canvas.height = 300;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.image = document.createElement('canvas');
    this.image.width = n;
    this.image.height = n;
    this.dots = document.createElement('canvas');
    this.dots.width = this.canvas.width;
    this.dots.height = this.canvas.height;
  }

  setData(points: Float32Array | null, labels: Int32Array | null): void {
    this.points = points;
    this.labels = labels;
    this.grid = null;
    this.drawDots();
    this.schedule();
  }

  setGrid(grid: Float32Array): void {
    this.grid = grid;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  png(): Promise<Blob> {
    this.draw();
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    const ictx = this.image.getContext('2d');
    if (!ctx || !ictx) return;
    const W = this.canvas.width, H = this.canvas.height;
    ctx.fillStyle = '#f4f4f4';
    ctx.fillRect(0, 0, W, H);
    // Class 0 orange, class 1 blue (Okabe–Ito), faded towards white where the model is unsure.
    const c0 = [0xe6, 0x9f, 0x00], c1 = [0x00, 0x72, 0xb2];
    if (this.grid) {
      const img = ictx.createImageData(this.n, this.n);
      for (let j = 0; j < this.n; j++) {
        for (let i = 0; i < this.n; i++) {
          const p = this.grid[j * this.n + i]!;
          const q = Number.isFinite(p) ? p : 0.5;
          const c = q >= 0.5 ? c1 : c0;
          const t = Math.min(1, Math.abs(q - 0.5) * 2) * 0.6;
          // Row 0 of the grid is y0 (bottom): flip so +y is up.
          const o = ((this.n - 1 - j) * this.n + i) * 4;
          for (let k = 0; k < 3; k++) img.data[o + k] = Math.round(255 + (c[k]! - 255) * t);
          img.data[o + 3] = 255;
        }
      }
      ictx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.image, 0, 0, W, H);
    }
    ctx.drawImage(this.dots, 0, 0);
  }

  /** The training points, drawn once per dataset onto their own layer. */
  private drawDots(): void {
    const ctx = this.dots.getContext('2d');
    if (!ctx) return;
    const W = this.dots.width, H = this.dots.height;
    ctx.clearRect(0, 0, W, H);
    if (!this.points || !this.labels) return;
    const e = this.extent;
    ctx.lineWidth = 0.8;
    ctx.strokeStyle = '#ffffff';
    for (let i = 0; i < this.labels.length; i++) {
      const x = ((this.points[2 * i]! + e) / (2 * e)) * W;
      const y = H - ((this.points[2 * i + 1]! + e) / (2 * e)) * H;
      ctx.beginPath();
      ctx.arc(x, y, 2.6, 0, 2 * Math.PI);
      ctx.fillStyle = this.labels[i] ? '#0072B2' : '#E69F00';
      ctx.fill();
      ctx.stroke();
    }
  }
}

/** Starts a download of `blob` as `name` through a temporary blob URL on an <a download>. */
export function download(blob: Blob, name: string, host: Node): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  (host as ParentNode).append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

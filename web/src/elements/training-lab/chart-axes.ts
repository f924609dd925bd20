// What the line charts share about axes and text: the theme colours read from the elements'
// tokens, 1-2-5 and logarithmic ticks, and how numbers are written on axes and for reading.

/** Axis tick and label font (uPlot scales it by the device pixel ratio). */
export const FONT = '11px system-ui, sans-serif';

export interface Theme { fg: string; muted: string; grid: string; bg: string }

export function theme(node: Element): Theme {
  const cs = getComputedStyle(node);
  const v = (name: string, d: string) => cs.getPropertyValue(name).trim() || d;
  return { fg: v('--_text', '#1a1d21'), muted: v('--_muted', '#4f5660'), grid: v('--_grid', '#e2e4e8'), bg: v('--_bg', '#ffffff') };
}

export function niceTicks(lo: number, hi: number, count: number): number[] {
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

export function logTicks(lo: number, hi: number): number[] {
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

export function tickText(t: number): string {
  if (t === 0) return '0';
  const a = Math.abs(t);
  const s = a >= 1e4 || a < 1e-3 ? t.toExponential(0) : String(Number(t.toPrecision(3)));
  return s.replace('-', '\u2212');
}

/** A value for reading (aria-label, hover readout): three significant digits. */
export function valueText(v: number): string {
  if (!Number.isFinite(v)) return 'none';
  const a = Math.abs(v);
  return (a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(3)))).replace('-', '\u2212');
}

let measurer: CanvasRenderingContext2D | null = null;
/** Width of `text` in FONT, CSS px. */
export function textWidth(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return 7 * text.length;
  measurer.font = FONT;
  return measurer.measureText(text).width;
}

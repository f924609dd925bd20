// Rows of dots over one number line, drawn as SVG: the standardization, γ/β and worked example
// elements all show their values this way.
import { svgEl } from './dom.js';
import { fmt } from './format.js';

/** One row of points on a shared number line. */
export interface AxisRow {
  /** Row label, drawn at the left. */
  label: string;
  /** The points. */
  values: ArrayLike<number>;
  /** Class of the row's points (colour). */
  cls: string;
}

/** Horizontal geometry of a number line in a 400-unit-wide viewBox. */
export interface AxisScale {
  lo: number;
  hi: number;
  /** value → x in viewBox units */
  x(v: number): number;
  /** x in viewBox units → value */
  inv(px: number): number;
}

export const AXIS_W = 400;
const AXIS_LEFT = 36;
const AXIS_RIGHT = 14;

/** A domain padded around the values, with "nice" integer-ish ends. */
export function axisDomain(all: number[]): [number, number] {
  let lo = Math.min(...all, 0);
  let hi = Math.max(...all, 0);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.06;
  return [Math.floor(lo - pad), Math.ceil(hi + pad)];
}

export function axisScale(lo: number, hi: number, width = AXIS_W): AxisScale {
  const w = width - AXIS_LEFT - AXIS_RIGHT;
  return {
    lo, hi,
    x: (v) => AXIS_LEFT + ((v - lo) / (hi - lo)) * w,
    inv: (px) => lo + ((px - AXIS_LEFT) / w) * (hi - lo),
  };
}

/**
 * Rows of dots over one number line (ticks at the bottom), drawn with createElementNS.
 * Returns the svg and, per row, its circles (in value order) so callers can make them draggable.
 */
export function dotAxis(rows: AxisRow[], title: string, domain?: [number, number], width = AXIS_W): { svg: SVGSVGElement; dots: SVGCircleElement[][]; scale: AxisScale } {
  const all = rows.flatMap((r) => Array.from(r.values));
  const [lo, hi] = domain ?? axisDomain(all);
  const s = axisScale(lo, hi, width);
  const rowH = 34;
  const h = rows.length * rowH + 30;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${h}`, class: 'axis', role: 'img' });
  svg.append(svgEl('title', {}, title));
  const span = hi - lo;
  const step = span <= 12 ? 1 : span <= 30 ? 5 : span <= 120 ? 10 : Math.pow(10, Math.floor(Math.log10(span)));
  const axisY = rows.length * rowH + 6;
  svg.append(svgEl('line', { x1: s.x(lo), x2: s.x(hi), y1: axisY, y2: axisY, class: 'tick-line' }));
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) {
    svg.append(svgEl('line', { x1: s.x(t), x2: s.x(t), y1: 4, y2: axisY + 4, class: t === 0 ? 'grid zero' : 'grid' }));
    svg.append(svgEl('text', { x: s.x(t), y: axisY + 18, class: 'tick' }, fmt(t, 2)));
  }
  const dots: SVGCircleElement[][] = [];
  rows.forEach((row, r) => {
    const y = r * rowH + rowH / 2 + 2;
    svg.append(svgEl('text', { x: 4, y: y + 4, class: 'row-label' }, row.label));
    const list: SVGCircleElement[] = [];
    Array.from(row.values).forEach((v, i) => {
      // Equal values stack slightly so each stays visible.
      const same = Array.from(row.values).slice(0, i).filter((u) => Math.abs(u - v) < span / 200).length;
      const c = svgEl('circle', { cx: s.x(v), cy: y - same * 5, r: 6, class: `dot ${row.cls}` });
      svg.append(c);
      list.push(c);
    });
    dots.push(list);
  });
  return { svg, dots, scale: s };
}

// What every <bn-*> element shares: one lab per page (loaded on first use), a shadow root with
// the elements' stylesheet (an external file: the page runs under a strict CSP, so no inline
// <style>), attribute parsing that clamps instead of trusting, and typed events.
import { loadLab, type Lab } from '../../engine/lab.js';

let labPromise: Promise<Lab> | null = null;

/** The page's engine instance, shared by all elements (SIMD build where supported). */
export function pageLab(): Promise<Lab> {
  labPromise ??= loadLab();
  return labPromise;
}

/** URL of the elements' stylesheet, next to this module. */
export const STYLESHEET_URL = new URL('../elements.css', import.meta.url).href;

/** Parses a number attribute: non-numbers fall back, numbers are clamped into [min, max]. */
export function numberAttr(value: string | null, fallback: number, min: number, max: number): number {
  if (value === null || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

/** Parses a comma-separated list of numbers; anything unparsable falls back whole. At most `maxLength` values. */
export function numberListAttr(value: string | null, fallback: readonly number[], maxLength = 64, bound = 1e6): number[] {
  if (value === null || value.trim() === '') return [...fallback];
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.length > maxLength || !parts.every((n) => Number.isFinite(n) && Math.abs(n) <= bound)) {
    return [...fallback];
  }
  return parts;
}

/** Parses one of a fixed set of words; anything else falls back. */
export function choiceAttr<T extends string>(value: string | null, choices: readonly T[], fallback: T): T {
  return value !== null && (choices as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** Formats a number for display: fixed digits, and "−" (U+2212) for negatives. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const s = Number(x.toFixed(digits)).toString();
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}

/**
 * Base class of the elements: opens a shadow root holding the shared stylesheet and a content
 * container, and renders once the lab is loaded (render() again whenever observed attributes
 * change). Subclasses build DOM with createElement/textContent only (never innerHTML), so
 * attribute values can never be interpreted as markup.
 */
export abstract class BnElement extends HTMLElement {
  protected readonly root: ShadowRoot;
  protected readonly content: HTMLDivElement;
  protected lab: Lab | null = null;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLESHEET_URL;
    this.content = document.createElement('div');
    this.content.className = 'bn';
    this.root.append(link, this.content);
  }

  /** Set by elements whose drawings are sized to their width: render() again when it changes. */
  protected readonly rerenderOnResize: boolean = false;
  private resizeObserver: ResizeObserver | null = null;
  private lastWidth = 0;
  private observedWidth = 0;

  /**
   * The content's width in CSS pixels as last laid out (0 before the first layout). It comes from
   * a ResizeObserver, never from clientWidth: reading layout during render() would force the
   * browser to lay the whole page out again for every element (measured: most of the lesson's
   * main-thread time before its first number).
   */
  protected contentWidth(): number {
    return this.observedWidth;
  }

  /** The content's width in CSS pixels, for drawings that use 1 viewBox unit = 1 pixel. */
  protected drawingWidth(): number {
    const w = this.observedWidth;
    return w > 0 ? Math.min(760, Math.max(260, Math.round(w))) : AXIS_W;
  }

  connectedCallback(): void {
    if (!this.resizeObserver && typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver((entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        this.observedWidth = entry.contentRect.width;
        if (!this.rerenderOnResize) return;
        const w = this.drawingWidth();
        if (this.lab && this.isConnected && Math.abs(w - this.lastWidth) > 24) this.renderNow();
      });
      this.resizeObserver.observe(this.content);
    }
    Promise.all([pageLab(), this.prepare()]).then(
      ([lab]) => {
        this.lab = lab;
        if (this.isConnected) this.renderNow();
      },
      (e: unknown) => this.showError(e),
    );
  }

  /**
   * What the element needs besides the engine before its first render, loaded in parallel with
   * it (e.g. the typesetting library, imported only by the elements that show formulas, so that a
   * page without them never downloads it).
   */
  protected prepare(): Promise<unknown> | null {
    return null;
  }

  attributeChangedCallback(): void {
    if (this.lab && this.isConnected) this.renderNow();
  }

  /** render(), remembering the width it drew for (so a resize re-renders only when it matters). */
  private renderNow(): void {
    this.lastWidth = this.drawingWidth();
    this.render();
  }

  /** Rebuilds the element's content from its attributes and state. */
  protected abstract render(): void;

  /** Dispatches a composed, bubbling CustomEvent named `bn-<name>` that hosts can follow. */
  protected emit<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(`bn-${name}`, { detail, bubbles: true, composed: true }));
  }

  protected showError(e: unknown): void {
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = `The engine could not run here: ${e instanceof Error ? e.message : String(e)}`;
    this.content.replaceChildren(p);
  }
}

/** document.createElement with a class name and text, the elements' only way to build DOM. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** document.createElementNS for SVG, with attributes set one by one (never parsed as markup). */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, String(val));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A table's header row: one column header (scope="col") per label. */
export function tableHead(labels: readonly string[]): HTMLTableSectionElement {
  const row = el('tr');
  for (const label of labels) {
    const th = el('th', undefined, label);
    th.scope = 'col';
    row.append(th);
  }
  const thead = el('thead');
  thead.append(row);
  return thead;
}

/** A list of numbers as the page writes them: "−1.265, −0.632, …". */
export function fmtList(xs: ArrayLike<number>, digits = 3): string {
  return Array.from(xs, (x) => fmt(x, digits)).join(', ');
}

/** The same number for TeX (ASCII minus). */
export function texNum(x: number, digits = 3): string {
  return fmt(x, digits).replace('\u2212', '-');
}

/** What one BatchNorm1d(1) training-mode forward says about a batch of single values. */
export interface BatchStats {
  /** μ_B, the batch mean (lastBatchMean). */
  mean: number;
  /** σ²_B, the biased batch variance (lastBatchVar). */
  variance: number;
  /** x̂, normalised with γ = 1, β = 0. */
  xhat: Float32Array;
  /** y = γ·x̂ + β with the given γ and β. */
  y: Float32Array;
}

/** Runs the engine's BatchNorm1d(1) in training mode on `values`: once with γ = 1, β = 0 (x̂), once with γ, β (y). */
export function batchStats(lab: Lab, values: readonly number[], gamma = 1, beta = 0, eps = 1e-5): BatchStats {
  const bn = new lab.BatchNorm1d(1, { eps });
  try {
    const x = Float32Array.from(values);
    const shape = [values.length, 1];
    const xhat = bn.forward(x, shape);
    const mean = bn.lastBatchMean![0]!;
    const variance = bn.lastBatchVar![0]!;
    bn.weight = Float32Array.of(gamma);
    bn.bias = Float32Array.of(beta);
    const y = bn.forward(x, shape);
    return { mean, variance, xhat, y };
  } finally {
    bn.dispose();
  }
}

/** A labelled range input (its value shown beside it); `onInput` gets the number. */
export function rangeControl(
  label: string, min: number, max: number, step: number, value: number, onInput: (v: number) => void,
): { wrap: HTMLDivElement; input: HTMLInputElement; out: HTMLOutputElement } {
  const wrap = el('div', 'control');
  const id = `r${Math.random().toString(36).slice(2, 9)}`;
  const lab = el('label', undefined, label);
  lab.htmlFor = id;
  const input = el('input');
  input.type = 'range';
  input.id = id;
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(value);
  const out = el('output');
  out.htmlFor.add(id);
  out.textContent = fmt(value, 2);
  input.addEventListener('input', () => {
    const v = Number(input.value);
    out.textContent = fmt(v, 2);
    onInput(v);
  });
  wrap.append(lab, input, out);
  return { wrap, input, out };
}

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

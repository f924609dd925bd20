// Building DOM without markup: createElement/createElementNS and textContent only, so no
// attribute value can ever be interpreted as HTML.
import { fmt } from './format.js';

/** document.createElement with a class name and text, the elements' only way to build DOM. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * The shadow parts a host page can restyle with ::part() (docs/theming.md): the element's painted
 * box, its drawings, its rows of controls, and the captions of its figures and tables.
 */
export const PARTS = ['surface', 'plot', 'controls', 'caption'] as const;
export type PartName = (typeof PARTS)[number];

/** Names `e` as one of the element's shadow parts; returns `e`. */
export function part<T extends Element>(e: T, name: PartName): T {
  e.setAttribute('part', name);
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

/** A table's header row: one column header (scope="col") per label; an empty label is a plain corner cell. */
export function tableHead(labels: readonly string[]): HTMLTableSectionElement {
  const row = el('tr');
  for (const label of labels) {
    if (label === '') {
      row.append(el('td'));
      continue;
    }
    const th = el('th', undefined, label);
    th.scope = 'col';
    row.append(th);
  }
  const thead = el('thead');
  thead.append(row);
  return thead;
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

/**
 * `select` with a label and the choices [value, text], in a 'control-pair' box; `onChange` gets
 * the value the reader picks.
 */
export function selectControl(
  select: HTMLSelectElement, label: string, choices: readonly (readonly [string, string])[], onChange: (value: string) => void,
): HTMLDivElement {
  const wrap = el('div', 'control-pair');
  const id = `s${Math.random().toString(36).slice(2, 9)}`;
  const lab = el('label', undefined, label);
  lab.htmlFor = id;
  select.id = id;
  for (const [value, text] of choices) {
    const o = el('option', undefined, text);
    o.value = value;
    select.append(o);
  }
  select.addEventListener('change', () => onChange(select.value));
  wrap.append(lab, select);
  return wrap;
}

/**
 * Shows `value` in a select built by selectControl(): one of its choices, or, for a value an
 * author set by attribute that is not among them, one extra option labelled `text` (replaced
 * when the value changes again), so the control never shows a blank or a wrong setting.
 */
export function showChoice(select: HTMLSelectElement, value: string, text: string): void {
  const extra = select.querySelector<HTMLOptionElement>('option[data-extra]');
  const listed = [...select.options].some((o) => o !== extra && o.value === value);
  if (listed) extra?.remove();
  else {
    const o = extra ?? el('option');
    o.dataset.extra = '';
    o.value = value;
    o.textContent = text;
    if (!extra) select.append(o);
  }
  select.value = value;
}

/** A chart legend: one key per line, its swatch in the line's colour (dashed like the line). */
export function lineLegend(lines: readonly { name: string; color: string; dashed?: boolean }[]): HTMLDivElement {
  const legend = el('div', 'legend');
  for (const l of lines) {
    const key = el('span', 'key');
    const sw = el('span', l.dashed ? 'swatch dashed' : 'swatch');
    sw.style.borderColor = l.color;
    key.append(sw, l.name);
    legend.append(key);
  }
  return legend;
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

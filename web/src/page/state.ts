// The page's shareable state: one declared table of URL parameters, each bound to an attribute of
// one element. Reading parses and clamps (bad values are dropped, never interpreted: they only
// ever reach setAttribute as plain numbers); writing follows the elements' bn-change events with
// history.replaceState. The training lab's own settings travel as `lab-<attribute>` parameters
// that the lab element clamps itself.
import { clamp, parseNumber, parseNumberList } from '../elements/base/attributes.js';
import { DATASETS } from '../elements/base/datasets.js';

/** One URL parameter ↔ one element attribute. */
export interface StateField {
  /** URL parameter name. */
  key: string;
  /** CSS selector of the element that owns the attribute. */
  selector: string;
  /** The element's attribute. */
  attr: string;
  /** Raw parameter → clean attribute value, or null to ignore it. */
  parse(raw: string): string | null;
  /** The element's bn-change detail → parameter value (or undefined when this event is not about it). */
  fromEvent(detail: Record<string, unknown>): string | undefined;
}

// URL values go through the elements' own parsing (elements/base/attributes.ts), with a length
// cap first: a URL is anyone's to write.
function clampNumber(min: number, max: number, decimals: number) {
  return (raw: string): string | null => {
    const n = raw.length > 24 ? null : parseNumber(raw);
    if (n === null) return null;
    const f = 10 ** decimals;
    return String(Math.round(clamp(n, min, max) * f) / f);
  };
}

function numberList(maxLength: number, bound: number) {
  return (raw: string): string | null => (raw.length > 400 ? null : parseNumberList(raw, maxLength, bound)?.join(',') ?? null);
}

function oneOf(choices: readonly string[]) {
  return (raw: string): string | null => (choices.includes(raw) ? raw : null);
}

const numberDetail = (name: string) => (d: Record<string, unknown>) =>
  typeof d[name] === 'number' ? String(Math.round((d[name] as number) * 1000) / 1000) : undefined;

export const STATE: readonly StateField[] = [
  { key: 'values', selector: '#std', attr: 'values', parse: numberList(32, 1e4),
    fromEvent: (d) => (Array.isArray(d.values) ? d.values.join(',') : undefined) },
  { key: 'gamma', selector: '#worked', attr: 'gamma', parse: clampNumber(-3, 3, 2), fromEvent: numberDetail('gamma') },
  { key: 'beta', selector: '#worked', attr: 'beta', parse: clampNumber(-3, 3, 2), fromEvent: numberDetail('beta') },
  { key: 'momentum', selector: '#te', attr: 'momentum', parse: clampNumber(0.01, 1, 2), fromEvent: numberDetail('momentum') },
  { key: 'noise-seed', selector: '#noise', attr: 'seed', parse: clampNumber(0, 999_999, 0), fromEvent: numberDetail('seed') },
  { key: 'noise-example', selector: '#noise', attr: 'example', parse: clampNumber(0, 999_999, 0), fromEvent: numberDetail('example') },
  { key: 'placement-data', selector: '#pl', attr: 'dataset', parse: oneOf(DATASETS), fromEvent: (d) => (typeof d.dataset === 'string' ? d.dataset : undefined) },
];

const LAB_SELECTOR = 'bn-training-lab';
const LAB_PREFIX = 'lab-';
const SAFE = /^[A-Za-z0-9.\-]{1,24}$/;

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function observed(el: Element): readonly string[] {
  const ctor = el.constructor as { observedAttributes?: readonly string[] };
  return ctor.observedAttributes ?? [];
}

/** Applies the URL's state to the page's elements (unknown or invalid parameters are ignored). */
export function applyUrlState(search: string, doc: Document = document): void {
  const params = new URLSearchParams(search);
  for (const f of STATE) {
    const raw = params.get(f.key);
    const el = doc.querySelector(f.selector);
    if (raw === null || !el) continue;
    const value = f.parse(raw);
    if (value !== null) el.setAttribute(f.attr, value);
  }
  const lab = doc.querySelector(LAB_SELECTOR);
  if (lab) {
    const allowed = observed(lab);
    for (const [k, v] of params) {
      if (!k.startsWith(LAB_PREFIX)) continue;
      const attr = k.slice(LAB_PREFIX.length);
      if (allowed.includes(attr) && SAFE.test(v)) lab.setAttribute(attr, v);
    }
  }
}

/** Keeps the URL in step with the elements: listens for bn-change and rewrites the query. */
export function followState(doc: Document = document): void {
  doc.addEventListener('bn-change', (event) => {
    const target = event.target as Element;
    const detail = ((event as CustomEvent).detail ?? {}) as Record<string, unknown>;
    const url = new URL(location.href);
    let changed = false;
    for (const f of STATE) {
      if (!target.matches(f.selector)) continue;
      const raw = f.fromEvent(detail);
      if (raw === undefined) continue;
      const value = f.parse(raw);
      if (value !== null) {
        url.searchParams.set(f.key, value);
        changed = true;
      }
    }
    if (target.matches(LAB_SELECTOR)) {
      const allowed = observed(target);
      for (const [k, v] of Object.entries(detail)) {
        const attr = kebab(k);
        const s = String(v);
        if (allowed.includes(attr) && SAFE.test(s)) {
          url.searchParams.set(LAB_PREFIX + attr, s);
          changed = true;
        }
      }
    }
    if (changed) history.replaceState(null, '', url);
  });
}

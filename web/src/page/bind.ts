// The numbers in the lesson's prose, filled in from the engine. The page's HTML holds the words
// and marks each computed sentence with data-bind (its text before the engine loads says that it
// is being computed); this file asks the engine (lab.standardize, BatchNorm1d, mseLoss) for the
// numbers and src/page/prose.ts puts them into words. The inputs the prose quotes (γ and β) are
// read from the elements' attributes. Attribute changes are followed with a MutationObserver,
// which sees every path a value can take (the element's own controls, which also emit bn-change,
// the URL state, or a script), so the prose always describes what the element shows.
import type { Lab } from '../engine/lab.js';
import { numberAttr, numberListAttr } from '../elements/base/attributes.js';
import { batchStats } from '../elements/base/batch-stats.js';
import { fmt } from '../elements/base/format.js';
import { refresherSentence, workedSentence, type Piece } from './prose.js';

/** Replaces `target`'s content with the pieces; numbers become <span data-bind="…">. */
function fill(target: Element, pieces: Piece[]): void {
  const doc = target.ownerDocument;
  target.replaceChildren(...pieces.map((p) => {
    if (typeof p === 'string') return doc.createTextNode(p);
    const span = doc.createElement('span');
    span.className = 'num';
    span.dataset.bind = p.bind;
    span.textContent = p.text;
    return span;
  }));
  target.setAttribute('data-computed', '');
}

/** Calls `update` now and whenever one of `attrs` of `el` changes. */
function follow(el: Element, attrs: string[], update: () => void): void {
  update();
  new MutationObserver(update).observe(el, { attributes: true, attributeFilter: attrs });
}

/** γ and β of the worked example, as its element holds them (inputs: no engine needed). */
export function bindInputs(doc: Document = document): void {
  const worked = doc.getElementById('worked');
  if (!worked) return;
  const show = (name: 'gamma' | 'beta', fallback: number) => {
    for (const span of doc.querySelectorAll(`[data-input="${name}"]`)) {
      span.textContent = fmt(numberAttr(worked.getAttribute(name), fallback, -3, 3), 2);
    }
  };
  follow(worked, ['gamma', 'beta'], () => {
    show('gamma', 2);
    show('beta', 1);
  });
}

/** The refresher's and the worked example's sentences, from the engine. */
export function bindProse(lab: Lab, doc: Document = document): void {
  const std = doc.getElementById('std');
  const stdTarget = doc.querySelector('[data-bind="std-summary"]');
  if (std && stdTarget) {
    follow(std, ['values'], () => {
      const values = numberListAttr(std.getAttribute('values'), [], 32, 1e4);
      if (values.length === 0) return;
      const r = lab.standardize(values);
      fill(stdTarget, refresherSentence(values, r.mean, r.std, r.z, fmt));
    });
  }
  const workedTarget = doc.querySelector('[data-bind="worked-summary"]');
  const input = doc.querySelector('[data-input="worked-x"]');
  if (workedTarget && input) {
    // The batch is the one the prose quotes (and <bn-worked-example> shows).
    const x = numberListAttr((input.textContent ?? '').replace(/\u2212/g, '-'), [], 16, 1e4);
    if (x.length < 2) return;
    const s = batchStats(lab, x);
    // Each squared deviation (x − μ)² as the engine's mean squared error of one value against μ.
    const squares = x.map((v) => lab.mseLoss(Float32Array.of(v), Float32Array.of(s.mean), [1]).loss);
    const divisor = lab.standardize(x, { eps: 1e-5 }).std;
    fill(workedTarget, workedSentence(s.mean, squares, s.variance, divisor, fmt));
  }
}

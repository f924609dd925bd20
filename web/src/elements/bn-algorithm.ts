// <bn-algorithm values="4,6,8,14" gamma="1" beta="0">: the four steps of batch normalisation on
// one feature of a small batch, each formula typeset by KaTeX and then filled in with the numbers
// of one BatchNorm1d(1) forward pass in training mode (μ_B and σ²_B are the layer's
// lastBatchMean and lastBatchVar; x̂ and y are its outputs).
import { numberAttr, numberListAttr } from './base/attributes.js';
import { batchStats } from './base/batch-stats.js';
import { el } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmtList, texNum } from './base/format.js';
import type * as MathModule from './base/math.js';

const DEFAULT = [4, 6, 8, 14];

/**
 * The four steps of batch normalisation on one feature of a small batch, each formula filled in with the engine's numbers.
 *
 * @attr {string} [values=4,6,8,14] - The batch: 2 to 8 comma-separated numbers.
 * @attr {number} [gamma=1] - γ, the scale (−10 to 10).
 * @attr {number} [beta=0] - β, the shift (−10 to 10).
 * @attr {number} [heading-level=4] - The level of the steps' headings, 2 to 6 (other numbers are clamped, anything else is the default).
 */
export class BnAlgorithm extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'values', 'gamma', 'beta'];
  protected override readonly defaultHeadingLevel = 4;
  private math: typeof MathModule | null = null;

  // KaTeX (77 KB gzipped) loads only on pages that show this element, beside the engine.
  protected override prepare(): Promise<unknown> {
    return import('./base/math.js').then((m) => (this.math = m));
  }

  protected render(): void {
    const { tex, useKatex } = this.math!;
    useKatex(this.root);
    const xs = numberListAttr(this.getAttribute('values'), DEFAULT, 8, 1e4);
    if (xs.length < 2) xs.splice(0, xs.length, ...DEFAULT);
    const gamma = numberAttr(this.getAttribute('gamma'), 1, -10, 10);
    const beta = numberAttr(this.getAttribute('beta'), 0, -10, 10);
    const s = batchStats(this.lab!, xs, gamma, beta);
    const m = xs.length;
    const n = (x: number) => texNum(x, 3);
    const list = (a: ArrayLike<number>) => `[${Array.from(a, (v) => n(v)).join(',\\ ')}]`;

    const steps: [string, string, string, string][] = [
      ['Step 1: the batch mean', '\\mu_B = \\frac{1}{m}\\sum_{i=1}^{m} x_i',
        `\\mu_B = \\frac{${xs.map(n).join(' + ')}}{${m}} = ${n(s.mean)}`,
        'Add the feature’s values over the batch and divide by the batch size m.'],
      ['Step 2: the batch variance (divide by m)', '\\sigma_B^2 = \\frac{1}{m}\\sum_{i=1}^{m} (x_i - \\mu_B)^2',
        `\\sigma_B^2 = \\frac{${xs.map((x) => `(${n(x)} - ${n(s.mean)})^2`).join(' + ')}}{${m}} = ${n(s.variance)}`,
        'The population (biased) variance: divide by m, not m − 1.'],
      ['Step 3: normalise', '\\hat{x}_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\varepsilon}}, \\quad \\varepsilon = 10^{-5}',
        `\\hat{x} = \\frac{x - ${n(s.mean)}}{\\sqrt{${n(s.variance)} + 10^{-5}}} \\approx ${list(s.xhat)}`,
        'ε only keeps the division safe when the variance is 0; here it changes nothing visible.'],
      ['Step 4: scale and shift', 'y_i = \\gamma\\,\\hat{x}_i + \\beta',
        `y = ${n(gamma)}\\,\\hat{x} + ${n(beta)} \\approx ${list(s.y)}`,
        'γ starts at 1 and β at 0, so at first y is just x̂; training then moves them.'],
    ];
    const ol = el('ol', 'steps');
    for (const [title, formula, filled, note] of steps) {
      const li = el('li', 'step');
      // Long filled-in formulas scroll sideways on phones: focusable, so keyboards can scroll them too.
      const worked = tex(filled, true, 'math filled');
      worked.tabIndex = 0;
      worked.setAttribute('role', 'group');
      worked.setAttribute('aria-label', `${title}, with this batch’s numbers`);
      li.append(this.heading(title), tex(formula, true), worked, el('p', 'note', note));
      ol.append(li);
    }
    // Typeset like the steps above it (the numbers are also on the element, for scripts).
    const summary = el('p', 'summary');
    summary.append(tex(`x = [${xs.map(n).join(', ')}] \\;\\to\\; \\mu_B = ${n(s.mean)},\\; \\sigma_B^2 = ${n(s.variance)},\\; y \\approx ${list(s.y)}`));
    summary.dataset.mean = fmtList([s.mean]);
    summary.dataset.variance = fmtList([s.variance]);
    this.content.replaceChildren(ol, summary);
  }
}

defineElement('bn-algorithm', BnAlgorithm);

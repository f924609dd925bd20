// <bn-gamma-beta values="2,4,8,10">: why γ and β keep BatchNorm from losing anything. With
// γ = √(σ²_B + ε) and β = μ_B the layer gives back its input exactly: the engine runs the
// batch once with γ = 1, β = 0 (x̂) and once with those values (y), and the element shows y = x.
import { numberListAttr } from './base/attributes.js';
import { batchStats } from './base/batch-stats.js';
import { el, part } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt, fmtList } from './base/format.js';
import { dotAxis } from './base/number-line.js';

const DEFAULT = [2, 4, 8, 10];

/**
 * Why γ and β keep BatchNorm from losing anything: with γ = σ and β = μ the layer gives back its input.
 *
 * @attr {string} [values=2,4,8,10] - The batch: 2 to 16 comma-separated numbers.
 * @csspart plot - The number line.
 */
export class BnGammaBeta extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'values'];
  protected override readonly rerenderOnResize = true;

  protected render(): void {
    const xs = numberListAttr(this.getAttribute('values'), DEFAULT, 16, 1e4);
    if (xs.length < 2) xs.splice(0, xs.length, ...DEFAULT);
    const lab = this.lab!;
    const first = batchStats(lab, xs);
    const sigma = Math.sqrt(first.variance + 1e-5);
    const undo = batchStats(lab, xs, sigma, first.mean);
    let worst = 0;
    xs.forEach((x, i) => { worst = Math.max(worst, Math.abs(undo.y[i]! - x)); });

    // Math set as math (italic symbols, real sub- and superscripts), without loading KaTeX for one line.
    const v = (name: string, sub?: string, sup?: string) => {
      const e = el('var', undefined, name);
      if (sub) e.append(el('sub', undefined, sub));
      if (sup) e.append(el('sup', undefined, sup));
      return e;
    };
    const params = el('p', 'params');
    params.append(
      v('γ'), ' = √(', v('σ', 'B', '2'), ' + ', v('ε'), `) = ${fmt(sigma, 4)},\u2003`,
      v('β'), ' = ', v('μ', 'B'), ` = ${fmt(first.mean, 4)}`,
    );
    const rows = el('dl', 'rows');
    const row = (dt: string, dd: string, key: string) => {
      const d = el('div');
      const v = el('dd', 'mono', dd);
      v.dataset.row = key;
      d.append(el('dt', undefined, dt), v);
      rows.append(d);
    };
    row('input x', `[${fmtList(xs)}]`, 'x');
    row('normalised x̂ (γ = 1, β = 0)', `[${fmtList(first.xhat)}]`, 'xhat');
    row('output y (γ = σ, β = μ)', `[${fmtList(undo.y)}]`, 'y');
    const { svg } = dotAxis(
      [{ label: 'x', values: xs, cls: 'before' }, { label: 'x̂', values: first.xhat, cls: 'mid' }, { label: 'y', values: undo.y, cls: 'after' }],
      'The input x, its normalised values x̂, and the output y, which lands back on x.',
      undefined,
      this.drawingWidth(),
    );
    const plot = part(el('div', 'plot'), 'plot');
    plot.append(svg);
    const verdict = el('p', 'verdict');
    verdict.textContent = `Largest difference between y and x: ${worst < 5e-4 ? 'below 0.0005 (float round-off)' : fmt(worst, 4)}. The layer has undone its own normalisation.`;
    this.content.replaceChildren(params, rows, plot, verdict);
  }
}

defineElement('bn-gamma-beta', BnGammaBeta);

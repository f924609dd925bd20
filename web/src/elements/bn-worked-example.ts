// <bn-worked-example gamma="2" beta="1" values="2,4,8,10" erratum="auto">: the source lesson's
// worked example, x = [2, 4, 8, 10] (or the author's values), through the engine's
// BatchNorm1d(1) with γ and β set from two range controls. Points out the source's misprint (it
// gave 0.74 for the second output; 2 × (−0.632) + 1 = −0.26): with the source's values, or always
// (erratum="show"), or never (erratum="hide").
// Emits `bn-change` with { gamma, beta } when a control moves.
import { choiceAttr, numberAttr, numberListAttr } from './base/attributes.js';
import { batchStats } from './base/batch-stats.js';
import { el, part, rangeControl, tableHead } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt, fmtList } from './base/format.js';
import { dotAxis } from './base/number-line.js';

/** The source lesson's batch. */
const X = [2, 4, 8, 10];
const ERRATUM = ['auto', 'show', 'hide'] as const;

/**
 * The source lesson's worked example, x = [2, 4, 8, 10], through the engine's BatchNorm1d(1), γ and β from two sliders.
 *
 * @attr {number} [gamma=2] - γ, the scale (−3 to 3).
 * @attr {number} [beta=1] - β, the shift (−3 to 3).
 * @attr {string} [values=2,4,8,10] - The batch: 2 to 8 comma-separated numbers (±10000); anything else gives the source's.
 * @attr {'auto' | 'show' | 'hide'} [erratum=auto] - The note on the source's misprint: auto shows it while the values are the source's.
 * @fires {CustomEvent<{ gamma: number, beta: number }>} bn-change - From its sliders.
 * @csspart controls - The sliders.
 * @csspart caption - The table's caption.
 * @csspart plot - The number line.
 */
export class BnWorkedExample extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'gamma', 'beta', 'values', 'erratum'];
  protected override readonly rerenderOnResize = true;
  private gammaIn?: HTMLInputElement;
  private betaIn?: HTMLInputElement;
  private gammaOut?: HTMLOutputElement;
  private betaOut?: HTMLOutputElement;
  private body = el('div');

  private get gamma(): number { return numberAttr(this.getAttribute('gamma'), 2, -3, 3); }
  private get beta(): number { return numberAttr(this.getAttribute('beta'), 1, -3, 3); }
  private get values(): number[] {
    const xs = numberListAttr(this.getAttribute('values'), X, 8, 1e4);
    return xs.length >= 2 ? xs : [...X];
  }

  protected render(): void {
    if (!this.gammaIn) {
      const controls = part(el('div', 'controls'), 'controls');
      const g = rangeControl('γ (scale)', -3, 3, 0.1, this.gamma, (v) => this.set('gamma', v));
      const b = rangeControl('β (shift)', -3, 3, 0.1, this.beta, (v) => this.set('beta', v));
      [this.gammaIn, this.gammaOut, this.betaIn, this.betaOut] = [g.input, g.out, b.input, b.out];
      controls.append(g.wrap, b.wrap);
      this.content.replaceChildren(controls, this.body);
    }
    const gamma = this.gamma;
    const beta = this.beta;
    this.gammaIn!.value = String(gamma);
    this.gammaOut!.textContent = fmt(gamma, 2);
    this.betaIn!.value = String(beta);
    this.betaOut!.textContent = fmt(beta, 2);
    const xs = this.values;
    const s = batchStats(this.lab!, xs, gamma, beta);

    const table = el('table', 'nums');
    const cap = part(el('caption', undefined, `Each value through the layer (γ = ${fmt(gamma, 2)}, β = ${fmt(beta, 2)})`), 'caption');
    table.append(cap, tableHead(['', 'x', 'x̂ = (x − μ)/√(σ² + ε)', 'y = γx̂ + β']), el('tbody'));
    xs.forEach((x, i) => {
      const tr = el('tr');
      const th = el('th', undefined, `#${i + 1}`);
      th.scope = 'row';
      const y = el('td', undefined, fmt(s.y[i]!, 2));
      y.dataset.y = String(i);
      tr.append(th, el('td', undefined, String(x)), el('td', undefined, fmt(s.xhat[i]!, 3)), y);
      table.tBodies[0]!.append(tr);
    });
    const stats = el('p', 'mono');
    stats.append('μ', el('sub', undefined, 'B'), ` = ${fmt(s.mean)}, σ`, el('sup', undefined, '2'), el('sub', undefined, 'B'), ` = ${fmt(s.variance)}`);
    stats.dataset.stats = '';
    const { svg } = dotAxis(
      [{ label: 'x', values: xs, cls: 'before' }, { label: 'x̂', values: s.xhat, cls: 'mid' }, { label: 'y', values: s.y, cls: 'after' }],
      `x, x̂ and y on one number line; y = [${fmtList(s.y, 2)}]`,
      undefined,
      this.drawingWidth(),
    );
    const plot = part(el('div', 'plot'), 'plot');
    plot.append(svg);
    const source = xs.length === X.length && xs.every((x, i) => x === X[i]);
    const mode = choiceAttr(this.getAttribute('erratum'), ERRATUM, 'auto');
    if (mode === 'show' || (mode === 'auto' && source)) {
      // Always about the source's batch, whatever values the author chose.
      const ref = batchStats(this.lab!, X, 2, 1);
      const erratum = el('aside', 'erratum');
      erratum.append(el('strong', undefined, 'A misprint in the original lesson. '));
      erratum.append(`For x = [2, 4, 8, 10] it gives the outputs for γ = 2, β = 1 as [−1.53, 0.74, 2.26, 3.53]. The second one cannot be right: 2 × (${fmt(ref.xhat[1]!, 3)}) + 1 = ${fmt(ref.y[1]!, 2)}, which is what the engine computes.`);
      this.body.replaceChildren(stats, table, plot, erratum);
    } else {
      this.body.replaceChildren(stats, table, plot);
    }
  }

  private set(name: 'gamma' | 'beta', v: number): void {
    this.setAttribute(name, String(v));
    this.emit('change', { gamma: this.gamma, beta: this.beta });
  }
}

defineElement('bn-worked-example', BnWorkedExample);

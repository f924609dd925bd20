// <bn-train-eval momentum="0.1" batch="8">: what model.train() and model.eval() change. Batches
// of `batch` values are drawn (seeded, so every visit is the same) from a normal distribution
// with mean 3 and variance 4; each "next batch" runs the engine's BatchNorm1d(1) in training
// mode, and the chart follows runningMean and runningVar towards the true values. Below, a
// batch of one value runs in eval mode (works) and in training mode (the engine's RangeError).
// Emits `bn-change` with { momentum }.
import { numberAttr } from './base/attributes.js';
import { el, part, rangeControl, svgEl } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import type { BatchNorm1d } from '../engine/layers.js';
import { gaussian, mulberry32 } from '../engine/random.js';

const TRUE_MEAN = 3;
const TRUE_VAR = 4;
const MAX_STEPS = 60;

/** Seeded samples of the true distribution: the batches are data, not results. */
function sampler(seed: number): () => number {
  return gaussian(mulberry32(seed), TRUE_MEAN, Math.sqrt(TRUE_VAR));
}

/**
 * What model.train() and model.eval() change: the running statistics over seeded batches, and a batch of one in both modes.
 *
 * @attr {number} [momentum=0.1] - BatchNorm's momentum (0.01 to 1).
 * @attr {number} [batch=8] - Values per batch (2 to 64).
 * @attr {number} [heading-level=4] - The level of its headings, 2 to 6 (other numbers are clamped, anything else is the default).
 * @fires {CustomEvent<{ momentum: number }>} bn-change - From its momentum slider.
 * @csspart plot - The chart of the running statistics.
 * @csspart controls - The slider and buttons.
 */
export class BnTrainEval extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'momentum', 'batch'];
  protected override readonly defaultHeadingLevel = 4;
  private bn: BatchNorm1d | null = null;
  private draw: () => number = sampler(7);
  private history: { mean: number; var: number }[] = [];
  private last: { mean: number; var: number } | null = null;
  private built = false;
  private chart = part(el('div', 'plot'), 'plot');
  private status = el('dl', 'stats');
  private single = el('div', 'single');
  private momentumIn?: HTMLInputElement;

  private get momentum(): number { return numberAttr(this.getAttribute('momentum'), 0.1, 0.01, 1); }
  private get batch(): number { return Math.round(numberAttr(this.getAttribute('batch'), 8, 2, 64)); }

  disconnectedCallback(): void {
    this.bn?.dispose();
    this.bn = null;
  }

  protected render(): void {
    if (!this.built) this.build();
    this.momentumIn!.value = String(this.momentum);
    this.reset();
  }

  private build(): void {
    this.built = true;
    const controls = part(el('div', 'controls'), 'controls');
    const m = rangeControl('momentum', 0.01, 1, 0.01, this.momentum, (v) => {
      this.setAttribute('momentum', String(v));
      this.emit('change', { momentum: v });
    });
    this.momentumIn = m.input;
    const buttons = el('div', 'buttons');
    const next = el('button', undefined, 'Next batch');
    next.type = 'button';
    next.addEventListener('click', () => this.step(1));
    const ten = el('button', 'secondary', '10 batches');
    ten.type = 'button';
    ten.addEventListener('click', () => this.step(10));
    const reset = el('button', 'secondary', 'Reset');
    reset.type = 'button';
    reset.addEventListener('click', () => this.reset());
    buttons.append(next, ten, reset);
    controls.append(m.wrap, buttons);
    this.status.setAttribute('aria-live', 'polite');
    const h = this.heading('A batch of one value, x = [3]');
    this.content.replaceChildren(controls, this.status, this.chart, h, this.single);
  }

  private reset(): void {
    this.bn?.dispose();
    this.bn = new this.lab!.BatchNorm1d(1, { momentum: this.momentum });
    this.draw = sampler(7);
    this.history = [{ mean: this.bn.runningMean![0]!, var: this.bn.runningVar![0]! }];
    this.last = null;
    this.update();
  }

  private step(k: number): void {
    const bn = this.bn!;
    for (let i = 0; i < k && this.history.length <= MAX_STEPS; i++) {
      const x = Float32Array.from({ length: this.batch }, () => this.draw());
      bn.train();
      bn.forward(x, [x.length, 1]);
      this.last = { mean: bn.lastBatchMean![0]!, var: bn.lastBatchVar![0]! };
      this.history.push({ mean: bn.runningMean![0]!, var: bn.runningVar![0]! });
    }
    this.update();
  }

  private update(): void {
    const bn = this.bn!;
    const now = this.history[this.history.length - 1]!;
    const item = (dt: string, dd: string, key: string) => {
      const d = el('div');
      const v = el('dd', undefined, dd);
      v.dataset.stat = key;
      d.append(el('dt', undefined, dt), v);
      return d;
    };
    this.status.replaceChildren(
      item('batches seen', String(bn.numBatchesTracked), 'batches'),
      item('last batch mean / var', this.last ? `${fmt(this.last.mean, 2)} / ${fmt(this.last.var, 2)}` : '—', 'batch'),
      item(`running mean (true ${TRUE_MEAN})`, fmt(now.mean, 3), 'running-mean'),
      item(`running var (true ${TRUE_VAR})`, fmt(now.var, 3), 'running-var'),
    );
    this.chart.replaceChildren(this.plot());
    this.batchOfOne();
  }

  private plot(): SVGSVGElement {
    const W = 400, H = 170, L = 34, R = 10, T = 10, B = 26;
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
    const n = this.history.length - 1;
    svg.append(svgEl('title', {}, `Running mean and running variance after ${n} batches; the true values are ${TRUE_MEAN} and ${TRUE_VAR}.`));
    const maxY = Math.max(6, ...this.history.map((h) => h.var));
    const x = (i: number) => L + (i / MAX_STEPS) * (W - L - R);
    const y = (v: number) => T + (1 - v / maxY) * (H - T - B);
    for (let t = 0; t <= maxY; t += 2) {
      svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(t), y2: y(t), class: 'grid' }));
      svg.append(svgEl('text', { x: L - 6, y: y(t) + 4, class: 'tick end' }, String(t)));
    }
    for (let s = 0; s <= MAX_STEPS; s += 10) svg.append(svgEl('text', { x: x(s), y: H - 8, class: 'tick' }, String(s)));
    svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(TRUE_MEAN), y2: y(TRUE_MEAN), class: 'target before' }));
    svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(TRUE_VAR), y2: y(TRUE_VAR), class: 'target after' }));
    const path = (key: 'mean' | 'var') => this.history.map((h, i) => `${x(i).toFixed(1)},${y(h[key]).toFixed(1)}`).join(' ');
    svg.append(svgEl('polyline', { points: path('mean'), class: 'series before' }));
    svg.append(svgEl('polyline', { points: path('var'), class: 'series after dashed' }));
    svg.append(svgEl('text', { x: W - R, y: y(TRUE_MEAN) - 4, class: 'tick end' }, 'running mean → 3'));
    svg.append(svgEl('text', { x: W - R, y: y(TRUE_VAR) - 4, class: 'tick end' }, 'running var → 4'));
    return svg;
  }

  private batchOfOne(): void {
    const bn = this.bn!;
    const one = Float32Array.of(3);
    const rows = el('dl', 'rows');
    const row = (dt: string, dd: string, key: string, cls = 'mono') => {
      const d = el('div');
      const v = el('dd', cls, dd);
      v.dataset.mode = key;
      d.append(el('dt', undefined, dt), v);
      rows.append(d);
    };
    bn.eval();
    const y = bn.forward(one, [1, 1])[0]!;
    row('model.eval(): running statistics', `y = (3 − ${fmt(bn.runningMean![0]!, 3)}) / √(${fmt(bn.runningVar![0]!, 3)} + ε) = ${fmt(y, 4)}`, 'eval');
    bn.train();
    try {
      bn.forward(one, [1, 1]);
      row('model.train(): batch statistics', 'no error (unexpected)', 'train');
    } catch (e) {
      row('model.train(): batch statistics', `${(e as Error).name}: ${(e as Error).message}`, 'train', 'mono error-text');
    }
    this.single.replaceChildren(rows);
  }
}

defineElement('bn-train-eval', BnTrainEval);

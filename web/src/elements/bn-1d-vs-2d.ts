// <bn-1d-vs-2d>: which cells BatchNorm averages together. Left, a BatchNorm1d input [N=4, C=3]:
// one feature is one column. Right, a BatchNorm2d input [N=2, C=3, H=2, W=2]: one channel is
// that channel's whole H×W map in every example. Pick a feature/channel (radio buttons, or
// hover/tap a cell) and its cells light up; the per-channel means are the engine's lastBatchMean.
// Emits `bn-select` with { channel }.
import { el, part } from './base/dom.js';
import { BnElement, defineElement } from './base/element.js';
import { fmt, fmtList } from './base/format.js';

const N1 = 4, C = 3, N2 = 2, H = 2, W = 2;
// Small integers, different per channel, so the means are easy to check by eye.
const X1 = Float32Array.from({ length: N1 * C }, (_, i) => ((i * 7 + 3) % 10) + Math.floor(i % C) * 10);
const X2 = Float32Array.from({ length: N2 * C * H * W }, (_, i) => ((i * 5 + 1) % 9) + Math.floor(i / (H * W)) % C * 10);

/**
 * Which cells BatchNorm1d and BatchNorm2d average together; a picked feature or channel lights up.
 *
 * @fires {CustomEvent<{ channel: number }>} bn-select - When a channel is picked.
 * @csspart caption - The captions of the two grids.
 */
export class Bn1dVs2d extends BnElement {
  private channel = 0;
  private cells1: HTMLElement[][] = [];
  private cells2: HTMLElement[][] = [];
  private radios: HTMLInputElement[] = [];
  private means1: Float32Array = new Float32Array(C);
  private means2: Float32Array = new Float32Array(C);
  private readout = el('p', 'readout');

  protected render(): void {
    const lab = this.lab!;
    const b1 = new lab.BatchNorm1d(C);
    const b2 = new lab.BatchNorm2d(C);
    try {
      b1.forward(X1, [N1, C]);
      b2.forward(X2, [N2, C, H, W]);
      this.means1 = b1.lastBatchMean!;
      this.means2 = b2.lastBatchMean!;
    } finally {
      b1.dispose();
      b2.dispose();
    }
    this.cells1 = Array.from({ length: C }, () => []);
    this.cells2 = Array.from({ length: C }, () => []);

    const picker = el('fieldset', 'picker');
    picker.append(el('legend', undefined, 'Feature / channel'));
    this.radios = [];
    for (let c = 0; c < C; c++) {
      const label = el('label', 'pill');
      const r = el('input');
      r.type = 'radio';
      r.name = 'channel';
      r.value = String(c);
      r.checked = c === this.channel;
      r.addEventListener('change', () => this.select(c));
      this.radios.push(r);
      label.append(r, ` ${c}`);
      picker.append(label);
    }

    const left = el('figure', 'tensor');
    const g1 = el('div', 'grid1');
    g1.setAttribute('aria-hidden', 'true');
    for (let n = 0; n < N1; n++) {
      for (let c = 0; c < C; c++) g1.append(this.cell(X1[n * C + c]!, c, this.cells1));
    }
    left.append(part(el('figcaption', undefined, 'BatchNorm1d, input [N = 4, C = 3]: rows are examples, columns features'), 'caption'), g1);

    const right = el('figure', 'tensor');
    const g2 = el('div', 'grid2');
    g2.setAttribute('aria-hidden', 'true');
    for (let n = 0; n < N2; n++) {
      const ex = el('div', 'example');
      ex.append(el('span', 'ex-label', `example ${n}`));
      for (let c = 0; c < C; c++) {
        const map = el('div', 'map');
        for (let i = 0; i < H * W; i++) map.append(this.cell(X2[((n * C + c) * H * W) + i]!, c, this.cells2));
        ex.append(map);
      }
      g2.append(ex);
    }
    right.append(part(el('figcaption', undefined, 'BatchNorm2d, input [N = 2, C = 3, H = 2, W = 2]: each example has 3 channel maps of 2×2'), 'caption'), g2);

    const figs = el('div', 'tensors');
    figs.append(left, right);
    const means = el('p', 'mono small');
    means.textContent = `engine lastBatchMean: BatchNorm1d [${fmtList(this.means1, 2)}], BatchNorm2d [${fmtList(this.means2, 2)}]`;
    this.readout.setAttribute('aria-live', 'polite');
    this.content.replaceChildren(picker, figs, this.readout, means);
    this.select(this.channel);
  }

  private cell(v: number, c: number, into: HTMLElement[][]): HTMLElement {
    const d = el('div', `cell ch${c}`, String(v));
    d.addEventListener('pointerenter', () => this.select(c));
    into[c]!.push(d);
    return d;
  }

  private select(c: number): void {
    this.channel = c;
    this.radios.forEach((r, i) => { r.checked = i === c; });
    for (const group of [this.cells1, this.cells2]) {
      group.forEach((cells, i) => cells.forEach((d) => d.classList.toggle('on', i === c)));
    }
    const vals1 = this.cells1[c]!.map((d) => d.textContent).join(', ');
    const vals2 = this.cells2[c]!.map((d) => d.textContent).join(', ');
    this.readout.textContent =
      `Feature ${c} in BatchNorm1d averages ${N1} cells (one per example: ${vals1}), mean ${fmt(this.means1[c]!, 2)}. ` +
      `Channel ${c} in BatchNorm2d averages ${N2 * H * W} cells (every position of every example: ${vals2}), mean ${fmt(this.means2[c]!, 2)}.`;
    this.readout.dataset.channel = String(c);
    this.emit('select', { channel: c });
  }
}

defineElement('bn-1d-vs-2d', Bn1dVs2d);

// The lab's network diagram: one row per hidden layer, one small histogram per unit (the unit's
// activation inputs in the last training batch, Trainer.unitHistograms), in the manner of
// TensorFlow Playground's neurons. Each unit is a button: picking one makes the percentile
// charts follow that unit. Wide layers show their first MAX_SHOWN units and say so.
import { el } from '../base/dom.js';

/** Units drawn per layer; the rest of a wider layer is counted in its label. */
export const MAX_SHOWN = 32;
/** Bins of each unit's histogram over [UNIT_LO, UNIT_HI) (values outside land in the end bins). */
export const UNIT_BINS = 12;
export const UNIT_LO = -4;
export const UNIT_HI = 4;

export interface UnitHistograms {
  /** Units per hidden layer. */
  widths: number[];
  /** Per layer, widths[l] × UNIT_BINS counts, unit-major, concatenated. */
  counts: Float32Array;
}

export class NetworkDiagram {
  readonly element: HTMLElement;
  private widths: number[] = [];
  private cells: { button: HTMLButtonElement; canvas: HTMLCanvasElement }[][] = [];
  private selected: [number, number] | null = null;

  /** `onPick(layer, unit)` runs when the reader picks a unit. */
  constructor(private readonly name: string, private readonly color: string, private readonly onPick: (layer: number, unit: number) => void) {
    this.element = el('div', 'network');
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-label', `${name}: hidden units`);
  }

  /** Builds the rows for a network of these hidden widths (empty until the first histograms). */
  private build(widths: number[]): void {
    this.widths = widths.slice();
    this.cells = [];
    const rows = widths.map((w, l) => {
      const row = el('div', 'layer-row');
      const shown = Math.min(w, MAX_SHOWN);
      row.append(el('span', 'layer-name', `layer ${l + 1}${shown < w ? ` (first ${shown} of ${w} units)` : ` (${w} units)`}`));
      const units = el('div', 'units');
      const cells = Array.from({ length: shown }, (_, u) => {
        const button = el('button', 'unit');
        button.type = 'button';
        button.dataset.layer = String(l);
        button.dataset.unit = String(u);
        button.setAttribute('aria-label', `${this.name}, layer ${l + 1}, unit ${u}: follow it in the percentile chart`);
        button.setAttribute('aria-pressed', 'false');
        const canvas = el('canvas');
        canvas.width = 2 * UNIT_BINS;
        canvas.height = 16;
        canvas.setAttribute('aria-hidden', 'true');
        button.append(canvas);
        button.addEventListener('click', () => this.onPick(l, u));
        units.append(button);
        return { button, canvas };
      });
      this.cells.push(cells);
      row.append(units);
      return row;
    });
    this.element.replaceChildren(...rows);
    if (this.selected) this.select(...this.selected);
  }

  /** Draws each shown unit's histogram (bars scaled to the unit's own tallest bin). */
  update(h: UnitHistograms): void {
    if (h.widths.join() !== this.widths.join()) this.build(h.widths);
    let at = 0;
    h.widths.forEach((w, l) => {
      const cells = this.cells[l]!;
      for (let u = 0; u < cells.length; u++) {
        const counts = h.counts.subarray(at + u * UNIT_BINS, at + (u + 1) * UNIT_BINS);
        const g = cells[u]!.canvas.getContext('2d');
        if (!g) continue;
        const { width, height } = cells[u]!.canvas;
        g.clearRect(0, 0, width, height);
        let max = 0;
        for (const c of counts) max = Math.max(max, c);
        if (max === 0) continue;
        g.fillStyle = this.color;
        const bw = width / UNIT_BINS;
        counts.forEach((c, b) => {
          const bh = Math.max(c > 0 ? 1 : 0, Math.round((c / max) * height));
          g.fillRect(b * bw, height - bh, bw, bh);
        });
      }
      at += w * UNIT_BINS;
    });
  }

  /** Marks the followed unit (null: none shown, e.g. a unit past MAX_SHOWN). */
  select(layer: number, unit: number): void {
    this.selected = [layer, unit];
    this.cells.forEach((cells, l) => cells.forEach((c, u) => c.button.setAttribute('aria-pressed', String(l === layer && u === unit))));
  }

  /** Forgets the rows (a new network is being built). */
  reset(): void {
    this.widths = [];
    this.cells = [];
    this.element.replaceChildren();
  }
}

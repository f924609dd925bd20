// <bn-batch-noise sizes="4,16,64,256" draws="200" seed="1" dataset="digits" feature="36" example="0">:
// the mild regularisation that batch statistics bring. One example of a real dataset (by default
// one pixel of one handwritten digit) is put into `draws` random mini-batches of each size, the
// other members drawn (seeded) from the same training set; the engine's BatchNorm1d(1) runs in
// training mode on every batch, and the strips show where that one value's x̂ lands each time.
// Small batches scatter it widely; large ones pin it near the x̂ the whole set's statistics
// would give. The spread per size is the engine's standard deviation of those x̂ (lab.standardize).
// Emits `bn-change` with { seed, example } when the learner draws new batches or picks an example.
import { choiceAttr, numberAttr, numberListAttr } from './base/attributes.js';
import { el, part, rangeControl, svgEl, tableHead } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import { axisDomain } from './base/number-line.js';
import { BatchDrawer, batchSeed } from './base/measure.js';
import { mulberry32 } from '../engine/random.js';
import type { Lab } from '../engine/lab.js';
import { DATASETS, type DatasetName } from './base/datasets.js';

type Source = DatasetName;
const DEFAULT_SIZES = [4, 16, 64, 256];
const TOY_N = 1000;

/** The feature column of a dataset, copied out of the engine. */
interface Data {
  source: Source;
  /** Examples. */
  n: number;
  /** Features per example. */
  d: number;
  /** [n, d] row-major. */
  x: Float32Array;
  /** Class of each example. */
  y: Int32Array;
  /** Image side (8 for the digits, 0 for the toy sets). */
  side: number;
}

/** One batch size's outcome. */
interface Row {
  m: number;
  /** The example's x̂ in each batch. */
  xhat: Float32Array;
  /** The engine's mean and (sample) standard deviation of those x̂. */
  mean: number;
  sd: number;
  min: number;
  max: number;
}

interface Result {
  key: string;
  n: number;
  example: number;
  feature: number;
  /** The example's raw value. */
  value: number;
  /** The whole set's mean and standard deviation of the feature, and the example's x̂ under them. */
  fullMean: number;
  fullStd: number;
  fullZ: number;
  rows: Row[];
}

async function loadData(lab: Lab, source: Source): Promise<Data> {
  if (source === 'digits') {
    const { train, test } = await lab.loadDigits();
    try {
      return { source, n: train.size, d: train.features, x: train.x, y: train.y, side: train.width };
    } finally {
      train.dispose();
      test.dispose();
    }
  }
  const set = lab.toyDataset(source, { n: TOY_N, seed: 0 });
  try {
    return { source, n: set.size, d: set.features, x: set.x, y: set.y, side: 0 };
  } finally {
    set.dispose();
  }
}

/**
 * Batch noise: where one example's x̂ lands in many seeded random mini-batches of each size.
 *
 * @attr {'digits' | 'spiral' | 'circle' | 'xor' | 'gauss'} [dataset=digits] - The training set the example and its batch-mates come from.
 * @attr {string} [sizes=4,16,64,256] - The batch sizes: up to 6 comma-separated sizes, each 2 to 1024.
 * @attr {number} [draws=200] - Random batches per size (20 to 1000).
 * @attr {number} [seed=1] - Seed of the batches (0 to 999999).
 * @attr {number} [feature=36] - The feature (a pixel, 0 to 63, on the digits; 0 or 1 on a toy set, default 0 there).
 * @attr {number} [example=0] - The example: a row of the training set.
 * @fires {CustomEvent<{ seed: number, example: number }>} bn-change - From its button (new batches) and its slider (the example).
 * @csspart controls - The button and the slider.
 * @csspart plot - The strips of dots.
 * @csspart caption - The table's caption.
 */
export class BnBatchNoise extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'sizes', 'draws', 'seed', 'dataset', 'feature', 'example'];
  protected override readonly rerenderOnResize = true;
  private data: Data | null = null;
  private loading: Source | null = null;
  private result: Result | null = null;
  private built = false;
  private readonly intro = el('div', 'noise-intro');
  private readonly controls = part(el('div', 'controls'), 'controls');
  private readonly plot = part(el('div', 'plot'), 'plot');
  private readonly legend = el('p', 'hint');
  private readonly table = el('table', 'nums noise-table');
  private readonly summary = el('p', 'noise-summary');
  private exampleIn?: HTMLInputElement;
  private exampleOut?: HTMLOutputElement;

  private get source(): Source { return choiceAttr(this.getAttribute('dataset'), DATASETS, 'digits'); }
  private get seed(): number { return Math.round(numberAttr(this.getAttribute('seed'), 1, 0, 999_999)); }
  private get draws(): number { return Math.round(numberAttr(this.getAttribute('draws'), 200, 20, 1000)); }
  private get sizes(): number[] {
    const raw = numberListAttr(this.getAttribute('sizes'), DEFAULT_SIZES, 6, 1e6).map((m) => Math.round(Math.min(1024, Math.max(2, m))));
    return [...new Set(raw)];
  }

  protected render(): void {
    if (!this.built) this.build();
    const source = this.source;
    if (this.data?.source !== source) {
      this.summary.textContent = source === 'digits' ? 'Loading the handwritten digits…' : 'Generating the data…';
      if (this.loading !== source) {
        this.loading = source;
        loadData(this.lab!, source).then(
          (d) => {
            if (this.loading !== d.source) return;
            this.loading = null;
            this.data = d;
            if (this.isConnected) this.render();
          },
          (e: unknown) => this.showError(e),
        );
      }
      return;
    }
    const data = this.data;
    const feature = Math.round(numberAttr(this.getAttribute('feature'), source === 'digits' ? 36 : 0, 0, data.d - 1));
    const example = Math.round(numberAttr(this.getAttribute('example'), 0, 0, data.n - 1));
    const sizes = this.sizes.filter((m) => m <= data.n);
    const key = [source, feature, example, this.seed, this.draws, sizes.join(',')].join('|');
    if (this.result?.key !== key) this.result = this.compute(data, feature, example, sizes, key);
    this.show(data, this.result);
  }

  private build(): void {
    this.built = true;
    const buttons = el('div', 'buttons');
    const again = el('button', undefined, 'Draw new batches');
    again.type = 'button';
    again.addEventListener('click', () => {
      this.setAttribute('seed', String((this.seed + 1) % 1_000_000));
      this.emit('change', { seed: this.seed, example: Math.round(numberAttr(this.getAttribute('example'), 0, 0, 1e9)) });
    });
    buttons.append(again);
    const ex = rangeControl('Example', 0, 1, 1, 0, (v) => {
      this.setAttribute('example', String(v));
      this.emit('change', { seed: this.seed, example: v });
    });
    this.exampleIn = ex.input;
    this.exampleOut = ex.out;
    this.controls.append(ex.wrap, buttons);
    this.summary.setAttribute('aria-live', 'polite');
    this.content.replaceChildren(this.intro, this.controls, this.plot, this.legend, this.summary, this.table);
  }

  /** Runs every batch through the engine's BatchNorm1d in training mode. */
  private compute(data: Data, feature: number, example: number, sizes: number[], key: string): Result {
    const lab = this.lab!;
    const column = Float32Array.from({ length: data.n }, (_, i) => data.x[i * data.d + feature]!);
    const full = lab.standardize(column);
    const bn = new lab.BatchNorm1d(1);
    try {
      bn.train();
      const rows = sizes.map((m): Row => {
        const drawer = new BatchDrawer(data.n, example, mulberry32(batchSeed(this.seed, m)));
        const xhat = new Float32Array(this.draws);
        const batch = new Float32Array(m);
        for (let k = 0; k < xhat.length; k++) {
          const idx = drawer.draw(m);
          for (let i = 0; i < m; i++) batch[i] = column[idx[i]!]!;
          xhat[k] = bn.forward(batch, [m, 1])[0]!;
        }
        const s = lab.standardize(xhat, { unbiased: true });
        let min = Infinity;
        let max = -Infinity;
        for (const v of xhat) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        return { m, xhat, mean: s.mean, sd: s.std, min, max };
      });
      return { key, n: data.n, example, feature, value: column[example]!, fullMean: full.mean, fullStd: full.std, fullZ: full.z[example]!, rows };
    } finally {
      bn.dispose();
    }
  }

  private describeExample(data: Data, r: Result): string {
    if (data.side > 0) {
      const row = Math.floor(r.feature / data.side) + 1;
      const col = (r.feature % data.side) + 1;
      return `Training image #${r.example} of the ${data.n.toLocaleString('en')} handwritten digits (a ${data.y[r.example]}), pixel in row ${row}, column ${col}: brightness ${fmt(r.value, 3)}.`;
    }
    return `Point #${r.example} of ${data.n.toLocaleString('en')} in the ${data.source} set (class ${data.y[r.example]}), coordinate x${r.feature === 0 ? '₁' : '₂'} = ${fmt(r.value, 3)}.`;
  }

  private show(data: Data, r: Result): void {
    this.exampleIn!.max = String(data.n - 1);
    this.exampleIn!.value = String(r.example);
    this.exampleOut!.textContent = `#${r.example}`;
    this.exampleIn!.setAttribute('aria-valuetext', `example ${r.example}`);

    const text = el('p', 'noise-text');
    text.append(
      this.describeExample(data, r),
      ` Over the whole set this feature has mean ${fmt(r.fullMean, 3)} and standard deviation ${fmt(r.fullStd, 3)}, so normalised with those statistics it would always be x̂ = `,
      el('strong', undefined, fmt(r.fullZ, 3)),
      `. In a mini-batch it is normalised with the batch’s own mean and variance instead, and each batch holds different company.`,
    );
    text.lastElementChild?.setAttribute('data-full-xhat', '');
    const parts: Node[] = [text];
    if (data.side > 0) parts.unshift(this.thumbnail(data, r));
    this.intro.replaceChildren(...parts);

    this.plot.replaceChildren(this.strips(r));
    this.legend.textContent = `Each dot is the example’s x̂ in one of ${this.draws} random batches (BatchNorm1d in training mode, seed ${this.seed}); the short solid line is their mean and the band one standard deviation either side of it; the orange dashed line is x̂ with the whole set’s statistics.`;
    this.fillTable(r);
    this.summary.textContent = this.sentence(r);
  }

  /** The example digit, its chosen pixel outlined (decorative: the text says the same). */
  private thumbnail(data: Data, r: Result): SVGSVGElement {
    const s = data.side;
    const svg = svgEl('svg', { viewBox: `-0.2 -0.2 ${s + 0.4} ${s + 0.4}`, class: 'digit', 'aria-hidden': 'true' });
    const base = r.example * data.d;
    for (let i = 0; i < data.d; i++) {
      const v = data.x[base + i]!;
      if (v > 0) svg.append(svgEl('rect', { x: i % s, y: Math.floor(i / s), width: 1, height: 1, class: 'ink', 'fill-opacity': v.toFixed(3) }));
    }
    svg.append(svgEl('rect', { x: 0, y: 0, width: s, height: s, class: 'frame' }));
    svg.append(svgEl('rect', { x: r.feature % s, y: Math.floor(r.feature / s), width: 1, height: 1, class: 'pick' }));
    return svg;
  }

  /** One strip of dots per batch size over a shared x̂ axis. */
  private strips(r: Result): SVGSVGElement {
    const W = this.drawingWidth();
    const left = 64;
    const right = 70;
    const rowH = 42;
    const top = 6;
    const all = [r.fullZ, ...r.rows.flatMap((row) => [row.min, row.max])];
    const [lo, hi] = axisDomain(all);
    const x = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - right);
    const h = top + r.rows.length * rowH + 28;
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${h}`, class: 'axis noise-strips', role: 'img' });
    const sds = r.rows.map((row) => `batches of ${row.m}: standard deviation ${fmt(row.sd, 3)}`).join('; ');
    svg.append(svgEl('title', {}, `Where example #${r.example}'s x̂ landed in ${this.draws} random batches of each size. ${sds}. With the whole set's statistics it is ${fmt(r.fullZ, 3)}.`));
    const axisY = top + r.rows.length * rowH + 4;
    const step = hi - lo <= 3 ? 0.5 : 1;
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) {
      svg.append(svgEl('line', { x1: x(t), x2: x(t), y1: top, y2: axisY, class: 'grid' }));
      svg.append(svgEl('text', { x: x(t), y: axisY + 16, class: 'tick' }, fmt(t, 1)));
    }
    svg.append(svgEl('text', { x: W - 4, y: axisY + 16, class: 'tick end' }, 'x̂'));
    const jitter = mulberry32(batchSeed(this.seed, 7919));
    r.rows.forEach((row, i) => {
      const cy = top + i * rowH + rowH / 2;
      svg.append(svgEl('text', { x: 4, y: cy + 4, class: 'row-name' }, `m = ${row.m}`));
      svg.append(svgEl('rect', { x: x(row.mean - row.sd), y: cy - rowH / 2 + 4, width: Math.max(1, x(row.mean + row.sd) - x(row.mean - row.sd)), height: rowH - 8, class: 'sd-band', rx: 3 }));
      for (const v of row.xhat) svg.append(svgEl('circle', { cx: x(v).toFixed(1), cy: (cy + (jitter() - 0.5) * (rowH - 16)).toFixed(1), r: 3, class: 'noise-dot' }));
      svg.append(svgEl('line', { x1: x(row.mean), x2: x(row.mean), y1: cy - rowH / 2 + 4, y2: cy + rowH / 2 - 4, class: 'mean-tick' }));
      svg.append(svgEl('text', { x: W - 4, y: cy + 4, class: 'tick end sd-label' }, `SD ${fmt(row.sd, 2)}`));
    });
    svg.append(svgEl('line', { x1: x(r.fullZ), x2: x(r.fullZ), y1: top - 2, y2: axisY, class: 'full-line' }));
    return svg;
  }

  private fillTable(r: Result): void {
    const caption = part(el('caption', undefined, `The example’s x̂ over ${this.draws} random batches of each size: standard deviation (SD), extremes, and the previous size’s SD divided by this one’s (SD ratio)`), 'caption');
    const thead = tableHead(['batch size m', 'SD of x̂', 'lowest', 'highest', 'SD ratio']);
    const body = el('tbody');
    r.rows.forEach((row, i) => {
      const tr = el('tr');
      tr.dataset.size = String(row.m);
      const th = el('th', undefined, String(row.m));
      th.scope = 'row';
      const sd = el('td', undefined, fmt(row.sd, 3));
      sd.dataset.sd = String(row.m);
      const prev = r.rows[i - 1];
      const ratio = el('td', undefined, prev ? fmt(prev.sd / row.sd, 2) : '—');
      tr.append(th, sd, el('td', undefined, fmt(row.min, 2)), el('td', undefined, fmt(row.max, 2)), ratio);
      body.append(tr);
    });
    this.table.replaceChildren(caption, thead, body);
  }

  private sentence(r: Result): string {
    const rows = r.rows;
    if (rows.length === 0) return 'No batch size fits this dataset.';
    const first = rows[0]!;
    const say = (row: Row) => `from ${fmt(row.min, 2)} to ${fmt(row.max, 2)} in batches of ${row.m} (standard deviation ${fmt(row.sd, 3)})`;
    if (rows.length === 1) return `The same value came out anywhere ${say(first)}.`;
    const last = rows[rows.length - 1]!;
    const ratio = first.sd / last.sd;
    const steadier = Number.isFinite(ratio) && ratio > 1 ? `: ${fmt(ratio, 1)} times steadier` : '';
    return `The same value came out anywhere ${say(first)}, but only ${say(last)}${steadier}.`;
  }
}

defineElement('bn-batch-noise', BnBatchNoise);

// <bn-small-batches epochs="4" batch-sizes="2,4,8,16,32,64" seed="1">: when BatchNorm fails.
// Run trains the same small CNN on the handwritten digits (8×8 images) with BatchNorm2d,
// GroupNorm(2, C), LayerNorm([C, H, W]) and no normalization at each batch size, off the main
// thread (sweep(), progress, Cancel), every run seeing the same number of examples with the
// learning rate scaled linearly with the batch size. It then charts each normalization's test
// error against the batch size (the shape of Wu & He 2018, Figure 1) and BatchNorm's error with
// training-mode statistics beside its eval-mode error (the train/eval mismatch), and writes what
// the runs show. scripts/experiments/small-batches.mjs runs the same measurement headlessly.
// Emits `bn-result` with the errors after a run.
import { numberAttr, numberListAttr } from './base/attributes.js';
import { el, lineLegend, part, selectControl, svgEl, tableHead } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import type { TrainingJob, TrainingResult } from '../jobs/job.js';
import { RunControl, runJobs, type JobProgress } from './base/run-jobs.js';
import { smallBatchJob, SMALL_BATCH_NORMS, type SmallBatchNet, type SmallBatchNorm } from '../jobs/presets.js';

const DEFAULT_BATCHES = [2, 4, 8, 16, 32, 64, 128];
/** Okabe–Ito colours, one per line; the dashed line is BatchNorm with training-mode statistics. */
type Line = SmallBatchNorm | 'batchStats';
const COLORS: Record<Line, string> = {
  batch: '#0072B2', group: '#009E73', layer: '#CC79A7', none: '#D55E00', batchStats: '#0072B2',
};
/** Each line's name for the network measured. */
function lineNames(net: SmallBatchNet): Record<Line, string> {
  const bn = net === 'cnn' ? 'BatchNorm2d' : 'BatchNorm1d';
  return {
    batch: `${bn} (eval mode)`, group: 'GroupNorm(2 groups)', layer: net === 'cnn' ? 'LayerNorm([C, H, W])' : 'LayerNorm', none: 'no normalization',
    batchStats: `${bn}, training-mode statistics`,
  };
}
const LINES: readonly Line[] = [...SMALL_BATCH_NORMS, 'batchStats'];

/** Test error (1 − accuracy) per line and batch size; NaN where the run diverged or has not run. */
type Errors = Record<Line, number[]>;

/**
 * When BatchNorm fails: test error by batch size with BatchNorm, GroupNorm, LayerNorm and no normalization.
 *
 * @attr {'mlp' | 'cnn'} [net=mlp] - The network: `mlp` (64-100-100-10, BatchNorm1d) or `cnn` (conv 8, 16, BatchNorm2d); also from its menu.
 * @attr {number} [epochs=15] - Passes over the training set of each run (1 to 30).
 * @attr {string} [batch-sizes=2,4,8,16,32,64,128] - The batch sizes: up to 8 comma-separated sizes, each 2 to 256.
 * @attr {number} [seed=1] - Seed of the weights and batches (0 to 1000000).
 * @fires {CustomEvent<{ batchSizes: number[], errors: Record<string, number[]> }>} bn-result - After a run: the test error per line (normalization) and batch size.
 * @csspart controls - The menu and the Run button.
 * @csspart plot - The chart.
 * @csspart caption - The captions of the chart and of the table.
 */
export class BnSmallBatches extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'net', 'epochs', 'batch-sizes', 'seed'];
  protected override readonly rerenderOnResize = true;
  private built = false;
  private errors: Errors | null = null;
  /** Every batch size has run (the words compare the smallest with the largest). */
  private complete = false;
  /** The network the shown errors were measured on. */
  private resultNet: SmallBatchNet = 'mlp';
  private resultKey = '';
  private readonly setup = el('p', 'hint small-batches-setup');
  private readonly netIn = el('select');
  private readonly runs = new RunControl('small-batches-status', { start: 'Train the networks', again: 'Train again' },
    'Not run yet: press the button to train every normalization at every batch size.', { run: () => void this.run(), cancel: () => this.cancel() });
  private readonly chart = el('figure', 'small-batches-fig');
  private readonly table = el('table', 'nums small-batches-table');
  private readonly verdict = el('p', 'verdict small-batches-verdict');

  private get net(): SmallBatchNet {
    return this.getAttribute('net') === 'cnn' ? 'cnn' : 'mlp';
  }
  private get epochs(): number { return Math.round(numberAttr(this.getAttribute('epochs'), 15, 1, 30)); }
  private get seed(): number { return Math.round(numberAttr(this.getAttribute('seed'), 1, 0, 1e6)); }
  private get batches(): number[] {
    const b = numberListAttr(this.getAttribute('batch-sizes'), DEFAULT_BATCHES, 8, 256).map(Math.round).filter((x) => x >= 2);
    const sorted = [...new Set(b)].sort((x, y) => x - y);
    return sorted.length >= 2 ? sorted : DEFAULT_BATCHES;
  }
  private key(): string {
    return JSON.stringify([this.net, this.epochs, this.seed, this.batches]);
  }

  disconnectedCallback(): void {
    if (this.runs.running) this.cancel();
  }

  protected render(): void {
    if (!this.built) this.build();
    this.netIn.value = this.net;
    const net = this.net === 'cnn'
      ? 'the handwritten digits as 8×8 images, a CNN of two conv blocks (8 and 16 channels, 3×3, max-pool 2×2, the normalization in each) and a Linear layer: a BatchNorm2d statistic pools the batch × the positions of a plane'
      : 'the handwritten digits as 64 features, an MLP 64-100-100-10 with the normalization in each hidden layer: a BatchNorm1d statistic pools only the batch';
    this.setup.textContent = `Each run: ${net}; the same initial weights (seed ${this.seed}) and the same ${this.epochs} epochs at every batch size (${this.batches.join(', ')}), SGD with momentum 0.9 and learning rate 0.05 × batch/32. Four normalizations × ${this.batches.length} batch sizes: ${4 * this.batches.length} runs on the page’s workers.`;
    if (this.errors && this.resultKey !== this.key() && !this.runs.running) {
      this.errors = null;
      this.runs.end(false, 'The settings changed: train again to measure them.');
    }
    this.show();
  }

  private build(): void {
    this.built = true;
    const controls = part(el('div', 'controls'), 'controls');
    controls.append(selectControl(this.netIn, 'Network', [['mlp', 'MLP (BatchNorm1d)'], ['cnn', 'CNN (BatchNorm2d)']], (value) => {
      if (this.runs.running) this.cancel();
      this.setAttribute('net', value);
    }));
    controls.append(this.runs.button, this.runs.progress);
    this.verdict.setAttribute('aria-live', 'polite');
    // On a phone the five columns scroll sideways inside their box (focusable, for keyboards).
    const scroll = el('div', 'table-scroll');
    scroll.tabIndex = 0;
    scroll.setAttribute('role', 'region');
    scroll.setAttribute('aria-label', 'Test errors per batch size (scrolls sideways)');
    scroll.append(this.table);
    this.content.replaceChildren(this.setup, controls, this.runs.status, this.verdict, this.chart, scroll);
  }

  /** The four runs of one batch size. */
  private jobs(b: number): TrainingJob[] {
    return SMALL_BATCH_NORMS.map((norm) => smallBatchJob(this.net, norm, b, this.epochs, this.seed));
  }

  private async run(): Promise<void> {
    const batches = this.batches;
    const total = batches.reduce((n, b) => n + this.jobs(b).reduce((k, j) => k + j.steps, 0), 0);
    this.errors = null;
    this.complete = false;
    this.resultKey = this.key();
    this.resultNet = this.net;
    const run = this.runs.begin(total);
    this.show();
    const t0 = performance.now();
    const onProgress = (p: JobProgress) => {
      if (run.stale()) return;
      const sum = run.advance(p.label, p.step);
      this.runs.status.textContent = `Training: ${fmt((100 * sum) / total, 0)}% of ${fmt(total, 0)} steps…`;
    };
    const errors = Object.fromEntries(LINES.map((l) => [l, batches.map(() => NaN)])) as unknown as Errors;
    try {
      // One sweep per batch size, so that Cancel stops after the four runs under way.
      for (const [i, b] of batches.entries()) {
        const jobs = this.jobs(b);
        const out = await runJobs(this.lab!, jobs, { onProgress, stop: run.stale });
        if (run.stale() || out.some((r) => r.cancelled)) return;
        collect(errors, i, out);
        this.errors = errors;
        this.show();
      }
      this.complete = true;
      this.runs.end(true, `Done: ${batches.length * SMALL_BATCH_NORMS.length} runs in ${fmt((performance.now() - t0) / 1000, 1)} s.`);
      this.show();
      this.emit('result', { batchSizes: batches, errors });
    } catch (e) {
      if (run.stale()) return;
      this.runs.end(this.errors !== null, `The runs failed: ${e instanceof Error ? e.message : String(e)}`);
      this.show();
    }
  }

  private cancel(): void {
    const done = this.errors ? this.errors.none.filter((e, i) => Number.isFinite(e) || Number.isFinite(this.errors!.batch[i]!)).length : 0;
    this.runs.end(this.errors !== null, done
      ? `Cancelled after ${done} of ${this.batches.length} batch sizes; the results below are for those.`
      : 'Cancelled before any batch size finished.');
    this.show();
  }

  private show(): void {
    if (!this.errors) {
      this.chart.replaceChildren();
      this.table.replaceChildren();
      this.verdict.textContent = '';
      return;
    }
    this.drawChart(this.errors);
    this.fillTable(this.errors);
    // The words wait for every batch size: the smallest and largest are what they compare.
    const text = this.complete ? describeErrors(this.resultNet, this.batches, this.errors) : '';
    if (this.verdict.textContent !== text) this.verdict.textContent = text;
  }

  /** Test error against batch size (log₂ x axis), one line per normalization. */
  private drawChart(errors: Errors): void {
    const bs = this.batches;
    const W = Math.max(280, Math.min(640, this.contentWidth() || 640));
    const H = 240;
    const left = 48, right = 12, padTop = 10, bottom = 36;
    const finite = LINES.flatMap((l) => errors[l].filter(Number.isFinite));
    // The y axis in steps of 2, 5 or 10 points, up to the largest error.
    const top = Math.max(...finite, 0.01);
    const step = top > 0.4 ? 0.1 : top > 0.15 ? 0.05 : 0.02;
    const yMax = Math.min(1, Math.ceil(top / step - 1e-9) * step);
    const lx = (b: number) => left + ((Math.log2(b) - Math.log2(bs[0]!)) / (Math.log2(bs[bs.length - 1]!) - Math.log2(bs[0]!))) * (W - left - right);
    const ly = (e: number) => padTop + (1 - e / yMax) * (H - padTop - bottom);
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'small-batches-chart', role: 'img', part: 'plot' });
    const NAMES = lineNames(this.resultNet);
    svg.setAttribute('aria-label', `Test error by batch size. ${LINES.map((l) => `${NAMES[l]}: ${bs.map((b, i) => `${b}: ${pct(errors[l][i]!)}`).join(', ')}`).join('. ')}.`);
    for (let k = 0; k * step <= yMax + 1e-9; k++) {
      const e = k * step;
      svg.append(svgEl('line', { x1: left, x2: W - right, y1: ly(e), y2: ly(e), class: 'grid' }));
      svg.append(svgEl('text', { x: left - 6, y: ly(e) + 4, class: 'tick end' }, `${fmt(100 * e, 0)}%`));
    }
    for (const b of bs) svg.append(svgEl('text', { x: lx(b), y: H - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, String(b)));
    svg.append(svgEl('text', { x: (left + W - right) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-name' }, 'batch size'));
    for (const l of LINES) {
      const pts = bs.map((b, i) => [lx(b), errors[l][i]!] as const).filter(([, e]) => Number.isFinite(e));
      if (pts.length > 1) {
        svg.append(svgEl('polyline', {
          points: pts.map(([x, e]) => `${x},${ly(e)}`).join(' '), fill: 'none', stroke: COLORS[l], 'stroke-width': 2,
          ...(l === 'batchStats' ? { 'stroke-dasharray': '5 3' } : {}), class: `line line-${l}`,
        }));
      }
      for (const [x, e] of pts) svg.append(svgEl('circle', { cx: x, cy: ly(e), r: 3, fill: COLORS[l], class: `dot dot-${l}` }));
    }
    const legend = lineLegend(LINES.map((l) => ({ name: NAMES[l], color: COLORS[l], dashed: l === 'batchStats' })));
    this.chart.replaceChildren(part(el('figcaption', undefined, `Test error after ${this.epochs} epochs, by batch size`), 'caption'), legend, svg);
  }

  private fillTable(errors: Errors): void {
    const body = el('tbody');
    this.batches.forEach((b, i) => {
      const tr = el('tr');
      const th = el('th', undefined, String(b));
      th.scope = 'row';
      tr.append(th, ...LINES.map((l) => {
        const done = Number.isFinite(errors.none[i]!) || Number.isFinite(errors.batch[i]!) || Number.isFinite(errors.group[i]!) || Number.isFinite(errors.layer[i]!);
        const td = el('td', undefined, Number.isFinite(errors[l][i]!) ? pct(errors[l][i]!) : done ? 'diverged' : 'not run');
        td.dataset.line = l;
        return td;
      }));
      body.append(tr);
    });
    const NAMES = lineNames(this.resultNet);
    this.table.replaceChildren(
      part(el('caption', undefined, 'Test error (100% − accuracy) per batch size'), 'caption'),
      tableHead(['batch size', ...LINES.map((l) => NAMES[l])]),
      body,
    );
  }
}

/** Batch size `i`'s four results into `errors` (NaN where a run diverged). */
function collect(errors: Errors, i: number, out: TrainingResult[]): void {
  SMALL_BATCH_NORMS.forEach((norm, k) => {
    const r = out[k]!;
    const ok = !r.diverged && r.evalAccuracy.length > 0;
    errors[norm][i] = ok ? 1 - r.evalAccuracy[r.evalAccuracy.length - 1]! : NaN;
    if (norm === 'batch') errors.batchStats[i] = ok && typeof r.batchStatsAccuracy === 'number' ? 1 - r.batchStatsAccuracy : NaN;
  });
}

/** A difference of errors that single runs do not make by chance here (5 points). */
const CLEAR = 0.05;

const pct = (e: number) => (Number.isFinite(e) ? `${fmt(100 * e, 1)}%` : '–');

/**
 * What the runs show, in words: how each normalization's error moves from the largest batch to
 * the smallest, whether BatchNorm's rises more than GroupNorm's (Wu & He's finding), and
 * BatchNorm's train/eval mismatch at the smallest batch.
 */
export function describeErrors(net: SmallBatchNet, batches: readonly number[], e: Errors): string {
  const NAMES = lineNames(net);
  const first = 0;
  const last = batches.length - 1;
  const small = batches[first]!;
  const large = batches[last]!;
  const rise = (l: Line) => e[l][first]! - e[l][last]!;
  const move = (l: Line) => `${NAMES[l]} ${pct(e[l][last]!)} → ${pct(e[l][first]!)}`;
  const parts = [`From batch ${large} down to batch ${small}, test error went: ${SMALL_BATCH_NORMS.map(move).join('; ')}.`];
  const bn = rise('batch');
  const gn = rise('group');
  if (Number.isFinite(bn) && Number.isFinite(gn)) {
    // One seed per point: single runs differ by a point or two, so only a clear gap counts.
    parts.push(bn > gn + CLEAR
      ? `BatchNorm’s error rose ${fmt(100 * (bn - gn), 1)} points more than GroupNorm’s as the batches shrank: as Wu & He found, BatchNorm depends on the batch and GroupNorm does not.`
      : `BatchNorm’s error did not rise clearly more than GroupNorm’s as the batches shrank (by ${fmt(100 * bn, 1)} against ${fmt(100 * gn, 1)} points, within what single runs vary): on this network small batches did not hurt BatchNorm, and Wu & He’s finding does not show.`);
  }
  const ev = e.batch[first]!;
  const bs = e.batchStats[first]!;
  if (Number.isFinite(ev) && Number.isFinite(bs)) {
    parts.push(Math.abs(ev - bs) > CLEAR
      ? `At batch ${small}, BatchNorm scored ${pct(bs)} error with the statistics of each test batch of ${small} (as in training) and ${pct(ev)} with its running statistics (eval mode): at small batches the two modes disagree.`
      : `At batch ${small}, BatchNorm’s error was about the same with each test batch’s own statistics (${pct(bs)}) as with its running statistics (${pct(ev)}).`);
  }
  return parts.join(' ');
}

defineElement('bn-small-batches', BnSmallBatches);

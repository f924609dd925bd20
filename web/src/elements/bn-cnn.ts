// <bn-cnn dataset="digits" steps="600" seed="1">: BatchNorm2d in a real CNN. Run trains the same
// small CNN twice on the page's workers, without normalization and with BatchNorm2d in each conv
// block (Conv2d 3×3 → BatchNorm2d → ReLU → MaxPool 2×2, twice, then Linear), from the same initial
// weights on the same batches, and draws both test-accuracy curves as they come in. It then says
// which network got where first, and, for one channel of each block, how many values share that
// channel's mean and variance in a batch (the batch × the positions of its map: the 1d-vs-2d
// picture, at the real sizes). Emits `bn-result` { dataset, steps, accuracy: [none, batch] }.
import { numberAttr } from './base/attributes.js';
import { el, lineLegend, part, selectControl, svgEl } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import type { TrainingJob, TrainingResult } from '../jobs/job.js';
import { RunControl, runJobs, type JobProgress } from './base/run-jobs.js';
import { cnnJob } from '../jobs/presets.js';

type CnnDataset = 'digits' | 'fashion-mnist';
const NAMES = ['without normalization', 'with BatchNorm2d'] as const;
const COLORS = ['#D55E00', '#0072B2'] as const;
const BATCH = 64;
/** Test accuracy the verdict times both networks to. */
const TARGETS: Record<CnnDataset, number> = { digits: 0.95, 'fashion-mnist': 0.8 };
const SHAPES: Record<CnnDataset, { side: number; text: string }> = {
  digits: { side: 8, text: 'the handwritten digits (8×8 images, 1,437 for training, 360 for testing)' },
  'fashion-mnist': { side: 28, text: 'the Fashion-MNIST subset (28×28 images, 3,500 for training, 1,000 for testing; a 3.5 MB download)' },
};

/**
 * BatchNorm2d in a real CNN: the same CNN trained without and with it, from the same weights on the same batches.
 *
 * @attr {'digits' | 'fashion-mnist'} [dataset=digits] - The training set (`fashion-mnist` is a 3.5 MB download).
 * @attr {number} [steps=600] - Training steps (50 to 5000).
 * @attr {number} [seed=1] - Seed of the weights and batches (0 to 1000000).
 * @fires {CustomEvent<{ dataset: string, steps: number, accuracy: number[] }>} bn-result - After a run: the final test accuracy without and with BatchNorm.
 * @csspart controls - The menu and the Run button.
 * @csspart plot - The accuracy chart.
 * @csspart caption - The chart's caption.
 */
export class BnCnn extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'dataset', 'steps', 'seed'];
  protected override readonly rerenderOnResize = true;
  private built = false;
  /** Per network: the steps and test accuracies so far. */
  private curves: { step: number[]; acc: number[] }[] = [];
  private results: TrainingResult[] | null = null;
  private resultKey = '';
  private readonly setup = el('p', 'hint cnn-setup');
  private readonly dataIn = el('select');
  private readonly runs = new RunControl('cnn-status', { start: 'Train both CNNs', again: 'Train again' },
    'Not run yet: press the button to train both networks.', { run: () => void this.run(), cancel: () => this.cancel() });
  private readonly verdict = el('p', 'verdict cnn-verdict');
  private readonly chart = el('figure', 'cnn-fig');
  private readonly shares = el('p', 'note cnn-shares');

  private get data(): CnnDataset { return this.getAttribute('dataset') === 'fashion-mnist' ? 'fashion-mnist' : 'digits'; }
  private get steps(): number { return Math.round(numberAttr(this.getAttribute('steps'), 600, 50, 5000)); }
  private get seed(): number { return Math.round(numberAttr(this.getAttribute('seed'), 1, 0, 1e6)); }
  private key(): string { return JSON.stringify([this.data, this.steps, this.seed]); }

  disconnectedCallback(): void {
    if (this.runs.running) this.cancel();
  }

  protected render(): void {
    if (!this.built) this.build();
    const d = this.data;
    this.dataIn.value = d;
    this.setup.textContent = `Each network: ${SHAPES[d].text}; Conv2d(1→8, 3×3) → norm → ReLU → MaxPool 2×2 → Conv2d(8→16) → norm → ReLU → MaxPool 2×2 → Linear, SGD with momentum 0.9, learning rate 0.02, batches of ${BATCH}, ${this.steps} steps, the test accuracy every 25. Both start from the same weights (seed ${this.seed}) and see the same batches.`;
    this.shares.textContent = shareText(d);
    if ((this.results || this.curves.length) && this.resultKey !== this.key() && !this.runs.running) {
      this.results = null;
      this.curves = [];
      this.runs.end(false, 'The settings changed: train again to measure them.');
    }
    this.show();
  }

  private build(): void {
    this.built = true;
    const controls = part(el('div', 'controls'), 'controls');
    const field = selectControl(this.dataIn, 'Dataset', [['digits', 'digits (8×8)'], ['fashion-mnist', 'Fashion-MNIST (28×28)']], (value) => {
      if (this.runs.running) this.cancel();
      this.setAttribute('dataset', value);
    });
    controls.append(field, this.runs.button, this.runs.progress);
    this.verdict.setAttribute('aria-live', 'polite');
    this.content.replaceChildren(this.setup, controls, this.runs.status, this.verdict, this.chart, this.shares);
  }

  private jobs(): TrainingJob[] {
    // The same jobs as scripts/experiments/cnn.mjs (web/src/jobs/presets.ts).
    return (['none', 'batch'] as const).map((norm) => cnnJob(this.data, norm, { steps: this.steps, seed: this.seed, every: 25, evalLimit: 500 }));
  }

  private async run(): Promise<void> {
    const jobs = this.jobs();
    this.results = null;
    this.curves = jobs.map(() => ({ step: [], acc: [] }));
    this.resultKey = this.key();
    const run = this.runs.begin(2 * this.steps, this.data === 'fashion-mnist' ? 'Loading Fashion-MNIST and training…' : 'Training…');
    this.show();
    const at = [0, 0];
    const onProgress = (p: JobProgress) => {
      if (run.stale()) return;
      const i = p.label === 'batch' ? 1 : 0;
      at[i] = p.step;
      run.advance(p.label, p.step);
      const c = this.curves[i]!;
      p.evalSteps.forEach((s, k) => {
        c.step.push(s);
        c.acc.push(p.evalAccuracy[k]!);
      });
      this.runs.status.textContent = `Training: step ${at[0]} without normalization, ${at[1]} with BatchNorm2d…`;
      this.show();
    };
    try {
      const out = await runJobs(this.lab!, jobs, { workers: 2, stop: run.stale, onProgress });
      if (run.stale() || out.some((r) => r.cancelled)) return;
      this.results = out;
      this.runs.end(true, `Done: 2 networks × ${this.steps} steps, ${fmt(out[0]!.ms / 1000, 1)} s and ${fmt(out[1]!.ms / 1000, 1)} s of training.`);
      this.show();
      this.emit('result', { dataset: this.data, steps: this.steps, accuracy: out.map(finalAccuracy) });
    } catch (e) {
      if (run.stale()) return;
      this.runs.end(false, `The runs failed: ${e instanceof Error ? e.message : String(e)}`);
      this.show();
    }
  }

  private cancel(): void {
    this.runs.end(this.results !== null, 'Cancelled: the curves show the steps trained so far.');
    this.show();
  }

  private show(): void {
    if (!this.curves.length) {
      this.chart.replaceChildren();
      this.verdict.textContent = '';
      return;
    }
    this.drawChart();
    const text = this.results ? verdictText(this.results, TARGETS[this.data]) : '';
    if (this.verdict.textContent !== text) this.verdict.textContent = text;
  }

  private drawChart(): void {
    const W = Math.max(280, Math.min(640, this.contentWidth() || 640));
    const H = 220;
    const left = 44, right = 12, padTop = 10, bottom = 34;
    const steps = this.steps;
    const lx = (s: number) => left + (s / steps) * (W - left - right);
    const ly = (a: number) => padTop + (1 - a) * (H - padTop - bottom);
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'cnn-chart', role: 'img', part: 'plot' });
    svg.setAttribute('aria-label', `Test accuracy by step. ${this.curves.map((c, i) => `${NAMES[i]}: ${c.acc.length ? `${fmt(100 * c.acc[c.acc.length - 1]!, 1)}% at step ${c.step[c.step.length - 1]}` : 'no evaluation yet'}`).join('; ')}.`);
    for (const a of [0, 0.25, 0.5, 0.75, 1]) {
      svg.append(svgEl('line', { x1: left, x2: W - right, y1: ly(a), y2: ly(a), class: 'grid' }));
      svg.append(svgEl('text', { x: left - 6, y: ly(a) + 4, class: 'tick end' }, `${fmt(100 * a, 0)}%`));
    }
    for (let k = 0; k <= 4; k++) {
      const s = Math.round((steps * k) / 4);
      svg.append(svgEl('text', { x: lx(s), y: H - bottom + 16, class: 'tick' }, String(s)));
    }
    svg.append(svgEl('text', { x: (left + W - right) / 2, y: H - 3, class: 'tick' }, 'step'));
    this.curves.forEach((c, i) => {
      if (c.step.length > 1) {
        svg.append(svgEl('polyline', {
          points: c.step.map((s, k) => `${lx(s)},${ly(c.acc[k]!)}`).join(' '), fill: 'none', stroke: COLORS[i]!, 'stroke-width': 2,
          ...(i === 0 ? { 'stroke-dasharray': '6 3' } : {}), class: `line line-${i}`,
        }));
      }
    });
    const legend = lineLegend(NAMES.map((name, i) => ({ name, color: COLORS[i]!, dashed: i === 0 })));
    this.chart.replaceChildren(part(el('figcaption', undefined, `Test accuracy during training (eval mode, ${this.data === 'digits' ? 'all 360' : '500 of the 1,000'} test images)`), 'caption'), legend, svg);
  }
}

function finalAccuracy(r: TrainingResult): number {
  return r.diverged || !r.evalAccuracy.length ? NaN : r.evalAccuracy[r.evalAccuracy.length - 1]!;
}

/** What the two runs show: who reached the target first, and where each ended. */
export function verdictText(runs: readonly TrainingResult[], target: number): string {
  const reached = runs.map((r) => {
    const k = Array.from(r.evalAccuracy).findIndex((a) => a >= target);
    return k < 0 ? null : r.evalSteps[k]!;
  });
  const pct = (a: number) => (Number.isFinite(a) ? `${fmt(100 * a, 1)}%` : 'diverged');
  const end = `After ${runs[0]!.steps} steps: ${pct(finalAccuracy(runs[1]!))} with BatchNorm2d, ${pct(finalAccuracy(runs[0]!))} without.`;
  const t = `${fmt(100 * target, 0)}%`;
  const [plain, bn] = reached;
  let first: string;
  if (bn !== null && bn !== undefined && (plain === null || plain === undefined)) first = `With BatchNorm2d the network reached ${t} test accuracy at step ${bn}; without, it never did in this run.`;
  else if ((bn === null || bn === undefined) && plain !== null && plain !== undefined) first = `Without normalization the network reached ${t} at step ${plain}; with BatchNorm2d it never did in this run.`;
  else if (bn === null || bn === undefined) first = `Neither network reached ${t} test accuracy in this run.`;
  else if (bn < plain!) first = `With BatchNorm2d the network reached ${t} test accuracy at step ${bn}, without it at step ${plain}.`;
  else if (bn > plain!) first = `Without normalization the network reached ${t} first (step ${plain}); with BatchNorm2d at step ${bn}.`;
  else first = `Both networks reached ${t} at the same check (step ${bn}).`;
  return `${first} ${end}`;
}

/** How many values share one channel's statistics in each conv block, at batch 64. */
function shareText(d: CnnDataset): string {
  const side = SHAPES[d].side;
  const b1 = side;
  const b2 = Math.floor(side / 2);
  const n = (s: number) => (BATCH * s * s).toLocaleString('en-US');
  return `In training, BatchNorm2d pools each channel over the batch and every position of its map, as in the picture above: in the first block a channel’s mean and variance come from ${BATCH} images × ${b1}×${b1} positions = ${n(b1)} values, in the second from ${BATCH} × ${b2}×${b2} = ${n(b2)}. A BatchNorm1d feature in an MLP has only the ${BATCH} values of the batch.`;
}

defineElement('bn-cnn', BnCnn);

// <bn-landscape lr="0.1" steps="1500" seed="1" noise-shift="0.5" noise-scale="1.5">: why
// BatchNorm works, measured (Santurkar, Tsipras, Ilyas & Mądry 2018). Run trains three copies of
// the same network on the digits, from the same weights on the same batches, on the page's
// workers: without normalization, with BatchNorm, and with "noisy" BatchNorm (a random shift and
// scale per unit after each BatchNorm, redrawn every step). Every 25 steps each run measures its
// loss landscape along the gradient (Trainer.probeLandscape): how much the loss varies over a span
// of step sizes, how much the gradient changes along that span (gradient predictiveness) and the
// largest change per distance moved (effective β-smoothness). The charts fill in as the runs
// report; the text then says what the numbers show, including where they disagree with the paper.
// Emits `bn-result` { lr, steps, medians: { lossRange, gradientPredictiveness, betaSmoothness }
// per run, accuracy per run, movement per run }.
import { numberAttr } from './base/attributes.js';
import { el, part, selectControl, showChoice } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import { lineChart, type LineSeries } from './base/line-chart.js';
import type { LandscapePoint, TrainingResult } from '../jobs/job.js';
import { RunControl, runJobs, type JobProgress } from './base/run-jobs.js';
import {
  LANDSCAPE_DEFAULTS, LANDSCAPE_EVERY, LANDSCAPE_RUNS, LANDSCAPE_STEP_MULTIPLES, LANDSCAPE_WATCH, landscapeJob, median, medianMovement,
  type LandscapeRun, type LandscapeSetting,
} from '../jobs/presets.js';

const NAMES: Record<LandscapeRun, string> = { none: 'without BatchNorm', batch: 'with BatchNorm', noisy: 'noisy BatchNorm' };
const COLORS: Record<LandscapeRun, string> = { none: '#D55E00', batch: '#0072B2', noisy: '#009E73' };
const LRS = [0.05, 0.1, 0.2, 0.4] as const;
const NOISES: readonly { shift: number; scale: number; text: string }[] = [
  { shift: 0.5, scale: 1.5, text: 'shift ±0.5, scale 1–1.5' },
  { shift: 1, scale: 3, text: 'shift ±1, scale 1–3' },
];
type Metric = 'lossRange' | 'gradientPredictiveness' | 'betaSmoothness';
const METRICS: readonly { key: Metric; caption: string; what: string }[] = [
  { key: 'lossRange', caption: 'Loss variation along the gradient (max − min of the batch loss over the step sizes; log scale)', what: 'the loss varied along the gradient by' },
  { key: 'gradientPredictiveness', caption: 'Gradient predictiveness: ‖∇L(θ − η∇L) − ∇L(θ)‖, the largest over the step sizes (smaller: the gradient stays predictive; log scale)', what: 'the gradient changed along the step by' },
  { key: 'betaSmoothness', caption: 'Effective β-smoothness: the largest gradient change per distance moved (log scale)', what: 'the effective β-smoothness was' },
];

interface Curve {
  evalStep: number[];
  acc: number[];
  points: LandscapePoint[];
  step: number;
}

/**
 * Why BatchNorm works, measured (Santurkar et al. 2018): the loss landscape without BatchNorm, with it, and with noisy BatchNorm.
 *
 * @attr {number} [lr=0.1] - SGD learning rate (0.001 to 2; the menu offers 0.05, 0.1, 0.2, 0.4).
 * @attr {number} [steps=1500] - Training steps (100 to 10000).
 * @attr {number} [seed=1] - Seed of the weights and batches (0 to 1000000).
 * @attr {number} [noise-shift=0.5] - Noisy BatchNorm's shift, U(−s, s) per unit (0 to 10).
 * @attr {number} [noise-scale=1.5] - Noisy BatchNorm's scale, U(1, s) per unit (1 to 10).
 * @fires {CustomEvent<{ lr: number, steps: number, medians: object[], accuracy: number[], movement: number[] }>} bn-result - After a run, one entry per run (without BatchNorm, with it, noisy): the medians of the three measures, the final test accuracy and the movement of the watched unit.
 * @csspart controls - The menu and the Run button.
 * @csspart plot - The four charts.
 * @csspart caption - The charts' captions.
 */
export class BnLandscape extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'lr', 'steps', 'seed', 'noise-shift', 'noise-scale'];
  protected override readonly rerenderOnResize = true;
  private built = false;
  private curves: Record<LandscapeRun, Curve> | null = null;
  private results: TrainingResult[] | null = null;
  private resultKey = '';
  private readonly setup = el('p', 'hint landscape-setup');
  private readonly lrIn = el('select');
  private readonly noiseIn = el('select');
  private readonly runs = new RunControl('landscape-status', { start: 'Train the three networks', again: 'Train again' },
    'Not run yet: press the button to train and measure the three networks.', { run: () => void this.run(), cancel: () => this.cancel() });
  private readonly verdict = el('div', 'verdict landscape-verdict');
  private readonly charts = el('div', 'landscape-charts');

  private get setting(): LandscapeSetting {
    const d = LANDSCAPE_DEFAULTS;
    return {
      lr: numberAttr(this.getAttribute('lr'), d.lr, 0.001, 2),
      steps: Math.round(numberAttr(this.getAttribute('steps'), d.steps, 100, 10000)),
      seed: Math.round(numberAttr(this.getAttribute('seed'), d.seed, 0, 1e6)),
      noiseShift: numberAttr(this.getAttribute('noise-shift'), d.noiseShift, 0, 10),
      noiseScale: numberAttr(this.getAttribute('noise-scale'), d.noiseScale, 1, 10),
    };
  }
  private key(): string { return JSON.stringify(this.setting); }

  disconnectedCallback(): void {
    if (this.runs.running) this.cancel();
  }

  protected render(): void {
    if (!this.built) this.build();
    const s = this.setting;
    showChoice(this.lrIn, String(s.lr), fmt(s.lr, 4));
    showChoice(this.noiseIn, `${s.noiseShift}/${s.noiseScale}`, `shift ±${fmt(s.noiseShift, 2)}, scale 1–${fmt(s.noiseScale, 2)}`);
    const etas = LANDSCAPE_STEP_MULTIPLES.map((m) => fmt(m * s.lr, 3)).join(', ');
    this.setup.textContent = `Three copies of one network learn the handwritten digits: 64 → 100 → 100 → 100 → 10 with ReLU, batches of 60, plain SGD with learning rate ${fmt(s.lr, 3)}, ${s.steps} steps, the same initial weights (seed ${s.seed}) and the same batches. One has no normalization, one has BatchNorm before each ReLU, and the noisy one adds, after each BatchNorm, a random scale U(1, ${fmt(s.noiseScale, 2)}) and shift U(−${fmt(s.noiseShift, 2)}, ${fmt(s.noiseShift, 2)}) per unit, drawn afresh every step. Every ${LANDSCAPE_EVERY} steps each run stops on a fresh batch and moves along its gradient by step sizes η = ${etas} (¼ to 4 times the learning rate), measuring the loss and the gradient there, and then carries on exactly where it was.`;
    if ((this.results || this.curves) && this.resultKey !== this.key() && !this.runs.running) {
      this.results = null;
      this.curves = null;
      this.runs.end(false, 'The settings changed: train again to measure them.');
    }
    this.show();
  }

  private build(): void {
    this.built = true;
    const controls = part(el('div', 'controls'), 'controls');
    const lr = selectControl(this.lrIn, 'Learning rate', LRS.map((v) => [String(v), String(v)] as [string, string]), (value) => {
      if (this.runs.running) this.cancel();
      this.setAttribute('lr', value);
    });
    const noise = selectControl(this.noiseIn, 'Noise', NOISES.map((n) => [`${n.shift}/${n.scale}`, n.text] as [string, string]), (value) => {
      if (this.runs.running) this.cancel();
      const [shift, scale] = value.split('/');
      this.setAttribute('noise-shift', shift!);
      this.setAttribute('noise-scale', scale!);
    });
    controls.append(lr, noise, this.runs.button, this.runs.progress);
    this.verdict.setAttribute('aria-live', 'polite');
    this.content.replaceChildren(this.setup, controls, this.runs.status, this.verdict, this.charts);
  }

  private async run(): Promise<void> {
    const s = this.setting;
    const jobs = LANDSCAPE_RUNS.map((r) => landscapeJob(r, s));
    this.results = null;
    this.resultKey = this.key();
    const curves = Object.fromEntries(LANDSCAPE_RUNS.map((r) => [r, { evalStep: [], acc: [], points: [], step: 0 }])) as unknown as Record<LandscapeRun, Curve>;
    this.curves = curves;
    const run = this.runs.begin(LANDSCAPE_RUNS.length * s.steps, 'Training and measuring…');
    this.show();
    const onProgress = (p: JobProgress) => {
      if (run.stale()) return;
      const c = curves[(p.label ?? 'none') as LandscapeRun];
      if (!c) return;
      c.step = p.step;
      p.evalSteps.forEach((x, k) => {
        c.evalStep.push(x);
        c.acc.push(p.evalAccuracy[k]!);
      });
      if (p.landscape) c.points.push(...p.landscape);
      run.advance(p.label, p.step);
      this.runs.status.textContent = `Training: step ${LANDSCAPE_RUNS.map((r) => `${curves[r].step} ${NAMES[r]}`).join(', ')}…`;
      this.show();
    };
    try {
      const out = await runJobs(this.lab!, jobs, { workers: 2, stop: run.stale, onProgress });
      if (run.stale() || out.some((r) => r.cancelled)) return;
      this.results = out;
      // The complete series (a worker's last report may race the result).
      out.forEach((r) => {
        const c = curves[r.label as LandscapeRun];
        c.evalStep = Array.from(r.evalSteps);
        c.acc = Array.from(r.evalAccuracy);
        c.points = r.landscape ?? [];
      });
      this.runs.end(true, `Done: 3 networks × ${s.steps} steps with ${out[0]!.landscape?.length ?? 0} landscape measurements each, ${out.map((r) => `${fmt(r.ms / 1000, 1)} s`).join(', ')} of training and measuring.`);
      this.show();
      const summary = summarise(out);
      this.emit('result', { lr: s.lr, steps: s.steps, ...summary });
    } catch (e) {
      if (run.stale()) return;
      this.runs.end(false, `The runs failed: ${e instanceof Error ? e.message : String(e)}`);
      this.show();
    }
  }

  private cancel(): void {
    this.runs.end(this.results !== null, 'Cancelled: the charts show the steps measured so far.');
    this.show();
  }

  private show(): void {
    const curves = this.curves;
    if (!curves) {
      this.charts.replaceChildren();
      this.verdict.replaceChildren();
      return;
    }
    const width = this.contentWidth() || 640;
    const steps = this.setting.steps;
    const acc = lineChart(LANDSCAPE_RUNS.map((r) => ({ name: NAMES[r], color: COLORS[r], dashed: r === 'none', xs: curves[r].evalStep, ys: curves[r].acc })), {
      width, xMax: steps, xLabel: 'step', yMin: 0, yMax: 1, yTicks: [0, 0.25, 0.5, 0.75, 1], yFormat: (y) => `${fmt(100 * y, 0)}%`,
      caption: 'Test accuracy during training (eval mode, all 360 test digits)',
      summary: `Test accuracy by step. ${LANDSCAPE_RUNS.map((r) => `${NAMES[r]}: ${curves[r].acc.length ? `${fmt(100 * curves[r].acc[curves[r].acc.length - 1]!, 1)}% at step ${curves[r].evalStep[curves[r].evalStep.length - 1]}` : 'no evaluation yet'}`).join('; ')}.`,
    });
    const metricCharts = METRICS.map((m) => {
      const series: LineSeries[] = LANDSCAPE_RUNS.map((r) => ({
        name: NAMES[r], color: COLORS[r], dashed: r === 'none', xs: curves[r].points.map((p) => p.step), ys: curves[r].points.map((p) => p[m.key]),
      }));
      return lineChart(series, {
        width, xMax: steps, xLabel: 'step', scale: 'log', caption: m.caption,
        summary: `${m.caption}. Median over the measurements so far: ${LANDSCAPE_RUNS.map((r) => `${NAMES[r]} ${sig(median(curves[r].points.map((p) => p[m.key])))}`).join('; ')}.`,
      });
    });
    this.charts.replaceChildren(acc, ...metricCharts);
    const lines = this.results ? verdictLines(this.results) : [];
    const text = lines.join('\n');
    if (this.verdict.dataset.text !== text) {
      this.verdict.dataset.text = text;
      this.verdict.replaceChildren(...lines.map((l) => el('p', undefined, l)));
    }
  }
}

/** A positive measurement to 2 significant digits (or what it is when it is not finite). */
function sig(v: number): string {
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return '∞ (blew up)';
  if (v === 0) return '0';
  return v >= 100 ? fmt(v, 0) : Number(v.toPrecision(2)).toString();
}

/** Per run (in LANDSCAPE_RUNS order): medians of the three measures, final test accuracy, movement of the watched median. */
export function summarise(results: readonly TrainingResult[]): {
  medians: Record<Metric, number>[]; accuracy: number[]; movement: number[];
} {
  return {
    medians: results.map((r) => Object.fromEntries(METRICS.map((m) => [m.key, median((r.landscape ?? []).map((p) => p[m.key]))])) as Record<Metric, number>),
    accuracy: results.map((r) => (r.diverged || !r.evalAccuracy.length ? NaN : r.evalAccuracy[r.evalAccuracy.length - 1]!)),
    movement: results.map((r) => medianMovement(r.percentiles)),
  };
}

const pct = (a: number) => (Number.isFinite(a) ? `${fmt(100 * a, 1)}%` : 'diverged');

/** What the three runs show, sentence by sentence, from their numbers (results in LANDSCAPE_RUNS order). */
export function verdictLines(results: readonly TrainingResult[]): string[] {
  const { medians, accuracy, movement } = summarise(results);
  const [none, batch] = [0, 1].map((i) => medians[i]!);
  const lines: string[] = [];
  const smoother: string[] = [];
  const rougher: string[] = [];
  for (const m of METRICS) {
    const a = none![m.key];
    const b = batch![m.key];
    const ratio = a / b;
    const phrase = `${m.what} ${sig(b)} with BatchNorm against ${sig(a)} without`;
    if (!(Number.isFinite(a) || Number.isFinite(b))) continue;
    if (ratio >= 1.5 || (!Number.isFinite(a) && Number.isFinite(b))) smoother.push(`${phrase}${Number.isFinite(ratio) ? ` (${fmt(ratio, ratio >= 10 ? 0 : 1)}× less)` : ''}`);
    else rougher.push(`${phrase}${Number.isFinite(ratio) && ratio < 1 ? ` (${fmt(1 / ratio, 1)}× more)` : ''}`);
  }
  const medianText = 'medians over the run';
  if (smoother.length === METRICS.length) {
    lines.push(`BatchNorm made this network’s landscape smoother on all three measures, as Santurkar et al. found for their networks (${medianText}): ${smoother.join('; ')}.`);
  } else if (smoother.length) {
    lines.push(`BatchNorm made the landscape smoother on ${smoother.length === 1 ? 'one measure' : 'two measures'} (${medianText}): ${smoother.join('; ')}. Not on the rest, unlike in Santurkar et al.: ${rougher.join('; ')}.`);
  } else {
    lines.push(`Here BatchNorm did not make the landscape smoother, unlike in Santurkar et al. (${medianText}): ${rougher.join('; ')}.`);
  }
  const [mn, mb, mz] = movement;
  const unit = `unit ${LANDSCAPE_WATCH.unit + 1} of hidden layer ${LANDSCAPE_WATCH.layer + 1}`;
  lines.push(`The noise really moved the distributions: the median of ${unit}’s input to its ReLU changed by ${sig(mz!)} per step on average with noisy BatchNorm, ${sig(mb!)} with plain BatchNorm and ${sig(mn!)} without.`);
  const [an, ab, az] = accuracy;
  let train: string;
  if (!Number.isFinite(az!)) train = 'Noisy BatchNorm diverged';
  else if (az! >= ab! - 0.01) train = `Yet noisy BatchNorm trained as well as BatchNorm: ${pct(az!)} test accuracy against ${pct(ab!)}`;
  else if (az! >= an! - 0.005) train = `Noisy BatchNorm trained less well than BatchNorm (${pct(az!)} against ${pct(ab!)}) but no worse than no normalization`;
  else train = `Here the noise did hurt: noisy BatchNorm reached ${pct(az!)} test accuracy, BatchNorm ${pct(ab!)}`;
  lines.push(`${train}; without BatchNorm ${pct(an!)}. ${az! >= an! - 0.005 && Number.isFinite(az!)
    ? 'A layer whose inputs shift every step still trains, so keeping the input distributions steady (less “internal covariate shift”) cannot be what makes BatchNorm work; a smoother landscape, where steps can be larger and the gradient stays a good guide, fits the numbers above.'
    : 'With this much noise the steadier-inputs story and the smoother-landscape story are harder to tell apart: try the milder noise.'}`);
  return lines;
}

defineElement('bn-landscape', BnLandscape);

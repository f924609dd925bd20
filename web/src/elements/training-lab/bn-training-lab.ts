// <bn-training-lab>: a playground-like lab that always trains two networks side by side, one
// without BatchNorm and one with it, from identical initial weights on identical batches. The
// training runs in a module worker (lab-worker.js); sweeps run on a pool of the package's
// workers (sweep()). Every control is an attribute (clamped through lab-state.ts's table) and
// every change is announced with a bn-change event carrying the whole state.
//
//   <bn-training-lab dataset="spiral" lr="0.1" layers="3" neurons="16"></bn-training-lab>
import { el, part, tableHead } from '../base/dom.js';
import { fmt, fmtMeasured } from '../base/format.js';
import { diagnose, type LayerHealth } from './health.js';
import { DigitPad } from './digit-pad.js';
import { NetworkDiagram } from './network-diagram.js';
import { nearViewport } from '../base/near-viewport.js';
import { pageLab } from '../base/page-lab.js';
import { BASE_ATTRIBUTES, BnBase, defineElement } from '../base/element.js';
import { sweep } from '../../jobs/pool.js';
import { runJobsInThread, type TrainingJob, type TrainingResult } from '../../jobs/job.js';
import { BoundaryMap } from './boundary-map.js';
import { CHART_STYLESHEET, LineChart, loadCharts, OKABE_ITO, type Band, type Mark, type Series } from './chart.js';
import { download } from './chart-export.js';
import { CHOICE_TEXT, DEFAULTS, FIELDS, PAPER, PAPER_TEXT, isToy, parseConfig, parseField, sweepJob, type LabConfig } from './lab-state.js';
import { DEFAULT_SPEED, LabEngine, type LabReply, type LabRequest, type Prediction, type RunChunk } from './lab-engine.js';

const STYLESHEET = new URL('./training-lab.css', import.meta.url).href;
const RUN_NAMES = ['Without BN', 'With BN'] as const;
/** The test accuracy the lab marks for each run: where BN's lead in speed shows. */
const MILESTONE = 0.9;
/** The pace choices: attribute value → label (steps per second per network). */
const SPEEDS: [string, string][] = [
  ['10', 'slow motion (10 steps/s)'], ['50', '50 steps/s'], ['250', '250 steps/s'], ['1000', '1,000 steps/s'], ['max', 'as fast as it goes'],
];
/** The speed attribute: "max" or a number of steps per second (1 to 1,000,000); anything else: the default. */
function parseSpeed(value: string | null): number | null {
  if (value === 'max') return null;
  const n = Number(value);
  return value !== null && value.trim() !== '' && Number.isFinite(n) && n >= 1 ? Math.min(1e6, Math.round(n)) : DEFAULT_SPEED;
}
const speedValue = (speed: number | null) => (speed === null ? 'max' : String(speed));
const RUN_COLORS = [OKABE_ITO.vermillion, OKABE_ITO.blue] as const;
const LR_SWEEP = [0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const SCALE_SWEEP = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30];
const SWEEP_STEPS = 500;
/** The regularisation sweep: batch sizes, and steps long enough for both networks to fit their training set. */
const BATCH_SWEEP = [2, 8, 32, 128];
const GAP_STEPS = 2000;
/** Seeds per sweep point (paired: each seed trains both networks from the same weights and data). */
const SWEEP_SEEDS = 3;

/** A growable Float32Array column. */
class Column {
  data = new Float32Array(1024);
  n = 0;
  push(values: ArrayLike<number>, stride = 1, offset = 0): void {
    const k = Math.floor((values.length - offset + stride - 1) / stride);
    if (this.n + k > this.data.length) {
      const next = new Float32Array(Math.max(this.data.length * 2, this.n + k));
      next.set(this.data.subarray(0, this.n));
      this.data = next;
    }
    for (let i = 0; i < k; i++) this.data[this.n + i] = values[offset + i * stride]!;
    this.n += k;
  }
}

/** One run's history, columnar. */
class RunHistory {
  step = new Column();
  loss = new Column();
  /** The steps of the percentiles (they restart when the reader follows another unit). */
  pctStep = new Column();
  p15 = new Column();
  p50 = new Column();
  p85 = new Column();
  evalStep = new Column();
  evalAcc = new Column();
  evalLoss = new Column();
  trainEvalStep = new Column();
  trainEvalLoss = new Column();
  health: LayerHealth[] = [];
  divergedAt: number | null = null;

  /** Drops the percentiles recorded so far (another unit is followed from the next step). */
  clearPercentiles(): void {
    for (const c of [this.pctStep, this.p15, this.p50, this.p85]) c.n = 0;
  }

  add(c: RunChunk): void {
    const steps = c.loss.length;
    this.step.push(Float32Array.from({ length: steps }, (_, i) => c.firstStep + i));
    this.loss.push(c.loss);
    if (c.percentiles.length === 3 * steps) {
      this.pctStep.push(Float32Array.from({ length: steps }, (_, i) => c.firstStep + i));
      this.p15.push(c.percentiles, 3, 0);
      this.p50.push(c.percentiles, 3, 1);
      this.p85.push(c.percentiles, 3, 2);
    }
    this.evalStep.push(c.evalSteps);
    this.evalAcc.push(c.evalAccuracy);
    this.evalLoss.push(c.evalLoss);
    this.trainEvalStep.push(c.trainEvalSteps);
    this.trainEvalLoss.push(c.trainEvalLoss);
    if (c.health.length) this.health = c.health;
    this.divergedAt ??= c.divergedAt;
  }
}

interface RunPanel {
  stats: HTMLElement;
  status: HTMLElement;
  map: BoundaryMap;
  note: HTMLElement;
}

/** One sweep point of one network: the seeds that finished, their mean and sample sd. */
interface SweepStats { n: number; diverged: number; mean: number; sd: number }

function sweepStats(xs: (number | null)[]): SweepStats {
  const ok = xs.filter((v): v is number => v !== null);
  const n = ok.length;
  const mean = n ? ok.reduce((a, v) => a + v, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(ok.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, diverged: xs.length - n, mean, sd };
}

/** A sweep point's accuracy, named "stuck at chance" when no better than guessing (`chance`, e.g. 1/10). */
function sweepCell(s: SweepStats, chance: number): string {
  if (s.n === 0) return `diverged (${s.diverged} of ${s.diverged} seeds)`;
  const base = `${fmt(100 * s.mean, 1)}% ± ${fmt(100 * s.sd, 1)}`;
  const stuck = s.mean <= chance + 0.03 ? ', stuck at chance' : '';
  return s.diverged ? `${base}${stuck} (${s.diverged} diverged)` : `${base}${stuck}`;
}

type GapStats = { train: SweepStats; test: SweepStats; gap: SweepStats };

/** Which network generalised better at one batch size: the smaller train − test gap, against the seed spread. */
function gapVerdict(plain: GapStats, bn: GapStats): { better: 'bn' | 'plain' | 'none'; text: string; fitsLess?: boolean } {
  if (plain.gap.n === 0 || bn.gap.n === 0) return { better: 'none', text: 'a network diverged: no gap to compare' };
  const diff = 100 * (plain.gap.mean - bn.gap.mean);
  const spread = 100 * Math.max(plain.gap.sd, bn.gap.sd);
  const pts = `${fmt(Math.abs(diff), 1)} points`;
  if (Math.abs(diff) <= spread || Math.abs(diff) < 0.05) return { better: 'none', text: `gaps within the seed spread (differ by ${pts}, sd up to ${fmt(spread, 1)})` };
  // A network that fits its training set less has less to lose on the test set: a smaller gap
  // that comes with a lower test accuracy is no sign of regularisation.
  const [winner, loser] = diff > 0 ? [bn, plain] : [plain, bn];
  const worse = winner.test.mean < loser.test.mean - 0.01
    ? `, but its test accuracy is lower (${fmt(100 * winner.test.mean, 1)}% against ${fmt(100 * loser.test.mean, 1)}%): it fits less, not better`
    : '';
  if (worse) return { better: 'none', fitsLess: true, text: `${diff > 0 ? 'BN’s gap smaller' : 'BN’s gap larger'} by ${pts}${worse}` };
  return diff > 0
    ? { better: 'bn', text: `BN’s gap smaller by ${pts}, beyond the seed spread (sd up to ${fmt(spread, 1)})` }
    : { better: 'plain', text: `BN’s gap larger by ${pts}, beyond the seed spread (sd up to ${fmt(spread, 1)})` };
}

/** Which network did better at one point, against the seed-to-seed spread. */
function sweepVerdict(plain: SweepStats, bn: SweepStats): { better: 'bn' | 'plain' | 'none'; text: string } {
  if (plain.n === 0 && bn.n === 0) return { better: 'none', text: 'both diverge' };
  if (plain.n === 0) return { better: 'bn', text: 'only with BN: without it, every seed diverges' };
  if (bn.n === 0) return { better: 'plain', text: 'only without BN: with it, every seed diverges' };
  const gap = 100 * (bn.mean - plain.mean);
  const spread = 100 * Math.max(plain.sd, bn.sd);
  const pts = `${fmt(Math.abs(gap), 1)} points`;
  if (Math.abs(gap) <= spread || Math.abs(gap) < 0.05) return { better: 'none', text: `within the seed spread (gap ${pts}, sd up to ${fmt(spread, 1)})` };
  return gap > 0
    ? { better: 'bn', text: `BN ahead by ${pts}, beyond the seed spread (sd up to ${fmt(spread, 1)})` }
    : { better: 'plain', text: `without BN ahead by ${pts}, beyond the seed spread (sd up to ${fmt(spread, 1)})` };
}

/** The sentences under the batch-size sweep, from its measurements. */
function gapCaption(values: number[], stats: GapStats[][], verdicts: { better: string; fitsLess?: boolean }[]): string {
  const at = (b: string) => values.filter((_, i) => verdicts[i]!.better === b);
  const list = (vs: number[]) => (vs.length ? ` (${vs.join(', ')})` : '');
  const less = values.filter((_, i) => verdicts[i]!.fitsLess);
  const out = [`BN’s train − test gap was smaller beyond the seed spread at ${at('bn').length} of ${values.length} batch sizes${list(at('bn'))}, larger at ${at('plain').length}${list(at('plain'))}`
    + (less.length ? `; at ${less.length}${list(less)} the network with the smaller gap also had the lower test accuracy (it fitted less, which is no regularisation).` : '.')];
  const bnGap = stats.map((p) => p[1]!.gap);
  const small = bnGap[0]!;
  const large = bnGap[bnGap.length - 1]!;
  if (small.n && large.n) {
    const a = `${fmt(100 * small.mean, 1)} points at batch ${values[0]}`;
    const b = `${fmt(100 * large.mean, 1)} at batch ${values[values.length - 1]}`;
    const spread = 100 * Math.max(small.sd, large.sd);
    const diff = 100 * (large.mean - small.mean);
    out.push(diff > spread
      ? `With BN the gap is smaller at the smallest batch, where its batch noise is largest (${a}, ${b}): what a regulariser would do.`
      : `With BN the gap does not shrink at the smallest batch, where its batch noise is largest (${a}, ${b}): on this run the gap does not follow the noise.`);
  }
  const collapsed = values.filter((_, i) => {
    const bn = stats[i]![1]!;
    const plain = stats[i]![0]!;
    return bn.train.n > 0 && plain.train.n > 0 && bn.train.mean < plain.train.mean - 0.1;
  });
  if (collapsed.length) out.push(`At batch size${collapsed.length > 1 ? 's' : ''} ${collapsed.length > 1 ? `${collapsed.slice(0, -1).join(', ')} and ${collapsed[collapsed.length - 1]}` : collapsed[0]} the BN network does worse in eval mode even on its own training set: its running statistics, averaged from batches that small, do not describe the data it was trained on.`);
  return out.join(' ');
}

/** The sentence under a sweep, from its verdicts. */
function sweepCaption(what: string, values: number[], verdicts: { better: string }[]): string {
  const at = (b: string) => values.filter((_, i) => verdicts[i]!.better === b);
  const list = (vs: number[]) => (vs.length ? ` (${vs.join(', ')})` : '');
  const bn = at('bn');
  const plain = at('plain');
  const none = at('none');
  return `Over ${values.length} values of the ${what}, ${SWEEP_SEEDS} seeds each: BN did better beyond the seed-to-seed spread at ${bn.length}${list(bn)}, `
    + `the network without BN at ${plain.length}${list(plain)}, and at ${none.length}${list(none)} the two could not be told apart (or both diverged).`;
}

/** The lab's optional parts (its sections attribute), in page order. */
export const LAB_SECTIONS = ['curves', 'digit', 'shift', 'sweeps'] as const;
type LabSection = (typeof LAB_SECTIONS)[number];

/**
 * The training lab: two networks, without and with BatchNorm, trained side by side from the same weights on the same batches.
 *
 * @attr {'spiral' | 'circle' | 'xor' | 'gauss' | 'digits'} [dataset=spiral] - The training set.
 * @attr {number} [noise=0.1] - Label noise of the toy sets (0 to 0.5).
 * @attr {number} [batch-size=32] - Examples per batch (2 to 256).
 * @attr {number} [lr=0.1] - SGD learning rate (0.0001 to 100).
 * @attr {'relu' | 'tanh' | 'sigmoid'} [activation=relu] - The hidden layers' activation.
 * @attr {number} [layers=3] - Hidden layers (1 to 6).
 * @attr {number} [neurons=16] - Units per hidden layer (2 to 128).
 * @attr {'before' | 'after'} [placement=before] - Where the BN network's BatchNorm goes: `before` (Linear → BN → activation) or `after` (Linear → activation → BN).
 * @attr {'torch' | 'normal'} [init=torch] - Initial weights: `torch`, U(±1/√in) × scale, or `normal`, N(0, scale).
 * @attr {number} [init-scale=1] - Initial weight scale (0.001 to 100).
 * @attr {number} [seed=1] - Seed of the weights and of the data (0 to 999999).
 * @attr {string} [sections=curves,digit,shift,sweeps] - Which optional parts show, comma-separated: `curves` (the loss and accuracy charts), `digit` (draw a digit, on the digits), `shift` (internal covariate shift: the network diagram and percentile charts), `sweeps`. The controls and the two runs always show; an empty value shows only them.
 * @attr {number | 'max'} [speed=250] - Steps per second per network (the menu offers 10, 50, 250, 1000; any number from 1), or `max`: as fast as the engine goes. Changing it does not restart the runs.
 * @fires {CustomEvent<{ dataset: string, noise: number, batchSize: number, lr: number, activation: string, layers: number, neurons: number, placement: string, init: string, initScale: number, seed: number }>} bn-change - The lab's settings, whenever the reader changes one.
 * @csspart controls - The settings form.
 * @csspart plot - Each chart.
 * @csspart caption - The captions of the charts, diagrams and tables.
 */
export class BnTrainingLab extends BnBase {
  static override observedAttributes = [...BASE_ATTRIBUTES, ...FIELDS.map((f) => f.attr), 'speed', 'sections'];

  private config: LabConfig = { ...DEFAULTS };
  private worker: { postMessage(m: LabRequest): void; terminate(): void } | null = null;
  /** Where training runs: a module worker, or this thread when no worker could start. */
  private mode: 'worker' | 'page' = 'worker';
  private generation = 0;
  private playing = false;
  private history: [RunHistory, RunHistory] = [new RunHistory(), new RunHistory()];
  private readonly inputs = new Map<keyof LabConfig, HTMLInputElement | HTMLSelectElement>();
  private readonly panels: RunPanel[] = [];
  private readonly stepOut = el('output', 'step-count', 'step 0');
  private readonly paceOut = el('output', 'pace', '');
  private readonly speedSelect = el('select');
  private readonly milestones = el('p', 'milestones');
  private speed: number | null = DEFAULT_SPEED;
  /** (time, step) when progress arrived, for the measured pace: the last second's worth. */
  private paceSamples: [number, number][] = [];
  private lastRedraw = 0;
  private readonly playButton = el('button', 'primary', 'Play');
  private readonly message = el('p', 'message');
  private readonly lossChart = new LineChart({ title: 'Loss of each training batch (training mode)', xLabel: 'step', yLabel: 'cross-entropy', logY: true });
  private readonly evalLossChart = new LineChart({ title: 'Loss in eval mode: training set and test set', xLabel: 'step', yLabel: 'cross-entropy', logY: true });
  private readonly accChart = new LineChart({ title: 'Test accuracy', xLabel: 'step', yLabel: 'accuracy', yMin: 0, yMax: 1 });
  private readonly pctCharts = RUN_NAMES.map((name) => new LineChart({ title: `${name}: last hidden layer, unit 0 input (15/50/85th percentiles)`, xLabel: 'step', yLabel: 'pre-activation', height: 180 }));
  private readonly diagrams = RUN_NAMES.map((name, i) => new NetworkDiagram(name, RUN_COLORS[i]!, (layer, unit) => this.follow(layer, unit)));
  private readonly followText = el('p', 'note following');
  /** The hidden layer and unit whose percentiles are charted. */
  private watched: [number, number] = [0, 0];
  /** A unit was picked and its first recorded step has not arrived yet (the titles say "from the next step"). */
  private followPending = false;
  private readonly lrChart = new LineChart({ title: `Learning-rate sweep: test accuracy after ${SWEEP_STEPS} steps`, xLabel: 'learning rate', yLabel: 'accuracy', logX: true, yMin: 0, yMax: 1 });
  private readonly initChart = new LineChart({ title: `Initial-weight-scale sweep: test accuracy after ${SWEEP_STEPS} steps`, xLabel: 'weight scale', yLabel: 'accuracy', logX: true, yMin: 0, yMax: 1 });
  private readonly gapChart = new LineChart({ title: `Batch-size sweep: training minus test accuracy (eval mode) after ${GAP_STEPS} steps`, xLabel: 'batch size', yLabel: 'gap (points)', logX: true });
  private readonly sweepProgress = el('progress');
  private readonly sweepText = el('p', 'sweep-status');
  private readonly sweepTable = el('table', 'sweep-table');
  private readonly sweepCaption = el('p', 'sweep-caption');
  private readonly drawSection = el('section', 'draw');
  private readonly digitPad = new DigitPad((x) => this.predict(x));
  private readonly prediction = el('div', 'prediction');
  private readonly sweepButtons: HTMLButtonElement[] = [];
  private sweeping = false;
  private uiFrame = 0;
  private shownStep = 0;
  private reflecting = false;
  private built = false;
  /** The optional parts' elements, by name (the sections attribute). */
  private readonly sectionEls = new Map<LabSection, HTMLElement[]>();

  constructor() {
    // uPlot's stylesheet before the lab's, so the lab's own rules win where both style the charts.
    super([CHART_STYLESHEET, STYLESHEET]);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.config = parseConfig((a) => this.getAttribute(a));
    // Its controls, its charts (with uPlot, imported then), the worker, its engine and the first
    // configuration all wait until the lab comes near the viewport: a lab further down a page
    // costs nothing before the reader gets there.
    void nearViewport(this).then(async () => {
      let failure: unknown = null;
      await loadCharts().catch((e: unknown) => (failure = e));
      if (!this.isConnected) return;
      if (!this.built) this.build();
      this.config = parseConfig((a) => this.getAttribute(a)); // attributes set while it waited
      this.setSpeed(parseSpeed(this.getAttribute('speed')));
      this.syncForm();
      if (failure) this.fail(new Error(`its charts could not be loaded (${failure instanceof Error ? failure.message : String(failure)})`));
      else this.startWorker();
    });
  }

  disconnectedCallback(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (this.reflecting || old === value || !this.built) return;
    if (name === 'speed') return this.setSpeed(parseSpeed(value));
    if (name === 'sections') return this.showSections();
    const field = FIELDS.find((f) => f.attr === name);
    if (!field) return;
    const parsed = parseField(field, value);
    if (parsed === this.config[field.key]) return;
    this.config = { ...this.config, [field.key]: parsed };
    this.syncForm();
    this.configure();
  }

  /** The theme attribute or the host's scheme switched the tokens: the canvases redraw too. */
  protected override themeChanged(): void {
    if (this.built) this.redrawAll();
  }

  /** The optional parts the sections attribute asks for (all of them without it). */
  private shownSections(): Set<LabSection> {
    const raw = this.getAttribute('sections');
    if (raw === null) return new Set(LAB_SECTIONS);
    return new Set(raw.split(/[\s,]+/).filter((w): w is LabSection => (LAB_SECTIONS as readonly string[]).includes(w)));
  }

  /** Hides the optional parts the sections attribute leaves out. */
  private showSections(): void {
    const shown = this.shownSections();
    for (const [name, els] of this.sectionEls) {
      for (const e of els) e.hidden = !shown.has(name) || (name === 'digit' && this.config.dataset !== 'digits');
    }
  }

  /** The current control state (a copy). */
  get state(): LabConfig {
    return { ...this.config };
  }

  private build(): void {
    this.built = true;
    // Canvases do not follow CSS: redraw when the system scheme changes the page's tokens.
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.redrawAll());
    const wrap = part(el('div', 'lab'), 'surface');
    // Controls, built from the state table.
    const form = part(el('form', 'controls'), 'controls');
    form.setAttribute('aria-label', 'Training lab controls');
    form.addEventListener('submit', (e) => e.preventDefault());
    for (const f of FIELDS) {
      const id = `lab-${f.attr}`;
      const label = el('label', 'field');
      label.htmlFor = id;
      label.append(el('span', 'field-name', f.label));
      let input: HTMLInputElement | HTMLSelectElement;
      if (f.kind === 'choice' || f.options) {
        input = el('select');
        for (const c of f.kind === 'choice' ? f.choices : f.options!.map(String)) {
          const o = el('option', undefined, CHOICE_TEXT[c] ?? c);
          o.value = c;
          input.append(o);
        }
      } else {
        input = el('input');
        input.type = 'number';
        input.min = String(f.min);
        input.max = String(f.max);
        input.step = String(f.step || 'any');
      }
      input.id = id;
      input.name = f.attr;
      input.addEventListener('change', () => this.onControl(f.key, input.value));
      label.append(input);
      form.append(label);
      this.inputs.set(f.key, input);
    }
    // Transport.
    const transport = el('div', 'transport');
    this.playButton.type = 'button';
    this.playButton.addEventListener('click', () => this.send({ type: this.playing ? 'pause' : 'play' }, !this.playing));
    const stepButton = el('button', undefined, 'Step');
    stepButton.type = 'button';
    stepButton.title = 'Train 10 steps';
    stepButton.addEventListener('click', () => this.send({ type: 'step', steps: 10 }, false));
    const resetButton = el('button', undefined, 'Reset');
    resetButton.type = 'button';
    resetButton.addEventListener('click', () => this.configure());
    this.stepOut.setAttribute('aria-live', 'off');
    this.paceOut.setAttribute('aria-live', 'off');
    const speedLabel = el('label', 'speed');
    speedLabel.append(el('span', 'field-name', 'Speed'), this.speedSelect);
    this.speedSelect.name = 'speed';
    for (const [value, text] of SPEEDS) {
      const o = el('option', undefined, text);
      o.value = value;
      this.speedSelect.append(o);
    }
    this.speedSelect.addEventListener('change', () => {
      this.setSpeed(parseSpeed(this.speedSelect.value));
      this.reflecting = true;
      try {
        this.setAttribute('speed', this.speedSelect.value);
      } finally {
        this.reflecting = false;
      }
    });
    transport.append(this.playButton, stepButton, resetButton, speedLabel, this.stepOut, this.paceOut);
    this.milestones.setAttribute('role', 'status');
    const same = el('p', 'note', 'Both networks start from the same initial Linear weights and see the same mini-batches; the only difference is BatchNorm.');
    // The two runs.
    const runs = el('div', 'runs');
    RUN_NAMES.forEach((name, i) => {
      const panel = el('section', `run run-${i}`);
      panel.setAttribute('aria-label', name);
      const h = this.heading(name);
      const sw = el('span', 'swatch');
      sw.style.borderColor = RUN_COLORS[i]!;
      h.prepend(sw);
      const stats = el('p', 'stats', 'batch loss — · eval loss: train —, test — · test accuracy —');
      const status = el('p', 'status');
      status.setAttribute('role', 'status');
      const map = new BoundaryMap(`${name}: decision boundary`);
      const note = el('p', 'note', 'Decision boundaries are drawn for the 2-D datasets.');
      const dl = el('button', 'small', 'PNG');
      dl.type = 'button';
      dl.setAttribute('aria-label', `Download the ${name} decision boundary as PNG`);
      dl.addEventListener('click', () => void map.png().then((b) => download(b, `boundary-${i ? 'bn' : 'no-bn'}.png`, this.root)));
      const mapWrap = el('div', 'map');
      mapWrap.append(map.canvas, dl);
      panel.append(h, stats, status, mapWrap, note);
      runs.append(panel);
      this.panels.push({ stats, status, map, note });
    });
    // Curves.
    const curves = el('div', 'charts');
    curves.append(this.withPng(this.lossChart, 'loss'), this.withPng(this.evalLossChart, 'eval-mode loss'), this.withPng(this.accChart, 'accuracy'));
    const lossNote = el('p', 'note losses',
      'Why two loss charts: in training mode BatchNorm normalises each batch with that batch’s own mean and variance, so the network with BN computes a slightly different function on every batch, and its batch loss carries that noise. In eval mode BN uses its running statistics, as a trained network does, so the eval-mode losses compare the two networks fairly.');
    const csv = el('button', 'start', 'Download curves (CSV)');
    csv.type = 'button';
    csv.addEventListener('click', () => download(new Blob([this.csv()], { type: 'text/csv' }), 'training-curves.csv', this.root));
    // Covariate shift.
    const shift = el('section', 'shift');
    shift.append(
      this.heading('Internal covariate shift'),
      el('p', 'note', 'The input of one unit in the last hidden layer, over training: its 15th, 50th and 85th percentiles in each batch (Ioffe & Szegedy 2015, Figure 1). Without BN this distribution moves whenever the layers below it change (internal covariate shift); with BN it is re-centred and re-scaled every batch. The paper used sigmoid units; its setting is one click away. Both charts share one y axis, so their spreads compare directly.'),
    );
    const paper = el('button', 'start', 'Use the paper’s setting');
    paper.type = 'button';
    paper.addEventListener('click', () => this.apply(PAPER));
    // The numbers it sets, in view: those of the Figure 1 replica in docs/experiments.md.
    const paperText = el('span', 'note paper-setting', PAPER_TEXT);
    paper.setAttribute('aria-describedby', 'paper-setting');
    paperText.id = 'paper-setting';
    shift.append(paper, ' ', paperText);
    // The networks' hidden units, Playground-style: pick one to chart its percentiles instead.
    const nets = el('div', 'networks');
    this.diagrams.forEach((d, i) => {
      const box = el('figure', 'network-box');
      box.append(part(el('figcaption', undefined, `${RUN_NAMES[i]}: each box is one hidden unit, the histogram of its inputs in the last batch (−4 to 4)`), 'caption'), d.element);
      nets.append(box);
    });
    this.followText.setAttribute('role', 'status');
    shift.append(el('p', 'note', 'Pick a unit in either network to follow it in both percentile charts below.'), nets, this.followText);
    // One y axis for both percentile charts, so the drift is compared fairly.
    LineChart.shareY(this.pctCharts);
    const pct = el('div', 'charts');
    this.pctCharts.forEach((c, i) => pct.append(this.withPng(c, `percentiles-${i ? 'bn' : 'no-bn'}`)));
    shift.append(pct);
    // Sweeps.
    const sweeps = el('section', 'sweeps');
    sweeps.append(
      this.heading('Sweeps'),
      el('p', 'note', `Each point is ${SWEEP_SEEDS} fresh pairs of runs of ${SWEEP_STEPS} steps (${GAP_STEPS} in the batch-size sweep, long enough for both networks to fit their training set) with the controls above, one setting changed, for the seed above and the next ${SWEEP_SEEDS - 1}: in each pair the same data and initial weights with and without BN. The line is the mean over the seeds, the band one standard deviation either side; a verdict calls a difference only when it is larger than that seed-to-seed spread. A run whose loss blows up is marked “diverged”.`),
    );
    const sweepBar = el('div', 'transport');
    const lrButton = el('button', undefined, 'Sweep learning rate');
    const initButton = el('button', undefined, 'Sweep weight scale');
    const batchButton = el('button', undefined, 'Sweep batch size: train/test gap');
    for (const [b, kind] of [[lrButton, 'lr'], [initButton, 'init'], [batchButton, 'batch']] as const) {
      b.type = 'button';
      b.addEventListener('click', () => void this.runSweep(kind));
      this.sweepButtons.push(b);
    }
    this.sweepProgress.max = 1;
    this.sweepProgress.value = 0;
    this.sweepProgress.hidden = true;
    this.sweepText.setAttribute('role', 'status');
    sweepBar.append(lrButton, initButton, batchButton, this.sweepProgress);
    const sweepCharts = el('div', 'charts');
    sweepCharts.append(this.withPng(this.lrChart, 'lr-sweep'), this.withPng(this.initChart, 'init-sweep'), this.withPng(this.gapChart, 'batch-gap-sweep'));
    // On a phone a wide sweep table scrolls sideways inside its box (focusable, for keyboards).
    const tableBox = el('div', 'table-scroll');
    tableBox.tabIndex = 0;
    tableBox.setAttribute('role', 'region');
    tableBox.setAttribute('aria-label', 'Sweep results (scrolls sideways)');
    tableBox.append(this.sweepTable);
    sweeps.append(sweepBar, this.sweepText, sweepCharts, this.sweepCaption, tableBox);
    this.message.setAttribute('role', 'alert');
    // Draw a digit (the digits dataset only).
    this.drawSection.append(
      this.heading('Draw a digit'),
      el('p', 'note', 'Train both networks on the digits, then draw a digit from 0 to 9 in the box: each network classifies your drawing in eval mode (BatchNorm with its running statistics), and then in training mode, where your one drawing is a batch of one.'),
      this.digitPad.element,
      this.prediction,
    );
    this.prediction.setAttribute('role', 'status');
    wrap.append(form, transport, this.milestones, same, this.message, runs, curves, lossNote, csv, this.drawSection, shift, sweeps);
    this.sectionEls.set('curves', [curves, lossNote, csv]);
    this.sectionEls.set('digit', [this.drawSection]);
    this.sectionEls.set('shift', [shift]);
    this.sectionEls.set('sweeps', [sweeps]);
    this.root.append(wrap);
    // Sweep charts appear with their first results.
    this.lrChart.element.hidden = true;
    this.initChart.element.hidden = true;
    this.gapChart.element.hidden = true;
  }

  private withPng(chart: LineChart, name: string): HTMLElement {
    const b = el('button', 'small', 'PNG');
    b.type = 'button';
    b.setAttribute('aria-label', `Download the ${name} chart as PNG`);
    b.addEventListener('click', () => void chart.png().then((blob) => download(blob, `${name}.png`, this.root)));
    chart.element.append(b);
    return chart.element;
  }

  private syncForm(): void {
    for (const f of FIELDS) {
      const input = this.inputs.get(f.key)!;
      const value = String(this.config[f.key]);
      if (input instanceof HTMLSelectElement && ![...input.options].some((o) => o.value === value)) {
        // A value set by attribute that is not among the choices gets one extra option, reused
        // for the next such value (so the list never grows beyond its choices plus one).
        let custom = [...input.options].find((o) => o.dataset.custom !== undefined);
        if (!custom) {
          custom = el('option');
          custom.dataset.custom = '';
          input.append(custom);
        }
        custom.value = value;
        custom.textContent = value;
      }
      input.value = value;
    }
    const dark = this.config.dataset === 'digits';
    this.showSections();
    this.drawSection.hidden = !dark || !this.shownSections().has('digit');
    this.panels.forEach((p) => {
      p.map.canvas.parentElement!.hidden = dark;
      p.note.hidden = !dark;
    });
  }

  private onControl(key: keyof LabConfig, raw: string): void {
    const field = FIELDS.find((f) => f.key === key)!;
    this.apply({ [key]: parseField(field, raw) });
  }

  /** Applies control values (already parsed), reflects them, announces them, restarts the runs. */
  private apply(values: Partial<LabConfig>): void {
    this.config = { ...this.config, ...values };
    this.syncForm();
    this.reflecting = true;
    try {
      for (const f of FIELDS) this.setAttribute(f.attr, String(this.config[f.key]));
    } finally {
      this.reflecting = false;
    }
    this.emit('change', this.state);
    this.configure();
  }

  private startWorker(): void {
    if (this.worker) return;
    let worker: Worker;
    try {
      worker = new Worker(new URL('./lab-worker.js', import.meta.url), { type: 'module' });
    } catch {
      this.startInThread();
      return;
    }
    this.worker = { postMessage: (m) => worker.postMessage(m), terminate: () => worker.terminate() };
    worker.addEventListener('message', (e: MessageEvent<LabReply>) => this.onReply(e.data));
    // A worker that cannot load (an old browser, a stricter CSP) fails before its first reply:
    // train on this thread instead, in chunks small enough to keep the page painting.
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      if (this.dataset.state === 'ready' || this.mode === 'page') return this.fail(new Error(e.message || 'the training worker failed'));
      worker.terminate();
      this.worker = null;
      this.startInThread();
    });
    this.mode = 'worker';
    this.dataset.mode = 'worker';
    this.configure();
  }

  private startInThread(): void {
    const engine = new LabEngine({
      post: (m) => this.onReply(m),
      rest: () => new Promise<void>((r) => requestAnimationFrame(() => r())),
      lab: pageLab,
      budget: 6,
    });
    this.worker = { postMessage: (m) => engine.receive(m), terminate: () => engine.receive({ type: 'pause' }) };
    this.mode = 'page';
    this.dataset.mode = 'page';
    this.configure();
  }

  private fail(e: unknown): void {
    this.message.textContent = `Training could not run here: ${e instanceof Error ? e.message : String(e)}`;
    this.setPlaying(false);
  }

  /** Sends the state to the worker, which rebuilds both runs from scratch. */
  private configure(): void {
    this.setPlaying(false);
    cancelAnimationFrame(this.uiFrame);
    this.uiFrame = 0;
    this.history = [new RunHistory(), new RunHistory()];
    this.generation = -1;
    this.stepOut.textContent = 'step 0';
    this.message.textContent = '';
    this.dataset.state = 'loading';
    for (const p of this.panels) {
      p.stats.textContent = 'batch loss — · eval loss: train —, test — · test accuracy —';
      p.status.textContent = '';
    }
    this.paceSamples = [];
    this.paceOut.textContent = '';
    this.milestones.textContent = '';
    this.redrawCurves();
    this.worker?.postMessage({ type: 'config', config: this.config } satisfies LabRequest);
    this.worker?.postMessage({ type: 'speed', stepsPerSecond: this.speed } satisfies LabRequest);
  }

  /** The pace of training while playing (steps per second per network; null: as fast as it goes). */
  private setSpeed(speed: number | null): void {
    this.speed = speed;
    const value = speedValue(speed);
    if (![...this.speedSelect.options].some((o) => o.value === value)) {
      // A pace set by attribute that is not among the choices: one extra option, reused.
      let custom = [...this.speedSelect.options].find((o) => o.dataset.custom !== undefined);
      if (!custom) {
        custom = el('option');
        custom.dataset.custom = '';
        this.speedSelect.append(custom);
      }
      custom.value = value;
      custom.textContent = `${Number(value).toLocaleString('en-US')} steps/s`;
    }
    this.speedSelect.value = value;
    this.paceSamples = [];
    this.worker?.postMessage({ type: 'speed', stepsPerSecond: speed } satisfies LabRequest);
  }

  private send(msg: LabRequest, playing: boolean): void {
    if (!this.worker || this.dataset.state !== 'ready') return;
    this.setPlaying(playing);
    this.worker.postMessage(msg);
  }

  private setPlaying(on: boolean): void {
    this.playing = on;
    this.playButton.textContent = on ? 'Pause' : 'Play';
  }

  private onReply(r: LabReply): void {
    if (r.type === 'error') return this.fail(new Error(r.message));
    if (r.type === 'ready') {
      this.generation = r.generation;
      this.dataset.state = 'ready';
      for (const p of this.panels) p.map.setData(r.points, r.labels);
      // A new pair of networks watches the default unit again: unit 0 of the last hidden layer.
      this.watched = [this.config.layers - 1, 0];
      for (const d of this.diagrams) {
        d.reset();
        d.select(...this.watched);
      }
      this.pctCharts.forEach((c, i) => c.setTitle(`${RUN_NAMES[i]}: last hidden layer, unit 0 input (15/50/85th percentiles)`));
      this.followText.textContent = '';
      return;
    }
    if (r.generation !== this.generation) return;
    if (r.type === 'prediction') return this.showPrediction(r.step, r.runs);
    if (!r.playing && this.playing) this.setPlaying(false);
    this.shownStep = r.step;
    const now = performance.now();
    if (r.playing) {
      this.paceSamples.push([now, r.step]);
      while (this.paceSamples.length > 2 && now - this.paceSamples[0]![0] > 1000) this.paceSamples.shift();
    } else this.paceSamples = [];
    // Chunks trained before a newly picked unit reached the engine hold the old unit's percentiles.
    const watching = r.watch[0] === this.watched[0] && r.watch[1] === this.watched[1];
    r.runs.forEach((c, i) => {
      this.history[i]!.add(watching ? c : { ...c, percentiles: new Float32Array(0) });
      if (c.grid && isToy(this.config.dataset)) this.panels[i]!.map.setGrid(c.grid);
      if (c.units) this.diagrams[i]!.update(c.units);
    });
    if (this.followPending && this.history.some((h) => h.pctStep.n > 0)) this.titleFollowed();
    // Text and charts follow once per frame, however many chunks arrived in between.
    this.uiFrame ||= requestAnimationFrame(() => {
      this.uiFrame = 0;
      this.stepOut.textContent = `step ${this.shownStep}`;
      this.paceOut.textContent = this.pace();
      this.milestones.textContent = this.milestoneText();
      this.updatePanel(0);
      this.updatePanel(1);
      // Charts redraw in time linear in the steps they hold: a long run redraws them less often
      // (every 40 ms per 20,000 steps held), so that a fast run keeps the page at 60 fps.
      const now = performance.now();
      if (!r.playing || now - this.lastRedraw >= (40 * this.shownStep) / 20_000) {
        this.lastRedraw = now;
        this.redrawCurves();
      }
    });
  }

  /** Charts the percentiles of hidden layer `layer`'s unit `unit` from the next step on, in both networks. */
  private follow(layer: number, unit: number): void {
    if (!this.worker || this.dataset.state !== 'ready') return;
    this.worker.postMessage({ type: 'watch', layer, unit } satisfies LabRequest);
    this.watched = [layer, unit];
    for (const d of this.diagrams) d.select(layer, unit);
    for (const h of this.history) h.clearPercentiles();
    this.titleFollowed();
    this.redrawCurves();
  }

  /** The percentile charts' titles and the status line, from the first step recorded for the unit followed. */
  private titleFollowed(): void {
    const [layer, unit] = this.watched;
    const h = this.history.find((x) => x.pctStep.n > 0);
    const from = h ? ` from step ${h.pctStep.data[0]}` : ' from the next step';
    this.followPending = !h;
    this.pctCharts.forEach((c, i) => c.setTitle(`${RUN_NAMES[i]}: layer ${layer + 1}, unit ${unit} input${from} (15/50/85th percentiles)`));
    this.followText.textContent = `Following layer ${layer + 1}, unit ${unit} in both networks${from}.`;
  }

  /** Asks both networks for their answer on the learner's drawing. */
  private predict(x: Float32Array): void {
    if (!this.worker || this.dataset.state !== 'ready') {
      this.prediction.textContent = 'The networks are not ready yet: wait a moment and draw again.';
      return;
    }
    this.worker.postMessage({ type: 'predict', x } satisfies LabRequest);
  }

  private showPrediction(step: number, runs: [Prediction, Prediction]): void {
    const top = (p: Float32Array) => {
      let k = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[k]!) k = i;
      return { k, p: p[k]! };
    };
    const say = (p: Float32Array) => {
      const t = top(p);
      return `${t.k} (${fmt(100 * t.p, 0)}%)`;
    };
    const blocks = runs.map((r, i) => {
      const box = el('div', `guess run-${i}`);
      box.dataset.class = String(top(r.evalProbs).k);
      const h = el('p', 'guess-head', `${RUN_NAMES[i]}, eval mode: ${say(r.evalProbs)}`);
      const bars = el('div', 'bars');
      bars.setAttribute('aria-hidden', 'true');
      r.evalProbs.forEach((p, c) => {
        const bar = el('span', 'bar');
        bar.style.setProperty('--p', String(p));
        bar.style.backgroundColor = RUN_COLORS[i]!;
        bar.title = `${c}: ${fmt(100 * p, 1)}%`;
        const lab = el('span', 'bar-label', String(c));
        const col = el('span', 'bar-col');
        col.append(bar, lab);
        bars.append(col);
      });
      const train = el('p', 'guess-train');
      train.dataset.mode = 'train';
      if (r.trainProbs) {
        const same = top(r.trainProbs).k === top(r.evalProbs).k && Math.abs(top(r.trainProbs).p - top(r.evalProbs).p) < 5e-3;
        train.textContent = `Training mode, your drawing as a batch of one: ${say(r.trainProbs)}${same ? ', the same: without BatchNorm the two modes compute the same function.' : '.'}`;
      } else {
        train.textContent = `Training mode, your drawing as a batch of one: ${r.trainError}. BatchNorm would normalise with the batch’s own mean and variance, and one example has no variance; in eval mode it uses its running statistics instead, which is why a trained network predicts in eval mode.`;
      }
      box.append(h, bars, train);
      return box;
    });
    this.prediction.replaceChildren(el('p', 'note', `After ${step} training steps:`), ...blocks);
  }

  /** The measured pace over the last second of progress, per network ('' when not playing). */
  private pace(): string {
    const s = this.paceSamples;
    if (s.length < 2 || !this.playing) return '';
    const [t0, s0] = s[0]!;
    const [t1, s1] = s[s.length - 1]!;
    if (t1 - t0 < 200) return '';
    return `${Math.round(((s1 - s0) * 1000) / (t1 - t0)).toLocaleString('en-US')} steps/s per network`;
  }

  /** The first evaluation at which each run reached MILESTONE test accuracy, or null. */
  private milestoneSteps(): (number | null)[] {
    return this.history.map((h) => {
      for (let i = 0; i < h.evalAcc.n; i++) if (h.evalAcc.data[i]! >= MILESTONE) return h.evalStep.data[i]!;
      return null;
    });
  }

  private milestoneText(): string {
    const at = this.milestoneSteps();
    if (this.history.every((h) => h.evalAcc.n === 0)) return '';
    const say = (i: number) => `${RUN_NAMES[i]![0]!.toLowerCase()}${RUN_NAMES[i]!.slice(1)}: ${at[i] === null ? 'not yet' : `step ${at[i]}`}`;
    return `${fmt(100 * MILESTONE, 0)}% test accuracy reached ${say(1)}; ${say(0)}.`;
  }

  private updatePanel(i: number): void {
    const h = this.history[i]!;
    const p = this.panels[i]!;
    // The last 20 steps' mean batch loss: one batch's loss is too noisy to read.
    const k = Math.min(20, h.loss.n);
    let sum = 0;
    for (let j = h.loss.n - k; j < h.loss.n; j++) sum += h.loss.data[j]!;
    const last = (c: Column) => (c.n ? fmtMeasured(c.data[c.n - 1]!, 3) : '—');
    const batch = k ? fmtMeasured(sum / k, 3) : '—';
    const acc = h.evalAcc.n ? `${fmt(100 * h.evalAcc.data[h.evalAcc.n - 1]!, 1)}%` : '—';
    p.stats.textContent = `batch loss ${batch} · eval loss: train ${last(h.trainEvalLoss)}, test ${last(h.evalLoss)} · test accuracy ${acc}`;
    p.status.textContent = h.divergedAt !== null
      ? `diverged at step ${h.divergedAt}`
      : diagnose({
        activation: this.config.activation,
        health: h.health,
        accuracy: h.evalAcc.n ? h.evalAcc.data[h.evalAcc.n - 1]! : null,
        chance: isToy(this.config.dataset) ? 0.5 : 0.1,
        step: h.step.n ? h.step.data[h.step.n - 1]! : 0,
      });
  }

  private redrawCurves(): void {
    const [a, b] = this.history;
    const line = (i: number, x: Column, y: Column): Series => ({ label: RUN_NAMES[i]!, color: RUN_COLORS[i]!, dash: i ? undefined : [6, 3], x: x.data, y: y.data, n: y.n });
    const marks = (pick: (h: RunHistory) => number): Mark[] =>
      this.history.flatMap((h, i) => (h.divergedAt !== null ? [{ x: h.divergedAt, y: pick(h), text: 'diverged', color: RUN_COLORS[i]! }] : []));
    this.lossChart.set([line(0, a.step, a.loss), line(1, b.step, b.loss)], [], marks(() => NaN));
    // Eval mode: the training set as lines, the test set as lines with a dot at each evaluation.
    const evalLine = (i: number, x: Column, y: Column, set: string, points: boolean): Series => ({ ...line(i, x, y), label: `${RUN_NAMES[i]!}, ${set}`, points });
    this.evalLossChart.set([
      evalLine(0, a.trainEvalStep, a.trainEvalLoss, 'training set', false), evalLine(1, b.trainEvalStep, b.trainEvalLoss, 'training set', false),
      evalLine(0, a.evalStep, a.evalLoss, 'test set', true), evalLine(1, b.evalStep, b.evalLoss, 'test set', true),
    ], [], marks(() => NaN));
    const reached = this.milestoneSteps().flatMap((x, i) => (x === null ? [] : [{ x, y: MILESTONE, text: `reached ${fmt(100 * MILESTONE, 0)}%`, color: RUN_COLORS[i]! }]));
    this.accChart.set([line(0, a.evalStep, a.evalAcc), line(1, b.evalStep, b.evalAcc)], [], [...marks(() => 0.05), ...reached]);
    this.pctCharts.forEach((c, i) => {
      const h = this.history[i]!;
      const band: Band = { color: RUN_COLORS[i]!, x: h.pctStep.data, lo: h.p15.data, hi: h.p85.data, n: h.p15.n };
      c.set([{ label: `${RUN_NAMES[i]}: median; band 15th–85th percentile`, color: RUN_COLORS[i]!, x: h.pctStep.data, y: h.p50.data, n: h.p50.n }], [band]);
    });
  }

  private redrawAll(): void {
    for (const c of [this.lossChart, this.evalLossChart, this.accChart, ...this.pctCharts, this.lrChart, this.initChart, this.gapChart]) c.schedule();
  }

  private async runSweep(kind: 'lr' | 'init' | 'batch'): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    for (const b of this.sweepButtons) b.disabled = true;
    const values = kind === 'lr' ? LR_SWEEP : kind === 'init' ? SCALE_SWEEP : BATCH_SWEEP;
    const name = kind === 'lr' ? 'learning rate' : kind === 'init' ? 'weight scale' : 'batch size';
    const steps = kind === 'batch' ? GAP_STEPS : SWEEP_STEPS;
    // Job order: value, then network (without, with BN), then seed.
    const jobs = values.flatMap((v) =>
      [false, true].flatMap((bn) => Array.from({ length: SWEEP_SEEDS }, (_, k) => {
        const c = kind === 'lr' ? { ...this.config, lr: v } : kind === 'init' ? { ...this.config, initScale: v } : { ...this.config, batchSize: v };
        const job = sweepJob({ ...c, seed: this.config.seed + k }, bn, steps, `${name} ${v}, ${bn ? 'BN' : 'no BN'}, seed ${this.config.seed + k}`);
        return kind === 'batch' ? { ...job, evalTrainSet: true } : job;
      })),
    );
    let done = 0;
    this.sweepProgress.hidden = false;
    this.sweepProgress.max = jobs.length;
    this.sweepProgress.value = 0;
    this.sweepText.textContent = `Sweeping ${name}: 0 / ${jobs.length} runs`;
    try {
      const onResult = () => {
        done++;
        this.sweepProgress.value = done;
        this.sweepText.textContent = `Sweeping ${name}: ${done} / ${jobs.length} runs`;
      };
      const results = this.mode === 'worker' ? await sweep(jobs, { onResult }) : await this.sweepInThread(jobs, onResult);
      if (kind === 'batch') this.showGapSweep(values, results);
      else this.showSweep(kind, values, results);
      this.sweepText.textContent = `Sweep of ${name} done: ${jobs.length} runs of ${steps} steps (${values.length} values × 2 networks × ${SWEEP_SEEDS} seeds).`;
    } catch (e) {
      this.sweepText.textContent = `The sweep failed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.sweeping = false;
      this.sweepProgress.hidden = true;
      for (const b of this.sweepButtons) b.disabled = false;
    }
  }

  /** The sweep on this thread (no workers here): one job at a time, in chunks of 50 steps. */
  private async sweepInThread(jobs: TrainingJob[], onResult: () => void): Promise<TrainingResult[]> {
    return runJobsInThread(await pageLab(), jobs, { chunk: 50, onResult });
  }

  private showSweep(kind: 'lr' | 'init', values: number[], results: TrainingResult[]): void {
    const x = Float32Array.from(values);
    const series: Series[] = [];
    const bands: Band[] = [];
    const marks: Mark[] = [];
    const what = kind === 'lr' ? 'learning rate' : 'weight scale';
    // Per value and network: the seeds' final test accuracies (null where the run diverged).
    const acc = values.map((_, i) => [0, 1].map((bn) => Array.from({ length: SWEEP_SEEDS }, (_, k) => {
      const r = results[(2 * i + bn) * SWEEP_SEEDS + k]!;
      return r.diverged || !r.evalAccuracy.length ? null : r.evalAccuracy[r.evalAccuracy.length - 1]!;
    })));
    const stats = acc.map((pair) => pair.map(sweepStats));
    for (let bn = 0; bn < 2; bn++) {
      const y = Float32Array.from(stats, (p) => p[bn]!.mean);
      const lo = Float32Array.from(stats, (p) => p[bn]!.mean - p[bn]!.sd);
      const hi = Float32Array.from(stats, (p) => p[bn]!.mean + p[bn]!.sd);
      values.forEach((v, i) => {
        if (stats[i]![bn]!.n === 0) marks.push({ x: v, y: bn ? 0.1 : 0.04, text: 'diverged', color: RUN_COLORS[bn]! });
      });
      series.push({ label: `${RUN_NAMES[bn]!}: mean of ${SWEEP_SEEDS} seeds`, color: RUN_COLORS[bn]!, dash: bn ? undefined : [6, 3], x, y, n: values.length, points: true });
      bands.push({ color: RUN_COLORS[bn]!, x, lo, hi, n: values.length });
    }
    const chart = kind === 'lr' ? this.lrChart : this.initChart;
    chart.element.hidden = false;
    chart.set(series, bands, marks);
    const verdicts = stats.map(([plain, bn]) => sweepVerdict(plain!, bn!));
    const thead = tableHead([what, `${RUN_NAMES[0]} (mean ± sd)`, `${RUN_NAMES[1]} (mean ± sd)`, 'verdict']);
    const caption = part(el('caption', undefined, `Test accuracy after ${SWEEP_STEPS} steps, by ${kind === 'lr' ? 'learning rate' : 'initial weight scale'}, over ${SWEEP_SEEDS} seeds`), 'caption');
    const body = el('tbody');
    values.forEach((v, i) => {
      const tr = el('tr');
      tr.append(el('th', undefined, String(v)));
      for (let bn = 0; bn < 2; bn++) tr.append(el('td', undefined, sweepCell(stats[i]![bn]!, this.chance())));
      const verdict = el('td', 'verdict', verdicts[i]!.text);
      verdict.dataset.better = verdicts[i]!.better;
      tr.append(verdict);
      body.append(tr);
    });
    this.sweepTable.replaceChildren(caption, thead, body);
    this.sweepCaption.textContent = sweepCaption(what, values, verdicts);
  }

  /** The accuracy of guessing on the current dataset. */
  private chance(): number {
    return this.config.dataset === 'digits' ? 0.1 : 0.5;
  }

  /**
   * The regularisation sweep: per batch size, each network's eval-mode accuracy on its training set
   * and on the test set, the gap between them, a verdict on the gaps, and a caption that says
   * whether BN's gap follows its batch noise (largest at the smallest batch).
   */
  private showGapSweep(values: number[], results: TrainingResult[]): void {
    const x = Float32Array.from(values);
    const at = (i: number, bn: number, k: number) => results[(2 * i + bn) * SWEEP_SEEDS + k]!;
    const seedsOf = (i: number, bn: number, f: (r: TrainingResult) => number) => Array.from({ length: SWEEP_SEEDS }, (_, k) => {
      const r = at(i, bn, k);
      return r.diverged || !r.trainEval || !r.evalAccuracy.length ? null : f(r);
    });
    const testAcc = (r: TrainingResult) => r.evalAccuracy[r.evalAccuracy.length - 1]!;
    const stats = values.map((_, i) => [0, 1].map((bn) => ({
      train: sweepStats(seedsOf(i, bn, (r) => r.trainEval!.accuracy)),
      test: sweepStats(seedsOf(i, bn, testAcc)),
      gap: sweepStats(seedsOf(i, bn, (r) => r.trainEval!.accuracy - testAcc(r))),
    })));
    const series: Series[] = [];
    const bands: Band[] = [];
    for (let bn = 0; bn < 2; bn++) {
      const g = stats.map((p) => p[bn]!.gap);
      series.push({ label: `${RUN_NAMES[bn]!}: mean of ${SWEEP_SEEDS} seeds`, color: RUN_COLORS[bn]!, dash: bn ? undefined : [6, 3], x, y: Float32Array.from(g, (s) => 100 * s.mean), n: values.length, points: true });
      bands.push({ color: RUN_COLORS[bn]!, x, lo: Float32Array.from(g, (s) => 100 * (s.mean - s.sd)), hi: Float32Array.from(g, (s) => 100 * (s.mean + s.sd)), n: values.length });
    }
    this.gapChart.element.hidden = false;
    this.gapChart.set(series, bands, []);
    const verdicts = stats.map(([plain, bn]) => gapVerdict(plain!, bn!));
    const chance = this.chance();
    const thead = tableHead(['batch size', `${RUN_NAMES[0]}: train / test`, 'gap', `${RUN_NAMES[1]}: train / test`, 'gap', 'verdict']);
    const caption = part(el('caption', undefined, `Accuracy in eval mode on the training set and on the test set after ${GAP_STEPS} steps, and the gap between them in points (mean ± sd over ${SWEEP_SEEDS} seeds), by batch size`), 'caption');
    const body = el('tbody');
    const gapCell = (s: SweepStats) => (s.n ? `${fmt(100 * s.mean, 1)} ± ${fmt(100 * s.sd, 1)}` : '–');
    values.forEach((v, i) => {
      const tr = el('tr');
      tr.append(el('th', undefined, String(v)));
      for (let bn = 0; bn < 2; bn++) {
        const p = stats[i]![bn]!;
        tr.append(el('td', undefined, `${sweepCell(p.train, chance)} / ${sweepCell(p.test, chance)}`), el('td', 'gap', gapCell(p.gap)));
      }
      const verdict = el('td', 'verdict', verdicts[i]!.text);
      verdict.dataset.better = verdicts[i]!.better;
      tr.append(verdict);
      body.append(tr);
    });
    this.sweepTable.replaceChildren(caption, thead, body);
    this.sweepCaption.textContent = gapCaption(values, stats, verdicts);
  }

  private csv(): string {
    const [a, b] = this.history;
    const rows = ['step,loss_no_bn,loss_bn,test_accuracy_no_bn,test_accuracy_bn,eval_train_loss_no_bn,eval_train_loss_bn,eval_test_loss_no_bn,eval_test_loss_bn,p15_no_bn,p50_no_bn,p85_no_bn,p15_bn,p50_bn,p85_bn'];
    const at = (steps: Column, values: Column) => {
      const m = new Map<number, number>();
      for (let i = 0; i < steps.n; i++) m.set(steps.data[i]!, values.data[i]!);
      return m;
    };
    const cols = [at(a.evalStep, a.evalAcc), at(b.evalStep, b.evalAcc), at(a.trainEvalStep, a.trainEvalLoss), at(b.trainEvalStep, b.trainEvalLoss), at(a.evalStep, a.evalLoss), at(b.evalStep, b.evalLoss)];
    // The percentiles of the unit followed, from the step it was picked (all steps by default).
    const pcts = [at(a.pctStep, a.p15), at(a.pctStep, a.p50), at(a.pctStep, a.p85), at(b.pctStep, b.p15), at(b.pctStep, b.p50), at(b.pctStep, b.p85)];
    const n = Math.max(a.loss.n, b.loss.n);
    const v = (c: Column, i: number) => (i < c.n && Number.isFinite(c.data[i]!) ? String(c.data[i]) : '');
    for (let i = 0; i < n; i++) {
      const s = i + 1;
      const p = (m: Map<number, number>) => {
        const x = m.get(s);
        return x === undefined || !Number.isFinite(x) ? '' : String(x);
      };
      rows.push([s, v(a.loss, i), v(b.loss, i), ...cols.map((m) => m.get(s) ?? ''), ...pcts.map(p)].join(','));
    }
    return `${rows.join('\n')}\n`;
  }
}

defineElement('bn-training-lab', BnTrainingLab);

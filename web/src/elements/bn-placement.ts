// <bn-placement dataset="digits" seeds="5" steps="800">: measures where BatchNorm goes. Run trains
// the same network twice per seed, Linear → BN → act ('before') and Linear → act → BN ('after'),
// from the same initial Linear weights on the same batches, over several seeds, off the main
// thread: one sweep() per seed runs its two placements on two workers, so Cancel really stops
// the training (the pair under way finishes, unseen; no further seed starts). It then
// shows each run's final test accuracy and loss, the mean and spread over seeds (the engine's
// mean and standard deviation, lab.standardize) and a verdict: which placement did better, by
// how much, and whether that is more than the seeds disagree among themselves.
// The training settings are the training lab's attributes (lab-state.ts; `placement` is the
// thing measured, so it is ignored); `seed` is the first seed. Emits `bn-change` with
// { dataset } when the learner picks a dataset, and `bn-result` with the summary after a run.
import { numberAttr } from './base/attributes.js';
import { el, part, selectControl, svgEl, tableHead } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt } from './base/format.js';
import { CHOICE_TEXT, DATASETS, parseConfig, sweepJob, type LabConfig, type LabDataset } from './training-lab/lab-state.js';
import { niceStep, placementVerdict, type Metric, type Summary, type Verdict } from './base/measure.js';
import type { TrainingJob, TrainingResult } from '../jobs/job.js';
import { RunControl, runJobs, type JobProgress } from './base/run-jobs.js';

const PLACEMENTS = ['before', 'after'] as const;
/** A run that reports no progress for this long has lost its workers (one that fails to load never answers). */
const STALL_MS = 60_000;
type Placement = (typeof PLACEMENTS)[number];

const ACCURACY: Metric = { label: 'test accuracy', higherIsBetter: true, scale: 100, unit: '%', gapUnit: 'points', digits: 2 };
const LOSS: Metric = { label: 'test loss', higherIsBetter: false, scale: 1, unit: '', gapUnit: '', digits: 3 };

/** One run's final numbers (NaN when it diverged). */
interface Outcome {
  seed: number;
  accuracy: number;
  loss: number;
  diverged: boolean;
}

/** One placement's results over the seeds, with the engine's statistics. */
interface Group {
  placement: Placement;
  name: string;
  /** The name without "Linear → ", for the charts' row labels. */
  short: string;
  runs: Outcome[];
  accuracy: Summary;
  loss: Summary;
}

function outcome(seed: number, r: TrainingResult): Outcome {
  const ok = !r.diverged && r.evalAccuracy.length > 0;
  return {
    seed,
    accuracy: ok ? r.evalAccuracy[r.evalAccuracy.length - 1]! : NaN,
    loss: ok ? r.evalLoss[r.evalLoss.length - 1]! : NaN,
    diverged: !ok,
  };
}

/**
 * Where BatchNorm goes, measured: Linear → BN → activation against Linear → activation → BN, over several seeds.
 *
 * @attr {'digits' | 'spiral' | 'circle' | 'xor' | 'gauss'} [dataset=digits] - The training set (also from its menu).
 * @attr {number} [seeds=5] - Seeds to train (2 to 10).
 * @attr {number} [steps=800] - Training steps of each run (50 to 5000).
 * @attr {number} [noise=0.1] - Label noise of the toy sets (0 to 0.5).
 * @attr {number} [batch-size=32] - Examples per batch (2 to 256).
 * @attr {number} [lr=0.1] - SGD learning rate (0.0001 to 100).
 * @attr {'relu' | 'tanh' | 'sigmoid'} [activation=relu] - The hidden layers' activation.
 * @attr {number} [layers=3] - Hidden layers (1 to 6).
 * @attr {number} [neurons=16] - Units per hidden layer (2 to 128).
 * @attr {'torch' | 'normal'} [init=torch] - Initial weights: `torch`, U(±1/√in) × scale, or `normal`, N(0, scale).
 * @attr {number} [init-scale=1] - Initial weight scale (0.001 to 100).
 * @attr {number} [seed=1] - The first seed (0 to 999999).
 * @fires {CustomEvent<{ dataset: string }>} bn-change - From its dataset menu.
 * @fires {CustomEvent} bn-result - After a run: each placement's means and standard deviations, and the verdict.
 * @csspart controls - The menu and the Run button.
 * @csspart plot - Each metric's strip of runs.
 * @csspart caption - The captions of the strips and of the table.
 */
export class BnPlacement extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'dataset', 'seeds', 'steps', 'noise', 'batch-size', 'lr', 'activation', 'layers', 'neurons', 'init', 'init-scale', 'seed'];
  protected override readonly rerenderOnResize = true;
  private built = false;
  private results: Outcome[][] = [];
  private resultKey = '';
  private readonly setup = el('p', 'hint placement-setup');
  private readonly datasetIn = el('select');
  private readonly runs = new RunControl('placement-status', { start: 'Run the comparison', again: 'Run again' },
    'Not run yet: press the button to train both placements.', { run: () => void this.run(), cancel: () => this.cancel() });
  private readonly charts = el('div', 'placement-charts');
  private readonly table = el('table', 'nums placement-table');
  private readonly verdict = el('p', 'verdict placement-verdict');
  private perSeed = el('ul', 'per-seed');

  private get config(): LabConfig {
    return parseConfig((a) => (a === 'dataset' ? this.getAttribute(a) ?? 'digits' : this.getAttribute(a)));
  }
  private get seeds(): number { return Math.round(numberAttr(this.getAttribute('seeds'), 5, 2, 10)); }
  private get steps(): number { return Math.round(numberAttr(this.getAttribute('steps'), 800, 50, 5000)); }

  /** Settings that make a result: a change of any of them makes the shown results stale. */
  private key(): string {
    return JSON.stringify([this.config, this.seeds, this.steps]);
  }

  disconnectedCallback(): void {
    if (this.runs.running) this.cancel();
  }

  protected render(): void {
    if (!this.built) this.build();
    const c = this.config;
    this.datasetIn.value = c.dataset;
    this.setup.textContent = this.describe(c);
    if (this.results.length && this.resultKey !== this.key() && !this.runs.running) {
      this.results = [];
      this.runs.end(false, 'The settings changed: run the comparison again to measure them.');
    }
    this.show();
  }

  private names(c: LabConfig): Record<Placement, string> {
    const act = CHOICE_TEXT[c.activation] ?? c.activation;
    return { before: `Linear → BN → ${act}`, after: `Linear → ${act} → BN` };
  }

  private describe(c: LabConfig): string {
    const spec = this.jobs(c, c.seed)[0]!.dataset;
    const data = spec.kind === 'toy'
      ? `the ${CHOICE_TEXT[c.dataset] ?? c.dataset} set (${spec.n ?? 500} training points, noise ${fmt(c.noise, 2)})`
      : 'the handwritten digits (8×8 pixels, 10 classes)';
    const act = CHOICE_TEXT[c.activation] ?? c.activation;
    return `Each run: ${data}, ${c.layers} hidden layer${c.layers === 1 ? '' : 's'} of ${c.neurons} ${act} units with BatchNorm, SGD with learning rate ${fmt(c.lr, 4)} on batches of ${c.batchSize}, ${this.steps} steps; seeds ${c.seed} to ${c.seed + this.seeds - 1}. Within a seed both placements start from the same Linear weights and see the same batches.`;
  }

  private build(): void {
    this.built = true;
    const controls = part(el('div', 'controls'), 'controls');
    const field = selectControl(this.datasetIn, 'Dataset', DATASETS.map((d) => [d, CHOICE_TEXT[d] ?? d] as const), (value) => {
      if (this.runs.running) this.cancel();
      this.setAttribute('dataset', value);
      this.emit('change', { dataset: value as LabDataset });
    });
    controls.append(field, this.runs.button, this.runs.progress);
    this.verdict.setAttribute('aria-live', 'polite');
    this.content.replaceChildren(this.setup, controls, this.runs.status, this.verdict, this.charts, this.table, this.perSeed);
  }

  private jobs(c: LabConfig, seed: number): TrainingJob[] {
    const steps = this.steps;
    return PLACEMENTS.map((placement) => ({
      ...sweepJob({ ...c, seed, placement }, true, steps, `${placement} ${seed}`),
      chunk: Math.max(25, Math.ceil(steps / 8)),
    }));
  }

  private async run(): Promise<void> {
    const c = this.config;
    const seeds = this.seeds;
    const steps = this.steps;
    const runs = seeds * PLACEMENTS.length;
    this.results = [];
    this.resultKey = this.key();
    const run = this.runs.begin(runs * steps);
    this.show();
    const t0 = performance.now();
    let stall = 0;
    const watch = () => {
      clearTimeout(stall);
      stall = window.setTimeout(() => {
        if (run.stale()) return;
        this.runs.end(this.results.length > 0, 'The training workers stopped answering; press the button to try again.');
        this.show();
      }, STALL_MS);
    };
    watch();
    const onProgress = (p: JobProgress) => {
      if (run.stale()) return;
      watch();
      run.advance(p.label, p.step);
    };
    try {
      for (let s = 0; s < seeds && !run.stale(); s++) {
        this.runs.status.textContent = `Training seed ${s + 1} of ${seeds} (${PLACEMENTS.length * s} of ${runs} runs done)…`;
        const seed = c.seed + s;
        const jobs = this.jobs(c, seed);
        const out = await runJobs(this.lab!, jobs, { workers: jobs.length, onProgress, stop: run.stale });
        if (run.stale() || out.some((r) => r.cancelled)) return;
        this.results.push(out.map((r) => outcome(seed, r)));
        this.show();
      }
      if (run.stale()) return;
      const secs = (performance.now() - t0) / 1000;
      this.runs.end(true, `Done: ${seeds} seeds × 2 placements, ${steps} steps each, in ${fmt(secs, 1)} s.`);
      this.show();
      this.emit('result', this.summaryDetail());
    } catch (e) {
      if (run.stale()) return;
      this.runs.end(this.results.length > 0, `The comparison failed: ${e instanceof Error ? e.message : String(e)}`);
      this.show();
    } finally {
      clearTimeout(stall);
    }
  }


  private cancel(): void {
    const k = this.results.length;
    this.runs.end(k > 0, k
      ? `Cancelled after ${k} of ${this.seeds} seeds; the results below are for those ${k}.`
      : 'Cancelled before any seed finished.');
    this.show();
  }

  /** Per placement, the runs so far and the engine's mean and standard deviation of each metric. */
  private groups(): Group[] {
    const lab = this.lab!;
    const names = this.names(this.config);
    return PLACEMENTS.map((placement, p) => {
      const runs = this.results.map((pair) => pair[p]!);
      const ok = runs.filter((r) => !r.diverged);
      const stat = (values: number[]): { mean: number; sd: number } => {
        if (values.length === 0) return { mean: NaN, sd: NaN };
        const s = lab.standardize(values, { unbiased: values.length > 1 });
        return { mean: s.mean, sd: values.length > 1 ? s.std : 0 };
      };
      return {
        placement,
        name: names[placement],
        short: names[placement].replace('Linear → ', ''),
        runs,
        accuracy: { name: names[placement], ...stat(ok.map((r) => r.accuracy)) },
        loss: { name: names[placement], ...stat(ok.map((r) => r.loss)) },
      };
    });
  }

  private show(): void {
    if (!this.results.length) {
      this.charts.replaceChildren();
      this.table.replaceChildren();
      this.perSeed.replaceChildren();
      this.clearVerdict();
      return;
    }
    const groups = this.groups();
    this.charts.replaceChildren(
      this.strip(groups, 'accuracy', ACCURACY, 'Final test accuracy'),
      this.strip(groups, 'loss', LOSS, 'Final test loss'),
    );
    this.fillTable(groups);
    if (this.runs.running) {
      this.clearVerdict();
      return;
    }
    const v = this.judge(groups);
    // Only when it changes: the verdict is a live region, and a resize must not announce it again.
    if (this.verdict.textContent !== v.text) this.verdict.textContent = v.text;
    this.verdict.dataset.better = v.better === null ? 'tie' : PLACEMENTS[v.better]!;
    this.verdict.dataset.within = String(v.within);
  }

  private clearVerdict(): void {
    this.verdict.textContent = '';
    delete this.verdict.dataset.better;
    delete this.verdict.dataset.within;
  }

  /** The verdict on accuracy; on the loss when the accuracies tie (easy sets reach 100%). */
  private judge(groups: Group[]): Verdict & { metric: Metric } {
    const [a, b] = groups as [Group, Group];
    const n = this.results.length;
    const prefix = n < this.seeds ? `So far (${n} of ${this.seeds} seeds): ` : '';
    const dead = groups.filter((g) => g.runs.every((r) => r.diverged));
    if (dead.length) {
      const text = dead.length === 2 ? 'Both placements diverged on every seed: lower the learning rate.' : `${dead[0]!.name} diverged on every seed; the other placement trained.`;
      return { better: dead.length === 2 ? null : (dead[0] === a ? 1 : 0), gap: NaN, spread: NaN, within: false, text: prefix + text, metric: ACCURACY };
    }
    const wins = (key: 'accuracy' | 'loss', higher: boolean): [number, number] => {
      const w: [number, number] = [0, 0];
      this.results.forEach(([p, q]) => {
        if (p!.diverged || q!.diverged || p![key] === q![key]) return;
        const firstBetter = higher ? p![key] > q![key] : p![key] < q![key];
        w[firstBetter ? 0 : 1]++;
      });
      return w;
    };
    let metric = ACCURACY;
    let v = placementVerdict(a.accuracy, b.accuracy, wins('accuracy', true), n, ACCURACY, fmt);
    if (v.better === null) {
      metric = LOSS;
      const byLoss = placementVerdict(a.loss, b.loss, wins('loss', false), n, LOSS, fmt);
      v = { ...byLoss, text: `${v.text.replace(/\.$/, '')}; on the test loss, ${byLoss.text.charAt(0).toLowerCase()}${byLoss.text.slice(1)}` };
    }
    const diverged = groups.reduce((k, g) => k + g.runs.filter((r) => r.diverged).length, 0);
    const note = diverged ? ` (${diverged} run${diverged === 1 ? '' : 's'} diverged and ${diverged === 1 ? 'is' : 'are'} left out.)` : '';
    return { ...v, text: prefix + v.text + note, metric };
  }

  /** Each seed's dot per placement, pairs joined, mean marked and ± one standard deviation drawn. */
  private strip(groups: Group[], key: 'accuracy' | 'loss', metric: Metric, title: string): HTMLElement {
    const fig = el('figure', 'placement-fig');
    const cap = part(el('figcaption', undefined, title), 'caption');
    const W = Math.max(260, Math.min(420, this.figureWidth()));
    const left = 96;
    const right = 16;
    const rowH = 40;
    const top = 4;
    const h = top + 2 * rowH + 26;
    const vals = groups.flatMap((g) => g.runs.filter((r) => !r.diverged).map((r) => r[key] * metric.scale));
    const spreadEnds = groups.flatMap((g) => [(g[key].mean - g[key].sd) * metric.scale, (g[key].mean + g[key].sd) * metric.scale]).filter(Number.isFinite);
    let lo = Math.min(...vals, ...spreadEnds);
    let hi = Math.max(...vals, ...spreadEnds);
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const step = niceStep((hi - lo) / 3);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    const x = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - right);
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${h}`, class: 'axis placement-strip', role: 'img', part: 'plot' });
    const said = groups.map((g) => `${g.name}: mean ${fmt(g[key].mean * metric.scale, metric.digits)}${metric.unit}, standard deviation ${fmt(g[key].sd * metric.scale, metric.digits)}`).join('; ');
    svg.append(svgEl('title', {}, `${title} of each seed's run, per placement. ${said}.`));
    const axisY = top + 2 * rowH;
    const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step) - 1e-9));
    for (let i = 0, t = lo; t <= hi + step / 2; i++, t = lo + i * step) {
      svg.append(svgEl('line', { x1: x(t), x2: x(t), y1: top, y2: axisY, class: 'grid' }));
      svg.append(svgEl('text', { x: x(t), y: axisY + 16, class: 'tick' }, `${fmt(t, decimals)}${metric.unit}`));
    }
    const cy = (p: number) => top + p * rowH + rowH / 2 - 2;
    // Pairs: the same seed's two runs.
    this.results.forEach(([p, q]) => {
      if (p!.diverged || q!.diverged) return;
      svg.append(svgEl('line', { x1: x(p![key] * metric.scale), y1: cy(0), x2: x(q![key] * metric.scale), y2: cy(1), class: 'pair' }));
    });
    groups.forEach((g, p) => {
      const y = cy(p);
      const s = g[key];
      svg.append(svgEl('text', { x: 2, y: y + 4, class: 'strip-name' }, g.short));
      if (Number.isFinite(s.mean)) {
        svg.append(svgEl('line', { x1: x((s.mean - s.sd) * metric.scale), x2: x((s.mean + s.sd) * metric.scale), y1: y + 12, y2: y + 12, class: `sd-bar ${g.placement}` }));
        svg.append(svgEl('line', { x1: x(s.mean * metric.scale), x2: x(s.mean * metric.scale), y1: y - 12, y2: y + 15, class: `mean-mark ${g.placement}` }));
      }
      for (const r of g.runs) {
        if (r.diverged) continue;
        svg.append(svgEl('circle', { cx: x(r[key] * metric.scale), cy: y, r: 5, class: `seed-dot ${g.placement}` }));
      }
    });
    fig.append(cap, svg);
    return fig;
  }

  private figureWidth(): number {
    const w = this.contentWidth();
    // Two figures side by side when there is room for both.
    return w >= 620 ? Math.floor((w - 16) / 2) : w > 0 ? Math.round(w) : 320;
  }

  private fillTable(groups: Group[]): void {
    const n = this.results.length;
    const caption = part(el('caption', undefined, `Final test results over ${n} seed${n === 1 ? '' : 's'} (mean ± standard deviation)`), 'caption');
    const thead = tableHead(['placement', 'test accuracy', 'test loss']);
    const body = el('tbody');
    const perSeed = el('ul', 'per-seed');
    for (const g of groups) {
      const tr = el('tr');
      tr.dataset.placement = g.placement;
      const th = el('th', undefined, g.name);
      th.scope = 'row';
      const acc = el('td', undefined, `${fmt(g.accuracy.mean * 100, ACCURACY.digits)}% ±\u00a0${fmt(g.accuracy.sd * 100, ACCURACY.digits)}`);
      acc.dataset.accuracy = String(g.accuracy.mean);
      const loss = el('td', undefined, `${fmt(g.loss.mean, LOSS.digits)} ±\u00a0${fmt(g.loss.sd, LOSS.digits)}`);
      loss.dataset.loss = String(g.loss.mean);
      tr.append(th, acc, loss);
      body.append(tr);
      const li = el('li', undefined, `${g.name}, test accuracy of each seed’s run: ${g.runs.map((r) => (r.diverged ? 'diverged' : `${fmt(r.accuracy * 100, 1)}%`)).join(', ')}`);
      li.dataset.placement = g.placement;
      perSeed.append(li);
    }
    this.table.replaceChildren(caption, thead, body);
    this.perSeed.replaceWith(perSeed);
    this.perSeed = perSeed;
  }

  private summaryDetail(): Record<string, unknown> {
    const groups = this.groups();
    const v = this.judge(groups);
    return {
      dataset: this.config.dataset,
      seeds: this.results.length,
      steps: this.steps,
      before: { accuracy: groups[0]!.accuracy.mean, accuracySd: groups[0]!.accuracy.sd, loss: groups[0]!.loss.mean, lossSd: groups[0]!.loss.sd },
      after: { accuracy: groups[1]!.accuracy.mean, accuracySd: groups[1]!.accuracy.sd, loss: groups[1]!.loss.mean, lossSd: groups[1]!.loss.sd },
      better: v.better === null ? null : PLACEMENTS[v.better],
      within: v.within,
      verdict: v.text,
    };
  }
}

defineElement('bn-placement', BnPlacement);

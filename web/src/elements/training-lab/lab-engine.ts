// The training lab's engine: two trainers in lockstep, one without BatchNorm and one with it,
// built from the same model seed and data seed (so identical initial Linear weights and identical
// batches). It streams each chunk's metrics, the watched unit's percentiles and, for the 2-D
// datasets, both decision boundaries. It runs inside lab-worker.js (normally) or, where a module
// worker cannot start, on the page's thread in small chunks, one per animation frame.
import type { Lab } from '../../engine/lab.js';
import type { Dataset } from '../../engine/datasets.js';
import type { Trainer } from '../../engine/trainer.js';
import type { LabConfig } from './lab-state.js';
import { datasetSpec, trainerOptions, isToy } from './lab-state.js';
import { concat, loadDatasetSplit } from '../../jobs/job.js';
import { HEALTH_BINS, HEALTH_HI, HEALTH_LO, layerHealth, type LayerHealth } from './health.js';
import { UNIT_BINS, UNIT_HI, UNIT_LO, type UnitHistograms } from './network-diagram.js';

/** page → engine */
export type LabRequest =
  | { type: 'config'; config: LabConfig }
  | { type: 'play' | 'pause' | 'reset' }
  | { type: 'step'; steps: number }
  /** Record the percentiles of this unit of this hidden layer from the next step on (both networks). */
  | { type: 'watch'; layer: number; unit: number }
  /** Classify one example (the learner's drawing) with both networks, in eval and in training mode. */
  | { type: 'predict'; x: Float32Array }
  /** Training pace while playing: steps per second for each network, or null for as fast as it goes. */
  | { type: 'speed'; stepsPerSecond: number | null };

/** One run's metrics for a chunk. */
export interface RunChunk {
  firstStep: number;
  loss: Float32Array;
  percentiles: Float32Array;
  evalSteps: Float32Array;
  evalLoss: Float32Array;
  evalAccuracy: Float32Array;
  /**
   * The loss on (up to 500 points of) the training set in eval mode, with BatchNorm's running
   * statistics: the network as it is used after training, unlike `loss`, each batch's loss in
   * training mode. Measured at the end of each chunk that had a test evaluation.
   */
  trainEvalSteps: Float32Array;
  trainEvalLoss: Float32Array;
  /** Each hidden layer's activation inputs in the chunk's last batch (empty when no step ran). */
  health: LayerHealth[];
  divergedAt: number | null;
  /** P(class 1) on a GRID × GRID grid, y outermost, or null (not 2-D, or not sent this time). */
  grid: Float32Array | null;
  /** Each hidden unit's histogram of its inputs in the last batch (at most every 250 ms), or null. */
  units: UnitHistograms | null;
}

/** One network's answer for one example: class probabilities in eval mode and in training mode. */
export interface Prediction {
  /** softmax of the logits, eval mode (BatchNorm with its running statistics). */
  evalProbs: Float32Array;
  /** The same in training mode (the example as a batch of one), or null when the layer refused. */
  trainProbs: Float32Array | null;
  /** Why training mode refused, e.g. BatchNorm's "Expected more than 1 value per channel…". */
  trainError: string | null;
}

/** engine → page */
export type LabReply =
  | { type: 'prediction'; generation: number; step: number; runs: [Prediction, Prediction] }
  | { type: 'ready'; generation: number; points: Float32Array | null; labels: Int32Array | null }
  /** `watch`: the hidden layer and unit whose percentiles the chunks hold. */
  | { type: 'progress'; generation: number; step: number; playing: boolean; watch: [number, number]; runs: [RunChunk, RunChunk] }
  | { type: 'error'; message: string };

/** Training stops by itself here (the charts hold every step). */
export const MAX_STEPS = 200_000;
/** The pace a lab starts at: slow enough to watch BN pull ahead (steps per second per network). */
export const DEFAULT_SPEED = 250;
/** The largest chunk at full speed (steps per network between two progress messages). */
const MAX_CHUNK = 5000;
export const GRID = 100;
/** Training points the eval-mode training loss is measured on (as many as the test's evalLimit). */
export const TRAIN_EVAL_LIMIT = 500;

export interface EngineHost {
  /** Delivers a reply to the page. */
  post(m: LabReply): void;
  /** Yields to the host's event loop for about `ms` (0: just one turn). */
  rest(ms: number): Promise<void>;
  /** The engine instance to train on. */
  lab(): Promise<Lab>;
  /** Milliseconds of training per chunk (a worker can afford more than the page's thread). */
  budget: number;
}

export class LabEngine {
  private lab: Lab | null = null;
  private config: LabConfig | null = null;
  private generation = 0;
  private sets: Dataset[] = [];
  private runs: Trainer[] = [];
  private playing = false;
  private chunk = 5;
  private rate: number | null = DEFAULT_SPEED;
  private owed = 0;
  private lastTick = 0;
  private lastGrid = 0;
  private lastUnits = 0;
  private watch: [number, number] = [0, 0];
  private looping = false;
  private readonly pending: LabRequest[] = [];

  constructor(private readonly host: EngineHost) {}

  /** Queues a request; requests are handled in order, between chunks. */
  receive(msg: LabRequest): void {
    this.pending.push(msg);
    void this.loop();
  }

  private dispose(): void {
    for (const r of this.runs) r.dispose();
    for (const d of this.sets) d.dispose();
    this.runs = [];
    this.sets = [];
  }

  private async build(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const lab = (this.lab ??= await this.host.lab());
    this.dispose();
    this.generation++;
    const { train, test } = await loadDatasetSplit(lab, datasetSpec(config));
    this.sets = [train, test];
    for (const bn of [false, true]) this.runs.push(new lab.Trainer({ ...trainerOptions(config, bn, train.features, train.classes), train, test }));
    this.chunk = 5;
    this.lastGrid = 0;
    this.lastUnits = 0;
    this.watch = [config.layers - 1, 0]; // trainerOptions' watch
    const toy = isToy(config.dataset);
    const { generation, playing, runs } = this;
    this.host.post({ type: 'ready', generation, points: toy ? train.x : null, labels: toy ? train.y : null });
    // The untrained boundaries, so the panels are not empty before the first step.
    if (toy) this.host.post({ type: 'progress', generation, step: 0, playing, watch: this.watch, runs: [this.idle(runs[0]!, true), this.idle(runs[1]!, true)] });
  }

  private idle(t: Trainer, withGrid: boolean): RunChunk {
    const z = new Float32Array(0);
    return {
      firstStep: t.step + 1, loss: z, percentiles: z, evalSteps: z, evalLoss: z, evalAccuracy: z, trainEvalSteps: z, trainEvalLoss: z, health: [],
      divergedAt: t.divergedAt, grid: withGrid ? t.predictGrid({ nx: GRID, ny: GRID }) : null, units: null,
    };
  }

  /** Every hidden unit's histogram of its inputs in the last batch. */
  private static units(t: Trainer): UnitHistograms {
    const counts = concat(t.hiddenUnits.map((_, l) => t.unitHistograms(l, { bins: UNIT_BINS, lo: UNIT_LO, hi: UNIT_HI })));
    return { widths: [...t.hiddenUnits], counts };
  }

  /** Trains both runs by `steps` (a diverged run stays where it stopped) and posts the chunk. */
  private advance(steps: number, forceGrid: boolean): void {
    if (!this.config || this.runs.length !== 2) return;
    const now = performance.now();
    const wantGrid = isToy(this.config.dataset) && (forceGrid || now - this.lastGrid > 250);
    if (wantGrid) this.lastGrid = now;
    const wantUnits = forceGrid || now - this.lastUnits > 250;
    if (wantUnits) this.lastUnits = now;
    const out = this.runs.map((t) => {
      if (t.diverged || t.step >= MAX_STEPS) return this.idle(t, wantGrid && !t.diverged);
      const m = t.run(Math.min(steps, MAX_STEPS - t.step));
      const measured = m.evalSteps.length > 0 && m.divergedAt === null;
      const trainEval = measured ? t.evaluate(this.sets[0]!, { limit: TRAIN_EVAL_LIMIT }).loss : NaN;
      return {
        firstStep: m.firstStep,
        loss: m.loss,
        percentiles: m.percentiles,
        evalSteps: m.evalSteps,
        evalLoss: m.evalLoss,
        evalAccuracy: m.evalAccuracy,
        trainEvalSteps: measured ? Float32Array.of(t.step) : new Float32Array(0),
        trainEvalLoss: measured ? Float32Array.of(trainEval) : new Float32Array(0),
        health: m.steps > 0 ? layerHealth(t.histograms({ bins: HEALTH_BINS, lo: HEALTH_LO, hi: HEALTH_HI }), t.hiddenLayers) : [],
        divergedAt: m.divergedAt,
        grid: wantGrid && m.divergedAt === null ? t.predictGrid({ nx: GRID, ny: GRID }) : null,
        units: wantUnits && m.steps > 0 ? LabEngine.units(t) : null,
      };
    }) as [RunChunk, RunChunk];
    const step = Math.max(this.runs[0]!.step, this.runs[1]!.step);
    if (this.runs.every((t) => t.diverged || t.step >= MAX_STEPS)) this.playing = false;
    this.host.post({ type: 'progress', generation: this.generation, step, playing: this.playing, watch: this.watch, runs: out });
  }

  private async handle(msg: LabRequest): Promise<void> {
    if (msg.type === 'config') {
      this.config = msg.config;
      await this.build();
    } else if (msg.type === 'reset') {
      await this.build();
    } else if (msg.type === 'watch') {
      for (const t of this.runs) t.setWatch({ layer: msg.layer, unit: msg.unit });
      this.watch = [msg.layer, msg.unit];
    } else if (msg.type === 'predict') {
      if (this.runs.length !== 2) return;
      const step = Math.max(this.runs[0]!.step, this.runs[1]!.step);
      this.host.post({ type: 'prediction', generation: this.generation, step, runs: [predict(this.runs[0]!, msg.x), predict(this.runs[1]!, msg.x)] });
    } else if (msg.type === 'speed') {
      this.rate = msg.stepsPerSecond === null ? null : Math.max(1, Math.min(1e6, msg.stepsPerSecond));
      this.owed = 0;
    } else if (msg.type === 'play') {
      this.playing = true;
      this.lastTick = 0;
      this.owed = 0;
    } else if (msg.type === 'pause') {
      this.playing = false;
      this.advance(0, true);
    } else if (msg.type === 'step') {
      this.playing = false;
      this.advance(Math.max(1, Math.min(1000, Math.floor(msg.steps))), true);
    }
  }

  /** One loop drains requests in order, then trains a chunk sized to the budget, then rests. */
  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      for (;;) {
        while (this.pending.length) await this.handle(this.pending.shift()!);
        if (!this.playing) break;
        const t0 = performance.now();
        let steps = this.chunk;
        if (this.rate !== null) {
          // The steps owed since the last tick at the chosen pace (at most 0.1 s worth: a pace the
          // engine cannot keep is not caught up later), whole steps only.
          const dt = this.lastTick ? Math.min(100, t0 - this.lastTick) : 16;
          this.owed = Math.min(this.owed + (this.rate * dt) / 1000, Math.max(1, this.rate / 10));
          steps = Math.floor(this.owed);
          this.owed -= steps;
        }
        this.lastTick = t0;
        if (steps > 0) this.advance(steps, false);
        const ms = performance.now() - t0;
        // As fast as it goes: chunks sized to the budget (ms of training per message), one message
        // per ~16 ms at least, so the page's charts follow at its frame rate.
        const budget = this.host.budget;
        if (this.rate === null) this.chunk = Math.max(1, Math.min(MAX_CHUNK, Math.round(this.chunk * Math.min(2, budget / Math.max(0.5, ms)))));
        await this.host.rest(Math.max(0, 16 - ms));
      }
    } catch (e) {
      this.playing = false;
      this.host.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    } finally {
      this.looping = false;
    }
  }
}

function softmax(z: Float32Array): Float32Array {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}

/** One example through a trainer's network in eval mode, then in training mode (a batch of one). */
function predict(t: Trainer, x: Float32Array): Prediction {
  const model = t.model();
  try {
    const shape = [1, x.length];
    model.eval();
    const evalProbs = softmax(model.forward(x, shape));
    model.train(); // the trainer trains in this mode; a failed forward leaves nothing changed
    try {
      return { evalProbs, trainProbs: softmax(model.forward(x, shape)), trainError: null };
    } catch (e) {
      return { evalProbs, trainProbs: null, trainError: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  } finally {
    model.train();
    model.dispose();
  }
}

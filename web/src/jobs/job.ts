// Training jobs described as plain data, so they can cross to a worker and back: which dataset,
// which trainer options, how many steps. runJob() executes one on a lab, in chunks, and is the
// single code path used both in-thread and inside the worker (so their results are identical).
import type { Lab } from '../engine/lab.js';
import type { Dataset, DatasetSplit, ToyKind } from '../engine/datasets.js';
import type { LandscapeProbe, TrainerOptions, TrainMetrics } from '../engine/trainer.js';

/** Where a job's data comes from. */
export type DatasetSpec =
  | { kind: 'toy'; name: ToyKind; n?: number; testN?: number; noise?: number; seed?: number }
  | { kind: 'digits' }
  | { kind: 'fashion-mnist'; url?: string };

/** A training run as plain data (structured-clonable). */
export interface TrainingJob {
  /** Caller's label for the job (e.g. "lr=0.1, BN"). */
  label?: string;
  dataset: DatasetSpec;
  /** Trainer options without the datasets (they come from `dataset`). */
  trainer: Omit<TrainerOptions, 'train' | 'test'>;
  /** Total steps to train. */
  steps: number;
  /** Steps per engine call between progress reports (default 250). */
  chunk?: number;
  /**
   * Also measure the finished network in eval mode on its training set (up to this many examples,
   * or the whole set with `true`): the result's `trainEval`. With the test-set figures this gives
   * the generalisation gap.
   */
  evalTrainSet?: boolean | number;
  /**
   * Also measure the finished network's test accuracy with training-mode statistics: the test set
   * in batches of the job's batch size (a partial last batch left out), each normalised by its own
   * batch statistics, as during training (the result's `batchStatsAccuracy`). Beside the eval-mode
   * accuracy this is BatchNorm's train/eval mismatch.
   */
  evalBatchStats?: boolean;
  /**
   * Measure the loss landscape along the run (Trainer.probeLandscape, Santurkar et al. 2018)
   * before the first step and after every `every` steps, moving by each of `stepSizes` along the
   * gradient: the result's `landscape`, and each progress report's new points. The probes do not
   * change the run.
   */
  landscape?: { every: number; stepSizes: readonly number[] };
}

/** One landscape measurement of a job (LandscapeProbe's summary at a step). */
export interface LandscapePoint {
  /** Steps completed when it was taken (0: the initial weights). */
  step: number;
  /** The batch loss there. */
  loss: number;
  lossRange: number;
  gradientPredictiveness: number;
  betaSmoothness: number;
}

/** A LandscapeProbe as a LandscapePoint at `step`. */
export function landscapePoint(step: number, p: LandscapeProbe): LandscapePoint {
  return { step, loss: p.loss, lossRange: p.lossRange, gradientPredictiveness: p.gradientPredictiveness, betaSmoothness: p.betaSmoothness };
}

/** The whole run's metrics: TrainMetrics' arrays concatenated over its chunks. */
export interface TrainingResult extends Omit<TrainMetrics, 'firstStep'> {
  label?: string;
  /** True when the run was cancelled before `steps`. */
  cancelled: boolean;
  /** Wall-clock milliseconds spent training (excluding data loading). */
  ms: number;
  /** Eval-mode loss and accuracy on the training set after the last step (jobs with `evalTrainSet`; null after a divergence). */
  trainEval?: { loss: number; accuracy: number } | null;
  /** Test accuracy with training-mode statistics (jobs with `evalBatchStats`; null after a divergence). */
  batchStatsAccuracy?: number | null;
  /** The landscape measurements in step order (jobs with `landscape`). */
  landscape?: LandscapePoint[];
}

/** Progress after each chunk. */
export interface TrainingProgress {
  label?: string;
  step: number;
  total: number;
  /** The chunk's own metrics. */
  chunk: TrainMetrics;
  /** Landscape measurements taken since the last report (jobs with `landscape`). */
  landscape?: LandscapePoint[];
}

/** What a progress report carries across a worker boundary (its arrays, not the whole chunk). */
export interface ProgressFields {
  step: number;
  total: number;
  loss: Float32Array;
  evalSteps: Float32Array;
  evalAccuracy: Float32Array;
  landscape?: LandscapePoint[];
}

/** The fields of `p` that a worker posts (the one place that decides them). */
export function progressFields(p: TrainingProgress): ProgressFields {
  return {
    step: p.step, total: p.total, loss: p.chunk.loss, evalSteps: p.chunk.evalSteps, evalAccuracy: p.chunk.evalAccuracy,
    ...(p.landscape ? { landscape: p.landscape } : {}),
  };
}

export interface RunHooks {
  onProgress?: (p: TrainingProgress) => void;
  /** Awaited between chunks: lets a worker receive pause/cancel messages; true means stop. */
  between?: () => Promise<boolean>;
}

/**
 * The datasets a job describes, on `lab`: a toy set's test split is the same generator with the
 * next seed, so train and test never share a point's noise. The caller disposes both.
 */
export async function loadDatasetSplit(lab: Lab, spec: DatasetSpec): Promise<DatasetSplit> {
  if (!spec || typeof spec !== 'object') throw new TypeError('job.dataset must be a dataset description');
  if (spec.kind === 'toy') {
    const seed = spec.seed ?? 0;
    const opts = { noise: spec.noise ?? 0 };
    const train = lab.toyDataset(spec.name, { ...opts, n: spec.n ?? 500, seed });
    try {
      return { train, test: lab.toyDataset(spec.name, { ...opts, n: spec.testN ?? 500, seed: seed + 1 }) };
    } catch (e) {
      train.dispose(); // a bad test set must not leave the training set to the garbage collector
      throw e;
    }
  }
  if (spec.kind === 'digits') return lab.loadDigits();
  if (spec.kind === 'fashion-mnist') return lab.loadFashionMnist(spec.url);
  throw new RangeError(`job.dataset.kind must be toy, digits or fashion-mnist, got ${JSON.stringify((spec as { kind: unknown }).kind)}`);
}

/** The arrays one after another, in one Float32Array. */
export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One example's shape as the job's model takes it: [C, H, W] for a CNN, [features] for an MLP. */
function exampleShape(job: TrainingJob, test: Dataset): number[] {
  const conv = job.trainer.model.conv;
  if (!conv) return [test.features];
  return conv.input ? [...conv.input] : [1, test.height, test.width];
}

/**
 * A trained network's accuracy on `test` in training mode: batches of `b` examples in order (a
 * partial last batch left out), each normalised with its own statistics. The network's running
 * statistics move as a side effect, so this is the last thing done with a trainer.
 */
function accuracyWithBatchStats(trainer: InstanceType<Lab['Trainer']>, test: Dataset, b: number, example: readonly number[]): number {
  const model = trainer.model();
  try {
    model.train();
    const d = test.features;
    const classes = test.classes;
    const x = test.x;
    const y = test.y;
    const shape = [b, ...example];
    let right = 0;
    let seen = 0;
    for (let at = 0; at + b <= test.size; at += b) {
      const logits = model.forward(x.subarray(at * d, (at + b) * d), shape);
      for (let r = 0; r < b; r++) {
        let k = 0;
        for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + k]!) k = c;
        if (k === y[at + r]) right++;
      }
      seen += b;
    }
    return seen ? right / seen : NaN;
  } finally {
    model.dispose();
  }
}

/** job.landscape checked (the step sizes themselves are checked by Trainer.probeLandscape). */
function readLandscape(spec: TrainingJob['landscape']): { every: number; stepSizes: readonly number[] } | null {
  if (spec === undefined) return null;
  if (!spec || typeof spec !== 'object') throw new TypeError('job.landscape must be { every, stepSizes }');
  const { every, stepSizes } = spec;
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`job.landscape.every must be an integer >= 1, got ${String(every)}`);
  if (!Array.isArray(stepSizes)) throw new TypeError('job.landscape.stepSizes must be an array of step sizes');
  return { every, stepSizes };
}

/** Runs a job on `lab` chunk by chunk. Datasets and the trainer are disposed at the end. */
export async function runJob(lab: Lab, job: TrainingJob, hooks: RunHooks = {}): Promise<TrainingResult> {
  if (!job || typeof job !== 'object') throw new TypeError('job must be a TrainingJob object');
  if (!Number.isInteger(job.steps) || job.steps < 0) throw new RangeError(`job.steps must be an integer >= 0, got ${job.steps}`);
  const chunk = job.chunk ?? 250;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 100_000) throw new RangeError(`job.chunk must be an integer in [1, 100000], got ${chunk}`);
  const evalTrain = job.evalTrainSet ?? false;
  if (typeof evalTrain !== 'boolean' && !(Number.isInteger(evalTrain) && evalTrain >= 1)) {
    throw new RangeError(`job.evalTrainSet must be true, false or a positive integer (examples), got ${String(evalTrain)}`);
  }
  const evalBatch = job.evalBatchStats ?? false;
  if (typeof evalBatch !== 'boolean') throw new TypeError(`job.evalBatchStats must be true or false, got ${String(evalBatch)}`);
  const probe = readLandscape(job.landscape);
  const split = await loadDatasetSplit(lab, job.dataset);
  const sets: Dataset[] = [split.train, split.test];
  const parts: Record<keyof Omit<TrainMetrics, 'firstStep' | 'steps' | 'diverged' | 'divergedAt' | 'restoredToStep'>, Float32Array[]> = {
    loss: [], batchAccuracy: [], percentiles: [], gradNorms: [], evalSteps: [], evalLoss: [], evalAccuracy: [],
  };
  let trainer: InstanceType<Lab['Trainer']> | undefined;
  let ms = 0;
  let cancelled = false;
  let diverged: number | null = null;
  let restoredToStep: number | null = null;
  const landscape: LandscapePoint[] = [];
  try {
    // Inside the try: bad trainer options must not leak the datasets just loaded.
    trainer = new lab.Trainer({ ...job.trainer, train: split.train, test: split.test });
    const t = trainer;
    const measure = (): LandscapePoint[] => {
      if (!probe || t.step % probe.every !== 0 || diverged !== null) return [];
      const point = landscapePoint(t.step, t.probeLandscape(probe.stepSizes));
      landscape.push(point);
      return [point];
    };
    let fresh = measure();
    while (trainer.step < job.steps && diverged === null) {
      // Chunks end at the probe steps, so each probe sees the weights of exactly that step.
      const toProbe = probe ? probe.every - (trainer.step % probe.every) : Infinity;
      const t0 = performance.now();
      const m = trainer.run(Math.min(chunk, job.steps - trainer.step, toProbe));
      ms += performance.now() - t0;
      for (const key of Object.keys(parts) as (keyof typeof parts)[]) parts[key].push(m[key]);
      diverged = m.divergedAt;
      restoredToStep = m.restoredToStep;
      fresh = fresh.concat(measure());
      // With probes, report at chunk boundaries (or when something new was measured).
      if (!probe || fresh.length || trainer.step >= job.steps || diverged !== null || trainer.step % chunk === 0) {
        hooks.onProgress?.({ label: job.label, step: trainer.step, total: job.steps, chunk: m, ...(probe ? { landscape: fresh } : {}) });
        fresh = [];
      }
      if (diverged === null && trainer.step < job.steps && hooks.between && (await hooks.between())) {
        cancelled = true;
        break;
      }
    }
    const trainEval = evalTrain === false ? undefined
      : diverged !== null ? null
      : trainer.evaluate(split.train, evalTrain === true ? undefined : { limit: evalTrain });
    // Last: a training-mode forward pass updates BatchNorm's running statistics.
    const batchStatsAccuracy = !evalBatch ? undefined
      : diverged !== null ? null
      : accuracyWithBatchStats(trainer, split.test, job.trainer.batchSize ?? 32, exampleShape(job, split.test));
    return {
      label: job.label,
      steps: trainer.step,
      loss: concat(parts.loss),
      batchAccuracy: concat(parts.batchAccuracy),
      percentiles: concat(parts.percentiles),
      gradNorms: concat(parts.gradNorms),
      evalSteps: concat(parts.evalSteps),
      evalLoss: concat(parts.evalLoss),
      evalAccuracy: concat(parts.evalAccuracy),
      diverged: diverged !== null,
      divergedAt: diverged,
      restoredToStep,
      cancelled,
      ms,
      ...(trainEval === undefined ? {} : { trainEval }),
      ...(batchStatsAccuracy === undefined ? {} : { batchStatsAccuracy }),
      ...(probe ? { landscape } : {}),
    };
  } finally {
    trainer?.dispose();
    for (const d of sets) d.dispose();
  }
}

export interface InThreadOptions extends RunHooks {
  /** Called when each job finishes, with its index in `jobs`. */
  onResult?: (index: number, result: TrainingResult) => void;
  /** Asked between chunks: true cancels the job running (its result says `cancelled`) and the rest. */
  stop?: () => boolean;
  /** Steps per chunk, overriding the jobs' own (small chunks keep a page responsive). */
  chunk?: number;
}

/**
 * Runs jobs one after another on the calling thread: where workers cannot start, the same
 * runJob() as inside a worker, yielding a macrotask between chunks so that a page keeps painting
 * and a Cancel click gets through.
 */
export async function runJobsInThread(lab: Lab, jobs: readonly TrainingJob[], opts: InThreadOptions = {}): Promise<TrainingResult[]> {
  const out: TrainingResult[] = [];
  for (const [index, job] of jobs.entries()) {
    if (opts.stop?.()) break;
    const result = await runJob(lab, opts.chunk === undefined ? job : { ...job, chunk: opts.chunk }, {
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      between: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(opts.stop?.() ?? false), 0)),
    });
    out.push(result);
    opts.onResult?.(index, result);
    if (result.cancelled) break;
  }
  return out;
}

// Settings that more than one part of the project must agree on, as plain data.
import type { TrainingJob } from './job.js';

/**
 * Ioffe & Szegedy (2015), Figure 1, as this project replicates it: fully connected hidden layers
 * of sigmoid units (Linear → BatchNorm → sigmoid with BN), mini-batches of 60, plain SGD. The
 * replica script (scripts/experiments/figure1.mjs) and the training lab's "Use the paper's
 * setting" button both read it, so the page shows the setting whose numbers the docs report.
 */
export const FIGURE1 = {
  dataset: 'digits',
  activation: 'sigmoid',
  hiddenLayers: 3,
  width: 100,
  batchSize: 60,
  lr: 0.5,
} as const;

/** Training examples of the shipped digits split (scripts/datasets/make-digits.mjs; tests/js/small-batches.test.ts checks it). */
export const DIGITS_TRAIN_SIZE = 1437;

/** The normalizations the small-batch comparison trains, in the order it reports them. */
export const SMALL_BATCH_NORMS = ['batch', 'group', 'layer', 'none'] as const;
export type SmallBatchNorm = (typeof SMALL_BATCH_NORMS)[number];
/** The two networks it trains them in. */
export const SMALL_BATCH_NETS = ['mlp', 'cnn'] as const;
export type SmallBatchNet = (typeof SMALL_BATCH_NETS)[number];

/**
 * One run of the small-batch comparison (<bn-small-batches> and scripts/experiments/small-batches.mjs,
 * after Wu & He 2018, Figure 1) on the digits: `net` 'cnn' takes them as 8×8 images, conv 8, 16
 * (3×3, max-pool 2×2) → Linear 64→10, with `norm` in each conv block (a BatchNorm2d statistic then
 * pools batch × positions values); 'mlp' as 64 features, 64-100-100-10 with `norm` in each hidden
 * layer (a BatchNorm1d statistic pools only the batch). `epochs` passes over the training set at
 * batch size `b` with the learning rate scaled linearly (0.05 at batch 32), SGD momentum 0.9; test
 * accuracy in eval mode at the end and, with training-mode statistics, the test set in batches of `b`.
 */
export function smallBatchJob(net: SmallBatchNet, norm: SmallBatchNorm, b: number, epochs: number, seed: number, baseLr = 0.05): TrainingJob {
  const steps = Math.ceil((epochs * DIGITS_TRAIN_SIZE) / b);
  const model = net === 'cnn'
    ? { sizes: [64, 10], conv: { channels: [8, 16], kernelSize: 3, pool: 'max' as const }, norm, groups: 2, seed }
    : { sizes: [64, 100, 100, 10], norm, groups: 2, seed };
  return {
    label: `${net}, ${norm}, batch ${b}, seed ${seed}`,
    dataset: { kind: 'digits' },
    trainer: {
      model,
      batchSize: b, lr: (baseLr * b) / 32, momentum: 0.9, dataSeed: seed, evalEvery: steps,
    },
    steps,
    chunk: Math.max(50, Math.ceil(steps / 10)),
    evalBatchStats: norm === 'batch',
  };
}

/** The three networks of the "why it works" measurements, in the order they are reported. */
export const LANDSCAPE_RUNS = ['none', 'batch', 'noisy'] as const;
export type LandscapeRun = (typeof LANDSCAPE_RUNS)[number];

/** A setting of those measurements (<bn-landscape> and scripts/experiments/landscape.mjs). */
export interface LandscapeSetting {
  lr: number;
  steps: number;
  seed: number;
  /** The noisy network's noise: shift U(−noiseShift, noiseShift), scale U(1, noiseScale). */
  noiseShift: number;
  noiseScale: number;
}

export const LANDSCAPE_DEFAULTS: LandscapeSetting = { lr: 0.1, steps: 1500, seed: 1, noiseShift: 0.5, noiseScale: 1.5 };
/** Steps between two measurements. */
export const LANDSCAPE_EVERY = 25;
/** The step sizes each measurement moves by along the gradient, as multiples of the learning rate. */
export const LANDSCAPE_STEP_MULTIPLES = [0.25, 0.5, 1, 2, 4] as const;
/** The hidden block and unit whose activation input the runs record (the second hidden layer's first unit). */
export const LANDSCAPE_WATCH = { layer: 1, unit: 0 } as const;

/**
 * One run of Santurkar et al.'s (2018) measurements, on the digits with the lab's paper-sized
 * network in ReLU form: 64-100-100-100-10, batches of 60, plain SGD (the gradient is the step's
 * direction). 'none': no normalization; 'batch': BatchNorm1d before each ReLU; 'noisy': the same
 * with a random shift and scale injected after each BatchNorm, redrawn every step. The landscape
 * is measured every LANDSCAPE_EVERY steps, and the test set evaluated as often.
 */
export function landscapeJob(run: LandscapeRun, s: LandscapeSetting = LANDSCAPE_DEFAULTS): TrainingJob {
  return {
    label: run,
    dataset: { kind: 'digits' },
    trainer: {
      model: {
        sizes: [64, 100, 100, 100, 10], activation: 'relu', norm: run === 'none' ? 'none' : 'batch', seed: s.seed,
        ...(run === 'noisy' ? { noise: { shift: s.noiseShift, scale: s.noiseScale } } : {}),
      },
      batchSize: 60, lr: s.lr, dataSeed: s.seed, evalEvery: LANDSCAPE_EVERY, watch: { ...LANDSCAPE_WATCH },
    },
    steps: s.steps,
    chunk: 100,
    landscape: { every: LANDSCAPE_EVERY, stepSizes: LANDSCAPE_STEP_MULTIPLES.map((m) => m * s.lr) },
  };
}

/** Median of the finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!xs.length) return NaN;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

/** Mean step-to-step change of the watched unit's median (TrainingResult.percentiles: p15, p50, p85 per step). */
export function medianMovement(percentiles: ArrayLike<number>): number {
  const steps = Math.floor(percentiles.length / 3);
  if (steps < 2) return NaN;
  let sum = 0;
  for (let s = 1; s < steps; s++) sum += Math.abs(percentiles[3 * s + 1]! - percentiles[3 * (s - 1) + 1]!);
  return sum / (steps - 1);
}

/** The datasets the small CNN learns. */
export type CnnDataset = 'digits' | 'fashion-mnist';
/** The side of each dataset's square images. */
export const CNN_SIDE: Record<CnnDataset, number> = { digits: 8, 'fashion-mnist': 28 };

/**
 * One run of the small CNN of <bn-cnn> (section 9) and scripts/experiments/cnn.mjs: Conv2d(1→8,
 * 3×3, padding 1) → norm → ReLU → MaxPool 2×2 → Conv2d(8→16) → norm → ReLU → MaxPool 2×2 →
 * Flatten → Linear, `norm` in each conv block (GroupNorm with 2 groups); SGD with momentum 0.9,
 * batches of 64, the same initial weights and data order (`seed`) for every normalization; the
 * test set (or `evalLimit` of it) evaluated every `every` steps.
 */
export function cnnJob(
  dataset: CnnDataset,
  norm: 'none' | 'batch' | 'group' | 'layer',
  o: { steps: number; lr?: number; seed?: number; every?: number; evalLimit?: number; label?: string },
): TrainingJob {
  const side = CNN_SIDE[dataset];
  const seed = o.seed ?? 1;
  const every = o.every ?? 25;
  return {
    label: o.label ?? norm,
    dataset: { kind: dataset },
    trainer: {
      model: { sizes: [side * side, 10], conv: { channels: [8, 16], kernelSize: 3, pool: 'max' }, norm, groups: 2, seed },
      batchSize: 64, lr: o.lr ?? 0.02, momentum: 0.9, dataSeed: seed, evalEvery: every,
      ...(o.evalLimit === undefined ? {} : { evalLimit: o.evalLimit }),
    },
    steps: o.steps,
    chunk: every,
  };
}

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

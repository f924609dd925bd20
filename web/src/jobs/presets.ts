// Settings that more than one part of the project must agree on, as plain data.

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

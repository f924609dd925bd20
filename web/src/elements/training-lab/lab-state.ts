// The training lab's controls, declared once: each has its attribute name, label, kind, range or
// choices and default. Attributes parse through this table (clamped, never trusted), the form is
// built from it, and bn-change carries the whole state, so a page can mirror it into its URL.
import type { TrainerOptions } from '../../engine/trainer.js';
import type { DatasetSpec, TrainingJob } from '../../jobs/job.js';
import { FIGURE1 } from '../../jobs/presets.js';

import { choiceAttr, numberAttr } from '../base/attributes.js';
import { DATASETS, DATASET_TEXT, isToy, type DatasetName } from '../base/datasets.js';

export { DATASETS, isToy };
export type LabDataset = DatasetName;
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export const PLACEMENTS = ['before', 'after'] as const;
export const INITS = ['torch', 'normal'] as const;

/** The lab's whole control state. */
export interface LabConfig {
  dataset: LabDataset;
  /** Label noise of the toy sets, 0..0.5. */
  noise: number;
  /** Examples per mini-batch. */
  batchSize: number;
  /** SGD learning rate. */
  lr: number;
  activation: (typeof ACTIVATIONS)[number];
  /** Hidden layers, 1..6. */
  layers: number;
  /** Units per hidden layer, 2..128. */
  neurons: number;
  /** BN before ('Linear → BN → act') or after the activation, in the BN run. */
  placement: (typeof PLACEMENTS)[number];
  /** 'torch': U(±1/√IN) × scale; 'normal': N(0, scale). */
  init: (typeof INITS)[number];
  /** Initial weight scale (multiplier or std). */
  initScale: number;
  /** Seed of the initial weights and of the data (the same for both runs). */
  seed: number;
}

type Field =
  | { key: keyof LabConfig; attr: string; label: string; kind: 'choice'; choices: readonly string[] }
  | { key: keyof LabConfig; attr: string; label: string; kind: 'number'; min: number; max: number; step: number; options?: readonly number[] };

/** Every control, in the order the form shows them. */
export const FIELDS: readonly Field[] = [
  { key: 'dataset', attr: 'dataset', label: 'Dataset', kind: 'choice', choices: DATASETS },
  { key: 'noise', attr: 'noise', label: 'Noise', kind: 'number', min: 0, max: 0.5, step: 0.05 },
  { key: 'batchSize', attr: 'batch-size', label: 'Batch size', kind: 'number', min: 2, max: 256, step: 1, options: [4, 8, 16, 32, 64, 128] },
  { key: 'lr', attr: 'lr', label: 'Learning rate', kind: 'number', min: 0.0001, max: 100, step: 0, options: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30] },
  { key: 'activation', attr: 'activation', label: 'Activation', kind: 'choice', choices: ACTIVATIONS },
  { key: 'layers', attr: 'layers', label: 'Hidden layers', kind: 'number', min: 1, max: 6, step: 1, options: [1, 2, 3, 4, 5, 6] },
  { key: 'neurons', attr: 'neurons', label: 'Neurons per layer', kind: 'number', min: 2, max: 128, step: 1, options: [2, 4, 8, 16, 32, 64, 100, 128] },
  { key: 'placement', attr: 'placement', label: 'BN placement', kind: 'choice', choices: PLACEMENTS },
  { key: 'init', attr: 'init', label: 'Initial weights', kind: 'choice', choices: INITS },
  { key: 'initScale', attr: 'init-scale', label: 'Weight scale', kind: 'number', min: 0.001, max: 100, step: 0, options: [0.01, 0.1, 0.3, 1, 3, 10] },
  { key: 'seed', attr: 'seed', label: 'Seed', kind: 'number', min: 0, max: 999_999, step: 1 },
];

export const DEFAULTS: LabConfig = {
  dataset: 'spiral', noise: 0.1, batchSize: 32, lr: 0.1, activation: 'relu', layers: 3, neurons: 16,
  placement: 'before', init: 'torch', initScale: 1, seed: 1,
};

/** Ioffe & Szegedy's Figure 1 setting, scaled to the digits: 3 hidden layers of 100 sigmoid units, batches of 60. */
/** The Figure 1 replica's setting (jobs/presets.ts), as the lab's controls. */
export const PAPER: Partial<LabConfig> = {
  dataset: FIGURE1.dataset, activation: FIGURE1.activation, layers: FIGURE1.hiddenLayers, neurons: FIGURE1.width,
  batchSize: FIGURE1.batchSize, lr: FIGURE1.lr, init: 'torch', initScale: 1, placement: 'before',
};
/** What the paper button sets, in words. */
export const PAPER_TEXT = `digits, ${FIGURE1.hiddenLayers} hidden layers of ${FIGURE1.width} sigmoid units, batches of ${FIGURE1.batchSize}, learning rate ${FIGURE1.lr}`;

/** Words shown for the choices. */
export const CHOICE_TEXT: Record<string, string> = {
  ...DATASET_TEXT,
  relu: 'ReLU', tanh: 'tanh', sigmoid: 'sigmoid', before: 'BN → activation', after: 'activation → BN',
  torch: 'U(±1/√in) × scale', normal: 'N(0, std = scale)',
};


/** Parses one attribute value for a field: unknown words and non-numbers fall back, numbers clamp. */
export function parseField(f: Field, raw: string | null): string | number {
  const fallback = DEFAULTS[f.key];
  if (f.kind === 'choice') return choiceAttr(raw, f.choices, fallback as string);
  const c = numberAttr(raw, fallback as number, f.min, f.max);
  return f.step === 1 ? Math.round(c) : c;
}

/** The state from an attribute getter. */
export function parseConfig(get: (attr: string) => string | null): LabConfig {
  const out: Record<string, string | number> = {};
  for (const f of FIELDS) out[f.key] = parseField(f, get(f.attr));
  return out as unknown as LabConfig;
}

/** Trainer options (without datasets) for one of the two runs. */
export function trainerOptions(c: LabConfig, batchNorm: boolean, features: number, classes: number): Omit<TrainerOptions, 'train' | 'test'> {
  return {
    model: {
      sizes: [features, ...Array.from({ length: c.layers }, () => c.neurons), classes],
      activation: c.activation, batchNorm, placement: c.placement, init: c.init, initScale: c.initScale, seed: c.seed,
    },
    batchSize: c.batchSize, lr: c.lr, dataSeed: c.seed, evalEvery: 25, evalLimit: 500,
    // The last hidden layer's first unit: the paper's Figure 1 watches a unit of the last hidden layer.
    watch: { layer: c.layers - 1, unit: 0 },
  };
}

/** The datasets of a state: 500 training and 500 test points of a toy set, or the digits. */
export function datasetSpec(c: LabConfig): DatasetSpec {
  return isToy(c.dataset) ? { kind: 'toy', name: c.dataset, n: 500, testN: 500, noise: c.noise, seed: c.seed } : { kind: 'digits' };
}

/** A sweep job for the state with one field overridden, with or without BN. */
export function sweepJob(c: LabConfig, batchNorm: boolean, steps: number, label: string): TrainingJob {
  const digits = c.dataset === 'digits';
  const t = trainerOptions(c, batchNorm, digits ? 64 : 2, digits ? 10 : 2);
  return {
    label,
    dataset: datasetSpec(c),
    trainer: { ...t, evalEvery: steps, watch: null },
    steps,
    chunk: steps,
  };
}

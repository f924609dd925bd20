#!/usr/bin/env node
// A small CNN on the Fashion-MNIST subset (28×28 images, 3,500 train / 1,000 test), with each of
// the four normalizations the engine has: none, BatchNorm2d, GroupNorm(2, C) and LayerNorm over
// each example's [C, H, W]. The network: Conv2d(1→8, 3×3, padding 1) → norm → ReLU → MaxPool 2×2 →
// Conv2d(8→16) → norm → ReLU → MaxPool 2×2 → Flatten → Linear(784→10). SGD with momentum 0.9,
// batches of 64; the same initial weights and data order in every run. The four runs share two
// workers (two at a time).
//
// usage: node scripts/experiments/cnn-fashion.mjs [--steps N] [--lr X] [--markdown]
//   --markdown  the table as docs/experiments.md holds it, with the line saying how it was made
// Steps and accuracies are deterministic (fixed seeds); the seconds columns are measured.
import { sweep } from '../../dist/index.js';
import { markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const steps = Number(arg('steps', 1200));
const lr = Number(arg('lr', 0.02));
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, not ${arg('steps')}`);
if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`--lr must be a positive number, not ${arg('lr')}`);
const target = 0.85;
const every = 100;
const norms = [
  ['batch', 'BatchNorm2d'],
  ['none', 'none'],
  ['group', 'GroupNorm(2, C)'],
  ['layer', 'LayerNorm([C, H, W])'],
];

const jobs = norms.map(([norm, name]) => ({
  label: name,
  dataset: { kind: 'fashion-mnist' },
  trainer: {
    model: { sizes: [784, 10], conv: { channels: [8, 16], kernelSize: 3, pool: 'max' }, norm, groups: 2, seed: 1 },
    batchSize: 64, lr, momentum: 0.9, dataSeed: 1, evalEvery: every,
  },
  steps,
  chunk: every,
}));

const t0 = performance.now();
const results = await sweep(jobs, { workers: 2, onResult: (i, r) => console.error(`done: ${r.label} (${(r.ms / 1000).toFixed(1)} s training)`) });
const wall = (performance.now() - t0) / 1000;

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const rows = results.map((r, i) => {
  if (r.diverged) return [norms[i][1], `diverged at step ${r.divergedAt}`, '–', '–', '–', (r.ms / 1000).toFixed(1)];
  const k = r.evalAccuracy.findIndex((a) => a >= target);
  const reached = k < 0 ? 'never' : String(r.evalSteps[k]);
  // Training time until the step that first reached the target, from the run's own clock.
  const sToTarget = k < 0 ? '–' : ((r.ms * r.evalSteps[k]) / r.steps / 1000).toFixed(1);
  const best = Math.max(...r.evalAccuracy);
  return [norms[i][1], reached, sToTarget, pct(r.evalAccuracy[r.evalAccuracy.length - 1]), pct(best), (r.ms / 1000).toFixed(1)];
});

const command = `node scripts/experiments/cnn-fashion.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
out.push(
  // The bold title is the setting (checked against the docs by docs.test.ts); the timing line is not.
  `**CNN on Fashion-MNIST (3500 train / 1000 test): conv 8, 16 channels, 3×3, max-pool 2×2, Linear 784→10; SGD lr ${lr}, momentum 0.9, batch 64; ${steps} steps, test accuracy checked every ${every}**`,
  '',
  `${wall.toFixed(1)} s wall clock for all ${results.length} runs in 2 workers.`,
  '',
  markdownTable(
    ['normalization', `steps to ${pct(target)}`, 'seconds to 85%', `test accuracy after ${steps} steps`, 'best test accuracy', `seconds for ${steps} steps`],
    ['l', 'r', 'r', 'r', 'r', 'r'],
    rows,
  ),
);
console.log(out.join('\n'));

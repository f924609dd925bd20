#!/usr/bin/env node
// The small CNN of <bn-cnn> (lesson section 9; its jobs are cnnJob in web/src/jobs/presets.ts) on
// the Fashion-MNIST subset (28×28 images, 3,500 train / 1,000 test) or the digits (8×8, 1,437 /
// 360), with each of the four normalizations the engine has: none, BatchNorm2d, GroupNorm(2, C) and
// LayerNorm over each example's [C, H, W]. The network: Conv2d(1→8, 3×3, padding 1) → norm → ReLU →
// MaxPool 2×2 → Conv2d(8→16) → norm → ReLU → MaxPool 2×2 → Flatten → Linear. SGD with momentum
// 0.9, batches of 64; the same initial weights and data order in every run. The four runs share
// two workers (two at a time).
//
// usage: node scripts/experiments/cnn.mjs [--dataset fashion-mnist|digits] [--steps N] [--every N] [--lr X] [--markdown]
//   --dataset   fashion-mnist (default; 1200 steps, checked every 100, target 85%) or digits
//               (<bn-cnn>'s default: 600 steps, checked every 25, target 95%)
//   --markdown  the table as docs/experiments.md holds it, with the line saying how it was made
// Steps and accuracies are deterministic (fixed seeds); the seconds columns are measured.
import { sweep } from '../../dist/index.js';
import { cnnJob } from '../../dist/jobs/presets.js';
import { flagValue, markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => flagValue(argv, name, fallback);
const dataset = arg('dataset', 'fashion-mnist');
if (dataset !== 'fashion-mnist' && dataset !== 'digits') throw new RangeError(`--dataset must be fashion-mnist or digits, not ${dataset}`);
const fashion = dataset === 'fashion-mnist';
const steps = Number(arg('steps', fashion ? 1200 : 600));
const every = Number(arg('every', fashion ? 100 : 25));
const lr = Number(arg('lr', 0.02));
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, not ${arg('steps')}`);
if (!Number.isInteger(every) || every < 1) throw new RangeError(`--every must be a positive integer, not ${arg('every')}`);
if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`--lr must be a positive number, not ${arg('lr')}`);
const target = fashion ? 0.85 : 0.95;
const norms = [
  ['batch', 'BatchNorm2d'],
  ['none', 'none'],
  ['group', 'GroupNorm(2, C)'],
  ['layer', 'LayerNorm([C, H, W])'],
];

const jobs = norms.map(([norm, name]) => cnnJob(dataset, norm, { steps, lr, seed: 1, every, label: name }));

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

const command = `node scripts/experiments/cnn.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
out.push(
  // The bold title is the setting (checked against the docs by docs.test.ts); the timing line is not.
  `**CNN on ${fashion ? 'Fashion-MNIST (3500 train / 1000 test)' : 'the digits (1437 train / 360 test)'}: conv 8, 16 channels, 3×3, max-pool 2×2, Linear ${fashion ? 784 : 64}→10; SGD lr ${lr}, momentum 0.9, batch 64; ${steps} steps, test accuracy checked every ${every}**`,
  '',
  `${wall.toFixed(1)} s wall clock for all ${results.length} runs in 2 workers.`,
  '',
  markdownTable(
    ['normalization', `steps to ${pct(target)}`, `seconds to ${pct(target)}`, `test accuracy after ${steps} steps`, 'best test accuracy', `seconds for ${steps} steps`],
    ['l', 'r', 'r', 'r', 'r', 'r'],
    rows,
  ),
);
console.log(out.join('\n'));

#!/usr/bin/env node
// How fast an MLP (64-128-128-10, ReLU) learns the handwritten digits with and without
// BatchNorm at several learning rates: steps and milliseconds until the test accuracy first
// reaches 97%, and the accuracy after the whole budget. Same data order and initial weights in
// every run; SGD with momentum 0.9, batches of 32; one thread, the SIMD build.
//
// usage: node scripts/experiments/digits-lr.mjs [--steps N] [--simd false] [--markdown]
//   --markdown  the table as docs/experiments.md holds it, with the line saying how it was made
// Steps and accuracies are deterministic (fixed seeds); the millisecond columns are measured.
import { loadLab } from '../../dist/index.js';
import { flagValue, markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => flagValue(argv, name, fallback);
const budget = Number(arg('steps', 3000));
if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`--steps must be a positive integer, not ${arg('steps')}`);
const lab = await loadLab({ simd: arg('simd', 'true') !== 'false' });
const { train, test } = await lab.loadDigits();
const every = 50;
const options = (lr, batchNorm) => ({
  model: { sizes: [64, 128, 128, 10], batchNorm, seed: 1 },
  train, test, batchSize: 32, lr, momentum: 0.9, dataSeed: 2, evalEvery: every,
});

const rows = [];
for (const lr of [0.01, 0.03, 0.1, 0.3, 1]) {
  for (const batchNorm of [false, true]) {
    // An untimed run first, so V8's optimizing tier has taken over the wrapper before timing.
    const warm = new lab.Trainer(options(lr, batchNorm));
    warm.run(300);
    warm.dispose();
    const t = new lab.Trainer(options(lr, batchNorm));
    let reached = null;
    let final = null;
    let ms = 0;
    while (t.step < budget) {
      const t0 = performance.now();
      const m = t.run(Math.min(every, budget - t.step));
      ms += performance.now() - t0;
      if (m.diverged) { final = `diverged at step ${m.divergedAt}`; break; }
      const acc = m.evalAccuracy[m.evalAccuracy.length - 1];
      if (reached === null && acc >= 0.97) reached = { step: t.step, ms };
      final = `${(100 * acc).toFixed(1)}%`;
    }
    rows.push([String(lr), batchNorm ? 'yes' : 'no', reached ? String(reached.step) : 'never', reached ? reached.ms.toFixed(0) : '–', final, ms.toFixed(0)]);
    t.dispose();
  }
}

const command = `node scripts/experiments/digits-lr.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
out.push(
  `Digits: ${train.size} train / ${test.size} test; ${lab.features.simd ? 'SIMD' : 'scalar'} build, one thread; budget ${budget} steps, test accuracy checked every ${every}.`,
  '',
  markdownTable(
    ['lr', 'BatchNorm', 'steps to 97%', 'ms to 97%', `accuracy after ${budget} steps`, `ms for ${budget} steps`],
    ['r', 'c', 'r', 'r', 'r', 'r'],
    rows,
  ),
);
console.log(out.join('\n'));

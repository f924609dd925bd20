#!/usr/bin/env node
// Does BatchNorm's batch noise regularise? The same MLP (64-100-100-100-10, ReLU) learns the
// handwritten digits with and without BatchNorm at several batch sizes; after a fixed budget of
// steps both networks are measured in eval mode on the training set and on the test set, and the
// gap between the two is the generalisation gap. BatchNorm's noise (each example normalised with
// its batch's statistics) is largest at small batches, so if it regularises, the BN network's gap
// shrinks there relative to the network without BN. Plain SGD, same data order and initial weights
// for both networks of a seed; several seeds per point.
//
// usage: node scripts/experiments/bn-regularisation.mjs [--steps N] [--seeds K] [--lr X] [--markdown]
// Every number is deterministic (fixed seeds).
import { loadLab } from '../../dist/index.js';
import { flagValue, markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => flagValue(argv, name, fallback);
const steps = Number(arg('steps', 3000));
const seeds = Number(arg('seeds', 3));
const lr = Number(arg('lr', 0.05));
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, not ${arg('steps')}`);
if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`--seeds must be a positive integer, not ${arg('seeds')}`);
const lab = await loadLab();
const { train, test } = await lab.loadDigits();
const batches = [2, 8, 32, 128];

const mean = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;
const rows = [];
for (const batchSize of batches) {
  for (const batchNorm of [false, true]) {
    const m = [];
    for (let s = 0; s < seeds; s++) {
      const t = new lab.Trainer({
        model: { sizes: [64, 100, 100, 100, 10], activation: 'relu', batchNorm, seed: 1 + s },
        train, test, batchSize, lr, dataSeed: 1 + s, evalEvery: steps,
      });
      const r = t.run(steps);
      const tr = t.evaluate(train);
      const te = t.evaluate(test);
      m.push({ diverged: r.diverged, trainAcc: tr.accuracy, testAcc: te.accuracy, trainLoss: tr.loss, testLoss: te.loss });
      t.dispose();
    }
    const ok = m.filter((x) => !x.diverged);
    const pct = (v) => `${(100 * v).toFixed(1)}%`;
    rows.push([String(batchSize), batchNorm ? 'yes' : 'no',
      pct(mean(ok.map((x) => x.trainAcc))), pct(mean(ok.map((x) => x.testAcc))),
      (100 * mean(ok.map((x) => x.trainAcc - x.testAcc))).toFixed(1),
      mean(ok.map((x) => x.trainLoss)).toFixed(4), mean(ok.map((x) => x.testLoss)).toFixed(3),
      (mean(ok.map((x) => x.testLoss - x.trainLoss))).toFixed(3), String(m.length - ok.length)]);
  }
}
const command = `node scripts/experiments/bn-regularisation.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
out.push(
  `**Digits (${train.size} train / ${test.size} test), MLP 64-100-100-100-10 ReLU, SGD lr ${lr}, ${steps} steps, mean of ${seeds} seeds; all measured in eval mode**`,
  '',
  markdownTable(
    ['batch size', 'BatchNorm', 'train accuracy', 'test accuracy', 'accuracy gap (points)', 'train loss', 'test loss', 'loss gap', 'diverged'],
    ['r', 'c', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  ),
);
console.log(out.join('\n'));

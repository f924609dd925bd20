#!/usr/bin/env node
// When BatchNorm fails: small batches (the shape of Wu & He 2018, "Group Normalization", Figure 1).
// Two networks learn the handwritten digits with BatchNorm, GroupNorm (2 groups), LayerNorm or no
// normalization, at batch sizes from 2 to 128: an MLP 64-100-100-10 (the norm in each hidden
// layer; a BatchNorm1d statistic pools only the batch) and a CNN on the 8×8 images, Conv2d(1→8,
// 3×3) → norm → ReLU → MaxPool 2×2 → Conv2d(8→16) → norm → ReLU → MaxPool 2×2 → Linear(64→10) (a
// BatchNorm2d statistic pools the batch × the positions of a map). The jobs are those of
// <bn-small-batches> (web/src/jobs/presets.ts): every run sees the same number of examples (a fixed
// number of epochs) with the learning rate scaled linearly with the batch size (Goyal et al. 2017,
// as Wu & He train), SGD with momentum 0.9; the same initial weights and data order for every
// normalization. Test error is measured in eval mode (running statistics) and, for BatchNorm, with
// training-mode statistics (the test set in batches of the training batch size, runJob's
// evalBatchStats): the gap between the two is BatchNorm's train/eval mismatch.
//
// usage: node scripts/experiments/small-batches.mjs [--epochs N (15)] [--lr X] [--seeds K (3)] [--markdown]
//   --lr   the learning rate at batch 32 (default 0.05); batch b uses lr·b/32
// Every error is deterministic (fixed seeds); the wall-clock line is measured.
import { loadLab, sweep } from '../../dist/index.js';
import { SMALL_BATCH_NETS, SMALL_BATCH_NORMS, smallBatchJob } from '../../dist/jobs/presets.js';
import { flagValue, markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => flagValue(argv, name, fallback);
const epochs = Number(arg('epochs', 15));
const baseLr = Number(arg('lr', 0.05));
const seeds = Number(arg('seeds', 3));
if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`--epochs must be a positive integer, not ${arg('epochs')}`);
if (!(baseLr > 0) || !Number.isFinite(baseLr)) throw new RangeError(`--lr must be a positive number, not ${arg('lr')}`);
if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`--seeds must be a positive integer, not ${arg('seeds')}`);

const lab = await loadLab();
const { train, test } = await lab.loadDigits();
const batches = [2, 4, 8, 16, 32, 64, 128];
const names = { batch: 'BatchNorm', group: 'GroupNorm(2 groups)', layer: 'LayerNorm', none: 'none' };
// The same jobs as <bn-small-batches>, over several seeds, on two workers.
const jobs = SMALL_BATCH_NETS.flatMap((net) => batches.flatMap((b) => SMALL_BATCH_NORMS.flatMap((norm) => Array.from({ length: seeds }, (_, s) => smallBatchJob(net, norm, b, epochs, 1 + s, baseLr)))));
const t0 = performance.now();
const results = await sweep(jobs, { workers: 2 });
const wall = (performance.now() - t0) / 1000;

const mean = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;
const sd = (xs) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, v) => a + (v - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0);
const cell = (accs, diverged) => {
  if (!accs.length) return 'diverged';
  const errs = accs.map((a) => 100 * (1 - a));
  return `${mean(errs).toFixed(1)}% ± ${sd(errs).toFixed(1)}${diverged ? ` (${diverged} diverged)` : ''}`;
};
let k = 0;
const tables = SMALL_BATCH_NETS.map(() => batches.map((b) => {
  const row = [String(b)];
  let batchStats = [];
  for (const norm of SMALL_BATCH_NORMS) {
    const rs = results.slice(k, k + seeds);
    k += seeds;
    const ok = rs.filter((r) => !r.diverged);
    row.push(cell(ok.map((r) => r.evalAccuracy[r.evalAccuracy.length - 1]), rs.length - ok.length));
    if (norm === 'batch') batchStats = ok.map((r) => r.batchStatsAccuracy);
  }
  row.push(batchStats.length ? cell(batchStats, 0) : '–');
  return row;
}));
const command = `node scripts/experiments/small-batches.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
const title = {
  mlp: 'MLP 64-100-100-10 (ReLU), the norm in each hidden layer: a BatchNorm1d statistic pools the batch',
  cnn: 'CNN conv 8, 16 (3×3, max-pool 2×2) → Linear 64→10, the norm in each conv block: a BatchNorm2d statistic pools batch × positions',
};
out.push(`${wall.toFixed(1)} s wall clock for ${jobs.length} runs in 2 workers.`, '');
SMALL_BATCH_NETS.forEach((net, i) => out.push(
  `**Digits (${train.size} train / ${test.size} test), ${title[net]}; ${epochs} epochs at every batch size, SGD momentum 0.9, lr ${baseLr} × batch/32; test error (100% − accuracy), mean ± sd of ${seeds} seeds**`,
  '',
  markdownTable(
    ['batch size', ...SMALL_BATCH_NORMS.map((n) => `${names[n]}, eval mode`), `${names.batch}, training-mode statistics`],
    ['r', 'r', 'r', 'r', 'r', 'r'],
    tables[i],
  ),
  '',
));
console.log(out.join('\n').trimEnd());

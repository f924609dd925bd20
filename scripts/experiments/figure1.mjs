#!/usr/bin/env node
// Ioffe & Szegedy (2015), Figure 1, replicated with this engine: 3 fully connected hidden
// layers of 100 sigmoid units, mini-batches of 60, plain SGD, with and without BatchNorm
// (Linear → BN → sigmoid). (a) test accuracy over training; (b, c) the 15th, 50th and 85th
// percentiles of the input to one sigmoid of the last hidden layer over training.
// The paper trained on MNIST for 50,000 steps; here the UCI digits (8x8) and a Fashion-MNIST
// subset (28x28, built by `npm run build`) stand in for MNIST.
//
// usage: node scripts/experiments/figure1.mjs [--steps N] [--lr X] [--dataset digits|fashion-mnist|both]
//                                             [--csv out.csv] [--markdown]
//   --csv       every run's percentiles, one row per recorded step: dataset,bn,step,p15,p50,p85
//               (bn is 1 for the run with BatchNorm, 0 for the one without)
//   --markdown  the tables as docs/experiments.md holds them, with the line saying how they were made
// Runs are deterministic (fixed seeds): the tables are the same on every run; only the times change.
import { writeFileSync } from 'node:fs';
import { sweep } from '../../dist/index.js';
import { FIGURE1 } from '../../dist/jobs/presets.js';
import { markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const args = Object.fromEntries(
  argv.reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]?.startsWith('--') ? true : all[i + 1] ?? true]] : pairs), []),
);
const steps = Number(args.steps ?? 20000);
const lr = Number(args.lr ?? FIGURE1.lr); // the setting the lab's paper button applies
const which = args.dataset ?? 'both';
if (!['digits', 'fashion-mnist', 'both'].includes(which)) throw new RangeError(`--dataset must be digits, fashion-mnist or both, not ${which}`);
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, not ${args.steps}`);
const datasets = which === 'both' ? ['digits', 'fashion-mnist'] : [which];
const every = Math.max(1, Math.round(steps / 20));

const runs = datasets.flatMap((name) => [false, true].map((batchNorm) => ({ name, batchNorm })));
const jobs = runs.map(({ name, batchNorm }) => ({
  label: `${name} ${batchNorm ? 'with BN' : 'without BN'}`,
  dataset: { kind: name },
  trainer: {
    model: { sizes: [name === 'digits' ? 64 : 784, ...Array(FIGURE1.hiddenLayers).fill(FIGURE1.width), 10], activation: FIGURE1.activation, batchNorm, seed: 1 },
    batchSize: FIGURE1.batchSize, lr, dataSeed: 1, evalEvery: every, evalLimit: 2000,
    watch: { layer: 2, unit: 0 },
  },
  steps,
  chunk: 1000,
}));

const t0 = performance.now();
const results = await sweep(jobs, { onResult: (i, r) => console.error(`done: ${r.label} (${(r.ms / 1000).toFixed(1)} s training)`) });
const wall = (performance.now() - t0) / 1000;
// sweep returns results in the order of its jobs, so runs[i] describes results[i].
runs.forEach((run, i) => { run.result = results[i]; });

const command = `node scripts/experiments/figure1.mjs ${argv.filter((a, i) => a !== '--markdown' && argv[i - 1] !== '--csv' && a !== '--csv').join(' ')}`.trim();
const out = [];
if (args.markdown) out.push(provenance(command), '');
out.push(`Figure 1 replica: ${steps} steps, batch 60, SGD lr ${lr}, 3×100 sigmoid units; ${wall.toFixed(1)} s wall clock for all ${runs.length} runs.`, '');

const percentiles = (r, step) => {
  const i = Math.min(step, r.steps) - 1;
  return [r.percentiles[3 * i], r.percentiles[3 * i + 1], r.percentiles[3 * i + 2]].map((v) => v.toFixed(2)).join(' / ');
};
const accuracy = (r, k) => (k < r.evalAccuracy.length ? `${(100 * r.evalAccuracy[k]).toFixed(1)}%` : r.diverged ? 'diverged' : '–');
for (const name of datasets) {
  const plain = runs.find((r) => r.name === name && !r.batchNorm).result;
  const bn = runs.find((r) => r.name === name && r.batchNorm).result;
  const rows = [];
  for (let k = 0; k < bn.evalSteps.length; k += Math.max(1, Math.floor(bn.evalSteps.length / 10))) {
    rows.push([String(bn.evalSteps[k]), accuracy(plain, k), accuracy(bn, k)]);
  }
  const last = (r) => accuracy(r, r.evalAccuracy.length - 1);
  rows.push([`${steps} (final)`, last(plain), last(bn)]);
  out.push(`**${name}: (a) test accuracy**`, '', markdownTable(['step', 'without BN', 'with BN'], ['r', 'r', 'r'], rows), '');
  const marks = [...new Set([1, Math.round(steps * 0.05), Math.round(steps * 0.25), Math.round(steps * 0.5), steps])].filter((s) => s >= 1);
  out.push(
    `**${name}: (b, c) input to a last-hidden-layer sigmoid, 15th / 50th / 85th percentile**`, '',
    markdownTable(['step', 'without BN', 'with BN'], ['r', 'r', 'r'], marks.map((s) => [String(s), percentiles(plain, s), percentiles(bn, s)])), '',
  );
}
console.log(out.join('\n'));

if (args.csv) {
  const rows = ['dataset,bn,step,p15,p50,p85'];
  for (const { name, batchNorm, result: r } of runs) {
    for (let i = 0; i < r.steps; i += Math.max(1, Math.floor(r.steps / 1000))) {
      rows.push(`${name},${batchNorm ? 1 : 0},${i + 1},${r.percentiles[3 * i]},${r.percentiles[3 * i + 1]},${r.percentiles[3 * i + 2]}`);
    }
  }
  writeFileSync(args.csv, rows.join('\n') + '\n');
}

#!/usr/bin/env node
// Ioffe & Szegedy (2015), Figure 1, replicated with this engine: 3 fully connected hidden
// layers of 100 sigmoid units, mini-batches of 60, plain SGD, with and without BatchNorm
// (Linear → BN → sigmoid). (a) test accuracy over training; (b, c) the 15th, 50th and 85th
// percentiles of the input to one sigmoid of the last hidden layer over training.
// The paper trained on MNIST for 50,000 steps; here the UCI digits (8x8) and a Fashion-MNIST
// subset (28x28, built by `npm run build`) stand in for MNIST.
//
// usage: node scripts/experiments/figure1.mjs [--steps N] [--lr X] [--dataset digits|fashion-mnist|both] [--csv out.csv]
import { writeFileSync } from 'node:fs';
import { sweep } from '../../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const steps = Number(args.steps ?? 20000);
const lr = Number(args.lr ?? 0.5);
const which = args.dataset ?? 'both';
const datasets = which === 'both' ? ['digits', 'fashion-mnist'] : [which];
const every = Math.max(1, Math.round(steps / 20));

const jobs = datasets.flatMap((name) =>
  [false, true].map((batchNorm) => ({
    label: `${name} ${batchNorm ? 'with BN' : 'without BN'}`,
    dataset: { kind: name },
    trainer: {
      model: { sizes: [name === 'digits' ? 64 : 784, 100, 100, 100, 10], activation: 'sigmoid', batchNorm, seed: 1 },
      batchSize: 60, lr, dataSeed: 1, evalEvery: every, evalLimit: 2000,
      watch: { layer: 2, unit: 0 },
    },
    steps,
    chunk: 1000,
  })),
);

const t0 = performance.now();
const results = await sweep(jobs, { onResult: (i, r) => console.error(`done: ${r.label} (${(r.ms / 1000).toFixed(1)} s training)`) });
console.log(`\nFigure 1 replica: ${steps} steps, batch 60, SGD lr ${lr}, 3×100 sigmoid; ${((performance.now() - t0) / 1000).toFixed(1)} s wall clock\n`);

const pick = (r, step) => {
  const i = Math.min(step, r.steps) - 1;
  return [r.percentiles[3 * i], r.percentiles[3 * i + 1], r.percentiles[3 * i + 2]].map((v) => v.toFixed(2)).join(' / ');
};
for (const name of datasets) {
  const [plain, bn] = results.filter((r) => r.label.startsWith(name));
  console.log(`## ${name}: (a) test accuracy`);
  console.log('| step | without BN | with BN |\n|---:|---:|---:|');
  for (let k = 0; k < bn.evalSteps.length; k += Math.max(1, Math.floor(bn.evalSteps.length / 10))) {
    const acc = (r) => (k < r.evalAccuracy.length ? (100 * r.evalAccuracy[k]).toFixed(1) + '%' : r.diverged ? 'diverged' : '–');
    console.log(`| ${bn.evalSteps[k]} | ${acc(plain)} | ${acc(bn)} |`);
  }
  const last = (r) => (r.evalAccuracy.length ? (100 * r.evalAccuracy[r.evalAccuracy.length - 1]).toFixed(1) + '%' : '–');
  console.log(`| ${steps} (final) | ${last(plain)} | ${last(bn)} |`);
  console.log(`\n## ${name}: (b, c) input to a last-hidden-layer sigmoid, 15th / 50th / 85th percentile`);
  console.log('| step | without BN | with BN |\n|---:|---:|---:|');
  for (const s of [1, Math.round(steps * 0.05), Math.round(steps * 0.25), Math.round(steps * 0.5), steps]) {
    console.log(`| ${s} | ${pick(plain, s)} | ${pick(bn, s)} |`);
  }
  console.log('');
}
if (args.csv) {
  const rows = ['dataset,bn,step,p15,p50,p85'];
  for (const r of results) {
    const [name, , bn] = r.label.split(' ');
    for (let i = 0; i < r.steps; i += Math.max(1, Math.floor(r.steps / 1000))) {
      rows.push(`${name},${bn === 'BN' ? 1 : 0},${i + 1},${r.percentiles[3 * i]},${r.percentiles[3 * i + 1]},${r.percentiles[3 * i + 2]}`);
    }
  }
  writeFileSync(args.csv, rows.join('\n') + '\n');
}

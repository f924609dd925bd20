#!/usr/bin/env node
// How fast an MLP (64-128-128-10, ReLU) learns the handwritten digits with and without
// BatchNorm at several learning rates: steps and milliseconds until the test accuracy first
// reaches 97%, and the accuracy after the whole budget. Same data order and initial weights in
// every run; SGD with momentum 0.9, batches of 32; one thread, the SIMD build.
//
// usage: node scripts/experiments/digits-lr.mjs [--steps N] [--simd false]
import { loadLab } from '../../dist/index.js';

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const budget = Number(arg('steps', 3000));
const lab = await loadLab({ simd: arg('simd', 'true') !== 'false' });
const { train, test } = await lab.loadDigits();
const every = 50;

console.log(`digits: ${train.size} train / ${test.size} test; ${lab.features.simd ? 'SIMD' : 'scalar'} build; budget ${budget} steps, test accuracy checked every ${every}\n`);
console.log('| lr | BatchNorm | steps to 97% | ms to 97% | accuracy after budget | ms for budget |');
console.log('|---:|:---:|---:|---:|---:|---:|');
for (const lr of [0.01, 0.03, 0.1, 0.3, 1]) {
  for (const batchNorm of [false, true]) {
    const t = new lab.Trainer({
      model: { sizes: [64, 128, 128, 10], batchNorm, seed: 1 },
      train, test, batchSize: 32, lr, momentum: 0.9, dataSeed: 2, evalEvery: every,
    });
    t.run(300); // warm the optimizing tier before timing (see TOOLCHAIN.md on V8 tiers)
    const t2 = new lab.Trainer({
      model: { sizes: [64, 128, 128, 10], batchNorm, seed: 1 },
      train, test, batchSize: 32, lr, momentum: 0.9, dataSeed: 2, evalEvery: every,
    });
    t.dispose();
    let reached = null;
    let final = null;
    let ms = 0;
    while (t2.step < budget) {
      const t0 = performance.now();
      const m = t2.run(every);
      ms += performance.now() - t0;
      if (m.diverged) { final = `diverged at step ${m.divergedAt}`; break; }
      const acc = m.evalAccuracy[m.evalAccuracy.length - 1];
      if (reached === null && acc >= 0.97) reached = { step: t2.step, ms };
      final = `${(100 * acc).toFixed(1)}%`;
    }
    console.log(`| ${lr} | ${batchNorm ? 'yes' : 'no'} | ${reached ? reached.step : 'never'} | ${reached ? reached.ms.toFixed(0) : '–'} | ${final} | ${ms.toFixed(0)} |`);
    t2.dispose();
  }
}

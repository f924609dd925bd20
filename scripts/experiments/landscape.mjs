#!/usr/bin/env node
// Why BatchNorm works, measured (Santurkar, Tsipras, Ilyas & Mądry 2018, "How Does Batch
// Normalization Help Optimization?", Figures 2 and 4), headless: the jobs of <bn-landscape>
// (web/src/jobs/presets.ts). Three copies of a 64-100-100-100-10 ReLU network learn the digits
// (batches of 60, plain SGD, the same initial weights and batches): without normalization, with
// BatchNorm before each ReLU, and with noisy BatchNorm (after each BatchNorm a per-unit random
// scale U(1, s) and shift U(−m, m), redrawn every step). Every 25 steps each run measures its
// loss landscape along the gradient at step sizes ¼ to 4 times the learning rate
// (Trainer.probeLandscape, which leaves the run unchanged): the loss range, the gradient change
// (gradient predictiveness) and the effective β-smoothness. The table gives their medians over the
// run, the final test accuracy and how far the watched unit's median input moves per step.
//
// usage: node scripts/experiments/landscape.mjs [--lrs 0.1,0.4] [--seeds K (3)] [--steps N (1500)] [--markdown]
// Every number is deterministic (fixed seeds); the wall-clock line is measured.
import { sweep } from '../../dist/index.js';
import { LANDSCAPE_DEFAULTS, LANDSCAPE_RUNS, landscapeJob, median, medianMovement } from '../../dist/jobs/presets.js';
import { flagValue, markdownTable, provenance } from '../lib/report.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => flagValue(argv, name, fallback);
const lrs = String(arg('lrs', '0.1,0.4')).split(',').map(Number);
const seeds = Number(arg('seeds', 3));
const steps = Number(arg('steps', LANDSCAPE_DEFAULTS.steps));
if (!lrs.length || lrs.some((x) => !(x > 0) || !Number.isFinite(x))) throw new RangeError(`--lrs must be positive numbers, not ${arg('lrs')}`);
if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`--seeds must be a positive integer, not ${arg('seeds')}`);
if (!Number.isInteger(steps) || steps < 100) throw new RangeError(`--steps must be an integer >= 100, not ${arg('steps')}`);

const settings = lrs.flatMap((lr) => Array.from({ length: seeds }, (_, s) => ({ ...LANDSCAPE_DEFAULTS, lr, steps, seed: 1 + s })));
const jobs = settings.flatMap((s) => LANDSCAPE_RUNS.map((run) => landscapeJob(run, s)));
const t0 = performance.now();
const results = await sweep(jobs, { workers: 2 });
const wall = (performance.now() - t0) / 1000;

const names = { none: 'without BatchNorm', batch: 'BatchNorm', noisy: 'noisy BatchNorm' };
const sig = (v) => (!Number.isFinite(v) ? (Number.isNaN(v) ? '–' : '∞') : v >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(2))));
const mean = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;
const rows = [];
lrs.forEach((lr, li) => {
  LANDSCAPE_RUNS.forEach((run, ri) => {
    // This setting's runs over the seeds: the median of each run's medians, the mean accuracy.
    const rs = Array.from({ length: seeds }, (_, s) => results[(li * seeds + s) * LANDSCAPE_RUNS.length + ri]);
    const med = (key) => median(rs.map((r) => median((r.landscape ?? []).map((p) => p[key]))));
    const ok = rs.filter((r) => !r.diverged);
    const acc = ok.length ? `${(100 * mean(ok.map((r) => r.evalAccuracy[r.evalAccuracy.length - 1]))).toFixed(1)}%` : 'diverged';
    rows.push([String(lr), names[run], sig(med('lossRange')), sig(med('gradientPredictiveness')), sig(med('betaSmoothness')),
      sig(median(rs.map((r) => medianMovement(r.percentiles)))), `${acc}${ok.length < rs.length ? ` (${rs.length - ok.length} diverged)` : ''}`]);
  });
});
const command = `node scripts/experiments/landscape.mjs ${argv.filter((a) => a !== '--markdown').join(' ')}`.trim();
const out = [];
if (argv.includes('--markdown')) out.push(provenance(command), '');
out.push(`${wall.toFixed(1)} s wall clock for ${jobs.length} runs in 2 workers.`, '');
out.push(
  `**Digits, 64-100-100-100-10 ReLU, batches of 60, plain SGD, ${steps} steps; noisy BatchNorm: scale U(1, ${LANDSCAPE_DEFAULTS.noiseScale}), shift U(−${LANDSCAPE_DEFAULTS.noiseShift}, ${LANDSCAPE_DEFAULTS.noiseShift}) per unit and step; landscape every 25 steps at η = ¼ to 4 × lr; medians over each run, then over ${seeds} seeds; accuracy: mean final test accuracy (eval mode)**`,
  '',
  markdownTable(
    ['lr', 'network', 'loss range along the gradient', 'gradient change (predictiveness)', 'effective β-smoothness', 'watched unit: median’s move per step', 'test accuracy'],
    ['r', 'l', 'r', 'r', 'r', 'r', 'r'],
    rows,
  ),
);
console.log(out.join('\n').trimEnd());

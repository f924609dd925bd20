// BatchNorm1d / BatchNorm2d against torch 1.13 (tests/fixtures/batchnorm.json) on both builds:
// forward in train and eval mode, backward (input, weight and bias gradients, accumulating),
// running statistics and num_batches_tracked for every momentum kind, affine=false,
// track_running_stats=false, non-default eps, large offsets, the batch-of-one error.
//
// Tolerances follow helpers.ts: per channel, the statistics are length-M reductions (M = N·L or
// N·H·W), so one implementation's mean is within γ(M)·mean|x| of the exact one and its biased
// variance within γ(M+3)·var (corrected two-pass); everything downstream inherits those errors
// plus a few roundings. The formulas are spelled out at each comparison.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';
import { MODULES, U, bound, expectClose, expectExact, expectThrows, f32, gammaN, loadFixture } from './helpers.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;

const ONE_VALUE_MSG = 'Expected more than 1 value per channel when training';

interface BnOptions {
  eps: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
}
interface BnRecord {
  weight: number[] | null;
  bias: number[] | null;
  weightGrad: number[] | null;
  biasGrad: number[] | null;
  runningMean: number[] | null;
  runningVar: number[] | null;
  numBatchesTracked: number | null;
  lastBatchMean: number[] | null;
  lastBatchVar: number[] | null;
}
interface BnStep extends BnRecord {
  mode: 'train' | 'eval';
  zeroGrad: boolean;
  shape: number[];
  x: number[];
  y?: number[];
  dy?: number[];
  dx?: number[];
  error?: string;
  torchNumBatchesTrackedAfterError?: number;
}
interface BnCase {
  name: string;
  module: 'BatchNorm1d' | 'BatchNorm2d';
  numFeatures: number;
  options: BnOptions;
  init: { weight?: number[]; bias?: number[]; runningMean?: number[]; runningVar?: number[] };
  steps: BnStep[];
}

const fixture = loadFixture<BnCase>('batchnorm.json');

/** Per-channel view of an (N, C, S) tensor: element (n, c, s) at (n·C + c)·S + s. */
function channelIndices(shape: number[], c: number): number[] {
  const N = shape[0]!;
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) out.push((n * C + c) * S + s);
  return out;
}

describe('batchnorm fixture coverage', () => {
  it('covers every behaviour the API promises', () => {
    const cs = fixture.cases;
    const has = (p: (c: BnCase) => boolean) => expect(cs.some(p)).toBe(true);
    has((c) => c.module === 'BatchNorm1d' && c.steps.some((s) => s.shape.length === 2));
    has((c) => c.module === 'BatchNorm1d' && c.steps.some((s) => s.shape.length === 3));
    has((c) => c.module === 'BatchNorm2d');
    for (const m of [0.1, 0.3, null]) has((c) => c.options.momentum === m);
    has((c) => !c.options.affine);
    has((c) => !c.options.trackRunningStats && c.steps.some((s) => s.mode === 'eval' && s.dy));
    has((c) => c.options.eps !== 1e-5);
    has((c) => c.steps.some((s) => s.error));
    has((c) => c.steps.some((s) => s.mode === 'eval' && s.shape[0] === 1 && !s.error));
    has((c) => c.steps.some((s) => !s.zeroGrad));
    has((c) => c.steps.some((s) => s.x.some((v) => Math.abs(v) > 9000)));
  });
});

for (const simd of MODULES) {
  describe(`${simd ? 'SIMD' : 'scalar'} module`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
    });

    for (const c of fixture.cases) {
      it(c.name, () => runCase(lab, c));
    }
  });
}

function runCase(lab: Lab, c: BnCase): void {
  const C = c.numFeatures;
  const o = c.options;
  const bn = c.module === 'BatchNorm1d' ? new lab.BatchNorm1d(C, o) : new lab.BatchNorm2d(C, o);
  try {
    expect(bn.training).toBe(true);
    expect(bn.lastBatchMean).toBeNull();
    expect(bn.lastBatchVar).toBeNull();
    if (!o.affine) expect(bn.weight).toBeNull();
    if (!o.trackRunningStats) expect(bn.runningMean).toBeNull();
    if (c.init.weight) bn.weight = f32(c.init.weight);
    if (c.init.bias) bn.bias = f32(c.init.bias);
    if (c.init.runningMean) bn.runningMean = f32(c.init.runningMean);
    if (c.init.runningVar) bn.runningVar = f32(c.init.runningVar);

    // torch's buffers before the first step (the defaults unless init set them).
    let prev: BnRecord = {
      weight: o.affine ? (c.init.weight ?? new Array(C).fill(1)) : null,
      bias: o.affine ? (c.init.bias ?? new Array(C).fill(0)) : null,
      weightGrad: null,
      biasGrad: null,
      runningMean: o.trackRunningStats ? (c.init.runningMean ?? new Array(C).fill(0)) : null,
      runningVar: o.trackRunningStats ? (c.init.runningVar ?? new Array(C).fill(1)) : null,
      numBatchesTracked: o.trackRunningStats ? 0 : null,
      lastBatchMean: null,
      lastBatchVar: null,
    };
    // Bounds carried across steps: running statistics (engine vs torch) and the accumulated
    // parameter gradients since the last zeroGrad.
    const bRM = new Float64Array(C);
    const bRV = new Float64Array(C);
    const bWG = new Float64Array(C);
    const bBG = new Float64Array(C);

    for (const [si, s] of c.steps.entries()) {
      const at = `step ${si} (${s.mode} ${JSON.stringify(s.shape)})`;
      if (s.mode === 'train') bn.train();
      else bn.eval();
      expect(bn.training).toBe(s.mode === 'train');
      if (s.zeroGrad) {
        bn.zeroGrad();
        bWG.fill(0);
        bBG.fill(0);
      }
      const x = f32(s.x);

      if (s.error) {
        const before = { rm: bn.runningMean, rv: bn.runningVar, lm: bn.lastBatchMean, lv: bn.lastBatchVar };
        expectThrows(() => bn.forward(x, s.shape), RangeError, ONE_VALUE_MSG, at);
        // The failed call changes no statistics. (torch 1.13 does bump num_batches_tracked
        // before raising, see the fixture's torchNumBatchesTrackedAfterError; not held here.)
        if (before.rm) expectExact(bn.runningMean, before.rm, `${at} runningMean unchanged`);
        if (before.rv) expectExact(bn.runningVar, before.rv, `${at} runningVar unchanged`);
        if (before.lm) expectExact(bn.lastBatchMean, before.lm, `${at} lastBatchMean unchanged`);
        if (before.lv) expectExact(bn.lastBatchVar, before.lv, `${at} lastBatchVar unchanged`);
        expect(s.runningMean, 'fixture: torch left running_mean alone').toEqual(prev.runningMean);
        continue;
      }

      const runningBefore = { rm: bn.runningMean, rv: bn.runningVar, nbt: bn.numBatchesTracked, lm: bn.lastBatchMean, lv: bn.lastBatchVar };
      const y = bn.forward(x, s.shape);
      const dx = s.dy ? bn.backward(f32(s.dy)) : null;
      const usesBatch = s.mode === 'train' || !o.trackRunningStats;
      const M = s.x.length / C;
      const mean = usesBatch ? s.lastBatchMean! : s.runningMean!;
      const varUsed = usesBatch ? s.lastBatchVar! : s.runningVar!;

      const yTol = new Float64Array(s.x.length);
      const dxTol = new Float64Array(s.x.length);
      for (let ch = 0; ch < C; ch++) {
        const idx = channelIndices(s.shape, ch);
        const mu = mean[ch]!;
        const invstd = 1 / Math.sqrt(varUsed[ch]! + o.eps);
        const gamma = s.weight ? s.weight[ch]! : 1;
        const beta = s.bias ? s.bias[ch]! : 0;
        const alpha = Math.abs(gamma) * invstd;
        let sumAbsX = 0;
        let maxDev = 0;
        for (const i of idx) {
          sumAbsX += Math.abs(s.x[i]!);
          maxDev = Math.max(maxDev, Math.abs(s.x[i]! - mu));
        }
        const meanAbsX = sumAbsX / M;
        const X = maxDev * invstd; // max |x̂|
        // One implementation's |error| of x̂ = (x - μ)·invstd: the mean's γ(M)·mean|x|, the
        // variance's relative γ(M+3) halved by the square root, two roundings.
        const E = usesBatch
          ? invstd * gammaN(M) * meanAbsX + X * (gammaN(M + 3) / 2 + 2 * U) + U * X
          : X * 4 * U;

        // y = x̂·γ + β. In batch mode: E·|γ| plus torch's x·α + (β - μ·α) formulation, whose
        // roundings scale with |x|·α and |μ|·α. In eval the statistics are exact inputs.
        for (const i of idx) {
          const xi = s.x[i]!;
          const xhat = Math.abs(xi - mu) * invstd;
          const perImpl = Math.abs(gamma) * (usesBatch ? invstd * gammaN(M) * meanAbsX + xhat * (gammaN(M + 3) / 2) : 0) +
            gammaN(6) * (alpha * (Math.abs(xi) + Math.abs(mu)) + Math.abs(beta) + Math.abs(s.y![i]!));
          yTol[i] = 2 * perImpl;
        }

        if (s.dy) {
          let D = 0;
          let sumAbsDy = 0;
          let sumAbsDyXhat = 0;
          let sumDyXhat = 0;
          let dxMax = 0;
          for (const i of idx) {
            const dyi = s.dy[i]!;
            const xhat = (s.x[i]! - mu) * invstd;
            D = Math.max(D, Math.abs(dyi));
            sumAbsDy += Math.abs(dyi);
            sumAbsDyXhat += Math.abs(dyi * xhat);
            sumDyXhat += dyi * xhat;
            dxMax = Math.max(dxMax, Math.abs(s.dx![i]!));
          }
          if (usesBatch) {
            // dx = α·(dy - mean(dy) - x̂·mean(dy·x̂)): two length-M means (γ(M+4) of their
            // magnitudes), the x̂ error E entering both x̂ and mean(dy·x̂), and α's relative error.
            const mdy = sumAbsDy / M;
            const mdyx = sumAbsDyXhat / M;
            const b = Math.abs(sumDyXhat) / M;
            const perImpl = alpha * (gammaN(M + 4) * (D + mdy + X * mdyx) + E * (X * mdy + b)) +
              dxMax * (gammaN(M + 3) / 2 + 2 * U);
            for (const i of idx) dxTol[i] = 2 * perImpl;
          } else {
            // Constant statistics: dx = dy·γ·invstd, a few roundings.
            for (const i of idx) dxTol[i] = bound(6, alpha * Math.abs(s.dy[i]!));
          }
          // dγ += Σ dy·x̂ and dβ += Σ dy: length-M sums, plus x̂'s error E per term.
          bWG[ch] = bWG[ch]! + 2 * (gammaN(M + 2) * sumAbsDyXhat + E * sumAbsDy);
          bBG[ch] = bBG[ch]! + bound(M + 2, sumAbsDy);
        }

        if (s.mode === 'train' && o.trackRunningStats) {
          // running = (1 - f)·running + f·batch (running_var with the unbiased variance):
          // the old difference shrinks by (1 - f), the batch statistic adds f times its own,
          // and the update itself three roundings.
          const f = o.momentum ?? 1 / s.numBatchesTracked!;
          const dMu = 2 * gammaN(M + 2) * meanAbsX;
          const vU = (s.lastBatchVar![ch]! * M) / (M - 1);
          const dV = 2 * (gammaN(M + 8) * vU + (gammaN(M) * meanAbsX) ** 2 * M / (M - 1));
          bRM[ch] = (1 - f) * bRM[ch]! + f * dMu +
            bound(3, f * Math.abs(mu) + (1 - f) * Math.abs(prev.runningMean![ch]!) + Math.abs(s.runningMean![ch]!));
          bRV[ch] = (1 - f) * bRV[ch]! + f * dV +
            bound(3, f * vU + (1 - f) * Math.abs(prev.runningVar![ch]!) + Math.abs(s.runningVar![ch]!));
        }
      }

      expectClose(y, s.y!, { atol: yTol, shape: s.shape }, `${at} y`);
      if (s.dy) {
        expectClose(dx, s.dx!, { atol: dxTol, shape: s.shape }, `${at} dx`);
        if (o.affine) {
          expectClose(bn.weightGrad, s.weightGrad!, { atol: bWG }, `${at} weightGrad`);
          expectClose(bn.biasGrad, s.biasGrad!, { atol: bBG }, `${at} biasGrad`);
        }
      }
      if (!o.affine) {
        expect(bn.weight).toBeNull();
        expect(bn.bias).toBeNull();
        expect(bn.weightGrad).toBeNull();
        expect(bn.biasGrad).toBeNull();
      } else {
        expectExact(bn.weight, s.weight!, `${at} weight`);
        expectExact(bn.bias, s.bias!, `${at} bias`);
      }

      if (o.trackRunningStats) {
        expect(bn.numBatchesTracked, `${at} numBatchesTracked`).toBe(s.numBatchesTracked);
        expectClose(bn.runningMean, s.runningMean!, { atol: bRM }, `${at} runningMean`);
        expectClose(bn.runningVar, s.runningVar!, { atol: bRV }, `${at} runningVar`);
        if (s.mode === 'eval') {
          // Eval reads the running statistics and leaves them exactly as they were.
          expectExact(bn.runningMean, runningBefore.rm!, `${at} runningMean unchanged by eval`);
          expectExact(bn.runningVar, runningBefore.rv!, `${at} runningVar unchanged by eval`);
          expect(bn.numBatchesTracked).toBe(runningBefore.nbt);
        }
      } else {
        expect(bn.runningMean).toBeNull();
        expect(bn.runningVar).toBeNull();
        expect(bn.numBatchesTracked).toBe(0);
      }

      if (s.lastBatchMean === null) {
        expect(bn.lastBatchMean, `${at} lastBatchMean before any batch statistics`).toBeNull();
        expect(bn.lastBatchVar).toBeNull();
      } else {
        // Against float64 statistics of the same float32 input: one implementation's error only.
        const lmTol = new Float64Array(C);
        const lvTol = new Float64Array(C);
        for (let ch = 0; ch < C; ch++) {
          const idx = channelIndices(s.shape, ch);
          const Mb = idx.length;
          const meanAbsX = idx.reduce((a, i) => a + Math.abs(s.x[i]!), 0) / Mb;
          lmTol[ch] = gammaN(Mb + 2) * meanAbsX;
          lvTol[ch] = gammaN(Mb + 8) * s.lastBatchVar![ch]! + (gammaN(Mb) * meanAbsX) ** 2;
        }
        if (usesBatch) {
          expectClose(bn.lastBatchMean, s.lastBatchMean, { atol: lmTol }, `${at} lastBatchMean`);
          expectClose(bn.lastBatchVar, s.lastBatchVar!, { atol: lvTol }, `${at} lastBatchVar (biased)`);
        } else {
          // Eval with running statistics keeps the last training batch's statistics.
          expect(s.lastBatchMean, 'fixture: eval keeps the last batch statistics').toEqual(prev.lastBatchMean);
          expectExact(bn.lastBatchMean, runningBefore.lm!, `${at} lastBatchMean unchanged by eval`);
          expectExact(bn.lastBatchVar, runningBefore.lv!, `${at} lastBatchVar unchanged by eval`);
        }
      }
      prev = s;
    }
  } finally {
    bn.dispose();
  }
}

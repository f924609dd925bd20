// Numerics under stress, on the SIMD and the scalar module:
//  - constant features (zero variance) through BatchNorm1d/2d in training and eval mode give
//    finite outputs, exactly beta for the normalised part, and finite gradients;
//  - features at 1e4 ± 1 and 1e-4 ± 1e-6 normalise like a float64 reference, within a tolerance
//    derived below from float32 arithmetic (not tuned to the results);
//  - trainers (MLPs, and CNNs on the digits with each normalization) with learning rates up to
//    100 and huge initial weights either train with finite metrics or stop with diverged/divergedAt; no NaN or Infinity reaches a caller in any metric
//    array, evaluate(), predictGrid() or histograms();
//  - the losses refuse NaN and Infinity with a RangeError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Dataset } from '../../dist/index.js';
import { gammaN, rng, U } from './helpers.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;
type Metrics = ReturnType<InstanceType<Lab['Trainer']>['run']>;


/** x[n, c, s] for a row-major [N, C, S] layout. */
const at = (n: number, c: number, s: number, C: number, S: number) => (n * C + c) * S + s;

/** The shape as BatchNorm sees it: N, C and S = L or H*W (1 for [N, C]). */
function ncs(shape: readonly number[]): [number, number, number] {
  return [shape[0]!, shape[1]!, shape.slice(2).reduce((a, b) => a * b, 1)];
}

function firstNonFinite(v: ArrayLike<number>): number {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return i;
  return -1;
}

function expectFinite(v: ArrayLike<number>, label: string): void {
  const i = firstNonFinite(v);
  expect(i, i >= 0 ? `${label}[${i}] = ${v[i]}` : label).toBe(-1);
}

// ---- float64 reference and the tolerance model ------------------------------------------------
//
// For one channel of M float32 values x_i with float64 mean μ, biased variance σ², and ε:
//   xhat_i = (x_i - μ) / √(σ² + ε).
// The engine computes the statistics with a shifted two-pass algorithm and float32 results
// (cpp/kernels: the SIMD variant accumulates in float32, the reference in float64), then
// xhat_i = (x_i - mean_f) · invstd_f in float32. Error bounds, with U = 2^-24 and R = max|x_i - μ|:
//   mean_f:    |mean_f - μ| <= e_μ = U·|μ| + 2·γ(M+1)·R
//              (rounding the mean to float32, plus the float32 sums of deviations in both passes);
//   variance:  relative error <= γ(M) + 3U (Σd² accumulated in float32, the correction, the division),
//              so invstd_f = fl(1/√(var_f + ε)) has relative error <= (γ(M) + 3U)/2 + U;
//   xhat:      x_i - mean_f is exact (Sterbenz: the values are within a factor 2 of each other),
//              one rounding for the product:
//              |Δxhat_i| <= e_μ · invstd + |xhat_i| · ((γ(M) + 3U)/2 + 2U).
// At 1e4 ± 1 the first term dominates: float32 cannot hold the mean better than half an ulp of
// 1e4 (4.9e-4), which over a standard deviation of ~0.58 is ~1e-3 in xhat. Torch has the same limit.
interface ChannelRef {
  mean: number;
  varB: number;
  invstd: number;
  tolXhat: (xhat: number) => number;
}

function channelRefs(x: Float32Array, shape: readonly number[], eps: number): ChannelRef[] {
  const [N, C, S] = ncs(shape);
  const M = N * S;
  const refs: ChannelRef[] = [];
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x[at(n, c, s, C, S)]!;
    const mean = sum / M;
    let q = 0;
    let r = 0;
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const d = x[at(n, c, s, C, S)]! - mean;
        q += d * d;
        r = Math.max(r, Math.abs(d));
      }
    const varB = q / M;
    const invstd = 1 / Math.sqrt(varB + eps);
    const eMean = U * Math.abs(mean) + 2 * gammaN(M + 1) * r;
    const relInv = (gammaN(M) + 3 * U) / 2 + 2 * U;
    refs.push({ mean, varB, invstd, tolXhat: (xh) => eMean * invstd + Math.abs(xh) * relInv });
  }
  return refs;
}

/** Asserts a BatchNorm output (gamma, beta per channel) against the float64 reference. */
function expectNormalised(
  y: Float32Array,
  x: Float32Array,
  shape: readonly number[],
  refs: ChannelRef[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  label: string,
): void {
  const [N, C, S] = ncs(shape);
  let worst = 0;
  let where = '';
  for (let c = 0; c < C; c++) {
    const r = refs[c]!;
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s, C, S);
        const xh = (x[i]! - r.mean) * r.invstd;
        const want = xh * gamma[c]! + beta[c]!;
        // gamma scales the xhat error; two more roundings (product, sum) on the output.
        const tol = Math.abs(gamma[c]!) * r.tolXhat(xh) + 2 * U * (Math.abs(xh * gamma[c]!) + Math.abs(beta[c]!));
        const ratio = Math.abs(y[i]! - want) / tol;
        if (!(ratio <= worst)) {
          worst = ratio;
          where = `[${n}, ${c}, ${s}]: got ${y[i]}, float64 ${want}, tolerance ${tol.toExponential(2)}`;
        }
      }
  }
  expect(worst, `${label}: worst element ${where} (${worst.toFixed(2)}x the tolerance)`).toBeLessThanOrEqual(1);
}

// ---- trainer configurations ------------------------------------------------------------------

const METRIC_ARRAYS = ['loss', 'batchAccuracy', 'percentiles', 'gradNorms', 'evalSteps', 'evalLoss', 'evalAccuracy'] as const;

function expectFiniteMetrics(m: Metrics, label: string): void {
  for (const k of METRIC_ARRAYS) expectFinite(m[k], `${label}: ${k}`);
}

for (const simd of [true, false]) {
  describe(`numerics under stress (${simd ? 'SIMD' : 'scalar'} module)`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
    });

    describe('constant features (zero variance)', () => {
      // Channels: constants that are and are not exact in binary, large and negative ones, and one
      // varying channel so the layer is not trivially constant.
      const CONSTS = [0.1, 1e4 + 0.5, -3.3, 0, 123456.7];
      const GAMMA = [2, -1, 0.5, 3, 1, 1.5];
      const BETA = [0.25, -0.5, 0, 1, 2, -0.75];
      const cases: { kind: 'BatchNorm1d' | 'BatchNorm2d'; shape: number[] }[] = [
        { kind: 'BatchNorm1d', shape: [7, 6] },        // [N, C]: the column kernels
        { kind: 'BatchNorm1d', shape: [3, 6, 5] },     // [N, C, L]
        { kind: 'BatchNorm2d', shape: [4, 6, 5, 7] },  // [N, C, H, W], H*W = 35 (SIMD tails)
        { kind: 'BatchNorm1d', shape: [2, 6] },        // the smallest batch with statistics
      ];
      const makeX = (shape: number[]) => {
        const [N, C, S] = ncs(shape);
        const r = rng(7);
        const x = new Float32Array(N * C * S);
        for (let n = 0; n < N; n++)
          for (let c = 0; c < C; c++)
            for (let s = 0; s < S; s++) x[at(n, c, s, C, S)] = c < CONSTS.length ? CONSTS[c]! : 2 * r() - 1;
        return x;
      };
      const makeDy = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(0.7 * i + 0.3));

      for (const { kind, shape } of cases) {
        // 1e-30 is the smallest eps BatchNorm accepts: below it 1/√eps, and so the gradient of a
        // constant channel, no longer fits in float32 (see the RangeError test below).
        for (const eps of [1e-5, 1e-3, 1e-30]) {
          it(`${kind} ${JSON.stringify(shape)}, eps ${eps}: training gives beta exactly and finite gradients`, () => {
            const [N, C, S] = ncs(shape);
            const bn = new lab[kind](C, { eps });
            try {
              bn.weight = Float32Array.from(GAMMA);
              bn.bias = Float32Array.from(BETA);
              const x = makeX(shape);
              const y = bn.forward(x, shape);
              expectFinite(y, 'y');
              for (let c = 0; c < CONSTS.length; c++)
                for (let n = 0; n < N; n++)
                  for (let s = 0; s < S; s++)
                    expect(y[at(n, c, s, C, S)], `y[${n}, ${c}, ${s}] of a constant channel`).toBe(Math.fround(BETA[c]!));
              expect(Array.from(bn.lastBatchVar!.slice(0, CONSTS.length))).toEqual([0, 0, 0, 0, 0]);
              const dy = makeDy(x.length);
              const dx = bn.backward(dy);
              expectFinite(dx, 'dx');
              expectFinite(bn.weightGrad!, 'weightGrad');
              expectFinite(bn.biasGrad!, 'biasGrad');
              // xhat is 0 on a constant channel, so dgamma = Σ dy·xhat is exactly 0 there, and
              // dx = gamma·invstd·(dy - mean(dy)): its values sum to ~0 (float32 sums of M terms).
              for (let c = 0; c < CONSTS.length; c++) {
                expect(bn.weightGrad![c], `weightGrad[${c}]`).toBe(0);
                let sum = 0;
                let mag = 0;
                for (let n = 0; n < N; n++)
                  for (let s = 0; s < S; s++) {
                    sum += dx[at(n, c, s, C, S)]!;
                    mag += Math.abs(dx[at(n, c, s, C, S)]!);
                  }
                expect(Math.abs(sum), `Σ dx over constant channel ${c}`).toBeLessThanOrEqual(2 * gammaN(N * S + 4) * (mag + 1e-30));
              }
            } finally {
              bn.dispose();
            }
          });
        }
      }

      it('an eps so small that 1/sqrt(eps) overflows float32 is refused, naming eps', () => {
        for (const kind of ['BatchNorm1d', 'BatchNorm2d'] as const) {
          expect(() => new lab[kind](3, { eps: 1e-300 })).toThrow(RangeError);
          expect(() => new lab[kind](3, { eps: 1e-31 })).toThrow(/eps/);
        }
      });

      for (const { kind, shape } of cases.slice(0, 3)) {
        for (const eps of [1e-5, 1e-30]) {
          it(`${kind} ${JSON.stringify(shape)}, eps ${eps}: eval with zero running variance gives beta and finite gradients`, () => {
            const [N, C, S] = ncs(shape);
            const bn = new lab[kind](C, { eps });
            try {
              bn.weight = Float32Array.from(GAMMA);
              bn.bias = Float32Array.from(BETA);
              // Running statistics that describe the constant channels exactly: variance 0.
              bn.runningMean = Float32Array.from({ length: C }, (_, c) => (c < CONSTS.length ? CONSTS[c]! : 0));
              bn.runningVar = Float32Array.from({ length: C }, (_, c) => (c < CONSTS.length ? 0 : 1));
              bn.eval();
              const x = makeX(shape);
              const y = bn.forward(x, shape);
              expectFinite(y, 'y');
              for (let c = 0; c < CONSTS.length; c++)
                for (let n = 0; n < N; n++)
                  for (let s = 0; s < S; s++)
                    expect(y[at(n, c, s, C, S)], `y[${n}, ${c}, ${s}]`).toBe(Math.fround(BETA[c]!));
              const dx = bn.backward(makeDy(x.length));
              expectFinite(dx, 'dx');
              expectFinite(bn.weightGrad!, 'weightGrad');
              expectFinite(bn.biasGrad!, 'biasGrad');
            } finally {
              bn.dispose();
            }
          });
        }
      }

      it('eval after training on a constant feature: running variance decays towards 0, outputs stay finite', () => {
        const bn = new lab.BatchNorm1d(2, { momentum: 0.5 });
        try {
          const x = Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 4.25 : i / 3));
          for (let k = 0; k < 200; k++) bn.forward(x, [8, 2]);
          expect(bn.runningVar![0]).toBeLessThan(1e-30);  // 0.5^200: 0 or a subnormal float
          bn.eval();
          const y = bn.forward(x, [8, 2]);
          expectFinite(y, 'eval y');
          for (let n = 0; n < 8; n++) expect(y[2 * n], `y[${n}, 0]`).toBe(0);
          expectFinite(bn.backward(new Float32Array(16).fill(1)), 'eval dx');
        } finally {
          bn.dispose();
        }
      });

      it('affine=false and trackRunningStats=false: constant channels normalise to exactly 0', () => {
        const bn = new lab.BatchNorm2d(3, { affine: false, trackRunningStats: false });
        try {
          const x = new Float32Array(2 * 3 * 4).fill(-17.125);
          for (const mode of [true, false]) {
            bn.train(mode);
            const y = bn.forward(x, [2, 3, 2, 2]);
            expect(Array.from(y)).toEqual(new Array(24).fill(0));
            expectFinite(bn.backward(Float32Array.from({ length: 24 }, (_, i) => i - 12)), 'dx');
          }
        } finally {
          bn.dispose();
        }
      });
    });

    describe('features at 1e4 ± 1 and 1e-4 ± 1e-6', () => {
      const scales = [
        { name: '1e4 ± 1', centre: 1e4, spread: 1 },
        { name: '1e-4 ± 1e-6', centre: 1e-4, spread: 1e-6 },
        { name: '-1e4 ± 1', centre: -1e4, spread: 1 },
      ];
      const shapes: { kind: 'BatchNorm1d' | 'BatchNorm2d'; shape: number[] }[] = [
        { kind: 'BatchNorm1d', shape: [64, 5] },
        { kind: 'BatchNorm1d', shape: [16, 5, 9] },
        { kind: 'BatchNorm2d', shape: [8, 3, 5, 7] },
      ];
      const makeX = (shape: number[], centre: number, spread: number, seed: number) => {
        const r = rng(seed);
        const n = shape.reduce((a, b) => a * b, 1);
        // Each channel gets its own offset within the spread, so channels differ.
        return Float32Array.from({ length: n }, () => centre + spread * (2 * r() - 1));
      };

      for (const { name, centre, spread } of scales) {
        for (const { kind, shape } of shapes) {
          // eps 1e-5 is the default; at 1e-4 ± 1e-6 (variance ~3e-13) it swamps the variance, so a
          // tiny eps is tried too, where the features are really rescaled to unit variance.
          for (const eps of [1e-5, 1e-15]) {
            it(`${kind} ${JSON.stringify(shape)} at ${name}, eps ${eps}: training forward matches float64`, () => {
              const C = shape[1]!;
              const bn = new lab[kind](C, { eps });
              try {
                const gamma = Float32Array.from({ length: C }, (_, c) => 0.5 + c);
                const beta = Float32Array.from({ length: C }, (_, c) => c - 1);
                bn.weight = gamma;
                bn.bias = beta;
                const x = makeX(shape, centre, spread, 11 + C);
                const refs = channelRefs(x, shape, eps);
                const y = bn.forward(x, shape);
                expectNormalised(y, x, shape, refs, gamma, beta, 'y');
                // The batch statistics themselves (exposed for the lesson's charts).
                const [N, , S] = ncs(shape);
                const M = N * S;
                refs.forEach((r, c) => {
                  const eMean = U * Math.abs(r.mean) + 2 * gammaN(M + 1) * spread * 2;
                  expect(Math.abs(bn.lastBatchMean![c]! - r.mean), `mean[${c}]`).toBeLessThanOrEqual(eMean);
                  // var_f relative error (γ(M) + 3U), plus the mean error's effect on Σd²: none to
                  // first order (the two-pass correction), plus the float32 rounding of the result.
                  expect(Math.abs(bn.lastBatchVar![c]! - r.varB), `var[${c}]`).toBeLessThanOrEqual((gammaN(M) + 4 * U) * r.varB);
                });
                const dx = bn.backward(Float32Array.from({ length: x.length }, (_, i) => Math.cos(i)));
                expectFinite(dx, 'dx');
              } finally {
                bn.dispose();
              }
            });
          }
        }
        it(`eval mode at ${name}: running statistics from float64 normalise to float32 accuracy`, () => {
          const shape = [32, 6];
          const bn = new lab.BatchNorm1d(6, { eps: 1e-15 });
          try {
            const x = makeX(shape, centre, spread, 5);
            const refs = channelRefs(x, shape, 1e-15);
            const rm = Float32Array.from(refs, (r) => r.mean);
            const rv = Float32Array.from(refs, (r) => r.varB);
            bn.runningMean = rm;
            bn.runningVar = rv;
            bn.eval();
            const y = bn.forward(x, shape);
            // With the (float32) running statistics as given: x - rm is exact (Sterbenz), invstd is
            // computed in float64 and rounded (U), one product (U): 3U relative leaves room.
            for (let i = 0; i < y.length; i++) {
              const c = i % 6;
              const want = (x[i]! - rm[c]!) / Math.sqrt(rv[c]! + 1e-15);
              expect(Math.abs(y[i]! - want), `y[${i}] = ${y[i]}, float64 ${want}`).toBeLessThanOrEqual(3 * U * Math.abs(want) + 1e-30);
            }
          } finally {
            bn.dispose();
          }
        });
        it(`standardize at ${name} matches float64`, () => {
          const x = makeX([200], centre, spread, 3);
          const refs = channelRefs(x, [200, 1], 0);
          const r = lab.standardize(Array.from(x));
          const ref = refs[0]!;
          expect(Math.abs(r.mean - ref.mean)).toBeLessThanOrEqual(U * Math.abs(ref.mean) + 2 * gammaN(201) * spread * 2);
          for (let i = 0; i < x.length; i++) {
            const want = (x[i]! - ref.mean) * ref.invstd;
            expect(Math.abs(r.z[i]! - want), `z[${i}]`).toBeLessThanOrEqual(ref.tolXhat(want));
          }
        });
      }
    });

    describe('trainers with large learning rates and huge initial weights', () => {
      // Every combination below is run for up to 3 × 200 steps. A run either trains with finite
      // numbers or stops at the step whose loss blew up; nothing non-finite is handed out. One test
      // per configuration, so a failure names it.
      const inits = [
        { init: 'normal', initScale: 1e3 },
        { init: 'he', initScale: 1e6 },  // the largest initScale the API accepts
        { init: 'torch', initScale: 1 },
      ] as const;
      const configs: {
        activation: 'relu' | 'tanh' | 'sigmoid';
        batchNorm: boolean;
        placement: 'before' | 'after';
        lr: number;
        momentum: number;
        init: (typeof inits)[number];
      }[] = [];
      for (const activation of ['relu', 'tanh', 'sigmoid'] as const)
        for (const [batchNorm, placement] of [[false, 'before'], [true, 'before'], [true, 'after']] as const)
          for (const lr of [1, 10, 100])
            for (const init of inits) configs.push({ activation, batchNorm, placement, lr, momentum: lr === 10 ? 0.9 : 0, init });

      let train: Dataset;
      let test: typeof train;
      let diverged = 0;
      let finished = 0;
      beforeAll(() => {
        train = lab.toyDataset('spiral', { n: 400, noise: 0.3, seed: 1 });
        test = lab.toyDataset('spiral', { n: 200, noise: 0.3, seed: 2 });
      });
      afterAll(() => {
        train?.dispose();
        test?.dispose();
      });

      for (const c of configs) {
        const label = `${c.activation}, BN ${c.batchNorm ? c.placement : 'off'}, lr ${c.lr}, momentum ${c.momentum}, ${c.init.init} × ${c.init.initScale}`;
        it(`${label}: finite metrics, or diverged with divergedAt`, () => {
          const t = new lab.Trainer({
            model: { sizes: [2, 12, 12, 2], activation: c.activation, batchNorm: c.batchNorm, placement: c.placement, ...c.init, seed: 3 },
            train,
            test,
            lr: c.lr,
            momentum: c.momentum,
            batchSize: 16,
            evalEvery: 20,
            watch: { layer: 1, unit: 5 },
          });
          try {
            for (let r = 0; r < 3; r++) {
              const before = t.step;
              const m = t.run(200);
              expectFiniteMetrics(m, `run ${r + 1}`);
              expect(m.firstStep).toBe(before + 1);
              expect(m.loss.length).toBe(m.steps);
              expect(m.gradNorms.length).toBe(3 * m.steps);
              expect(m.percentiles.length).toBe(3 * m.steps);
              expect(t.step).toBe(before + m.steps);
              // Whatever state the weights are in, what the trainer hands out is finite: a test-set
              // evaluation (or an error saying why there is none), the grid, the histograms.
              let ev: { loss: number; accuracy: number } | undefined;
              let evError: unknown;
              try {
                ev = t.evaluate(test);
              } catch (err) {
                evError = err;
              }
              if (ev) {
                expect(Number.isFinite(ev.loss) && ev.loss >= 0, `run ${r + 1}: evaluate() = ${JSON.stringify(ev)} (loss ${ev.loss}; divergedAt ${m.divergedAt})`).toBe(true);
                expect(ev.accuracy).toBeGreaterThanOrEqual(0);
                expect(ev.accuracy).toBeLessThanOrEqual(1);
              } else {
                expect(evError, 'evaluate() threw a non-Error').toBeInstanceOf(Error);
              }
              const grid = t.predictGrid({ nx: 9, ny: 7 });
              expectFinite(grid, 'predictGrid');
              expect(grid.every((p) => p >= 0 && p <= 1)).toBe(true);
              expectFinite(t.histograms({ bins: 16 }), 'histograms');
              if (m.diverged) {
                diverged++;
                const k = m.divergedAt!;
                expect(Number.isInteger(k), `divergedAt ${k}`).toBe(true);
                // The loss of step k blew up (k = firstStep + steps), or the evaluation after step
                // k = firstStep + steps - 1 did.
                expect([m.firstStep + m.steps, m.firstStep + m.steps - 1]).toContain(k);
                expect(t.diverged).toBe(true);
                expect(t.divergedAt).toBe(k);
                // The model is back at its last finite state (the state after restoredToStep
                // steps): the state dict holds no NaN or Infinity (a state can be finite and still
                // overflow on some inputs, e.g. initial weights × 10^6: evaluate() above says so).
                expect(m.restoredToStep).toBe(t.restoredToStep);
                expect(t.restoredToStep).not.toBeNull();
                expect(t.restoredToStep!).toBeLessThanOrEqual(t.step);
                expect(t.restoredToStep!).toBeGreaterThanOrEqual(t.step - 1);
                for (const [key, value] of Object.entries(t.stateDict())) expectFinite(value, key);
                expect(() => t.run(1)).toThrow(new RegExp(`diverged at step ${k}\\b`));
                break;
              }
              expect(m.divergedAt).toBeNull();
              expect(m.steps).toBe(200);
            }
            finished++;
          } finally {
            t.dispose();
          }
        });
      }

      it('the set has both outcomes (some runs diverge, some train)', () => {
        // Only meaningful when every configuration above ran to its end.
        expect(finished).toBe(configs.length);
        expect(diverged).toBeGreaterThan(0);
        expect(diverged).toBeLessThan(configs.length);
      });
    });

    describe('CNN trainers with large learning rates and huge initial weights', () => {
      // The same promise for a CNN on the digits as images ([N, 1, 8, 8]), with every
      // normalization of its conv block and hidden layer: finite metrics, or diverged at a step
      // with the model put back to a finite state.
      const inits = [
        { init: 'normal', initScale: 1e3 },
        { init: 'he', initScale: 1e6 },
        { init: 'torch', initScale: 1 },
      ] as const;
      const configs: { norm: 'none' | 'batch' | 'layer' | 'group'; lr: number; init: (typeof inits)[number] }[] = [];
      for (const norm of ['none', 'batch', 'layer', 'group'] as const)
        for (const lr of [1, 10, 100])
          for (const init of inits) configs.push({ norm, lr, init });

      let train: Dataset;
      let test: Dataset;
      let diverged = 0;
      let finished = 0;
      beforeAll(async () => {
        ({ train, test } = await lab.loadDigits());
      });
      afterAll(() => {
        train?.dispose();
        test?.dispose();
      });

      for (const c of configs) {
        it(`norm ${c.norm}, lr ${c.lr}, ${c.init.init} × ${c.init.initScale}: finite metrics, or diverged with divergedAt`, () => {
          const t = new lab.Trainer({
            model: { sizes: [64, 16, 10], conv: { channels: [4] }, norm: c.norm, ...c.init, seed: 3 },
            train,
            test,
            lr: c.lr,
            momentum: c.lr === 10 ? 0.9 : 0,
            batchSize: 16,
            evalEvery: 20,
            evalLimit: 100,
            watch: { layer: 0, unit: 3 },
          });
          try {
            for (let r = 0; r < 3; r++) {
              const before = t.step;
              const m = t.run(200);
              expectFiniteMetrics(m, `run ${r + 1}`);
              expect(m.firstStep).toBe(before + 1);
              expect(m.gradNorms.length).toBe(3 * m.steps); // Conv2d and two Linear layers
              expect(m.percentiles.length).toBe(3 * m.steps);
              let ev: { loss: number; accuracy: number } | undefined;
              let evError: unknown;
              try {
                ev = t.evaluate(test, { limit: 100 });
              } catch (err) {
                evError = err;
              }
              if (ev) {
                expect(Number.isFinite(ev.loss) && ev.loss >= 0, `run ${r + 1}: evaluate() = ${JSON.stringify(ev)}`).toBe(true);
                expect(ev.accuracy).toBeGreaterThanOrEqual(0);
                expect(ev.accuracy).toBeLessThanOrEqual(1);
              } else {
                expect(evError, 'evaluate() threw a non-Error').toBeInstanceOf(Error);
              }
              expectFinite(t.histograms({ bins: 16 }), 'histograms');
              if (m.diverged) {
                diverged++;
                const k = m.divergedAt!;
                expect([m.firstStep + m.steps, m.firstStep + m.steps - 1]).toContain(k);
                expect(t.restoredToStep).not.toBeNull();
                expect(t.restoredToStep!).toBeGreaterThanOrEqual(t.step - 1);
                for (const [key, value] of Object.entries(t.stateDict())) expectFinite(value, key);
                expect(() => t.run(1)).toThrow(new RegExp(`diverged at step ${k}\\b`));
                break;
              }
              expect(m.steps).toBe(200);
            }
            finished++;
          } finally {
            t.dispose();
          }
        });
      }

      it('the set has both outcomes (some runs diverge, some train)', () => {
        expect(finished).toBe(configs.length);
        expect(diverged).toBeGreaterThan(0);
        expect(diverged).toBeLessThan(configs.length);
      });
    });

    describe('losses refuse non-finite input', () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        it(`crossEntropy with a ${bad} logit throws a RangeError naming it`, () => {
          const logits = Float32Array.of(0.5, -1, 2, 0.25, bad, 1);
          expect(() => lab.crossEntropy(logits, Int32Array.of(0, 2), [2, 3])).toThrow(RangeError);
          expect(() => lab.crossEntropy(logits, Int32Array.of(0, 2), [2, 3])).toThrow(/logits\[4\]/);
          // The lab still computes: a finite call right after.
          const ok = lab.crossEntropy(Float32Array.of(0, 0, 0, 0, 0, 0), Int32Array.of(0, 2), [2, 3]);
          expect(Math.abs(ok.loss - Math.log(3))).toBeLessThan(1e-6);
        });
        it(`mseLoss with a ${bad} prediction or target throws a RangeError`, () => {
          expect(() => lab.mseLoss(Float32Array.of(1, bad), Float32Array.of(1, 2), [2])).toThrow(/pred\[1\]/);
          expect(() => lab.mseLoss(Float32Array.of(1, 2), Float32Array.of(bad, 2), [2])).toThrow(RangeError);
        });
      }
    });
  });
}

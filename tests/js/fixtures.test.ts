// PyTorch fixtures (tests/fixtures/*.json, written by gen_fixtures.py) replayed through the public
// API on both builds: the fixture files' headers, standardize, Linear, the activations, the
// losses and SGD. BatchNorm is in batchnorm-fixtures.test.ts, whole models in mlp-fixtures.test.ts.
// Tolerances: see the model at the top of helpers.ts; each comparison states n and S.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';
import {
  MODULES,
  U,
  bound,
  expectClose,
  expectCloseScalar,
  expectExact,
  f32,
  gammaN,
  loadFixture,
  maxAbs,
  numel,
} from './helpers.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;

interface StandardizeCase {
  name: string;
  values: number[];
  opts: { eps?: number; unbiased?: boolean };
  mean: number;
  variance: number;
  std: number;
  stdWithoutEps: number;
  z: number[];
}

interface LinearStep {
  zeroGrad: boolean;
  shape: number[];
  outShape: number[];
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
  weightGrad: number[];
  biasGrad: number[] | null;
}
interface LinearCase {
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  weight: number[];
  biasValues: number[] | null;
  steps: LinearStep[];
}
interface ActivationCase {
  name: string;
  kind: 'ReLU' | 'Sigmoid' | 'Tanh';
  shape: number[];
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
}

interface CrossEntropyCase {
  name: string;
  loss: 'crossEntropy';
  shape: [number, number];
  logits: number[];
  targets: number[];
  value: number;
  grad: number[];
}
interface MseCase {
  name: string;
  loss: 'mse';
  shape: number[];
  pred: number[];
  target: number[];
  value: number;
  grad: number[];
}
interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}
interface SgdStep {
  shape: number[];
  x: number[];
  dy: number[];
  weightGrad: number[];
  biasGrad: number[] | null;
  weight: number[];
  bias: number[] | null;
}
interface SgdCase {
  name: string;
  options: SgdOptions;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  zeroGradEachStep: boolean;
  weight: number[];
  biasValues: number[] | null;
  steps: SgdStep[];
}

const FILES = [
  'standardize.json',
  'batchnorm.json',
  'linear_activations.json',
  'losses_sgd.json',
  'mlp_training.json',
  'state_dict.json',
];
const standardize = loadFixture<StandardizeCase>('standardize.json');
const linAct = loadFixture<LinearCase | ActivationCase>('linear_activations.json');
const linearCases = linAct.cases.filter((c): c is LinearCase => 'inFeatures' in c);
const activationCases = linAct.cases.filter((c): c is ActivationCase => 'kind' in c);
const lossSgd = loadFixture<CrossEntropyCase | MseCase | SgdCase>('losses_sgd.json');
const ceCases = lossSgd.cases.filter((c): c is CrossEntropyCase => 'loss' in c && c.loss === 'crossEntropy');
const mseCases = lossSgd.cases.filter((c): c is MseCase => 'loss' in c && c.loss === 'mse');
const sgdCases = lossSgd.cases.filter((c): c is SgdCase => 'options' in c);

describe('fixture files', () => {
  it.each(FILES)('%s has the common header and cases', (file) => {
    const f = loadFixture<{ name: string }>(file);
    expect(f.generator).toBe('gen_fixtures.py');
    expect(f.version).toBe(1);
    expect(f.torch).toMatch(/^1\.13\./);
    expect(f.cases.length).toBeGreaterThan(0);
    const names = f.cases.map((c) => c.name);
    expect(new Set(names).size, 'case names are unique').toBe(names.length);
  });

  it('every topic is present', () => {
    expect(linearCases.length).toBeGreaterThan(0);
    expect(new Set(activationCases.map((c) => c.kind))).toEqual(new Set(['ReLU', 'Sigmoid', 'Tanh']));
    expect(ceCases.length).toBeGreaterThan(0);
    expect(mseCases.length).toBeGreaterThan(0);
    expect(sgdCases.length).toBeGreaterThan(0);
  });
});

for (const simd of MODULES) {
  describe(`${simd ? 'SIMD' : 'scalar'} module`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
    });

    describe('standardize', () => {
      for (const c of standardize.cases) {
        it(c.name, () => {
          const r = lab.standardize(c.values, c.opts);
          const n = c.values.length;
          const eps = c.opts.eps ?? 0;
          const xmax = maxAbs(c.values);
          // mean: a length-n sum of values up to xmax.
          const dMean = bound(n + 2, xmax);
          expectCloseScalar(r.mean, c.mean, { atol: dMean }, 'mean');
          // variance: two-pass, n roundings over Σ(x-μ)²; a mean off by dMean adds at most dMean²
          // (if the second pass does not correct for it).
          const dVar = bound(n + 8, c.variance) + dMean * dMean;
          expectCloseScalar(r.variance, c.variance, { atol: dVar }, 'variance');
          // std = √(variance + eps): half the relative error of its argument, plus the sqrt.
          const dStdRel = dVar / (2 * (c.variance + eps)) + 2 * U;
          expectCloseScalar(r.std, c.std, { atol: dStdRel * c.std }, 'std (the divisor √(σ² + eps))');
          // z = (x - μ) / std, stored as float32.
          const atol = c.values.map((x, i) => (dMean + 2 * U * Math.abs(x - c.mean)) / c.std + Math.abs(c.z[i]!) * (dStdRel + 2 * U));
          expectClose(r.z, c.z, { atol }, 'z');
          expect(r.z).toBeInstanceOf(Float32Array);
        });
      }
    });

    describe('Linear', () => {
      for (const c of linearCases) {
        it(c.name, () => {
          const IN = c.inFeatures;
          const OUT = c.outFeatures;
          const layer = new lab.Linear(IN, OUT, { bias: c.bias });
          try {
            layer.weight = f32(c.weight);
            if (c.bias) layer.bias = f32(c.biasValues!);
            else expect(layer.bias).toBeNull();
            expectExact(layer.weight, c.weight, 'weight read back');
            // Magnitudes accumulated into the parameter gradients since the last zeroGrad.
            let dwS = new Float64Array(OUT * IN);
            let dbS = new Float64Array(OUT);
            let rowsAcc = 0;
            for (const [si, s] of c.steps.entries()) {
              const at = `step ${si}`;
              if (s.zeroGrad) {
                layer.zeroGrad();
                dwS = new Float64Array(OUT * IN);
                dbS = new Float64Array(OUT);
                rowsAcc = 0;
              }
              const rows = numel(s.shape) / IN;
              const y = layer.forward(f32(s.x), s.shape);
              expect(layer.outputShape).toEqual(s.outShape);
              // y[r,j] = Σ_k x[r,k]·W[j,k] + b[j]: IN products and IN additions, S = Σ|x·W| + |b|.
              const yTol = new Float64Array(rows * OUT);
              for (let r = 0; r < rows; r++)
                for (let j = 0; j < OUT; j++) {
                  let sAbs = c.bias ? Math.abs(c.biasValues![j]!) : 0;
                  for (let k = 0; k < IN; k++) sAbs += Math.abs(s.x[r * IN + k]! * c.weight[j * IN + k]!);
                  yTol[r * OUT + j] = bound(IN + 2, sAbs);
                }
              expectClose(y, s.y, { atol: yTol, shape: s.outShape }, `${at} y`);

              const dx = layer.backward(f32(s.dy));
              // dx[r,k] = Σ_j dy[r,j]·W[j,k]: OUT terms, S = Σ|dy·W|.
              const dxTol = new Float64Array(rows * IN);
              for (let r = 0; r < rows; r++)
                for (let k = 0; k < IN; k++) {
                  let sAbs = 0;
                  for (let j = 0; j < OUT; j++) sAbs += Math.abs(s.dy[r * OUT + j]! * c.weight[j * IN + k]!);
                  dxTol[r * IN + k] = bound(OUT + 1, sAbs);
                }
              expectClose(dx, s.dx, { atol: dxTol, shape: s.shape }, `${at} dx`);

              // dW[j,k] += Σ_r dy[r,j]·x[r,k] (accumulated over the steps since zeroGrad).
              rowsAcc += rows;
              for (let r = 0; r < rows; r++)
                for (let j = 0; j < OUT; j++) {
                  const d = Math.abs(s.dy[r * OUT + j]!);
                  dbS[j]! += d;
                  for (let k = 0; k < IN; k++) dwS[j * IN + k]! += d * Math.abs(s.x[r * IN + k]!);
                }
              const n = rowsAcc + c.steps.length + 1;
              expectClose(layer.weightGrad, s.weightGrad, { atol: Array.from(dwS, (v) => bound(n, v)), shape: [OUT, IN] }, `${at} weightGrad`);
              if (c.bias) expectClose(layer.biasGrad, s.biasGrad!, { atol: Array.from(dbS, (v) => bound(n, v)) }, `${at} biasGrad`);
              else expect(layer.biasGrad).toBeNull();
            }
          } finally {
            layer.dispose();
          }
        });
      }
    });

    describe('activations', () => {
      for (const c of activationCases) {
        it(c.name, () => {
          const act = new lab[c.kind]();
          try {
            const y = act.forward(f32(c.x), c.shape);
            const dx = act.backward(f32(c.dy));
            if (c.kind === 'ReLU') {
              // max(0, x) and dy·(x > 0) involve no rounding at all.
              expectExact(y, c.y, 'y');
              expectExact(dx, c.dx, 'dx');
            } else {
              // From exp(x): a few roundings of O(1) intermediates (1 + e^-x, e^2x ± 1), so an
              // absolute 8U next to a relative 8U; tanh near 0 and sigmoid far below 0 are
              // judged on that absolute scale.
              expectClose(y, c.y, { atol: 8 * U, rtol: 8 * U, shape: c.shape }, 'y');
              // dy·y·(1-y) or dy·(1-y²): the forward error of y (≤ 8U) times a slope ≤ 2, a
              // cancellation in 1 - y² of U, and three roundings: 32U·|dy| absolute.
              const atol = c.dy.map((d) => 32 * U * Math.abs(d));
              expectClose(dx, c.dx, { atol, rtol: 8 * U, shape: c.shape }, 'dx');
            }
          } finally {
            act.dispose();
          }
        });
      }
    });

    describe('crossEntropy', () => {
      for (const c of ceCases) {
        it(c.name, () => {
          const [N, K] = c.shape;
          const r = lab.crossEntropy(f32(c.logits), Int32Array.from(c.targets), c.shape);
          // Per row: K exponentials summed, a log, the subtraction of z_t, then a mean over N.
          // An implementation may form log Σ e^(z - max) + max - z_t, so the magnitude of the
          // logits (max|z|) is in S alongside log K and the O(1) log-sum.
          const zmax = maxAbs(c.logits);
          expectCloseScalar(r.loss, c.value, { atol: bound(K + N + 8, 1 + Math.log(K) + zmax + Math.abs(c.value)) }, 'loss');
          // grad = (softmax - onehot) / N; softmax from e^(z - m) / Σ has relative error
          // γ(K + 6), times (1 + max|z|) if the shift is taken from the rounded log-sum.
          const atol = c.grad.map((g, i) => {
            const n = Math.floor(i / K);
            const onehot = c.targets[n] === i % K ? 1 : 0;
            const p = g * N + onehot;
            return bound(K + 6, (Math.abs(p) * (1 + zmax) + onehot) / N);
          });
          expectClose(r.grad, c.grad, { atol, shape: c.shape }, 'grad');
        });
      }
    });

    describe('mseLoss', () => {
      for (const c of mseCases) {
        it(c.name, () => {
          const n = numel(c.shape);
          const r = lab.mseLoss(f32(c.pred), f32(c.target), c.shape);
          // Σ (p - t)² / n: nonnegative terms, so S is the loss itself.
          expectCloseScalar(r.loss, c.value, { rtol: 2 * gammaN(n + 4) }, 'loss');
          // 2(p - t)/n: a subtraction, a product and a division.
          expectClose(r.grad, c.grad, { rtol: 2 * gammaN(4), shape: c.shape }, 'grad');
        });
      }
    });

    describe('SGD', () => {
      for (const c of sgdCases) {
        it(c.name, () => runSgdCase(lab, c));
      }
    });
  });
}

/**
 * Replays an SGD case: a Linear with the fixture's weights, a backward of the given dy per step
 * (so the gradient comes through the public API), then opt.step().
 *
 * The bound on the parameters is tracked alongside torch's rule, replayed here in float64 from
 * the fixture's gradients to know the magnitudes: for each element
 *   d = g + wd·p;  buf = m·buf + (1 - damp)·d (buf = d the first time);  d = nesterov ? d + m·buf : buf;
 *   p = p - lr·d
 * each line adds its operands' bounds (scaled like the line) plus 2U·(magnitudes of its terms);
 * the gradient's own bound is that of Linear's dW (a sum over the rows seen since zeroGrad).
 */
function runSgdCase(lab: Lab, c: SgdCase): void {
  const IN = c.inFeatures;
  const OUT = c.outFeatures;
  const o = c.options;
  const layer = new lab.Linear(IN, OUT, { bias: c.bias });
  layer.weight = f32(c.weight);
  if (c.bias) layer.bias = f32(c.biasValues!);
  const opt = new lab.SGD(layer, o);
  try {
    const params = [
      { name: 'weight', p: Float64Array.from(c.weight), len: OUT * IN },
      ...(c.bias ? [{ name: 'bias', p: Float64Array.from(c.biasValues!), len: OUT }] : []),
    ].map((e) => ({
      ...e,
      buf: null as Float64Array | null,
      bP: new Float64Array(e.len),
      bBuf: new Float64Array(e.len),
      gS: new Float64Array(e.len), // Σ|terms| of the gradient since zeroGrad
    }));
    let rowsAcc = 0;
    for (const [si, s] of c.steps.entries()) {
      const at = `step ${si}`;
      if (c.zeroGradEachStep) {
        opt.zeroGrad();
        rowsAcc = 0;
        for (const e of params) e.gS.fill(0);
      }
      const rows = numel(s.shape) / IN;
      layer.forward(f32(s.x), s.shape);
      layer.backward(f32(s.dy));
      rowsAcc += rows;
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < OUT; j++) {
          const d = Math.abs(s.dy[r * OUT + j]!);
          if (c.bias) params[1]!.gS[j]! += d;
          for (let k = 0; k < IN; k++) params[0]!.gS[j * IN + k]! += d * Math.abs(s.x[r * IN + k]!);
        }
      const gradN = rowsAcc + c.steps.length + 1;
      expectClose(layer.weightGrad, s.weightGrad, { atol: Array.from(params[0]!.gS, (v) => bound(gradN, v)) }, `${at} weightGrad`);
      opt.step();

      for (const e of params) {
        const g = e.name === 'weight' ? s.weightGrad : s.biasGrad!;
        const first = e.buf === null;
        if (o.momentum !== 0 && first) e.buf = new Float64Array(e.len);
        for (let i = 0; i < e.len; i++) {
          const bG = bound(gradN, e.gS[i]!) / 2; // one implementation's share
          const p = e.p[i]!;
          let d = g[i]! + o.weightDecay * p;
          let bD = bG + o.weightDecay * e.bP[i]! + 2 * U * (Math.abs(g[i]!) + Math.abs(o.weightDecay * p));
          if (o.momentum !== 0) {
            const buf = e.buf!;
            const old = buf[i]!;
            buf[i] = first ? d : o.momentum * old + (1 - o.dampening) * d;
            e.bBuf[i] = first
              ? bD
              : o.momentum * e.bBuf[i]! + (1 - o.dampening) * bD + 3 * U * (Math.abs(o.momentum * old) + Math.abs((1 - o.dampening) * d));
            if (o.nesterov) {
              bD = bD + o.momentum * e.bBuf[i]! + 2 * U * (Math.abs(d) + Math.abs(o.momentum * buf[i]!));
              d = d + o.momentum * buf[i]!;
            } else {
              d = buf[i]!;
              bD = e.bBuf[i]!;
            }
          }
          e.p[i] = p - o.lr * d;
          e.bP[i] = e.bP[i]! + o.lr * bD + 2 * U * (Math.abs(p) + Math.abs(o.lr * d));
        }
        const expected = e.name === 'weight' ? s.weight : s.bias!;
        const actual = e.name === 'weight' ? layer.weight : layer.bias;
        // Both implementations are within bP of the exact update: 2·bP apart at most.
        expectClose(actual, expected, { atol: Array.from(e.bP, (b) => 2 * b), shape: e.name === 'weight' ? [OUT, IN] : [OUT] }, `${at} ${e.name} after step`);
      }
      if (!c.bias) expect(layer.bias).toBeNull();
    }
  } finally {
    opt.dispose();
    layer.dispose();
  }
}

// Statistics at the edge of float32, on both builds, against torch 1.13's own float32 answers
// (tests/fixtures/extremes.json, written by gen_fixtures.py): finite inputs whose squares or sums
// overflow float32 (values near ±1e19 and beyond) give torch's finite results, and no NaN where
// torch's float32 intermediates overflow (there the engine returns the exact value or the limit).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';
import { bound, loadFixture, U } from './helpers.js';

interface StandardizeCase {
  name: string;
  op: 'standardize';
  values: number[];
  mean: number;
  std: number;
  z: number[];
}
interface BatchNormCase {
  name: string;
  op: 'batchnorm1d';
  C: number;
  shape: number[];
  x: number[];
  out: number[];
  dy: number[];
  biasGrad: number[];
  runningMean: number[];
  runningVar: (number | 'Infinity')[];
  evalOut: number[];
  inputGradFinite: boolean;
}
const fixture = loadFixture<StandardizeCase | BatchNormCase>('extremes.json');
const num = (v: number | 'Infinity') => (v === 'Infinity' ? Infinity : v);
/** |got - want| within `ulps` float32 round-offs of |want| (exact when want is 0 or infinite). */
const near = (got: number, want: number, ulps: number, what: string) => {
  if (!Number.isFinite(want) || want === 0) expect(got, what).toBe(want);
  else expect(Math.abs(got - want), `${what}: ${got} vs torch ${want}`).toBeLessThanOrEqual(ulps * U * Math.abs(want));
};

for (const simd of [true, false]) {
  describe(`the edge of float32 (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
    });

    for (const c of fixture.cases) {
      it(`${c.name}: torch's answer`, () => {
        if (c.op === 'standardize') {
          const r = lab.standardize(c.values);
          // The engine's statistics are exact to double round-off; torch's mean is a float32
          // sum (n roundings over Σ|x|), its std a float32 rounding of a double computation.
          const n = c.values.length;
          const sumAbs = c.values.reduce((a, x) => a + Math.abs(x), 0);
          expect(Math.abs(r.mean - c.mean), 'mean').toBeLessThanOrEqual(bound(n + 1, sumAbs / n));
          near(r.std, c.std, 2, 'std');
          // z: torch's mean error moves x - mean, over std; then a few roundings relative to z.
          const dMean = bound(n + 1, sumAbs / n);
          c.z.forEach((z, i) => {
            const atol = (dMean + 2 * U * Math.abs(c.values[i]! - c.mean)) / c.std + 4 * U * Math.abs(z);
            expect(Math.abs(r.z[i]! - z), `z[${i}]: ${r.z[i]} vs torch ${z}`).toBeLessThanOrEqual(atol);
          });
          return;
        }
        const bn = new lab.BatchNorm1d(c.C);
        const y = bn.forward(new Float32Array(c.x), c.shape);
        c.out.forEach((o, i) => near(y[i]!, o, 4, `out[${i}]`));
        const dx = bn.backward(new Float32Array(c.dy));
        // torch's input gradient is NaN when the variance is infinite (0 * inf); the engine's is
        // finite (0 there), and torch's where it is finite.
        dx.forEach((g, i) => expect(Number.isFinite(g), `dx[${i}] = ${g}`).toBe(true));
        near(bn.biasGrad![0]!, c.biasGrad[0]!, 1, 'bias grad');
        c.runningMean.forEach((m, i) => near(bn.runningMean[i]!, m, 2, `running_mean[${i}]`));
        c.runningVar.forEach((v, i) => near(bn.runningVar[i]!, num(v), 2, `running_var[${i}]`));
        bn.eval();
        const ye = bn.forward(new Float32Array(c.x), c.shape);
        c.evalOut.forEach((o, i) => near(ye[i]!, o, 4, `eval out[${i}]`));
        bn.dispose();
      });
    }

    it('standardize where torch overflows: the exact z, never NaN or -Infinity', () => {
      // torch: mean 1e38, z [0.707, -inf, 0.707] (its float32 x - mean overflows).
      const r = lab.standardize([3e38, -3e38, 3e38]);
      expect(Array.from(r.z)).toEqual([Math.SQRT1_2, -Math.SQRT2, Math.SQRT1_2].map(Math.fround));
      expect(Number.isFinite(r.variance)).toBe(true);
      // torch: mean inf, z NaN (its float32 sum overflows).
      const c = lab.standardize([3e38, 3e38, 3e38]);
      expect(c.mean).toBe(Math.fround(3e38));
      expect(Array.from(c.z)).toEqual([0, 0, 0]);
    });

    it('BatchNorm2d with a channel of ±3e38 values: 0 there, the other channel untouched', () => {
      const bn = new lab.BatchNorm2d(2);
      // [N=1, C=2, H=1, W=4]: channel 0 huge, channel 1 the values 1..4.
      const y = bn.forward(new Float32Array([3e38, -3e38, 3e38, -3e38, 1, 2, 3, 4]), [1, 2, 1, 4]);
      expect(Array.from(y.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      const z = lab.standardize([1, 2, 3, 4], { eps: 1e-5 }).z;
      Array.from(y.subarray(4)).forEach((v, i) => expect(v).toBeCloseTo(z[i]!, 6));
      bn.dispose();
    });
  });
}

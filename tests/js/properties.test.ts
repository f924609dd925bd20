// Property-based tests (fast-check) over the public API, on both builds: random valid and invalid
// arguments, including getters that change their answer, Proxies, typed arrays with lying
// lengths and arrays from another realm. Invariants: a valid call gives the defined answer; an
// invalid one throws a TypeError or RangeError whose message names the argument, never anything
// else (no wasm abort, no Embind error); afterwards the lab still computes a known answer and
// its memory is back to the baseline. Failing inputs are shrunk and printed by fast-check, with
// the seed to replay them.
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';

const RUNS = 150;

/** Hostile wrappers around a value: what a careless or malicious caller could pass instead. */
function hostile<T>(inner: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    inner,
    inner.map((v) => new Proxy(Object(v) as object, {})),
    inner.map((v) => {
      // A getter-backed array: the first read says one thing, later reads another.
      if (!Array.isArray(v)) return v;
      const a = v.slice();
      if (a.length > 0) {
        let reads = 0;
        Object.defineProperty(a, 0, { get: () => (reads++ === 0 ? v[0] : 2 ** 20), enumerable: true });
      }
      return a;
    }),
    inner.map((v) => {
      if (!(v instanceof Float32Array)) return v;
      const lie = new Float32Array(v);
      Object.defineProperty(lie, 'length', { value: 2 ** 20 });
      return lie;
    }),
    inner.map((v) => (v instanceof Float32Array ? (runInNewContext('(d) => new Float32Array(d)') as (d: number[]) => Float32Array)(Array.from(v)) : v)),
  );
}

const anyValue = fc.oneof(
  fc.anything(),
  fc.float32Array({ maxLength: 16 }),
  fc.int32Array({ maxLength: 8 }),
  fc.array(fc.integer({ min: -3, max: 8 }), { maxLength: 5 }),
  fc.constantFrom(null, undefined, NaN, Infinity, -1, 0, 2.5, 2 ** 31, '4', [4], [[4]], [2.5], [0], [-1]),
);

function expectApiError(e: unknown, names: RegExp): void {
  expect(e instanceof TypeError || e instanceof RangeError, `${String(e)} is not a TypeError or RangeError`).toBe(true);
  expect(String(e)).toMatch(names);
  expect(String(e)).not.toMatch(/BindingError|RuntimeError|memory access|incompatible receiver|Aborted/);
}

function knownAnswer(lab: Lab): void {
  const relu = new lab.ReLU();
  expect(Array.from(relu.forward(new Float32Array([-1, 2, -3, 4]), [4]))).toEqual([0, 2, 0, 4]);
  relu.dispose();
  expect(lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]).std).toBe(2);
}

for (const simd of [true, false]) {
  describe(`properties (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let lab: Lab;
    let baseline = 0;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      knownAnswer(lab);
      baseline = lab.memory.usedBytes;
    });
    const afterwards = () => {
      knownAnswer(lab);
      expect(lab.memory.usedBytes - baseline).toBeLessThan(2 ** 20);
      expect(lab.memory.liveObjects).toBe(0);
    };

    it('ReLU.forward of valid data is max(0, x), in the shape given', () => {
      const shapes = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });
      fc.assert(
        fc.property(shapes, fc.integer(), (shape, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const x = new Float32Array(n).map((_, i) => Math.fround(Math.sin(seed + i) * 10));
          const relu = new lab.ReLU();
          try {
            const y = relu.forward(x, shape);
            expect(Array.from(y)).toEqual(Array.from(x, (v) => (v > 0 ? v : 0)));
            expect(relu.outputShape).toEqual(shape);
          } finally {
            relu.dispose();
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('forward with any x and shape: the answer, or an error naming x or shape', () => {
      fc.assert(
        fc.property(hostile(anyValue), hostile(anyValue), (x, shape) => {
          const bn = new lab.BatchNorm1d(2);
          try {
            const y = bn.forward(x as Float32Array, shape as number[]);
            // It worked: then x really was a Float32Array of [N, 2] or [N, 2, L] values.
            expect(y.every((v) => !Number.isNaN(v)) || Array.from(x as Float32Array).some(Number.isNaN)).toBe(true);
          } catch (e) {
            expectApiError(e, /\b(x|shape)\b/);
          } finally {
            bn.dispose();
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('the losses with any arguments: a finite loss, or an error naming the argument', () => {
      fc.assert(
        fc.property(hostile(anyValue), hostile(anyValue), hostile(anyValue), (a, b, shape) => {
          for (const f of [
            () => lab.mseLoss(a as Float32Array, b as Float32Array, shape as number[]),
            () => lab.crossEntropy(a as Float32Array, b as Int32Array, shape as number[]),
          ]) {
            try {
              expect(Number.isFinite(f().loss)).toBe(true);
            } catch (e) {
              expectApiError(e, /\b(pred|target|targets|logits|shape)\b/);
            }
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('standardize of any finite float32 values: finite statistics and z, matching a float64 reference', () => {
      const values = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 });
      fc.assert(
        fc.property(values, (vs) => {
          const r = lab.standardize(vs);
          expect(Number.isFinite(r.mean) && Number.isFinite(r.variance) && Number.isFinite(r.std)).toBe(true);
          expect(r.z.every(Number.isFinite)).toBe(true);
          const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
          const sd = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
          if (sd > 1e-30 * Math.max(...vs.map(Math.abs))) {
            vs.forEach((v, i) => expect(Math.abs(r.z[i]! - (v - mean) / sd)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs((v - mean) / sd))));
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('BatchNorm1d on any finite float32 batch: no NaN in the output or the running statistics', () => {
      const batch = fc.integer({ min: 2, max: 9 }).chain((n) =>
        fc.tuple(fc.constant(n), fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 2 * n, maxLength: 2 * n })),
      );
      fc.assert(
        fc.property(batch, ([n, vs]) => {
          const bn = new lab.BatchNorm1d(2);
          try {
            const y = bn.forward(new Float32Array(vs), [n, 2]);
            expect(y.some(Number.isNaN), `output ${Array.from(y)}`).toBe(false);
            expect(bn.runningMean.every(Number.isFinite)).toBe(true);
            expect(Array.from(bn.runningVar).some(Number.isNaN)).toBe(false);
            const dx = bn.backward(new Float32Array(2 * n).fill(1));
            expect(dx.some(Number.isNaN), `dx ${Array.from(dx)}`).toBe(false);
          } finally {
            bn.dispose();
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('loadStateDict with any dict: loaded, or an error naming the dict entry; a variance never negative', () => {
      const entry = fc.oneof(fc.float32Array({ minLength: 3, maxLength: 3 }), anyValue);
      const dict = fc.record(
        { weight: entry, bias: entry, running_mean: entry, running_var: entry, num_batches_tracked: entry },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(hostile(dict), fc.boolean(), (d, strict) => {
          const bn = new lab.BatchNorm1d(3);
          try {
            bn.loadStateDict(d as never, { strict });
            expect(Array.from(bn.runningVar).every((v) => !(v < 0))).toBe(true);
          } catch (e) {
            expectApiError(e, /dict|strict/);
          } finally {
            bn.dispose();
          }
        }),
        { numRuns: RUNS },
      );
      afterwards();
    });

    it('a layer disposed from inside any argument getter: the API dispose error', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1 }), (which) => {
          const relu = new lab.ReLU();
          const shape = [4];
          const x = new Float32Array(4);
          if (which === 0) Object.defineProperty(shape, 0, { get: () => (relu.dispose(), 4) });
          let err: unknown;
          try {
            relu.forward(x, which === 0 ? shape : [4]);
            relu.backward(new Float32Array(4), { get inputGrad() { relu.dispose(); return true; } });
          } catch (e) {
            err = e;
          }
          expect(String(err)).toMatch(/used after dispose\(\)/);
          relu.dispose();
        }),
        { numRuns: 10 },
      );
      afterwards();
    });
  });
}

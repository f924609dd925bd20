// A hostile or careless caller, through the public API only, on both builds: arguments that change
// when read twice, typed arrays that lie about their length, arrays from another realm, Proxies,
// handles disposed from inside an argument getter, a negative running variance, and memory that
// must come back after large calls. Each case asserts the exact outcome (the right error class and
// message, or the right numbers), and that the lab still computes a known answer afterwards.
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';

/** An array whose element i answers `first` on the first read and `later` on every read after. */
function shifty(values: number[], i: number, later: number): { arr: number[]; reads: () => number } {
  const arr = values.slice();
  let reads = 0;
  Object.defineProperty(arr, i, {
    get: () => (reads++ === 0 ? values[i]! : later),
    enumerable: true,
  });
  return { arr, reads: () => reads };
}

/** The lab still works: a known forward and a known loss. */
function stillWorks(lab: Lab): void {
  const relu = new lab.ReLU();
  expect(Array.from(relu.forward(new Float32Array([-1, 2, -3, 4]), [4]))).toEqual([0, 2, 0, 4]);
  relu.dispose();
  // mean((1 - 0)^2, (3 - 1)^2) = 2.5
  expect(lab.mseLoss(new Float32Array([1, 3]), new Float32Array([0, 1]), [2]).loss).toBe(2.5);
}

for (const simd of [true, false]) {
  describe(`hostile callers (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
    });

    describe('arguments are read once: the validated snapshot is what runs', () => {
      it('a shape element that grows on the second read: forward computes on the first answer', () => {
        const relu = new lab.ReLU();
        const s = shifty([4], 0, 2 ** 20);
        const y = relu.forward(new Float32Array([1, -2, 3, -4]), s.arr);
        expect(Array.from(y)).toEqual([1, 0, 3, 0]);
        expect(s.reads()).toBe(1);
        relu.dispose();
        stillWorks(lab);
      });

      it('a shape element that turns fractional on the second read changes nothing', () => {
        const relu = new lab.ReLU();
        const y = relu.forward(new Float32Array([1, -2, 3, -4]), shifty([4], 0, 2.5).arr);
        expect(y.length).toBe(4);
        relu.dispose();
      });

      it('crossEntropy with a shape that grows after validation: the loss of the 2 real rows', () => {
        // logits [[0, 0], [0, 0]], targets [0, 1]: the loss is ln 2 for each row.
        const r = lab.crossEntropy(new Float32Array(4), new Int32Array([0, 1]), shifty([2, 2], 0, 2 ** 20).arr);
        expect(r.loss).toBeCloseTo(Math.LN2, 6);
        expect(r.grad.length).toBe(4);
        expect(lab.memory.usedBytes).toBeGreaterThan(0);
        stillWorks(lab);
      });

      it('a getter that calls another forward cannot overwrite the staged input', () => {
        const relu = new lab.ReLU();
        const other = new lab.ReLU();
        const shape = [4];
        Object.defineProperty(shape, 0, {
          get: () => {
            other.forward(new Float32Array([-9, -9, -9, -9]), [4]);
            return 4;
          },
        });
        expect(Array.from(relu.forward(new Float32Array([1, 2, 3, 4]), shape))).toEqual([1, 2, 3, 4]);
        relu.dispose();
        other.dispose();
      });

      it('a layer disposed from inside a shape getter gets the API dispose error', () => {
        const lin = new lab.Linear(2, 2);
        const shape = [1, 2];
        Object.defineProperty(shape, 0, {
          get: () => {
            lin.dispose();
            return 1;
          },
        });
        expect(() => lin.forward(new Float32Array(2), shape)).toThrow(/used after dispose\(\)/);
        expect(() => lin.forward(new Float32Array(2), shape)).not.toThrow(/BindingError|deleted/);
        stillWorks(lab);
      });

      it('a layer disposed from inside an options getter (backward) gets the API dispose error', () => {
        const bn = new lab.BatchNorm1d(2);
        bn.forward(new Float32Array([1, 2, 3, 5]), [2, 2]);
        const opts = {
          get inputGrad() {
            bn.dispose();
            return true;
          },
        };
        let error: unknown;
        try {
          bn.backward(new Float32Array(4), opts);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(Error);
        expect(String(error)).toMatch(/used after dispose\(\)/);
      });

      it('a dataset disposed from inside a trainer option getter gets the API dispose error', () => {
        const train = lab.toyDataset('xor', { n: 32 });
        const opts = {
          model: { sizes: [2, 4, 2] },
          train,
          get lr() {
            train.dispose();
            return 0.1;
          },
        };
        expect(() => new lab.Trainer(opts)).toThrow(/opts\.train was used after dispose\(\)/);
        stillWorks(lab);
      });
    });

    describe('typed arrays are measured by their internal slots', () => {
      it('an own length property does not change how many values are read', () => {
        const x = new Float32Array([1, -2, 3, -4]);
        Object.defineProperty(x, 'length', { value: 2 ** 20 });
        const relu = new lab.ReLU();
        expect(Array.from(relu.forward(x, [4]))).toEqual([1, 0, 3, 0]);
        expect(() => relu.forward(x, [2 ** 20])).toThrow(RangeError);
        expect(() => relu.forward(x, [2 ** 20])).toThrow(/x has 4/);
        relu.dispose();
      });

      it('a subclass with a lying length getter is measured honestly', () => {
        class Liar extends Float32Array {
          override get length(): number {
            return 2 ** 20;
          }
        }
        const relu = new lab.ReLU();
        expect(relu.forward(new Liar([1, 2, 3, 4]), [4]).length).toBe(4);
        relu.dispose();
      });

      it('an own byteLength cannot shorten what mseLoss reads', () => {
        const pred = new Float32Array(65536).fill(1);
        Object.defineProperty(pred, 'byteLength', { value: 16 });
        expect(lab.mseLoss(pred, new Float32Array(65536), [65536]).loss).toBe(1);
      });

      it('typed arrays from another realm are accepted by their real type', () => {
        const x = runInNewContext('new Float32Array([1, -2, 3, -4])') as Float32Array;
        expect(x instanceof Float32Array).toBe(false);
        const relu = new lab.ReLU();
        expect(Array.from(relu.forward(x, [4]))).toEqual([1, 0, 3, 0]);
        relu.dispose();
        const targets = runInNewContext('new Int32Array([0, 1])') as Int32Array;
        expect(lab.crossEntropy(new Float32Array(4), targets, [2, 2]).loss).toBeCloseTo(Math.LN2, 6);
        const bn = new lab.BatchNorm1d(2);
        bn.runningMean = runInNewContext('new Float32Array([5, 6])') as Float32Array;
        expect(Array.from(bn.runningMean)).toEqual([5, 6]);
        bn.dispose();
        expect(lab.standardize(runInNewContext('new Float32Array([1, 3])') as Float32Array).mean).toBe(2);
      });

      it('a foreign-realm array of the wrong kind is named by its kind', () => {
        const relu = new lab.ReLU();
        expect(() => relu.forward(runInNewContext('new Float64Array(4)') as never, [4])).toThrow(
          'x must be a Float32Array, got a Float64Array of length 4',
        );
        relu.dispose();
      });

      it('a Proxy around a Float32Array is refused with a TypeError naming the argument', () => {
        const relu = new lab.ReLU();
        const p = new Proxy(new Float32Array(4), {});
        expect(() => relu.forward(p, [4])).toThrow(TypeError);
        expect(() => relu.forward(p, [4])).toThrow('x must be a Float32Array, got a Proxy or other object that is not a real typed array');
        expect(() => lab.mseLoss(new Float32Array(4), p, [4])).toThrow(/^target must be a Float32Array/);
        relu.dispose();
        stillWorks(lab);
      });
    });

    describe('state', () => {
      it('loadStateDict refuses a negative running_var and changes nothing', () => {
        const bn = new lab.BatchNorm1d(2);
        const before = bn.stateDict();
        const dict = { ...before, running_mean: new Float32Array([7, 7]), running_var: new Float32Array([1, -0.5]) };
        expect(() => bn.loadStateDict(dict)).toThrow(RangeError);
        expect(() => bn.loadStateDict(dict)).toThrow('dict["running_var"][1] must be >= 0 (a variance), got -0.5');
        expect(Array.from(bn.runningMean)).toEqual([0, 0]);
        expect(Array.from(bn.runningVar)).toEqual([1, 1]);
        bn.dispose();
      });

      it('loadStateDict writes the values it checked, not what a later mutation makes them', () => {
        const bn = new lab.BatchNorm1d(2);
        const rm = new Float32Array([2, 3]);
        const dict = {
          get running_mean() {
            return rm;
          },
          get running_var() {
            rm[0] = 99; // after running_mean was read, checked and copied
            return new Float32Array([1, 1]);
          },
        };
        bn.loadStateDict(dict as never, { strict: false });
        expect(Array.from(bn.runningMean)).toEqual([2, 3]);
        bn.dispose();
      });

      it('after a divergence the model keeps its last finite state, and says which', () => {
        const train = lab.toyDataset('spiral', { n: 256, seed: 3 });
        const t = new lab.Trainer({ model: { sizes: [2, 32, 32, 2], batchNorm: true }, train, lr: 1e4, batchSize: 32 });
        const m = t.run(2000);
        expect(m.diverged).toBe(true);
        expect(m.restoredToStep).not.toBeNull();
        expect(t.restoredToStep).toBe(m.restoredToStep);
        for (const [key, value] of Object.entries(t.stateDict())) {
          expect(Array.from(value).every(Number.isFinite), key).toBe(true);
        }
        const model = t.model();
        model.eval();
        const y = model.forward(train.x, [256, 2]);
        expect(y.every(Number.isFinite)).toBe(true);
        model.dispose();
        t.dispose();
        train.dispose();
      });

      it('momentum outside [0, 1] is accepted, as in PyTorch, with its formula', () => {
        // running_mean = (1 - m)·0 + m·mean; torch accepts any m and computes the same.
        for (const m of [-0.1, 1.5]) {
          const bn = new lab.BatchNorm1d(1, { momentum: m });
          bn.forward(new Float32Array([1, 3]), [2, 1]);
          expect(bn.runningMean[0]).toBeCloseTo(m * 2, 6);
          bn.dispose();
        }
      });
    });

    describe('memory returns to its baseline', () => {
      it('after a 2^24-value forward and dispose', () => {
        const base = lab.memory.usedBytes;
        const relu = new lab.ReLU();
        relu.forward(new Float32Array(2 ** 24), [2 ** 24]);
        relu.dispose();
        expect(lab.memory.usedBytes - base).toBeLessThan(2 ** 20);
      });

      it('after a standardize of 2^22 values', () => {
        const base = lab.memory.usedBytes;
        lab.standardize(new Float32Array(2 ** 22).fill(1));
        expect(lab.memory.usedBytes - base).toBeLessThan(2 ** 20);
      });

      it('after a failed call on a large staged input', () => {
        const base = lab.memory.usedBytes;
        const bn = new lab.BatchNorm1d(3);
        // A wrong-length dy (2^22 values for a 2 × 3 output) is refused by the engine after staging.
        bn.forward(new Float32Array(6), [2, 3]);
        expect(() => bn.backward(new Float32Array(2 ** 22))).toThrow(RangeError);
        bn.dispose();
        expect(lab.memory.usedBytes - base).toBeLessThan(2 ** 20);
      });
    });
  });
}

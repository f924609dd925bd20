// Object lifecycle on the SIMD and the scalar module: dispose() and [Symbol.dispose](), ownership
// between a Sequential, its layers and an SGD, independent labs, a bounded wasm heap over many
// create/forward/dispose cycles (the MLP layers; the CNN layers, LayerNorm, GroupNorm and a CNN
// Trainer), and BatchNorm1d's training forward against a float64 reference.
//
// Ownership, as asserted here (docs/ARCHITECTURE.md, "The JS/wasm boundary"): C++ objects are shared
// between their owners, and a JS handle's dispose() only drops that handle. So
//  - disposing a Sequential disposes the handles of its layers (they then throw on use), and
//    everything is released once no handle is left;
//  - disposing a layer's own handle early does not break the Sequential that contains it;
//  - an SGD co-owns its model's parameters: it keeps stepping them after the layer handles are
//    disposed, and after the model handle itself is disposed its step() is still safe; the optimizer's
//    own dispose() then releases what is left.
// (`using` declarations are not relied on: the transform may not lower them; [Symbol.dispose]() is
// called directly.)
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';
import { rng } from './helpers.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;
type Any = any;

// "... was disposed" or "... used after dispose()".
const DISPOSED = /\bdispose(d\b|\(\))/i;

const randn = (n: number, seed: number, scale = 1, offset = 0) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => offset + scale * (r() + r() + r() - 1.5) * 2);
};

function maxAbsDiff(a: ArrayLike<number> | null, b: ArrayLike<number>): number {
  expect(a).not.toBeNull();
  expect(a!.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a!.length; ++i) m = Math.max(m, Math.abs(a![i]! - b[i]!));
  return m;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

// The error of a use after dispose: exactly Error (not a subclass), saying "disposed".
function expectDisposedError(fn: () => unknown, what: string) {
  const err = thrownBy(fn) as Error | undefined;
  expect(err, `${what} must throw`).toBeInstanceOf(Error);
  expect(err!.constructor, `${what}: ${err!.name}: ${err!.message}`).toBe(Error);
  expect(err!.message, what).toMatch(DISPOSED);
}

// Per-channel statistics of x [N, C] in float64: mean, biased and unbiased variance.
function channelStats(x: ArrayLike<number>, n: number, c: number) {
  const mean = new Float64Array(c), varB = new Float64Array(c), varU = new Float64Array(c);
  for (let j = 0; j < c; ++j) {
    let s = 0;
    for (let i = 0; i < n; ++i) s += x[i * c + j];
    mean[j] = s / n;
    let q = 0;
    for (let i = 0; i < n; ++i) q += (x[i * c + j] - mean[j]) ** 2;
    varB[j] = q / n;
    varU[j] = q / (n - 1);
  }
  return { mean, varB, varU };
}

interface Kind { name: string; make(lab: Lab): Any; use(o: Any): unknown }
const x23 = new Float32Array([0.5, -1, 2, 1.5, 0, -0.5]);
const kinds: Kind[] = [
  { name: 'BatchNorm1d', make: (lab) => new lab.BatchNorm1d(3), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'BatchNorm2d', make: (lab) => new lab.BatchNorm2d(3), use: (o) => o.forward(x23, [2, 3, 1, 1]) },
  { name: 'Linear', make: (lab) => new lab.Linear(3, 2), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'ReLU', make: (lab) => new lab.ReLU(), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'Sigmoid', make: (lab) => new lab.Sigmoid(), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'Tanh', make: (lab) => new lab.Tanh(), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'Sequential', make: (lab) => new lab.Sequential([new lab.Linear(3, 2), new lab.ReLU()]), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'LayerNorm', make: (lab) => new lab.LayerNorm(3), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'GroupNorm', make: (lab) => new lab.GroupNorm(1, 3), use: (o) => o.forward(x23, [2, 3]) },
  { name: 'Conv2d', make: (lab) => new lab.Conv2d(1, 2, 2, { padding: 1 }), use: (o) => o.forward(x23, [1, 1, 2, 3]) },
  { name: 'MaxPool2d', make: (lab) => new lab.MaxPool2d(2, { stride: 1 }), use: (o) => o.forward(x23, [1, 1, 2, 3]) },
  { name: 'AvgPool2d', make: (lab) => new lab.AvgPool2d(2, { stride: 1 }), use: (o) => o.forward(x23, [1, 1, 2, 3]) },
  { name: 'Flatten', make: (lab) => new lab.Flatten(), use: (o) => o.forward(x23, [2, 1, 3]) },
  {
    name: 'Sequential (CNN)',
    make: (lab) => new lab.Sequential([
      new lab.Conv2d(1, 2, 1), new lab.GroupNorm(2, 2), new lab.ReLU(), new lab.AvgPool2d(1), new lab.Flatten(), new lab.Linear(6, 2),
    ]),
    use: (o) => o.forward(x23, [2, 1, 1, 3]),
  },
];

for (const simd of [true, false]) {
  describe(`lifecycle, ${simd ? 'SIMD' : 'scalar'} module`, () => {
    let lab: Lab;
    const live = () => lab.memory.liveObjects;

    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
      expect(lab.memory.heapBytes).toBeGreaterThan(0);
      expect(lab.memory.usedBytes).toBeGreaterThan(0);
      expect(lab.memory.liveObjects).toBeGreaterThanOrEqual(0);
    });

    it('SGD objects are counted and released too', () => {
      const base = live();
      const model = new lab.Linear(3, 2);
      const afterModel = live();
      const opt = new lab.SGD(model, { lr: 0.1 });
      expect(live()).toBeGreaterThan(afterModel);
      opt.dispose();
      expect(live()).toBe(afterModel);
      model.dispose();
      expect(live()).toBe(base);
    });

    for (const k of kinds) {
      it(`${k.name}: dispose() releases the object and every later use throws Error "disposed"`, () => {
        const base = live();
        const o = k.make(lab);
        expect(live()).toBeGreaterThan(base);
        expect(() => k.use(o)).not.toThrow();
        o.dispose();
        expect(live()).toBe(base);
        expectDisposedError(() => k.use(o), `${k.name}.forward after dispose()`);
        expectDisposedError(() => o.train(), `${k.name}.train after dispose()`);
      });

      it(`${k.name}: [Symbol.dispose]() is dispose()`, () => {
        const base = live();
        const o = k.make(lab);
        expect(typeof o[Symbol.dispose]).toBe('function');
        o[Symbol.dispose]();
        expect(live()).toBe(base);
        expectDisposedError(() => k.use(o), `${k.name}.forward after [Symbol.dispose]()`);
      });

      it(`${k.name}: disposing twice (either way) is harmless and releases only once`, () => {
        const base = live();
        const keep = k.make(lab);  // must survive the other object's repeated disposal
        const o = k.make(lab);
        o.dispose();
        expect(() => o.dispose()).not.toThrow();
        expect(() => o[Symbol.dispose]()).not.toThrow();
        const p = k.make(lab);
        p[Symbol.dispose]();
        expect(() => p.dispose()).not.toThrow();
        expect(() => k.use(keep)).not.toThrow();
        keep.dispose();
        expect(live()).toBe(base);
      });
    }

    it('SGD: [Symbol.dispose]() and double dispose', () => {
      const base = live();
      const model = new lab.Linear(3, 2);
      const opt = new lab.SGD(model, { lr: 0.1 });
      expect(typeof opt[Symbol.dispose]).toBe('function');
      opt[Symbol.dispose]();
      expect(() => opt.dispose()).not.toThrow();
      expectDisposedError(() => opt.step(), 'SGD.step after [Symbol.dispose]()');
      model.forward(x23, [2, 3]);  // the model is not the optimizer's to dispose
      model.dispose();
      expect(live()).toBe(base);
    });

    it('disposing a Sequential disposes its layers: their handles then throw Error on use', () => {
      const base = live();
      const fc1 = new lab.Linear(3, 4), bn = new lab.BatchNorm1d(4), relu = new lab.ReLU(), fc2 = new lab.Linear(4, 2);
      const model = new lab.Sequential([fc1, bn, relu, fc2]);
      model.forward(x23, [2, 3]);
      model.dispose();
      expectDisposedError(() => fc1.forward(x23, [2, 3]), 'layer 0 forward');
      expectDisposedError(() => fc1.weight, 'layer 0 weight');
      expectDisposedError(() => bn.runningMean, 'layer 1 runningMean');
      expectDisposedError(() => bn.eval(), 'layer 1 eval');
      expectDisposedError(() => relu.forward(x23, [2, 3]), 'layer 2 forward');
      expectDisposedError(() => fc2.stateDict(), 'layer 3 stateDict');
      expectDisposedError(() => model.stateDict(), 'model stateDict');
      expect(live()).toBe(base);
      for (const l of [fc1, bn, relu, fc2]) expect(() => l.dispose()).not.toThrow();  // already disposed: harmless
      expect(live()).toBe(base);
    });

    it('disposing a CNN Sequential disposes its conv, norm and pooling layers', () => {
      const base = live();
      const conv = new lab.Conv2d(1, 2, 2), ln = new lab.LayerNorm([2, 1, 2]), pool = new lab.MaxPool2d(1), flat = new lab.Flatten();
      const model = new lab.Sequential([conv, ln, pool, flat]);
      const opt = new lab.SGD(model, { lr: 0.1 });
      const y = model.forward(x23, [1, 1, 2, 3]);
      expect(y.length).toBe(4);
      model.backward(new Float32Array(4).fill(1));
      model.dispose();
      expectDisposedError(() => conv.weight, 'Conv2d weight');
      expectDisposedError(() => conv.forward(x23, [1, 1, 2, 3]), 'Conv2d forward');
      expectDisposedError(() => ln.bias, 'LayerNorm bias');
      expectDisposedError(() => pool.forward(x23, [1, 1, 2, 3]), 'MaxPool2d forward');
      expectDisposedError(() => flat.forward(x23, [2, 3]), 'Flatten forward');
      expect(() => opt.step()).not.toThrow();  // the optimizer co-owns the parameters
      opt.dispose();
      expect(live()).toBe(base);
    });

    it('disposing a layer handle early leaves the Sequential containing it working', () => {
      const base = live();
      const fc = new lab.Linear(3, 4, { seed: 21 }), bn = new lab.BatchNorm1d(4);
      const model = new lab.Sequential([fc, bn]);
      const y1 = model.forward(x23, [2, 3]);
      const w = fc.weight;
      fc.dispose();
      bn.dispose();
      expectDisposedError(() => fc.weight, 'disposed layer handle');
      const y2 = model.forward(x23, [2, 3]);  // same input, train mode: same batch statistics
      expect(Array.from(y2)).toEqual(Array.from(y1));
      expect(Array.from(model.stateDict()['0.weight'])).toEqual(Array.from(w));
      model.dispose();
      expect(live()).toBe(base);
    });

    it('an SGD keeps stepping the model after the layer handles, then the model handle, are disposed', () => {
      const base = live();
      const lr = 0.5;
      const fc = new lab.Linear(3, 2, { seed: 8 });
      const model = new lab.Sequential([fc]);
      const opt = new lab.SGD(model, { lr });
      const dy = new Float32Array([1, -2, 0.5, 3]);

      // One step while everything is alive: w -= lr * dw.
      model.forward(x23, [2, 3]);
      model.backward(dy);
      const w0 = fc.weight, g0 = fc.weightGrad;
      expect(g0.some((v: number) => v !== 0)).toBe(true);
      opt.step();
      expect(maxAbsDiff(fc.weight, Array.from(w0, (v, i) => v - lr * g0[i]))).toBeLessThanOrEqual(1e-6);

      // The layer handle goes away; the optimizer still updates the parameters the model uses.
      fc.dispose();
      const w1 = model.stateDict()['0.weight'];
      opt.zeroGrad();
      model.forward(x23, [2, 3]);
      model.backward(dy);
      opt.step();
      // dW = dy^T x for a Linear layer (the gradient was zeroed first).
      const dw = new Float64Array(6);
      for (let o = 0; o < 2; ++o) for (let k = 0; k < 3; ++k) for (let i = 0; i < 2; ++i) dw[o * 3 + k] += dy[i * 2 + o] * x23[i * 3 + k];
      const w2 = model.stateDict()['0.weight'];
      expect(maxAbsDiff(w2, Array.from(w1, (v, i) => v - lr * dw[i]))).toBeLessThanOrEqual(1e-5);

      // The model handle goes away too: the optimizer co-owns the parameters, so stepping stays safe.
      model.dispose();
      expect(() => { opt.zeroGrad(); opt.step(); }).not.toThrow();
      opt.dispose();
      expect(live()).toBe(base);
      // ... and the lab is unharmed.
      const z = lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]).z;
      expect(maxAbsDiff(z, [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2])).toBeLessThanOrEqual(1e-6);
    });

    it('results are copies: they survive wasm memory growth, later calls and edits', () => {
      const base = live();
      const bn = new lab.BatchNorm1d(3);
      const y = bn.forward(x23, [2, 3]);
      const yCopy = Array.from(y);
      const w = bn.weight!, dict = bn.stateDict();
      const heap0 = lab.memory.heapBytes;
      // Grow the heap well past its current size: a view of the old memory would be detached (length 0).
      const big = Array.from({ length: 4 }, () => new lab.Linear(2048, 1024));
      expect(lab.memory.heapBytes).toBeGreaterThan(heap0);
      expect(y.length).toBe(6);
      expect(Array.from(y)).toEqual(yCopy);
      bn.forward(new Float32Array([9, 9, 9, 1, 1, 1]), [2, 3]);  // overwrites the engine's output buffer
      expect(Array.from(y)).toEqual(yCopy);
      // Edits to returned arrays do not reach the layer.
      w.fill(7);
      dict['weight']!.fill(7);
      expect(Array.from(bn.weight!)).toEqual([1, 1, 1]);
      for (const b of big) b.dispose();
      bn.dispose();
      expect(live()).toBe(base);
    });

    it('loadLab() twice gives independent working instances', async () => {
      const a = await loadLab({ simd });
      const b = await loadLab({ simd });
      expect(a).not.toBe(b);
      expect(a.features.simd).toBe(simd);
      expect(b.features.simd).toBe(simd);
      a.manualSeed(42);
      b.manualSeed(42);
      const fa = new a.Linear(3, 2), fb = new b.Linear(3, 2);
      expect(Array.from(fa.weight)).toEqual(Array.from(fb.weight));  // same seed, same engine
      const yFb = fb.forward(x23, [2, 3]);
      expect(Array.from(fa.forward(x23, [2, 3]))).toEqual(Array.from(yFb));

      // State does not leak between them.
      const bnA = new a.BatchNorm1d(3), bnB = new b.BatchNorm1d(3);
      bnA.weight = new Float32Array([2, 2, 2]);
      expect(Array.from(bnB.weight!)).toEqual([1, 1, 1]);
      const yA = bnA.forward(x23, [2, 3]), yB = bnB.forward(x23, [2, 3]);
      expect(maxAbsDiff(yA, Array.from(yB, (v) => 2 * v))).toBeLessThanOrEqual(1e-6);

      // Neither their object counts nor their heaps are shared.
      const liveB = b.memory.liveObjects, heapB = b.memory.heapBytes;
      const big = new a.Linear(1024, 1024);  // 4 MiB of weights in a's heap
      expect(a.memory.liveObjects).toBeGreaterThan(0);
      expect(b.memory.liveObjects).toBe(liveB);
      expect(b.memory.heapBytes).toBe(heapB);
      big.dispose();
      fa.dispose(); bnA.dispose();
      expectDisposedError(() => fa.forward(x23, [2, 3]), "a's disposed Linear");
      expect(Array.from(fb.forward(x23, [2, 3]))).toEqual(Array.from(yFb));
      expect(Array.from(bnB.forward(x23, [2, 3]))).toEqual(Array.from(yB));
      expect(b.memory.liveObjects).toBe(liveB);
      fb.dispose(); bnB.dispose();
      // The lab of the other tests is untouched too.
      expect(lab.features.simd).toBe(simd);
    });

    it('the wasm heap stays bounded over 10,000 create/forward/dispose cycles', () => {
      const x = randn(16 * 8, 3), dy8 = randn(16 * 8, 4), dy4 = randn(16 * 4, 5);
      const logits = randn(16 * 4, 6);
      const targets = Int32Array.from({ length: 16 }, (_, i) => i % 4);
      const cycle = () => {
        const bn = new lab.BatchNorm1d(8);
        bn.forward(x, [16, 8]);
        bn.backward(dy8);
        bn.dispose();
        const fc = new lab.Linear(8, 4);
        fc.forward(x, [16, 8]);
        fc.backward(dy4);
        fc.dispose();
        const model = new lab.Sequential([new lab.Linear(8, 16), new lab.BatchNorm1d(16), new lab.ReLU(), new lab.Linear(16, 4)]);
        const opt = new lab.SGD(model, { lr: 0.01, momentum: 0.9 });
        model.forward(x, [16, 8]);
        model.backward(dy4);
        opt.step();
        model.dispose();
        opt.dispose();
        lab.crossEntropy(logits, targets, [16, 4]);
        lab.standardize(x);
      };
      for (let i = 0; i < 200; ++i) cycle();  // warm up: scratch buffers reach their size
      const m0 = { ...lab.memory };
      for (let i = 0; i < 10_000; ++i) cycle();
      const m1 = { ...lab.memory };
      expect(m1.liveObjects).toBe(m0.liveObjects);
      // Every cycle allocates and frees the same blocks (tens of KiB), so after the warm-up the bytes
      // in use return to the same value; a leak of one malloc chunk (>= 16 bytes) per cycle would
      // leave 160 KB behind. The heap itself (it grows by >= 20% at a time) must not grow at all.
      expect(m1.usedBytes - m0.usedBytes, `usedBytes ${m0.usedBytes} -> ${m1.usedBytes}`).toBeLessThan(16 * 1024);
      expect(m1.heapBytes, `heapBytes ${m0.heapBytes} -> ${m1.heapBytes}`).toBe(m0.heapBytes);
    }, 300_000);

    it('the wasm heap stays bounded over 10,000 cycles of the CNN layers and a CNN Trainer', async () => {
      // [16, 2, 6, 6] images through every new layer, forward and backward, a CNN Sequential with
      // SGD steps, and every 20th cycle a CNN Trainer on the digits (built, run, read, disposed).
      const x = randn(16 * 2 * 6 * 6, 13);
      const { train, test } = await lab.loadDigits();
      const cycle = (i: number) => {
        const layers = [
          new lab.LayerNorm([2, 6, 6]), new lab.GroupNorm(2, 2), new lab.Conv2d(2, 3, 3, { padding: 1, stride: 2 }),
          new lab.MaxPool2d(2), new lab.AvgPool2d(3, { stride: 1 }), new lab.Flatten(),
        ];
        for (const l of layers) {
          const y = l.forward(x, [16, 2, 6, 6]);
          l.backward(y);
          l.dispose();
        }
        const model = new lab.Sequential([
          new lab.Conv2d(2, 4, 3, { padding: 1 }), new lab.BatchNorm2d(4), new lab.ReLU(), new lab.MaxPool2d(2),
          new lab.Conv2d(4, 4, 3, { padding: 1 }), new lab.GroupNorm(2, 4), new lab.ReLU(), new lab.AvgPool2d(3),
          new lab.Flatten(), new lab.Linear(4, 8), new lab.LayerNorm(8), new lab.Tanh(), new lab.Linear(8, 4),
        ]);
        const opt = new lab.SGD(model, { lr: 0.01, momentum: 0.9 });
        const logits = model.forward(x, [16, 2, 6, 6]);
        model.backward(logits);
        opt.step();
        model.stateDict();
        opt.dispose();
        model.dispose();
        if (i % 20 === 0) {
          const t = new lab.Trainer({
            model: { sizes: [64, 8, 10], conv: { channels: [2, 4] }, norm: ['batch', 'group', 'layer'], seed: i },
            train, test, batchSize: 16, lr: 0.05, evalEvery: 5, evalLimit: 50, watch: { layer: 1, unit: 1 },
          });
          t.run(10);
          t.histograms({ bins: 8 });
          t.stateDict();
          const view = t.model();
          view.eval();
          view.forward(train.x.subarray(0, 64 * 4), [4, 1, 8, 8]);
          view.dispose();
          t.dispose();
        }
      };
      try {
        for (let i = 0; i < 100; ++i) cycle(i);  // warm up
        const m0 = { ...lab.memory };
        for (let i = 0; i < 10_000; ++i) cycle(i);
        const m1 = { ...lab.memory };
        expect(m1.liveObjects).toBe(m0.liveObjects);
        // One leaked malloc chunk (>= 16 bytes) per cycle would leave 160 KB behind.
        expect(m1.usedBytes - m0.usedBytes, `usedBytes ${m0.usedBytes} -> ${m1.usedBytes}`).toBeLessThan(16 * 1024);
        expect(m1.heapBytes, `heapBytes ${m0.heapBytes} -> ${m1.heapBytes}`).toBe(m0.heapBytes);
      } finally {
        train.dispose();
        test.dispose();
      }
    }, 300_000);

    it('BatchNorm1d train forward on random [16, 8] equals (x - mean) / sqrt(var + eps) in float64', () => {
      const n = 16, c = 8;
      const x = randn(n * c, 1234, 3, 1.5);
      for (const eps of [1e-5, 1e-3]) {
        const bn = new lab.BatchNorm1d(c, { eps });
        const y = bn.forward(x, [n, c]);
        const { mean, varB, varU } = channelStats(x, n, c);
        const ref = Array.from(x, (v, idx) => (v - mean[idx % c]) / Math.sqrt(varB[idx % c] + eps));
        expect(maxAbsDiff(y, ref), `eps ${eps}`).toBeLessThanOrEqual(1e-5);
        // The statistics behind it: the batch's (biased) and the running update (unbiased, momentum 0.1).
        expect(maxAbsDiff(bn.lastBatchMean, mean)).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(bn.lastBatchVar, varB)).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(bn.runningMean, Array.from(mean, (m) => 0.1 * m))).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(bn.runningVar, Array.from(varU, (v) => 0.9 + 0.1 * v))).toBeLessThanOrEqual(1e-5);
        expect(bn.numBatchesTracked).toBe(1);

        // With an affine transform: gamma * xhat + beta.
        const gamma = randn(c, 77), beta = randn(c, 78);
        bn.weight = gamma;
        bn.bias = beta;
        const y2 = bn.forward(x, [n, c]);
        const ref2 = ref.map((v, idx) => gamma[idx % c] * v + beta[idx % c]);
        expect(maxAbsDiff(y2, ref2), `affine, eps ${eps}`).toBeLessThanOrEqual(1e-5 * Math.max(1, ...Array.from(gamma, Math.abs)));
        bn.dispose();
      }
    });
  });
}

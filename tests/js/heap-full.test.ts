// A full wasm heap (2 GiB): filled with Linear(256, 256) layers until the engine refuses, then
// every constructor and method is called. Each call either works or throws a RangeError saying
// the heap is full; none aborts the module (RuntimeError) or corrupts it. The calls include the CNN
// side: LayerNorm, GroupNorm, Conv2d, the pools, Flatten and a CNN Trainer. After freeing, the same
// lab computes known answers again (a CNN trainer's losses bit for bit as before the fill) and its memory use is back to where it started. The SIMD
// build only: each lab keeps its 2 GiB of wasm memory until it is collected.
import { describe, expect, it } from 'vitest';
import { loadLab, type Dataset, type Lab } from '../../dist/index.js';

type Handle = { dispose(): void };

/** Runs `f`; returns 'ok' or 'full', and fails the test on any other outcome. */
function attempt(what: string, f: () => unknown): 'ok' | 'full' {
  try {
    const r = f();
    if (r && typeof (r as Handle).dispose === 'function') (r as Handle).dispose();
    return 'ok';
  } catch (e) {
    expect(e, `${what}: ${String(e)}`).toBeInstanceOf(RangeError);
    expect(String(e), what).toMatch(/heap is full|cannot allocate|do not fit|more than the limit/);
    return 'full';
  }
}

// A CNN trainer's first 20 losses on the digits: the same numbers before the heap fills and after it is freed.
function cnnLosses(lab: Lab, train: Dataset): number[] {
  const t = new lab.Trainer({ model: { sizes: [64, 16, 10], conv: { channels: [4, 4] }, norm: ['batch', 'group', 'layer'], seed: 3 }, train, lr: 0.05, batchSize: 16 });
  try {
    return Array.from(t.run(20).loss);
  } finally {
    t.dispose();
  }
}

function knownAnswers(lab: Lab): void {
  const relu = new lab.ReLU();
  expect(Array.from(relu.forward(new Float32Array([-1, 2, -3, 4]), [4]))).toEqual([0, 2, 0, 4]);
  relu.dispose();
  expect(lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]).std).toBe(2);
  const train = lab.toyDataset('xor', { n: 64, seed: 1 });
  const t = new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true }, train, lr: 0.1 });
  const m = t.run(20);
  expect(m.steps).toBe(20);
  expect(m.loss.every(Number.isFinite)).toBe(true);
  t.dispose();
  train.dispose();
}

describe('a full heap', () => {
  it('refuses calls with a RangeError, never aborts, and recovers when memory is freed', async () => {
    const lab = await loadLab({ simd: true });
    knownAnswers(lab);
    const baseline = lab.memory.usedBytes;
    const kept: Handle[] = [];
    const train = lab.toyDataset('spiral', { n: 512, seed: 2 });
    const trainer = new lab.Trainer({ model: { sizes: [2, 16, 2] }, train, lr: 0.1, batchSize: 16 });
    const relu = new lab.ReLU();
    const bn = new lab.BatchNorm1d(4);
    // The CNN side: a digits trainer and one of each new layer, used (forward first) before the fill.
    const digits = await lab.loadDigits();
    const cnnBefore = cnnLosses(lab, digits.train);
    const cnn = new lab.Trainer({ model: { sizes: [64, 8, 10], conv: { channels: [2] }, norm: 'group' }, train: digits.train, test: digits.test, lr: 0.1, batchSize: 16 });
    const img = new Float32Array(2 * 2 * 4 * 4).fill(0.5).map((v, i) => v * Math.sin(i));
    const ln = new lab.LayerNorm([2, 4, 4]);
    const gn = new lab.GroupNorm(2, 2);
    const conv = new lab.Conv2d(2, 3, 3, { padding: 1 });
    const maxPool = new lab.MaxPool2d(2);
    const avgPool = new lab.AvgPool2d(2);
    const flat = new lab.Flatten();
    for (const l of [ln, gn, conv, maxPool, avgPool, flat]) l.forward(img, [2, 2, 4, 4]);
    const fill = (make: () => Handle) => {
      for (;;) {
        try {
          kept.push(make());
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(RangeError);
          return;
        }
      }
    };
    fill(() => new lab.Linear(256, 256));
    fill(() => new lab.Linear(1, 1)); // the small ones that used to abort the module
    expect(lab.memory.heapBytes).toBeGreaterThan(2 ** 30);

    const outcomes: Record<string, 'ok' | 'full'> = {};
    const calls: [string, () => unknown][] = [
      ['new Linear(1, 1)', () => new lab.Linear(1, 1)],
      ['new ReLU()', () => new lab.ReLU()],
      ['new Sigmoid()', () => new lab.Sigmoid()],
      ['new Tanh()', () => new lab.Tanh()],
      ['new BatchNorm1d(1)', () => new lab.BatchNorm1d(1)],
      ['new BatchNorm2d(1)', () => new lab.BatchNorm2d(1)],
      ['new Sequential([])', () => new lab.Sequential([])],
      ['new SGD', () => new lab.SGD(bn, { lr: 0.1, momentum: 0.9 })],
      ['toyDataset', () => lab.toyDataset('xor', { n: 8 })],
      ['new Trainer', () => new lab.Trainer({ model: { sizes: [2, 4, 2] }, train, lr: 0.1 })],
      ['relu.forward', () => relu.forward(new Float32Array(4), [4])],
      ['bn.forward', () => bn.forward(new Float32Array(8), [2, 4])],
      ['bn.backward', () => bn.backward(new Float32Array(8))],
      ['bn.stateDict', () => bn.stateDict()],
      ['bn.loadStateDict', () => bn.loadStateDict({ running_mean: new Float32Array(4) }, { strict: false })],
      ['bn.runningVar', () => bn.runningVar],
      ['bn.zeroGrad', () => bn.zeroGrad()],
      ['standardize', () => lab.standardize([1, 2, 3])],
      ['crossEntropy', () => lab.crossEntropy(new Float32Array(4), new Int32Array([0, 1]), [2, 2])],
      ['mseLoss', () => lab.mseLoss(new Float32Array(2), new Float32Array(2), [2])],
      ['trainer.run', () => trainer.run(10)],
      ['trainer.run (huge)', () => trainer.run(100000)],
      ['trainer.evaluate', () => trainer.evaluate(train)],
      ['trainer.predictGrid', () => trainer.predictGrid({ nx: 8, ny: 8 })],
      ['trainer.histograms', () => trainer.histograms()],
      ['trainer.stateDict', () => trainer.stateDict()],
      ['trainer.model', () => trainer.model()],
      ['trainer.batchIndices', () => trainer.batchIndices()],
      ['dataset.x', () => train.x],
      ['new LayerNorm(1)', () => new lab.LayerNorm(1)],
      ['new LayerNorm([2, 4, 4])', () => new lab.LayerNorm([2, 4, 4])],
      ['new GroupNorm(1, 1)', () => new lab.GroupNorm(1, 1)],
      ['new Conv2d(1, 1, 1)', () => new lab.Conv2d(1, 1, 1)],
      ['new Conv2d(8, 8, 5)', () => new lab.Conv2d(8, 8, 5, { padding: 2, seed: 1 })],
      ['new MaxPool2d(2)', () => new lab.MaxPool2d(2)],
      ['new AvgPool2d(2)', () => new lab.AvgPool2d(2)],
      ['new Flatten()', () => new lab.Flatten()],
      ['new Trainer (CNN)', () => new lab.Trainer({ model: { sizes: [64, 8, 10], conv: { channels: [4, 8] }, norm: 'batch' }, train: digits.train, lr: 0.1 })],
      ['ln.forward', () => ln.forward(img, [2, 2, 4, 4])],
      ['ln.backward', () => ln.backward(img)],
      ['gn.forward', () => gn.forward(img, [2, 2, 4, 4])],
      ['gn.backward', () => gn.backward(img)],
      ['gn.stateDict', () => gn.stateDict()],
      ['conv.forward', () => conv.forward(img, [2, 2, 4, 4])],
      ['conv.backward', () => conv.backward(new Float32Array(2 * 3 * 4 * 4).fill(1))],
      ['conv.weight', () => conv.weight],
      ['conv.weightGrad', () => conv.weightGrad],
      ['conv.loadStateDict', () => conv.loadStateDict({ bias: new Float32Array(3) }, { strict: false })],
      ['maxPool.forward', () => maxPool.forward(img, [2, 2, 4, 4])],
      ['maxPool.backward', () => maxPool.backward(new Float32Array(2 * 2 * 2 * 2).fill(1))],
      ['avgPool.forward', () => avgPool.forward(img, [2, 2, 4, 4])],
      ['avgPool.backward', () => avgPool.backward(new Float32Array(2 * 2 * 2 * 2).fill(1))],
      ['flat.forward', () => flat.forward(img, [2, 2, 4, 4])],
      ['flat.backward', () => flat.backward(img)],
      ['cnn.run', () => cnn.run(10)],
      ['cnn.evaluate', () => cnn.evaluate(digits.test)],
      ['cnn.histograms', () => cnn.histograms()],
      ['cnn.stateDict', () => cnn.stateDict()],
    ];
    // Twice, and many times for the small constructors: nothing may wear the module down.
    for (let round = 0; round < 2; round++) {
      for (const [what, f] of calls) outcomes[what] = attempt(what, f);
    }
    for (let i = 0; i < 2000; i++) attempt('new Linear(1, 1) again', () => new lab.Linear(1, 1));
    // A full heap must say so: at least the constructors are refused.
    expect(outcomes['new Linear(1, 1)']).toBe('full');

    // The new layers' constructors are refused too (they are as small as Linear(1, 1)).
    for (const what of ['new LayerNorm(1)', 'new GroupNorm(1, 1)', 'new Conv2d(1, 1, 1)', 'new Flatten()', 'new Trainer (CNN)']) {
      expect(outcomes[what], what).toBe('full');
    }

    for (const h of kept) h.dispose();
    kept.length = 0;
    knownAnswers(lab);
    // The CNN trainer computes what it computed before the fill, bit for bit; the layers still work.
    expect(cnnLosses(lab, digits.train)).toEqual(cnnBefore);
    expect(cnn.run(5).steps).toBeGreaterThan(0);
    const ref = new lab.Flatten();
    expect(Array.from(flat.forward(img, [2, 2, 4, 4]))).toEqual(Array.from(ref.forward(img, [2, 2, 4, 4])));
    ref.dispose();
    expect(conv.forward(img, [2, 2, 4, 4]).every(Number.isFinite)).toBe(true);
    for (const l of [ln, gn, conv, maxPool, avgPool, flat]) l.dispose();
    cnn.dispose();
    digits.train.dispose();
    digits.test.dispose();
    relu.dispose();
    bn.dispose();
    trainer.dispose();
    train.dispose();
    // Back to the start, give or take the allocator's bookkeeping.
    expect(lab.memory.usedBytes - baseline).toBeLessThan(2 ** 20);
    expect(lab.memory.liveObjects).toBe(0);
  }, 300_000);

  it('a run whose batch indices cannot be kept is refused before it starts', async () => {
    // 100,000 steps of 65,536 examples: 6.5e9 indices (26 GB); it used to abort after 2,048 steps.
    const lab = await loadLab({ simd: true });
    const train = lab.toyDataset('xor', { n: 2 ** 20 });
    const t = new lab.Trainer({ model: { sizes: [2, 2, 2] }, train, lr: 0.1, batchSize: 65536 });
    expect(() => t.run(100000)).toThrow(RangeError);
    expect(() => t.run(100000)).toThrow(/steps × batchSize must be at most 16777216 .*got 100000 × 65536/);
    expect(t.step).toBe(0);
    expect(t.run(2).steps).toBe(2);
    t.dispose();
    train.dispose();
  }, 120_000);
});

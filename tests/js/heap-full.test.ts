// A full wasm heap (2 GiB): filled with Linear(256, 256) layers until the engine refuses, then
// every constructor and method is called. Each call either works or throws a RangeError saying
// the heap is full; none aborts the module (RuntimeError) or corrupts it. After freeing, the same
// lab computes known answers again and its memory use is back to where it started. The SIMD
// build only: each lab keeps its 2 GiB of wasm memory until it is collected.
import { describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';

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
    ];
    // Twice, and many times for the small constructors: nothing may wear the module down.
    for (let round = 0; round < 2; round++) {
      for (const [what, f] of calls) outcomes[what] = attempt(what, f);
    }
    for (let i = 0; i < 2000; i++) attempt('new Linear(1, 1) again', () => new lab.Linear(1, 1));
    // A full heap must say so: at least the constructors are refused.
    expect(outcomes['new Linear(1, 1)']).toBe('full');

    for (const h of kept) h.dispose();
    kept.length = 0;
    knownAnswers(lab);
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

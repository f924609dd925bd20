// The in-engine trainer through the public API: determinism (also across the SIMD and scalar
// builds), equality with a hand-written loop over the public layers, divergence reported as
// such, identical starts for comparisons, and the digits reaching 97% with BatchNorm.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab, type TrainerOptions } from '../../dist/index.js';

let simd: Lab;
let scalar: Lab;
beforeAll(async () => {
  simd = await loadLab({ simd: true });
  scalar = await loadLab({ simd: false });
});

function xorOptions(lab: Lab, batchNorm: boolean): TrainerOptions {
  return {
    model: { sizes: [2, 16, 16, 2], batchNorm, seed: 3 },
    train: lab.toyDataset('xor', { n: 400, noise: 0.1, seed: 1 }),
    test: lab.toyDataset('xor', { n: 200, noise: 0.1, seed: 2 }),
    batchSize: 25,
    lr: 0.05,
    momentum: 0.9,
    dataSeed: 7,
    evalEvery: 20,
    watch: { layer: 1, unit: 0 },
  };
}

describe('Trainer', () => {
  it('gives the same numbers for the same options, in one call or several', () => {
    const a = new simd.Trainer(xorOptions(simd, true));
    const b = new simd.Trainer(xorOptions(simd, true));
    const whole = a.run(100);
    const first = b.run(30);
    const rest = b.run(70);
    expect(Array.from(whole.loss)).toEqual([...first.loss, ...rest.loss]);
    expect(rest.firstStep).toBe(31);
    expect(whole.evalSteps.length).toBe(5);
    expect(a.stateDict()['1.running_mean']).toEqual(b.stateDict()['1.running_mean']);
  });

  it('gives the same run on the SIMD and the scalar build, within float round-off', () => {
    const a = new simd.Trainer(xorOptions(simd, true)).run(50);
    const b = new scalar.Trainer(xorOptions(scalar, true)).run(50);
    // Different summation orders in the kernels: each step's loss differs by round-off that
    // training carries forward; after 50 steps it stays far below the loss's own changes.
    a.loss.forEach((l, i) => expect(Math.abs(l - b.loss[i]!)).toBeLessThan(1e-4 * Math.max(1, l)));
  });

  it('equals a hand-written loop over the public layers, step for step', () => {
    const lab = simd;
    const opts = xorOptions(lab, true);
    const trainer = new lab.Trainer({ ...opts, evalEvery: 0 });
    const start = trainer.stateDict();
    const metrics = trainer.run(40);
    const batches = trainer.batchIndices();
    const x = opts.train.x;
    const y = opts.train.y;

    const model = new lab.Sequential([
      new lab.Linear(2, 16), new lab.BatchNorm1d(16), new lab.ReLU(),
      new lab.Linear(16, 16), new lab.BatchNorm1d(16), new lab.ReLU(),
      new lab.Linear(16, 2),
    ]);
    model.loadStateDict(start);
    const opt = new lab.SGD(model, { lr: 0.05, momentum: 0.9 });
    const bx = new Float32Array(25 * 2);
    const by = new Int32Array(25);
    for (let s = 0; s < 40; s++) {
      for (let i = 0; i < 25; i++) {
        const e = batches[s * 25 + i]!;
        bx[2 * i] = x[2 * e]!;
        bx[2 * i + 1] = x[2 * e + 1]!;
        by[i] = y[e]!;
      }
      opt.zeroGrad();
      const logits = model.forward(bx, [25, 2]);
      const { loss, grad } = lab.crossEntropy(logits, by, [25, 2]);
      model.backward(grad);
      opt.step();
      expect(Math.fround(loss)).toBe(metrics.loss[s]);
    }
    const end = trainer.stateDict();
    const mine = model.stateDict();
    for (const key of Object.keys(end)) expect(mine[key]).toEqual(end[key]);
    model.dispose();
    opt.dispose();
    trainer.dispose();
  });

  it('starts the runs it compares from the same weights and the same batches', () => {
    const withBn = new simd.Trainer(xorOptions(simd, true));
    const without = new simd.Trainer(xorOptions(simd, false));
    const a = withBn.stateDict();
    const b = without.stateDict();
    expect(a['0.weight']).toEqual(b['0.weight']);
    expect(a['3.weight']).toEqual(b['2.weight']); // second Linear: index 3 with BN, 2 without
    withBn.run(10);
    without.run(10);
    expect(withBn.batchIndices()).toEqual(without.batchIndices());
  });

  it('reports a blow-up as diverged at a step, never as NaN data', () => {
    const t = new simd.Trainer({
      ...xorOptions(simd, false),
      lr: 100,
      model: { sizes: [2, 16, 16, 2], init: 'normal', initScale: 30, seed: 1 },
    });
    const m = t.run(1000);
    expect(m.diverged).toBe(true);
    expect(m.divergedAt).toBeGreaterThanOrEqual(1);
    expect(m.steps).toBe(m.divergedAt! - 1);
    for (const arr of [m.loss, m.batchAccuracy, m.gradNorms, m.percentiles, m.evalLoss]) {
      expect(arr.every(Number.isFinite)).toBe(true);
    }
    expect(() => t.run(1)).toThrow(/diverged at step/);
    t.dispose();
  });

  it('draws decision boundaries and histograms with finite values', () => {
    const t = new simd.Trainer(xorOptions(simd, true));
    t.run(200);
    const grid = t.predictGrid({ nx: 100, ny: 100 });
    expect(grid.length).toBe(10_000);
    expect(grid.every((p) => p >= 0 && p <= 1)).toBe(true);
    // XOR: quadrants I and III are class 1, II and IV class 0.
    expect(grid[75 * 100 + 75]!).toBeGreaterThan(0.5);
    expect(grid[75 * 100 + 25]!).toBeLessThan(0.5);
    const h = t.histograms({ bins: 20, lo: -4, hi: 4 });
    expect(h.length).toBe(2 * 20);
    expect(h.slice(0, 20).reduce((s, c) => s + c, 0)).toBe(25 * 16);
    expect(t.evaluate(xorOptions(simd, true).test!).accuracy).toBeGreaterThan(0.9);
  });

  it('histograms per unit add up to the layer histogram; setWatch moves the percentiles to another unit', () => {
    const opts = xorOptions(simd, true);
    const t = new simd.Trainer(opts);
    expect(t.hiddenUnits).toEqual([16, 16]);
    expect(t.unitHistograms(1, { bins: 8 }).every((c) => c === 0)).toBe(true); // before the first step
    t.run(40);
    const units = t.unitHistograms(1, { bins: 8, lo: -3, hi: 3 });
    const layer = t.histograms({ bins: 8, lo: -3, hi: 3 }).slice(8, 16);
    expect(units.length).toBe(16 * 8);
    for (let b = 0; b < 8; b++) expect(Array.from({ length: 16 }, (_, u) => units[u * 8 + b]!).reduce((a, c) => a + c, 0)).toBe(layer[b]);
    for (let u = 0; u < 16; u++) expect(units.slice(u * 8, u * 8 + 8).reduce((a, c) => a + c, 0)).toBe(25);
    // Watching unit 5 of layer 0 from step 41 on records what a trainer watching it from the start records.
    const other = new simd.Trainer({ ...opts, watch: { layer: 0, unit: 5 } });
    other.run(40);
    t.setWatch({ layer: 0, unit: 5 });
    const a = t.run(20);
    const b = other.run(20);
    expect(Array.from(a.percentiles)).toEqual(Array.from(b.percentiles));
    expect(Array.from(a.loss)).toEqual(Array.from(b.loss));
    t.setWatch(null);
    expect(t.run(5).percentiles.length).toBe(0);
    t.dispose();
    other.dispose();
  });

  it('reaches 97% test accuracy on the handwritten digits with BatchNorm', async () => {
    const { train, test } = await simd.loadDigits();
    expect([train.size, test.size, train.features, train.classes]).toEqual([1437, 360, 64, 10]);
    const t = new simd.Trainer({
      model: { sizes: [64, 128, 128, 10], batchNorm: true, seed: 1 },
      train, test, batchSize: 32, lr: 0.1, momentum: 0.9, dataSeed: 2, evalEvery: 100,
    });
    const m = t.run(1000);
    expect(m.evalAccuracy[m.evalAccuracy.length - 1]).toBeGreaterThanOrEqual(0.97);
    t.dispose();
  });

  it('refuses bad options with errors that name them', () => {
    const train = simd.toyDataset('circle', { n: 50 });
    const base = { model: { sizes: [2, 4, 2] }, train, lr: 0.1 };
    expect(() => new simd.Trainer({ ...base, lr: undefined as unknown as number })).toThrow(TypeError);
    expect(() => new simd.Trainer({ ...base, batchSize: 51 })).toThrow(/batchSize/);
    expect(() => new simd.Trainer({ ...base, model: { sizes: [3, 2] } })).toThrow(/features/);
    expect(() => new simd.Trainer({ ...base, model: { sizes: [2, 2], activation: 'gelu' as 'relu' } })).toThrow(RangeError);
    expect(() => new simd.Trainer({ ...base, train: {} as never })).toThrow(/opts\.train/);
    expect(() => new simd.Trainer({ ...base, watch: { layer: 3, unit: 0 } })).toThrow(/watchLayer/);
    expect(() => simd.toyDataset('moons' as 'xor')).toThrow(RangeError);
    expect(() => simd.parseDataset(new Uint8Array(10))).toThrow(/dataset/);
    const t = new simd.Trainer(base);
    expect(t.run(5).steps).toBe(5); // still healthy after the errors
  });
});

// The README's examples, run as written, on both builds: what a new user copies first must work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLab, simdSupported } from '../../dist/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('loading', () => {
  it('picks the SIMD build where SIMD exists, and the scalar one on request', async () => {
    expect(simdSupported()).toBe(true); // Node 20's V8 has WebAssembly SIMD
    const a = await loadLab();
    const b = await loadLab({ simd: false });
    expect(a.features).toEqual({ simd: true, version: pkg.version });
    expect(b.features).toEqual({ simd: false, version: pkg.version });
  });

  it('gives independent instances when called twice', async () => {
    const a = await loadLab();
    const b = await loadLab();
    a.manualSeed(1);
    b.manualSeed(1);
    const la = new a.Linear(3, 2);
    const lb = new b.Linear(3, 2);
    expect(la.weight).toEqual(lb.weight); // same seed, separate generators
    la.dispose();
    expect(() => la.weight).toThrow(Error);
    expect(lb.weight.length).toBe(6); // the other lab is untouched
    lb.dispose();
  });
});

for (const simd of [true, false]) {
  describe(`README examples (${simd ? 'SIMD' : 'scalar'})`, () => {
    it('standardizes the refresher values', async () => {
      const lab = await loadLab({ simd });
      const r = lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]);
      expect(r.mean).toBe(5);
      expect(r.variance).toBe(4);
      expect(r.std).toBe(2);
      expect(Array.from(r.z)).toEqual([-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2]);
    });

    it('reproduces the worked example with γ = 2, β = 1 (and the erratum: -0.26, not 0.74)', async () => {
      const lab = await loadLab({ simd });
      const bn = new lab.BatchNorm1d(1);
      bn.weight = Float32Array.of(2);
      bn.bias = Float32Array.of(1);
      const y = bn.forward(Float32Array.of(2, 4, 8, 10), [4, 1]);
      const expected = [2, 4, 8, 10].map((x) => (2 * (x - 6)) / Math.sqrt(10 + 1e-5) + 1);
      y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      expect(y[1]).toBeCloseTo(-0.26, 2);
      expect(bn.runningMean![0]).toBeCloseTo(0.6, 6);
      expect(bn.runningVar![0]).toBeCloseTo(0.9 + 0.1 * (40 / 3), 5);
      bn.dispose();
    });

    it('runs the training step example and lowers the loss on a fixed batch', async () => {
      const lab = await loadLab({ simd });
      lab.manualSeed(0);
      const model = new lab.Sequential([
        new lab.Linear(2, 16), new lab.BatchNorm1d(16), new lab.ReLU(),
        new lab.Linear(16, 16), new lab.BatchNorm1d(16), new lab.ReLU(),
        new lab.Linear(16, 2),
      ]);
      const opt = new lab.SGD(model, { lr: 0.1, momentum: 0.9 });
      const x = new Float32Array(32 * 2);
      const y = new Int32Array(32);
      for (let i = 0; i < 32; i++) {
        x[2 * i] = Math.cos(i);
        x[2 * i + 1] = Math.sin(3 * i);
        y[i] = x[2 * i]! * x[2 * i + 1]! > 0 ? 1 : 0; // XOR-like quadrants
      }
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        opt.zeroGrad();
        const logits = model.forward(x, [32, 2]);
        const { loss, grad } = lab.crossEntropy(logits, y, [32, 2]);
        losses.push(loss);
        model.backward(grad);
        opt.step();
      }
      expect(losses[29]!).toBeLessThan(losses[0]! * 0.5);
      const keys = Object.keys(model.stateDict());
      expect(keys.slice(0, 7)).toEqual([
        '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
      ]);
      expect(model.stateDict()['1.num_batches_tracked']).toEqual(Float32Array.of(30));
      model.dispose();
      opt.dispose();
      expect(lab.memory.liveObjects).toBe(0);
    });
  });
}

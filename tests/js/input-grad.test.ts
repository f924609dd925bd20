// backward(dy, { inputGrad: false }) skips the first layer's input gradient: the parameter
// gradients must be exactly those of a full backward, and the flag must not stick.
import { expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';

for (const simd of [true, false]) {
  it(`skipping the input gradient leaves parameter gradients unchanged (${simd ? 'SIMD' : 'scalar'})`, async () => {
    const lab = await loadLab({ simd });
    const make = () =>
      new lab.Sequential([new lab.Linear(5, 7, { seed: 3 }), new lab.BatchNorm1d(7), new lab.Tanh(), new lab.Linear(7, 2, { seed: 4 })]);
    const a = make();
    const b = make();
    const x = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i));
    const dy = Float32Array.from({ length: 6 * 2 }, (_, i) => Math.cos(i));
    a.forward(x, [6, 5]);
    b.forward(x, [6, 5]);
    const full = a.backward(dy);
    expect(full.length).toBe(30);
    expect(b.backward(dy, { inputGrad: false })).toBeNull();
    const ga = a.layers.map((l) => (l as { weightGrad?: Float32Array | null }).weightGrad ?? null);
    const gb = b.layers.map((l) => (l as { weightGrad?: Float32Array | null }).weightGrad ?? null);
    expect(gb).toEqual(ga);
    // The next plain backward computes the input gradient again.
    b.zeroGrad();
    expect(b.backward(dy)).toEqual(full);
    expect(() => b.backward(dy, { inputGrad: 'no' as unknown as false })).toThrow(TypeError);
    a.dispose();
    b.dispose();
  });
}

// A layer inside a Sequential can still be run on its own (JS keeps its handle). Its caches then
// belong to that other input, so the model's backward must refuse instead of reading them (the
// fuzzer found this as an out-of-bounds read before the model checked its children).
import { expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';

for (const simd of [true, false]) {
  it(`model.backward after a child ran alone is an Error, and a new forward recovers (${simd ? 'SIMD' : 'scalar'})`, async () => {
    const lab = await loadLab({ simd });
    const relu = new lab.ReLU();
    const model = new lab.Sequential([new lab.Linear(2, 3, { seed: 1 }), relu]);
    const x = Float32Array.of(0.5, -1);
    model.forward(x, [1, 2]);
    relu.forward(new Float32Array(1 << 16).fill(1), [1 << 16]);
    expect(() => model.backward(Float32Array.of(1, 1, 1))).toThrow(/layer 1 \(ReLU\) was run on its own/);
    model.forward(x, [1, 2]);
    const dx = model.backward(Float32Array.of(1, 1, 1));
    expect(dx.length).toBe(2);
    expect(Array.from(dx).every(Number.isFinite)).toBe(true);
    model.dispose();
  });
}

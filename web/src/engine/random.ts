// The one seeded generator of the JavaScript side: mulberry32, 32 bits of state. The engine has
// its own (SplitMix64, in C++) for weights and batches; this one draws what the page and the
// elements show as data (demonstration batches, jitter), and the tests' and benchmarks' inputs,
// so the same seed gives the same numbers everywhere. Not cryptographic.

/** mulberry32: a seeded generator of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal samples N(mean, std²) by Box–Muller from a uniform generator in [0, 1). */
export function gaussian(uniform: () => number, mean = 0, std = 1): () => number {
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

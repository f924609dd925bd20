// The pure parts of <bn-batch-noise> and <bn-placement> (src/elements/base/measure.ts): seeded batch
// drawing (every batch holds the example once, its batch-mates distinct and uniformly spread,
// the same seed gives the same batches) and the placement verdict's decisions and arithmetic.
import { describe, expect, it } from 'vitest';
import { BatchDrawer, batchSeed, niceStep, placementVerdict, type Metric } from '../../dist/elements/base/measure.js';
import { mulberry32 } from '../../dist/engine/random.js';
import { fmt, fmtMeasured } from '../../dist/elements/base/format.js';
import { HEALTH_BINS, HEALTH_HI, HEALTH_LO, diagnose, layerHealth } from '../../dist/elements/training-lab/health.js';

describe('seeded batches', () => {
  it('mulberry32 repeats for a seed and differs between seeds, in [0, 1)', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs).not.toEqual(Array.from({ length: 1000 }, () => c()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(batchSeed(1, 4)).not.toBe(batchSeed(1, 16));
    expect(batchSeed(1, 4)).not.toBe(batchSeed(2, 4));
  });

  it('puts the example first and m − 1 distinct others in every batch', () => {
    const d = new BatchDrawer(50, 17, mulberry32(3));
    for (const m of [2, 4, 16, 50]) {
      for (let k = 0; k < 20; k++) {
        const idx = Array.from(d.draw(m));
        expect(idx).toHaveLength(m);
        expect(idx[0]).toBe(17);
        expect(new Set(idx).size).toBe(m);
        expect(idx.every((i) => Number.isInteger(i) && i >= 0 && i < 50)).toBe(true);
      }
    }
    // A batch of the whole set holds every example.
    expect(Array.from(d.draw(50)).sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws the batch-mates uniformly, and the same ones again for the same seed', () => {
    const n = 10;
    const draws = 3000;
    const count = new Array<number>(n).fill(0);
    const d = new BatchDrawer(n, 4, mulberry32(11));
    for (let k = 0; k < draws; k++) for (const i of d.draw(4).subarray(1)) count[i]!++;
    expect(count[4]).toBe(0);
    // Each of the 9 others is expected 3000 · 3 / 9 = 1000 times (binomial sd ≈ 26): within 10%.
    for (let i = 0; i < n; i++) if (i !== 4) expect(Math.abs(count[i]! - 1000)).toBeLessThan(100);
    const again = new BatchDrawer(n, 4, mulberry32(11));
    const first = new BatchDrawer(n, 4, mulberry32(11));
    for (let k = 0; k < 50; k++) expect(Array.from(again.draw(5))).toEqual(Array.from(first.draw(5)));
  });

  it('refuses impossible batches', () => {
    expect(() => new BatchDrawer(1, 0, mulberry32(1))).toThrow(RangeError);
    expect(() => new BatchDrawer(10, 10, mulberry32(1))).toThrow(RangeError);
    const d = new BatchDrawer(10, 0, mulberry32(1));
    expect(() => d.draw(1)).toThrow(RangeError);
    expect(() => d.draw(11)).toThrow(RangeError);
  });
});

const ACC: Metric = { label: 'test accuracy', higherIsBetter: true, scale: 100, unit: '%', gapUnit: 'points', digits: 2 };
const LOSS: Metric = { label: 'test loss', higherIsBetter: false, scale: 1, unit: '', gapUnit: '', digits: 3 };
const pre = (mean: number, sd: number) => ({ name: 'Linear → BN → ReLU', mean, sd });
const post = (mean: number, sd: number) => ({ name: 'Linear → ReLU → BN', mean, sd });

describe('the placement verdict', () => {
  it('names the better placement and says when the gap exceeds the seeds’ spread', () => {
    const v = placementVerdict(pre(0.97333, 0.002), post(0.96278, 0.004), [5, 0], 5, ACC, fmt);
    expect(v.better).toBe(0);
    expect(v.within).toBe(false);
    // The gap is between the means as printed: 97.33 − 96.28 = 1.05, not 1.055.
    expect(v.gap).toBeCloseTo(1.05, 10);
    expect(v.text).toBe('Linear → BN → ReLU came out ahead: 97.33% mean test accuracy against 96.28% for Linear → ReLU → BN (better on 5 of 5 seeds), a gap of 1.05 points, larger than the seed-to-seed spread (standard deviation up to 0.4 points).');
  });

  it('says when the seeds disagree more than the placements do', () => {
    const v = placementVerdict(pre(0.96, 0.01), post(0.965, 0.012), [2, 3], 5, ACC, fmt);
    expect(v.better).toBe(1);
    expect(v.within).toBe(true);
    expect(v.text).toContain('Linear → ReLU → BN came out ahead: 96.5% mean test accuracy against 96% for Linear → BN → ReLU (better on 3 of 5 seeds)');
    expect(v.text).toContain('a gap of 0.5 points that is within the seed-to-seed spread (standard deviation up to 1.2 points), so these runs cannot really tell the two apart.');
  });

  it('reads a lower loss as better, and calls equal printed means a tie', () => {
    expect(placementVerdict(pre(0.2, 0.01), post(0.1, 0.01), [0, 5], 5, LOSS, fmt).better).toBe(1);
    expect(placementVerdict(pre(0.1, 0.01), post(0.2, 0.01), [5, 0], 5, LOSS, fmt).better).toBe(0);
    const tie = placementVerdict(pre(1, 0), post(0.99999, 0), [0, 0], 3, ACC, fmt);
    expect(tie.better).toBeNull();
    expect(tie.text).toBe('Both placements ended at the same mean test accuracy, 100%, over 3 seeds.');
  });

  it('picks tick steps of 1, 2 or 5 times a power of ten', () => {
    expect([0.011, 0.25, 0.3, 1, 1.2, 7, 30].map(niceStep)).toEqual([0.02, 0.5, 0.5, 1, 2, 10, 50]);
  });
});

describe('fmtMeasured: a measured value is never shown as 0 unless it is 0', () => {
  it('rounds like fmt where fmt keeps a digit, and keeps two significant digits below that', () => {
    expect(fmtMeasured(0.28213)).toBe('0.282');
    expect(fmtMeasured(1.5)).toBe('1.5');
    expect(fmt(2.1e-4)).toBe('0'); // what the lab used to show for a loss of 2.1e-4
    expect(fmtMeasured(2.1e-4)).toBe('0.00021');
    expect(fmtMeasured(-2.1e-4)).toBe('\u22120.00021');
    expect(fmtMeasured(3.5e-9)).toBe('3.5e\u22129');
    expect(fmtMeasured(0)).toBe('0');
    expect(fmtMeasured(Number.NaN)).toBe('NaN');
    for (const x of [1e-3, 4.9e-4, 5e-4, 1e-12, 7e-30]) expect(Number(fmtMeasured(x).replace('\u2212', '-')), String(x)).not.toBe(0);
  });
});

describe("the training lab's diagnosis (elements/training-lab/health.ts)", () => {
  const hist = (layers: ((x: number) => number)[]) => {
    const h = new Float32Array(layers.length * HEALTH_BINS);
    const width = (HEALTH_HI - HEALTH_LO) / HEALTH_BINS;
    layers.forEach((count, l) => {
      for (let b = 0; b < HEALTH_BINS; b++) h[l * HEALTH_BINS + b] = count(HEALTH_LO + (b + 0.5) * width);
    });
    return h;
  };
  it('measures the share of inputs below 0 and beyond ±5 per layer', () => {
    const [a, b] = layerHealth(hist([(x) => (x < 0 ? 3 : 1), (x) => (Math.abs(x) > 5 ? 1 : 0)]), 2);
    expect(a!.negative).toBeCloseTo(0.75, 10);
    expect(a!.saturated).toBeCloseTo((3 * 50 + 50) / (3 * 100 + 100), 10);
    expect(b!.negative).toBeCloseTo(0.5, 10);
    expect(b!.saturated).toBe(1);
    expect(layerHealth(new Float32Array(HEALTH_BINS), 1)).toEqual([{ negative: 0, saturated: 0 }]); // no step yet
  });
  it('names dead ReLUs, saturated sigmoids and a network at chance, and says nothing of a healthy one', () => {
    const dead = layerHealth(hist([(x) => (x < 0 ? 1 : 0), () => 1]), 2);
    expect(diagnose({ activation: 'relu', health: dead, accuracy: 0.5, chance: 0.5, step: 800 }))
      .toBe('Stuck at chance: test accuracy 50%, what guessing gets. Dead ReLUs: layer 1 (100% of its inputs below 0); they output 0 and pass no gradient back, so the layers below them stop learning.');
    const flat = layerHealth(hist([() => 1, (x) => (Math.abs(x) > 5 ? 1 : 0)]), 2);
    expect(diagnose({ activation: 'sigmoid', health: flat, accuracy: 0.9, chance: 0.1, step: 800 }))
      .toBe('Saturated sigmoids: layer 2 (100% of its inputs beyond ±5); their slope there is almost 0, so almost no gradient passes.');
    const fine = layerHealth(hist([() => 1, () => 1]), 2);
    expect(diagnose({ activation: 'relu', health: fine, accuracy: 0.97, chance: 0.5, step: 800 })).toBe('');
    expect(diagnose({ activation: 'tanh', health: fine, accuracy: 0.52, chance: 0.5, step: 100 }), 'too early to call').toBe('');
  });
});

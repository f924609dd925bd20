// The words around the lesson's computed numbers (src/page/prose.ts), fed with the engine's own
// numbers as the page feeds them: the refresher's and the worked example's sentences come out as
// the lesson wrote them for its inputs, and sensibly for others.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';
import { countWord, deviations, quote, refresherSentence, workedSentence, type Piece } from '../../dist/page/prose.js';
// The page's own number format and the elements' BatchNorm1d(1) call: neither needs a DOM.
import { fmt } from '../../dist/elements/base/format.js';
import { batchStats } from '../../dist/elements/base/batch-stats.js';

const raw = (pieces: Piece[]) => pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');
// "z = 2" is held together with no-break spaces; the expectations below are written with plain ones.
const text = (pieces: Piece[]) => raw(pieces).replace(/\u00a0/g, ' ');
const bound = (pieces: Piece[]) => Object.fromEntries(pieces.filter((p): p is { bind: string; text: string } => typeof p !== 'string').map((p) => [p.bind, p.text]));

let lab: Lab;
beforeAll(async () => {
  lab = await loadLab();
});

function refresher(values: number[]): Piece[] {
  const r = lab.standardize(values);
  return refresherSentence(values, r.mean, r.std, r.z, fmt);
}

describe('numbers in words', () => {
  it('counts up to twelve in words, then in digits', () => {
    expect([0, 1, 8, 12, 13, 32].map(countWord)).toEqual(['zero', 'one', 'eight', 'twelve', '13', '32']);
  });

  it('says distances in standard deviations the way a person would', () => {
    expect(deviations(2, fmt)).toBe('two standard deviations');
    expect(deviations(1, fmt)).toBe('one standard deviation');
    expect(deviations(0.5, fmt)).toBe('half a standard deviation');
    expect(deviations(0.5, fmt, 'deviation')).toBe('half a deviation');
    expect(deviations(1.5, fmt)).toBe('one and a half standard deviations');
    expect(deviations(1.2247449, fmt)).toBe('1.22 standard deviations');
    expect(deviations(0.25, fmt)).toBe('0.25 standard deviations');
  });

  it('quotes the value furthest above the mean and the closest one below it (the first of equals)', () => {
    expect(quote([-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2])).toEqual({ high: 7, low: 1 });
    expect(quote([0.3, -2, 1, -0.1])).toEqual({ high: 2, low: 3 });
    expect(quote([0, 0, 0])).toEqual({ high: -1, low: -1 });
  });
});

describe('the refresher’s sentence, from the engine', () => {
  it('reads as the lesson wrote it for [2, 4, 4, 4, 5, 5, 7, 9]', () => {
    const s = refresher([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(text(s)).toBe('The eight values below have mean 5 and standard deviation 2, so 9 sits two standard deviations above the mean (z = 2) and 4 half a deviation below (z = −0.5).');
    expect(raw(s)).toContain('(z\u00a0=\u00a02)');
    expect(bound(s)).toEqual({ 'std-count': 'eight', 'std-mean': '5', 'std-std': '2', 'std-high': '9', 'std-high-z': '2', 'std-low': '4', 'std-low-z': '−0.5' });
  });

  it('follows other values', () => {
    expect(text(refresher([10, 20, 30]))).toBe('The three values below have mean 20 and standard deviation 8.165, so 30 sits 1.22 standard deviations above the mean (z = 1.22) and 10 sits 1.22 deviations below (z = −1.22).');
    // μ = 4, σ = √10: z(10) = 6/√10 ≈ 1.897, z(3) = −1/√10 ≈ −0.316.
    expect(text(refresher([1, 2, 3, 4, 10]))).toBe('The five values below have mean 4 and standard deviation 3.162, so 10 sits 1.9 standard deviations above the mean (z = 1.9) and 3 sits 0.32 deviations below (z = −0.32).');
  });

  it('has something true to say when there is no spread', () => {
    expect(text(refresher([5, 5, 5]))).toBe('The three values below have mean 5 and standard deviation 0: every value equals the mean, so every z-score is 0.');
    expect(text(refresher([7]))).toBe('The single value below has mean 7 and standard deviation 0: a single value is its own mean, so its z-score is 0.');
  });
});

describe('the worked example’s sentence, from the engine', () => {
  it('reads as the lesson wrote it for x = [2, 4, 8, 10]', () => {
    const x = [2, 4, 8, 10];
    const s = batchStats(lab, x);
    const squares = x.map((v) => lab.mseLoss(Float32Array.of(v), Float32Array.of(s.mean), [1]).loss);
    const divisor = lab.standardize(x, { eps: 1e-5 }).std;
    const pieces = workedSentence(s.mean, squares, s.variance, divisor, fmt);
    expect(text(pieces)).toBe('The mean is 6 and the variance is (16 + 4 + 4 + 16) / 4 = 10, so each value is divided by √10 ≈ 3.162.');
    expect(bound(pieces)).toEqual({ 'worked-mean': '6', 'worked-squares': '16 + 4 + 4 + 16', 'worked-m': '4', 'worked-var': '10', 'worked-std': '3.162' });
  });
});

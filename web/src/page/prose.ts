// Words for the numbers the lesson's prose quotes. The numbers themselves come from the engine
// (src/page/bind.ts asks it); these functions only choose which ones to quote and say them in
// English. Pure (no DOM, no engine), so tests/js/prose.test.ts checks them in Node.

/** Formats a number the way the page writes it ("−0.5": U+2212 minus, no trailing zeros). */
export type Format = (x: number, digits?: number) => string;

const SMALL = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** A count in words up to twelve, in digits above ("eight", "32"). */
export function countWord(n: number): string {
  return Number.isInteger(n) && n >= 0 && n < SMALL.length ? SMALL[n]! : String(n);
}

/**
 * How far from the mean a z-score of size `a` (≥ 0) is, in words: "two standard deviations",
 * "half a standard deviation", "one and a half standard deviations", else "1.22 standard deviations".
 * `unit` names the deviation ("standard deviation" the first time, "deviation" after).
 */
export function deviations(a: number, format: Format, unit = 'standard deviation'): string {
  const near = (x: number) => Math.abs(a - x) < 5e-4;
  if (near(0.5)) return `half a ${unit}`;
  const whole = Math.round(a);
  if (near(whole) && whole >= 1 && whole <= 12) return `${countWord(whole)} ${unit}${whole === 1 ? '' : 's'}`;
  const half = Math.floor(a);
  if (near(half + 0.5) && half >= 1 && half <= 12) return `${countWord(half)} and a half ${unit}s`;
  return `${format(a, 2)} ${unit}s`;
}

/** The two values the refresher quotes: the one furthest above the mean, and the one just below it. */
export interface Quoted {
  /** Index of the largest z-score (above the mean), or -1 when no value is above it. */
  high: number;
  /** Index of the largest negative z-score (the closest value below the mean), or -1. */
  low: number;
}

/** Picks the quoted values from the z-scores (the first of equal ones). */
export function quote(z: ArrayLike<number>): Quoted {
  let high = -1;
  let low = -1;
  for (let i = 0; i < z.length; i++) {
    const v = z[i]!;
    if (v > 0 && (high < 0 || v > z[high]!)) high = i;
    if (v < 0 && (low < 0 || v > z[low]!)) low = i;
  }
  return { high, low };
}

/** One piece of a computed sentence: plain words, or a number tagged with the name tests read it by. */
export type Piece = string | { bind: string; text: string };

/**
 * The refresher's sentence about `values` with the engine's mean, standard deviation and z-scores:
 * "The eight values below have mean 5 and standard deviation 2, so 9 sits two standard deviations
 * above the mean (z = 2) and 4 half a deviation below (z = −0.5)."
 */
export function refresherSentence(values: readonly number[], mean: number, std: number, z: ArrayLike<number>, format: Format): Piece[] {
  const n = values.length;
  const subject = n === 1 ? ['The single value below has'] : ['The ', { bind: 'std-count', text: countWord(n) }, ' values below have'];
  const out: Piece[] = [...subject, ' mean ', { bind: 'std-mean', text: format(mean, 3) }, ' and standard deviation ', { bind: 'std-std', text: format(std, 3) }];
  const { high, low } = quote(z);
  if (high < 0 || low < 0) {
    out.push(n === 1 ? ': a single value is its own mean, so its z-score is 0.' : ': every value equals the mean, so every z-score is 0.');
    return out;
  }
  const below = deviations(-z[low]!, format, 'deviation');
  // "and 4 half a deviation below", but "and 10 sits 1.22 deviations below": two numbers in a row would read as one.
  const verb = /^\d/.test(below) ? ' sits ' : ' ';
  out.push(
    ', so ', { bind: 'std-high', text: format(values[high]!, 3) }, ` sits ${deviations(z[high]!, format)} above the mean (z\u00a0=\u00a0`,
    { bind: 'std-high-z', text: format(z[high]!, 2) }, ') and ',
    { bind: 'std-low', text: format(values[low]!, 3) }, `${verb}${below} below (z\u00a0=\u00a0`,
    { bind: 'std-low-z', text: format(z[low]!, 2) }, ').',
  );
  return out;
}

/**
 * The worked example's sentence: "The mean is 6 and the variance is (16 + 4 + 4 + 16) / 4 = 10,
 * so each value is divided by √10 ≈ 3.162." `squares` are the squared deviations from the mean,
 * `divisor` is √(σ² + ε), what BatchNorm divides by.
 */
export function workedSentence(mean: number, squares: ArrayLike<number>, variance: number, divisor: number, format: Format): Piece[] {
  return [
    'The mean is ', { bind: 'worked-mean', text: format(mean, 3) },
    ' and the variance is (', { bind: 'worked-squares', text: Array.from(squares, (s) => format(s, 3)).join(' + ') },
    // No-break spaces keep "/ 4 = 10" and "√10 ≈ 3.162" on one line.
    ')\u00a0/\u00a0', { bind: 'worked-m', text: String(squares.length) },
    '\u00a0= ', { bind: 'worked-var', text: format(variance, 3) },
    ', so each value is divided by √', format(variance, 3), '\u00a0≈\u00a0', { bind: 'worked-std', text: format(divisor, 3) }, '.',
  ];
}

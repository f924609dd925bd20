// How the page writes numbers: fixed digits and a true minus sign.

/** Formats a number for display: fixed digits, and "−" (U+2212) for negatives. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const s = Number(x.toFixed(digits)).toString();
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}

/** A list of numbers as the page writes them: "−1.265, −0.632, …". */
export function fmtList(xs: ArrayLike<number>, digits = 3): string {
  return Array.from(xs, (x) => fmt(x, digits)).join(', ');
}

/** The same number for TeX (ASCII minus). */
export function texNum(x: number, digits = 3): string {
  return fmt(x, digits).replace('\u2212', '-');
}

/**
 * A measured quantity (a loss, a gradient norm): like fmt, but a non-zero value that would round
 * to 0 keeps two significant digits instead ("0.00021", "3.5e−7"), so that a small loss never
 * reads as no loss at all.
 */
export function fmtMeasured(x: number, digits = 3): string {
  if (x === 0 || !Number.isFinite(x) || Math.abs(x) >= 0.5 * 10 ** -digits) return fmt(x, digits);
  const s = x.toPrecision(2).replace(/e([+-])/, (_, sign: string) => (sign === '-' ? 'e\u2212' : 'e'));
  return s.startsWith('-') ? `\u2212${s.slice(1)}` : s;
}

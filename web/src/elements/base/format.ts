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

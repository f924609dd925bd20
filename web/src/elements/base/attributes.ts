// The one way attribute and URL values become numbers and words: parsed, then clamped or
// dropped, never trusted. The elements read their attributes through these; the training lab's
// field table and the page's URL-state table build on the same two primitives.

/** A finite number written in `raw`, or null (absent, blank, or not a finite number). */
export function parseNumber(raw: string | null): number | null {
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** `n` clamped into [min, max]. */
export function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/**
 * A comma-separated list of 1 to `maxLength` finite numbers, each at most `bound` in magnitude,
 * or null when any entry is blank or unparsable (the list is taken whole or not at all).
 */
export function parseNumberList(raw: string | null, maxLength = 64, bound = 1e6): number[] | null {
  if (raw === null || raw.trim() === '') return null;
  const nums = raw.split(',').map((p) => parseNumber(p));
  if (nums.length > maxLength || !nums.every((n) => n !== null && Math.abs(n) <= bound)) return null;
  return nums as number[];
}

/** Parses a number attribute: non-numbers fall back, numbers are clamped into [min, max]. */
export function numberAttr(value: string | null, fallback: number, min: number, max: number): number {
  const n = parseNumber(value);
  return n === null ? fallback : clamp(n, min, max);
}

/** Parses a comma-separated list of numbers; anything unparsable falls back whole. At most `maxLength` values. */
export function numberListAttr(value: string | null, fallback: readonly number[], maxLength = 64, bound = 1e6): number[] {
  return parseNumberList(value, maxLength, bound) ?? [...fallback];
}

/** Parses one of a fixed set of words; anything else falls back. */
export function choiceAttr<T extends string>(value: string | null, choices: readonly T[], fallback: T): T {
  return value !== null && (choices as readonly string[]).includes(value) ? (value as T) : fallback;
}

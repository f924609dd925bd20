// Shared helpers for the fixture tests: loading the JSON that tests/fixtures/gen_fixtures.py wrote
// and comparing float32 results against it with tolerances derived from the arithmetic.
//
// The tolerance model (used by every *fixtures*.test.ts):
// - U = 2^-24 is float32's unit round-off. A result obtained through n roundings (including the n
//   additions of a length-n reduction) is off from the exact value by at most γ(n)·S, where
//   γ(n) = nU/(1-nU) (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1) and S is the
//   sum of the magnitudes of the terms involved (Σ|a_i·b_i| for a dot product, not |Σ a_i·b_i|).
// - The engine and torch each obey such a bound, so they may differ by twice it: `bound(n, S)`.
// - Each test states n and S for its quantity next to the comparison. Nothing is tuned to a result.
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** float32 unit round-off, 2^-24. */
export const U = 2 ** -24;

/** Higham's γ(n): relative error bound of n floating-point roundings. */
export function gammaN(n: number): number {
  return (n * U) / (1 - n * U);
}

/** Allowed |engine - torch| for a quantity of n roundings over terms of total magnitude S. */
export function bound(n: number, s: number): number {
  return 2 * gammaN(n) * s;
}

/** The common header of every fixture file. */
export interface FixtureFile<C> {
  generator: string;
  torch: string;
  version: number;
  notes: string[];
  cases: C[];
}

/** Reads tests/fixtures/<name>. */
export function loadFixture<C>(name: string): FixtureFile<C> {
  const url = new URL(`../fixtures/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as FixtureFile<C>;
}

/** Fixture float lists as the Float32Array the API takes (9 digits round-trip exactly). */
export function f32(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values as ArrayLike<number>);
}

export interface Tolerance {
  /** Absolute tolerance: one number for all elements or one per element. */
  atol?: number | ArrayLike<number>;
  /** Relative tolerance, times |expected| per element. */
  rtol?: number;
  /** Shape of the data, only to print the worst element's multi-index. */
  shape?: readonly number[];
}

function multiIndex(flat: number, shape?: readonly number[]): string {
  if (!shape || shape.length === 0) return `${flat}`;
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `${flat} [${idx.join(', ')}]`;
}

/**
 * |a - e|, less what a float32 result cannot avoid: a Float32Array cannot hold e exactly, so its
 * distance to the nearest float32 is not counted (0 for fixture floats, which are float32 values;
 * at most U·|e| for float64 references such as the batch statistics).
 */
function excess(a: number, e: number, f32Actual: boolean): number {
  const d = Math.abs(a - e);
  return f32Actual ? Math.max(0, d - Math.abs(e - Math.fround(e))) : d;
}

/**
 * Asserts |actual[i] - expected[i]| <= atol[i] + rtol·|expected[i]| for every i, and reports the
 * worst element (largest error relative to what it was allowed) with its index, both values, the
 * error and the allowance, plus how many elements failed.
 */
export function expectClose(
  actual: ArrayLike<number> | null | undefined,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
): void {
  if (actual == null) throw new Error(`${label}: got ${actual}, expected ${expected.length} values`);
  if (actual.length !== expected.length)
    throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const rtol = tol.rtol ?? 0;
  const f32Actual = actual instanceof Float32Array;
  let worst = -1;
  let worstRatio = 0;
  let failures = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const atol = typeof tol.atol === 'number' ? tol.atol : tol.atol ? tol.atol[i]! : 0;
    const allowed = atol + rtol * Math.abs(e);
    const err = excess(a, e, f32Actual);
    // NaN fails; an exact tolerance (allowed 0) accepts only equality (0 and -0 are equal).
    const ratio = Number.isNaN(err) ? Infinity : err === 0 ? 0 : allowed === 0 ? Infinity : err / allowed;
    if (ratio > 1) failures++;
    if (ratio > worstRatio || worst < 0) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (failures > 0) {
    const a = actual[worst]!;
    const e = expected[worst]!;
    const atol = typeof tol.atol === 'number' ? tol.atol : tol.atol ? tol.atol[worst]! : 0;
    const allowed = atol + rtol * Math.abs(e);
    throw new Error(
      `${label}: ${failures} of ${expected.length} elements out of tolerance; worst at ` +
        `${multiIndex(worst, tol.shape)}: actual ${a}, expected ${e}, error ${excess(a, e, f32Actual)} > ` +
        `allowed ${allowed} (atol ${atol}, rtol ${rtol}; ${worstRatio.toPrecision(3)}x)`,
    );
  }
}

/** expectClose for one number. */
export function expectCloseScalar(actual: number, expected: number, tol: { atol?: number; rtol?: number }, label: string): void {
  expect(typeof actual, `${label}: type`).toBe('number');
  expectClose([actual], [expected], tol, label);
}

/**
 * Asserts bit-for-bit equality with the float32 values the fixture wrote (stored state read back,
 * ReLU, counters). Fixture floats are 9-digit decimals, so they are rounded to float32 first.
 */
export function expectExact(actual: ArrayLike<number> | null | undefined, expected: ArrayLike<number>, label: string): void {
  expectClose(actual, Array.from(expected, (e) => Math.fround(e)), { atol: 0, rtol: 0 }, label);
}

/** max |v| over an array (0 for an empty one). */
export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs fn, expecting it to throw an instance of cls whose message contains `text`. */
export function expectThrows(fn: () => unknown, cls: new (...args: never[]) => Error, text: string, label: string): void {
  let thrown: unknown = undefined;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `${label}: nothing thrown`).toBeDefined();
  expect(thrown, `${label}: wrong error class (${String(thrown)})`).toBeInstanceOf(cls);
  expect((thrown as Error).message, `${label}: message`).toContain(text);
}

/** The two builds every fixture runs on. */
export const MODULES = [true, false] as const;

/** mulberry32, the package's one seeded generator (dist/engine/random.js): random test data is the same on every run. */
export { mulberry32 as rng } from '../../dist/engine/random.js';

/**
 * Every element the package registers: the tags of the defineElement('bn-…') calls in the
 * elements' sources (web/src/elements and its training-lab folder), sorted. For the tests that
 * must cover each element, so that a new one is covered without being listed.
 */
export function elementTags(): string[] {
  const dirs = ['../../web/src/elements/', '../../web/src/elements/training-lab/'].map((d) => new URL(d, import.meta.url));
  return dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(new URL(f, dir), 'utf8')))
    .flatMap((src) => [...src.matchAll(/defineElement\('(bn-[a-z0-9-]+)'/g)].map((m) => m[1]!))
    .sort();
}

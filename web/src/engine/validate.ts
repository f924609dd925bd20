// Argument checks at the public boundary. Every message names the argument and says what was
// expected, so a learner can fix the call without reading the source. The limits themselves
// are the engine's (ctx.limits, from cpp/base/limits.h): callers pass them in.

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return typeof v;
}

export function float32Array(name: string, v: unknown): Float32Array {
  if (!(v instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array, got ${describe(v)}`);
  return v;
}

export function integer(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${name} must be an integer, got ${describe(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}

export function finiteNumber(name: string, v: unknown, min = -Infinity, max = Infinity, minExclusive = false): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be a finite number, got ${v}`);
  if (minExclusive ? v <= min : v < min) throw new RangeError(`${name} must be ${minExclusive ? '>' : '>='} ${min}, got ${v}`);
  if (v > max) throw new RangeError(`${name} must be <= ${max}, got ${v}`);
  return v;
}

export function boolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** An options bag: undefined becomes {}, anything but a plain object is a TypeError. */
export function options<T extends object>(name: string, v: unknown): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(`${name} must be an options object, got ${describe(v)}`);
  }
  return v as Partial<T>;
}

/**
 * A shape: an array of 1 to 4 positive integers whose product is at most maxElements (the
 * engine's limit) and, when `length` is given, equals it (the data it describes).
 */
export function shape(name: string, v: unknown, maxElements: number, length?: number, dataName = 'x'): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be an array of integers like [N, C], got ${describe(v)}`);
  if (v.length < 1 || v.length > 4) throw new RangeError(`${name} must have 1 to 4 dimensions, got ${v.length}`);
  let n = 1;
  v.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new TypeError(`${name}[${i}] must be an integer, got ${describe(d)}`);
    }
    if (d < 1) throw new RangeError(`${name}[${i}] must be >= 1, got ${d}`);
    n *= d;
  });
  if (n > maxElements) throw new RangeError(`${name} [${v.join(', ')}] has ${n} elements, more than the limit ${maxElements}`);
  if (length !== undefined && n !== length) {
    throw new RangeError(`${name} [${v.join(', ')}] describes ${n} values but ${dataName} has ${length}`);
  }
  return v as number[];
}

// Argument checks at the public boundary. Every message names the argument and says what was
// expected, so a learner can fix the call without reading the source. The limits themselves
// are the engine's (ctx.limits, from cpp/base/limits.h): callers pass them in.

// The intrinsic accessors of typed arrays. They read the internal slots, so an own `length` or
// `byteLength` property, a subclass getter or a Proxy cannot change what they report, and they
// work on typed arrays from any realm (an iframe, a vm context).
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsic = (key: PropertyKey) => Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get! as (this: unknown) => unknown;
const typedArrayTag = intrinsic(Symbol.toStringTag) as (this: unknown) => string | undefined;
const typedArrayLengthOf = intrinsic('length') as (this: unknown) => number;
const typedArrayByteOffset = intrinsic('byteOffset') as (this: unknown) => number;
const typedArrayBuffer = intrinsic('buffer') as (this: unknown) => ArrayBufferLike;
const arrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get! as (this: unknown) => number;

type TypedArrayName = 'Float32Array' | 'Int32Array' | 'Uint8Array';
type TypedArrayOf<K extends TypedArrayName> = K extends 'Float32Array' ? Float32Array : K extends 'Int32Array' ? Int32Array : Uint8Array;
const CONSTRUCTORS = { Float32Array, Int32Array, Uint8Array } as const;

/** The real kind of a typed array (from any realm), or undefined for anything else, Proxies included. */
export function typedArrayKind(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? typedArrayTag.call(v) : undefined;
}

/** The real length of a typed array (not an own or inherited `length` property). */
export function typedArrayLength(v: object): number {
  return typedArrayLengthOf.call(v);
}

/** Whether v is an ArrayBuffer (from any realm), by its internal slot. */
export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  if (typeof v !== 'object' || v === null) return false;
  try {
    arrayBufferByteLength.call(v); // throws for anything else, a SharedArrayBuffer included
    return true;
  } catch {
    return false;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  const kind = typedArrayKind(v);
  if (kind) return `a ${kind} of length ${typedArrayLengthOf.call(v)}`;
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'object') {
    // Something that claims a typed array's prototype without being one: a Proxy, or an object
    // made with Object.create(Float32Array.prototype).
    if (v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array) {
      return 'a Proxy or other object that is not a real typed array';
    }
    let name: string;
    try {
      name = (v as object).constructor?.name ?? 'no prototype';
    } catch {
      name = 'unreadable';
    }
    return `an object (${name})`;
  }
  return typeof v;
}

/**
 * A typed array of the given kind, snapshotted: a fresh view of the same memory whose length is
 * the real one (read through the intrinsic getters), so nothing the caller's object claims about
 * itself, and nothing that runs later, can change what is validated and used.
 */
export function typedArray<K extends TypedArrayName>(name: string, v: unknown, kind: K, expected = `a ${kind}`): TypedArrayOf<K> {
  if (typedArrayKind(v) !== kind) throw new TypeError(`${name} must be ${expected}, got ${describe(v)}`);
  const length = typedArrayLengthOf.call(v);
  const C = CONSTRUCTORS[kind] as unknown as new (b: ArrayBufferLike, offset: number, length: number) => TypedArrayOf<K>;
  if (length === 0) return new (CONSTRUCTORS[kind] as unknown as new (n: number) => TypedArrayOf<K>)(0);
  return new C(typedArrayBuffer.call(v), typedArrayByteOffset.call(v), length);
}

export function float32Array(name: string, v: unknown): Float32Array {
  return typedArray(name, v, 'Float32Array');
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
  // Read once: the length and each element exactly one time, into a plain array that is then
  // validated and used (a getter answering differently on a second read changes nothing).
  const rank = v.length;
  if (rank < 1 || rank > 4) throw new RangeError(`${name} must have 1 to 4 dimensions, got ${rank}`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(v[i] as number);
  let n = 1;
  dims.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new TypeError(`${name}[${i}] must be an integer, got ${describe(d)}`);
    }
    if (d < 1) throw new RangeError(`${name}[${i}] must be >= 1, got ${d}`);
    n *= d;
  });
  if (n > maxElements) throw new RangeError(`${name} [${dims.join(', ')}] has ${n} elements, more than the limit ${maxElements}`);
  if (length !== undefined && n !== length) {
    throw new RangeError(`${name} [${dims.join(', ')}] describes ${n} values but ${dataName} has ${length}`);
  }
  return dims;
}

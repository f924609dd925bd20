// Bad input on every public entry point, on the SIMD and the scalar module (docs/API.md, "Errors").
//
// One table, CASES, drives everything: each case makes one bad call and asserts the exact error
// class (err.constructor, since TypeError and RangeError are subclasses of Error) and that the
// message names the argument. After every case the same lab must still compute correctly: the z-score
// refresher, and a BatchNorm1d and a Linear created before the battery, checked against plain JS.
// Cases marked noAlloc (huge sizes) must fail before touching the wasm heap, and no case may leave
// an object alive (lab.memory.liveObjects).
//
// docs/error-cases.md is this table as markdown; a test keeps the two equal (BN_WRITE_ERROR_TABLE=1 rewrites it).
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../dist/index.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;
// Bad arguments are the point of this file, so objects are handled untyped.
type Any = any;
type ErrorClass = ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor;

interface Ctx {
  lab: Lab;
  other: Lab;  // a second, independent lab: its objects are foreign to `lab`
  own<T>(obj: T): T;  // disposed after the case
}

interface Case {
  call: string;      // what is called, e.g. 'BatchNorm1d.forward'
  arg: string;       // the bad argument, e.g. 'shape'
  bad: string;       // the bad value, described
  error: ErrorClass;
  names: RegExp;     // the message must match (names the argument)
  noAlloc?: boolean; // a huge size: must be refused without growing the wasm heap
  run(t: Ctx): unknown;
}

const MAX_ELEMENTS = 2 ** 26;  // the engine's limit (kMaxElements, cpp/base/limits.h); anything above is a RangeError
const STANDARDIZE_Z = [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2];
// "... was disposed" or "... used after dispose()": the message must say the object is disposed.
const DISPOSED = /\bdispose(d\b|\(\))/i;
const ONE_VALUE = /Expected more than 1 value per channel when training/;

// ---------------------------------------------------------------------------------------------
// Describing values for the table (deterministic).

function fmtNum(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && v > 2 ** 32 && v - 2 ** 32 < 1024) return `2**32+${v - 2 ** 32}`;
  if (Number.isInteger(v) && v >= 2 ** 16 && Number.isInteger(Math.log2(v))) return `2**${Math.log2(v)}`;
  if (Number.isInteger(v) && v >= 1e6 && v % 1e6 === 0) return v.toExponential().replace('+', '');
  return String(v);
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as object);
    return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${fmt(x)}`).join(', ')} }` : '{}';
  }
  return String(v);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const named = (...names: string[]) => new RegExp(`\\b(${names.map(escapeRe).join('|')})\\b`);
const f32 = (n: number, start = 0.5) => Float32Array.from({ length: n }, (_, i) => start + ((i * 7) % 5) - 2);

// ---------------------------------------------------------------------------------------------
// The table.

const CASES: Case[] = [];
const add = (c: Case) => CASES.push(c);

// Values that are not a Float32Array, each of the right length where a length exists.
const notF32 = (n: number): [string, unknown][] => [
  ['a string', 'abc'],
  ['a plain object', {}],
  ['a plain Array', Array.from({ length: n }, () => 1)],
  ['a Float64Array', new Float64Array(n)],
  ['an Int32Array', new Int32Array(n)],
  ['an ArrayBuffer', new ArrayBuffer(4 * n)],
  ['undefined', undefined],
  ['null', null],
  ['a BigInt', 1n],
];

// ---- constructors: integer sizes
type SizeCtor = { call: string; arg: RegExp; argName: string; make(lab: Lab, v: unknown): unknown };
const sizeCtors: SizeCtor[] = [
  { call: 'new BatchNorm1d', argName: 'numFeatures', arg: named('numFeatures'), make: (lab, v) => new lab.BatchNorm1d(v as number) },
  { call: 'new BatchNorm2d', argName: 'numFeatures', arg: named('numFeatures', 'numChannels'), make: (lab, v) => new lab.BatchNorm2d(v as number) },
  { call: 'new Linear', argName: 'inFeatures', arg: named('inFeatures'), make: (lab, v) => new lab.Linear(v as number, 2) },
  { call: 'new Linear', argName: 'outFeatures', arg: named('outFeatures'), make: (lab, v) => new lab.Linear(2, v as number) },
  // An array normalizedShape is valid, so the bad value goes inside one.
  { call: 'new LayerNorm', argName: 'normalizedShape', arg: named('normalizedShape'), make: (lab, v) => new lab.LayerNorm([2, v as number]) },
  { call: 'new GroupNorm', argName: 'numGroups', arg: named('numGroups'), make: (lab, v) => new lab.GroupNorm(v as number, 4) },
  { call: 'new GroupNorm', argName: 'numChannels', arg: named('numChannels'), make: (lab, v) => new lab.GroupNorm(1, v as number) },
  { call: 'new Conv2d', argName: 'inChannels', arg: named('inChannels'), make: (lab, v) => new lab.Conv2d(v as number, 2, 3) },
  { call: 'new Conv2d', argName: 'outChannels', arg: named('outChannels'), make: (lab, v) => new lab.Conv2d(2, v as number, 3) },
  { call: 'new Conv2d', argName: 'kernelSize', arg: named('kernelSize'), make: (lab, v) => new lab.Conv2d(2, 2, v as number) },
  { call: 'new MaxPool2d', argName: 'kernelSize', arg: named('kernelSize'), make: (lab, v) => new lab.MaxPool2d(v as number) },
  { call: 'new AvgPool2d', argName: 'kernelSize', arg: named('kernelSize'), make: (lab, v) => new lab.AvgPool2d(v as number) },
];
for (const s of sizeCtors) {
  const typeBad: unknown[] = [1.5, NaN, Infinity, -Infinity, '3', undefined, null, 3n, {}, [3]];
  const rangeBad: unknown[] = [0, -1, -(2 ** 31)];
  const hugeBad: unknown[] = [2 ** 31, 1e9, MAX_ELEMENTS + 1];
  for (const v of typeBad)
    add({ call: s.call, arg: s.argName, bad: fmt(v), error: TypeError, names: s.arg, run: (t) => t.own(s.make(t.lab, v)) });
  for (const v of rangeBad)
    add({ call: s.call, arg: s.argName, bad: fmt(v), error: RangeError, names: s.arg, run: (t) => t.own(s.make(t.lab, v)) });
  for (const v of hugeBad)
    add({ call: s.call, arg: s.argName, bad: fmt(v), error: RangeError, names: s.arg, noAlloc: true, run: (t) => t.own(s.make(t.lab, v)) });
}
// Each size fits, their product (the weight) does not.
add({
  call: 'new Linear', arg: 'inFeatures, outFeatures', bad: '100000, 100000', error: RangeError,
  names: named('inFeatures', 'outFeatures'), noAlloc: true, run: (t) => t.own(new t.lab.Linear(100000, 100000)),
});

// ---- constructors: options
for (const cls of ['BatchNorm1d', 'BatchNorm2d'] as const) {
  const make = (lab: Lab, opts: unknown) => new (lab as Any)[cls](3, opts);
  const opt = (key: string, v: unknown, error: ErrorClass) =>
    add({ call: `new ${cls}`, arg: `opts.${key}`, bad: fmt(v), error, names: named(key), run: (t) => t.own(make(t.lab, { [key]: v })) });
  for (const v of [0, -1e-5, NaN, Infinity, -Infinity]) opt('eps', v, RangeError);
  for (const v of ['1e-5', null, true]) opt('eps', v, TypeError);
  for (const v of [NaN, Infinity]) opt('momentum', v, RangeError);
  for (const v of ['0.1', true]) opt('momentum', v, TypeError);
  for (const v of [1, 'true', {}]) opt('affine', v, TypeError);
  for (const v of [0, 'false']) opt('trackRunningStats', v, TypeError);
  for (const v of ['fast', 5]) {
    add({ call: `new ${cls}`, arg: 'opts', bad: fmt(v), error: TypeError, names: named('opts', 'options'), run: (t) => t.own(make(t.lab, v)) });
  }
}
// Options of the normalization family and the CNN layers.
const layerOpts: [string, (lab: Lab, opts: unknown) => unknown, string, unknown, ErrorClass][] = [];
for (const [cls, make] of [
  ['LayerNorm', (lab: Lab, o: unknown) => new lab.LayerNorm(4, o as Any)],
  ['GroupNorm', (lab: Lab, o: unknown) => new lab.GroupNorm(2, 4, o as Any)],
] as const) {
  for (const v of [0, -1e-5, NaN, Infinity]) layerOpts.push([cls, make, 'eps', v, RangeError]);
  for (const v of ['1e-5', null]) layerOpts.push([cls, make, 'eps', v, TypeError]);
  layerOpts.push([cls, make, cls === 'LayerNorm' ? 'elementwiseAffine' : 'affine', 1, TypeError]);
}
const conv = (lab: Lab, o: unknown) => new lab.Conv2d(2, 3, 3, o as Any);
for (const [key, v, error] of [['stride', 0, RangeError], ['stride', 1.5, TypeError], ['stride', 2 ** 31, RangeError], ['padding', -1, RangeError],
  ['padding', '1', TypeError], ['padding', 2 ** 31, RangeError], ['bias', 'no', TypeError], ['seed', -1, RangeError], ['seed', 0.5, TypeError]] as [string, unknown, ErrorClass][])
  layerOpts.push(['Conv2d', conv, key, v, error]);
for (const [cls, make] of [['MaxPool2d', (lab: Lab, o: unknown) => new lab.MaxPool2d(2, o as Any)], ['AvgPool2d', (lab: Lab, o: unknown) => new lab.AvgPool2d(2, o as Any)]] as const)
  for (const [v, error] of [[0, RangeError], [-2, RangeError], [2.5, TypeError], ['2', TypeError]] as [unknown, ErrorClass][]) layerOpts.push([cls, make, 'stride', v, error]);
for (const [cls, make, key, v, error] of layerOpts)
  add({ call: `new ${cls}`, arg: `opts.${key}`, bad: fmt(v), error, names: named(key), run: (t) => t.own(make(t.lab, { [key]: v })) });
for (const [cls, make] of [['LayerNorm', (lab: Lab, o: unknown) => new lab.LayerNorm(4, o as Any)], ['Conv2d', conv], ['MaxPool2d', (lab: Lab, o: unknown) => new lab.MaxPool2d(2, o as Any)]] as const)
  add({ call: `new ${cls}`, arg: 'opts', bad: fmt('fast'), error: TypeError, names: named('opts', 'options'), run: (t) => t.own(make(t.lab, 'fast')) });
add({ call: 'new GroupNorm', arg: 'numGroups, numChannels', bad: '3, 4 (3 does not divide 4)', error: RangeError, names: named('numGroups', 'numChannels'),
  run: (t) => t.own(new t.lab.GroupNorm(3, 4)) });
add({ call: 'new LayerNorm', arg: 'normalizedShape', bad: fmt([]), error: RangeError, names: named('normalizedShape'), run: (t) => t.own(new t.lab.LayerNorm([])) });
add({ call: 'new LayerNorm', arg: 'normalizedShape', bad: fmt([1, 2, 3, 4, 5]), error: RangeError, names: named('normalizedShape'), run: (t) => t.own(new t.lab.LayerNorm([1, 2, 3, 4, 5])) });
add({ call: 'new LayerNorm', arg: 'normalizedShape', bad: fmt('4'), error: TypeError, names: named('normalizedShape'), run: (t) => t.own(new t.lab.LayerNorm('4' as Any)) });
add({ call: 'new Conv2d', arg: 'outChannels, inChannels, kernelSize', bad: '4096, 4096, 5 (weight 2**28.6 elements)', error: RangeError,
  names: named('outChannels', 'inChannels', 'kernelSize'), noAlloc: true, run: (t) => t.own(new t.lab.Conv2d(4096, 4096, 5)) });

for (const [key, v] of [['bias', 1], ['bias', 'yes'], ['seed', '1'], ['seed', 1.5], ['seed', NaN]] as [string, unknown][]) {
  add({ call: 'new Linear', arg: `opts.${key}`, bad: fmt(v), error: TypeError, names: named(key), run: (t) => t.own(new t.lab.Linear(3, 2, { [key]: v } as Any)) });
}

// ---- forward: x and shape
interface Target {
  name: string;
  make(lab: Lab, t: Ctx): Any;
  shape: number[];
  outLength: number;
  mismatch: number[];         // valid rank and features, product != x.length
  negative: number[];         // product == x.length, negative dims
  fractional: number[];       // product == x.length, a non-integer dim
  zero: number[];             // a zero dim, with an empty x
  huge: number[][];           // more than MAX_ELEMENTS elements
  wraps: number[];            // equals `shape` modulo 2**32 (a `| 0` conversion would accept it)
  overflow32: number[];       // product is a multiple of 2**32 (0 in 32-bit size_t), with an empty x
  wrongRank: number[][];      // product == x.length
  wrongFeatures?: number[];   // product == x.length
}
const targets: Target[] = [
  {
    name: 'Linear', make: (lab, t) => t.own(new lab.Linear(3, 2, { seed: 1 })), shape: [2, 3], outLength: 4,
    mismatch: [3, 3], negative: [-1, -2, 3], fractional: [0.5, 4, 3], zero: [0, 3],
    huge: [[1e9, 1e9, 3], [2 ** 31, 3], [2 ** 25, 3]], wraps: [2 ** 32 + 2, 3], overflow32: [65536, 65536, 3],
    wrongRank: [[1, 1, 1, 2, 3]], wrongFeatures: [3, 2],
  },
  {
    name: 'BatchNorm1d', make: (lab, t) => t.own(new lab.BatchNorm1d(3)), shape: [2, 3], outLength: 6,
    mismatch: [3, 3], negative: [-2, 3, -1], fractional: [0.5, 3, 4], zero: [0, 3],
    huge: [[1e9, 3, 1e9], [2 ** 31, 3], [2 ** 25, 3]], wraps: [2 ** 32 + 2, 3], overflow32: [65536, 3, 65536],
    wrongRank: [[6], [2, 3, 1, 1], [1, 2, 3, 1, 1]], wrongFeatures: [3, 2],
  },
  {
    name: 'BatchNorm2d', make: (lab, t) => t.own(new lab.BatchNorm2d(3)), shape: [2, 3, 2, 2], outLength: 24,
    mismatch: [2, 3, 2, 3], negative: [-2, 3, -2, 2], fractional: [0.5, 3, 4, 4], zero: [2, 3, 0, 2],
    huge: [[1e9, 3, 1e9, 1], [2 ** 31, 3, 1, 1]], wraps: [2, 3, 2 ** 32 + 2, 2], overflow32: [65536, 3, 65536, 1],
    wrongRank: [[8, 3], [2, 3, 4], [2, 3, 2, 2, 1]], wrongFeatures: [2, 2, 3, 2],
  },
  ...(['ReLU', 'Sigmoid', 'Tanh'] as const).map((name): Target => ({
    name, make: (lab, t) => t.own(new (lab as Any)[name]()), shape: [2, 3], outLength: 6,
    mismatch: [3, 3], negative: [-2, -3], fractional: [1.5, 4], zero: [0, 3],
    huge: [[1e9, 1e9], [2 ** 31, 3]], wraps: [2 ** 32 + 2, 3], overflow32: [65536, 65536],
    wrongRank: [[1, 1, 1, 2, 3]],
  })),
  // The CNN layers and the normalization family, all on x [2, 3, 4, 4] (96 values). A rank-3
  // shape is one unbatched image for Conv2d and the pools, so their wrong ranks are 1, 2 and 5.
  ...([
    ['Conv2d', (lab: Lab, t: Ctx) => t.own(new lab.Conv2d(3, 2, 3, { padding: 1, seed: 1 })), 64, [2, 4, 3, 4]],
    ['MaxPool2d', (lab: Lab, t: Ctx) => t.own(new lab.MaxPool2d(2)), 24, undefined],
    ['AvgPool2d', (lab: Lab, t: Ctx) => t.own(new lab.AvgPool2d(2)), 24, undefined],
    ['LayerNorm', (lab: Lab, t: Ctx) => t.own(new lab.LayerNorm([4, 4])), 96, [2, 3, 8, 2]],
    ['GroupNorm', (lab: Lab, t: Ctx) => t.own(new lab.GroupNorm(1, 3)), 96, [2, 4, 3, 4]],
    ['Flatten', (lab: Lab, t: Ctx) => t.own(new lab.Flatten()), 96, undefined],
  ] as [string, (lab: Lab, t: Ctx) => Any, number, number[] | undefined][]).map(([name, make, outLength, wrongFeatures]): Target => ({
    name, make, shape: [2, 3, 4, 4], outLength,
    mismatch: [2, 3, 4, 5], negative: [-2, 3, -4, 4], fractional: [0.5, 3, 8, 8], zero: [2, 3, 0, 4],
    huge: [[1e9, 3, 1e9, 1], [2 ** 31, 3, 1, 1]], wraps: [2, 3, 2 ** 32 + 4, 4], overflow32: [65536, 3, 65536, 1],
    wrongRank: name === 'LayerNorm' || name === 'GroupNorm' || name === 'Flatten' ? [[96], [1, 2, 3, 4, 4]] : [[96], [8, 12], [1, 2, 3, 4, 4]],
    ...(wrongFeatures ? { wrongFeatures } : {}),
  })),
  {
    name: 'Sequential',
    make: (lab, t) => t.own(new lab.Sequential([new lab.Linear(3, 4, { seed: 2 }), new lab.BatchNorm1d(4), new lab.ReLU()])),
    shape: [2, 3], outLength: 8,
    mismatch: [3, 3], negative: [-1, -2, 3], fractional: [0.5, 4, 3], zero: [0, 3],
    huge: [[1e9, 1e9, 3], [2 ** 31, 3]], wraps: [2 ** 32 + 2, 3], overflow32: [65536, 65536, 3],
    wrongRank: [[1, 1, 1, 2, 3]], wrongFeatures: [3, 2],
  },
];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

for (const g of targets) {
  const call = `${g.name}.forward`;
  const len = numel(g.shape);
  const fwd = (x: unknown, shape: unknown) => (t: Ctx) => g.make(t.lab, t).forward(x, shape);
  for (const [desc, v] of notF32(len))
    add({ call, arg: 'x', bad: desc, error: TypeError, names: named('x'), run: fwd(v, g.shape) });

  const shapeCase = (bad: unknown, error: ErrorClass, x: Float32Array, opts: Partial<Case> = {}) =>
    add({ call, arg: 'shape', bad: fmt(bad), error, names: named('shape'), run: fwd(x, bad), ...opts });
  const x = f32(len);
  for (const v of ['2,3', undefined, null, {}, 6]) shapeCase(v, TypeError, x);
  shapeCase([g.shape[0], String(g.shape[1]), ...g.shape.slice(2)], TypeError, x);
  shapeCase(g.shape.map((d) => BigInt(d)), TypeError, x);
  shapeCase(g.fractional, TypeError, x);
  shapeCase([NaN, ...g.shape.slice(1)], TypeError, x);
  shapeCase([Infinity, ...g.shape.slice(1)], TypeError, x);
  shapeCase([], RangeError, x);
  shapeCase(g.negative, RangeError, x);
  shapeCase(g.zero, RangeError, new Float32Array(0));
  for (const r of g.wrongRank) shapeCase(r, RangeError, x);
  if (g.wrongFeatures) shapeCase(g.wrongFeatures, RangeError, x);
  shapeCase(g.wraps, RangeError, x, { noAlloc: true });
  shapeCase(g.overflow32, RangeError, new Float32Array(0), { noAlloc: true });
  for (const h of g.huge) shapeCase(h, RangeError, x, { noAlloc: true });
  // x and shape disagree: either may be named.
  add({ call, arg: 'x, shape', bad: `x of length ${len}, shape ${fmt(g.mismatch)}`, error: RangeError, names: named('x', 'shape'), run: fwd(x, g.mismatch) });
  add({ call, arg: 'x, shape', bad: `x of length ${len + 1}, shape ${fmt(g.shape)}`, error: RangeError, names: named('x', 'shape'), run: fwd(f32(len + 1), g.shape) });
}

// A Linear whose output would exceed the limit although its input and weight fit.
add({
  call: 'Linear.forward', arg: 'shape', bad: '[128, 1] into Linear(1, 2**20) (output 2**27 elements)', error: RangeError,
  names: named('shape'), noAlloc: true,
  run: (t) => {
    const fc = t.own(new t.lab.Linear(1, 2 ** 20, { seed: 3 }));
    heapMark(t.lab);  // the weight itself may grow the heap; the forward must not
    return fc.forward(f32(128), [128, 1]);
  },
});

// Windows larger than what they slide over.
add({ call: 'Conv2d.forward', arg: 'shape', bad: '[2, 3, 1, 1] into Conv2d(3, 2, 5, { padding: 1 }) (padded 3×3 < 5×5)', error: RangeError,
  names: /shape.*larger than the padded input/, run: (t) => t.own(new t.lab.Conv2d(3, 2, 5, { padding: 1 })).forward(f32(6), [2, 3, 1, 1]) });
for (const cls of ['MaxPool2d', 'AvgPool2d'] as const)
  add({ call: `${cls}.forward`, arg: 'shape', bad: `[2, 3, 1, 48] into ${cls}(2)`, error: RangeError, names: /shape.*larger than the input/,
    run: (t) => t.own(new (t.lab as Any)[cls](2)).forward(f32(288), [2, 3, 1, 48]) });
// Conv2d's patches would exceed the limit although input and output fit: padding alone makes
// 2999² output positions of 3×3 patches out of one input value.
add({ call: 'Conv2d.forward', arg: 'shape', bad: '[1, 1, 1, 1] into Conv2d(1, 1, 3, { padding: 1500 }) (patches 2**26.3 elements)', error: RangeError,
  names: named('shape'), noAlloc: true, run: (t) => {
    const c = t.own(new t.lab.Conv2d(1, 1, 3, { padding: 1500, seed: 1 }));
    heapMark(t.lab);
    return c.forward(f32(1), [1, 1, 1, 1]);
  } });

// ---- backward: dy
for (const g of targets) {
  const call = `${g.name}.backward`;
  const afterForward = (t: Ctx) => {
    const m = g.make(t.lab, t);
    m.forward(f32(numel(g.shape)), g.shape);
    return m;
  };
  add({ call, arg: '(state)', bad: 'before any forward()', error: Error, names: /\bforward\b/, run: (t) => g.make(t.lab, t).backward(f32(g.outLength)) });
  for (const [desc, v] of notF32(g.outLength))
    add({ call, arg: 'dy', bad: desc, error: TypeError, names: named('dy'), run: (t) => afterForward(t).backward(v) });
  for (const n of [g.outLength - 1, g.outLength + 1, 0])
    add({ call, arg: 'dy', bad: `Float32Array(${n}), expected ${g.outLength}`, error: RangeError, names: named('dy'), run: (t) => afterForward(t).backward(new Float32Array(n)) });
}

// ---- batch of one in training mode (torch's _verify_batch_size)
const oneValue: [string, (t: Ctx) => unknown][] = [
  ['BatchNorm1d, train, [1, 3]', (t) => t.own(new t.lab.BatchNorm1d(3)).forward(f32(3), [1, 3])],
  ['BatchNorm1d, train, [1, 3, 1]', (t) => t.own(new t.lab.BatchNorm1d(3)).forward(f32(3), [1, 3, 1])],
  ['BatchNorm2d, train, [1, 3, 1, 1]', (t) => t.own(new t.lab.BatchNorm2d(3)).forward(f32(3), [1, 3, 1, 1])],
  // Without running statistics torch normalises with batch statistics in eval mode too.
  ['BatchNorm1d, trackRunningStats false, eval, [1, 3]', (t) => {
    const bn = t.own(new t.lab.BatchNorm1d(3, { trackRunningStats: false }));
    bn.eval();
    return bn.forward(f32(3), [1, 3]);
  }],
  ['BatchNorm2d, trackRunningStats false, eval, [1, 3, 1, 1]', (t) => {
    const bn = t.own(new t.lab.BatchNorm2d(3, { trackRunningStats: false }));
    bn.eval();
    return bn.forward(f32(3), [1, 3, 1, 1]);
  }],
  ['Sequential [Linear(3, 4), BatchNorm1d(4)], train, [1, 3]', (t) =>
    t.own(new t.lab.Sequential([new t.lab.Linear(3, 4), new t.lab.BatchNorm1d(4)])).forward(f32(3), [1, 3])],
];
for (const [bad, run] of oneValue)
  add({ call: 'forward', arg: 'shape', bad, error: RangeError, names: ONE_VALUE, run });

// ---- setters
for (const cls of ['BatchNorm1d', 'BatchNorm2d'] as const) {
  for (const prop of ['weight', 'bias', 'runningMean', 'runningVar']) {
    const set = (v: unknown) => (t: Ctx) => { t.own(new (t.lab as Any)[cls](3))[prop] = v; };
    for (const v of [[1, 1, 1], new Float64Array(3), null, 'abc', undefined])
      add({ call: `${cls}.${prop} =`, arg: prop, bad: fmt(v), error: TypeError, names: named(prop), run: set(v) });
    for (const n of [2, 4, 0])
      add({ call: `${cls}.${prop} =`, arg: prop, bad: `Float32Array(${n}), expected 3`, error: RangeError, names: named(prop), run: set(new Float32Array(n)) });
  }
}

for (const [prop, len] of [['weight', 6], ['bias', 2]] as [string, number][]) {
  const set = (v: unknown) => (t: Ctx) => { t.own(new t.lab.Linear(3, 2))[prop as 'weight'] = v as Float32Array; };
  for (const v of [Array.from({ length: len }, () => 1), new Float64Array(len), null, undefined])
    add({ call: `Linear.${prop} =`, arg: prop, bad: fmt(v), error: TypeError, names: named(prop), run: set(v) });
  for (const n of [len - 1, len + 1])
    add({ call: `Linear.${prop} =`, arg: prop, bad: `Float32Array(${n}), expected ${len}`, error: RangeError, names: named(prop), run: set(new Float32Array(n)) });
}
// Tensors the layer was built without: there is nothing to set (a state Error, not a bad value).
add({ call: 'Linear.bias =', arg: 'bias', bad: 'Float32Array(2) on Linear(3, 2, { bias: false })', error: Error, names: named('bias'),
  run: (t) => { t.own(new t.lab.Linear(3, 2, { bias: false })).bias = new Float32Array(2); } });
for (const prop of ['weight', 'bias'])
  add({ call: `BatchNorm1d.${prop} =`, arg: prop, bad: 'Float32Array(3) with { affine: false }', error: Error, names: named(prop),
    run: (t) => { t.own(new t.lab.BatchNorm1d(3, { affine: false }))[prop as 'weight'] = new Float32Array(3); } });
for (const prop of ['runningMean', 'runningVar'])
  add({ call: `BatchNorm1d.${prop} =`, arg: prop, bad: 'Float32Array(3) with { trackRunningStats: false }', error: Error, names: named(prop, prop === 'runningMean' ? 'running_mean' : 'running_var'),
    run: (t) => { t.own(new t.lab.BatchNorm1d(3, { trackRunningStats: false }))[prop as 'runningMean'] = new Float32Array(3); } });
// SGD.lr (a schedule sets it)
for (const [v, error] of [[-0.1, RangeError], [NaN, RangeError], ['0.1', TypeError], [null, TypeError]] as [unknown, ErrorClass][])
  add({ call: 'SGD.lr =', arg: 'lr', bad: fmt(v), error, names: named('lr'), run: (t) => { t.own(new t.lab.SGD(t.own(new t.lab.Linear(3, 2)), { lr: 0.1 })).lr = v as number; } });

// ---- train(mode)
for (const g of targets) {
  for (const v of ['yes', 1, null])
    add({ call: `${g.name}.train`, arg: 'mode', bad: fmt(v), error: TypeError, names: named('mode', 'training'), run: (t) => g.make(t.lab, t).train(v) });
}

// ---- stateDict / loadStateDict
interface DictTarget { name: string; make(lab: Lab, t: Ctx): Any; key: string; counterKey?: string }
const dictTargets: DictTarget[] = [
  { name: 'Linear', make: (lab, t) => t.own(new lab.Linear(3, 2)), key: 'weight' },
  { name: 'BatchNorm1d', make: (lab, t) => t.own(new lab.BatchNorm1d(3)), key: 'running_var', counterKey: 'num_batches_tracked' },
  { name: 'BatchNorm2d', make: (lab, t) => t.own(new lab.BatchNorm2d(3)), key: 'bias', counterKey: 'num_batches_tracked' },
  {
    name: 'Sequential',
    make: (lab, t) => t.own(new lab.Sequential([new lab.Linear(3, 4), new lab.BatchNorm1d(4), new lab.ReLU(), new lab.Linear(4, 2)])),
    key: '1.running_mean', counterKey: '1.num_batches_tracked',
  },
];
for (const d of dictTargets) {
  const call = `${d.name}.loadStateDict`;
  const load = (edit: (dict: Record<string, unknown>) => void, opts?: unknown) => (t: Ctx) => {
    const m = d.make(t.lab, t);
    const dict = m.stateDict();
    edit(dict);
    return opts === undefined ? m.loadStateDict(dict) : m.loadStateDict(dict, opts);
  };
  const k = d.key;
  const keyName = named(k);
  for (const v of [null, undefined, 'weights', 5])
    add({ call, arg: 'dict', bad: fmt(v), error: TypeError, names: named('dict', 'stateDict', 'state_dict'), run: (t) => d.make(t.lab, t).loadStateDict(v) });
  for (const v of ['yes', 1])
    add({ call, arg: 'opts.strict', bad: fmt(v), error: TypeError, names: named('strict'), run: load(() => {}, { strict: v }) });
  add({ call, arg: 'dict', bad: `missing '${k}', strict true`, error: RangeError, names: keyName, run: load((x) => { delete x[k]; }, { strict: true }) });
  add({ call, arg: 'dict', bad: `missing '${k}', default options (strict)`, error: RangeError, names: keyName, run: load((x) => { delete x[k]; }) });
  add({ call, arg: 'dict', bad: `unexpected 'extra.weight', strict true`, error: RangeError, names: named('extra.weight'), run: load((x) => { x['extra.weight'] = new Float32Array(3); }, { strict: true }) });
  for (const strict of [true, false]) {
    add({ call, arg: `dict['${k}']`, bad: `one element too many, strict ${strict}`, error: RangeError, names: keyName, run: load((x) => { x[k] = new Float32Array((x[k] as Float32Array).length + 1); }, { strict }) });
    add({ call, arg: `dict['${k}']`, bad: `Float32Array(0), strict ${strict}`, error: RangeError, names: keyName, run: load((x) => { x[k] = new Float32Array(0); }, { strict }) });
    add({ call, arg: `dict['${k}']`, bad: `a plain Array, strict ${strict}`, error: TypeError, names: keyName, run: load((x) => { x[k] = Array.from(x[k] as Float32Array); }, { strict }) });
    add({ call, arg: `dict['${k}']`, bad: `a Float64Array, strict ${strict}`, error: TypeError, names: keyName, run: load((x) => { x[k] = Float64Array.from(x[k] as Float32Array); }, { strict }) });
    add({ call, arg: `dict['${k}']`, bad: `null, strict ${strict}`, error: TypeError, names: keyName, run: load((x) => { x[k] = null; }, { strict }) });
  }
  if (d.counterKey) {
    const ck = d.counterKey;
    add({ call, arg: `dict['${ck}']`, bad: 'Float32Array(2)', error: RangeError, names: named(ck), run: load((x) => { x[ck] = new Float32Array(2); }, { strict: true }) });
  }
}

// ---- Sequential(layers)
{
  const call = 'new Sequential';
  const names = named('layers');
  for (const v of ['abc', undefined, null, {}, 5])
    add({ call, arg: 'layers', bad: fmt(v), error: TypeError, names, run: (t) => t.own(new t.lab.Sequential(v as Any)) });
  add({ call, arg: 'layers', bad: 'a layer, not an array', error: TypeError, names, run: (t) => t.own(new t.lab.Sequential(t.own(new t.lab.ReLU()) as Any)) });
  for (const [desc, item] of [['{}', {}], ['1', 1], ['null', null], ['undefined', undefined], ['a Float32Array', new Float32Array(3)]] as [string, unknown][])
    add({ call, arg: 'layers[1]', bad: desc, error: TypeError, names, run: (t) => t.own(new t.lab.Sequential([t.own(new t.lab.Linear(3, 2)), item] as Any)) });
  add({ call, arg: 'layers[1]', bad: 'the class lab.ReLU instead of an instance', error: TypeError, names, run: (t) => t.own(new t.lab.Sequential([t.own(new t.lab.ReLU()), t.lab.ReLU] as Any)) });
  add({ call, arg: 'layers[1]', bad: 'a layer of another lab instance', error: TypeError, names, run: (t) => t.own(new t.lab.Sequential([t.own(new t.lab.Linear(3, 2)), t.own(new t.other.ReLU())])) });
  add({ call, arg: 'layers[2]', bad: 'the same layer twice', error: RangeError, names, run: (t) => {
    const relu = t.own(new t.lab.ReLU());
    return t.own(new t.lab.Sequential([relu, t.own(new t.lab.Linear(3, 3)), relu]));
  } });
  add({ call, arg: 'layers[0]', bad: 'a layer already in another Sequential', error: RangeError, names, run: (t) => {
    const fc = new t.lab.Linear(3, 2);
    t.own(new t.lab.Sequential([fc]));
    return t.own(new t.lab.Sequential([fc]));
  } });
  add({ call, arg: 'layers[0]', bad: 'a disposed layer', error: Error, names: DISPOSED, run: (t) => {
    const fc = new t.lab.Linear(3, 2);
    fc.dispose();
    return t.own(new t.lab.Sequential([fc]));
  } });
}

// ---- SGD(model, opts)
{
  const call = 'new SGD';
  const model = (t: Ctx) => t.own(new t.lab.Sequential([new t.lab.Linear(3, 2)]));
  const sgd = (opts: unknown) => (t: Ctx) => t.own(new t.lab.SGD(model(t), opts as Any));
  for (const v of [null, undefined, {}, 'model', new Float32Array(3)])
    add({ call, arg: 'model', bad: fmt(v), error: TypeError, names: named('model'), run: (t) => t.own(new t.lab.SGD(v as Any, { lr: 0.1 })) });
  add({ call, arg: 'model', bad: 'a model of another lab instance', error: TypeError, names: named('model'), run: (t) => t.own(new t.lab.SGD(t.own(new t.other.Linear(3, 2)), { lr: 0.1 })) });
  add({ call, arg: 'model', bad: 'a disposed model', error: Error, names: DISPOSED, run: (t) => {
    const m = new t.lab.Sequential([new t.lab.Linear(3, 2)]);
    m.dispose();
    return t.own(new t.lab.SGD(m, { lr: 0.1 }));
  } });
  add({ call, arg: 'opts.lr', bad: 'missing ({})', error: TypeError, names: named('lr'), run: sgd({}) });
  add({ call, arg: 'opts', bad: 'missing', error: TypeError, names: named('lr', 'opts', 'options'), run: (t) => t.own(new (t.lab.SGD as Any)(model(t))) });
  const opt = (key: string, v: unknown, error: ErrorClass, extra: object = {}) =>
    add({ call, arg: `opts.${key}`, bad: fmt({ [key]: v, ...extra }), error, names: named(key), run: sgd({ lr: 0.1, ...extra, [key]: v }) });
  for (const v of [-0.1, NaN]) opt('lr', v, RangeError);
  for (const v of ['0.1', null, 1n]) opt('lr', v, TypeError);
  for (const v of [-0.5, NaN]) opt('momentum', v, RangeError);
  opt('momentum', '0.9', TypeError);
  for (const v of [-1e-4, NaN]) opt('weightDecay', v, RangeError);
  opt('weightDecay', '0', TypeError);
  opt('dampening', 'x', TypeError);
  opt('nesterov', 'yes', TypeError);
  opt('nesterov', 1, TypeError);
  // torch: "Nesterov momentum requires a momentum and zero dampening"
  add({ call, arg: 'opts.nesterov', bad: '{ nesterov: true, momentum: 0 }', error: RangeError, names: named('nesterov'), run: sgd({ lr: 0.1, nesterov: true, momentum: 0 }) });
  add({ call, arg: 'opts.nesterov', bad: '{ nesterov: true } (momentum defaults to 0)', error: RangeError, names: named('nesterov'), run: sgd({ lr: 0.1, nesterov: true }) });
  add({ call, arg: 'opts.nesterov', bad: '{ nesterov: true, momentum: 0.9, dampening: 0.1 }', error: RangeError, names: named('nesterov', 'dampening'), run: sgd({ lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }) });
}

// ---- losses
{
  const logits = f32(6);
  const ce = (l: unknown, tg: unknown, shape: unknown) => (t: Ctx) => t.lab.crossEntropy(l as Any, tg as Any, shape as Any);
  const call = 'crossEntropy';
  const goodT = new Int32Array([0, 2]);
  for (const [desc, v] of notF32(6)) add({ call, arg: 'logits', bad: desc, error: TypeError, names: named('logits'), run: ce(v, goodT, [2, 3]) });
  for (const [desc, v] of [
    ['a Float32Array', new Float32Array([0, 2])], ['a plain Array', [0, 2]], ['a Float64Array', new Float64Array([0, 2])],
    ['a Uint32Array', new Uint32Array([0, 2])], ['a BigInt64Array', new BigInt64Array([0n, 2n])],
    ['non-integer class indices (Float32Array [0.5, 1])', new Float32Array([0.5, 1])], ['undefined', undefined], ['null', null],
  ] as [string, unknown][])
    add({ call, arg: 'targets', bad: desc, error: TypeError, names: named('targets'), run: ce(logits, v, [2, 3]) });
  for (const v of [[-1, 0], [0, 3], [2 ** 31 - 1, 0], [-(2 ** 31), 0]])
    add({ call, arg: 'targets', bad: `Int32Array ${fmt(v)} with 3 classes`, error: RangeError, names: named('targets'), run: ce(logits, new Int32Array(v), [2, 3]) });
  for (const n of [1, 3, 0])
    add({ call, arg: 'targets', bad: `Int32Array(${n}) for N = 2`, error: RangeError, names: named('targets'), run: ce(logits, new Int32Array(n), [2, 3]) });
  for (const s of [[6], [2, 3, 1], []])
    add({ call, arg: 'shape', bad: fmt(s), error: RangeError, names: named('shape'), run: ce(logits, goodT, s) });
  add({ call, arg: 'shape', bad: '[0, 3] with empty logits and targets', error: RangeError, names: named('shape'), run: ce(new Float32Array(0), new Int32Array(0), [0, 3]) });
  add({ call, arg: 'shape', bad: '[2, 1.5]', error: TypeError, names: named('shape'), run: ce(f32(3), goodT, [2, 1.5]) });
  add({ call, arg: 'shape', bad: '[2**32+2, 3]', error: RangeError, names: named('shape'), noAlloc: true, run: ce(logits, goodT, [2 ** 32 + 2, 3]) });
  add({ call, arg: 'shape', bad: '[1e9, 1e9]', error: RangeError, names: named('shape'), noAlloc: true, run: ce(logits, goodT, [1e9, 1e9]) });
  add({ call, arg: 'shape', bad: "'2,3'", error: TypeError, names: named('shape'), run: ce(logits, goodT, '2,3') });
  add({ call, arg: 'logits, shape', bad: 'logits of length 5, shape [2, 3]', error: RangeError, names: named('logits', 'shape'), run: ce(f32(5), goodT, [2, 3]) });
}
{
  const call = 'mseLoss';
  const mse = (p: unknown, tg: unknown, shape: unknown) => (t: Ctx) => t.lab.mseLoss(p as Any, tg as Any, shape as Any);
  for (const [desc, v] of notF32(6)) add({ call, arg: 'pred', bad: desc, error: TypeError, names: named('pred'), run: mse(v, f32(6), [2, 3]) });
  for (const [desc, v] of notF32(6)) add({ call, arg: 'target', bad: desc, error: TypeError, names: named('target'), run: mse(f32(6), v, [2, 3]) });
  for (const n of [5, 7, 0])
    add({ call, arg: 'target', bad: `Float32Array(${n}), pred and shape have 6`, error: RangeError, names: named('target'), run: mse(f32(6), f32(n), [2, 3]) });
  add({ call, arg: 'pred, shape', bad: 'pred of length 5, shape [2, 3]', error: RangeError, names: named('pred', 'shape'), run: mse(f32(5), f32(6), [2, 3]) });
  for (const s of [[], [0, 6], [-2, -3]])
    add({ call, arg: 'shape', bad: fmt(s), error: RangeError, names: named('shape'), run: mse(f32(6), f32(6), s) });
  for (const s of [null, '6', [6.5]])
    add({ call, arg: 'shape', bad: fmt(s), error: TypeError, names: named('shape'), run: mse(f32(6), f32(6), s) });
  add({ call, arg: 'shape', bad: '[2**32+6]', error: RangeError, names: named('shape'), noAlloc: true, run: mse(f32(6), f32(6), [2 ** 32 + 6]) });
}

// ---- standardize and manualSeed
{
  const call = 'standardize';
  const std = (v: unknown, opts?: unknown) => (t: Ctx) => t.lab.standardize(v as Any, opts as Any);
  for (const [desc, v] of [
    ['undefined', undefined], ['null', null], ['a number', 5], ['{}', {}], ["'abc'", 'abc'], ["['1', '2']", ['1', '2']],
    ['[1, null]', [1, null]], ['[1, undefined]', [1, undefined]], ['[1, 2n]', [1, 2n]], ['[1, {}]', [1, {}]],
  ] as [string, unknown][])
    add({ call, arg: 'values', bad: desc, error: TypeError, names: named('values'), run: std(v) });
  for (const [desc, v] of [
    ['[]', []], ['Float32Array(0)', new Float32Array(0)], ['[1, NaN]', [1, NaN]], ['[1, Infinity]', [1, Infinity]],
    ['Float64Array [1, -Infinity]', new Float64Array([1, -Infinity])], ['Float32Array [NaN, 1]', new Float32Array([NaN, 1])],
  ] as [string, unknown][])
    add({ call, arg: 'values', bad: desc, error: RangeError, names: named('values'), run: std(v) });
  add({ call, arg: 'values', bad: '{ length: 2**31 } (an ArrayLike too long to copy)', error: RangeError, names: named('values'), noAlloc: true, run: std({ length: 2 ** 31 }) });
  for (const v of [-1, NaN, -Infinity, Infinity])
    add({ call, arg: 'opts.eps', bad: fmt(v), error: RangeError, names: named('eps'), run: std([1, 2, 3], { eps: v }) });
  add({ call, arg: 'opts.eps', bad: "'0'", error: TypeError, names: named('eps'), run: std([1, 2, 3], { eps: '0' }) });
  for (const v of ['yes', 1])
    add({ call, arg: 'opts.unbiased', bad: fmt(v), error: TypeError, names: named('unbiased'), run: std([1, 2, 3], { unbiased: v }) });
}
for (const v of ['1', 1.5, NaN, Infinity, undefined, null, {}])
  add({ call: 'manualSeed', arg: 'seed', bad: fmt(v), error: TypeError, names: named('seed'), run: (t) => t.lab.manualSeed(v as Any) });
for (const v of ['yes', 1])
  add({ call: 'loadLab', arg: 'opts.simd', bad: fmt(v), error: TypeError, names: named('simd'), run: () => loadLab({ simd: v as Any }) });

// ---- use after dispose(): every method, getter and setter
interface Disposable { name: string; make(lab: Lab): Any; x: Float32Array; shape: number[]; ops: Record<string, (o: Any, pre: Any) => unknown> }
const layerOps = {
  'forward()': (o: Any, p: Any) => o.forward(p.x, p.shape),
  'backward()': (o: Any, p: Any) => o.backward(p.dy),
  'train()': (o: Any) => o.train(),
  'train(false)': (o: Any) => o.train(false),
  'eval()': (o: Any) => o.eval(),
  'training': (o: Any) => o.training,
  'outputShape': (o: Any) => o.outputShape,
};
const paramOps = {
  'zeroGrad()': (o: Any) => o.zeroGrad(),
  'stateDict()': (o: Any) => o.stateDict(),
  'loadStateDict()': (o: Any, p: Any) => o.loadStateDict(p.dict),
};
const getters = (...names: string[]) => Object.fromEntries(names.map((n) => [n, (o: Any) => o[n]]));
const setters = (...names: string[]) => Object.fromEntries(names.map((n) => [`${n} =`, (o: Any) => { o[n] = new Float32Array(3); }]));
const bnOps = {
  ...layerOps, ...paramOps,
  ...getters('weight', 'bias', 'weightGrad', 'biasGrad', 'runningMean', 'runningVar', 'numBatchesTracked', 'lastBatchMean', 'lastBatchVar'),
  ...setters('weight', 'bias', 'runningMean', 'runningVar'),
};
const disposables: Disposable[] = [
  { name: 'BatchNorm1d', make: (lab) => new lab.BatchNorm1d(3), x: f32(6), shape: [2, 3], ops: bnOps },
  { name: 'BatchNorm2d', make: (lab) => new lab.BatchNorm2d(3), x: f32(12), shape: [2, 3, 2, 1], ops: bnOps },
  { name: 'Linear', make: (lab) => new lab.Linear(3, 3), x: f32(6), shape: [2, 3], ops: { ...layerOps, ...paramOps, ...getters('weight', 'bias', 'weightGrad', 'biasGrad') } },
  ...(['ReLU', 'Sigmoid', 'Tanh'] as const).map((name): Disposable => ({ name, make: (lab) => new (lab as Any)[name](), x: f32(6), shape: [2, 3], ops: layerOps })),
  {
    name: 'Sequential', make: (lab) => new lab.Sequential([new lab.Linear(3, 3), new lab.BatchNorm1d(3)]), x: f32(6), shape: [2, 3],
    ops: { ...layerOps, ...paramOps, ...getters('layers', 'length') },
  },
];
// (Plain readonly fields such as numFeatures, inFeatures or eps are configuration, not getters, and
// `disposed` is the query itself: those stay readable.)
for (const d of disposables) {
  for (const [op, fn] of Object.entries(d.ops)) {
    add({
      call: `${d.name}.${op}`, arg: '(state)', bad: 'after dispose()', error: Error, names: DISPOSED,
      run: (t) => {
        const o = d.make(t.lab);
        const y = o.forward(d.x, d.shape);
        const pre = { x: d.x, shape: d.shape, dy: new Float32Array(y.length), dict: o.stateDict() };
        o.dispose();
        return fn(o, pre);
      },
    });
  }
}
const sgdOps: Record<string, (o: Any) => unknown> = {
  'step()': (o) => o.step(), 'zeroGrad()': (o) => o.zeroGrad(), 'lr': (o) => o.lr, 'lr =': (o) => { o.lr = 0.5; },
};
for (const [op, fn] of Object.entries(sgdOps)) {
  add({
    call: `SGD.${op}`, arg: '(state)', bad: 'after dispose()', error: Error, names: DISPOSED,
    run: (t) => {
      const opt = new t.lab.SGD(t.own(new t.lab.Linear(3, 2)), { lr: 0.1 });
      opt.dispose();
      return fn(opt);
    },
  });
}

// ---- sizes whose product wraps to 0 in wasm32's 32-bit size_t (last: a failure here may have
// corrupted the heap, and the battery should not be judged on a damaged lab)
for (const [call, make] of [
  ['Linear.forward', (t: Ctx) => t.own(new t.lab.Linear(1, 2 ** 20, { seed: 4 }))],
  ['Sequential.forward', (t: Ctx) => t.own(new t.lab.Sequential([new t.lab.Linear(1, 2 ** 20, { seed: 4 })]))],
] as [string, (t: Ctx) => Any][]) {
  add({
    call, arg: 'shape', bad: '[4096, 1] into Linear(1, 2**20) (output 2**32 elements)', error: RangeError,
    names: named('shape'), noAlloc: true,
    run: (t) => {
      const m = make(t);
      heapMark(t.lab);
      return m.forward(new Float32Array(4096), [4096, 1]);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Checks.

// Heap size and bytes in use; a case may move the mark after a legitimate allocation of its own.
type HeapMark = { heapBytes: number; usedBytes: number };
const heapMarks = new WeakMap<Lab, HeapMark>();
const heapNow = (lab: Lab): HeapMark => ({ heapBytes: lab.memory.heapBytes, usedBytes: lab.memory.usedBytes });
function heapMark(lab: Lab) { heapMarks.set(lab, heapNow(lab)); }

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function maxAbsDiff(a: ArrayLike<number> | null, b: ArrayLike<number>): number {
  expect(a).not.toBeNull();
  expect(a!.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a!.length; ++i) m = Math.max(m, Math.abs(a![i]! - b[i]!));
  return m;
}

// y = (x - mean) / sqrt(var + eps) per channel over N and S, with the biased variance; x is [N, C, S],
// in float64.
function bnReference(x: ArrayLike<number>, n: number, c: number, s: number, eps: number): Float64Array {
  const y = new Float64Array(n * c * s);
  const at = (i: number, j: number, k: number) => (i * c + j) * s + k;
  for (let j = 0; j < c; ++j) {
    let mean = 0;
    for (let i = 0; i < n; ++i) for (let k = 0; k < s; ++k) mean += x[at(i, j, k)];
    mean /= n * s;
    let v = 0;
    for (let i = 0; i < n; ++i) for (let k = 0; k < s; ++k) v += (x[at(i, j, k)] - mean) ** 2;
    v /= n * s;
    for (let i = 0; i < n; ++i) for (let k = 0; k < s; ++k) y[at(i, j, k)] = (x[at(i, j, k)] - mean) / Math.sqrt(v + eps);
  }
  return y;
}

// y = x W^T + b, x is [N, IN], W is [OUT, IN].
function linearReference(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, n: number, inF: number, outF: number) {
  const y = new Float64Array(n * outF);
  for (let i = 0; i < n; ++i)
    for (let o = 0; o < outF; ++o) {
      let s = b[o];
      for (let k = 0; k < inF; ++k) s += x[i * inF + k] * w[o * inF + k];
      y[i * outF + o] = s;
    }
  return y;
}

const HEALTH_X = new Float32Array([0.5, -1, 2, 1.5, 0, -0.5, -2, 3, 1, 0.25, 1, -1.5]);  // [4, 3]

interface Healthy { lab: Lab; bn: Any; fc: Any }
function expectHealthy(h: Healthy) {
  const s = h.lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]);
  expect(s.z).toBeInstanceOf(Float32Array);
  expect(maxAbsDiff(s.z, STANDARDIZE_Z)).toBeLessThanOrEqual(1e-6);
  expect(s.mean).toBeCloseTo(5, 6);
  expect(s.std).toBeCloseTo(2, 6);

  const y = h.bn.forward(HEALTH_X, [4, 3]);
  expect(maxAbsDiff(y, bnReference(HEALTH_X, 4, 3, 1, 1e-5))).toBeLessThanOrEqual(1e-5);

  const w = h.fc.weight, b = h.fc.bias;
  const yf = h.fc.forward(HEALTH_X, [4, 3]);
  expect(maxAbsDiff(yf, linearReference(HEALTH_X, w, b, 4, 3, 2))).toBeLessThanOrEqual(1e-5);
}

function makeHealthy(lab: Lab): Healthy {
  return { lab, bn: new lab.BatchNorm1d(3), fc: new lab.Linear(3, 2, { seed: 11 }) };
}

const caseTitle = (c: Case) => `${c.call}: ${c.arg} = ${c.bad} -> ${c.error.name}`;

for (const simd of [true, false]) {
  describe(`bad input, ${simd ? 'SIMD' : 'scalar'} module`, () => {
    let lab: Lab;
    let other: Lab;
    let healthy: Healthy;

    beforeAll(async () => {
      lab = await loadLab({ simd });
      other = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
      healthy = makeHealthy(lab);
      expectHealthy(healthy);
    });

    for (const c of CASES) {
      it(caseTitle(c), async () => {
        const owned: Any[] = [];
        const t: Ctx = { lab, other, own: (o) => { owned.push(o); return o; } };
        heapMarks.delete(lab);
        const heapBefore = heapNow(lab);
        const liveBefore = lab.memory.liveObjects;

        const err = await thrown(() => c.run(t));
        // Release what the case made even when an assertion below fails: a leaked handle would be
        // deleted later by the lab's FinalizationRegistry, far from the case that caused it.
        const release = () => {
          let failure: unknown;
          for (const o of owned.reverse()) {
            try { o?.dispose?.(); } catch (e) { failure ??= e; }
          }
          if (failure) throw failure;
        };
        try {
          expect(err, 'the call must throw').toBeInstanceOf(Error);
          const e = err as Error;
          expect(e.constructor, `class of: ${e.name}: ${e.message}`).toBe(c.error);
          expect(e.message).toMatch(c.names);
          if (c.noAlloc) {
            const mark = heapMarks.get(lab) ?? heapBefore, now = heapNow(lab);
            expect(now.heapBytes - mark.heapBytes, 'wasm heap growth (bytes) for a refused huge size').toBeLessThan(16 * 2 ** 20);
            expect(now.usedBytes - mark.usedBytes, 'bytes left allocated by a refused huge size').toBeLessThan(16 * 2 ** 20);
          }
        } catch (assertion) {
          try { release(); } catch { /* the assertion is the finding */ }
          throw assertion;
        }
        release();
        expect(lab.memory.liveObjects, 'objects left alive by the failed call').toBe(liveBefore);
        expectHealthy(healthy);
      });
    }

    it('loadStateDict with strict false ignores missing and unexpected keys and loads the rest (like torch)', () => {
      const src = new lab.Sequential([new lab.Linear(3, 4, { seed: 5 }), new lab.BatchNorm1d(4)]);
      const dst = new lab.Sequential([new lab.Linear(3, 4, { seed: 6 }), new lab.BatchNorm1d(4)]);
      src.forward(f32(6), [2, 3]);  // gives running statistics that differ from dst's
      const want = src.stateDict();
      const before = dst.stateDict();
      const dict: Record<string, Float32Array> = { ...want };
      delete dict['1.running_var'];
      dict['7.weight'] = new Float32Array(5);
      expect(() => dst.loadStateDict(dict, { strict: false })).not.toThrow();
      const after = dst.stateDict();
      for (const k of ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.num_batches_tracked'])
        expect(Array.from(after[k]), k).toEqual(Array.from(want[k]));
      expect(Array.from(after['1.running_var'])).toEqual(Array.from(before['1.running_var']));
      expect(Object.keys(after)).not.toContain('7.weight');
      src.dispose();
      dst.dispose();
      expectHealthy(healthy);
    });

    it('a batch of one works in eval mode (running statistics) and with more than one value per channel', () => {
      const x = new Float32Array([1, -2, 3]);
      const expected = Array.from(x, (v) => v / Math.sqrt(1 + 1e-5));  // running mean 0, var 1
      const bn1 = new lab.BatchNorm1d(3);
      bn1.eval();
      expect(maxAbsDiff(bn1.forward(x, [1, 3]), expected)).toBeLessThanOrEqual(1e-6);
      expect(Array.from(bn1.runningMean!)).toEqual([0, 0, 0]);
      const bn2 = new lab.BatchNorm2d(3);
      bn2.eval();
      expect(maxAbsDiff(bn2.forward(x, [1, 3, 1, 1]), expected)).toBeLessThanOrEqual(1e-6);
      // [1, C, 2]: two values per channel, fine in training.
      const bn3 = new lab.BatchNorm1d(3);
      const x3 = new Float32Array([1, 3, 0, 4, -1, -1]);
      expect(maxAbsDiff(bn3.forward(x3, [1, 3, 2]), bnReference(x3, 1, 3, 2, 1e-5))).toBeLessThanOrEqual(1e-5);
      bn1.dispose(); bn2.dispose(); bn3.dispose();
    });

    it('never aborts: after the whole battery a new lab and the old one both work', async () => {
      expectHealthy(healthy);
      const fresh = await loadLab({ simd });
      const h2 = makeHealthy(fresh);
      expectHealthy(h2);
      for (const h of [h2, makeHealthy(lab), makeHealthy(other)]) {
        expectHealthy(h);
        h.bn.dispose();
        h.fc.dispose();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The table, as markdown.

describe('error case table', () => {
  it('has unique, complete rows', () => {
    expect(CASES.length).toBeGreaterThan(300);
    for (const c of CASES) expect(c.call && c.arg && c.bad && c.error.name).toBeTruthy();
    const titles = CASES.map(caseTitle);
    expect(titles.filter((x, i) => titles.indexOf(x) !== i)).toEqual([]);
  });

  // docs/error-cases.md is this table as markdown. It is compared with what the table says now, so
  // the docs cannot fall behind the battery; BN_WRITE_ERROR_TABLE=1 (npm run docs) rewrites it.
  it('is the table docs/error-cases.md shows', () => {
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    const perCall = new Map<string, Record<string, number>>();
    for (const c of CASES) {
      const counts = perCall.get(c.call) ?? { TypeError: 0, RangeError: 0, Error: 0 };
      counts[c.error.name] = (counts[c.error.name] ?? 0) + 1;
      perCall.set(c.call, counts);
    }
    const calls = [...perCall.keys()].sort();
    const lines = [
      '<!-- Generated by tests/js/errors.test.ts from its table of cases (BN_WRITE_ERROR_TABLE=1 npx vitest run tests/js/errors.test.ts, or npm run docs); do not edit. -->',
      '',
      '# Bad-input cases',
      '',
      `Every row is a test run on both the SIMD and the scalar module (${CASES.length} cases in all). Each asserts the exact`,
      'error class and that the message names the argument, then checks that the same `lab` still computes correctly.',
      'See [reliability.md](reliability.md) for what else is tested.',
      '',
      '## Per call',
      '',
      '| call | cases | TypeError | RangeError | Error |',
      '|---|---:|---:|---:|---:|',
      ...calls.map((k) => {
        const n = perCall.get(k)!;
        return `| \`${cell(k)}\` | ${n.TypeError! + n.RangeError! + n.Error!} | ${n.TypeError} | ${n.RangeError} | ${n.Error} |`;
      }),
      '',
      '## Every case',
      '',
      '| call | argument | bad value | error |',
      '|---|---|---|---|',
      ...CASES.map((c) => `| \`${cell(c.call)}\` | \`${cell(c.arg)}\` | ${cell(c.bad)} | \`${c.error.name}\` |`),
      '',
    ];
    const text = lines.join('\n');
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'error-cases.md');
    if (process.env.BN_WRITE_ERROR_TABLE === '1') writeFileSync(out, text);
    expect(existsSync(out) ? readFileSync(out, 'utf8') : '', 'docs/error-cases.md is stale: run npm run docs').toBe(text);
  });
});

// Stateless functions: the z-score refresher and the losses.
import type { Ctx } from './context.js';
import * as v from './validate.js';

export interface StandardizeOptions {
  /** Added to the variance before the square root (default 0). */
  eps?: number;
  /** Divide by n - 1 instead of n (default false: the population variance, as BatchNorm). */
  unbiased?: boolean;
}

export interface Standardized {
  /** μ, the mean of the values. */
  mean: number;
  /** σ², the variance (population unless unbiased), in double: finite for every finite input, also beyond float32's range. */
  variance: number;
  /** √(σ² + eps), the divisor z was computed with. */
  std: number;
  /** (x - μ) / std for each value; all 0 when std is 0. */
  z: Float32Array;
}

export interface LossResult {
  /** The mean loss over the batch. */
  loss: number;
  /** dLoss/dInput, same shape as the input. */
  grad: Float32Array;
}

function finiteValues(name: string, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new RangeError(`${name}[${i}] must be a finite number, got ${x[i]} (a diverged model produces NaN or Infinity)`);
    }
  }
}

export function standardize(ctx: Ctx, values: ArrayLike<number>, opts?: StandardizeOptions): Standardized {
  if (values === null || typeof values !== 'object') {
    throw new TypeError(`values must be an array of numbers, got ${v.describe(values)}`);
  }
  // A typed array's length through the intrinsic getter; anything else's length read once.
  const n: unknown = v.typedArrayKind(values) ? v.typedArrayLength(values) : values.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`values must be an array of numbers, got ${v.describe(values)}`);
  }
  if (n < 1) throw new RangeError('values must contain at least one number');
  const maxElements = ctx.limits.maxElements;
  if (n > maxElements) throw new RangeError(`values must have at most ${maxElements} numbers, got ${n}`);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw new TypeError(`values[${i}] must be a number, got ${v.describe(value)}`);
    if (!Number.isFinite(value)) throw new RangeError(`values[${i}] must be a finite number, got ${value}`);
    x[i] = value;
  }
  const o = v.options<StandardizeOptions>('opts', opts);
  const eps = o.eps === undefined ? 0 : v.finiteNumber('opts.eps', o.eps, 0);
  const unbiased = o.unbiased === undefined ? false : v.boolean('opts.unbiased', o.unbiased);
  if (unbiased && n < 2) throw new RangeError('values must contain at least two numbers when opts.unbiased is true');
  ctx.room();
  return ctx.staged([x, x.byteLength], ([px, pz]) => {
    const r = ctx.mod.standardize(px!, n, eps, unbiased, pz!);
    ctx.check(r.code);
    return { mean: r.mean, variance: r.variance, std: r.std, z: ctx.copyOut(pz!, n) };
  });
}

export function crossEntropy(ctx: Ctx, logitsArg: Float32Array, targetsArg: Int32Array, shape: readonly number[]): LossResult {
  // Snapshots (honest views: lengths from the intrinsic getters), validated, then used.
  const logits = v.float32Array('logits', logitsArg);
  const targets = v.typedArray('targets', targetsArg, 'Int32Array', 'an Int32Array of class indices');
  const s = v.shape('shape', shape, ctx.limits.maxElements, logits.length, 'logits');
  if (s.length !== 2) throw new RangeError(`shape must be [N, classes], got [${s.join(', ')}]`);
  const [n, k] = s as [number, number];
  if (targets.length !== n) throw new RangeError(`targets must have N = ${n} class indices, got ${targets.length}`);
  finiteValues('logits', logits);
  ctx.room();
  return ctx.staged([logits, targets, logits.byteLength], ([pl, pt, pg]) => {
    const r = ctx.mod.crossEntropy(pl!, pt!, n, k, pg!);
    ctx.check(r.code);
    return { loss: r.loss, grad: ctx.copyOut(pg!, logits.length) };
  });
}

export function mseLoss(ctx: Ctx, predArg: Float32Array, targetArg: Float32Array, shape: readonly number[]): LossResult {
  const pred = v.float32Array('pred', predArg);
  const target = v.float32Array('target', targetArg);
  v.shape('shape', shape, ctx.limits.maxElements, pred.length, 'pred');
  if (target.length !== pred.length) throw new RangeError(`target must have ${pred.length} values like pred, got ${target.length}`);
  finiteValues('pred', pred);
  finiteValues('target', target);
  ctx.room();
  return ctx.staged([pred, target, pred.byteLength], ([pp, pt, pg]) => {
    const r = ctx.mod.mseLoss(pp!, pt!, pred.length, pg!);
    ctx.check(r.code);
    return { loss: r.loss, grad: ctx.copyOut(pg!, pred.length) };
  });
}

// LayerNorm and GroupNorm (PyTorch semantics): statistics per example with the biased variance,
// the same in train and eval, no running statistics. See cpp/nn/norm.h for the computation.
import { asCtx, type LabContext } from './context.js';
import { Layer } from './layers.js';
import * as v from './validate.js';

/** What LayerNorm, GroupNorm and Conv2d share: a weight and an optional bias, with gradients. */
export abstract class WeightBiasLayer extends Layer {
  /** The weight (a copy; assign a Float32Array of the same length to set it), or null when the
   *  layer was built without one (LayerNorm/GroupNorm without affine parameters). */
  get weight(): Float32Array | null {
    return this.getTensor('weight');
  }
  set weight(value: Float32Array) {
    this.setTensor('weight', 'weight', value);
  }
  /** The bias (a copy; assign to set), or null when the layer has none. */
  get bias(): Float32Array | null {
    return this.getTensor('bias');
  }
  set bias(value: Float32Array) {
    this.setTensor('bias', 'bias', value);
  }
  /** Accumulated dLoss/dweight, or null without a weight. */
  get weightGrad(): Float32Array | null {
    return this.getTensor('weight', true);
  }
  /** Accumulated dLoss/dbias, or null without a bias. */
  get biasGrad(): Float32Array | null {
    return this.getTensor('bias', true);
  }
}

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a weight (γ) and a bias (β) per normalized element (default true). */
  elementwiseAffine?: boolean;
}

/** Reads eps the way every normalization layer does (default 1e-5, at least 1e-30). */
function epsOption(value: unknown): number {
  // Below 1e-30, 1/sqrt(eps) (the scale of a constant row's gradient) overflows float32.
  return value === undefined ? 1e-5 : v.finiteNumber('opts.eps', value, 1e-30);
}

/**
 * Layer normalization: each example (each position of the leading dims) is normalised over its
 * trailing dims, which must equal `normalizedShape`; weight and bias have prod(normalizedShape)
 * values. x may have any rank from normalizedShape.length to 4.
 */
export class LayerNorm extends WeightBiasLayer {
  /** The trailing dims normalised together. */
  readonly normalizedShape: readonly number[];
  /** ε added to the variance. */
  readonly eps: number;
  /** Whether weight and bias exist. */
  readonly elementwiseAffine: boolean;

  protected constructor(context: LabContext, normalizedShape: number | readonly number[], opts?: LayerNormOptions) {
    const ctx = asCtx(context);
    const dims =
      typeof normalizedShape === 'number'
        ? [v.integer('normalizedShape', normalizedShape, 1, ctx.limits.maxElements)]
        : v.shape('normalizedShape', normalizedShape, ctx.limits.maxElements);
    const o = v.options<LayerNormOptions>('opts', opts);
    const eps = epsOption(o.eps);
    const affine = o.elementwiseAffine === undefined ? true : v.boolean('opts.elementwiseAffine', o.elementwiseAffine);
    super(context, () =>
      ctx.mod.makeLayerNorm(dims.length, dims[0] ?? 0, dims[1] ?? 0, dims[2] ?? 0, dims[3] ?? 0, {
        eps,
        elementwiseAffine: affine,
      }),
    );
    this.normalizedShape = Object.freeze([...dims]);
    this.eps = eps;
    this.elementwiseAffine = affine;
  }
}

export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a weight (γ) and a bias (β) per channel (default true). */
  affine?: boolean;
}

/**
 * Group normalization of x [N, C, ...]: the C channels are split into `numGroups` groups of
 * consecutive channels, and each example's group is normalised over its channels and positions.
 * numGroups = 1 normalises each example as a whole, numGroups = C each channel of each example.
 */
export class GroupNorm extends WeightBiasLayer {
  /** G: groups of C / G consecutive channels. */
  readonly numGroups: number;
  /** C: channels of the input (x is [N, C, ...]). */
  readonly numChannels: number;
  /** ε added to the variance. */
  readonly eps: number;
  /** Whether weight and bias ([C]) exist. */
  readonly affine: boolean;

  protected constructor(context: LabContext, numGroups: number, numChannels: number, opts?: GroupNormOptions) {
    const ctx = asCtx(context);
    v.integer('numGroups', numGroups, 1, ctx.limits.maxElements);
    v.integer('numChannels', numChannels, 1, ctx.limits.maxElements);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    const o = v.options<GroupNormOptions>('opts', opts);
    const eps = epsOption(o.eps);
    const affine = o.affine === undefined ? true : v.boolean('opts.affine', o.affine);
    super(context, () => ctx.mod.makeGroupNorm(numGroups, numChannels, { eps, affine }));
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.affine = affine;
  }
}

// Conv2d, MaxPool2d, AvgPool2d and Flatten (PyTorch semantics): square kernels, a stride,
// symmetric zero padding (Conv2d only), floor-mode output sizes. See cpp/nn/conv.h and pool.h.
import { asCtx, type LabContext } from './context.js';
import { Layer } from './layers.js';
import { WeightBiasLayer } from './normalization.js';
import * as v from './validate.js';

/** The largest kernel, stride or padding the engine accepts (it keeps every size an int32). */
const MAX_WINDOW = 32768;

export interface Conv2dOptions {
  /** Step between windows, in both directions (default 1). */
  stride?: number;
  /** Zeros added on every side of each plane (default 0). */
  padding?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** Seed for the initial weights; without it the lab's generator (lab.manualSeed) is used. */
  seed?: number;
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of x [N, inChannels, H, W] (or
 * [inChannels, H, W]) with a weight [outChannels, inChannels, k, k] row-major and a bias
 * [outChannels]; the output is [N, outChannels, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1]
 * (floor). Initialised like torch.nn.Conv2d: U(±1/√(inChannels·k²)).
 */
export class Conv2d extends WeightBiasLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  /** k: the kernel is k × k. */
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  protected constructor(context: LabContext, inChannels: number, outChannels: number, kernelSize: number, opts?: Conv2dOptions) {
    const ctx = asCtx(context);
    const max = ctx.limits.maxElements;
    v.integer('inChannels', inChannels, 1, max);
    v.integer('outChannels', outChannels, 1, max);
    v.integer('kernelSize', kernelSize, 1, MAX_WINDOW);
    const weights = outChannels * inChannels * kernelSize * kernelSize;
    if (weights > max) throw new RangeError(`outChannels * inChannels * kernelSize² must be <= ${max}, got ${weights}`);
    const o = v.options<Conv2dOptions>('opts', opts);
    const stride = o.stride === undefined ? 1 : v.integer('opts.stride', o.stride, 1, MAX_WINDOW);
    const padding = o.padding === undefined ? 0 : v.integer('opts.padding', o.padding, 0, MAX_WINDOW);
    const bias = o.bias === undefined ? true : v.boolean('opts.bias', o.bias);
    const seeded = o.seed !== undefined;
    const seed = seeded ? v.integer('opts.seed', o.seed, 0, Number.MAX_SAFE_INTEGER) : 0;
    super(context, () =>
      ctx.mod.makeConv2d({ inChannels, outChannels, kernelSize, stride, padding, bias, seeded, seed }),
    );
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = stride;
    this.padding = padding;
  }

  /** W, [outChannels, inChannels, k, k] row-major (a copy; assign to set). */
  override get weight(): Float32Array {
    return super.weight!;
  }
  override set weight(value: Float32Array) {
    super.weight = value;
  }
  /** Accumulated dLoss/dW, [outChannels, inChannels, k, k]. */
  override get weightGrad(): Float32Array {
    return super.weightGrad!;
  }
}

export interface Pool2dOptions {
  /** Step between windows (default: the kernel size, so windows do not overlap). */
  stride?: number;
}

function poolArgs(kernelSize: number, opts: Pool2dOptions | undefined): { kernelSize: number; stride: number } {
  v.integer('kernelSize', kernelSize, 1, MAX_WINDOW);
  const o = v.options<Pool2dOptions>('opts', opts);
  const stride = o.stride === undefined ? kernelSize : v.integer('opts.stride', o.stride, 1, MAX_WINDOW);
  return { kernelSize, stride };
}

/**
 * The largest value of each k × k window of each plane of x [N, C, H, W] (or [C, H, W]); a NaN
 * wins. Backward gives each output's gradient to the input it came from: on a tie, the first
 * maximum of the window in row-major order, as PyTorch does.
 */
export class MaxPool2d extends Layer {
  readonly kernelSize: number;
  readonly stride: number;

  protected constructor(context: LabContext, kernelSize: number, opts?: Pool2dOptions) {
    const ctx = asCtx(context);
    const a = poolArgs(kernelSize, opts);
    super(context, () => ctx.mod.makePool2d(ctx.mod.PoolKind.Max, a.kernelSize, a.stride));
    this.kernelSize = a.kernelSize;
    this.stride = a.stride;
  }
}

/** The mean of each k × k window of each plane of x [N, C, H, W] (or [C, H, W]). */
export class AvgPool2d extends Layer {
  readonly kernelSize: number;
  readonly stride: number;

  protected constructor(context: LabContext, kernelSize: number, opts?: Pool2dOptions) {
    const ctx = asCtx(context);
    const a = poolArgs(kernelSize, opts);
    super(context, () => ctx.mod.makePool2d(ctx.mod.PoolKind.Avg, a.kernelSize, a.stride));
    this.kernelSize = a.kernelSize;
    this.stride = a.stride;
  }
}

/** [N, ...] → [N, product of the rest], like torch.nn.Flatten(). */
export class Flatten extends Layer {
  protected constructor(context: LabContext) {
    super(context, () => asCtx(context).mod.makeFlatten());
  }
}

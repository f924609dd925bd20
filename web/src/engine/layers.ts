// Typed layers over the engine's opaque modules. Each class validates its arguments, stages data
// on the wasm heap, checks the engine's status and copies results out. Shapes are row-major
// arrays of integers using the letters N (batch), C (features/channels), L, H, W.
import { asCtx, Handle, liveHandle, type Ctx, type LabContext } from './context.js';
import type { RawModule, StateEntryKind } from '../wasm/module.js';
import * as v from './validate.js';

/** A state dict: PyTorch's keys mapped to copies of the tensors (counters as length-1 arrays). */
export type StateDict = Record<string, Float32Array>;

export interface LoadStateDictOptions {
  /** Missing or unexpected keys throw when true (default), are ignored when false. */
  strict?: boolean;
}

interface StateEntryInfo {
  name: string;
  kind: StateEntryKind;
  /** A counter (num_batches_tracked): read and written as a number, not a tensor. */
  counter: boolean;
  length: number;
  index: number;
}

interface Internals {
  ctx: Ctx;
  layout: StateEntryInfo[] | null;
  /** The Sequential this layer belongs to, if any. */
  owner: Sequential | null;
}

const internals = new WeakMap<Layer, Internals>();

/** The live engine module of a layer; throws the API's Error after dispose(). @internal */
export function rawOf(layer: Layer, what?: string): { ctx: Ctx; raw: RawModule } {
  if (!(layer instanceof Layer)) throw new TypeError(`${what ?? 'this'} is not a batchnorm-lab layer`);
  return liveHandle<RawModule>(layer, what && `${what} (${layer.constructor.name})`);
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** What every layer (and Sequential) can do. Create layers through a lab: `new lab.Linear(2, 3)`. */
export abstract class Layer extends Handle<RawModule> {
  protected constructor(context: LabContext, make: () => RawModule | null) {
    const ctx = asCtx(context);
    ctx.room();
    const raw = ctx.made(make()); // a refusing factory throws with its status
    super(context, raw, new.target.name);
    internals.set(this, { ctx, layout: null, owner: null });
  }

  /** True in training mode (the default), false after eval(). */
  get training(): boolean {
    return rawOf(this).raw.training();
  }

  /** Sets training mode (true by default); returns this, like torch's Module.train(). */
  train(mode: boolean = true): this {
    v.boolean('mode', mode);
    rawOf(this).raw.setTraining(mode);
    return this;
  }

  /** Sets evaluation mode; returns this. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Runs the layer on `x` (a Float32Array with the given row-major `shape`) and returns a new
   * Float32Array; the output's shape is then `outputShape`.
   */
  forward(x: Float32Array, shape: readonly number[]): Float32Array {
    const { ctx } = rawOf(this);
    // Snapshot the arguments (user code in getters runs here, and only here), validate the
    // snapshot, then look the layer up again: a getter may have disposed it.
    const data = v.float32Array('x', x);
    const s = v.shape('shape', shape, ctx.limits.maxElements, data.length);
    const { raw } = rawOf(this);
    ctx.staged([data], ([px]) => ctx.check(raw.forward(px!, s.length, s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0)));
    return ctx.copyOut(raw.outputPtr(), product(this.#outputShape(raw)));
  }

  /**
   * Backpropagates `dy` (the gradient of the loss w.r.t. the last forward's output, same shape)
   * and returns the gradient w.r.t. that forward's input. Parameter gradients accumulate.
   * With `{ inputGrad: false }` that input gradient is not computed and null is returned: for a
   * model whose first layer is a Linear this skips a third of the backward work.
   */
  backward(dy: Float32Array): Float32Array;
  backward(dy: Float32Array, opts: { inputGrad: false }): null;
  backward(dy: Float32Array, opts?: { inputGrad?: boolean }): Float32Array | null;
  backward(dy: Float32Array, opts?: { inputGrad?: boolean }): Float32Array | null {
    rawOf(this);
    const grad = v.float32Array('dy', dy);
    const o = v.options<{ inputGrad?: boolean }>('opts', opts);
    const flag = o.inputGrad;
    const inputGrad = flag === undefined ? true : v.boolean('opts.inputGrad', flag);
    const { ctx, raw } = rawOf(this); // after the getters: they may have disposed the layer
    ctx.staged([grad], ([pdy]) => ctx.check(raw.backward(pdy!, grad.length, inputGrad)));
    return inputGrad ? ctx.copyOut(raw.inputGradPtr(), raw.inputGradLength()) : null;
  }

  /** Shape of the last forward's output, or null before the first forward. */
  get outputShape(): number[] | null {
    const { raw } = rawOf(this);
    return raw.outputRank() ? this.#outputShape(raw) : null;
  }

  #outputShape(raw: RawModule): number[] {
    const dims: number[] = [];
    const rank = raw.outputRank(); // one Embind call, not one per loop test
    for (let i = 0; i < rank; i++) dims.push(raw.outputDim(i));
    return dims;
  }

  /** Sets every parameter gradient to zero. */
  zeroGrad(): void {
    rawOf(this).raw.zeroGrad();
  }

  /** Copies of the parameters and buffers under PyTorch's keys, in PyTorch's order. */
  stateDict(): StateDict {
    const { ctx, raw } = rawOf(this);
    const out: StateDict = {};
    for (const e of this.#layout()) {
      out[e.name] = e.counter ? Float32Array.of(raw.stateCounter(e.index)) : ctx.copyOut(raw.statePtr(e.index), e.length);
    }
    return out;
  }

  /**
   * Copies `dict` into the parameters and buffers. All entries are checked before anything is
   * written, so a failed load changes nothing. Wrong lengths always throw (as in PyTorch).
   */
  loadStateDict(dict: StateDict, opts?: LoadStateDictOptions): void {
    rawOf(this);
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || ArrayBuffer.isView(dict)) {
      throw new TypeError(`dict must be an object of Float32Arrays, got ${v.describe(dict)}`);
    }
    const o = v.options<LoadStateDictOptions>('opts', opts);
    const strict = o.strict === undefined ? true : v.boolean('opts.strict', o.strict);
    const layout = this.#layout();
    const known = new Set(layout.map((e) => e.name));
    if (strict) {
      const missing = layout.filter((e) => !(e.name in dict)).map((e) => e.name);
      const unexpected = Object.keys(dict).filter((k) => !known.has(k));
      if (missing.length || unexpected.length) {
        const parts = [];
        if (missing.length) parts.push(`missing key(s) ${missing.map((k) => `"${k}"`).join(', ')}`);
        if (unexpected.length) parts.push(`unexpected key(s) ${unexpected.map((k) => `"${k}"`).join(', ')}`);
        throw new RangeError(`dict: ${parts.join('; ')} (pass { strict: false } to ignore them)`);
      }
    }
    const writes: [StateEntryInfo, Float32Array][] = [];
    for (const e of layout) {
      if (!(e.name in dict)) continue;
      const key = `dict["${e.name}"]`;
      // A copy, so that nothing the caller does after this check changes what is written.
      const value = v.float32Array(key, dict[e.name]).slice();
      if (value.length !== e.length) {
        throw new RangeError(`${key}: size mismatch, expected ${e.length} values, got ${value.length}`);
      }
      const bad = value.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new RangeError(`${key}[${bad}] must be a finite number, got ${value[bad]}`);
      if (e.counter && (!Number.isInteger(value[0]) || value[0]! < 0)) {
        throw new RangeError(`${key} must hold a non-negative integer, got ${value[0]}`);
      }
      // A variance is never negative: eval-mode forward would take the square root of it.
      if (e.name === 'running_var' || e.name.endsWith('.running_var')) {
        const neg = value.findIndex((x) => x < 0);
        if (neg >= 0) throw new RangeError(`${key}[${neg}] must be >= 0 (a variance), got ${value[neg]}`);
      }
      writes.push([e, value]);
    }
    const { ctx, raw } = rawOf(this);
    for (const [e, value] of writes) {
      if (e.counter) ctx.check(raw.setStateCounter(e.index, value[0]!));
      else ctx.copyIn(raw.statePtr(e.index), value);
    }
  }

  #layout(): StateEntryInfo[] {
    const s = internals.get(this)!;
    if (!s.layout) {
      // Fixed once the layer exists (a Sequential cannot change after construction).
      const { ctx, raw } = rawOf(this);
      const layout: StateEntryInfo[] = [];
      const count = raw.stateCount();
      for (let index = 0; index < count; index++) {
        const e = raw.stateEntry(index);
        layout.push({ name: e.name, kind: e.kind, counter: e.kind === ctx.mod.StateEntryKind.Counter, length: e.length, index });
      }
      s.layout = layout;
    }
    return s.layout;
  }

  /** Index of a state entry by key, or -1. @internal */
  protected stateIndex(name: string): number {
    return this.#layout().findIndex((e) => e.name === name);
  }

  /** Copy of a state tensor (or its gradient), or null when the layer has no such entry. @internal */
  protected getTensor(name: string, grad = false): Float32Array | null {
    const { ctx, raw } = rawOf(this);
    const e = this.#layout().find((x) => x.name === name);
    if (!e) return null;
    return ctx.copyOut(grad ? raw.stateGradPtr(e.index) : raw.statePtr(e.index), e.length);
  }

  /** Copies `value` into a state tensor after checking its type and length. @internal */
  protected setTensor(name: string, what: string, value: unknown, nonNegative = false): void {
    rawOf(this);
    const e = this.#layout().find((x) => x.name === name);
    if (!e) throw new Error(`this ${this.constructor.name} has no ${what} (see its options)`);
    const arr = v.float32Array(what, value);
    if (arr.length !== e.length) throw new RangeError(`${what} must have ${e.length} values, got ${arr.length}`);
    const bad = arr.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RangeError(`${what}[${bad}] must be a finite number, got ${arr[bad]}`);
    const neg = nonNegative ? arr.findIndex((x) => x < 0) : -1;
    if (neg >= 0) throw new RangeError(`${what}[${neg}] must be >= 0, got ${arr[neg]}`);
    const { ctx, raw } = rawOf(this);
    ctx.copyIn(raw.statePtr(e.index), arr);
  }
}

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Seed for the initial weights; without it the lab's generator (lab.manualSeed) is used. */
  seed?: number;
}

/** y = x·Wᵀ + b. x is [N, IN] (or [..., IN]), W is [OUT, IN] row-major, b is [OUT]. */
export class Linear extends Layer {
  /** IN: features of each input row. */
  readonly inFeatures: number;
  /** OUT: features of each output row. */
  readonly outFeatures: number;

  protected constructor(context: LabContext, inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    const maxElements = asCtx(context).limits.maxElements;
    v.integer('inFeatures', inFeatures, 1, maxElements);
    v.integer('outFeatures', outFeatures, 1, maxElements);
    if (inFeatures * outFeatures > maxElements) {
      throw new RangeError(`inFeatures * outFeatures must be <= ${maxElements}, got ${inFeatures * outFeatures}`);
    }
    const o = v.options<LinearOptions>('opts', opts);
    const bias = o.bias === undefined ? true : v.boolean('opts.bias', o.bias);
    const seeded = o.seed !== undefined;
    const seed = seeded ? v.integer('opts.seed', o.seed, 0, Number.MAX_SAFE_INTEGER) : 0;
    super(context, () => asCtx(context).mod.makeLinear({ inFeatures, outFeatures, bias, seeded, seed }));
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /** W, [OUT, IN] row-major (a copy; assign a Float32Array to set it). */
  get weight(): Float32Array {
    return this.getTensor('weight')!;
  }
  set weight(value: Float32Array) {
    this.setTensor('weight', 'weight', value);
  }
  /** b, [OUT], or null when built with { bias: false }. */
  get bias(): Float32Array | null {
    return this.getTensor('bias');
  }
  set bias(value: Float32Array) {
    this.setTensor('bias', 'bias', value);
  }
  /** Accumulated dLoss/dW, [OUT, IN]. */
  get weightGrad(): Float32Array {
    return this.getTensor('weight', true)!;
  }
  /** Accumulated dLoss/db, [OUT], or null without bias. */
  get biasGrad(): Float32Array | null {
    return this.getTensor('bias', true);
  }
}

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1; any finite number, as in
   *  PyTorch, though only [0, 1] averages); null: cumulative average. */
  momentum?: number | null;
  /** Learn γ (weight) and β (bias) (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Layer {
  /** C: features (1d) or channels (2d). */
  readonly numFeatures: number;
  /** ε added to the variance. */
  readonly eps: number;
  /** Running-statistics momentum, or null for a cumulative average. */
  readonly momentum: number | null;
  /** Whether γ and β exist. */
  readonly affine: boolean;
  /** Whether running statistics exist. */
  readonly trackRunningStats: boolean;

  protected constructor(context: LabContext, numFeatures: number, spatialDims: number, opts?: BatchNormOptions) {
    v.integer('numFeatures', numFeatures, 1, asCtx(context).limits.maxElements);
    const o = v.options<BatchNormOptions>('opts', opts);
    // Below 1e-30, 1/sqrt(eps) (the scale of a constant feature's gradient) overflows float32.
    const eps = o.eps === undefined ? 1e-5 : v.finiteNumber('opts.eps', o.eps, 1e-30);
    const momentum = o.momentum === undefined ? 0.1 : o.momentum === null ? null : v.finiteNumber('opts.momentum', o.momentum);
    const affine = o.affine === undefined ? true : v.boolean('opts.affine', o.affine);
    const track = o.trackRunningStats === undefined ? true : v.boolean('opts.trackRunningStats', o.trackRunningStats);
    super(context, () =>
      asCtx(context).mod.makeBatchNorm(numFeatures, spatialDims, {
        eps,
        momentum: momentum ?? 0,
        cumulative: momentum === null,
        affine,
        trackRunningStats: track,
      }),
    );
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = track;
  }

  /** γ, [C] (a copy; assign to set), or null when affine is false. */
  get weight(): Float32Array | null {
    return this.getTensor('weight');
  }
  set weight(value: Float32Array) {
    this.setTensor('weight', 'weight', value);
  }
  /** β, [C], or null when affine is false. */
  get bias(): Float32Array | null {
    return this.getTensor('bias');
  }
  set bias(value: Float32Array) {
    this.setTensor('bias', 'bias', value);
  }
  /** Accumulated dLoss/dγ, [C], or null when affine is false. */
  get weightGrad(): Float32Array | null {
    return this.getTensor('weight', true);
  }
  /** Accumulated dLoss/dβ, [C], or null when affine is false. */
  get biasGrad(): Float32Array | null {
    return this.getTensor('bias', true);
  }
  /** Running mean, [C], or null without running statistics. */
  get runningMean(): Float32Array | null {
    return this.getTensor('running_mean');
  }
  set runningMean(value: Float32Array) {
    this.setTensor('running_mean', 'runningMean', value);
  }
  /** Running (unbiased) variance, [C], or null without running statistics. */
  get runningVar(): Float32Array | null {
    return this.getTensor('running_var');
  }
  set runningVar(value: Float32Array) {
    this.setTensor('running_var', 'runningVar', value, true);
  }
  /** Training batches seen by the running statistics (0 without running statistics). */
  get numBatchesTracked(): number {
    const i = this.stateIndex('num_batches_tracked');
    return i < 0 ? 0 : rawOf(this).raw.stateCounter(i);
  }
  /** Mean of each feature over the last batch normalised with batch statistics, [C], or null. */
  get lastBatchMean(): Float32Array | null {
    const { ctx, raw } = rawOf(this);
    const p = raw.lastBatchMeanPtr();
    return p ? ctx.copyOut(p, this.numFeatures) : null;
  }
  /** Biased variance of each feature over that batch, [C], or null. */
  get lastBatchVar(): Float32Array | null {
    const { ctx, raw } = rawOf(this);
    const p = raw.lastBatchVarPtr();
    return p ? ctx.copyOut(p, this.numFeatures) : null;
  }
}

/** Batch normalisation of x [N, C] or [N, C, L], per feature C over N (and L). */
export class BatchNorm1d extends BatchNormBase {
  protected constructor(context: LabContext, numFeatures: number, opts?: BatchNormOptions) {
    super(context, numFeatures, 1, opts);
  }
}

/** Batch normalisation of x [N, C, H, W], per channel C over N, H and W. */
export class BatchNorm2d extends BatchNormBase {
  protected constructor(context: LabContext, numChannels: number, opts?: BatchNormOptions) {
    super(context, numChannels, 2, opts);
  }
}

/** max(0, x), elementwise; any shape. */
export class ReLU extends Layer {
  protected constructor(context: LabContext) {
    super(context, () => asCtx(context).mod.makeActivation(asCtx(context).mod.ActivationKind.ReLU));
  }
}

/** 1 / (1 + e^-x), elementwise; any shape. */
export class Sigmoid extends Layer {
  protected constructor(context: LabContext) {
    super(context, () => asCtx(context).mod.makeActivation(asCtx(context).mod.ActivationKind.Sigmoid));
  }
}

/** tanh(x), elementwise; any shape. */
export class Tanh extends Layer {
  protected constructor(context: LabContext) {
    super(context, () => asCtx(context).mod.makeActivation(asCtx(context).mod.ActivationKind.Tanh));
  }
}

/**
 * Runs layers in order, like torch.nn.Sequential; state keys are prefixed with each layer's index.
 * The model owns its layers: dispose() disposes them too, and a layer belongs to one model only.
 */
const sequentialLayers = new WeakMap<Sequential, Layer[]>();

export class Sequential extends Layer {
  protected constructor(context: LabContext, layers: readonly Layer[]) {
    const ctx = asCtx(context);
    if (!Array.isArray(layers)) throw new TypeError(`layers must be an array of layers, got ${v.describe(layers)}`);
    const seen = new Set<Layer>();
    layers.forEach((layer, i) => {
      const s = layer instanceof Layer ? internals.get(layer) : undefined;
      if (!s) throw new TypeError(`layers[${i}] must be a layer (e.g. new lab.Linear(2, 3)), got ${v.describe(layer)}`);
      if (s.ctx !== ctx) throw new TypeError(`layers[${i}] was created by another lab instance`);
      rawOf(layer, `layers[${i}]`);
      if (seen.has(layer)) throw new RangeError(`layers[${i}] appears twice in the same Sequential`);
      if (s.owner && !s.owner.disposed) throw new RangeError(`layers[${i}] already belongs to another Sequential`);
      seen.add(layer);
    });
    super(context, () => {
      const seq = ctx.mod.makeSequential();
      for (const layer of layers) ctx.check(ctx.mod.sequentialAdd(seq, rawOf(layer).raw));
      return seq;
    });
    for (const layer of layers) internals.get(layer)!.owner = this;
    sequentialLayers.set(this, [...layers]);
  }

  /** The layers, in order (a copy of the list; the layers themselves are shared). */
  get layers(): Layer[] {
    rawOf(this);
    return [...sequentialLayers.get(this)!];
  }

  /** Number of layers. */
  get length(): number {
    rawOf(this);
    return sequentialLayers.get(this)!.length;
  }

  /** Disposes the model and every layer in it. */
  override dispose(): void {
    if (this.disposed) return;
    super.dispose();
    for (const layer of sequentialLayers.get(this)!) layer.dispose();
  }
}

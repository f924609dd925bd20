// Training inside the engine: one run(k) call does k SGD steps and returns their metrics.
import type { Ctx, LabContext } from './context.js';
import { asCtx, Handle, liveHandle } from './context.js';
import { Dataset, rawDataset } from './datasets.js';
import { Layer, type StateDict } from './layers.js';
import type { MetricKind, RawModule, RawTrainer, TrainerOptions as RawTrainerOptions } from '../wasm/module.js';
import * as v from './validate.js';

export type Activation = 'relu' | 'sigmoid' | 'tanh';
export type Placement = 'before' | 'after';
export type InitScheme = 'torch' | 'he' | 'xavier' | 'normal';
/** The normalization of a block: none, BatchNorm (1d/2d), LayerNorm or GroupNorm. */
export type Normalization = 'none' | 'batch' | 'layer' | 'group';
export type Pooling = 'max' | 'avg' | 'none';
const NORMS: readonly Normalization[] = ['none', 'batch', 'layer', 'group'];
const POOLS: readonly Pooling[] = ['max', 'avg', 'none'];
const ACTIVATIONS: readonly Activation[] = ['relu', 'sigmoid', 'tanh'];
const PLACEMENTS: readonly Placement[] = ['before', 'after'];
const INITS: readonly InitScheme[] = ['torch', 'he', 'xavier', 'normal'];

/**
 * The convolutional part of a CNN: blocks of Conv2d(k × k, stride 1, padding k/2) → norm →
 * activation → 2 × 2 pooling, before Flatten and the fully connected layers of `sizes`.
 */
export interface ConvConfig {
  /** Output channels of each conv block, e.g. [8, 16] (1 to 8 blocks). */
  channels: readonly number[];
  /** [C, H, W] of one example (C·H·W = sizes[0]); default [1, height, width] of the training set. */
  input?: readonly number[];
  /** Odd kernel size k (default 3). */
  kernelSize?: number;
  /** Pooling after each block (default 'max'); skipped once a plane is smaller than 2 × 2. */
  pool?: Pooling;
}

export interface ModelConfig {
  /** [IN, hidden..., OUT]: input features (C·H·W of an image), hidden widths, classes. */
  sizes: readonly number[];
  /** Conv blocks before the fully connected layers: makes the model a CNN. */
  conv?: ConvConfig;
  /** Activation after each hidden layer or conv block (default 'relu'). */
  activation?: Activation;
  /** BatchNorm in every hidden layer and conv block (default false); `norm: 'batch'` says the same. */
  batchNorm?: boolean;
  /**
   * The normalization of every block (conv blocks, then hidden layers), or one per block
   * (default: 'batch' with batchNorm, else 'none'). 'layer' normalises each example's features
   * (a conv block: its [C, H, W]); 'group' is GroupNorm(groups, channels).
   */
  norm?: Normalization | readonly Normalization[];
  /** GroupNorm's number of groups (default 2); it must divide each normalised width. */
  groups?: number;
  /** 'before': Linear → norm → act (default); 'after': Linear → act → norm. */
  placement?: Placement;
  /** 'torch' U(±1/√IN) (default), 'he' N(0, √(2/IN)), 'xavier' N(0, √(2/(IN+OUT))), 'normal' N(0, initScale). */
  init?: InitScheme;
  /** Multiplies the initial weights ('normal': their std) (default 1). */
  initScale?: number;
  /** Seed of the initial weights (default 0): equal seeds give equal Linear weights with or without BN. */
  seed?: number;
  /** Momentum of the BatchNorm running statistics (default 0.1). */
  bnMomentum?: number;
  /**
   * "Noisy" BatchNorm (Santurkar et al. 2018): after every BatchNorm, in training mode, each
   * channel is multiplied by a scale drawn from U(1, scale) and shifted by U(−shift, shift), drawn
   * afresh every step; eval mode is unaffected. Defaults { shift: 0, scale: 1 }: no noise.
   * Needs norm 'batch' in at least one block.
   */
  noise?: { shift?: number; scale?: number };
}

/** What Trainer.probeLandscape() measured at the current weights θ on one training batch. */
export interface LandscapeProbe {
  /** The step sizes η it moved by, as given. */
  stepSizes: Float32Array;
  /** The batch loss L(θ). */
  loss: number;
  /** ‖∇L(θ)‖ over every parameter. */
  gradientNorm: number;
  /** L(θ − η·∇L(θ)) for each step size (Infinity where the loss blew up). */
  losses: Float32Array;
  /** ‖∇L(θ − η·∇L(θ)) − ∇L(θ)‖ for each step size (Infinity where it blew up). */
  gradientChanges: Float32Array;
  /** Variation of the loss along the gradient: max − min over L(θ) and the losses. */
  lossRange: number;
  /** The largest gradient change (Santurkar et al.'s gradient predictiveness: smaller is more predictive). */
  gradientPredictiveness: number;
  /** "Effective" β-smoothness: the largest gradientChanges[i] / (η_i · ‖∇L(θ)‖). */
  betaSmoothness: number;
}

export interface TrainerOptions {
  /** The model to build. */
  model: ModelConfig;
  /** Training set. */
  train: Dataset;
  /** Test set for periodic evaluation (optional). */
  test?: Dataset;
  /** Examples per mini-batch (default 32; the last partial batch of each epoch is dropped). */
  batchSize?: number;
  /** Learning rate (required). */
  lr: number;
  /** SGD momentum (default 0). */
  momentum?: number;
  /** SGD dampening (default 0). */
  dampening?: number;
  /** SGD weight decay (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Seed of the mini-batch order (default 0): equal seeds give equal batches. */
  dataSeed?: number;
  /** Evaluate on the test set every this many steps (default 0: never). */
  evalEvery?: number;
  /** Evaluate on at most this many test examples (default 0: all). */
  evalLimit?: number;
  /** Hidden layer and unit whose activation input is summarised per step by percentiles. */
  watch?: { layer: number; unit: number } | null;
  /** A loss above explodeFactor × max(1, first loss) counts as divergence (default 1e4). */
  explodeFactor?: number;
}

/** What one run(k) call recorded. Per-step arrays have `steps` entries (× width). */
export interface TrainMetrics {
  /** Step number (1-based, over the whole run) of the first entry. */
  firstStep: number;
  /** Steps completed by this call (fewer than asked when the run diverged). */
  steps: number;
  /** Training cross-entropy per step. */
  loss: Float32Array;
  /** Accuracy on each step's batch, 0..1. */
  batchAccuracy: Float32Array;
  /** 15th, 50th, 85th percentile of the watched unit's input, 3 per step (empty without watch). */
  percentiles: Float32Array;
  /** L2 norm of each Conv2d and Linear layer's weight gradient, weightLayers per step. */
  gradNorms: Float32Array;
  /** Steps at which the test set was evaluated. */
  evalSteps: Float32Array;
  /** Test cross-entropy at those steps. */
  evalLoss: Float32Array;
  /** Test accuracy at those steps, 0..1. */
  evalAccuracy: Float32Array;
  /** True when the run diverged (non-finite or exploding loss); it then stops. */
  diverged: boolean;
  /** The step whose loss blew up, or null. */
  divergedAt: number | null;
  /**
   * After a divergence, the model holds its last all-finite state: the one after this many
   * completed steps (usually `firstStep + steps - 1`; one fewer when the last update itself
   * overflowed). null without divergence.
   */
  restoredToStep: number | null;
}

export interface GridOptions {
  /** Grid bounds (default [-6, 6] on both axes, the toy sets' scale). */
  x0?: number; x1?: number; y0?: number; y1?: number;
  /** Grid points per axis (default 100). */
  nx?: number; ny?: number;
}

// The engine's enum value for each public name, in the order of the choices.
function pick<T extends string, E>(name: string, value: unknown, choices: readonly T[], engine: readonly E[], fallback: T): E {
  if (value === undefined) return engine[choices.indexOf(fallback)]!;
  if (typeof value !== 'string') throw new TypeError(`${name} must be one of ${choices.join(', ')}, got ${v.describe(value)}`);
  const i = choices.indexOf(value as T);
  if (i < 0) throw new RangeError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return engine[i]!;
}

/** The trained model's layers, seen as one Sequential-like layer (state dict, forward, eval). */
class TrainerModel extends Layer {
  constructor(context: LabContext, make: () => RawModule) {
    super(context, make);
  }
}

/** The normalization of each block as the engine's NormKind numbers (empty: batchNorm decides). */
function readNorms(ctx: Ctx, m: Partial<ModelConfig>): Int32Array {
  const N = ctx.mod.NormKind;
  const kinds = [N.None, N.Batch, N.Layer, N.Group].map((k) => k.value);
  const arg: unknown = m.norm;
  const bn = m.batchNorm;
  if (arg === undefined) return new Int32Array(0);
  let list: number[];
  if (Array.isArray(arg)) {
    const count = arg.length;
    if (count < 1 || count > ctx.limits.maxSizes) throw new RangeError(`opts.model.norm must have 1 to ${ctx.limits.maxSizes} entries`);
    list = [];
    for (let i = 0; i < count; i++) list.push(kinds[NORMS.indexOf(pickName(`opts.model.norm[${i}]`, arg[i], NORMS))]!);
  } else {
    list = [kinds[NORMS.indexOf(pickName('opts.model.norm', arg, NORMS))]!];
  }
  if (bn !== undefined && v.boolean('opts.model.batchNorm', bn) !== list.every((k) => k === N.Batch.value)) {
    throw new RangeError('opts.model.batchNorm contradicts opts.model.norm: give one of them');
  }
  return Int32Array.from(list);
}

function pickName<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be one of ${choices.join(', ')}, got ${v.describe(value)}`);
  if (!choices.includes(value as T)) throw new RangeError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/**
 * Trains an MLP or a small CNN on a dataset with SGD and cross-entropy, entirely inside the engine.
 * Deterministic: the same options give the same numbers on every run and build.
 */
export class Trainer extends Handle<RawTrainer> {
  /** Linear layers (hidden layers + output layer). */
  readonly linearLayers: number;
  /** Conv2d and Linear layers: the entries of gradNorms per step. */
  readonly weightLayers: number;
  /** Hidden blocks (conv blocks, then hidden Linear layers; each with its activation and norm). */
  readonly hiddenLayers: number;
  /** Units of each hidden block: its features (Linear) or channels (Conv2d). */
  readonly hiddenUnits: readonly number[];

  protected constructor(context: LabContext, opts: TrainerOptions) {
    const ctx = asCtx(context);
    const o = v.options<TrainerOptions>('opts', opts);
    const m = v.options<ModelConfig>('opts.model', o.model);
    if (o.model === undefined) throw new TypeError('opts.model is required (e.g. { sizes: [2, 16, 2] })');
    // Each option is read once (a getter runs once); the datasets are looked up after the last
    // read, so a getter that disposes one gets the API's dispose error.
    const sizesArg: unknown = m.sizes;
    if (!Array.isArray(sizesArg)) throw new TypeError(`opts.model.sizes must be an array like [2, 16, 2], got ${v.describe(sizesArg)}`);
    const lim = ctx.limits;
    const count = sizesArg.length;
    if (count < lim.minSizes || count > lim.maxSizes) {
      throw new RangeError(`opts.model.sizes must have ${lim.minSizes} to ${lim.maxSizes} entries`);
    }
    const sizes = new Int32Array(count);
    for (let i = 0; i < count; i++) sizes[i] = v.integer(`opts.model.sizes[${i}]`, sizesArg[i], 1, lim.maxLayerWidth);
    const trainArg: unknown = o.train;
    const testArg: unknown = o.test;
    rawDataset(trainArg, 'opts.train', ctx);
    if (testArg !== undefined) rawDataset(testArg, 'opts.test', ctx);
    const lr: unknown = o.lr;
    if (lr === undefined) throw new TypeError('opts.lr is required (the learning rate, e.g. 0.1)');
    const watchArg: unknown = o.watch;
    const watch = watchArg === undefined || watchArg === null ? null : v.options<{ layer: number; unit: number }>('opts.watch', watchArg);
    const norms = readNorms(ctx, m);
    const groupsArg: unknown = m.groups;
    const groups = groupsArg === undefined ? 2 : v.integer('opts.model.groups', groupsArg, 1, 1024);
    const convArg: unknown = m.conv;
    const conv = convArg === undefined ? null : v.options<ConvConfig>('opts.model.conv', convArg);
    let channels = new Int32Array(0);
    let input: number[] | null = null;
    let kernelSize = 3;
    let pool: Pooling = 'max';
    if (conv) {
      const ch: unknown = conv.channels;
      if (!Array.isArray(ch)) throw new TypeError(`opts.model.conv.channels must be an array like [8, 16], got ${v.describe(ch)}`);
      const n = ch.length;
      if (n < 1 || n > 8) throw new RangeError(`opts.model.conv.channels must have 1 to 8 entries, got ${n}`);
      channels = new Int32Array(n);
      for (let i = 0; i < n; i++) channels[i] = v.integer(`opts.model.conv.channels[${i}]`, ch[i], 1, 1024);
      const inputArg: unknown = conv.input;
      if (inputArg !== undefined) {
        input = v.shape('opts.model.conv.input', inputArg, lim.maxElements);
        if (input.length !== 3) throw new RangeError(`opts.model.conv.input must be [C, H, W], got [${input.join(', ')}]`);
      }
      const k: unknown = conv.kernelSize;
      if (k !== undefined) {
        kernelSize = v.integer('opts.model.conv.kernelSize', k, 1, 15);
        if (kernelSize % 2 === 0) throw new RangeError(`opts.model.conv.kernelSize must be odd (padding k/2 keeps the size), got ${kernelSize}`);
      }
      const poolArg: unknown = conv.pool;
      if (poolArg !== undefined) pool = pickName('opts.model.conv.pool', poolArg, POOLS);
    }
    const { ActivationKind: A, Placement: P, InitScheme: I } = ctx.mod;
    const options: RawTrainerOptions = {
      activation: pick('opts.model.activation', m.activation, ACTIVATIONS, [A.ReLU, A.Sigmoid, A.Tanh], 'relu'),
      batchNorm: m.batchNorm === undefined ? false : v.boolean('opts.model.batchNorm', m.batchNorm),
      placement: pick('opts.model.placement', m.placement, PLACEMENTS, [P.BeforeActivation, P.AfterActivation], 'before'),
      init: pick('opts.model.init', m.init, INITS, [I.Torch, I.He, I.Xavier, I.Normal], 'torch'),
      initScale: m.initScale === undefined ? 1 : v.finiteNumber('opts.model.initScale', m.initScale, 0, 1e6),
      seed: m.seed === undefined ? 0 : v.integer('opts.model.seed', m.seed, 0, Number.MAX_SAFE_INTEGER),
      bnMomentum: m.bnMomentum === undefined ? 0.1 : v.finiteNumber('opts.model.bnMomentum', m.bnMomentum, 0, 1),
      batchSize: o.batchSize === undefined ? 32 : v.integer('opts.batchSize', o.batchSize, lim.minBatchSize, lim.maxBatchSize),
      lr: v.finiteNumber('opts.lr', lr, 0),
      momentum: o.momentum === undefined ? 0 : v.finiteNumber('opts.momentum', o.momentum, 0),
      dampening: o.dampening === undefined ? 0 : v.finiteNumber('opts.dampening', o.dampening),
      weightDecay: o.weightDecay === undefined ? 0 : v.finiteNumber('opts.weightDecay', o.weightDecay, 0),
      nesterov: o.nesterov === undefined ? false : v.boolean('opts.nesterov', o.nesterov),
      dataSeed: o.dataSeed === undefined ? 0 : v.integer('opts.dataSeed', o.dataSeed, 0, Number.MAX_SAFE_INTEGER),
      evalEvery: o.evalEvery === undefined ? 0 : v.integer('opts.evalEvery', o.evalEvery, 0, lim.maxEvalCount),
      evalLimit: o.evalLimit === undefined ? 0 : v.integer('opts.evalLimit', o.evalLimit, 0, lim.maxEvalCount),
      watchLayer: watch ? v.integer('opts.watch.layer', watch.layer, 0, lim.maxSizes) : -1,
      watchUnit: watch ? v.integer('opts.watch.unit', watch.unit, 0, lim.maxLayerWidth - 1) : 0,
      explodeFactor: o.explodeFactor === undefined ? 1e4 : v.finiteNumber('opts.explodeFactor', o.explodeFactor, 1, Infinity, true),
      groups,
      imageChannels: 1,
      imageHeight: 0,
      imageWidth: 0,
      kernelSize,
      pool: [ctx.mod.NetPool.Max, ctx.mod.NetPool.Avg, ctx.mod.NetPool.None][POOLS.indexOf(pool)]!,
      noiseShift: 0,
      noiseScale: 1,
    };
    const noiseArg: unknown = m.noise;
    if (noiseArg !== undefined) {
      const z = v.options<{ shift?: number; scale?: number }>('opts.model.noise', noiseArg);
      const shiftArg: unknown = z.shift;
      const scaleArg: unknown = z.scale;
      options.noiseShift = shiftArg === undefined ? 0 : v.finiteNumber('opts.model.noise.shift', shiftArg, 0, 1000);
      options.noiseScale = scaleArg === undefined ? 1 : v.finiteNumber('opts.model.noise.scale', scaleArg, 1, 1000);
      const batch = ctx.mod.NormKind.Batch.value;
      const anyBatch = norms.length ? norms.some((k) => k === batch) : options.batchNorm;
      if ((options.noiseShift > 0 || options.noiseScale > 1) && !anyBatch) {
        throw new RangeError("opts.model.noise is injected after BatchNorm layers: it needs norm 'batch' (or batchNorm: true) in at least one block");
      }
    }
    if (conv) {
      // The image shape: given, or the training set's (one channel).
      const d = trainArg as Dataset;
      const [c, h, w] = input ?? [1, d.height, d.width];
      if (!h || !w) throw new RangeError('opts.model.conv.input is required: the training set has no image shape (give [C, H, W])');
      if (c! * h * w !== sizes[0]) {
        throw new RangeError(`opts.model.conv.input [${c}, ${h}, ${w}] has ${c! * h * w} values but opts.model.sizes[0] is ${sizes[0]}`);
      }
      Object.assign(options, { imageChannels: c, imageHeight: h, imageWidth: w });
    }
    const train = rawDataset(trainArg, 'opts.train', ctx);
    const test = testArg === undefined ? null : rawDataset(testArg, 'opts.test', ctx);
    ctx.room();
    const raw = ctx.staged([sizes, channels, norms], ([ps, pc, pn]) =>
      ctx.made(ctx.mod.makeTrainer(ps!, sizes.length, pc!, channels.length, pn!, norms.length, options, train, test)),
    );
    super(context, raw, 'Trainer');
    this.linearLayers = raw.linearLayers();
    this.weightLayers = raw.weightLayers();
    this.hiddenLayers = raw.hiddenLayers();
    this.hiddenUnits = Object.freeze(Array.from({ length: this.hiddenLayers }, (_, l) => raw.hiddenUnits(l)));
  }

  /** Steps completed so far. */
  get step(): number {
    return this.#live().raw.step();
  }

  /** True once the run has diverged; run() then throws. */
  get diverged(): boolean {
    return this.#live().raw.divergedAt() > 0;
  }

  /** The step whose loss blew up, or null. */
  get divergedAt(): number | null {
    const d = this.#live().raw.divergedAt();
    return d > 0 ? d : null;
  }

  /**
   * After a divergence: the model's weights, BatchNorm buffers and momentum buffers were put back
   * to their last all-finite state, the one after this many completed steps (null before any
   * divergence). So stateDict(), model() and predictions never hold NaN or Infinity from the
   * blow-up.
   */
  get restoredToStep(): number | null {
    const r = this.#live().raw.restoredToStep();
    return r >= 0 ? r : null;
  }

  /** Runs up to `steps` steps (at most 100,000 per call) and returns their metrics. */
  run(steps: number): TrainMetrics {
    const { ctx, raw } = this.#live();
    v.integer('steps', steps, 0, ctx.limits.maxStepsPerRun);
    const firstStep = raw.step() + 1;
    ctx.check(raw.run(steps));
    const metric = (kind: MetricKind) => ctx.copyOut(raw.metricPtr(kind), raw.metricLength(kind));
    const divergedAt = raw.divergedAt();
    const K = ctx.mod.MetricKind;
    const loss = metric(K.Loss);
    return {
      firstStep,
      steps: loss.length,
      loss,
      batchAccuracy: metric(K.BatchAccuracy),
      percentiles: metric(K.Percentiles),
      gradNorms: metric(K.GradNorms),
      evalSteps: metric(K.EvalSteps),
      evalLoss: metric(K.EvalLoss),
      evalAccuracy: metric(K.EvalAccuracy),
      diverged: divergedAt > 0,
      divergedAt: divergedAt > 0 ? divergedAt : null,
      restoredToStep: divergedAt > 0 && raw.restoredToStep() >= 0 ? raw.restoredToStep() : null,
    };
  }

  /** Mean cross-entropy and accuracy on a dataset, in eval mode (running statistics). */
  evaluate(dataset: Dataset, opts?: { limit?: number }): { loss: number; accuracy: number } {
    const { ctx } = this.#live();
    rawDataset(dataset, 'dataset', ctx);
    const o = v.options<{ limit?: number }>('opts', opts);
    const limitArg: unknown = o.limit;
    const limit = limitArg === undefined ? 0 : v.integer('opts.limit', limitArg, 0, ctx.limits.maxEvalCount);
    const { raw } = this.#live(); // after the getters: they may have disposed the trainer or the dataset
    const d = rawDataset(dataset, 'dataset', ctx);
    const e = raw.evaluate(d, limit);
    ctx.check(e.code);
    return { loss: e.loss, accuracy: e.accuracy };
  }

  /** P(class 1) on an nx × ny grid, row-major with y outermost (2-input MLPs; eval mode). */
  predictGrid(opts?: GridOptions): Float32Array {
    const { ctx } = this.#live();
    const o = v.options<GridOptions>('opts', opts);
    const num = (k: keyof GridOptions, d: number) => {
      const value: unknown = o[k];
      return value === undefined ? d : v.finiteNumber(`opts.${k}`, value);
    };
    const int = (k: 'nx' | 'ny') => {
      const value: unknown = o[k];
      return value === undefined ? 100 : v.integer(`opts.${k}`, value, 1, ctx.limits.maxGridSide);
    };
    const nx = int('nx');
    const ny = int('ny');
    const grid = { x0: num('x0', -6), x1: num('x1', 6), y0: num('y0', -6), y1: num('y1', 6), nx, ny };
    const { raw } = this.#live(); // after the getters
    return ctx.staged([nx * ny * 4], ([out]) => {
      ctx.check(raw.predictGrid(out!, grid));
      return ctx.copyOut(out!, nx * ny);
    });
  }

  /** The bins and range of histograms(), read once each and checked. */
  #histogramRange(ctx: Ctx, opts: { bins?: number; lo?: number; hi?: number } | undefined): { bins: number; lo: number; hi: number } {
    const o = v.options<{ bins?: number; lo?: number; hi?: number }>('opts', opts);
    const binsArg: unknown = o.bins;
    const loArg: unknown = o.lo;
    const hiArg: unknown = o.hi;
    const bins = binsArg === undefined ? 40 : v.integer('opts.bins', binsArg, 1, ctx.limits.maxBins);
    const lo = loArg === undefined ? -4 : v.finiteNumber('opts.lo', loArg);
    const hi = hiArg === undefined ? 4 : v.finiteNumber('opts.hi', hiArg);
    if (!(hi > lo)) throw new RangeError(`opts.hi must be greater than opts.lo, got lo ${lo}, hi ${hi}`);
    return { bins, lo, hi };
  }

  /** Histogram of each hidden layer's activation inputs in the last training batch: hiddenLayers × bins. */
  histograms(opts?: { bins?: number; lo?: number; hi?: number }): Float32Array {
    const { ctx, raw } = this.#live();
    const { bins, lo, hi } = this.#histogramRange(ctx, opts);
    this.#live(); // after the getters
    return ctx.staged([this.hiddenLayers * bins * 4], ([out]) => {
      ctx.check(raw.histograms(out!, bins, lo, hi));
      return ctx.copyOut(out!, this.hiddenLayers * bins);
    });
  }

  /**
   * The same as histograms() for each unit of hidden block `layer` (a conv channel counts all its
   * positions): hiddenUnits[layer] × bins, unit-major. All zeros before the first step.
   */
  unitHistograms(layer: number, opts?: { bins?: number; lo?: number; hi?: number }): Float32Array {
    const { ctx, raw } = this.#live();
    const l = v.integer('layer', layer, 0, Math.max(0, this.hiddenLayers - 1));
    if (this.hiddenLayers === 0) throw new RangeError('layer: this network has no hidden layer');
    const { bins, lo, hi } = this.#histogramRange(ctx, opts);
    this.#live(); // after the getters
    const units = this.hiddenUnits[l]!;
    return ctx.staged([units * bins * 4], ([out]) => {
      ctx.check(raw.unitHistograms(out!, l, bins, lo, hi));
      return ctx.copyOut(out!, units * bins);
    });
  }

  /**
   * Santurkar et al.'s (2018) landscape measurements at the current weights θ, on one batch of
   * batchSize training examples drawn by the probe's own generator, in training mode as in a step:
   * the loss and gradient g at θ, then the loss and gradient at θ − η·g for each step size η.
   * Afterwards the trainer is exactly as before (weights, BatchNorm buffers, noise, batch order):
   * a measured run trains like an unmeasured one. 1 to 64 step sizes in (0, 1000].
   */
  probeLandscape(stepSizes: ArrayLike<number>): LandscapeProbe {
    const { ctx } = this.#live();
    if (stepSizes === null || typeof stepSizes !== 'object' || typeof (stepSizes as { length?: unknown }).length !== 'number') {
      throw new TypeError(`stepSizes must be an array of numbers, got ${v.describe(stepSizes)}`);
    }
    const n = stepSizes.length;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`stepSizes must hold 1 to 64 step sizes, got ${n}`);
    const etas = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const eta = v.finiteNumber(`stepSizes[${i}]`, stepSizes[i], 0, 1000);
      if (!(eta > 0)) throw new RangeError(`stepSizes[${i}] must be greater than 0, got ${eta}`);
      etas[i] = eta;
    }
    const live = this.#live(); // after reading the array (its getters may dispose us)
    const out = ctx.staged([etas, (2 + 2 * n) * 4], ([pe, po]) => {
      ctx.check(live.raw.probeLandscape(pe!, n, po!));
      return ctx.copyOut(po!, 2 + 2 * n);
    });
    const loss = out[0]!;
    const gradientNorm = out[1]!;
    const losses = out.slice(2, 2 + n);
    const gradientChanges = out.slice(2 + n);
    let lo = loss;
    let hi = loss;
    for (const l of losses) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, l);
    }
    // A blown-up value is Infinity in the engine's output, never NaN: keep it so here.
    let beta = 0;
    for (let i = 0; i < n; i++) {
      const ratio = gradientChanges[i]! / (etas[i]! * gradientNorm);
      beta = Math.max(beta, Number.isNaN(ratio) ? Infinity : ratio);
    }
    return {
      stepSizes: etas,
      loss,
      gradientNorm,
      losses,
      gradientChanges,
      lossRange: Number.isFinite(hi) ? hi - lo : Infinity,
      gradientPredictiveness: Math.max(...gradientChanges),
      betaSmoothness: gradientNorm > 0 ? beta : 0,
    };
  }

  /**
   * Which unit's percentiles the next run() records (TrainMetrics.percentiles): { layer, unit },
   * or null for none. Training is unaffected; only what is recorded changes.
   */
  setWatch(watch: { layer: number; unit: number } | null): void {
    const { ctx, raw } = this.#live();
    if (watch === null) {
      ctx.check(raw.setWatch(-1, 0));
      return;
    }
    const w = v.options<{ layer: number; unit: number }>('watch', watch);
    const layerArg: unknown = w.layer;
    const unitArg: unknown = w.unit;
    const layer = v.integer('watch.layer', layerArg, 0, ctx.limits.maxSizes);
    const unit = v.integer('watch.unit', unitArg, 0, ctx.limits.maxLayerWidth - 1);
    const live = this.#live(); // after the getters
    ctx.check(live.raw.setWatch(layer, unit));
  }

  /** The example indices of every batch of the last run() call (steps × batchSize). */
  batchIndices(): Int32Array {
    const { ctx, raw } = this.#live();
    return ctx.copyOutInt(raw.batchIndicesPtr(), raw.batchIndicesLength());
  }

  /** The model's parameters and buffers under PyTorch's nn.Sequential keys. */
  stateDict(): StateDict {
    const { ctx, raw } = this.#live();
    const view = new TrainerModel(ctx, () => raw.model());
    try {
      return view.stateDict();
    } finally {
      view.dispose();
    }
  }

  /**
   * A handle on the trained model (a layer sharing the trainer's weights): forward() it in
   * eval mode to predict. Dispose it when done; the trainer keeps working either way.
   */
  model(): Layer {
    const { ctx, raw } = this.#live();
    return new TrainerModel(ctx, () => raw.model());
  }

  #live(): { ctx: Ctx; raw: RawTrainer } {
    return liveHandle<RawTrainer>(this);
  }
}

export { Dataset };

// Types of the Emscripten/Embind module built from cpp/bindings/bindings.cpp (internal: the
// public API is in ../index.ts). The names are those of cpp/bindings/adapters.h: options and
// results are value objects, kinds and status codes are enums. Pointers are byte offsets into
// the wasm heap; a failed call returns a StatusCode other than Ok (or null from a factory), and
// lastStatus() holds the code and message of the last failure.

/** An Embind enum value: `value` is the C++ enumerator's number. */
export interface EnumValue<Name extends string> {
  readonly value: number;
  readonly __enum?: Name;
}
export type StatusCode = EnumValue<'StatusCode'>;
export type ActivationKind = EnumValue<'ActivationKind'>;
export type Placement = EnumValue<'Placement'>;
export type InitScheme = EnumValue<'InitScheme'>;
export type ToyKind = EnumValue<'ToyKind'>;
export type StateEntryKind = EnumValue<'StateEntryKind'>;
export type PoolKind = EnumValue<'PoolKind'>;
export type NormKind = EnumValue<'NormKind'>;
export type NetPool = EnumValue<'NetPool'>;
export type MetricKind = EnumValue<'MetricKind'>;

export interface StatusInfo {
  code: StatusCode;
  message: string;
}

/** The engine's limits (cpp/base/limits.h). */
export interface Limits {
  maxElements: number;
  minBatchSize: number;
  maxBatchSize: number;
  maxStepsPerRun: number;
  minSizes: number;
  maxSizes: number;
  maxLayerWidth: number;
  maxGridSide: number;
  maxBins: number;
  maxToyExamples: number;
  maxEvalCount: number;
}

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  seeded: boolean;
  seed: number;
}

export interface BatchNormOptions {
  eps: number;
  momentum: number;
  cumulative: boolean;
  affine: boolean;
  trackRunningStats: boolean;
}

export interface LayerNormOptions {
  eps: number;
  elementwiseAffine: boolean;
}

export interface GroupNormOptions {
  eps: number;
  affine: boolean;
}

export interface ConvOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number;
  bias: boolean;
  seeded: boolean;
  seed: number;
}

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export interface StateEntryInfo {
  name: string;
  kind: StateEntryKind;
  length: number;
}

export interface LossResult {
  code: StatusCode;
  loss: number;
}

export interface StandardizeResult {
  code: StatusCode;
  mean: number;
  variance: number;
  std: number;
}

export interface ToyOptions {
  kind: ToyKind;
  n: number;
  noise: number;
  seed: number;
}

export interface Split {
  train: RawDataset | null;
  test: RawDataset | null;
}

export interface TrainerOptions {
  activation: ActivationKind;
  batchNorm: boolean;
  placement: Placement;
  init: InitScheme;
  initScale: number;
  seed: number;
  bnMomentum: number;
  batchSize: number;
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  dataSeed: number;
  evalEvery: number;
  evalLimit: number;
  /** -1: no watched unit. */
  watchLayer: number;
  watchUnit: number;
  explodeFactor: number;
  groups: number;
  imageChannels: number;
  imageHeight: number;
  imageWidth: number;
  kernelSize: number;
  pool: NetPool;
  noiseShift: number;
  noiseScale: number;
}

export interface Evaluation {
  code: StatusCode;
  loss: number;
  accuracy: number;
}

export interface GridOptions {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  nx: number;
  ny: number;
}

export interface RawModule {
  forward(x: number, rank: number, d0: number, d1: number, d2: number, d3: number): StatusCode;
  backward(dy: number, length: number, inputGrad: boolean): StatusCode;
  outputPtr(): number;
  outputRank(): number;
  outputDim(i: number): number;
  inputGradPtr(): number;
  inputGradLength(): number;
  kind(): string;
  training(): boolean;
  setTraining(training: boolean): void;
  zeroGrad(): void;
  stateCount(): number;
  stateEntry(i: number): StateEntryInfo;
  statePtr(i: number): number;
  stateGradPtr(i: number): number;
  stateCounter(i: number): number;
  setStateCounter(i: number, value: number): StatusCode;
  lastBatchMeanPtr(): number;
  lastBatchVarPtr(): number;
  delete(): void;
}

export interface RawSGD {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number): StatusCode;
  lr(): number;
  delete(): void;
}

export interface RawDataset {
  size(): number;
  features(): number;
  classes(): number;
  height(): number;
  width(): number;
  xPtr(): number;
  yPtr(): number;
  delete(): void;
}

export interface RawTrainer {
  run(steps: number): StatusCode;
  step(): number;
  divergedAt(): number;
  restoredToStep(): number;
  linearLayers(): number;
  weightLayers(): number;
  hiddenLayers(): number;
  model(): RawModule;
  metricPtr(kind: MetricKind): number;
  metricLength(kind: MetricKind): number;
  batchIndicesPtr(): number;
  batchIndicesLength(): number;
  evaluate(d: RawDataset, limit: number): Evaluation;
  predictGrid(out: number, grid: GridOptions): StatusCode;
  histograms(out: number, bins: number, lo: number, hi: number): StatusCode;
  unitHistograms(out: number, layer: number, bins: number, lo: number, hi: number): StatusCode;
  /** etas: n float32, out: 2 + 2n float32. */
  probeLandscape(etas: number, n: number, out: number): StatusCode;
  setWatch(layer: number, unit: number): StatusCode;
  hiddenUnits(layer: number): number;
  delete(): void;
}

export interface BnLabModule {
  StatusCode: { Ok: StatusCode; TypeError: StatusCode; RangeError: StatusCode; StateError: StatusCode; OutOfMemory: StatusCode };
  ActivationKind: { ReLU: ActivationKind; Sigmoid: ActivationKind; Tanh: ActivationKind };
  Placement: { BeforeActivation: Placement; AfterActivation: Placement };
  InitScheme: { Torch: InitScheme; He: InitScheme; Xavier: InitScheme; Normal: InitScheme };
  ToyKind: { Circle: ToyKind; Xor: ToyKind; Gauss: ToyKind; Spiral: ToyKind };
  PoolKind: { Max: PoolKind; Avg: PoolKind };
  NormKind: { None: NormKind; Batch: NormKind; Layer: NormKind; Group: NormKind };
  NetPool: { Max: NetPool; Avg: NetPool; None: NetPool };
  StateEntryKind: { Parameter: StateEntryKind; FloatBuffer: StateEntryKind; Counter: StateEntryKind };
  MetricKind: {
    Loss: MetricKind; BatchAccuracy: MetricKind; Percentiles: MetricKind; GradNorms: MetricKind;
    EvalSteps: MetricKind; EvalLoss: MetricKind; EvalAccuracy: MetricKind;
  };
  HEAPU8: Uint8Array;
  HEAPF64: Float64Array;
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  lastStatus(): StatusInfo;
  limits(): Limits;
  makeLinear(o: LinearOptions): RawModule | null;
  makeBatchNorm(numFeatures: number, spatialDims: number, o: BatchNormOptions): RawModule | null;
  makeActivation(kind: ActivationKind): RawModule | null;
  makeLayerNorm(rank: number, d0: number, d1: number, d2: number, d3: number, o: LayerNormOptions): RawModule | null;
  makeGroupNorm(numGroups: number, numChannels: number, o: GroupNormOptions): RawModule | null;
  makeConv2d(o: ConvOptions): RawModule | null;
  makePool2d(kind: PoolKind, kernelSize: number, stride: number): RawModule | null;
  makeFlatten(): RawModule;
  makeSequential(): RawModule;
  sequentialAdd(seq: RawModule, child: RawModule): StatusCode;
  makeSGD(model: RawModule, o: SGDOptions): RawSGD | null;
  manualSeed(seed: number): StatusCode;
  crossEntropy(logits: number, targets: number, n: number, k: number, grad: number): LossResult;
  mseLoss(pred: number, target: number, n: number, grad: number): LossResult;
  standardize(x: number, n: number, eps: number, unbiased: boolean, z: number): StandardizeResult;
  makeToy(o: ToyOptions): RawDataset | null;
  parseDataset(bytes: number, length: number): Split;
  makeTrainer(sizes: number, nsizes: number, convs: number, nconvs: number, norms: number, nnorms: number, o: TrainerOptions, train: RawDataset, test: RawDataset | null): RawTrainer | null;
  simdBuild(): boolean;
  version(): string;
  heapSize(): number;
  heapUsed(): number;
  room(): boolean;
}

export type BnLabFactory = (overrides: {
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Emscripten's hook: instantiate the module yourself, call receive(), return {}. */
  instantiateWasm?: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => object;
}) => Promise<BnLabModule>;

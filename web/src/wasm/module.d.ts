// Types of the Emscripten/Embind module built from cpp/bindings/bindings.cpp (internal: the
// public API is in ../index.ts). Pointers are byte offsets into the wasm heap; status codes are
// 0 ok, 1 TypeError, 2 RangeError, 3 state Error, 4 out of memory, with lastError() the message.

export interface RawModule {
  forward(x: number, rank: number, d0: number, d1: number, d2: number, d3: number): number;
  backward(dy: number, length: number, inputGrad: boolean): number;
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
  stateLayout(): string;
  statePtr(i: number): number;
  stateGradPtr(i: number): number;
  stateCounter(i: number): number;
  setStateCounter(i: number, value: number): number;
  lastBatchMeanPtr(): number;
  lastBatchVarPtr(): number;
  delete(): void;
}

export interface RawSGD {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number): number;
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
  run(steps: number): number;
  step(): number;
  divergedAt(): number;
  linearLayers(): number;
  hiddenLayers(): number;
  model(): RawModule;
  metricPtr(kind: number): number;
  metricLength(kind: number): number;
  batchIndicesPtr(): number;
  batchIndicesLength(): number;
  evaluate(d: RawDataset, limit: number): number;
  predictGrid(out: number, x0: number, x1: number, y0: number, y1: number, nx: number, ny: number): number;
  histograms(out: number, bins: number, lo: number, hi: number): number;
  delete(): void;
}

export interface BnLabModule {
  makeToy(kind: number, n: number, noise: number, seed: number): RawDataset | null;
  parseDataset(bytes: number, length: number): RawDataset | null;
  takeParsedTest(): RawDataset | null;
  makeTrainer(sizes: number, nsizes: number, opts: number, train: RawDataset, test: RawDataset | null): RawTrainer | null;
  HEAPU8: Uint8Array;
  HEAPF64: Float64Array;
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  makeLinear(inF: number, outF: number, bias: boolean, seeded: boolean, seed: number): RawModule | null;
  makeBatchNorm(c: number, spatialDims: number, eps: number, momentum: number, cumulative: boolean,
                affine: boolean, track: boolean): RawModule | null;
  makeActivation(kind: number): RawModule | null;
  makeSequential(): RawModule;
  sequentialAdd(seq: RawModule, child: RawModule): number;
  makeSGD(model: RawModule, lr: number, momentum: number, dampening: number, weightDecay: number,
          nesterov: boolean): RawSGD | null;
  manualSeed(seed: number): number;
  crossEntropy(logits: number, targets: number, n: number, k: number, grad: number): number;
  mseLoss(pred: number, target: number, n: number, grad: number): number;
  standardize(x: number, n: number, eps: number, unbiased: boolean, z: number): number;
  lastError(): string;
  lastScalar(i: number): number;
  simdBuild(): boolean;
  version(): string;
  heapSize(): number;
  heapUsed(): number;
}

export type BnLabFactory = (overrides: { wasmBinary?: ArrayBuffer | Uint8Array }) => Promise<BnLabModule>;

// batchnorm-lab: batch normalization exact to PyTorch, in WebAssembly SIMD.
// The public entry point. It only re-exports: the engine wrapper (engine/) and the training jobs
// that run on it (jobs/). The custom elements have their own entry, elements/index.ts.
export { loadLab, simdSupported } from './engine/lab.js';
export type { Lab, LabFeatures, LabMemory, LoadOptions } from './engine/lab.js';
export { BatchNorm1d, BatchNorm2d, Layer, Linear, ReLU, Sequential, Sigmoid, Tanh } from './engine/layers.js';
export type { BatchNormOptions, LinearOptions, LoadStateDictOptions, StateDict } from './engine/layers.js';
export { GroupNorm, LayerNorm, WeightBiasLayer } from './engine/normalization.js';
export type { GroupNormOptions, LayerNormOptions } from './engine/normalization.js';
export { AvgPool2d, Conv2d, Flatten, MaxPool2d } from './engine/convolution.js';
export type { Conv2dOptions, Pool2dOptions } from './engine/convolution.js';
export { SGD } from './engine/optim.js';
export type { SGDOptions } from './engine/optim.js';
export { Trainer } from './engine/trainer.js';
export type { Activation, ConvConfig, GridOptions, InitScheme, LandscapeProbe, ModelConfig, Normalization, Placement, Pooling, TrainMetrics, TrainerOptions } from './engine/trainer.js';
export { Dataset, TOY_KINDS } from './engine/datasets.js';
export type { DatasetSplit, ToyKind, ToyOptions } from './engine/datasets.js';
export type { LossResult, Standardized, StandardizeOptions } from './engine/functional.js';
export type { LabContext } from './engine/context.js';
export { runJob } from './jobs/job.js';
export type { DatasetSpec, LandscapePoint, TrainingJob, TrainingProgress, TrainingResult } from './jobs/job.js';
export { sweep, trainInWorker } from './jobs/pool.js';
export type { SweepOptions, TrainingTask, WorkerOptions } from './jobs/pool.js';

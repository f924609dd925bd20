// The loader: `loadLab()` loads the engine (SIMD build when the JS engine supports it) and returns
// a lab: layer classes, losses, SGD, datasets and the trainer bound to that engine instance.
import { createContext, type Ctx, type LabContext } from './context.js';
import { readAsset } from './datasets.js';
import * as D from './datasets.js';
import * as F from './functional.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  Layer,
  Linear,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
  type BatchNormOptions,
  type LinearOptions,
} from './layers.js';
import { AvgPool2d, Conv2d, Flatten, MaxPool2d, type Conv2dOptions, type Pool2dOptions } from './convolution.js';
import { GroupNorm, LayerNorm, type GroupNormOptions, type LayerNormOptions } from './normalization.js';
import { SGD, type SGDOptions } from './optim.js';
import { Trainer, type TrainerOptions } from './trainer.js';
import * as v from './validate.js';
import type { BnLabFactory } from '../wasm/module.js';

export interface LoadOptions {
  /** true: the SIMD build (throws where WebAssembly SIMD is missing); false: the scalar build;
   *  omitted: SIMD when supported. */
  simd?: boolean;
}

export interface LabFeatures {
  /** Whether this lab runs the WebAssembly SIMD build. */
  simd: boolean;
  /** The engine's version (the package version). */
  version: string;
}

export interface LabMemory {
  /** Size of the wasm heap in bytes (it grows, never shrinks). */
  heapBytes: number;
  /** Bytes currently allocated by the engine on that heap. */
  usedBytes: number;
  /** Layers and optimizers created and not yet disposed (or collected). */
  liveObjects: number;
}

/** One engine instance with its classes and functions. */
export interface Lab {
  /** Which build is running. */
  readonly features: LabFeatures;
  /** Heap usage, for spotting leaks (undisposed objects). */
  readonly memory: LabMemory;
  /** Seeds the generator used by layers created without an explicit seed (like torch.manual_seed). */
  manualSeed(seed: number): void;
  /** z = (x - μ) / √(σ² + eps) with the population variance unless `unbiased`. */
  standardize(values: ArrayLike<number>, opts?: F.StandardizeOptions): F.Standardized;
  /** Cross-entropy of logits [N, classes] against class indices [N] (mean over N). */
  crossEntropy(logits: Float32Array, targets: Int32Array, shape: readonly number[]): F.LossResult;
  /** Mean squared error between pred and target of the same shape. */
  mseLoss(pred: Float32Array, target: Float32Array, shape: readonly number[]): F.LossResult;
  /** Fully connected layer: x [N, IN] → [N, OUT]. */
  readonly Linear: new (inFeatures: number, outFeatures: number, opts?: LinearOptions) => Linear;
  /** Batch normalisation of [N, C] or [N, C, L] inputs. */
  readonly BatchNorm1d: new (numFeatures: number, opts?: BatchNormOptions) => BatchNorm1d;
  /** Batch normalisation of [N, C, H, W] inputs. */
  readonly BatchNorm2d: new (numChannels: number, opts?: BatchNormOptions) => BatchNorm2d;
  /** max(0, x). */
  readonly ReLU: new () => ReLU;
  /** 1 / (1 + e^-x). */
  readonly Sigmoid: new () => Sigmoid;
  /** tanh(x). */
  readonly Tanh: new () => Tanh;
  /** Layer normalization over the trailing dims equal to normalizedShape. */
  readonly LayerNorm: new (normalizedShape: number | readonly number[], opts?: LayerNormOptions) => LayerNorm;
  /** Group normalization of [N, C, ...] inputs, per example and group of C / numGroups channels. */
  readonly GroupNorm: new (numGroups: number, numChannels: number, opts?: GroupNormOptions) => GroupNorm;
  /** 2-D convolution: [N, inChannels, H, W] → [N, outChannels, OH, OW]. */
  readonly Conv2d: new (inChannels: number, outChannels: number, kernelSize: number, opts?: Conv2dOptions) => Conv2d;
  /** The maximum of each k × k window. */
  readonly MaxPool2d: new (kernelSize: number, opts?: Pool2dOptions) => MaxPool2d;
  /** The mean of each k × k window. */
  readonly AvgPool2d: new (kernelSize: number, opts?: Pool2dOptions) => AvgPool2d;
  /** [N, ...] → [N, product of the rest]. */
  readonly Flatten: new () => Flatten;
  /** One of the four 2-D toy sets (circle, xor, gauss, spiral), generated from a seed. */
  toyDataset(kind: D.ToyKind, opts?: D.ToyOptions): D.Dataset;
  /** Parses a BNDS image dataset (bytes) into its fixed train/test split. */
  parseDataset(bytes: Uint8Array | ArrayBuffer): D.DatasetSplit;
  /** The 1,797 handwritten 8×8 digits (UCI), split 1,437 train / 360 test. */
  loadDigits(): Promise<D.DatasetSplit>;
  /** The Fashion-MNIST subset (28×28) built by `npm run build`, or from `url`. */
  loadFashionMnist(url?: string | URL): Promise<D.DatasetSplit>;
  /** Trains an MLP inside the engine, many steps per call. */
  readonly Trainer: new (opts: TrainerOptions) => Trainer;
  /** Layers run in order, with PyTorch's state-dict keys. */
  readonly Sequential: new (layers: readonly Layer[]) => Sequential;
  /** torch.optim.SGD. */
  readonly SGD: new (model: Layer, opts: SGDOptions) => SGD;
}

// The smallest module that uses a v128 value: WebAssembly.validate() accepts it only where
// 128-bit SIMD is supported. (type () -> v128; one function returning v128.const 0.)
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: func () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: no locals, v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, // 16 zero bytes, end
]);

/** Whether this JavaScript engine runs WebAssembly SIMD (128-bit). */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * The module's code: in browsers, fetched and compiled while it downloads
 * (WebAssembly.instantiateStreaming, through Emscripten's instantiateWasm hook) when the server
 * sends it as application/wasm, else compiled from its bytes once they are all there; in Node
 * (a file: URL), read from disk. The fetch starts at once, in parallel with the glue's import.
 */
function wasmSource(url: URL): { overrides: Promise<Parameters<BnLabFactory>[0]>; failed: Promise<never> } {
  const streaming = url.protocol !== 'file:' && typeof fetch === 'function' && typeof WebAssembly.instantiateStreaming === 'function';
  if (!streaming) {
    return { overrides: readAsset(url).then((bytes) => ({ wasmBinary: bytes })), failed: new Promise<never>(() => {}) };
  }
  const response = fetch(url, { credentials: 'same-origin' });
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {}); // observed by loadModule's race; never an unhandled rejection here
  const instantiateWasm = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
    (async () => {
      const r = await response;
      if (!r.ok) throw new Error(`batchnorm-lab: cannot load ${url.href} (HTTP ${r.status})`);
      const type = (r.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const result = type === 'application/wasm'
        ? await WebAssembly.instantiateStreaming(r, imports)
        : await WebAssembly.instantiate(await r.arrayBuffer(), imports);
      receive(result.instance, result.module);
    })().catch(fail);
    return {}; // the exports arrive through receive()
  };
  return { overrides: Promise.resolve({ instantiateWasm }), failed };
}

async function loadModule(simd: boolean) {
  // Literal paths, so bundlers (Vite) see and ship both files of the chosen build.
  const source = simd
    ? wasmSource(new URL('../wasm/bnlab-simd.wasm', import.meta.url))
    : wasmSource(new URL('../wasm/bnlab-scalar.wasm', import.meta.url));
  const [glue, overrides] = await Promise.all([
    simd ? import('../wasm/bnlab-simd.js') : import('../wasm/bnlab-scalar.js'),
    source.overrides,
  ]);
  return Promise.race([(glue.default as BnLabFactory)(overrides), source.failed]);
}

/**
 * Loads an engine instance. Works in Node ESM, browsers (a module script from a static folder)
 * and bundlers. Each call returns an independent lab with its own wasm heap.
 */
export async function loadLab(opts?: LoadOptions): Promise<Lab> {
  const o = v.options<LoadOptions>('opts', opts);
  const supported = simdSupported();
  const simd = o.simd === undefined ? supported : v.boolean('opts.simd', o.simd);
  if (simd && !supported) {
    throw new Error('this JavaScript engine has no WebAssembly SIMD support; use loadLab({ simd: false })');
  }
  const mod = await loadModule(simd);
  return createLab(createContext(mod));
}

// Relative dataset URLs resolve against the package's dist/ folder, one level above this module.
const PACKAGE_ROOT = new URL('../', import.meta.url);

function createLab(ctx: Ctx): Lab {
  const c: LabContext = ctx;
  // Per-lab subclasses bind the public classes to this engine instance, so
  // `new lab.Linear(2, 3)` needs no context argument and `instanceof Linear` still holds.
  const lab: Lab = {
    features: Object.freeze({ simd: ctx.mod.simdBuild(), version: ctx.mod.version() }),
    get memory() {
      return { heapBytes: ctx.mod.heapSize(), usedBytes: ctx.mod.heapUsed(), liveObjects: ctx.live };
    },
    manualSeed(seed: number) {
      ctx.check(ctx.mod.manualSeed(v.integer('seed', seed, 0, Number.MAX_SAFE_INTEGER)));
    },
    standardize: (values, opts) => F.standardize(ctx, values, opts),
    crossEntropy: (logits, targets, shape) => F.crossEntropy(ctx, logits, targets, shape),
    mseLoss: (pred, target, shape) => F.mseLoss(ctx, pred, target, shape),
    toyDataset: (kind, opts) => D.toyDataset(ctx, kind, opts),
    parseDataset: (bytes) => D.parseDataset(ctx, bytes),
    loadDigits: async () => D.parseDataset(ctx, await readAsset(new URL('../data/digits.bnds', import.meta.url))),
    loadFashionMnist: (url) => D.loadFashionMnist(ctx, url, PACKAGE_ROOT),
    Trainer: class extends Trainer {
      constructor(opts: TrainerOptions) {
        super(c, opts);
      }
    },
    Linear: class extends Linear {
      constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
        super(c, inFeatures, outFeatures, opts);
      }
    },
    BatchNorm1d: class extends BatchNorm1d {
      constructor(numFeatures: number, opts?: BatchNormOptions) {
        super(c, numFeatures, opts);
      }
    },
    BatchNorm2d: class extends BatchNorm2d {
      constructor(numChannels: number, opts?: BatchNormOptions) {
        super(c, numChannels, opts);
      }
    },
    ReLU: class extends ReLU {
      constructor() {
        super(c);
      }
    },
    Sigmoid: class extends Sigmoid {
      constructor() {
        super(c);
      }
    },
    Tanh: class extends Tanh {
      constructor() {
        super(c);
      }
    },
    LayerNorm: class extends LayerNorm {
      constructor(normalizedShape: number | readonly number[], opts?: LayerNormOptions) {
        super(c, normalizedShape, opts);
      }
    },
    GroupNorm: class extends GroupNorm {
      constructor(numGroups: number, numChannels: number, opts?: GroupNormOptions) {
        super(c, numGroups, numChannels, opts);
      }
    },
    Conv2d: class extends Conv2d {
      constructor(inChannels: number, outChannels: number, kernelSize: number, opts?: Conv2dOptions) {
        super(c, inChannels, outChannels, kernelSize, opts);
      }
    },
    MaxPool2d: class extends MaxPool2d {
      constructor(kernelSize: number, opts?: Pool2dOptions) {
        super(c, kernelSize, opts);
      }
    },
    AvgPool2d: class extends AvgPool2d {
      constructor(kernelSize: number, opts?: Pool2dOptions) {
        super(c, kernelSize, opts);
      }
    },
    Flatten: class extends Flatten {
      constructor() {
        super(c);
      }
    },
    Sequential: class extends Sequential {
      constructor(layers: readonly Layer[]) {
        super(c, layers);
      }
    },
    SGD: class extends SGD {
      constructor(model: Layer, opts: SGDOptions) {
        super(c, model, opts);
      }
    },
  };
  return Object.freeze(lab);
}

// Datasets on the engine's heap: the four 2-D toy sets, and image sets parsed from the compact
// BNDS format (the handwritten digits ship with the package; a Fashion-MNIST subset is built
// from Debian's package by `npm run build` and loaded only on request).
import { Handle, liveHandle, type Ctx } from './context.js';
import type { RawDataset } from '../wasm/module.js';
import * as v from './validate.js';

/** The toy sets of neural-network playgrounds (2 features, 2 classes). */
export type ToyKind = 'circle' | 'xor' | 'gauss' | 'spiral';
export const TOY_KINDS: readonly ToyKind[] = ['circle', 'xor', 'gauss', 'spiral'];

export interface ToyOptions {
  /** Number of examples (default 500; 2 to 2^20). */
  n?: number;
  /** Noise from 0 (clean) to 1 (classes overlap) (default 0). */
  noise?: number;
  /** Seed of the generator (default 0). */
  seed?: number;
}

/** The live engine dataset; throws after dispose(). @internal */
export function rawDataset(d: unknown, name: string, ctx: Ctx): RawDataset {
  if (!(d instanceof Dataset)) {
    throw new TypeError(`${name} must be a Dataset (from lab.toyDataset, lab.parseDataset or lab.loadDigits), got ${v.describe(d)}`);
  }
  const s = liveHandle<RawDataset>(d, name);
  if (s.ctx !== ctx) throw new TypeError(`${name} was created by another lab instance`);
  return s.raw;
}

/** N labelled examples of D features, on the engine's heap. */
export class Dataset extends Handle<RawDataset> {
  /** N: number of examples. */
  readonly size: number;
  /** D: features per example (2 for toy sets, height × width for images). */
  readonly features: number;
  /** K: number of classes. */
  readonly classes: number;
  /** Image height in pixels (0 for toy sets). */
  readonly height: number;
  /** Image width in pixels (0 for toy sets). */
  readonly width: number;

  /** @internal */
  constructor(ctx: Ctx, raw: RawDataset) {
    super(ctx, raw, 'Dataset');
    this.size = raw.size();
    this.features = raw.features();
    this.classes = raw.classes();
    this.height = raw.height();
    this.width = raw.width();
  }

  /** The features, [N, D] row-major (a copy). */
  get x(): Float32Array {
    const s = liveHandle<RawDataset>(this);
    return s.ctx.copyOut(s.raw.xPtr(), this.size * this.features);
  }

  /** The labels, [N] in [0, K) (a copy). */
  get y(): Int32Array {
    const s = liveHandle<RawDataset>(this);
    return s.ctx.copyOutInt(s.raw.yPtr(), this.size);
  }
}

/** A training set and a test set (a fixed split). */
export interface DatasetSplit {
  train: Dataset;
  test: Dataset;
}

export function toyDataset(ctx: Ctx, kind: ToyKind, opts?: ToyOptions): Dataset {
  if (typeof kind !== 'string') throw new TypeError(`kind must be one of ${TOY_KINDS.join(', ')}, got ${v.describe(kind)}`);
  const index = TOY_KINDS.indexOf(kind);
  if (index < 0) throw new RangeError(`kind must be one of ${TOY_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const o = v.options<ToyOptions>('opts', opts);
  const n = o.n === undefined ? 500 : v.integer('opts.n', o.n, 2, ctx.limits.maxToyExamples);
  const noise = o.noise === undefined ? 0 : v.finiteNumber('opts.noise', o.noise, 0, 1);
  const seed = o.seed === undefined ? 0 : v.integer('opts.seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  const toyKinds = ctx.mod.ToyKind;
  const toyKind = [toyKinds.Circle, toyKinds.Xor, toyKinds.Gauss, toyKinds.Spiral][index]!;
  ctx.room();
  return new Dataset(ctx, ctx.made(ctx.mod.makeToy({ kind: toyKind, n, noise, seed })));
}

export function parseDataset(ctx: Ctx, bytes: Uint8Array | ArrayBuffer): DatasetSplit {
  // An honest view of the bytes (ArrayBuffers and Uint8Arrays from any realm, by internal slot).
  const u8 = v.isArrayBuffer(bytes) ? new Uint8Array(bytes) : v.typedArray('bytes', bytes, 'Uint8Array', 'a Uint8Array or an ArrayBuffer');
  if (u8.length > 2 ** 31 - 1) throw new RangeError('bytes: the file is too large');
  ctx.room();
  const split = ctx.staged([u8], ([p]) => ctx.mod.parseDataset(p!, u8.length));
  if (!split.train || !split.test) {
    split.train?.delete();
    split.test?.delete();
    ctx.made(null); // throws the engine's error
  }
  return { train: new Dataset(ctx, split.train!), test: new Dataset(ctx, split.test!) };
}

/** Reads a file next to this module (Node: from disk; browsers and bundlers: fetch). */
export async function readAsset(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    // Hidden from bundlers, which must not try to bundle node:fs for the browser.
    const fsName = 'node:fs/promises';
    const fs = (await import(/* webpackIgnore: true */ /* @vite-ignore */ fsName)) as { readFile(path: URL): Promise<Uint8Array> };
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`batchnorm-lab: cannot load ${url.href} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Where loadFashionMnist() looks without a url, relative to the package's dist/: this
 * repository's build writes the subset there, but the npm package does not ship it (3.5 MB). The
 * path is held in a variable, not written as `new URL('…', import.meta.url)`: bundlers copy every
 * file such a literal names, and fail or warn on one that is not there.
 */
const FASHION_MNIST_SUBSET = 'data/fashion-mnist-subset.bnds';

/** lab.loadFashionMnist: `url` (relative ones against the package's dist/) or the built subset. */
export async function loadFashionMnist(ctx: Ctx, url: unknown, packageRoot: URL): Promise<DatasetSplit> {
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`url must be a string or a URL, got ${v.describe(url)}`);
  }
  if (url !== undefined) return parseDataset(ctx, await readAsset(new URL(url, packageRoot)));
  const where = new URL(FASHION_MNIST_SUBSET, packageRoot);
  let bytes: Uint8Array;
  try {
    bytes = await readAsset(where);
  } catch (e) {
    throw new Error(
      `batchnorm-lab: no Fashion-MNIST subset at ${where.href} (the npm package does not ship it): ` +
        'pass the URL of a .bnds file, lab.loadFashionMnist(url)',
      { cause: e },
    );
  }
  return parseDataset(ctx, bytes);
}

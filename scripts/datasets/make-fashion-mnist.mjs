// Writes a stratified Fashion-MNIST subset as BNDS (format: cpp/data/dataset.h) from the IDX files
// of Debian's dataset-fashion-mnist (gzip-compressed or not). Training examples come from the
// official training set, test examples from the official test set, the same number per class, in
// a seeded random order.
// Default size: 3,500 train (350 per class) + 1,000 test (100 per class) = 3.5 MB, 1.98 MB gzipped.
// Fashion-MNIST pixels barely compress (~440 gzipped bytes per 784-pixel image), so the 2 MB budget
// is met by taking fewer images, never by reducing their resolution or pixel depth.
// Usage: node make-fashion-mnist.mjs <idx-dir> <output.bnds> [train=N] [test=N]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { byClass, classCounts, quotas, rng, shuffle, writeBnds } from './bnds.mjs';

const [dir, output, ...opts] = process.argv.slice(2);
if (!dir || !output) {
  console.error('usage: node make-fashion-mnist.mjs <idx-dir> <output.bnds> [train=N] [test=N]');
  process.exit(2);
}
const opt = Object.fromEntries(opts.map((o) => o.split('=')).map(([k, v]) => [k, Number(v)]));
const N_TRAIN = opt.train ?? 3500;
const N_TEST = opt.test ?? 1000;
const SEED = 20150211;
const CLASSES = 10;

function readIdx(name) {
  const plain = join(dir, name);
  const path = existsSync(plain) ? plain : `${plain}.gz`;
  let b = readFileSync(path);
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  // IDX: two zero bytes, a type byte (0x08: unsigned byte), the number of dimensions, then each
  // dimension as a big-endian u32, then the data.
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const dims = Array.from({ length: b[3] }, (_, k) => b.readUInt32BE(4 + 4 * k));
  const data = b.subarray(4 + 4 * dims.length);
  if (data.length !== dims.reduce((a, c) => a * c, 1)) throw new Error(`${path}: size does not match ${dims}`);
  return { dims, data };
}

function load(prefix) {
  const images = readIdx(`${prefix}-images-idx3-ubyte`);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte`);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== 28 || w !== 28 || labels.dims[0] !== n)
    throw new Error(`${prefix}: unexpected shapes ${images.dims} / ${labels.dims}`);
  if (labels.data.some((y) => y >= CLASSES)) throw new Error(`${prefix}: label out of range`);
  return { n, images: images.data, labels: labels.data };
}

const sets = { train: load('train'), test: load('t10k') };
const random = rng(SEED);
// A stratified sample of `count` examples from one official split, as indices into `all`.
const labels = [];
const pixelsOf = [];
function sample(set, count) {
  const groups = byClass(set.labels, CLASSES, random);
  const take = quotas(groups.map((g) => g.length), count);
  const picked = shuffle(groups.flatMap((g, c) => g.slice(0, take[c])), random);
  return picked.map((i) => {
    labels.push(set.labels[i]);
    pixelsOf.push(set.images.subarray(i * 784, (i + 1) * 784));
    return labels.length - 1;
  });
}
const train = sample(sets.train, N_TRAIN);
const test = sample(sets.test, N_TEST);

const bytes = writeBnds({
  height: 28, width: 28, classes: CLASSES, maxValue: 255,
  pixels: (i) => pixelsOf[i], labels, train, test,
});
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, bytes);
console.log(`${output}: ${bytes.length} bytes, ${train.length} train + ${test.length} test, 28x28, max 255`);
console.log(`train per class: ${classCounts(labels, train, CLASSES).join(' ')}`);
console.log(`test per class:  ${classCounts(labels, test, CLASSES).join(' ')}`);

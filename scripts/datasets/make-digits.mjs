// Converts the UCI handwritten digits (a gzipped CSV, CC BY 4.0: 1,797 images of 8x8 pixels
// 0..16, then the label, one image a line) into web/data/digits.bnds with a fixed, stratified 80/20 split:
// 1,437 training and 360 test examples, each set in a seeded random order.
// Usage (from the repository): node scripts/datasets/make-digits.mjs digits.csv.gz [output.bnds]
// (web/data/digits.bnds is committed; this is how it was made.)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { byClass, classCounts, quotas, rng, shuffle, writeBnds } from './bnds.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
if (!process.argv[2]) {
  console.error('usage: node scripts/datasets/make-digits.mjs digits.csv.gz [output.bnds]');
  process.exit(2);
}
const input = resolve(process.argv[2]);
const output = resolve(process.argv[3] ?? resolve(repo, 'web/data/digits.bnds'));
const SEED = 20150211; // the Batch Normalization paper's arXiv date
const N_TEST = 360;

const lines = gunzipSync(readFileSync(input)).toString('utf8').split('\n').filter((l) => l.trim());
const images = [];
const labels = [];
for (const [k, line] of lines.entries()) {
  const v = line.split(',').map(Number);
  if (v.length !== 65 || v.some((x) => !Number.isInteger(x) || x < 0 || x > 16) || v[64] > 9)
    throw new Error(`${input}:${k + 1}: expected 64 pixels in 0..16 and a label in 0..9`);
  images.push(Uint8Array.from(v.slice(0, 64)));
  labels.push(v[64]);
}

const random = rng(SEED);
const groups = byClass(labels, 10, random);
const take = quotas(groups.map((g) => g.length), N_TEST);
const test = shuffle(groups.flatMap((g, c) => g.slice(0, take[c])), random);
const train = shuffle(groups.flatMap((g, c) => g.slice(take[c])), random);

const bytes = writeBnds({
  height: 8, width: 8, classes: 10, maxValue: 16,
  pixels: (i) => images[i], labels, train, test,
});
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, bytes);
console.log(`${output}: ${bytes.length} bytes, ${train.length} train + ${test.length} test, 8x8, max 16`);
console.log(`train per class: ${classCounts(labels, train, 10).join(' ')}`);
console.log(`test per class:  ${classCounts(labels, test, 10).join(' ')}`);

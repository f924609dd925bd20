// Shared by the dataset scripts: a seeded shuffle, stratified sampling, and the BNDS writer.
// The format is specified in cpp/data/dataset.h (the engine's parser is the reference).

// SplitMix64, the engine's generator (cpp/base/rng.h), so "seed" means the same kind of thing here.
export function rng(seed) {
  let state = BigInt.asUintN(64, BigInt(seed));
  const next = () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
  // Uniform integer in [0, n) for n < 2^32: 53 random bits make the modulo bias negligible.
  return { below: (n) => Math.floor((Number(next() >> 11n) / 2 ** 53) * n) };
}

export function shuffle(array, random) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}

// Indices grouped by label (each group shuffled).
export function byClass(labels, classes, random) {
  const groups = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => groups[y].push(i));
  return groups.map((g) => shuffle(g, random));
}

// How many of `total` to take from each group so the counts follow the group sizes (largest
// remainder: the quotas sum to `total` exactly).
export function quotas(groupSizes, total) {
  const all = groupSizes.reduce((a, b) => a + b, 0);
  const exact = groupSizes.map((s) => (s * total) / all);
  const q = exact.map(Math.floor);
  let left = total - q.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    q[i]++;
  }
  return q;
}

// pixels(i) returns example i's height*width bytes; `train` and `test` list example indices in file
// order. Returns the file's bytes.
export function writeBnds({ height, width, classes, maxValue, pixels, labels, train, test }) {
  const order = [...train, ...test];
  const d = height * width;
  const out = Buffer.alloc(32 + order.length * d + order.length);
  out.write('BNDS', 0, 'latin1');
  [1, order.length, train.length, height, width, classes, maxValue].forEach((v, k) =>
    out.writeUInt32LE(v, 4 + 4 * k),
  );
  order.forEach((i, k) => {
    const p = pixels(i);
    if (p.length !== d) throw new Error(`example ${i}: ${p.length} pixels, expected ${d}`);
    for (const v of p) if (v > maxValue) throw new Error(`example ${i}: pixel ${v} > ${maxValue}`);
    out.set(p, 32 + k * d);
    out[32 + order.length * d + k] = labels[i];
  });
  return out;
}

export function classCounts(labels, indices, classes) {
  const c = new Array(classes).fill(0);
  for (const i of indices) c[labels[i]]++;
  return c;
}

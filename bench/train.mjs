// The training-step benchmark, run by bench/run.mjs in its own node process. Every contender
// trains the same BN-MLP (bench/common.mjs) from the same weights on the same batch, in one
// process and in interleaved rounds, so ratios between them are fair on a shared machine:
//   ours through the public API (dist/, SIMD and scalar builds), ours through Trainer.run (many
//   steps per call), TF.js 4.22 (wasm SIMD, cpu), plain JavaScript, and two floors under our
//   step: the same calls made on the raw Embind handles (no JS wrapper, no copies) and the
//   kernels alone (build/bench/wasm/kbench-simd, no layers, no JS).
// It also counts what one public-API step costs at the boundary (Embind calls, bytes copied).
// Prints one JSON object on stdout. Usage: node bench/train.mjs [--quick]
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CNN, LR, MODELS, cnnInitialState, cnnLayout, initialState, makeBatch, makeImageBatch, measureInterleaved, median, nowNs, cpuNs } from './common.mjs';
import { PlainMLP } from './plainjs.mjs';
import { TfCNN, TfMLP, loadTf, tfFeatures } from './tfjs.mjs';

const DIST = new URL('../dist/', import.meta.url);
const quick = process.argv.includes('--quick');
const log = (m) => process.stderr.write(`  training: ${m}\n`);

const { loadLab } = await import(new URL('index.js', DIST));
const { rawOf } = await import(new URL('engine/layers.js', DIST));
const labs = { simd: await loadLab({ simd: true }), scalar: await loadLab({ simd: false }) };
const tf = await loadTf();

const WASM_DIR = fileURLToPath(new URL('../build/bench/wasm/', import.meta.url));
const { default: createKbench } = await import(`${WASM_DIR}kbench-simd.js`);
const kbench = await createKbench({ wasmBinary: await readFile(`${WASM_DIR}kbench-simd.wasm`) });
const K_MLP_STEP = 10; // bnbench::kMlpStep

/** The model as a public-API Sequential with the given state loaded, and its SGD. */
function engineModel(lab, sizes, state) {
  const layers = [];
  for (let h = 0; h < sizes.length - 1; h++) {
    layers.push(new lab.Linear(sizes[h], sizes[h + 1]));
    if (h < sizes.length - 2) layers.push(new lab.BatchNorm1d(sizes[h + 1]), new lab.ReLU());
  }
  const model = new lab.Sequential(layers);
  model.loadStateDict(state);
  return { model, opt: new lab.SGD(model, { lr: LR }) };
}

/**
 * One public-API step (the training loop of docs/API.md); returns the loss. A training loop has no use for the
 * gradient with respect to the batch, and neither TF.js (gradients of variables only) nor PyTorch
 * (an input that does not require grad) computes it, so the loop asks backward() not to:
 * `{ inputGrad: false }`. With `dx`, the step also computes and returns it (backward's default).
 */
function apiStep(lab, m, x, y, spec, dx = false) {
  m.opt.zeroGrad();
  const logits = m.model.forward(x, [spec.batch, spec.sizes[0]]);
  const { loss, grad } = lab.crossEntropy(logits, y, [spec.batch, spec.sizes[spec.sizes.length - 1]]);
  if (dx) m.model.backward(grad);
  else m.model.backward(grad, { inputGrad: false });
  m.opt.step();
  return loss;
}

/**
 * The same step on the raw Embind handles of the model `m` (the API contender's own model, so that
 * both run on the same buffers: where the engine's heap blocks fall relative to 16-byte boundaries
 * changes kernel times by up to a third, see section 6): the batch staged once, the loss gradient
 * left on the heap, nothing copied out, no argument checks. What the wrapper costs is the
 * difference. With `copies`, it also makes the API's large copy (the batch in).
 */
function rawStepper(m, spec, copies = false) {
  const { ctx, raw } = rawOf(m.model);
  const mod = ctx.mod;
  const N = spec.batch;
  const IN = spec.sizes[0];
  const K = spec.sizes[spec.sizes.length - 1];
  const sgd = mod.makeSGD(raw, { lr: LR, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
  const px = mod._malloc(N * IN * 4);
  const py = mod._malloc(N * 4);
  const pg = mod._malloc(N * K * 4);
  return {
    load(x, y) {
      mod.HEAPF32.set(x, px >> 2);
      mod.HEAP32.set(y, py >> 2);
    },
    step(x) {
      sgd.zeroGrad();
      if (copies) mod.HEAPF32.set(x, px >> 2);
      ctx.check(raw.forward(px, 2, N, IN, 0, 0));
      const ce = mod.crossEntropy(raw.outputPtr(), py, N, K, pg);
      ctx.check(ce.code);
      ctx.check(raw.backward(pg, N * K, false)); // the same work as the public API step above
      sgd.step();
      return ce.loss;
    },
  };
}

/** A BNDS image set of random pixels (bench only): n examples of side × side pixels, `classes` classes. */
function syntheticImages(lab, n, side, classes) {
  const bytes = new Uint8Array(32 + n * side * side + n);
  const dv = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4e, 0x44, 0x53]); // "BNDS"
  [1, n, n - 1, side, side, classes, 255].forEach((v, i) => dv.setUint32(4 + 4 * i, v, true));
  let s = 12345;
  for (let i = 32; i < 32 + n * side * side; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  for (let i = 0; i < n; i++) bytes[32 + n * side * side + i] = i % classes;
  return lab.parseDataset(bytes).train;
}

function trainerFor(lab, spec) {
  const train = spec.sizes[0] === 2 ? lab.toyDataset('xor', { n: 1024, noise: 0.1, seed: 1 }) : syntheticImages(lab, 1025, 28, 10);
  return new lab.Trainer({ model: { sizes: spec.sizes, batchNorm: true, seed: 1 }, train, batchSize: spec.batch, lr: LR });
}

/**
 * What one public-API step costs at the boundary, counted on a separate lab instance whose Embind
 * methods and staging functions are wrapped (so the timed labs stay untouched).
 */
async function boundaryCounts(spec, state, x, y) {
  const lab = await loadLab({ simd: true });
  const m = engineModel(lab, spec.sizes, state);
  const { ctx } = rawOf(m.model);
  const mod = ctx.mod;
  const counts = { embindCalls: 0, bytesIn: 0, bytesOut: 0, arraysOut: 0 };
  const wrap = (obj, name) => {
    const f = obj[name];
    if (typeof f !== 'function' || name === 'constructor') return;
    obj[name] = function (...args) {
      counts.embindCalls++;
      return f.apply(this, args);
    };
  };
  for (const cls of ['Module', 'SGD']) for (const name of Object.getOwnPropertyNames(mod[cls].prototype)) wrap(mod[cls].prototype, name);
  for (const name of ['crossEntropy', 'lastStatus', 'room']) wrap(mod, name);
  const staged = ctx.staged;
  ctx.staged = (arrays, use) => {
    for (const a of arrays) if (typeof a !== 'number') counts.bytesIn += a.byteLength;
    return staged(arrays, use);
  };
  const copyOut = ctx.copyOut;
  ctx.copyOut = (ptr, length) => {
    counts.bytesOut += 4 * length;
    counts.arraysOut++;
    return copyOut(ptr, length);
  };
  apiStep(lab, m, x, y, spec); // the first step may grow buffers: count the second
  for (const k of Object.keys(counts)) counts[k] = 0;
  apiStep(lab, m, x, y, spec);
  return counts;
}

/** Nanoseconds of one Embind method call with a number result (median of short runs). */
function embindCallNs(lab) {
  const l = new lab.Linear(2, 2);
  const { raw } = rawOf(l);
  const per = [];
  for (let r = 0; r < 41; r++) {
    const k = 20000;
    const t0 = cpuNs();
    for (let i = 0; i < k; i++) raw.outputRank();
    per.push((cpuNs() - t0) / k);
  }
  l.dispose();
  return median(per.slice(10));
}

const results = [];
for (const spec of MODELS) {
  const state = initialState(spec.sizes, 1);
  const { x, y } = makeBatch(spec.sizes, spec.batch, 2);
  const N = spec.batch;
  log(`${spec.name}: setting up`);

  const contenders = [];
  const firstLoss = {};
  const models = {};
  for (const variant of ['simd', 'scalar']) {
    const lab = labs[variant];
    const m = (models[variant] = engineModel(lab, spec.sizes, state));
    const check = engineModel(lab, spec.sizes, state);
    firstLoss[`${variant}-api`] = apiStep(lab, check, x, y, spec);
    check.model.dispose();
    check.opt.dispose();
    contenders.push({ key: `${variant}-api`, run: (k) => { for (let i = 0; i < k; i++) apiStep(lab, m, x, y, spec); } });
    if (variant === 'simd') {
      const mdx = engineModel(lab, spec.sizes, state);
      contenders.push({ key: 'simd-api-dx', run: (k) => { for (let i = 0; i < k; i++) apiStep(lab, mdx, x, y, spec, true); } });
    }
    const t = trainerFor(lab, spec);
    contenders.push({ key: `${variant}-trainer`, run: (k) => t.run(k) });
  }
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const check = new TfMLP(tf, backend, spec.sizes, state, { lr: LR });
    firstLoss[`tf-${backend}`] = check.step(x, y, N);
    check.dispose();
    const t = new TfMLP(tf, backend, spec.sizes, state, { lr: LR });
    contenders.push({
      key: `tf-${backend}`,
      prepare: () => tf.setBackend(backend),
      run: (k) => { for (let i = 0; i < k; i++) t.step(x, y, N); },
    });
  }
  firstLoss.plain = new PlainMLP(spec.sizes, state, { lr: LR }).step(x, y, N);
  const plain = new PlainMLP(spec.sizes, state, { lr: LR });
  contenders.push({ key: 'plain', run: (k) => { for (let i = 0; i < k; i++) plain.step(x, y, N); } });
  const raw = rawStepper(models.simd, spec);
  raw.load(x, y);
  contenders.push({ key: 'simd-raw', run: (k) => { for (let i = 0; i < k; i++) raw.step(x); } });
  const rawCopies = rawStepper(models.simd, spec, true);
  rawCopies.load(x, y);
  contenders.push({ key: 'simd-raw-copies', run: (k) => { for (let i = 0; i < k; i++) rawCopies.step(x); } });
  const hk = kbench._kb_prepare(K_MLP_STEP, MODELS.indexOf(spec), 1, 0, 0, 0);
  if (kbench.UTF8ToString(kbench._kb_name(K_MLP_STEP, MODELS.indexOf(spec))) !== spec.name) throw new Error('kbench models differ from bench/common.mjs');
  contenders.push({ key: 'simd-kernels', run: (k) => kbench._kb_run(hk, k) });

  const big = spec.sizes[0] > 2;
  const tensorsBefore = tf.memory().numTensors;
  const t0 = nowNs();
  const times = await measureInterleaved(contenders, {
    rounds: big ? (quick ? 3 : 8) : quick ? 4 : 11,
    samples: big ? 1 : quick ? 1 : 2,
    targetMs: big ? (quick ? 40 : 60) : quick ? 8 : 12,
    warmupMs: big ? (quick ? 200 : 500) : quick ? 100 : 300,
    log: (m) => log(`${spec.name}: ${m}`),
  });
  results.push({
    model: spec.name,
    sizes: spec.sizes,
    batch: N,
    seconds: (nowNs() - t0) / 1e9,
    times,
    firstLoss,
    tfTensorsGrowth: tf.memory().numTensors - tensorsBefore,
    boundary: await boundaryCounts(spec, state, x, y),
  });
}

// ---- the CNN: one training step of Conv2d → BatchNorm2d → ReLU → MaxPool2d blocks, Flatten, Linear ----

/** The benchmark's CNN (bench/common.mjs) as a public-API Sequential with the given state, and its SGD. */
function engineCnn(lab, spec, state) {
  const { convs, linear } = cnnLayout(spec);
  const layers = [];
  for (const c of convs) {
    layers.push(new lab.Conv2d(c.in, c.out, c.k, { padding: (c.k - 1) / 2 }), new lab.BatchNorm2d(c.out), new lab.ReLU(), new lab.MaxPool2d(2));
  }
  layers.push(new lab.Flatten(), new lab.Linear(linear.in, linear.out));
  const model = new lab.Sequential(layers);
  model.loadStateDict(state);
  return { model, opt: new lab.SGD(model, { lr: LR }) };
}

/** One public-API step of the CNN (as apiStep: no gradient for the batch itself). */
function cnnStep(lab, m, x, y, spec) {
  m.opt.zeroGrad();
  const logits = m.model.forward(x, [spec.batch, 1, spec.side, spec.side]);
  const { loss, grad } = lab.crossEntropy(logits, y, [spec.batch, spec.classes]);
  m.model.backward(grad, { inputGrad: false });
  m.opt.step();
  return loss;
}

async function cnnResults() {
  const spec = CNN;
  const state = cnnInitialState(spec, 1);
  const { x, y } = makeImageBatch(spec, 2);
  const N = spec.batch;
  log(`${spec.name}: setting up`);
  const contenders = [];
  const firstLoss = {};
  for (const variant of ['simd', 'scalar']) {
    const lab = labs[variant];
    const check = engineCnn(lab, spec, state);
    firstLoss[`${variant}-api`] = cnnStep(lab, check, x, y, spec);
    check.model.dispose();
    check.opt.dispose();
    const m = engineCnn(lab, spec, state);
    contenders.push({ key: `${variant}-api`, run: (k) => { for (let i = 0; i < k; i++) cnnStep(lab, m, x, y, spec); } });
  }
  // The Trainer's CNN: the same blocks (conv 8, 16; BatchNorm2d; max-pool) on a synthetic image set.
  const train = syntheticImages(labs.simd, 1025, spec.side, spec.classes);
  const trainer = new labs.simd.Trainer({
    model: { sizes: [spec.side * spec.side, spec.classes], conv: { channels: spec.channels.slice(1), kernelSize: spec.k }, norm: 'batch', seed: 1 },
    train, batchSize: N, lr: LR,
  });
  contenders.push({ key: 'simd-trainer', run: (k) => trainer.run(k) });
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const check = new TfCNN(tf, backend, spec, state, { lr: LR });
    firstLoss[`tf-${backend}`] = check.step(x, y, N);
    check.dispose();
    const t = new TfCNN(tf, backend, spec, state, { lr: LR });
    contenders.push({ key: `tf-${backend}`, prepare: () => tf.setBackend(backend), run: (k) => { for (let i = 0; i < k; i++) t.step(x, y, N); } });
  }
  const tensorsBefore = tf.memory().numTensors;
  const t0 = nowNs();
  const times = await measureInterleaved(contenders, {
    rounds: quick ? 3 : 6,
    samples: 1,
    targetMs: quick ? 60 : 120,
    warmupMs: quick ? 300 : 800,
    log: (m) => log(`${spec.name}: ${m}`),
  });
  return { model: spec.name, channels: spec.channels, side: spec.side, batch: N, seconds: (nowNs() - t0) / 1e9, times, firstLoss, tfTensorsGrowth: tf.memory().numTensors - tensorsBefore };
}

const cnn = await cnnResults();

process.stdout.write(
  JSON.stringify({
    tf: tfFeatures(tf),
    embindCallNs: embindCallNs(labs.simd),
    models: results,
    cnn,
  }) + '\n',
);

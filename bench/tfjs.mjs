// The TensorFlow.js 4.22 baseline: the same BN-MLP training step written the way the TF.js
// documentation suggests (tf.variableGrads over a loss function, tf.train.sgd applying the
// gradients), on its wasm backend (SIMD, one thread) or its cpu backend (plain JavaScript).
// tests/js/bench-smoke.test.ts checks its loss and gradients against the engine's.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BN_EPS, BN_MOMENTUM, cnnLayout, layout } from './common.mjs';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('./tfjs-entry.mjs', import.meta.url));
const bundleDir = `${root}build/bench/tfjs`;
const bundle = `${bundleDir}/tfjs-bundle.cjs`;

/**
 * Bundles bench/tfjs-entry.mjs (tfjs-core, its gradients, the cpu and wasm backends) with Vite
 * into build/bench/tfjs/tfjs-bundle.cjs, unless it is newer than the installed packages. CommonJS,
 * because the wasm backend's Emscripten loader uses __dirname and require('fs') under Node.
 */
export async function ensureTfBundle() {
  const sources = [entry, ...['core', 'backend-cpu', 'backend-wasm'].map((p) => require.resolve(`@tensorflow/tfjs-${p}/package.json`))];
  if (existsSync(bundle) && sources.every((f) => statSync(f).mtimeMs < statSync(bundle).mtimeMs)) return bundle;
  const { build } = await import('vite');
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: entry,
      outDir: bundleDir,
      emptyOutDir: true,
      minify: false,
      target: 'node20',
      rollupOptions: { output: { format: 'cjs', entryFileNames: 'tfjs-bundle.cjs' } },
    },
    ssr: { noExternal: true, target: 'node' },
  });
  return bundle;
}

let tfPromise = null;

/**
 * Loads TF.js 4.22 with the cpu and wasm backends initialised. The wasm backend reads its .wasm
 * files from node_modules (setWasmPaths to that folder; Node reads them with fs, no network) and
 * picks the non-threaded SIMD build, since Node has no cross-origin isolation: one thread, like
 * the engine.
 */
export function loadTf() {
  tfPromise ??= (async () => {
    const { tf, tfwasm } = require(await ensureTfBundle());
    tf.enableProdMode(); // no debug checks (TF.js at its fastest); also silences its Node banner
    tfwasm.setThreadsCount(1);
    tfwasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
    for (const name of ['wasm', 'cpu']) {
      if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} failed to initialise`);
    }
    return tf;
  })();
  return tfPromise;
}

/** What the wasm backend runs on: SIMD and threads as detected (threads must be off). */
export function tfFeatures(tf) {
  return {
    version: tf.version_core,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

let modelCount = 0;

/**
 * One BN-MLP as TF.js variables on one backend. Linear weights are kept [IN, OUT], i.e. x · W:
 * TF.js's wasm backend multiplies that layout 2.6x faster than x · Wᵀ (matMul's transposeB, the
 * engine's and PyTorch's [OUT, IN]), so TF.js gets its faster layout; weights are transposed on the
 * way in and gradients and weights on the way out. BatchNorm uses the batch's tf.moments and
 * tf.batchNorm, whose gradients TF.js defines, so autodiff gives the full BatchNorm backward.
 */
export class TfMLP {
  /**
   * @param tf the loaded tfjs-core
   * @param {'wasm' | 'cpu'} backend
   * @param {number[]} sizes [IN, hidden..., OUT]
   * @param {Record<string, Float32Array>} state initial parameters under PyTorch's keys
   * @param {{ lr: number }} opts
   */
  constructor(tf, backend, sizes, state, { lr }) {
    if (tf.getBackend() !== backend) throw new Error(`call await tf.setBackend('${backend}') before building a TfMLP on it`);
    this.tf = tf;
    this.backend = backend;
    this.sizes = sizes;
    const { linears, norms } = layout(sizes);
    const prefix = `bench${modelCount++}/`;
    const v = (key, shape) => tf.variable(tf.tensor(state[key], shape), true, prefix + key);
    this.linears = linears.map((l) => ({
      key: l.key,
      weight: tf.variable(tf.tidy(() => tf.transpose(tf.tensor(state[`${l.key}.weight`], [l.out, l.in]))), true, prefix + `${l.key}.weight`),
      bias: v(`${l.key}.bias`, [l.out]),
    }));
    this.norms = norms.map((b) => ({
      key: b.key,
      gamma: v(`${b.key}.weight`, [b.c]),
      beta: v(`${b.key}.bias`, [b.c]),
      runningMean: tf.variable(tf.tensor(state[`${b.key}.running_mean`]), false, prefix + `${b.key}.running_mean`),
      runningVar: tf.variable(tf.tensor(state[`${b.key}.running_var`]), false, prefix + `${b.key}.running_var`),
    }));
    this.prefix = prefix;
    this.trainable = [
      ...this.linears.flatMap((l) => [l.weight, l.bias]),
      ...this.norms.flatMap((b) => [b.gamma, b.beta]),
    ];
    this.optimizer = tf.train.sgd(lr);
  }

  /**
   * One training step on x [N, IN] (Float32Array) and class indices y [N] (Int32Array): forward,
   * mean softmax cross-entropy, gradients, SGD update, running statistics. Returns the loss, and
   * the gradients (PyTorch's keys, copies) when `withGrads`.
   */
  step(x, y, N, withGrads = false) {
    const tf = this.tf;
    if (tf.getBackend() !== this.backend) throw new Error(`TF.js backend is ${tf.getBackend()}, this model lives on ${this.backend}`);
    const K = this.sizes[this.sizes.length - 1];
    const stats = [];
    const { value, grads } = tf.tidy(() => {
      const xt = tf.tensor2d(x, [N, this.sizes[0]]);
      const labels = tf.oneHot(tf.tensor1d(y, 'int32'), K);
      return tf.variableGrads(() => {
        let h = xt;
        for (let i = 0; i < this.linears.length; i++) {
          const l = this.linears[i];
          h = tf.add(tf.matMul(h, l.weight), l.bias);
          if (i === this.norms.length) break;
          const b = this.norms[i];
          const { mean, variance } = tf.moments(h, 0);
          stats.push(tf.keep(mean), tf.keep(variance));
          h = tf.relu(tf.batchNorm(h, mean, variance, b.beta, b.gamma, BN_EPS));
        }
        return tf.losses.softmaxCrossEntropy(labels, h);
      }, this.trainable);
    });
    let gradsOut = null;
    if (withGrads) {
      gradsOut = {};
      for (const [name, g] of Object.entries(grads)) gradsOut[name.slice(this.prefix.length)] = this.#out(g);
    }
    this.optimizer.applyGradients(grads);
    tf.tidy(() => {
      this.norms.forEach((b, i) => {
        const m = BN_MOMENTUM;
        b.runningMean.assign(tf.add(tf.mul(b.runningMean, 1 - m), tf.mul(stats[2 * i], m)));
        const unbiased = tf.mul(stats[2 * i + 1], N / (N - 1));
        b.runningVar.assign(tf.add(tf.mul(b.runningVar, 1 - m), tf.mul(unbiased, m)));
      });
    });
    tf.dispose(stats);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return withGrads ? { loss, grads: gradsOut } : loss;
  }

  // A copy of a tensor's values, matrices transposed back to PyTorch's [OUT, IN].
  #out(t) {
    return t.rank === 2 ? this.tf.tidy(() => this.tf.transpose(t).dataSync().slice()) : t.dataSync().slice();
  }

  /** Parameters and running statistics under PyTorch's keys (copies). */
  stateDict() {
    const s = {};
    for (const l of this.linears) {
      s[`${l.key}.weight`] = this.#out(l.weight);
      s[`${l.key}.bias`] = l.bias.dataSync().slice();
    }
    for (const b of this.norms) {
      s[`${b.key}.weight`] = b.gamma.dataSync().slice();
      s[`${b.key}.bias`] = b.beta.dataSync().slice();
      s[`${b.key}.running_mean`] = b.runningMean.dataSync().slice();
      s[`${b.key}.running_var`] = b.runningVar.dataSync().slice();
    }
    return s;
  }

  dispose() {
    this.tf.dispose([...this.trainable, ...this.norms.flatMap((b) => [b.runningMean, b.runningVar])]);
    this.optimizer.dispose();
  }
}

/**
 * A 3×3 'same' convolution (NHWC) whose gradients the backend can compute. TF.js 4.22's wasm
 * backend has Conv2D and Conv2DBackpropInput (XNNPACK) but no Conv2DBackpropFilter kernel, so
 * tf.conv2d cannot be trained there ("Kernel 'Conv2DBackpropFilter' not registered for backend
 * 'wasm'"). There the filter gradient comes from its Conv3DBackpropFilterV2 kernel on the images
 * as volumes of depth 1 (the same sums); everything else stays the 2-d ops.
 */
function convOp(tf) {
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) return (x, w) => tf.conv2d(x, w, 1, 'same');
  return tf.customGrad((x, w, save) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy, [xs, ws]) => {
        const [n, h, wd, c] = xs.shape;
        const [k, , , o] = ws.shape;
        const dx = tf.conv2dTranspose(dy, ws, xs.shape, 1, 'same');
        const dw5 = tf.engine().runKernel(
          'Conv3DBackpropFilterV2',
          { x: tf.reshape(xs, [n, 1, h, wd, c]), dy: tf.reshape(dy, [n, 1, h, wd, o]) },
          { strides: [1, 1, 1], pad: 'same', filterShape: [1, k, k, c, o] },
        );
        return [dx, tf.reshape(dw5, [k, k, c, o])];
      },
    };
  });
}

/**
 * The benchmark's CNN (bench/common.mjs, CNN) as TF.js variables on one backend, in TF.js's own
 * layouts: images NHWC, filters [k, k, IN, OUT], the Linear weight [IN, OUT] with its rows in the
 * order NHWC flattens to ((h·W + w)·C + c; PyTorch's Flatten gives c·H·W + h·W + w). The
 * PyTorch-keyed state is permuted on the way in and out, so both compute the same function from
 * the same numbers. BatchNorm2d is tf.moments over [N, H, W] and tf.batchNorm, as in TfMLP.
 */
export class TfCNN {
  constructor(tf, backend, spec, state, { lr }) {
    if (tf.getBackend() !== backend) throw new Error(`call await tf.setBackend('${backend}') before building a TfCNN on it`);
    this.tf = tf;
    this.backend = backend;
    this.spec = spec;
    this.conv = convOp(tf);
    const { convs, linear } = cnnLayout(spec);
    this.lin = linear;
    const prefix = `benchcnn${modelCount++}/`;
    this.prefix = prefix;
    const v = (key, t, trainable = true) => tf.variable(t, trainable, prefix + key);
    this.blocks = convs.map((c) => ({
      ...c,
      weight: v(`${c.key}.weight`, tf.tidy(() => tf.transpose(tf.tensor4d(state[`${c.key}.weight`], [c.out, c.in, c.k, c.k]), [2, 3, 1, 0]))),
      bias: v(`${c.key}.bias`, tf.tensor1d(state[`${c.key}.bias`])),
      gamma: v(`${c.norm}.weight`, tf.tensor1d(state[`${c.norm}.weight`])),
      beta: v(`${c.norm}.bias`, tf.tensor1d(state[`${c.norm}.bias`])),
      runningMean: v(`${c.norm}.running_mean`, tf.tensor1d(state[`${c.norm}.running_mean`]), false),
      runningVar: v(`${c.norm}.running_var`, tf.tensor1d(state[`${c.norm}.running_var`]), false),
    }));
    this.perm = TfCNN.#flattenOrder(linear);
    const wt = new Float32Array(linear.in * linear.out);
    const w = state[`${linear.key}.weight`];
    for (let o = 0; o < linear.out; o++) for (let r = 0; r < linear.in; r++) wt[r * linear.out + o] = w[o * linear.in + this.perm[r]];
    this.linWeight = v(`${linear.key}.weight`, tf.tensor2d(wt, [linear.in, linear.out]));
    this.linBias = v(`${linear.key}.bias`, tf.tensor1d(state[`${linear.key}.bias`]));
    this.trainable = [...this.blocks.flatMap((b) => [b.weight, b.bias, b.gamma, b.beta]), this.linWeight, this.linBias];
    this.optimizer = tf.train.sgd(lr);
  }

  // For each row r of the NHWC-flattened features, the PyTorch (c, h, w) index it holds.
  static #flattenOrder({ c, side }) {
    const perm = new Int32Array(c * side * side);
    for (let h = 0; h < side; h++) for (let w = 0; w < side; w++) for (let ch = 0; ch < c; ch++) perm[(h * side + w) * c + ch] = ch * side * side + h * side + w;
    return perm;
  }

  /** One training step on x [N, 1, H, W] and labels y [N]; returns the loss (and the gradients under PyTorch's keys when `withGrads`). */
  step(x, y, N, withGrads = false) {
    const tf = this.tf;
    if (tf.getBackend() !== this.backend) throw new Error(`TF.js backend is ${tf.getBackend()}, this model lives on ${this.backend}`);
    const { side, classes } = this.spec;
    const stats = [];
    const { value, grads } = tf.tidy(() => {
      const xt = tf.tensor4d(x, [N, side, side, 1]); // [N, 1, H, W] and [N, H, W, 1] share one memory order
      const labels = tf.oneHot(tf.tensor1d(y, 'int32'), classes);
      return tf.variableGrads(() => {
        let h = xt;
        for (const b of this.blocks) {
          h = tf.add(this.conv(h, b.weight), b.bias);
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          stats.push(tf.keep(mean), tf.keep(variance));
          h = tf.maxPool(tf.relu(tf.batchNorm(h, mean, variance, b.beta, b.gamma, BN_EPS)), 2, 2, 'valid');
        }
        const logits = tf.add(tf.matMul(tf.reshape(h, [N, this.lin.in]), this.linWeight), this.linBias);
        return tf.losses.softmaxCrossEntropy(labels, logits);
      }, this.trainable);
    });
    let gradsOut = null;
    if (withGrads) {
      gradsOut = {};
      for (const [name, g] of Object.entries(grads)) gradsOut[name.slice(this.prefix.length)] = this.#out(name.slice(this.prefix.length), g);
    }
    this.optimizer.applyGradients(grads);
    tf.tidy(() => {
      this.blocks.forEach((b, i) => {
        const m = BN_MOMENTUM;
        const n = N * (side >> i) ** 2; // the values each channel's statistics were taken over
        b.runningMean.assign(tf.add(tf.mul(b.runningMean, 1 - m), tf.mul(stats[2 * i], m)));
        b.runningVar.assign(tf.add(tf.mul(b.runningVar, 1 - m), tf.mul(tf.mul(stats[2 * i + 1], n / (n - 1)), m)));
      });
    });
    tf.dispose(stats);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return withGrads ? { loss, grads: gradsOut } : loss;
  }

  // A parameter or gradient back in PyTorch's layout.
  #out(key, t) {
    const tf = this.tf;
    if (t.rank === 4) return tf.tidy(() => tf.transpose(t, [3, 2, 0, 1]).dataSync().slice());
    if (t.rank === 2) {
      const v = t.dataSync();
      const { in: IN, out: OUT } = this.lin;
      const w = new Float32Array(IN * OUT);
      for (let o = 0; o < OUT; o++) for (let r = 0; r < IN; r++) w[o * IN + this.perm[r]] = v[r * OUT + o];
      return w;
    }
    return t.dataSync().slice();
  }

  dispose() {
    this.tf.dispose([...this.trainable, ...this.blocks.flatMap((b) => [b.runningMean, b.runningVar])]);
    this.optimizer.dispose();
  }
}

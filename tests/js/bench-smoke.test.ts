// The benchmark's baselines are correct implementations of the same training step, not strawmen:
// bench/plainjs.mjs and bench/tfjs.mjs (TF.js 4.22, wasm and cpu backends) give the engine's loss,
// gradients and updated parameters for the same weights and batch, within float32 round-off.
// No timing here: `npm run bench` measures, this only checks that it compares like with like.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';
import { CNN, LR, MODELS, cnnInitialState, cnnLayout, initialState, layout, makeBatch, makeImageBatch } from '../../bench/common.mjs';
import { PlainMLP } from '../../bench/plainjs.mjs';
import { TfCNN, TfMLP, loadTf } from '../../bench/tfjs.mjs';
import { pageSection } from '../../bench/page-report.mjs';
import { MODULES, U, expectClose, expectCloseScalar, gammaN } from './helpers.js';

type Dict = Record<string, Float32Array>;
interface Spec {
  name: string;
  sizes: number[];
  batch: number;
}
interface StepResult {
  loss: number;
  grads: Dict;
  after: Dict;
}

/** The parameter gradients of a Sequential's layers under PyTorch's keys (index.weight, index.bias). */
function gradientsOf(layers: readonly unknown[]): Dict {
  const grads: Dict = {};
  for (const [i, layer] of layers.entries()) {
    const l = layer as { weightGrad?: Float32Array | null; biasGrad?: Float32Array | null };
    if (l.weightGrad) grads[`${i}.weight`] = l.weightGrad;
    if (l.biasGrad) grads[`${i}.bias`] = l.biasGrad;
  }
  return grads;
}

/** One step through the public API, as the README writes it; gradients read before the update. */
function engineStep(lab: Lab, spec: Spec, state: Dict, x: Float32Array, y: Int32Array): StepResult {
  const { sizes, batch: N } = spec;
  const layers = [];
  for (let h = 0; h < sizes.length - 1; h++) {
    layers.push(new lab.Linear(sizes[h]!, sizes[h + 1]!));
    if (h < sizes.length - 2) layers.push(new lab.BatchNorm1d(sizes[h + 1]!), new lab.ReLU());
  }
  const model = new lab.Sequential(layers);
  model.loadStateDict(state);
  const opt = new lab.SGD(model, { lr: LR });
  opt.zeroGrad();
  const logits = model.forward(x, [N, sizes[0]!]);
  const { loss, grad } = lab.crossEntropy(logits, y, [N, sizes[sizes.length - 1]!]);
  model.backward(grad);
  const grads = gradientsOf(layers);
  opt.step();
  const after = model.stateDict();
  model.dispose();
  opt.dispose();
  return { loss, grads, after };
}

/**
 * Allowed differences, from the plain implementation's intermediate values (tests/js/helpers.ts's
 * model: 2γ(L)·S). L counts the roundings on the longest path through the step: the forward dot
 * products (IN per layer), BatchNorm's two statistics passes and its two backward sums (N each),
 * the loss (K), the input-gradient dot products (OUT per layer) and the gradient sums (N), plus a
 * few single operations. S is, per element, the sum of the magnitudes of the terms of its last
 * reduction, with BatchNorm's input gradient counted by the magnitudes of its three terms
 * (N·|dy|, Σ|dy|, |xhat|·Σ|dy·xhat|): the step cancels there by construction (a Linear bias before
 * BatchNorm has a gradient of exactly 0), so relative comparisons would be meaningless.
 */
function tolerances(spec: Spec, plain: PlainMLP, x: Float32Array, y: Int32Array) {
  const { sizes, batch: N } = spec;
  const H = sizes.length - 2;
  const K = sizes[H + 1]!;
  let L = 16 + N + K;
  for (let h = 0; h <= H; h++) L += 2 * sizes[h]! + sizes[h + 1]! + (h < H ? 4 * N : 0);
  const g2 = 2 * gammaN(L);
  const p = plain as unknown as {
    dz: Float32Array[];
    da: Float32Array[];
    a: Float32Array[];
    xhat: Float32Array[];
    norms: { gamma: Float32Array; invstd: Float32Array }[];
  };
  const { linears, norms } = layout(sizes);
  const tol: Dict = {};
  for (let h = H; h >= 0; h--) {
    const IN = sizes[h]!;
    const OUT = sizes[h + 1]!;
    const dz = p.dz[h]!;
    const dzAbs = new Float64Array(N * OUT);
    if (h === H) {
      // (softmax - onehot)/N: the target entry is (p - 1)/N, terms of magnitude (p + 1)/N.
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const i = n * K + k;
          dzAbs[i] = k === y[n] ? (2 + N * dz[i]!) / N : Math.abs(dz[i]!);
        }
      }
    } else {
      const dy = p.da[h]!;
      const xh = p.xhat[h]!;
      const { gamma, invstd } = p.norms[h]!;
      for (let c = 0; c < OUT; c++) {
        let sDy = 0;
        let sDyX = 0;
        for (let n = 0; n < N; n++) {
          sDy += Math.abs(dy[n * OUT + c]!);
          sDyX += Math.abs(dy[n * OUT + c]! * xh[n * OUT + c]!);
        }
        const k = (Math.abs(gamma[c]!) * invstd[c]!) / N;
        for (let n = 0; n < N; n++) {
          const i = n * OUT + c;
          dzAbs[i] = k * (N * Math.abs(dy[i]!) + sDy + Math.abs(xh[i]!) * sDyX);
        }
      }
      const b = norms[h]!;
      tol[`${b.key}.weight`] = Float32Array.from({ length: OUT }, (_, c) => {
        let s = 0;
        for (let n = 0; n < N; n++) s += Math.abs(dy[n * OUT + c]! * xh[n * OUT + c]!);
        return g2 * s;
      });
      tol[`${b.key}.bias`] = Float32Array.from({ length: OUT }, (_, c) => {
        let s = 0;
        for (let n = 0; n < N; n++) s += Math.abs(dy[n * OUT + c]!);
        return g2 * s;
      });
    }
    const inp = h === 0 ? x : p.a[h - 1]!;
    const tw = new Float32Array(OUT * IN);
    const tb = new Float32Array(OUT);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < OUT; o++) {
        const d = dzAbs[n * OUT + o]!;
        tb[o] += g2 * d;
        for (let i = 0; i < IN; i++) tw[o * IN + i] += g2 * d * Math.abs(inp[n * IN + i]!);
      }
    }
    tol[`${linears[h]!.key}.weight`] = tw;
    tol[`${linears[h]!.key}.bias`] = tb;
  }
  // The loss: per row, log-sum-exp and the target's logit, terms bounded by 2·Σ|logits| + log K.
  const logits = (plain as unknown as { z: Float32Array[] }).z[H]!;
  let sLoss = 0;
  for (let i = 0; i < logits.length; i++) sLoss += 2 * Math.abs(logits[i]!);
  sLoss = (sLoss + N * Math.log(K)) / N;
  return { grads: tol, loss: g2 * sLoss, L };
}

/** Parameters after p -= lr·g: the gradient's allowance times lr, plus the update's own roundings. */
function afterTolerance(before: Dict, gradTol: Dict, grads: Dict): Dict {
  const out: Dict = {};
  for (const [k, t] of Object.entries(gradTol)) {
    out[k] = Float32Array.from(t, (v, i) => LR * v + 4 * U * (Math.abs(before[k]![i]!) + LR * Math.abs(grads[k]![i]!)));
  }
  return out;
}

function compare(label: string, got: StepResult, ref: StepResult, spec: Spec, state: Dict, tol: ReturnType<typeof tolerances>) {
  expectCloseScalar(got.loss, ref.loss, { atol: tol.loss }, `${label}: loss`);
  for (const key of Object.keys(tol.grads)) {
    expectClose(got.grads[key], ref.grads[key]!, { atol: tol.grads[key] }, `${label}: gradient ${key}`);
  }
  const tAfter = afterTolerance(state, tol.grads, ref.grads);
  for (const key of Object.keys(tAfter)) {
    expectClose(got.after[key], ref.after[key]!, { atol: tAfter[key] }, `${label}: ${key} after the SGD step`);
  }
  expect(Object.keys(got.grads).sort(), `${label}: the same parameters`).toEqual(Object.keys(ref.grads).sort());
}

const labs = new Map<boolean, Lab>();
beforeAll(async () => {
  for (const simd of MODULES) labs.set(simd, await loadLab({ simd }));
});

for (const spec of MODELS as Spec[]) {
  describe(`benchmark baselines, ${spec.name} (batch ${spec.batch})`, () => {
    const state = initialState(spec.sizes, 1) as Dict;
    const { x, y } = makeBatch(spec.sizes, spec.batch, 2) as { x: Float32Array; y: Int32Array };
    const plain = new PlainMLP(spec.sizes, state, { lr: LR });
    const plainResult: StepResult = { loss: plain.step(x, y, spec.batch), grads: plain.gradients(), after: plain.stateDict() };
    const tol = tolerances(spec, plain, x, y);

    for (const simd of MODULES) {
      it(`plain JavaScript matches the engine (${simd ? 'SIMD' : 'scalar'} build)`, () => {
        const ours = engineStep(labs.get(simd)!, spec, state, x, y);
        compare(`plain vs engine (${simd ? 'SIMD' : 'scalar'})`, plainResult, ours, spec, state, tol);
      });
    }

    for (const backend of ['wasm', 'cpu'] as const) {
      it(`TF.js ${backend} matches the engine`, async (ctx) => {
        const loaded = await tfWithin(10_000);
        if (!loaded.tf) ctx.skip(loaded.reason);
        const tf = loaded.tf!;
        await tf.setBackend(backend);
        const model = new TfMLP(tf, backend, spec.sizes, state, { lr: LR });
        const r = model.step(x, y, spec.batch, true) as { loss: number; grads: Dict };
        const tfResult: StepResult = { loss: r.loss, grads: r.grads, after: model.stateDict() };
        model.dispose();
        const ours = engineStep(labs.get(true)!, spec, state, x, y);
        compare(`TF.js ${backend} vs engine`, tfResult, ours, spec, state, tol);
      }, 60_000);
    }
  });
}

// The CNN of section 9: TF.js computes it in its own layouts (NHWC, [k, k, IN, OUT] filters, a
// permuted Linear), so a slip in any of those permutations shows here as gradients that differ
// by O(1), far outside float32 round-off. Sums run over up to N·H·W = 50,176 terms, in a different
// order in each implementation: the gradients are compared norm-wise (‖a − b‖ / ‖b‖), as the
// CNN trajectories of cnn-fixtures.test.ts are.
describe(`benchmark baselines, ${CNN.name} (batch ${CNN.batch})`, () => {
  const state = cnnInitialState(CNN, 1) as Dict;
  const { x, y } = makeImageBatch(CNN, 2) as { x: Float32Array; y: Int32Array };
  const TAU = 2e-5;
  const engineCnn = (lab: Lab) => {
    const { convs, linear } = cnnLayout(CNN) as { convs: { in: number; out: number; k: number }[]; linear: { in: number; out: number } };
    const layers = [
      ...convs.flatMap((c) => [new lab.Conv2d(c.in, c.out, c.k, { padding: (c.k - 1) / 2 }), new lab.BatchNorm2d(c.out), new lab.ReLU(), new lab.MaxPool2d(2)]),
      new lab.Flatten(),
      new lab.Linear(linear.in, linear.out),
    ];
    const model = new lab.Sequential(layers);
    model.loadStateDict(state);
    const logits = model.forward(x, [CNN.batch, 1, CNN.side, CNN.side]);
    const { loss, grad } = lab.crossEntropy(logits, y, [CNN.batch, CNN.classes]);
    model.backward(grad, { inputGrad: false });
    const grads = gradientsOf(layers);
    model.dispose();
    return { loss, grads };
  };
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  // A conv bias right before BatchNorm has a gradient of exactly zero (BN subtracts the channel's
  // mean): what any implementation computes there is round-off. It is compared against the scale
  // of the gradients around it, the BN shift's (β's); every other gradient against its own norm.
  const convBeforeBn = new Map(cnnLayout(CNN).convs.map((c: { key: number; norm: number }) => [`${c.key}.bias`, `${c.norm}.bias`]));
  const diff = (key: string, a: Float32Array, b: Dict) => {
    const ref = b[key]!;
    let d = 0;
    for (let i = 0; i < ref.length; i++) d += (a[i]! - ref[i]!) ** 2;
    const scale = convBeforeBn.has(key) ? norm(b[convBeforeBn.get(key)!]!) : norm(ref);
    return Math.sqrt(d) / scale;
  };

  it('the SIMD and scalar builds agree on the step', () => {
    const [a, b] = MODULES.map((simd) => engineCnn(labs.get(simd)!));
    if (!b) return;
    expect(Math.abs(a!.loss - b.loss) / b.loss).toBeLessThan(1e-6);
    for (const k of Object.keys(b.grads)) expect(diff(k, a!.grads[k]!, b.grads), k).toBeLessThan(TAU);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`TF.js ${backend} matches the engine`, async (ctx) => {
      const loaded = await tfWithin(10_000);
      if (!loaded.tf) ctx.skip(loaded.reason);
      const tf = loaded.tf!;
      await tf.setBackend(backend);
      const model = new TfCNN(tf, backend, CNN, state, { lr: LR });
      const r = model.step(x, y, CNN.batch, true) as { loss: number; grads: Dict };
      model.dispose();
      const ours = engineCnn(labs.get(true)!);
      expect(Math.abs(r.loss - ours.loss) / ours.loss, 'loss').toBeLessThan(1e-6);
      expect(Object.keys(r.grads).sort()).toEqual(Object.keys(ours.grads).sort());
      for (const k of Object.keys(ours.grads)) expect(diff(k, r.grads[k]!, ours.grads), `gradient ${k}`).toBeLessThan(TAU);
      // and a conv bias before BN is (near) zero in both
      for (const [k, beta] of convBeforeBn) expect(norm(ours.grads[k]!) / norm(ours.grads[beta]!), `${k} ≈ 0`).toBeLessThan(TAU);
    }, 60_000);
  }
});

// TF.js loads once per file (its first load bundles it with Vite and compiles its wasm); past
// 10 s the TF.js comparisons are skipped rather than slowing the suite down.
let tfLoad: Promise<{ tf?: Awaited<ReturnType<typeof loadTf>>; reason?: string }> | null = null;
function tfWithin(ms: number) {
  tfLoad ??= Promise.race([
    loadTf().then((tf) => ({ tf })),
    new Promise<{ reason: string }>((resolve) =>
      setTimeout(() => resolve({ reason: `TF.js took more than ${ms / 1000} s to load (Vite bundle + wasm compile); comparison skipped` }), ms).unref(),
    ),
  ]);
  return tfLoad;
}

// bench/page.mjs (section 5 of the report) drives the lesson and the training lab in headless
// Chromium and finds what it times through init scripts (the engine's wasm instantiation, the
// elements' first render, the lab worker's progress messages). A change to the page can silently
// break that: run its --smoke mode (one load, 1-s windows: every path once, ~15–25 s) and check
// that every figure was found and section 5 formats. No timing is checked.
describe('page benchmark (bench/page.mjs --smoke)', () => {
  it('finds the first computed number, the wasm, the lab\'s steps and frames', async (ctx) => {
    if (!existsSync('/usr/bin/chromium')) ctx.skip('no /usr/bin/chromium (scripts/setup.sh --browser installs it)');
    const { stdout } = await promisify(execFile)(process.execPath, ['bench/page.mjs', '--smoke'], { maxBuffer: 64 << 20, timeout: 90_000 });
    const page = JSON.parse(stdout);
    const positive = (x: unknown, what: string) => expect(Number.isFinite(x) && (x as number) > 0, `${what}: ${x}`).toBe(true);
    for (const load of [...page.load.cold, ...page.load.warm]) {
      expect(load.firstText, 'μ of 2,4,4,4,5,5,7,9').toBe('5');
      for (const k of ['domContentLoaded', 'load', 'fcp', 'wasmFetched', 'wasmInstantiated', 'firstNumber', 'firstNumberFrame', 'firstScreenRendered']) positive(load[k], k);
      expect(load.firstNumber).toBeGreaterThanOrEqual(load.wasmInstantiated);
      expect(load.firstNumberFrame).toBeGreaterThanOrEqual(load.firstNumber);
    }
    positive(page.load.cold[0].resourceTiming.transferSize, 'bytes transferred');
    positive(page.lab.idle.fps, 'idle frames/s');
    expect(page.lab.settings.map((s: { name: string }) => s.name)).toEqual(['default', 'paper']);
    expect(page.lab.settings[1].state).toMatchObject({ dataset: 'digits', activation: 'sigmoid', neurons: 100 });
    for (const s of page.lab.settings) {
      expect(s.mode, 'the lab trains in its worker').toBe('worker');
      positive(s.stepsPerSecPerRun.median, `${s.name}: steps/s per run`);
      positive(s.frames.fps, `${s.name}: frames/s`);
    }
    const text = pageSection(page).join('\n');
    expect(text).toContain('FIRST COMPUTED NUMBER');
    expect(text).not.toMatch(/NaN|undefined/);
  }, 120_000);
});

// bench/lighthouse.mjs (the report's Lighthouse lines): one run of Lighthouse 12 on the lesson with
// Debian's Chromium, through the repository's own server. Checks that the report is read (scores
// in [0, 1], timings found) and that the lesson has no accessibility or best-practice finding;
// the performance score is the benchmark's business, not this test's.
describe('Lighthouse benchmark (bench/lighthouse.mjs --runs 1)', () => {
  it('reads the scores and timings of one run', async (ctx) => {
    if (!existsSync('/usr/bin/chromium')) ctx.skip('no /usr/bin/chromium (scripts/setup.sh --browser installs it)');
    const { stdout } = await promisify(execFile)(process.execPath, ['bench/lighthouse.mjs', '--runs', '1'], { maxBuffer: 16 << 20, timeout: 150_000 });
    const lh = JSON.parse(stdout);
    expect(lh.version).toMatch(/^12\./);
    expect(lh.runs).toHaveLength(1);
    const m = lh.median;
    expect(m.performance).toBeGreaterThan(0);
    expect(m.performance).toBeLessThanOrEqual(1);
    expect(m.accessibility).toBe(1);
    expect(m.bestPractices).toBe(1);
    for (const k of ['tbt', 'fcp', 'lcp', 'tti']) expect(Number.isFinite(m[k]) && m[k] >= 0, `${k}: ${m[k]}`).toBe(true);
    expect(m.lcp).toBeGreaterThanOrEqual(m.fcp);
  }, 180_000);
});

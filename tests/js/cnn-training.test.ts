// CNNs through the trainer, the jobs and the workers, on the SIMD and the scalar module, with the
// digits as [N, 1, 8, 8] images (loadDigits() gives height 8, width 8):
//  - a conv [4, 8] network learns with every normalization (test accuracy far above chance);
//  - it equals a hand-written loop over the public layers (Conv2d, the norms, pooling, Flatten,
//    Linear, SGD) step for step, bit for bit, so its state dict is PyTorch's nn.Sequential's;
//  - it is deterministic (same seeds, same numbers, in one call or several; worker results equal
//    runJob/runJobsInThread results bit for bit);
//  - watch: { layer, unit } on a conv block is that channel's activation input over the batch and
//    every position, replayed here through a prefix of the same layers;
//  - a huge learning rate is reported as diverged/divergedAt with finite data;
//  - bad conv/norm/groups options are TypeError/RangeError naming the argument, and the lab trains
//    exactly as before afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadLab, runJob, sweep, trainInWorker,
  type Dataset, type Lab, type Layer, type Normalization, type TrainerOptions, type TrainingJob, type TrainingResult,
} from '../../dist/index.js';
// runJobsInThread is not re-exported by the package entry; it lives beside runJob.
import { runJobsInThread } from '../../dist/jobs/job.js';
import { MODULES } from './helpers.js';

type Any = any;

const NORMS: readonly Normalization[] = ['none', 'batch', 'layer', 'group'];
const BATCH = 32;

/** The trainer's CNN on the digits: conv [4, 8] (3 × 3, padding 1, max pool 2), a hidden Linear of 32, 10 classes. */
function cnn(train: Dataset, test: Dataset | undefined, norm: Normalization | readonly Normalization[], extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    model: { sizes: [64, 32, 10], conv: { channels: [4, 8] }, norm, seed: 1 },
    train,
    ...(test ? { test } : {}),
    batchSize: BATCH,
    lr: 0.05,
    momentum: 0.9,
    dataSeed: 2,
    ...extra,
  };
}

/**
 * The PyTorch nn.Sequential the trainer documents for that CNN, written out by hand:
 *   [Conv2d(c_in, c, 3, padding=1) → norm → ReLU → MaxPool2d(2)] × 2 → Flatten → Linear(32, 32) → norm → ReLU → Linear(32, 10)
 * where norm is BatchNorm2d/1d, LayerNorm([C, H, W]) / LayerNorm(32), GroupNorm(groups, C) or nothing.
 */
function handBuilt(lab: Lab, norms: readonly Normalization[], groups = 2, pool: 'max' | 'avg' = 'max'): Layer[] {
  const pool2 = () => (pool === 'max' ? new lab.MaxPool2d(2) : new lab.AvgPool2d(2));
  const norm2d = (kind: Normalization, c: number, h: number, w: number): Layer[] =>
    kind === 'batch' ? [new lab.BatchNorm2d(c)] : kind === 'layer' ? [new lab.LayerNorm([c, h, w])] : kind === 'group' ? [new lab.GroupNorm(groups, c)] : [];
  const norm1d = (kind: Normalization, f: number): Layer[] =>
    kind === 'batch' ? [new lab.BatchNorm1d(f)] : kind === 'layer' ? [new lab.LayerNorm(f)] : kind === 'group' ? [new lab.GroupNorm(groups, f)] : [];
  return [
    new lab.Conv2d(1, 4, 3, { padding: 1 }), ...norm2d(norms[0]!, 4, 8, 8), new lab.ReLU(), pool2(),
    new lab.Conv2d(4, 8, 3, { padding: 1 }), ...norm2d(norms[1]!, 8, 4, 4), new lab.ReLU(), pool2(),
    new lab.Flatten(),
    new lab.Linear(32, 32), ...norm1d(norms[2]!, 32), new lab.ReLU(),
    new lab.Linear(32, 10),
  ];
}

// The state-dict keys and lengths of that CNN under each normalization, as torch names them.
const BN = (i: number, c: number) => ({ [`${i}.weight`]: c, [`${i}.bias`]: c, [`${i}.running_mean`]: c, [`${i}.running_var`]: c, [`${i}.num_batches_tracked`]: 1 });
const AFFINE = (i: number, c: number) => ({ [`${i}.weight`]: c, [`${i}.bias`]: c });
const W = (i: number, w: number, b: number) => ({ [`${i}.weight`]: w, [`${i}.bias`]: b });
const EXPECTED_STATE: Record<Normalization, Record<string, number>> = {
  none: { ...W(0, 36, 4), ...W(3, 288, 8), ...W(7, 1024, 32), ...W(9, 320, 10) },
  batch: { ...W(0, 36, 4), ...BN(1, 4), ...W(4, 288, 8), ...BN(5, 8), ...W(9, 1024, 32), ...BN(10, 32), ...W(12, 320, 10) },
  layer: { ...W(0, 36, 4), ...AFFINE(1, 4 * 8 * 8), ...W(4, 288, 8), ...AFFINE(5, 8 * 4 * 4), ...W(9, 1024, 32), ...AFFINE(10, 32), ...W(12, 320, 10) },
  group: { ...W(0, 36, 4), ...AFFINE(1, 4), ...W(4, 288, 8), ...AFFINE(5, 8), ...W(9, 1024, 32), ...AFFINE(10, 32), ...W(12, 320, 10) },
};

/** The first k layers of handBuilt(...), the others disposed: a prefix of the model. */
function prefixOf(layers: Layer[], k: number): Layer[] {
  for (const l of layers.slice(k)) l.dispose();
  return layers.slice(0, k);
}

function lengths(dict: Record<string, Float32Array>): Record<string, number> {
  return Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, v.length]));
}

/** The examples of batch s of a run (its batchIndices()) as an [N, 1, 8, 8] batch and its labels. */
function batchOf(x: Float32Array, y: Int32Array, indices: Int32Array, s: number): { bx: Float32Array; by: Int32Array } {
  const bx = new Float32Array(BATCH * 64);
  const by = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const e = indices[s * BATCH + i]!;
    bx.set(x.subarray(e * 64, e * 64 + 64), i * 64);
    by[i] = y[e]!;
  }
  return { bx, by };
}

/** numpy's default (linear) quantile of sorted values, computed as cpp/train/trainer.cpp does, rounded to float32. */
function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return Math.fround(sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!));
}

/** The 15th, 50th and 85th percentiles of channel `unit` of an [N, C, ...] tensor over N and every position. */
function channelPercentiles(t: Float32Array, n: number, c: number, unit: number): number[] {
  const per = t.length / (n * c);
  const values: number[] = [];
  for (let r = 0; r < n; r++) for (let q = 0; q < per; q++) values.push(t[(r * c + unit) * per + q]!);
  values.sort((a, b) => a - b);
  return [quantile(values, 0.15), quantile(values, 0.5), quantile(values, 0.85)];
}

function argmaxAccuracy(logits: Float32Array, y: Int32Array, k: number): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + best]!) best = j;
    if (best === y[i]) right++;
  }
  return right / y.length;
}

const METRICS = ['loss', 'batchAccuracy', 'percentiles', 'gradNorms', 'evalSteps', 'evalLoss', 'evalAccuracy'] as const;

function expectSameResult(a: TrainingResult, b: TrainingResult, label: string): void {
  expect(a.steps, `${label}: steps`).toBe(b.steps);
  for (const k of METRICS) {
    expect(a[k].length, `${label}: ${k} length`).toBe(b[k].length);
    expect(Array.from(a[k]), `${label}: ${k}`).toEqual(Array.from(b[k]));
  }
  expect([a.diverged, a.divergedAt, a.restoredToStep], `${label}: divergence`).toEqual([b.diverged, b.divergedAt, b.restoredToStep]);
}

const cnnJob = (norm: Normalization, steps = 300, extra: Record<string, unknown> = {}): TrainingJob => ({
  label: `cnn ${norm}`,
  dataset: { kind: 'digits' },
  trainer: {
    model: { sizes: [64, 32, 10], conv: { channels: [4, 8] }, norm, seed: 1 },
    batchSize: BATCH, lr: 0.05, momentum: 0.9, dataSeed: 2, evalEvery: 100,
    watch: { layer: 1, unit: 3 },
    ...extra,
  },
  steps,
  chunk: 100,
});

for (const simd of MODULES) {
  describe(`CNN training (${simd ? 'SIMD' : 'scalar'} module)`, () => {
    let lab: Lab;
    let train: Dataset;
    let test: Dataset;
    let x: Float32Array;
    let y: Int32Array;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
      ({ train, test } = await lab.loadDigits());
      expect([train.height, train.width, train.features, train.classes]).toEqual([8, 8, 64, 10]);
      x = train.x;
      y = train.y;
    });
    afterAll(() => {
      train?.dispose();
      test?.dispose();
    });

    describe('learns the digits as images', () => {
      for (const norm of NORMS) {
        it(`conv [4, 8], norm '${norm}': test accuracy ≥ 80% after 300 steps (chance: 10%)`, () => {
          const t = new lab.Trainer(cnn(train, test, norm, { evalEvery: 100 }));
          try {
            expect([t.hiddenLayers, t.weightLayers, t.linearLayers]).toEqual([3, 4, 2]);
            const m = t.run(300);
            expect(m.steps).toBe(300);
            expect(m.diverged).toBe(false);
            expect(Array.from(m.evalSteps)).toEqual([100, 200, 300]);
            expect(m.evalAccuracy[2]!).toBeGreaterThanOrEqual(0.8);
            // The loss falls: the last 50 steps average less than a third of the first 10.
            const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
            expect(mean(m.loss.slice(-50))).toBeLessThan(mean(m.loss.slice(0, 10)) / 3);
            // gradNorms: one per Conv2d and Linear per step, none zero at the start.
            expect(m.gradNorms.length).toBe(4 * 300);
            expect(Array.from(m.gradNorms.slice(0, 4)).every((g) => g > 0 && Number.isFinite(g))).toBe(true);
            // evaluate(): eval mode, the same weights, so the accuracy of the last evaluation (a float32 metric).
            expect(Math.fround(t.evaluate(test).accuracy)).toBe(m.evalAccuracy[2]);
          } finally {
            t.dispose();
          }
        });
      }
    });

    describe('is the nn.Sequential of its layers, step for step', () => {
      for (const norm of NORMS) {
        it(`norm '${norm}': PyTorch's state-dict keys; 30 steps equal a hand-written loop bit for bit; watch = the replayed percentiles`, () => {
          const t = new lab.Trainer(cnn(train, undefined, norm, { watch: { layer: 0, unit: 1 } }));
          const model = new lab.Sequential(handBuilt(lab, [norm, norm, norm]));
          const opt = new lab.SGD(model, { lr: 0.05, momentum: 0.9 });
          // The prefix of the model up to block 0's activation input (Conv2d, then the norm if any):
          // its keys are the full model's first ones, so the same dict loads into it.
          const prefix = new lab.Sequential(prefixOf(handBuilt(lab, [norm, norm, norm]), norm === 'none' ? 1 : 2));
          try {
            const start = t.stateDict();
            expect(lengths(start)).toEqual(EXPECTED_STATE[norm]);
            expect(Object.keys(start)).toEqual(Object.keys(EXPECTED_STATE[norm]));
            model.loadStateDict(start, { strict: true });
            const m = t.run(30);
            const indices = t.batchIndices();
            expect(indices.length).toBe(30 * BATCH);
            expect(m.percentiles.length).toBe(3 * 30);
            for (let s = 0; s < 30; s++) {
              const { bx, by } = batchOf(x, y, indices, s);
              const before = model.stateDict();
              prefix.loadStateDict(Object.fromEntries(Object.entries(before).filter(([k]) => Number(k.split('.')[0]) < (norm === 'none' ? 1 : 2))), { strict: true });
              const actInput = prefix.forward(bx, [BATCH, 1, 8, 8]);
              expect(actInput.length).toBe(BATCH * 4 * 64);
              expect(Array.from(m.percentiles.slice(3 * s, 3 * s + 3)), `step ${s + 1} percentiles`).toEqual(channelPercentiles(actInput, BATCH, 4, 1));
              opt.zeroGrad();
              const logits = model.forward(bx, [BATCH, 1, 8, 8]);
              const { loss, grad } = lab.crossEntropy(logits, by, [BATCH, 10]);
              model.backward(grad, { inputGrad: false });
              opt.step();
              expect(Math.fround(loss), `step ${s + 1} loss`).toBe(m.loss[s]);
            }
            const end = t.stateDict();
            const mine = model.stateDict();
            expect(Object.keys(mine)).toEqual(Object.keys(end));
            for (const key of Object.keys(end)) expect(Array.from(mine[key]!), key).toEqual(Array.from(end[key]!));
            // Eval mode: the trainer's model and the hand-built one give the same logits, and their
            // accuracy is evaluate()'s.
            model.eval();
            const view = t.model();
            view.eval(); // the trainer's model is in training mode between runs
            try {
              const tx = test.x;
              const mineOut = model.forward(tx, [test.size, 1, 8, 8]);
              expect(Array.from(view.forward(tx, [test.size, 1, 8, 8]))).toEqual(Array.from(mineOut));
              expect(argmaxAccuracy(mineOut, test.y, 10)).toBe(t.evaluate(test).accuracy);
            } finally {
              view.dispose();
            }
          } finally {
            prefix.dispose();
            opt.dispose();
            model.dispose();
            t.dispose();
          }
        });
      }

      it('watch on the second conv block and on the hidden Linear: their activation inputs, replayed', () => {
        // norm 'batch': block 1's activation input is layer 5 (BatchNorm2d(8) on [N, 8, 4, 4]),
        // the hidden block's is layer 10 (BatchNorm1d(32) on [N, 32]).
        for (const [layer, unit, upTo, channels] of [[1, 7, 6, 8], [2, 30, 11, 32]] as const) {
          const t = new lab.Trainer(cnn(train, undefined, 'batch', { watch: { layer, unit } }));
          const prefix = new lab.Sequential(prefixOf(handBuilt(lab, ['batch', 'batch', 'batch']), upTo));
          try {
            prefix.loadStateDict(Object.fromEntries(Object.entries(t.stateDict()).filter(([k]) => Number(k.split('.')[0]) < upTo)), { strict: true });
            const m = t.run(1);
            const { bx } = batchOf(x, y, t.batchIndices(), 0);
            const actInput = prefix.forward(bx, [BATCH, 1, 8, 8]);
            expect(actInput.length).toBe(BATCH * (layer === 1 ? 8 * 16 : 32));
            expect(Array.from(m.percentiles), `watch ${layer}/${unit}`).toEqual(channelPercentiles(actInput, BATCH, channels, unit));
          } finally {
            prefix.dispose();
            t.dispose();
          }
        }
      });

      it('histograms count every activation input of each block of the last batch', () => {
        const t = new lab.Trainer(cnn(train, undefined, 'group'));
        try {
          t.run(20);
          const h = t.histograms({ bins: 10, lo: -4, hi: 4 });
          expect(h.length).toBe(3 * 10);
          const rows = [0, 1, 2].map((r) => h.slice(10 * r, 10 * r + 10).reduce((s, c) => s + c, 0));
          // [N, 4, 8, 8], [N, 8, 4, 4] and [N, 32] values.
          expect(rows).toEqual([BATCH * 4 * 64, BATCH * 8 * 16, BATCH * 32]);
        } finally {
          t.dispose();
        }
      });

      it('a per-block norm list builds BatchNorm2d, GroupNorm(4) and LayerNorm in that order, and trains', () => {
        const norms: Normalization[] = ['batch', 'group', 'layer'];
        const t = new lab.Trainer({ ...cnn(train, test, norms, { evalEvery: 200 }), model: { sizes: [64, 32, 10], conv: { channels: [4, 8] }, norm: norms, groups: 4, seed: 1 } });
        const model = new lab.Sequential(handBuilt(lab, norms, 4));
        try {
          const dict = t.stateDict();
          expect(lengths(dict)).toEqual({ ...W(0, 36, 4), ...BN(1, 4), ...W(4, 288, 8), ...AFFINE(5, 8), ...W(9, 1024, 32), ...AFFINE(10, 32), ...W(12, 320, 10) });
          model.loadStateDict(dict, { strict: true });
          const m = t.run(200);
          expect(m.evalAccuracy[0]!).toBeGreaterThanOrEqual(0.8);
          // The trained weights run the same in the hand-built model (eval mode).
          model.loadStateDict(t.stateDict(), { strict: true });
          model.eval();
          expect(argmaxAccuracy(model.forward(test.x, [test.size, 1, 8, 8]), test.y, 10)).toBe(t.evaluate(test).accuracy);
          // None everywhere but the middle block: only layer 4 is a norm (GroupNorm(2, 8)).
          const u = new lab.Trainer({ ...cnn(train, undefined, ['none', 'group', 'none']) });
          expect(lengths(u.stateDict())).toEqual({ ...W(0, 36, 4), ...W(3, 288, 8), ...AFFINE(4, 8), ...W(8, 1024, 32), ...W(10, 320, 10) });
          u.dispose();
          // A one-entry list is the same as the string.
          const a = new lab.Trainer(cnn(train, undefined, ['layer']));
          const b = new lab.Trainer(cnn(train, undefined, 'layer'));
          expect(Array.from(a.run(10).loss)).toEqual(Array.from(b.run(10).loss));
          a.dispose();
          b.dispose();
        } finally {
          model.dispose();
          t.dispose();
        }
      });

      it('the options around it: 2-channel input, kernel 5, average and no pooling, 4 blocks down to 1 × 1', () => {
        // conv.input [2, 4, 8]: the same 64 values as two 4 × 8 channels.
        const two = new lab.Trainer({ ...cnn(train, undefined, 'none'), model: { sizes: [64, 32, 10], conv: { channels: [4, 8], input: [2, 4, 8] }, norm: 'none', seed: 1 } });
        expect(lengths(two.stateDict())).toEqual({ ...W(0, 4 * 2 * 9, 4), ...W(3, 288, 8), ...W(7, 32 * 8 * 1 * 2, 32), ...W(9, 320, 10) });
        expect(two.run(5).steps).toBe(5);
        two.dispose();
        // kernelSize 5 (padding 2), no pooling: Flatten sees 8 × 8 × 8 values.
        const big = new lab.Trainer({ ...cnn(train, undefined, 'none'), model: { sizes: [64, 32, 10], conv: { channels: [4, 8], kernelSize: 5, pool: 'none' }, norm: 'none', seed: 1 } });
        expect(lengths(big.stateDict())).toEqual({ ...W(0, 4 * 25, 4), ...W(2, 8 * 4 * 25, 8), ...W(5, 32 * 512, 32), ...W(7, 320, 10) });
        big.dispose();
        // Four blocks: 8 → 4 → 2 → 1, and no pooling of a 1 × 1 plane.
        const deep = new lab.Trainer({ ...cnn(train, undefined, 'batch'), model: { sizes: [64, 32, 10], conv: { channels: [4, 8, 8, 8] }, norm: 'batch', seed: 1 } });
        expect(Object.keys(deep.stateDict()).filter((k) => k.endsWith('.weight'))).toEqual(
          ['0.weight', '1.weight', '4.weight', '5.weight', '8.weight', '9.weight', '12.weight', '13.weight', '16.weight', '17.weight', '19.weight']);
        expect(deep.stateDict()['16.weight']!.length).toBe(32 * 8);
        deep.dispose();
        // pool 'avg' is AvgPool2d: the hand-built model with AvgPool2d gives the trainer's outputs.
        const avg = new lab.Trainer({ ...cnn(train, undefined, 'batch'), model: { sizes: [64, 32, 10], conv: { channels: [4, 8], pool: 'avg' }, norm: 'batch', seed: 1 } });
        const model = new lab.Sequential(handBuilt(lab, ['batch', 'batch', 'batch'], 2, 'avg'));
        try {
          avg.run(10);
          model.loadStateDict(avg.stateDict(), { strict: true });
          model.eval();
          const view = avg.model();
          view.eval();
          const out = view.forward(test.x, [test.size, 1, 8, 8]);
          view.dispose();
          expect(Array.from(model.forward(test.x, [test.size, 1, 8, 8]))).toEqual(Array.from(out));
        } finally {
          model.dispose();
          avg.dispose();
        }
      });
    });

    describe('determinism', () => {
      for (const norm of NORMS) {
        it(`norm '${norm}': the same options give the same numbers, in one call or three`, () => {
          const a = new lab.Trainer(cnn(train, test, norm, { evalEvery: 50, watch: { layer: 1, unit: 2 } }));
          const b = new lab.Trainer(cnn(train, test, norm, { evalEvery: 50, watch: { layer: 1, unit: 2 } }));
          const c = new lab.Trainer(cnn(train, test, norm, { evalEvery: 50, watch: { layer: 1, unit: 2 }, dataSeed: 3 }));
          try {
            const whole = a.run(150);
            const parts = [b.run(40), b.run(60), b.run(50)];
            expect(parts.map((p) => p.firstStep)).toEqual([1, 41, 101]);
            for (const k of METRICS) {
              expect(Array.from(whole[k]), k).toEqual(parts.flatMap((p) => Array.from(p[k])));
            }
            const sa = a.stateDict();
            const sb = b.stateDict();
            for (const key of Object.keys(sa)) expect(Array.from(sb[key]!), key).toEqual(Array.from(sa[key]!));
            // Another data seed: other batches, other losses (the comparison above can tell).
            const other = c.run(150);
            expect(Array.from(other.loss)).not.toEqual(Array.from(whole.loss));
          } finally {
            a.dispose();
            b.dispose();
            c.dispose();
          }
        });
      }

      it('every normalization starts from the same Conv2d and Linear weights for one seed', () => {
        const dicts = NORMS.map((norm) => {
          const t = new lab.Trainer(cnn(train, undefined, norm));
          const d = t.stateDict();
          t.dispose();
          return d;
        });
        const none = dicts[0]!;
        for (const d of dicts.slice(1)) {
          expect(Array.from(d['0.weight']!)).toEqual(Array.from(none['0.weight']!));
          expect(Array.from(d['4.weight']!)).toEqual(Array.from(none['3.weight']!));
          expect(Array.from(d['9.weight']!)).toEqual(Array.from(none['7.weight']!));
          expect(Array.from(d['12.weight']!)).toEqual(Array.from(none['9.weight']!));
        }
      });
    });

    describe('divergence', () => {
      for (const norm of NORMS) {
        it(`norm '${norm}', lr 1e4: diverged at a step, finite metrics and state, then run() refuses`, () => {
          const t = new lab.Trainer(cnn(train, test, norm, { lr: 1e4, evalEvery: 1, watch: { layer: 0, unit: 3 } }));
          try {
            const m = t.run(500);
            expect(m.diverged).toBe(true);
            expect(Number.isInteger(m.divergedAt)).toBe(true);
            expect([m.firstStep + m.steps, m.firstStep + m.steps - 1]).toContain(m.divergedAt);
            expect(m.steps).toBeLessThan(500);
            expect(t.divergedAt).toBe(m.divergedAt);
            expect(m.restoredToStep).toBe(t.restoredToStep);
            expect(m.restoredToStep).not.toBeNull();
            for (const k of METRICS) expect(m[k].every(Number.isFinite), k).toBe(true);
            expect(m.percentiles.length).toBe(3 * m.steps);
            for (const [key, value] of Object.entries(t.stateDict())) expect(value.every(Number.isFinite), key).toBe(true);
            expect(() => t.run(1)).toThrow(new RegExp(`diverged at step ${m.divergedAt}\\b`));
            expect(t.histograms().every(Number.isFinite)).toBe(true);
          } finally {
            t.dispose();
          }
        });
      }

      it('runJob reports it too', async () => {
        const r = await runJob(lab, cnnJob('batch', 400, { lr: 1e4 }));
        expect(r.diverged).toBe(true);
        expect(r.divergedAt).not.toBeNull();
        expect(r.steps).toBeLessThan(400);
        expect(r.loss.length).toBe(r.steps);
        expect(r.loss.every(Number.isFinite)).toBe(true);
      });
    });

    describe('bad options', () => {
      const model = { sizes: [64, 32, 10], conv: { channels: [4, 8] }, seed: 1 };
      const cases: [string, ErrorConstructor, RegExp, () => Record<string, unknown>][] = [
        ['conv.input [1, 8, 8] with sizes[0] = 32', RangeError, /opts\.model\.conv\.input \[1, 8, 8\] has 64 values but opts\.model\.sizes\[0\] is 32/, () => ({ ...model, sizes: [32, 32, 10], conv: { channels: [4, 8], input: [1, 8, 8] } })],
        ['conv.input [2, 8, 8] with sizes[0] = 64', RangeError, /opts\.model\.conv\.input/, () => ({ ...model, conv: { channels: [4, 8], input: [2, 8, 8] } })],
        ['conv.input of rank 2', RangeError, /opts\.model\.conv\.input must be \[C, H, W\]/, () => ({ ...model, conv: { channels: [4], input: [8, 8] } })],
        ['conv.input not an array', TypeError, /opts\.model\.conv\.input/, () => ({ ...model, conv: { channels: [4], input: '1,8,8' } })],
        ['conv.input [1, 0, 64]', RangeError, /opts\.model\.conv\.input/, () => ({ ...model, conv: { channels: [4], input: [1, 0, 64] } })],
        ['conv on a set without an image shape', RangeError, /opts\.model\.conv\.input is required/, () => ({ sizes: [2, 8, 2], conv: { channels: [4] } })],
        ['conv.kernelSize 4 (even)', RangeError, /opts\.model\.conv\.kernelSize must be odd/, () => ({ ...model, conv: { channels: [4, 8], kernelSize: 4 } })],
        ['conv.kernelSize 2.5', TypeError, /opts\.model\.conv\.kernelSize/, () => ({ ...model, conv: { channels: [4, 8], kernelSize: 2.5 } })],
        ['conv.kernelSize 17', RangeError, /opts\.model\.conv\.kernelSize/, () => ({ ...model, conv: { channels: [4, 8], kernelSize: 17 } })],
        ['conv.kernelSize 0', RangeError, /opts\.model\.conv\.kernelSize/, () => ({ ...model, conv: { channels: [4, 8], kernelSize: 0 } })],
        ['conv.pool "median"', RangeError, /opts\.model\.conv\.pool/, () => ({ ...model, conv: { channels: [4, 8], pool: 'median' } })],
        ['conv.pool 2', TypeError, /opts\.model\.conv\.pool/, () => ({ ...model, conv: { channels: [4, 8], pool: 2 } })],
        ['conv.channels missing', TypeError, /opts\.model\.conv\.channels/, () => ({ ...model, conv: {} })],
        ['conv.channels []', RangeError, /opts\.model\.conv\.channels must have 1 to 8 entries/, () => ({ ...model, conv: { channels: [] } })],
        ['conv.channels of 9 blocks', RangeError, /opts\.model\.conv\.channels/, () => ({ ...model, conv: { channels: [1, 1, 1, 1, 1, 1, 1, 1, 1] } })],
        ['conv.channels[1] = 0', RangeError, /opts\.model\.conv\.channels\[1\]/, () => ({ ...model, conv: { channels: [4, 0] } })],
        ['conv.channels[0] = 1.5', TypeError, /opts\.model\.conv\.channels\[0\]/, () => ({ ...model, conv: { channels: [1.5] } })],
        ['conv "3x3"', TypeError, /opts\.model\.conv/, () => ({ ...model, conv: '3x3' })],
        ['groups 3 with channels [4, 8]', RangeError, /groups \(3\) must divide the 4 channels of block 0/, () => ({ ...model, norm: 'group', groups: 3 })],
        ['groups 8 not dividing the hidden width 30', RangeError, /groups \(8\) must divide the 30 channels of block 2/, () => ({ ...model, norm: ['none', 'group', 'group'], groups: 8, sizes: [64, 30, 10] })],
        ['groups 0', RangeError, /opts\.model\.groups/, () => ({ ...model, norm: 'group', groups: 0 })],
        ['groups 1.5', TypeError, /opts\.model\.groups/, () => ({ ...model, norm: 'group', groups: 1.5 })],
        ['norm list longer than the 3 blocks', RangeError, /norm must be one choice or one per block \(3\), got 4/, () => ({ ...model, norm: ['batch', 'batch', 'batch', 'batch'] })],
        ['norm list shorter than the 3 blocks', RangeError, /norm must be one choice or one per block \(3\), got 2/, () => ({ ...model, norm: ['batch', 'layer'] })],
        ['norm list of 65 entries', RangeError, /opts\.model\.norm must have 1 to 64 entries/, () => ({ ...model, norm: new Array(65).fill('none') })],
        ['norm []', RangeError, /opts\.model\.norm/, () => ({ ...model, norm: [] })],
        ['norm "instance"', RangeError, /opts\.model\.norm must be one of none, batch, layer, group/, () => ({ ...model, norm: 'instance' })],
        ['norm 1', TypeError, /opts\.model\.norm/, () => ({ ...model, norm: 1 })],
        ['norm[1] = null', TypeError, /opts\.model\.norm\[1\]/, () => ({ ...model, norm: ['batch', null, 'none'] })],
        ['batchNorm true with norm "group"', RangeError, /opts\.model\.batchNorm contradicts opts\.model\.norm/, () => ({ ...model, batchNorm: true, norm: 'group' })],
        ['batchNorm false with norm "batch"', RangeError, /opts\.model\.batchNorm contradicts/, () => ({ ...model, batchNorm: false, norm: 'batch' })],
        ['batchNorm true with a mixed list', RangeError, /opts\.model\.batchNorm contradicts/, () => ({ ...model, batchNorm: true, norm: ['batch', 'batch', 'none'] })],
        ['watch.unit 4 on conv block 0 (4 channels)', RangeError, /watchUnit/, () => ({ ...model, watch: { layer: 0, unit: 4 } })],
        ['watch.layer 3 of 3 blocks', RangeError, /watchLayer/, () => ({ ...model, watch: { layer: 3, unit: 0 } })],
      ];

      it('each is the right error class, names the argument, leaks nothing, and the lab trains exactly as before', () => {
        const toy = lab.toyDataset('xor', { n: 64, seed: 1 });
        const reference = new lab.Trainer(cnn(train, test, 'group', { evalEvery: 20 }));
        const before = reference.run(40);
        reference.dispose();
        const live = lab.memory.liveObjects;
        try {
          for (const [name, cls, pattern, make] of cases) {
            const m = make();
            // watch goes on the trainer options, not the model.
            const { watch, ...modelOpts } = m as { watch?: unknown };
            const data = name.includes('image shape') ? toy : train;
            let thrown: unknown;
            try {
              new lab.Trainer({ model: modelOpts as Any, train: data, lr: 0.1, ...(watch ? { watch: watch as Any } : {}) }).dispose();
            } catch (e) {
              thrown = e;
            }
            expect(thrown, `${name}: nothing thrown`).toBeDefined();
            expect((thrown as Error).constructor, `${name}: ${String(thrown)}`).toBe(cls);
            expect((thrown as Error).message, name).toMatch(pattern);
            expect(lab.memory.liveObjects, `${name}: a failed constructor left an object`).toBe(live);
          }
          // The same trainer afterwards: the same numbers.
          const again = new lab.Trainer(cnn(train, test, 'group', { evalEvery: 20 }));
          const after = again.run(40);
          again.dispose();
          for (const k of METRICS) expect(Array.from(after[k]), k).toEqual(Array.from(before[k]));
        } finally {
          toy.dispose();
        }
      });

      it('the valid neighbours of those cases are accepted', () => {
        const ok = (m: Record<string, unknown>) => {
          const t = new lab.Trainer({ model: m as Any, train, lr: 0.05 });
          const r = t.run(2);
          t.dispose();
          return r.steps;
        };
        expect(ok({ ...model, conv: { channels: [4, 8], input: [1, 8, 8] } })).toBe(2);
        expect(ok({ ...model, conv: { channels: [4, 8], kernelSize: 1 } })).toBe(2);
        expect(ok({ ...model, conv: { channels: [4, 8], kernelSize: 9 } })).toBe(2);
        expect(ok({ ...model, norm: 'group', groups: 4 })).toBe(2);
        expect(ok({ ...model, norm: ['batch', 'batch', 'batch'], batchNorm: true })).toBe(2);
        expect(ok({ ...model, norm: 'none', batchNorm: false })).toBe(2);
        expect(ok({ ...model, conv: { channels: [1, 1, 1, 1, 1, 1, 1, 1] } })).toBe(2);
      });

      it('a bad CNN job is a rejected runJob with the same error', async () => {
        await expect(runJob(lab, cnnJob('batch', 10, { model: { ...model, conv: { channels: [4, 8], kernelSize: 4 } } }))).rejects.toThrow(RangeError);
        const live = lab.memory.liveObjects;
        await expect(runJob(lab, cnnJob('batch', 10, { model: { ...model, norm: 'group', groups: 3 } }))).rejects.toThrow(/groups \(3\) must divide/);
        expect(lab.memory.liveObjects).toBe(live); // neither the job's datasets nor a trainer are left behind
      });
    });

    describe('jobs and workers', () => {
      it('runJobsInThread gives runJob\'s results for each job, and stop() ends the list', async () => {
        const live = lab.memory.liveObjects;
        const jobs = NORMS.map((n) => cnnJob(n, 200));
        const seen: number[] = [];
        const results = await runJobsInThread(lab, jobs, { onResult: (i) => seen.push(i) });
        expect(seen).toEqual([0, 1, 2, 3]);
        for (const [i, job] of jobs.entries()) {
          expect(results[i]!.label).toBe(job.label);
          expectSameResult(results[i]!, await runJob(lab, job), job.label!);
        }
        // watch { layer: 1, unit: 3 }: percentiles of the second conv block every step.
        expect(results[1]!.percentiles.length).toBe(3 * 200);
        // stop() is asked before each job and after each chunk: false, then true after the first
        // chunk of the first job, which ends cancelled at step 100, and the list with it.
        let calls = 0;
        const stopped = await runJobsInThread(lab, jobs, { stop: () => ++calls > 1 });
        expect(stopped.length).toBe(1);
        expect(stopped[0]!.cancelled).toBe(true);
        expect(stopped[0]!.steps).toBe(100);
        expect(Array.from(stopped[0]!.loss)).toEqual(Array.from(results[0]!.loss.slice(0, 100)));
        expect(lab.memory.liveObjects).toBe(live);
      }, 60_000);

      it('trainInWorker gives exactly the in-thread result, progress per chunk', async () => {
        const job = cnnJob('batch', 300);
        const here = await runJob(lab, job);
        const progress: number[] = [];
        const task = await trainInWorker(job, { simd, onProgress: (p) => progress.push(p.step) });
        const there = await task.result;
        expect(progress).toEqual([100, 200, 300]);
        expect(there.cancelled).toBe(false);
        expectSameResult(there, here, 'worker vs in-thread');
        expect(there.evalAccuracy[2]!).toBeGreaterThanOrEqual(0.8);
      }, 60_000);

      it('sweep over the four normalizations in two workers equals runJob for each', async () => {
        const jobs = NORMS.map((n) => cnnJob(n, 200));
        const done: number[] = [];
        const results = await sweep(jobs, { workers: 2, simd, onResult: (i) => done.push(i) });
        expect(done.sort()).toEqual([0, 1, 2, 3]);
        for (const [i, job] of jobs.entries()) {
          expect(results[i]!.label).toBe(job.label);
          expectSameResult(results[i]!, await runJob(lab, job), job.label!);
        }
        // They differ from each other: the normalization is really applied in the worker.
        expect(Array.from(results[0]!.loss)).not.toEqual(Array.from(results[1]!.loss));
      }, 120_000);

      it('a bad CNN job rejects in the worker with the right error class', async () => {
        const task = await trainInWorker(cnnJob('batch', 10, { model: { sizes: [64, 32, 10], conv: { channels: [4, 8], kernelSize: 4 } } }), { simd });
        await expect(task.result).rejects.toThrow(RangeError);
        const again = await trainInWorker(cnnJob('batch', 10, { model: { sizes: [64, 32, 10], conv: { channels: [4, 8] }, norm: ['batch', 'batch'] } }), { simd });
        await expect(again.result).rejects.toThrow(/norm must be one choice or one per block/);
      }, 60_000);

      it('a diverging CNN job is reported the same way in a worker', async () => {
        const job = cnnJob('layer', 300, { lr: 1e4 });
        const there = await (await trainInWorker(job, { simd })).result;
        expect(there.diverged).toBe(true);
        expectSameResult(there, await runJob(lab, job), 'diverging job');
      }, 60_000);
    });
  });
}

describe('CNN training on the SIMD and the scalar build', () => {
  it('gives the same run within float round-off, for every normalization', async () => {
    const a = await loadLab({ simd: true });
    const b = await loadLab({ simd: false });
    const da = await a.loadDigits();
    const db = await b.loadDigits();
    try {
      for (const norm of NORMS) {
        const ra = new a.Trainer(cnn(da.train, undefined, norm)).run(50);
        const rb = new b.Trainer(cnn(db.train, undefined, norm)).run(50);
        // Different summation orders in the kernels: each step's loss differs by round-off that
        // training carries forward; after 50 steps it stays far below the loss's own changes
        // (the bound of trainer.test.ts).
        ra.loss.forEach((l, i) => expect(Math.abs(l - rb.loss[i]!), `${norm}: step ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, l)));
      }
    } finally {
      for (const d of [da, db]) {
        d.train.dispose();
        d.test.dispose();
      }
    }
  });
});

// Kernels wider than the planes they reach: the trainer pads by k/2, so kernelSize 15 on the
// second block's 4 × 4 planes, or kernelSize 7 on a third block's 2 × 2, has taps that see only
// padding. Valid configurations (the trainer accepts them), so they must train. Each build gets
// a lab of its own: a wasm trap here would leave the module unusable for the tests above.
describe('kernels wider than the image', () => {
  for (const simd of MODULES) {
    for (const [channels, kernelSize] of [[[4, 8], 15], [[4, 8, 8], 7], [[4], 15]] as const) {
      it(`${simd ? 'SIMD' : 'scalar'}: conv ${JSON.stringify(channels)}, kernelSize ${kernelSize} trains with finite losses`, async () => {
        const lab = await loadLab({ simd });
        const { train, test } = await lab.loadDigits();
        try {
          const t = new lab.Trainer({ ...cnn(train, undefined, 'batch'), model: { sizes: [64, 32, 10], conv: { channels, kernelSize }, norm: 'batch', seed: 1 } });
          const m = t.run(5);
          expect(m.steps).toBe(5);
          expect(m.loss.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
          expect(t.stateDict()['0.weight']!.length).toBe(4 * kernelSize * kernelSize);
          t.dispose();
        } finally {
          train.dispose();
          test.dispose();
        }
      });
    }
  }
});

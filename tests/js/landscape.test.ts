// Trainer.probeLandscape (Santurkar et al.'s loss-landscape measurements), the noisy BatchNorm
// option (opts.model.noise), runJob's `landscape` and the presets of <bn-landscape>
// (web/src/jobs/presets.ts). The C++ side (tests/cpp/nn_landscape_test.cpp) checks the numbers
// against a training step and first-order Taylor; here: the API, its errors, and that measuring
// a run does not change it, through every layer a page uses.
import { describe, expect, it } from 'vitest';
import { loadLab, runJob, sweep, trainInWorker } from '../../dist/index.js';
import {
  LANDSCAPE_DEFAULTS, LANDSCAPE_EVERY, LANDSCAPE_RUNS, LANDSCAPE_STEP_MULTIPLES, landscapeJob, median, medianMovement,
} from '../../dist/jobs/presets.js';

const base = async () => {
  const lab = await loadLab();
  const { train, test } = await lab.loadDigits();
  return { lab, train, test, opts: { model: { sizes: [64, 32, 32, 10], norm: 'batch' as const, seed: 2 }, train, test, lr: 0.1, batchSize: 32, dataSeed: 4 } };
};

describe('Trainer.probeLandscape', () => {
  it('summarises the losses and gradient changes it measured', async () => {
    const { lab, opts } = await base();
    const t = new lab.Trainer(opts);
    t.run(20);
    const p = t.probeLandscape([0.05, 0.1, 0.2]);
    expect(Array.from(p.stepSizes)).toEqual([0.05, 0.1, 0.2].map(Math.fround));
    expect(p.losses.length).toBe(3);
    expect(p.gradientChanges.length).toBe(3);
    expect(p.loss).toBeGreaterThan(0);
    expect(p.gradientNorm).toBeGreaterThan(0);
    const all = [p.loss, ...p.losses];
    expect(p.lossRange).toBe(Math.max(...all) - Math.min(...all));
    expect(p.gradientPredictiveness).toBe(Math.max(...p.gradientChanges));
    const betas = Array.from(p.gradientChanges, (g, i) => g / (p.stepSizes[i]! * p.gradientNorm));
    expect(p.betaSmoothness).toBe(Math.max(...betas));
    // Small steps along the gradient go downhill, and the gradient changes more the further it moves.
    expect(p.losses[0]).toBeLessThan(p.loss);
    expect(p.gradientChanges[0]).toBeLessThan(p.gradientChanges[2]!);
    t.dispose();
  });

  it('leaves the run exactly as it was', async () => {
    const { lab, opts } = await base();
    for (const model of [opts.model, { ...opts.model, noise: { shift: 0.5, scale: 2 } }, { ...opts.model, norm: 'none' as const }]) {
      const a = new lab.Trainer({ ...opts, model });
      const b = new lab.Trainer({ ...opts, model });
      const la: number[] = [];
      const lb: number[] = [];
      for (let k = 0; k < 4; k++) {
        b.probeLandscape([0.1, 1]);
        la.push(...a.run(10).loss);
        lb.push(...b.run(10).loss);
      }
      expect(lb).toEqual(la);
      expect(b.stateDict()).toEqual(a.stateDict());
      a.dispose();
      b.dispose();
    }
  });

  it('refuses bad step sizes with errors that name them, and keeps working', async () => {
    const { lab, opts } = await base();
    const t = new lab.Trainer(opts);
    expect(() => t.probeLandscape(0.1 as unknown as number[])).toThrow(TypeError);
    expect(() => t.probeLandscape(null as unknown as number[])).toThrow(/stepSizes/);
    expect(() => t.probeLandscape([])).toThrow(RangeError);
    expect(() => t.probeLandscape(new Array(65).fill(0.1))).toThrow(/1 to 64/);
    expect(() => t.probeLandscape([0.1, 0])).toThrow(/stepSizes\[1\]/);
    expect(() => t.probeLandscape([-1])).toThrow(RangeError);
    expect(() => t.probeLandscape([NaN])).toThrow(/stepSizes\[0\]/);
    expect(() => t.probeLandscape([2000])).toThrow(RangeError);
    expect(() => t.probeLandscape(['0.1' as unknown as number])).toThrow(TypeError);
    expect(t.probeLandscape([0.1]).loss).toBeGreaterThan(0);
    expect(t.run(5).steps).toBe(5);
    t.dispose();
    expect(() => t.probeLandscape([0.1])).toThrow(/after dispose/);
  });

  it('reports a blown-up step as Infinity, never NaN', async () => {
    const { lab, opts } = await base();
    const t = new lab.Trainer({ ...opts, model: { ...opts.model, norm: 'none' } });
    t.run(5);
    const p = t.probeLandscape([0.01, 1000]);
    for (const v of [p.loss, p.gradientNorm, ...p.losses, ...p.gradientChanges, p.lossRange, p.gradientPredictiveness, p.betaSmoothness]) {
      expect(Number.isNaN(v)).toBe(false);
    }
    expect(p.losses[1]).toBeGreaterThan(p.losses[0]!);
    t.dispose();
  });

  it('refuses a diverged run', async () => {
    const { lab, opts } = await base();
    const t = new lab.Trainer({ ...opts, model: { ...opts.model, norm: 'none' }, lr: 1e6 });
    expect(t.run(50).diverged).toBe(true);
    expect(() => t.probeLandscape([0.1])).toThrow(/diverged/);
    t.dispose();
  });
});

describe('noisy BatchNorm (opts.model.noise)', () => {
  it('is validated and needs a BatchNorm to follow', async () => {
    const { lab, opts } = await base();
    expect(() => new lab.Trainer({ ...opts, model: { ...opts.model, norm: 'layer', noise: { shift: 1 } } })).toThrow(/opts.model.noise.*BatchNorm/);
    expect(() => new lab.Trainer({ ...opts, model: { ...opts.model, noise: { shift: -1 } } })).toThrow(/opts.model.noise.shift/);
    expect(() => new lab.Trainer({ ...opts, model: { ...opts.model, noise: { scale: 0.5 } } })).toThrow(/opts.model.noise.scale/);
    expect(() => new lab.Trainer({ ...opts, model: { ...opts.model, noise: { scale: Infinity } } })).toThrow(RangeError);
    expect(() => new lab.Trainer({ ...opts, model: { ...opts.model, noise: 3 as unknown as { shift: number } } })).toThrow(TypeError);
    // No noise at all is fine without a BatchNorm.
    new lab.Trainer({ ...opts, model: { ...opts.model, norm: 'none', noise: { shift: 0, scale: 1 } } }).dispose();
  });

  it('moves the watched distribution every step but leaves eval mode and the weights alone', async () => {
    const { lab, opts, test } = await base();
    const watch = { layer: 1, unit: 0 };
    const clean = new lab.Trainer({ ...opts, watch });
    const noisy = new lab.Trainer({ ...opts, watch, model: { ...opts.model, noise: { shift: 1, scale: 3 } } });
    // Same initial weights and no extra state (the noise is a parameterless module of the
    // Sequential, like a ReLU, so the keys after it move up by one as they would in PyTorch).
    expect(Object.values(noisy.stateDict())).toEqual(Object.values(clean.stateDict()));
    expect(noisy.evaluate(test)).toEqual(clean.evaluate(test)); // eval mode: the identity
    const pc = clean.run(200).percentiles;
    const pn = noisy.run(200).percentiles;
    expect(medianMovement(pn)).toBeGreaterThan(2 * medianMovement(pc));
    expect(noisy.evaluate(test).accuracy).toBeGreaterThan(0.8); // and it still learns
    clean.dispose();
    noisy.dispose();
  });
});

describe('runJob with landscape', () => {
  it('measures every `every` steps, streams the points and trains as without', async () => {
    const lab = await loadLab();
    const job = { ...landscapeJob('batch', { ...LANDSCAPE_DEFAULTS, steps: 110 }), chunk: 40 };
    const streamed: number[] = [];
    const r = await runJob(lab, job, { onProgress: (p) => streamed.push(...(p.landscape ?? []).map((q) => q.step)) });
    expect(r.landscape!.map((q) => q.step)).toEqual([0, 25, 50, 75, 100]);
    expect(streamed).toEqual([0, 25, 50, 75, 100]);
    for (const q of r.landscape!) expect(q.lossRange).toBeGreaterThanOrEqual(0);
    const { landscape: _, ...plain } = job;
    const r2 = await runJob(lab, plain);
    expect(Array.from(r2.loss)).toEqual(Array.from(r.loss));
    expect(r2.landscape).toBeUndefined();
  });

  it('streams the same points from a worker and from a sweep as in this thread', async () => {
    const lab = await loadLab();
    const job = { ...landscapeJob('noisy', { ...LANDSCAPE_DEFAULTS, steps: 60 }), chunk: 30 };
    const here = await runJob(lab, job);
    const streamed: number[] = [];
    const task = await trainInWorker(job, { onProgress: (p) => streamed.push(...(p.landscape ?? []).map((q) => q.step)) });
    const there = await task.result;
    expect(streamed).toEqual([0, 25, 50]);
    expect(there.landscape).toEqual(here.landscape);
    const swept: number[] = [];
    const [s] = await sweep([job], { workers: 1, onProgress: (p) => swept.push(...(p.landscape ?? []).map((q) => q.step)) });
    expect(swept).toEqual([0, 25, 50]);
    expect(s!.landscape).toEqual(here.landscape);
    expect(Array.from(s!.loss)).toEqual(Array.from(here.loss));
  });

  it('refuses a bad landscape option', async () => {
    const lab = await loadLab();
    const job = landscapeJob('none', { ...LANDSCAPE_DEFAULTS, steps: 10 });
    await expect(runJob(lab, { ...job, landscape: { every: 0, stepSizes: [0.1] } })).rejects.toThrow(/job.landscape.every/);
    await expect(runJob(lab, { ...job, landscape: { every: 5, stepSizes: 0.1 as unknown as number[] } })).rejects.toThrow(/stepSizes/);
    await expect(runJob(lab, { ...job, landscape: { every: 5, stepSizes: [0] } })).rejects.toThrow(/stepSizes\[0\]/);
  });
});

describe('landscape presets', () => {
  it('describe three networks that differ only in their normalization', () => {
    expect(LANDSCAPE_RUNS).toEqual(['none', 'batch', 'noisy']);
    const [none, batch, noisy] = LANDSCAPE_RUNS.map((r) => landscapeJob(r));
    expect(none!.trainer.model.norm).toBe('none');
    expect(batch!.trainer.model.norm).toBe('batch');
    expect(noisy!.trainer.model.noise).toEqual({ shift: LANDSCAPE_DEFAULTS.noiseShift, scale: LANDSCAPE_DEFAULTS.noiseScale });
    expect(batch!.trainer.model.noise).toBeUndefined();
    expect(none!.landscape!.stepSizes).toEqual(LANDSCAPE_STEP_MULTIPLES.map((m) => m * LANDSCAPE_DEFAULTS.lr));
    expect(none!.landscape!.every).toBe(LANDSCAPE_EVERY);
    expect({ ...none!.trainer, model: {} }).toEqual({ ...noisy!.trainer, model: {} });
  });

  it('median and medianMovement', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([NaN, Infinity, 1])).toBe(1);
    expect(median([])).toBeNaN();
    expect(medianMovement([0, 1, 2, 0, 3, 4, 0, 2, 4])).toBe(1.5); // |3-1|, |2-3|
    expect(medianMovement([0, 1, 2])).toBeNaN();
  });
});

// The small-batch comparison's jobs (web/src/jobs/presets.ts, used by <bn-small-batches> and
// scripts/experiments/small-batches.mjs) and runJob's evalBatchStats: the test accuracy with
// training-mode statistics equals a hand-written loop over the trained model, equals the eval-mode
// accuracy for a network without BatchNorm (both modes are the same function there), and is
// validated.
import { describe, expect, it } from 'vitest';
import { loadLab, runJob } from '../../dist/index.js';
import { DIGITS_TRAIN_SIZE, SMALL_BATCH_NETS, SMALL_BATCH_NORMS, smallBatchJob } from '../../dist/jobs/presets.js';

describe('small-batch jobs', () => {
  it('count epochs over the shipped digits split', async () => {
    const lab = await loadLab();
    const { train, test } = await lab.loadDigits();
    expect(DIGITS_TRAIN_SIZE).toBe(train.size);
    const j = smallBatchJob('mlp', 'batch', 8, 2, 1);
    expect(j.steps).toBe(Math.ceil((2 * train.size) / 8));
    expect(j.trainer.lr).toBeCloseTo(0.05 * 8 / 32, 12);
    expect(j.evalBatchStats).toBe(true);
    expect(smallBatchJob('cnn', 'group', 8, 2, 1).evalBatchStats).toBe(false);
    expect(SMALL_BATCH_NETS).toEqual(['mlp', 'cnn']);
    expect(SMALL_BATCH_NORMS).toEqual(['batch', 'group', 'layer', 'none']);
    train.dispose();
    test.dispose();
  });

  it('measure BatchNorm with training-mode statistics as a hand-written loop does', async () => {
    const lab = await loadLab();
    for (const net of SMALL_BATCH_NETS) {
      const job = smallBatchJob(net, 'batch', 4, 1, 3);
      const r = await runJob(lab, job);
      // The same run by hand: train, then the test set in batches of 4, training mode.
      const { train, test } = await lab.loadDigits();
      const t = new lab.Trainer({ ...job.trainer, train, test });
      t.run(job.steps);
      expect(r.evalAccuracy.at(-1)).toBe(Math.fround(t.evaluate(test).accuracy));
      const m = t.model();
      m.train();
      const x = test.x;
      const shape = net === 'cnn' ? [4, 1, 8, 8] : [4, 64];
      let right = 0;
      let seen = 0;
      for (let at = 0; at + 4 <= test.size; at += 4) {
        const z = m.forward(x.subarray(at * 64, (at + 4) * 64), shape);
        for (let k = 0; k < 4; k++) {
          const row = Array.from(z.subarray(k * 10, k * 10 + 10));
          if (row.indexOf(Math.max(...row)) === test.y[at + k]) right++;
        }
        seen += 4;
      }
      expect(r.batchStatsAccuracy).toBe(right / seen);
      // At batch 4 the two modes of a BatchNorm1d network differ.
      if (net === 'mlp') expect(r.batchStatsAccuracy).not.toBe(r.evalAccuracy.at(-1));
      for (const o of [m, t, train, test]) o.dispose();
    }
  });

  it('give the eval-mode accuracy for a network without BatchNorm (the two modes are one function)', async () => {
    const lab = await loadLab();
    const r = await runJob(lab, { ...smallBatchJob('mlp', 'none', 16, 1, 2), evalBatchStats: true });
    expect(r.batchStatsAccuracy).toBeCloseTo(r.evalAccuracy.at(-1)!, 1); // the partial last batch is left out
    const g = await runJob(lab, { ...smallBatchJob('mlp', 'group', 8, 1, 2), evalBatchStats: true });
    expect(g.batchStatsAccuracy).toBeCloseTo(g.evalAccuracy.at(-1)!, 1);
  });

  it('rejects a bad evalBatchStats and reports null after a divergence', async () => {
    const lab = await loadLab();
    const job = smallBatchJob('mlp', 'batch', 8, 1, 1);
    for (const evalBatchStats of [1, 'yes', {}]) {
      await expect(runJob(lab, { ...job, evalBatchStats } as never)).rejects.toThrow(/job\.evalBatchStats must be true or false/);
    }
    const blown = await runJob(lab, { ...smallBatchJob('mlp', 'none', 8, 1, 1), evalBatchStats: true, trainer: { ...job.trainer, model: { sizes: [64, 100, 10], norm: 'none' }, lr: 1e6 } });
    expect(blown.diverged).toBe(true);
    expect(blown.batchStatsAccuracy).toBeNull();
  });
});

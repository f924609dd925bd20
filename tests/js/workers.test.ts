// Training off the main thread (Node worker_threads here; the same worker.js runs as a module
// Web Worker in the page's browser tests): results equal in-thread runs, and pause, resume,
// cancel and sweeps behave.
import { describe, expect, it } from 'vitest';
import { loadLab, runJob, sweep, trainInWorker, type TrainingJob } from '../../dist/index.js';

const job = (lr: number, batchNorm: boolean, steps = 300): TrainingJob => ({
  label: `lr=${lr} bn=${batchNorm}`,
  dataset: { kind: 'toy', name: 'spiral', n: 300, testN: 200, noise: 0.1, seed: 4 },
  trainer: { model: { sizes: [2, 16, 16, 2], batchNorm, seed: 9 }, batchSize: 30, lr, momentum: 0.9, dataSeed: 5, evalEvery: 50 },
  steps,
  chunk: 100,
});

describe('workers', () => {
  it('give exactly the in-thread results', async () => {
    const lab = await loadLab();
    const here = await runJob(lab, job(0.1, true));
    const progress: number[] = [];
    const task = await trainInWorker(job(0.1, true), { onProgress: (p) => progress.push(p.step) });
    const there = await task.result;
    expect(progress).toEqual([100, 200, 300]);
    expect(there.steps).toBe(300);
    expect(Array.from(there.loss)).toEqual(Array.from(here.loss));
    expect(Array.from(there.evalAccuracy)).toEqual(Array.from(here.evalAccuracy));
  });

  it('pause, resume and cancel a run', async () => {
    let task!: Awaited<ReturnType<typeof trainInWorker>>;
    const seen: number[] = [];
    let resumed = false;
    task = await trainInWorker(job(0.1, false, 5000), {
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 100) {
          task.pause();
          // While paused no progress arrives; resume after a pause long enough to notice.
          setTimeout(() => {
            expect(seen.at(-1)).toBe(100);
            resumed = true;
            task.resume();
          }, 300);
        }
        if (p.step === 300) task.cancel();
      },
    });
    const r = await task.result;
    expect(resumed).toBe(true);
    expect(r.cancelled).toBe(true);
    expect(r.steps).toBe(300);
    expect(r.loss.length).toBe(300);
  });

  it('sweep learning rates with and without BatchNorm in parallel workers', async () => {
    const jobs = [0.01, 0.1, 1].flatMap((lr) => [job(lr, false, 200), job(lr, true, 200)]);
    const done: number[] = [];
    const results = await sweep(jobs, { workers: 2, onResult: (i) => done.push(i) });
    expect(results.map((r) => r.label)).toEqual(jobs.map((j) => j.label));
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of results) expect(r.diverged || r.steps === 200).toBe(true);
    const lab = await loadLab();
    const check = await runJob(lab, jobs[3]!);
    expect(Array.from(results[3]!.loss)).toEqual(Array.from(check.loss));
  });

  it('report a bad job as a rejected promise with the right error class', async () => {
    const bad = { ...job(0.1, true), trainer: { ...job(0.1, true).trainer, batchSize: 1 } };
    const task = await trainInWorker(bad);
    await expect(task.result).rejects.toThrow(RangeError);
  });
});

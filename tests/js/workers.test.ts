// Training off the main thread (Node worker_threads here; the same worker.js runs as a module
// Web Worker in the page's browser tests): results equal in-thread runs, and pause, resume,
// cancel and sweeps behave.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

  it('measure the finished network on its training set in eval mode when asked (evalTrainSet)', async () => {
    const lab = await loadLab();
    const plain = await runJob(lab, job(0.1, true));
    expect(plain.trainEval).toBeUndefined();
    const all = await runJob(lab, { ...job(0.1, true), evalTrainSet: true });
    // The same run (training is untouched by the measurement), and the figures are those of
    // Trainer.evaluate on the job's training set after the last step.
    expect(Array.from(all.loss)).toEqual(Array.from(plain.loss));
    const j = job(0.1, true);
    const train = lab.toyDataset('spiral', { n: 300, noise: 0.1, seed: 4 });
    const test = lab.toyDataset('spiral', { n: 200, noise: 0.1, seed: 5 });
    const t = new lab.Trainer({ ...j.trainer, train, test });
    t.run(300);
    expect(all.trainEval).toEqual(t.evaluate(train));
    const some = await runJob(lab, { ...j, evalTrainSet: 50 });
    expect(some.trainEval).toEqual(t.evaluate(train, { limit: 50 }));
    expect(some.trainEval).not.toEqual(all.trainEval);
    // In a worker, the same numbers.
    const there = await (await trainInWorker({ ...j, evalTrainSet: true })).result;
    expect(there.trainEval).toEqual(all.trainEval);
    // After a divergence there is no finished network to measure.
    const blown = await runJob(lab, { ...job(1e6, false), evalTrainSet: true });
    expect(blown.diverged).toBe(true);
    expect(blown.trainEval).toBeNull();
    for (const o of [t, train, test]) o.dispose();
  });

  it('pause, resume and cancel a run', async () => {
    // Messages cross threads: the worker may finish the chunk it had started before a pause or a
    // cancel reaches it (one chunk is 100 steps), but never more than that one.
    let task!: Awaited<ReturnType<typeof trainInWorker>>;
    const seen: number[] = [];
    let pausedAt = -1;
    let quietWhilePaused: boolean | null = null;
    let cancelledAt = -1;
    task = await trainInWorker(job(0.1, false, 5000), {
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 100) {
          task.pause();
          // Let any chunk in flight arrive, then watch a while: nothing may come until resume.
          setTimeout(() => {
            pausedAt = seen.at(-1)!;
            setTimeout(() => {
              quietWhilePaused = seen.at(-1) === pausedAt;
              task.resume();
            }, 400);
          }, 200);
        }
        if (p.step >= 300 && cancelledAt < 0) {
          cancelledAt = p.step;
          task.cancel();
        }
      },
    });
    const r = await task.result;
    expect(pausedAt === 100 || pausedAt === 200, `paused at ${pausedAt}`).toBe(true);
    expect(quietWhilePaused).toBe(true);
    expect(seen.at(-1)!, 'steps went on after the resume').toBeGreaterThanOrEqual(300);
    expect(r.cancelled).toBe(true);
    expect(r.steps === cancelledAt || r.steps === cancelledAt + 100, `cancelled at ${cancelledAt}, stopped at ${r.steps}`).toBe(true);
    expect(r.loss.length).toBe(r.steps);
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

  it('stop a sweep with an AbortSignal: running jobs stop after their chunk, no further job starts', async () => {
    // Four long jobs on two workers: abort once the first progress arrives. The two running jobs
    // end cancelled within a chunk or two of the abort; jobs 2 and 3 never start.
    const jobs = [0.01, 0.02, 0.03, 0.04].map((lr) => job(lr, true, 20_000));
    const stop = new AbortController();
    let abortedAt = -1;
    const started = Date.now();
    const results = await sweep(jobs, {
      workers: 2,
      signal: stop.signal,
      onProgress: (p) => {
        if (abortedAt < 0) {
          abortedAt = p.step;
          stop.abort();
        }
      },
    });
    expect(abortedAt).toBe(100);
    expect(results.map((r) => r.label)).toEqual(jobs.slice(0, 2).map((j) => j.label));
    for (const r of results) {
      expect(r.cancelled).toBe(true);
      expect(r.steps).toBeLessThanOrEqual(300);
      expect(r.loss.length).toBe(r.steps);
    }
    expect(Date.now() - started, 'a whole 20,000-step job would take far longer').toBeLessThan(20_000);
    // Aborted before it starts: no worker, no result.
    expect(await sweep(jobs, { signal: AbortSignal.abort() })).toEqual([]);
    await expect(sweep(jobs, { signal: {} as AbortSignal })).rejects.toThrow(/opts\.signal must be an AbortSignal/);
  });

  it('report a bad job as a rejected promise with the right error class', async () => {
    const bad = { ...job(0.1, true), trainer: { ...job(0.1, true).trainer, batchSize: 1 } };
    const task = await trainInWorker(bad);
    await expect(task.result).rejects.toThrow(RangeError);
  });
});

// A worker whose script cannot run must fail the jobs waiting on it, not leave them pending:
// a copy of dist/ whose jobs/worker.js throws at start.
describe('a worker that dies', () => {
  it('rejects trainInWorker and sweep with an Error naming the worker', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bnlab-deadworker-'));
    try {
      await cp(fileURLToPath(new URL('../../dist/', import.meta.url)), dir, { recursive: true });
      await writeFile(path.join(dir, 'jobs', 'worker.js'), "throw new Error('broken on purpose');\n");
      const mod = (await import(pathToFileURL(path.join(dir, 'jobs', 'pool.js')).href)) as typeof import('../../dist/jobs/pool.js');
      const task = await mod.trainInWorker(job(0.1, true));
      await expect(task.result).rejects.toThrow(/the training worker failed: broken on purpose/);
      await expect(mod.sweep([job(0.1, true), job(0.1, false), job(1, true)], { workers: 2 })).rejects.toThrow(/the training worker failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// Failures caused by the caller, each in a fresh Node process: the process must end by itself
// (a worker left running would keep it alive until the timeout kills it) and with exit code 0
// (an uncaught exception in the library's listener would make it 1).
describe('caller mistakes around workers', () => {
  const script = (body: string) => `
    import { trainInWorker, sweep } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
    const job = ${JSON.stringify(job(0.1, false, 400))};
    ${body}
  `;
  // A file, not --input-type=module -e: workers inherit the parent's flags, and that one fails them.
  const runChild = (body: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bnlab-child-'));
    try {
      const file = path.join(dir, 'child.mjs');
      writeFileSync(file, script(body));
      return spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('a job that cannot be cloned rejects with a TypeError and its worker ends', () => {
    const r = runChild(`
      try {
        await trainInWorker({ ...job, trainer: { ...job.trainer, onStep: () => 1 } });
        console.log('resolved');
      } catch (e) {
        console.log(e.constructor.name + ': ' + e.message);
      }
      try {
        await sweep([job, { ...job, label: () => 'x' }], { workers: 2 });
      } catch (e) {
        console.log('sweep ' + e.constructor.name);
      }
    `);
    expect(r.signal, `the process did not end by itself: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^TypeError: job cannot be sent to a worker: .*a job must be plain data/m);
    expect(r.stdout).toMatch(/^sweep TypeError$/m);
  });

  it('an onProgress that throws rejects its task with that error, nothing uncaught', () => {
    const r = runChild(`
      const boom = new Error('boom from onProgress');
      const task = await trainInWorker({ ...job, chunk: 100 }, { onProgress: () => { throw boom; } });
      try {
        await task.result;
        console.log('resolved');
      } catch (e) {
        console.log('rejected same=' + (e === boom));
      }
    `);
    expect(r.signal, `the process did not end by itself: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('rejected same=true');
  });
});

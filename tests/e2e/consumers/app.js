// The app every bundler test builds (tests/e2e/consumers.test.ts): it gets the package's module
// (`import * as bn from 'batchnorm-lab'`, or from another origin) and writes to #out what the
// test checks: numbers from the engine, and training jobs run through the worker pool, whose
// results must equal the same job run in this thread.
export async function run(bn) {
  const out = document.getElementById('out');
  try {
    const lab = await bn.loadLab();
    const r = lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]);
    const job = (seed) => ({
      label: `seed ${seed}`,
      dataset: { kind: 'toy', name: 'xor', n: 200, testN: 100, seed },
      trainer: { model: { sizes: [2, 8, 2], batchNorm: true, seed }, batchSize: 20, lr: 0.1, evalEvery: 20 },
      steps: 40,
      chunk: 20,
    });
    const progress = [];
    const task = await bn.trainInWorker(job(1), { onProgress: (p) => progress.push(p.step) });
    const there = await task.result;
    const here = await bn.runJob(lab, job(1));
    const swept = await bn.sweep([job(2), job(3)], { workers: 2 });
    const same = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
    out.textContent = JSON.stringify({
      simd: lab.features.simd,
      mean: r.mean,
      std: r.std,
      z: Array.from(r.z),
      progress,
      steps: there.steps,
      sameAsHere: same(Array.from(there.loss), Array.from(here.loss)) && there.loss.length === 40,
      swept: swept.map((s) => [s.label, s.steps]),
    });
  } catch (err) {
    out.textContent = `error: ${err && err.stack ? err.stack : err}`;
  }
}

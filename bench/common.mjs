// Shared by the benchmark's parts: the models being compared, their initial parameters and
// batches (seeded, so every contender starts from the same numbers), and the timing statistics.
import { mulberry32 } from '../dist/engine/random.js';

/** The two benchmark models: [IN, H1, H2, OUT] with BatchNorm1d before each ReLU, and the batch. */
export const MODELS = [
  { name: '2-16-16-2', sizes: [2, 16, 16, 2], batch: 32 },
  { name: '784-256-256-10', sizes: [784, 256, 256, 10], batch: 64 },
];

/** SGD learning rate of every contender's step (plain SGD: no momentum, no weight decay). */
export const LR = 0.01;
/** BatchNorm's ε and running-statistics momentum (PyTorch's defaults, the engine's too). */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** The package's seeded generator (mulberry32): the same seed gives the same numbers everywhere. */
export const rng = mulberry32;

/**
 * State-dict keys of the Sequential [Linear, BN, ReLU, Linear, BN, ReLU, ..., Linear] that
 * `sizes` describes: for each Linear its index, for each BatchNorm its index.
 */
export function layout(sizes) {
  const hidden = sizes.length - 2;
  const linears = [];
  const norms = [];
  for (let h = 0; h <= hidden; h++) {
    linears.push({ key: 3 * h, in: sizes[h], out: sizes[h + 1] });
    if (h < hidden) norms.push({ key: 3 * h + 1, c: sizes[h + 1] });
  }
  return { linears, norms };
}

/**
 * Initial parameters under PyTorch's keys: Linear weight [OUT, IN] and bias [OUT] ~ U(±1/√IN)
 * (torch.nn.Linear's default), BatchNorm γ = 1, β = 0, running mean 0, running variance 1.
 */
export function initialState(sizes, seed = 1) {
  const r = rng(seed);
  const { linears, norms } = layout(sizes);
  const dict = {};
  for (const l of linears) {
    const bound = 1 / Math.sqrt(l.in);
    dict[`${l.key}.weight`] = Float32Array.from({ length: l.out * l.in }, () => (2 * r() - 1) * bound);
    dict[`${l.key}.bias`] = Float32Array.from({ length: l.out }, () => (2 * r() - 1) * bound);
  }
  for (const b of norms) {
    dict[`${b.key}.weight`] = new Float32Array(b.c).fill(1);
    dict[`${b.key}.bias`] = new Float32Array(b.c);
    dict[`${b.key}.running_mean`] = new Float32Array(b.c);
    dict[`${b.key}.running_var`] = new Float32Array(b.c).fill(1);
    dict[`${b.key}.num_batches_tracked`] = new Float32Array(1);
  }
  return dict;
}

/** A batch: x [N, IN] ~ N(0, 1)-ish (sum of uniforms), y [N] cycling through the classes. */
export function makeBatch(sizes, n, seed = 2) {
  const r = rng(seed);
  const x = Float32Array.from({ length: n * sizes[0] }, () => r() + r() + r() - 1.5);
  const classes = sizes[sizes.length - 1];
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % classes);
  return { x, y };
}

/** The q-quantile (0..1) of a list of numbers, linearly interpolated. */
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/** Median of a list of numbers. */
export function median(values) {
  return quantile(values, 0.5);
}

/** Nanoseconds since an arbitrary origin, as a double (process.hrtime: no clamping). */
export function nowNs() {
  return Number(process.hrtime.bigint());
}

/** CPU time of this process (user + system, all threads) in nanoseconds. */
export function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * Times jobs in interleaved rounds, so that a burst of load from another process (this machine is
 * shared) spreads over all of them instead of spoiling one, and ratios taken within a run stay
 * fair. A job is `{ key, run(reps), prepare? }`: run(reps) does `reps` repetitions of its work
 * synchronously; prepare() (async, untimed) runs before each of the job's turns.
 *
 * 1. Warm-up: each job runs for `warmupMs` (V8 tiers wasm and JS up to its optimizing compiler
 *    meanwhile: later calls run optimized code); reps is then set so one call lasts `targetMs`.
 * 2. `rounds` rounds; in each, every job (in an order rotated from round to round) makes one
 *    untimed single-repetition call (its caches warm again) then `samples` timed calls.
 * Returns key → { wall, cpu } medians of nanoseconds per repetition, their interquartile ranges
 * (wallIqr, cpuIqr, in ns), reps and the sample count.
 * `cpu` is the process's CPU time: on an idle machine it equals wall time for this single-threaded
 * work, and under load it leaves out the time other processes held the core.
 */
export async function measureInterleaved(jobs, { rounds, samples, targetMs, warmupMs, log = () => {} }) {
  const state = new Map();
  for (const job of jobs) {
    if (job.prepare) await job.prepare();
    let reps = 1;
    let best = Infinity;
    const start = nowNs();
    for (let calls = 0; calls < 3 || nowNs() - start < warmupMs * 1e6; calls++) {
      const t0 = nowNs();
      job.run(reps);
      const per = (nowNs() - t0) / reps;
      best = Math.min(best, per);
      if (per * reps < targetMs * 1e6 / 4) reps = Math.min(reps * 2, 1 << 24);
    }
    reps = Math.max(1, Math.round((targetMs * 1e6) / best));
    state.set(job.key, { reps, wall: [], cpu: [] });
  }
  for (let r = 0; r < rounds; r++) {
    log(`round ${r + 1}/${rounds}`);
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[(j + r * Math.max(1, Math.floor(jobs.length / rounds))) % jobs.length];
      const st = state.get(job.key);
      if (job.prepare) await job.prepare();
      job.run(1);
      for (let s = 0; s < samples; s++) {
        const c0 = cpuNs();
        const t0 = nowNs();
        job.run(st.reps);
        const t1 = nowNs();
        const c1 = cpuNs();
        st.wall.push((t1 - t0) / st.reps);
        st.cpu.push((c1 - c0) / st.reps);
      }
    }
  }
  const out = {};
  const iqr = (v) => quantile(v, 0.75) - quantile(v, 0.25);
  for (const [key, st] of state) {
    out[key] = { wall: median(st.wall), cpu: median(st.cpu), wallIqr: iqr(st.wall), cpuIqr: iqr(st.cpu), reps: st.reps, samples: st.wall.length };
  }
  return out;
}

// ---- report formatting (bench/run.mjs, bench/page-report.mjs) -------------------------------------

/** A number with d decimals, or a dash when there is none. */
export const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** Bytes as KB (1024), one decimal. */
export const kb = (b) => (b / 1024).toFixed(1);

/** An aligned text table; a row '-' is a rule, a null row is left out. Numbers right-aligned by default. */
export function table(head, rows, right = head.map((_, i) => i > 0)) {
  const all = [head, ...rows.filter((r) => r !== null)];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r === '-' ? 0 : String(r[i]).length))));
  const line = (r) => r.map((c, i) => (right[i] ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join('  ').trimEnd();
  const rule = w.map((n) => '-'.repeat(n)).join('  ');
  return [line(head), rule, ...all.slice(1).map((r) => (r === '-' ? rule : line(r)))].join('\n');
}

// ---- the CNN (bench/train.mjs, bench/tfjs.mjs) ------------------------------------------------------

/**
 * The benchmark's small CNN, the lesson's shape on Fashion-MNIST-sized images: per block
 * Conv2d(3×3, padding 1) → BatchNorm2d → ReLU → MaxPool2d(2), then Flatten → Linear to the classes.
 */
export const CNN = { name: 'cnn 1-8-16 28×28', channels: [1, 8, 16], side: 28, classes: 10, batch: 64, k: 3 };

/**
 * State-dict keys of that Sequential: block b holds Conv2d (4b), BatchNorm2d (4b + 1), ReLU, MaxPool;
 * then Flatten and the Linear (4·blocks + 1) over [C, H, W] = [last channels, side/2^blocks, ...].
 */
export function cnnLayout(spec = CNN) {
  const blocks = spec.channels.length - 1;
  const convs = [];
  for (let b = 0; b < blocks; b++) convs.push({ key: 4 * b, norm: 4 * b + 1, in: spec.channels[b], out: spec.channels[b + 1], k: spec.k });
  const side = spec.side >> blocks;
  const c = spec.channels[blocks];
  return { convs, linear: { key: 4 * blocks + 1, in: c * side * side, out: spec.classes, c, side } };
}

/** Initial parameters under PyTorch's keys: torch's default U(±1/√fan_in) for Conv2d and Linear; BN γ 1, β 0. */
export function cnnInitialState(spec = CNN, seed = 1) {
  const r = rng(seed);
  const { convs, linear } = cnnLayout(spec);
  const dict = {};
  const uniform = (n, fan) => Float32Array.from({ length: n }, () => (2 * r() - 1) / Math.sqrt(fan));
  for (const c of convs) {
    const fan = c.in * c.k * c.k;
    dict[`${c.key}.weight`] = uniform(c.out * fan, fan);
    dict[`${c.key}.bias`] = uniform(c.out, fan);
    dict[`${c.norm}.weight`] = new Float32Array(c.out).fill(1);
    dict[`${c.norm}.bias`] = new Float32Array(c.out);
    dict[`${c.norm}.running_mean`] = new Float32Array(c.out);
    dict[`${c.norm}.running_var`] = new Float32Array(c.out).fill(1);
    dict[`${c.norm}.num_batches_tracked`] = new Float32Array(1);
  }
  dict[`${linear.key}.weight`] = uniform(linear.out * linear.in, linear.in);
  dict[`${linear.key}.bias`] = uniform(linear.out, linear.in);
  return dict;
}

/** A batch of images x [N, 1, side, side] (N(0, 1)-ish) and labels y [N] cycling through the classes. */
export function makeImageBatch(spec = CNN, seed = 2) {
  return makeBatch([spec.side * spec.side, spec.classes], spec.batch, seed);
}

// `npm run bench`: builds what is missing, runs the wasm kernel benchmark, the native one, the
// training-step benchmark and the page benchmark in headless Chromium (each in its own process),
// measures the module sizes and prints one report: every figure side by side, with ratios taken
// within this run.
//
//   node bench/run.mjs [--quick] [--no-build] [--wall] [--json FILE] [--markdown]
//     --quick     about two minutes: fewer rounds and samples (same cases)
//     --no-build  use dist/ and build/bench as they are
//     --wall      report wall-clock medians instead of CPU-time medians
//     --json      also write every raw number to FILE (always written to build/bench/last-run.json)
//     --markdown  the report as docs/performance.md holds it (a fenced block under the line saying how it was made)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NATIVE_BIN, ROOT, buildAll, toolVersions } from './build.mjs';
import { pageHeadline, pageSection } from './page-report.mjs';
import { f, kb, table } from './common.mjs';
import { provenance } from '../scripts/lib/report.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noBuild = args.includes('--no-build');
const clock = args.includes('--wall') ? 'wall' : 'cpu';
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : null;
const started = Date.now();
const log = (m) => process.stderr.write(`bench: ${m}\n`);

// ---- build ----------------------------------------------------------------------------------------
let buildNote = noBuild ? 'dist/ and build/bench used as they were (--no-build)' : 'dist/ rebuilt by npm run build (incremental)';
if (!noBuild) {
  try {
    await buildAll({ log });
  } catch (err) {
    // Another engineer's half-finished change must not stop the benchmark of what dist/ holds.
    if (!existsSync(`${ROOT}dist/index.js`) || !existsSync(NATIVE_BIN)) throw err;
    buildNote = `BUILD FAILED, measuring the existing dist/ and build/bench: ${String(err.message).split('\n')[0]}`;
    log(buildNote);
  }
}

function child(script, what) {
  log(`${what} (${script})`);
  const r = spawnSync(process.execPath, [`${ROOT}bench/${script}`, ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`bench/${script} failed (exit ${r.status})`);
  return JSON.parse(r.stdout);
}

const phases = { build: (Date.now() - started) / 1000 };
const loadStart = loadavg();
let mark = Date.now();
const lap = (name) => {
  phases[name] = (Date.now() - mark) / 1000;
  mark = Date.now();
};
const wasm = child('kernels.mjs', 'wasm kernels');
lap('wasm kernels');

// ---- native (Google Benchmark) ----------------------------------------------------------------------
log('native kernels (build/bench/native/bench_native)');
const nativeRun = spawnSync(
  NATIVE_BIN,
  [
    '--benchmark_format=json',
    `--benchmark_repetitions=${quick ? 3 : 5}`,
    '--benchmark_report_aggregates_only=true',
    '--benchmark_enable_random_interleaving=true',
    `--benchmark_min_time=${quick ? 0.01 : 0.03}`,
  ],
  { encoding: 'utf8', maxBuffer: 64 << 20 },
);
if (nativeRun.status !== 0) throw new Error(`bench_native failed: ${nativeRun.stderr}`);
const native = {};
for (const b of JSON.parse(nativeRun.stdout).benchmarks) {
  if (b.aggregate_name !== 'median') continue;
  const [kind, entry, variant, a, bb, c] = b.run_name.split(' ')[0].split(':').map(Number);
  const scale = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[b.time_unit];
  native[`${kind}:${entry}:${variant}:${a}:${bb}:${c}`] = { cpu: b.cpu_time * scale, wall: b.real_time * scale, work: b.work };
}
const nat = (kind, entry, variant, a = 0, b = 0, c = 0) => native[`${kind}:${entry}:${variant}:${a}:${b}:${c}`] ?? null;
lap('native kernels');

const train = child('train.mjs', 'training steps');
lap('training steps');
// The page in headless Chromium (bench/page.mjs): a machine without Chromium still gets the rest.
let page = null;
let pageError = '';
try {
  page = child('page.mjs', 'page: load and training lab in headless Chromium');
} catch (err) {
  pageError = String(err.message).split('\n')[0];
  log(`page benchmark failed, section 5 left out: ${pageError}`);
}
lap('page');
// Lighthouse on the lesson (bench/lighthouse.mjs, 3 runs): a machine without it still gets the rest.
let lighthouse = null;
let lighthouseError = '';
try {
  lighthouse = child('lighthouse.mjs', 'Lighthouse on the lesson (mobile, simulated throttling, 3 runs)');
} catch (err) {
  lighthouseError = String(err.message).split('\n')[0];
  log(`Lighthouse failed, its lines left out: ${lighthouseError}`);
}
lap('lighthouse');
const loadEnd = loadavg();

// ---- sizes ------------------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const tfDir = (p) => dirname(require.resolve(`@tensorflow/${p}/package.json`));
function sizeOf(files) {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const b = readFileSync(f);
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  return { raw, gz, files: files.map((f) => f.replace(ROOT, '').replace(/.*node_modules\//, '')) };
}
// The wrapper is what `import 'batchnorm-lab'` loads: the entry, the engine wrapper and the jobs.
const distJs = [`${ROOT}dist/index.js`, ...['engine', 'jobs'].flatMap((dir) =>
  readdirSync(`${ROOT}dist/${dir}`).filter((f) => f.endsWith('.js')).map((f) => `${ROOT}dist/${dir}/${f}`))];
const sizes = {
  simd: sizeOf([`${ROOT}dist/wasm/bnlab-simd.js`, `${ROOT}dist/wasm/bnlab-simd.wasm`]),
  scalar: sizeOf([`${ROOT}dist/wasm/bnlab-scalar.js`, `${ROOT}dist/wasm/bnlab-scalar.wasm`]),
  wrapper: sizeOf(distJs),
  tf: sizeOf([
    `${tfDir('tfjs-core')}/dist/tf-core.min.js`,
    `${tfDir('tfjs-backend-wasm')}/dist/tf-backend-wasm.min.js`,
    `${tfDir('tfjs-backend-wasm')}/dist/tfjs-backend-wasm-simd.wasm`,
  ]),
};
sizes.both = { raw: sizes.simd.raw + sizes.scalar.raw, gz: sizes.simd.gz + sizes.scalar.gz };

// ---- report -----------------------------------------------------------------------------------------
const t = (r) => (r ? r[clock] : NaN); // ns per repetition
const rate = (r) => (r ? r.work / r[clock] : NaN); // work per ns = G work per s
const fx = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + '×' : '—');


const out = [];
const p = (s = '') => out.push(s);
const cpu = cpus()[0]?.model ?? 'unknown';
const procModel = (/model name\s*:\s*(.*)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '') ?? [])[1] ?? cpu;
const tools = toolVersions();
const ceiling = rate(wasm.ceiling);
const nCeiling = rate(nat(11, 0, 1));

p(`batchnorm-lab benchmark — ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`);
p(`command: npm run bench${args.length ? ' -- ' + args.join(' ') : ''}   (node bench/run.mjs${args.length ? ' ' + args.join(' ') : ''})`);
const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const family = (/cpu family\s*:\s*(\d+)/.exec(cpuinfo) ?? [])[1];
const model = (/^model\s*:\s*(\d+)/m.exec(cpuinfo) ?? [])[1];
const emVersion = (/(\d+\.\d+\.\d+)/.exec(tools.emcc) ?? ['', tools.emcc])[1];
p(`machine: ${procModel}${family ? ` (family ${family}, model ${model})` : ''}, ${cpus().length} logical CPUs; node ${process.version} (V8 ${process.versions.v8}); em++ ${emVersion}; native: ${tools.native}, -O3, SIMDe on SSE2`);
p(`load average (1 min): ${f(loadStart[0], 2)} at start, ${f(loadEnd[0], 2)} at end — other processes share this machine; compare ratios within one run.`);
p(`timing: ${clock === 'cpu' ? 'CPU time of the benchmark process' : 'wall-clock time'}, median over interleaved rounds after warm-up (V8 optimizing tier); ${quick ? '--quick' : 'full'} run. ${buildNote}.`);
p();

// 1. matrix products
p(`1. Matrix products (GFLOP/s; 2·N·IN·OUT flops). Ceiling: 12 independent f32x4 acc = acc·m + a chains, measured in this run: wasm SIMD ${f(ceiling)} GFLOP/s, native ${f(nCeiling)} GFLOP/s.`);
p('   forward: out = inp·Wᵀ + b; backward-input: dinp = dout·W; backward-params: dW += doutᵀ·inp.');
const mmRows = [];
let lastModel = null;
for (const m of wasm.matmul) {
  if (lastModel && lastModel !== m.model) mmRows.push('-');
  lastModel = m.model;
  const s = rate(m.simd);
  const sc = rate(m.scalar);
  const n = rate(nat(m.kind, m.entry, 1, m.n, m.in, m.out));
  mmRows.push([m.model, m.product, `${m.n}×${m.in}→${m.out}`, f(s), `${f((100 * s) / ceiling, 0)}%`, f(sc, 2), fx(s / sc), f(n), `${f((100 * n) / nCeiling, 0)}%`]);
}
p(table(['model', 'product', 'N×IN→OUT', 'SIMD wasm', '% ceiling', 'scalar wasm', 'SIMD/scalar', 'native', '% n.ceil'], mmRows, [false, false, false, true, true, true, true, true, true]));
p();

// 2. BatchNorm
p('2. BatchNorm forward+backward, training mode (bn_stats + bn_forward + bn_backward): GB/s of 28·N·C·S bytes');
p('   (each array a kernel touches counted once: stats reads inp; forward reads inp, writes out and xhat; backward reads dout and xhat, writes dinp).');
p(table(
  ['input [N,C(,H,W)]', 'SIMD wasm', 'scalar wasm', 'SIMD/scalar', 'native', 'SIMD µs/pass'],
  wasm.bn.map((b) => [b.shape, f(rate(b.simd)), f(rate(b.scalar), 2), fx(rate(b.simd) / rate(b.scalar)), f(rate(nat(6, 0, 1, b.n, b.c, b.s))), f(t(b.simd) / 1e3, 2)]),
  [false, true, true, true, true, true],
));
p();

// 3. training steps
const byModel = Object.fromEntries(train.models.map((m) => [m.model, m]));
const small = byModel['2-16-16-2'];
const large = byModel['784-256-256-10'];
const step = (m, key) => t(m.times[key]);
const nativeStep = (i) => t(nat(10, i, 1));
const CONTENDERS = [
  ['simd-api', 'ours SIMD, public API (forward, crossEntropy, backward, SGD step)'],
  ['simd-api-dx', 'ours SIMD, public API, backward also returning ∂loss/∂batch'],
  ['simd-trainer', 'ours SIMD, Trainer.run(k) per step'],
  ['scalar-api', 'ours scalar, public API'],
  ['scalar-trainer', 'ours scalar, Trainer.run(k) per step'],
  ['tf-wasm', `TF.js ${train.tf.version} wasm (SIMD ${train.tf.simd ? 'on' : 'OFF'}, ${train.tf.threads ? 'THREADS' : '1 thread'})`],
  ['tf-cpu', `TF.js ${train.tf.version} cpu`],
  ['plain', 'plain JavaScript (bench/plainjs.mjs)'],
  '-',
  ['simd-raw', 'floor: ours SIMD, same calls on raw Embind handles, no copies'],
  ['simd-kernels', 'floor: the kernels alone, wasm SIMD (no layers, no JS)'],
  ['native', 'floor: the kernels alone, native (SIMDe)'],
];
p('3. One training step: BN-MLP (Linear → BatchNorm1d → ReLU per hidden layer, then Linear), mean cross-entropy, plain SGD (lr 0.01),');
p(`   same initial weights and batch for every contender (first-step losses agree: ${lossAgreement()}). × = TF.js wasm time / this time.`);
p('   Public API: backward(grad, { inputGrad: false }), since no contender forms the gradient with respect to the batch (TF.js differentiates');
p('   variables only; PyTorch skips inputs that do not require grad; Trainer.run skips it too); the second row forms and returns it anyway.');
// ± half the interquartile range of the samples, relative to the median.
const spread = (m, key) => {
  const r = m.times[key];
  return r ? `±${f((50 * r[`${clock}Iqr`]) / r[clock], 0)}%` : '';
};
const stepRows = CONTENDERS.map((c) => {
  if (c === '-') return '-';
  const [key, label] = c;
  const s = key === 'native' ? nativeStep(0) : step(small, key);
  const l = key === 'native' ? nativeStep(1) : step(large, key);
  return [label, f(s / 1e3, 1), key === 'native' ? '' : spread(small, key), fx(step(small, 'tf-wasm') / s), f(l / 1e6, 2), key === 'native' ? '' : spread(large, key), fx(step(large, 'tf-wasm') / l)];
});
p(table(['', '2-16-16-2, N=32: µs', '', '× TF wasm', '784-256-256-10, N=64: ms', '', '× TF wasm'], stepRows, [false, true, true, true, true, true, true]));
const leaks = train.models.map((m) => m.tfTensorsGrowth);
p('   (± is half the interquartile range of the timed samples: the noise of this run. TF.js: prod mode, weights stored [IN, OUT],');
p(`   the layout its wasm matMul runs fastest; its tensor count grew by ${leaks.join(' and ')} while timed: ${leaks.every((n) => n === 0) ? 'no leak' : 'A LEAK, its times are suspect'}.)`);
p();

function lossAgreement() {
  let worst = 0;
  for (const m of train.models) {
    const ref = m.firstLoss['simd-api'];
    for (const v of Object.values(m.firstLoss)) worst = Math.max(worst, Math.abs(v - ref) / Math.abs(ref));
  }
  return `largest relative difference ${worst.toExponential(1)}`;
}

// 4. sizes
p('4. Module size (gzip -9, node:zlib)');
p(table(
  ['', 'raw KB', 'gzip KB'],
  [
    ['bnlab-simd.js + bnlab-simd.wasm (glue + wasm)', kb(sizes.simd.raw), kb(sizes.simd.gz)],
    ['bnlab-scalar.js + bnlab-scalar.wasm', kb(sizes.scalar.raw), kb(sizes.scalar.gz)],
    ['both variants', kb(sizes.both.raw), kb(sizes.both.gz)],
    ['typed wrapper, dist/{index,engine/*,jobs/*}.js (loaded with either)', kb(sizes.wrapper.raw), kb(sizes.wrapper.gz)],
    ['TF.js: tf-core.min.js + tf-backend-wasm.min.js + tfjs-backend-wasm-simd.wasm', kb(sizes.tf.raw), kb(sizes.tf.gz)],
    ['TF.js / ours (SIMD variant)', fx(sizes.tf.raw / sizes.simd.raw), fx(sizes.tf.gz / sizes.simd.gz)],
  ],
  [false, true, true],
));
p();
for (const line of pageSection(page, pageError)) p(line);
p();

// Targets
const small256 = wasm.matmul.filter((m) => m.model === '784-256-256-10');
const worstMm = small256.reduce((a, m) => (rate(m.simd) < rate(a.simd) ? m : a));
const bnRatios = wasm.bn.map((b) => rate(b.simd) / rate(b.scalar));
const ok = (c) => (c ? 'MET   ' : 'MISSED');
const rLarge = step(large, 'tf-wasm') / step(large, 'simd-api');
const rSmall = step(small, 'tf-wasm') / step(small, 'simd-api');
const rLargeTr = step(large, 'tf-wasm') / step(large, 'simd-trainer');
p('Targets, from this run:');
p(`  ${ok(rLarge >= 15)} 784-256-256-10 step, public API, ≥ 15× TF.js wasm SIMD: ${fx(rLarge)} (Trainer.run: ${fx(rLargeTr)})`);
p(`  ${ok(rSmall >= 100)} 2-16-16-2 step, public API, ≥ 100× TF.js wasm SIMD: ${fx(rSmall)}`);
p(`  ${ok((rate(worstMm.simd) / ceiling) >= 0.5)} matrix products of the 256-wide model ≥ 50% of the ceiling: lowest ${f((100 * rate(worstMm.simd)) / ceiling, 0)}% (${worstMm.product} ${worstMm.n}×${worstMm.in}→${worstMm.out})`);
p(`  ${ok(Math.min(...bnRatios) >= 3)} BatchNorm forward+backward SIMD ≥ 3× scalar: ${wasm.bn.map((b, i) => `${b.shape} ${fx(bnRatios[i])}`).join(', ')}`);
const cnnConvs = wasm.layers.filter((r) => r.flops && /28,28|14,14/.test(r.name));
const cnnConvPct = (100 * cnnConvs.reduce((a, r) => a + r.simd.work, 0)) / cnnConvs.reduce((a, r) => a + t(r.simd), 0) / ceiling;
p(`  ${ok(cnnConvPct >= 50)} Conv2d forward+backward of the 28×28 CNN ≥ 50% of the ceiling: both layers together ${f(cnnConvPct, 0)}% (${cnnConvs.map((r) => `${r.name.split(' ')[0]} ${f((100 * rate(r.simd)) / ceiling, 0)}%`).join(', ')}; section 8)`);
const normRatios = wasm.layers.filter((r) => !r.flops).map((r) => [r.name, rate(r.simd) / rate(r.scalar)]);
p(`  ${ok(Math.min(...normRatios.map(([, x]) => x)) >= 3)} LayerNorm and GroupNorm forward+backward SIMD ≥ 3× scalar: ${normRatios.map(([n, x]) => `${n.split(' on ')[0]} ${fx(x)}`).join(', ')}`);
const rCnn = t(train.cnn.times['tf-wasm']) / t(train.cnn.times['simd-api']);
p(`  ${ok(rCnn >= 10)} ${train.cnn.model} step with BatchNorm2d, public API, ≥ 10× TF.js wasm SIMD: ${fx(rCnn)} (Trainer.run: ${fx(t(train.cnn.times['tf-wasm']) / t(train.cnn.times['simd-trainer']))}; section 9)`);
p(`  ${ok(sizes.simd.gz < 60 * 1024 && sizes.scalar.gz < 60 * 1024)} glue + wasm < 60 KB gzipped: SIMD ${kb(sizes.simd.gz)} KB, scalar ${kb(sizes.scalar.gz)} KB (both together ${kb(sizes.both.gz)} KB)`);
if (page) {
  const h = pageHeadline(page);
  p(`  ${ok(h.defaultStepsPerRun >= 20000 && h.defaultFps >= 55)} training lab at full speed, default setting: ≥ 20,000 steps/s per network at 60 fps: ${f(h.defaultStepsPerRun, 0)} steps/s at ${f(h.defaultFps, 1)} fps (paper setting: ${f(h.paperStepsPerRun, 0)} at ${f(h.paperFps, 1)} fps)`);
  p(`  ${ok(h.firstNumberCold <= 300)} page: first computed number ≤ 300 ms after navigation, cold from the local server: ${f(h.firstNumberCold, 0)} ms cold, ${f(h.firstNumberWarm, 0)} ms warm`);
} else p(`  NOT MEASURED page: time to first number, steps/s at 60 fps (${pageError})`);
if (lighthouse) {
  const m = lighthouse.median;
  const lh = `Lighthouse ${lighthouse.version} on web/index.html (mobile profile, simulated throttling, gzip), median of ${lighthouse.runs.length} runs`;
  p(`  ${ok(m.performance >= 0.95)} ${lh}: performance ≥ 0.95: ${m.performance} (runs: ${lighthouse.runs.map((r) => r.performance).join(', ')}; first contentful paint ${f(m.fcp / 1000, 1)} s, largest ${f(m.lcp / 1000, 1)} s, interactive ${f(m.tti / 1000, 1)} s)`);
  p(`  ${ok(m.accessibility >= 1 && m.bestPractices >= 1)} ${lh}: accessibility 1.0 and best practices 1.0: ${m.accessibility} and ${m.bestPractices}`);
  p(`  ${ok(m.tbt <= 200)} ${lh}: total blocking time ≤ 200 ms: ${f(m.tbt, 0)} ms (runs: ${lighthouse.runs.map((r) => f(r.tbt, 0)).join(', ')} ms)`);
} else p(`  NOT MEASURED Lighthouse (${lighthouseError})`);
p();

// 6. Where the time goes
p('6. Where the time of our SIMD step goes');
p('   API: the public-API step; raw: the same Embind calls on the same model\'s raw handles (no checks, no copies); +copies: raw');
p('   plus the API\'s large copy (the batch in); kernels: the kernels alone, on 64-byte-aligned buffers (the engine\'s are 16-byte aligned).');
p('   Differences are shares of the API step.');
const share = (a, b, api) => `${f(Math.max(0, a - b) / 1e3, 1)} (${f((100 * (a - b)) / api, 0)}%)`;
const diagRows = train.models.map((m) => {
  const api = step(m, 'simd-api');
  const raw = step(m, 'simd-raw');
  const rawc = step(m, 'simd-raw-copies');
  const ker = step(m, 'simd-kernels');
  return [m.model, f(api / 1e3, 1), f(rawc / 1e3, 1), f(raw / 1e3, 1), f(ker / 1e3, 1), share(api, rawc, api), share(rawc, raw, api), share(raw, ker, api), f((100 * ker) / api, 0) + '%'];
});
p(table(['model', 'API µs', '+copies µs', 'raw µs', 'kernels µs', 'wrapper rest', 'big copies', 'layers+Embind', 'kernels'], diagRows, [false, true, true, true, true, true, true, true, true]));
p('   (differences smaller than the ± spreads of section 3 are noise.)');
for (const m of train.models) {
  const b = m.boundary;
  p(`  ${m.model}: one public-API step makes ${b.embindCalls} Embind calls (≈ ${f((b.embindCalls * train.embindCallNs) / 1e3, 1)} µs at ${f(train.embindCallNs, 0)} ns each), copies ${kb(b.bytesIn)} KB into and ${kb(b.bytesOut)} KB out of the wasm heap, allocating ${b.arraysOut} Float32Arrays.`);
}
const mis = wasm.misaligned.map((r) => {
  const what = r.product ? `${r.product} ${r.n}×${r.in}→${r.out}` : `BN ${r.shape}`;
  return `${what} ${f(100 * (t(r.misaligned) / t(r.aligned) - 1), 0)}%`;
});
p(`  buffers 8 bytes off a 16-byte boundary (Emscripten 3.1.6's malloc aligns to 8 bytes; ctx.staged's block too) change the SIMD kernels' time by: ${mis.join(', ')}.`);
for (const m of train.models) {
  const products = wasm.matmul.filter((r) => r.model === m.model);
  const sum = products.reduce((acc, r) => acc + t(r.simd), 0);
  const first = products.find((r) => r.product === 'backward-input' && r.in === m.sizes[0]);
  p(`  ${m.model}: the 8 matrix products of its step (the first layer's input gradient is skipped) take ${f((sum - t(first.simd)) / 1e3, 1)} µs (timed alone, warm caches)` +
    ` of the ${f(step(m, 'simd-kernels') / 1e3, 1)} µs kernels-only step; forming that gradient too (backward's default, dinp ${first.n}×${first.in}) would add ${f(t(first.simd) / 1e3, 1)} µs` +
    ` and a ${kb(4 * first.n * first.in)} KB copy out (the "backward also returning ∂loss/∂batch" row of section 3).`);
}
p();

// Catalogue
p('7. Every kernel of cpp/kernels/kernel_table.h at one size of the 784-256-256-10 model (µs per call)');
const catRows = wasm.catalogue.map((c) => {
  const size = c.kind <= 2 ? `${c.a}×${c.b}→${c.c}` : c.kind <= 5 ? `[${c.a},${c.b}]` : `${c.a}`;
  return [c.kernel, size, f(t(c.simd) / 1e3, 2), f(t(c.simdref) / 1e3, 2), f(t(c.scalar) / 1e3, 2), fx(t(c.scalar) / t(c.simd)), f(t(nat(c.kind, c.entry, 1, c.a, c.b, c.c)) / 1e3, 2), f(t(nat(c.kind, c.entry, 0, c.a, c.b, c.c)) / 1e3, 2)];
});
p(table(['kernel', 'size', 'SIMD wasm', 'ref (SIMD module)', 'ref (scalar module)', 'SIMD/scalar', 'native simd', 'native ref'], catRows, [false, false, true, true, true, true, true, true]));
p();

// 8. The CNN layers
p('8. Conv2d and the per-example norms as the engine runs them (the layers of cpp/nn, in each module: SIMD kernels in the SIMD build, references in the scalar one)');
p('   Conv2d forward + backward (im2col; GFLOP/s of its matrix products, 2·(N·OH·OW)·(IN·k·k)·OUT flops each: 3, or 2 for a first layer, which forms no input');
p('   gradient in a training step). Norms: forward + backward in GB/s of 16·N·C·H·W bytes (input and output of each pass).');
const layerRows = wasm.layers.map((r) => [
  r.layer, r.name, r.flops ? f(rate(r.simd)) : f(rate(r.simd), 1), r.flops ? `${f((100 * rate(r.simd)) / ceiling, 0)}%` : '', f(rate(r.scalar), 2), fx(rate(r.simd) / rate(r.scalar)), f(t(r.simd) / 1e3, 0),
]);
p(table(['layer', 'shape', 'SIMD wasm', '% ceiling', 'scalar wasm', 'SIMD/scalar', 'SIMD µs/pass'], layerRows, [false, false, true, true, true, true, true]));
p();

// 9. One CNN training step
const cnn = train.cnn;
const cnnLoss = Object.values(cnn.firstLoss).reduce((w, v) => Math.max(w, Math.abs(v - cnn.firstLoss['simd-api']) / Math.abs(cnn.firstLoss['simd-api'])), 0);
p(`9. One training step of a small CNN: ${cnn.channels.slice(1).map((c) => `Conv2d(→${c}, 3×3, padding 1) → BatchNorm2d → ReLU → MaxPool2d(2)`).join(' → ')} → Flatten → Linear(→10),`);
p(`   on ${cnn.batch} images of ${cnn.side}×${cnn.side}; mean cross-entropy, plain SGD (lr 0.01); same weights and batch for all (first-step losses: largest relative difference ${cnnLoss.toExponential(1)}).`);
const CNN_CONTENDERS = [
  ['simd-api', 'ours SIMD, public API (Sequential of Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear)'],
  ['simd-trainer', 'ours SIMD, Trainer.run(k) per step (model.conv: channels [8, 16], norm "batch")'],
  ['scalar-api', 'ours scalar, public API'],
  ['tf-wasm', `TF.js ${train.tf.version} wasm (SIMD ${train.tf.simd ? 'on' : 'OFF'}, ${train.tf.threads ? 'THREADS' : '1 thread'}); filter gradient via Conv3DBackpropFilterV2`],
  ['tf-cpu', `TF.js ${train.tf.version} cpu`],
];
p(table(['', 'ms per step', '', '× TF wasm'], CNN_CONTENDERS.map(([key, label]) => {
  const r = cnn.times[key];
  return [label, f(t(r) / 1e6, 2), `±${f((50 * r[`${clock}Iqr`]) / r[clock], 0)}%`, fx(t(cnn.times['tf-wasm']) / t(r))];
}), [false, true, true, true]));
p('   (TF.js 4.22\'s wasm backend has no Conv2DBackpropFilter kernel: tf.conv2d cannot be trained there as written. bench/tfjs.mjs gives');
p('   its conv2d a custom gradient: the input gradient by conv2dTranspose (Conv2DBackpropInput), the filter gradient by its Conv3DBackpropFilterV2');
p(`   kernel on the images as volumes of depth 1. NHWC and [k, k, IN, OUT] filters, its own layouts. Tensor count grew by ${cnn.tfTensorsGrowth} while timed${cnn.tfTensorsGrowth === 0 ? ': no leak' : ': A LEAK'}.)`);
p();
p(`(bench took ${f((Date.now() - started) / 1000, 0)} s: ${Object.entries(phases).map(([k, v]) => `${k} ${f(v, 0)} s`).join(', ')}; raw numbers in build/bench/last-run.json)`);

const report = out.join('\n');
if (args.includes('--markdown')) {
  const shown = args.filter((a) => a !== '--markdown');
  const command = shown.length ? `npm run bench -- ${shown.join(' ')}` : 'npm run bench';
  process.stdout.write(`${provenance(command)}\n\n\`\`\`text\n${report}\n\`\`\`\n`);
} else {
  process.stdout.write(report + '\n');
}
const raw = { clock, quick, args, loadStart, loadEnd, phases, wasm, native, train, page, pageError, lighthouse, lighthouseError, sizes, report };
mkdirSync(`${ROOT}build/bench`, { recursive: true });
writeFileSync(`${ROOT}build/bench/last-run.json`, JSON.stringify(raw, null, 1));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(raw, null, 1));

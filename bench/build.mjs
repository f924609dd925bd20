// Builds what the benchmark runs, each step incremental:
// - dist/ through `npm run build` (scripts/build.sh), so the table describes the current sources;
// - the wasm kernel benchmark, twice like the package (bench/wasm/kbench.cpp with the engine's
//   kernels; -msimd128 or not) with em++ into build/bench/wasm;
// - the native kernel benchmark (bench/native/bench_native.cpp) with CMake into build/bench/native,
//   with clang++ when it is there (the compiler em++ wraps, so native and wasm differ only in target);
// - the TF.js bundle (bench/tfjs.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureTfBundle } from './tfjs.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WASM_DIR = `${ROOT}build/bench/wasm`;
export const NATIVE_DIR = `${ROOT}build/bench/native`;
export const NATIVE_BIN = `${NATIVE_DIR}/bench_native`;

// Debian's emcc runs its JS optimizer on node and needs Debian's node modules (acorn, terser) on NODE_PATH.
const env = { ...process.env, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':') };

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${(r.stdout ?? '') + (r.stderr ?? '') || r.error}`);
  }
  return r.stdout;
}

function runAsync(cmd, args, what) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed:\n${out}`))));
  });
}

// Newest modification time under the given folders (files with the given endings).
function newest(paths, endings) {
  let t = 0;
  const walk = (p) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(`${p}/${e}`);
    else if (endings.some((x) => p.endsWith(x))) t = Math.max(t, s.mtimeMs);
  };
  for (const p of paths) if (existsSync(p)) walk(p);
  return t;
}

// Jobs at most `limit` at a time (the machines have two cores).
async function pool(jobs, limit) {
  const running = new Set();
  for (const job of jobs) {
    const p = job().finally(() => running.delete(p));
    running.add(p);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
}

const COMMON_FLAGS = ['-O3', '-DNDEBUG', '-std=c++17', '-fno-exceptions', `-I${ROOT}cpp`];

/** The wasm kernel benchmark modules, build/bench/wasm/kbench-{simd,scalar}.{js,wasm}. */
export async function buildWasmBench(log) {
  const inputs = newest([`${ROOT}cpp`, `${ROOT}bench/cpp`, `${ROOT}bench/wasm`], ['.cpp', '.h', '.inc']);
  const stamp = newest([fileURLToPath(import.meta.url)], ['.mjs']);
  const variants = ['simd', 'scalar'];
  const outOf = (v) => `${WASM_DIR}/kbench-${v}.wasm`;
  if (variants.every((v) => existsSync(outOf(v)) && statSync(outOf(v)).mtimeMs > Math.max(inputs, stamp))) return;
  log('building the wasm kernel benchmark (em++ -O3, SIMD and scalar)');
  const jobs = [];
  const links = [];
  for (const v of variants) {
    const simd = v === 'simd';
    const obj = `${WASM_DIR}/obj-${v}`;
    mkdirSync(obj, { recursive: true });
    // As CMakeLists.txt builds the engine: -msimd128 only in the SIMD build, and the reference
    // kernels never auto-vectorised.
    const flags = [...COMMON_FLAGS, `-DBN_HAVE_SIMD=${simd ? 1 : 0}`, ...(simd ? ['-msimd128'] : [])];
    // The kernels by op family, as CMakeLists.txt globs them: every *_ref.cpp, and the *_simd.cpp
    // in the SIMD build only.
    const kernels = readdirSync(`${ROOT}cpp/kernels`).filter((f) => f.endsWith('.cpp')).sort();
    const sources = [
      ...kernels.filter((f) => f.endsWith('_ref.cpp')).map((f) => [`cpp/kernels/${f}`, ['-fno-vectorize', '-fno-slp-vectorize']]),
      ...(simd ? kernels.filter((f) => f.endsWith('_simd.cpp')).map((f) => [`cpp/kernels/${f}`, []]) : []),
      // The layers the ConvTrain and NormTrain cases time, and what they stand on.
      ...['cpp/nn/loss.cpp', 'cpp/nn/module.cpp', 'cpp/nn/conv.cpp', 'cpp/nn/norm.cpp', 'cpp/base/memory.cpp'].map((f) => [f, []]),
      ['bench/wasm/kbench.cpp', []],
    ];
    const objects = sources.map(([src]) => `${obj}/${src.split('/').pop().replace('.cpp', '.o')}`);
    sources.forEach(([src, extra], i) => {
      jobs.push(() => runAsync('em++', [...flags, ...extra, '-c', `${ROOT}${src}`, '-o', objects[i]], `em++ ${src} (${v})`));
    });
    links.push(() =>
      runAsync(
        'em++',
        [
          '-O3',
          ...objects,
          '-sMODULARIZE=1', // a factory, as the package's modules
          '-sEXPORT_ES6=1',
          '-sEXPORT_NAME=createKbench',
          '-sENVIRONMENT=web', // node gets the bytes passed in (wasmBinary), as for the package
          '-sALLOW_MEMORY_GROWTH=1',
          '-sFILESYSTEM=0',
          '-sEXPORTED_RUNTIME_METHODS=UTF8ToString',
          '-o',
          `${WASM_DIR}/kbench-${v}.js`,
        ],
        `em++ link (${v})`,
      ),
    );
  }
  await pool(jobs, 2);
  await pool(links, 2);
}

/** The native kernel benchmark, build/bench/native/bench_native. */
export function buildNativeBench(log) {
  if (!existsSync(`${NATIVE_DIR}/CMakeCache.txt`)) {
    log('configuring the native kernel benchmark (CMake, -DBN_BENCH=ON)');
    const clang = spawnSync('clang++', ['--version']).status === 0;
    run(
      'cmake',
      ['-S', ROOT, '-B', NATIVE_DIR, '-DBN_BENCH=ON', '-DBN_TESTS=OFF', '-DCMAKE_BUILD_TYPE=Release',
        ...(clang ? ['-DCMAKE_CXX_COMPILER=clang++'] : [])],
      'cmake configure',
    );
  }
  log('building the native kernel benchmark');
  run('cmake', ['--build', NATIVE_DIR, '--target', 'bench_native', '-j', '2'], 'native build');
}

/** dist/ through the project's own build (incremental). */
export function buildDist(log) {
  log('building dist/ (npm run build)');
  run('bash', ['scripts/build.sh'], 'npm run build');
}

/** Versions of the tools, for the report's header. */
export function toolVersions() {
  const first = (cmd, args) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
    return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim() : 'unavailable';
  };
  let nativeCompiler = 'unavailable';
  const cache = `${NATIVE_DIR}/CMakeCache.txt`;
  if (existsSync(cache)) {
    const m = /CMAKE_CXX_COMPILER:\w+=(.*)/.exec(spawnSync('cat', [cache], { encoding: 'utf8' }).stdout);
    if (m) nativeCompiler = first(m[1], ['--version']);
  }
  return { emcc: first('em++', ['--version']), native: nativeCompiler };
}

/** Everything, each step skipped when up to date; `skipDist` leaves dist/ as it is. */
export async function buildAll({ skipDist = false, log = () => {} } = {}) {
  mkdirSync(`${ROOT}build/bench`, { recursive: true });
  writeFileSync(`${ROOT}build/bench/README`, 'Build output of `npm run bench` (bench/build.mjs); safe to delete.\n');
  if (!skipDist) buildDist(log);
  await buildWasmBench(log);
  buildNativeBench(log);
  log('bundling TF.js (Vite) if needed');
  await ensureTfBundle();
}

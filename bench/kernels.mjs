// The wasm kernel benchmark, run by bench/run.mjs in its own node process: loads the two
// kernel-benchmark modules (build/bench/wasm/kbench-{simd,scalar}, built by bench/build.mjs),
// times every case in interleaved rounds (bench/common.mjs) with each timed call a separate
// JS→wasm call into code V8 has already tiered up, and prints one JSON object on stdout.
// Usage: node bench/kernels.mjs [--quick]
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { measureInterleaved } from './common.mjs';

const WASM_DIR = fileURLToPath(new URL('../build/bench/wasm/', import.meta.url));
const quick = process.argv.includes('--quick');

const REF = 0;
const SIMD = 1;

async function load(variant) {
  const { default: create } = await import(`${WASM_DIR}kbench-${variant}.js`);
  const m = await create({ wasmBinary: await readFile(`${WASM_DIR}kbench-${variant}.wasm`) });
  const str = (p) => m.UTF8ToString(p);
  return {
    variant,
    simd: m._kb_simd() === 1,
    // bnbench::Kind by name: { LinearForward: 0, ..., BnTrain, MlpStep, Ceiling }.
    kinds: () => Object.fromEntries(Array.from({ length: m._kb_kind_count() }, (_, k) => [str(m._kb_kind_name(k)), k])),
    count: (kind) => m._kb_count(kind),
    name: (kind, e) => str(m._kb_name(kind, e)),
    list: (list) =>
      Array.from({ length: m._kb_list_count(list) }, (_, i) => ({
        name: str(m._kb_list_name(list, i)),
        a: m._kb_list_field(list, i, 0),
        b: m._kb_list_field(list, i, 1),
        c: m._kb_list_field(list, i, 2),
      })),
    misalign: (bytes) => m._kb_misalign(bytes),
    // A prepared case: run(reps) is one JS→wasm call.
    prepare(kind, entry, kernelVariant, a = 0, b = 0, c = 0) {
      const h = m._kb_prepare(kind, entry, kernelVariant, a, b, c);
      if (h < 0) return null;
      const run = m._kb_run;
      return { work: m._kb_work(h), run: (reps) => run(h, reps) };
    },
  };
}

const simd = await load('simd');
const scalar = await load('scalar');
if (!simd.simd || scalar.simd) throw new Error('kbench-simd must be the SIMD build and kbench-scalar the scalar one');
// The kinds, read from the module (bench/cpp/kernel_cases.h, generated from cpp/kernels/kernels.inc).
const K = simd.kinds();
if (JSON.stringify(scalar.kinds()) !== JSON.stringify(K)) throw new Error('kbench-simd and kbench-scalar list different kinds');
for (const name of ['LinearForward', 'LinearBackwardInput', 'LinearBackwardParams', 'BnTrain', 'MlpStep', 'Ceiling', 'ConvTrain', 'NormTrain']) {
  if (!(name in K)) throw new Error(`bench/kernels.mjs expects the kind ${name}; the module has ${Object.keys(K).join(', ')}`);
}
const KIND_COUNT = Object.keys(K).length;
const FLOPS_KINDS = [K.LinearForward, K.LinearBackwardInput, K.LinearBackwardParams];

// Every job: a key, the module and kernel variant it runs, what it measures.
const jobs = [];
const meta = {};
function add(key, mod, kind, entry, variant, a, b, c, info) {
  const cs = mod.prepare(kind, entry, variant, a, b, c);
  if (!cs) return;
  jobs.push({ key, run: cs.run });
  meta[key] = { ...info, work: cs.work };
}

add('ceiling', simd, K.Ceiling, 0, SIMD, 0, 0, 0, { what: 'ceiling' });

const PRODUCTS = [
  [K.LinearForward, 'forward'],
  [K.LinearBackwardInput, 'backward-input'],
  [K.LinearBackwardParams, 'backward-params'],
];
const matmul = [];
for (const s of simd.list(0)) {
  for (const [kind, product] of PRODUCTS) {
    for (let e = 0; e < simd.count(kind); e++) {
      const id = `mm:${kind}:${e}:${s.a}:${s.b}:${s.c}`;
      const row = { model: s.name, n: s.a, in: s.b, out: s.c, product, kernel: simd.name(kind, e), kind, entry: e, id };
      add(`${id}:simd`, simd, kind, e, SIMD, s.a, s.b, s.c, row);
      add(`${id}:scalar`, scalar, kind, e, REF, s.a, s.b, s.c, row);
      matmul.push(row);
    }
  }
}

const bn = [];
for (const s of simd.list(1)) {
  const id = `bn:${s.a}:${s.b}:${s.c}`;
  const row = { shape: s.name, n: s.a, c: s.b, s: s.c, id };
  add(`${id}:simd`, simd, K.BnTrain, 0, SIMD, s.a, s.b, s.c, row);
  add(`${id}:scalar`, scalar, K.BnTrain, 0, REF, s.a, s.b, s.c, row);
  bn.push(row);
}

// Every kernel of every table, at one size: the SIMD module's simd and ref, the scalar module's ref.
const sizes = simd.list(2);
const catalogue = [];
for (let kind = 0; kind < KIND_COUNT; kind++) {
  if (kind >= K.BnTrain) continue; // the composite cases come after the signatures
  for (let e = 0; e < simd.count(kind); e++) {
    const z = sizes[kind];
    const id = `cat:${kind}:${e}`;
    const row = { kernel: simd.name(kind, e), kind, entry: e, a: z.a, b: z.b, c: z.c, flops: FLOPS_KINDS.includes(kind), id };
    add(`${id}:simd`, simd, kind, e, SIMD, z.a, z.b, z.c, row);
    add(`${id}:simdref`, simd, kind, e, REF, z.a, z.b, z.c, row);
    add(`${id}:scalar`, scalar, kind, e, REF, z.a, z.b, z.c, row);
    catalogue.push(row);
  }
}

// Alignment: the same cases with every buffer 8 bytes past a 16-byte boundary, where Emscripten
// 3.1.6's malloc (8-byte alignment) puts about half of the engine's buffers.
const KB_MISALIGN = 8;
const aligned = [];
simd.misalign(KB_MISALIGN);
for (const m of matmul.filter((r) => r.model === '784-256-256-10' && r.out === 256)) {
  add(`${m.id}:simd:misaligned`, simd, m.kind, m.entry, SIMD, m.n, m.in, m.out, m);
  aligned.push({ ...m, key: m.id });
}
for (const b of bn) {
  add(`${b.id}:simd:misaligned`, simd, K.BnTrain, 0, SIMD, b.n, b.c, b.s, b);
  aligned.push({ ...b, key: b.id });
}
simd.misalign(0);

const mlp = [];
for (let e = 0; e < simd.count(K.MlpStep); e++) {
  const id = `mlp:${e}`;
  const row = { model: simd.name(K.MlpStep, e), id };
  add(`${id}:simd`, simd, K.MlpStep, e, SIMD, 0, 0, 0, row);
  add(`${id}:scalar`, scalar, K.MlpStep, e, REF, 0, 0, 0, row);
  mlp.push(row);
}

// The layers: Conv2d and LayerNorm/GroupNorm as the engine runs them, each module in its own
// variant (the SIMD module's layers use the SIMD kernels, the scalar module's the references).
const layers = [];
for (const kind of [K.ConvTrain, K.NormTrain]) {
  for (let e = 0; e < simd.count(kind); e++) {
    const id = `layer:${kind}:${e}`;
    const row = { layer: kind === K.ConvTrain ? 'Conv2d' : 'norm', name: simd.name(kind, e), flops: kind === K.ConvTrain, id };
    add(`${id}:simd`, simd, kind, e, SIMD, 0, 0, 0, row);
    add(`${id}:scalar`, scalar, kind, e, REF, 0, 0, 0, row);
    layers.push(row);
  }
}

const t0 = Date.now();
const times = await measureInterleaved(jobs, {
  rounds: quick ? 2 : 5,
  samples: quick ? 3 : 5,
  targetMs: quick ? 0.3 : 0.8,
  warmupMs: quick ? 30 : 80,
  log: (m) => process.stderr.write(`  wasm kernels: ${m}\n`),
});

const result = (key) => (times[key] ? { ...times[key], work: meta[key].work } : null);
process.stdout.write(
  JSON.stringify({
    seconds: (Date.now() - t0) / 1000,
    ceiling: result('ceiling'),
    matmul: matmul.map((r) => ({ ...r, simd: result(`${r.id}:simd`), scalar: result(`${r.id}:scalar`) })),
    bn: bn.map((r) => ({ ...r, simd: result(`${r.id}:simd`), scalar: result(`${r.id}:scalar`) })),
    catalogue: catalogue.map((r) => ({ ...r, simd: result(`${r.id}:simd`), simdref: result(`${r.id}:simdref`), scalar: result(`${r.id}:scalar`) })),
    mlp: mlp.map((r) => ({ ...r, simd: result(`${r.id}:simd`), scalar: result(`${r.id}:scalar`) })),
    layers: layers.map((r) => ({ ...r, simd: result(`${r.id}:simd`), scalar: result(`${r.id}:scalar`) })),
    misaligned: aligned.map((r) => ({ ...r, aligned: result(`${r.key}:simd`), misaligned: result(`${r.key}:simd:misaligned`) })),
  }) + '\n',
);

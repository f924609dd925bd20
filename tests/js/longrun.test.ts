// Long runs, on the SIMD and the scalar module:
//  - a million training steps (ten run(100000) calls) keep the wasm heap bounded;
//  - ten thousand create/run/dispose cycles of datasets and trainers (and failed constructions)
//    return the heap's used bytes to their starting value and leave no live object;
//  - a thousand layers created and never disposed are reclaimed by the FinalizationRegistry
//    (web/src/engine/context.ts) once JavaScript collects them. This needs a forced collection, so it
//    runs in a child `node --expose-gc` (the Vitest config is not changed for one file).
//
// The bounds, and why they are what they are:
//  - After the first run(100000) every engine buffer has its steady-state capacity: the layers'
//    buffers are sized by the batch, and the per-step metric vectors (trainer.h: kept for the last
//    run only) are cleared, not shrunk, so later runs of the same length allocate nothing. Later
//    measurements may exceed the first by at most 64 KiB, one wasm page: slack for the allocator's
//    bookkeeping only. A leak of even one byte per step would add 100,000 bytes per run and fail.
//  - heapBytes only grows, and grows by at least 20% at a time (Emscripten's growth policy), so the
//    same 64 KiB bound means it must not grow at all after the first run.
//  - Create/dispose cycles must come back to exactly the used bytes measured after one warm-up
//    cycle (which allocates the wrapper's staging block and the engine's lastError string), checked
//    every 1,000 cycles, so a leak of any size per cycle fails.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../dist/index.js';

type Lab = Awaited<ReturnType<typeof loadLab>>;

const KIB = 1024;
const SLACK = 64 * KIB;

/** A BNDS file (cpp/data/dataset.h) of `count` h×w images, the first `nTrain` for training. */
function bnds(count: number, nTrain: number, h: number, w: number, classes: number, seed: number): Uint8Array {
  const head = new DataView(new ArrayBuffer(32));
  [0x42, 0x4e, 0x44, 0x53].forEach((b, i) => head.setUint8(i, b));  // "BNDS"
  [1, count, nTrain, h, w, classes, 255].forEach((v, i) => head.setUint32(4 + 4 * i, v, true));
  const bytes = new Uint8Array(32 + count * h * w + count);
  bytes.set(new Uint8Array(head.buffer), 0);
  for (let i = 0; i < count * h * w; i++) bytes[32 + i] = (i * 37 + seed * 11) & 0xff;
  for (let i = 0; i < count; i++) bytes[32 + count * h * w + i] = (i + seed) % classes;
  return bytes;
}

for (const simd of [true, false]) {
  describe(`long runs (${simd ? 'SIMD' : 'scalar'} module)`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      expect(lab.features.simd).toBe(simd);
    });

    it('a million training steps keep usedBytes and heapBytes bounded', () => {
      lab.standardize([1, 2]);  // allocates the wrapper's staging block, which is kept for reuse
      const start = lab.memory;
      const train = lab.toyDataset('xor', { n: 64, noise: 0.1, seed: 1 });
      const t = new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true, seed: 2 }, train, lr: 0.05, batchSize: 4 });
      try {
        const seen: { usedBytes: number; heapBytes: number }[] = [];
        let steps = 0;
        for (let r = 0; r < 10; r++) {
          const m = t.run(100_000);
          expect(m.diverged, `run ${r + 1} diverged at ${m.divergedAt}`).toBe(false);
          expect(m.steps).toBe(100_000);
          steps += m.steps;
          const { usedBytes, heapBytes } = lab.memory;
          seen.push({ usedBytes, heapBytes });
        }
        expect(steps).toBe(1_000_000);
        expect(t.step).toBe(1_000_000);
        const first = seen[0]!;
        seen.forEach((s, r) => {
          expect(s.usedBytes, `usedBytes after run ${r + 1} (first: ${first.usedBytes})`).toBeLessThanOrEqual(first.usedBytes + SLACK);
          expect(s.heapBytes, `heapBytes after run ${r + 1} (first: ${first.heapBytes})`).toBeLessThanOrEqual(first.heapBytes + SLACK);
        });
        // Still learning after a million steps: XOR with BN is solved.
        expect(t.evaluate(train).accuracy).toBeGreaterThan(0.9);
      } finally {
        t.dispose();
        train.dispose();
      }
      // Everything the trainer held is released.
      expect(lab.memory.usedBytes).toBe(start.usedBytes);
      expect(lab.memory.liveObjects).toBe(start.liveObjects);
    }, 120_000);

    it('ten thousand create/dispose cycles of trainers and datasets return usedBytes to its start', () => {
      const digits = bnds(24, 16, 3, 3, 4, 1);
      const cycle = (i: number) => {
        const a = lab.toyDataset(i % 2 ? 'circle' : 'spiral', { n: 32, seed: i });
        const b = lab.toyDataset('gauss', { n: 16, seed: i });
        const split = lab.parseDataset(digits);
        const t1 = new lab.Trainer({ model: { sizes: [2, 4, 2], batchNorm: i % 2 === 0 }, train: a, test: b, lr: 0.1, batchSize: 4, evalEvery: 1 });
        t1.run(2);
        const t2 = new lab.Trainer({ model: { sizes: [9, 5, 4], batchNorm: true, placement: 'after' }, train: split.train, test: split.test, lr: 0.1, batchSize: 8 });
        t2.run(1);
        t2.stateDict();
        // A refused construction (batch larger than the set) must not leak either.
        expect(() => new lab.Trainer({ model: { sizes: [2, 2] }, train: b, lr: 0.1, batchSize: 17 })).toThrow(RangeError);
        // Datasets may go first: a trainer keeps its own reference.
        a.dispose();
        b.dispose();
        t1.run(1);
        t1.dispose();
        t2.dispose();
        split.train.dispose();
        split.test.dispose();
      };
      const live0 = lab.memory.liveObjects;
      cycle(0);  // warm-up: the staging block and lastError's string reach their size
      const start = lab.memory;
      expect(start.liveObjects).toBe(live0);
      for (let i = 1; i <= 10_000; i++) {
        cycle(i);
        if (i % 1000 === 0) {
          const m = lab.memory;
          expect(m.usedBytes, `usedBytes after ${i} cycles (start ${start.usedBytes})`).toBe(start.usedBytes);
          expect(m.liveObjects, `liveObjects after ${i} cycles`).toBe(live0);
          expect(m.heapBytes, `heapBytes after ${i} cycles`).toBe(start.heapBytes);
        }
      }
    }, 120_000);
  });
}

// The child: creates 1,400 handles (1,000 layers; 200 of them Sequentials holding two more each),
// plus datasets and trainers, keeps no reference, then forces collections until the registry has
// deleted them. It prints the memory before, during and after as JSON.
const CHILD = `
const { loadLab } = await import(process.env.BN_INDEX_URL);
const settle = async (ms) => { globalThis.gc(); await new Promise((r) => setTimeout(r, ms)); };
const out = [];
for (const simd of [true, false]) {
  const lab = await loadLab({ simd });
  // Warm up the staging block and lastError with every call below (so that they reach their final
  // size and place in the heap before the measurement: emmalloc's used-byte count depends on the
  // hole a block lands in), then measure.
  new lab.Linear(16, 16).forward(new Float32Array(32), [2, 16]);
  new lab.BatchNorm1d(32).forward(new Float32Array(64).map((_, j) => j), [2, 32]);
  new lab.ReLU().forward(new Float32Array(8), [8]);
  new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true }, train: lab.toyDataset('xor', { n: 64, seed: 0 }), lr: 0.1, batchSize: 8 }).run(5);
  for (let i = 0; i < 5; i++) await settle(0);
  const before = lab.memory;
  let made = 0;
  (() => {
    for (let i = 0; i < 1000; i++) {
      switch (i % 5) {
        case 0: new lab.Linear(16, 16).forward(new Float32Array(32), [2, 16]); made += 1; break;
        case 1: new lab.BatchNorm1d(32).forward(new Float32Array(64).map((_, j) => j), [2, 32]); made += 1; break;
        case 2: new lab.BatchNorm2d(4); made += 1; break;
        case 3: new lab.ReLU().forward(new Float32Array(8), [8]); made += 1; break;
        default: new lab.Sequential([new lab.Linear(4, 4), new lab.Tanh()]); made += 3; break;
      }
    }
    for (let i = 0; i < 20; i++) {
      const train = lab.toyDataset('xor', { n: 64, seed: i });
      new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true }, train, lr: 0.1, batchSize: 8 }).run(5);
      made += 2;
    }
  })();
  const during = lab.memory;
  const t0 = Date.now();
  let after = lab.memory;
  while ((after.liveObjects > before.liveObjects || after.usedBytes > before.usedBytes) && Date.now() - t0 < 20000) {
    await settle(5);
    after = lab.memory;
  }
  out.push({ simd, made, before, during, after, ms: Date.now() - t0 });
}
process.stdout.write(JSON.stringify(out));
`;

describe('undisposed objects', () => {
  it('1,000 layers (and trainers, datasets) never disposed are reclaimed after garbage collection', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, BN_INDEX_URL: new URL('../../dist/index.js', import.meta.url).href },
    });
    expect(child.error, String(child.error)).toBeUndefined();
    expect(child.status, `child exited ${child.status}: ${child.stderr}`).toBe(0);
    const results = JSON.parse(child.stdout) as {
      simd: boolean;
      made: number;
      before: { usedBytes: number; liveObjects: number; heapBytes: number };
      during: { usedBytes: number; liveObjects: number; heapBytes: number };
      after: { usedBytes: number; liveObjects: number; heapBytes: number };
      ms: number;
    }[];
    expect(results.map((r) => r.simd)).toEqual([true, false]);
    for (const r of results) {
      const label = `${r.simd ? 'SIMD' : 'scalar'} (collected in ${r.ms} ms)`;
      expect(r.made).toBe(1440);
      // Every handle was counted while alive, and the engine memory they own was in use ...
      expect(r.during.liveObjects, label).toBe(r.before.liveObjects + r.made);
      expect(r.during.usedBytes, label).toBeGreaterThan(r.before.usedBytes + 1000 * 64);
      // ... and after collection the registry has deleted every one of them.
      expect(r.after.liveObjects, label).toBe(r.before.liveObjects);
      expect(r.after.usedBytes, label).toBe(r.before.usedBytes);
    }
  }, 60_000);
});

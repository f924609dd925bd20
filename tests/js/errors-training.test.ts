// The bad-input battery for the training side of the API (Trainer, datasets, runJob), on both
// builds: each case asserts the exact error class and that the message names the argument, and
// afterwards the same lab still trains and computes correctly.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, runJob, type Lab, type TrainerOptions } from '../../dist/index.js';

type Case = { name: string; cls: ErrorConstructor; pattern: RegExp; call: (lab: Lab) => unknown };

const trainerCases = (lab: Lab): Case[] => {
  const train = lab.toyDataset('xor', { n: 64, seed: 1 });
  const base: TrainerOptions = { model: { sizes: [2, 8, 2] }, train, lr: 0.1 };
  const make = (patch: Record<string, unknown>, model?: Record<string, unknown>) => () =>
    new lab.Trainer({ ...base, ...patch, model: { ...base.model, ...model } } as TrainerOptions);
  const mk = (name: string, cls: ErrorConstructor, pattern: RegExp, call: () => unknown): Case => ({ name, cls, pattern, call });
  return [
    mk('opts = null', TypeError, /opts/, () => new lab.Trainer(null as never)),
    mk('opts.model missing', TypeError, /opts\.model/, () => new lab.Trainer({ train, lr: 0.1 } as never)),
    mk('sizes not an array', TypeError, /sizes/, make({}, { sizes: '2,8,2' })),
    mk('sizes too short', RangeError, /sizes/, make({}, { sizes: [2] })),
    mk('sizes[1] = 0', RangeError, /sizes\[1\]/, make({}, { sizes: [2, 0, 2] })),
    mk('sizes[1] = 1.5', TypeError, /sizes\[1\]/, make({}, { sizes: [2, 1.5, 2] })),
    mk('sizes[1] = 1e6', RangeError, /sizes\[1\]/, make({}, { sizes: [2, 1e6, 2] })),
    mk('input size differs from the data', RangeError, /features/, make({}, { sizes: [3, 8, 2] })),
    mk('fewer outputs than classes', RangeError, /classes/, make({}, { sizes: [2, 8, 1] })),
    mk('activation unknown', RangeError, /activation/, make({}, { activation: 'gelu' })),
    mk('placement unknown', RangeError, /placement/, make({}, { placement: 'middle' })),
    mk('init unknown', RangeError, /init/, make({}, { init: 'orthogonal' })),
    mk('initScale NaN', RangeError, /initScale/, make({}, { initScale: NaN })),
    mk('initScale negative', RangeError, /initScale/, make({}, { initScale: -1 })),
    mk('seed negative', RangeError, /seed/, make({}, { seed: -1 })),
    mk('seed 1.5', TypeError, /seed/, make({}, { seed: 1.5 })),
    mk('bnMomentum 2', RangeError, /bnMomentum/, make({}, { bnMomentum: 2 })),
    mk('batchNorm "yes"', TypeError, /batchNorm/, make({}, { batchNorm: 'yes' })),
    mk('train missing', TypeError, /opts\.train/, make({ train: undefined })),
    mk('train a plain object', TypeError, /opts\.train/, make({ train: { x: [] } })),
    mk('test a number', TypeError, /opts\.test/, make({ test: 3 })),
    mk('lr missing', TypeError, /lr/, make({ lr: undefined })),
    mk('lr negative', RangeError, /lr/, make({ lr: -0.1 })),
    mk('lr Infinity', RangeError, /lr/, make({ lr: Infinity })),
    mk('lr "0.1"', TypeError, /lr/, make({ lr: '0.1' })),
    mk('momentum negative', RangeError, /momentum/, make({ momentum: -1 })),
    mk('weightDecay NaN', RangeError, /weightDecay/, make({ weightDecay: NaN })),
    mk('nesterov without momentum', RangeError, /nesterov/, make({ nesterov: true })),
    mk('batchSize 1', RangeError, /batchSize/, make({ batchSize: 1 })),
    mk('batchSize larger than the data', RangeError, /batchSize/, make({ batchSize: 65 })),
    mk('batchSize 2.5', TypeError, /batchSize/, make({ batchSize: 2.5 })),
    mk('dataSeed NaN', TypeError, /dataSeed/, make({ dataSeed: NaN })),
    mk('evalEvery -1', RangeError, /evalEvery/, make({ evalEvery: -1 })),
    mk('evalLimit 1e12', RangeError, /evalLimit/, make({ evalLimit: 1e12 })),
    mk('watch.layer past the hidden layers', RangeError, /watchLayer/, make({ watch: { layer: 1, unit: 0 } })),
    mk('watch.unit past the layer width', RangeError, /watchUnit/, make({ watch: { layer: 0, unit: 8 } })),
    mk('explodeFactor 1', RangeError, /explodeFactor/, make({ explodeFactor: 1 })),
    mk('run(-1)', RangeError, /steps/, () => new lab.Trainer(base).run(-1)),
    mk('run(1.5)', TypeError, /steps/, () => new lab.Trainer(base).run(1.5)),
    mk('run(1e6)', RangeError, /steps/, () => new lab.Trainer(base).run(1e6)),
    mk('predictGrid nx 0', RangeError, /nx/, () => new lab.Trainer(base).predictGrid({ nx: 0 })),
    mk('predictGrid x0 NaN', RangeError, /x0/, () => new lab.Trainer(base).predictGrid({ x0: NaN })),
    mk('histograms hi <= lo', RangeError, /hi/, () => new lab.Trainer(base).histograms({ lo: 1, hi: 1 })),
    mk('histograms bins 0', RangeError, /bins/, () => new lab.Trainer(base).histograms({ bins: 0 })),
    mk('unitHistograms layer past the hidden layers', RangeError, /layer/, () => new lab.Trainer(base).unitHistograms(1)),
    mk('unitHistograms layer 0.5', TypeError, /layer/, () => new lab.Trainer(base).unitHistograms(0.5)),
    mk('unitHistograms bins 0', RangeError, /bins/, () => new lab.Trainer(base).unitHistograms(0, { bins: 0 })),
    mk('setWatch layer past the hidden layers', RangeError, /watchLayer/, () => new lab.Trainer(base).setWatch({ layer: 1, unit: 0 })),
    mk('setWatch unit past the layer width', RangeError, /watchUnit/, () => new lab.Trainer(base).setWatch({ layer: 0, unit: 8 })),
    mk('setWatch without a layer', TypeError, /watch\.layer/, () => new lab.Trainer(base).setWatch({ unit: 0 } as never)),
    mk('setWatch a string', TypeError, /watch/, () => new lab.Trainer(base).setWatch('0' as never)),
    mk('evaluate a non-dataset', TypeError, /dataset/, () => new lab.Trainer(base).evaluate({} as never)),
  ];
};

const datasetCases = (lab: Lab): Case[] => [
  { name: 'toyDataset kind 3', cls: TypeError, pattern: /kind/, call: () => lab.toyDataset(3 as never) },
  { name: 'toyDataset kind "moons"', cls: RangeError, pattern: /kind/, call: () => lab.toyDataset('moons' as never) },
  { name: 'toyDataset n 1', cls: RangeError, pattern: /opts\.n/, call: () => lab.toyDataset('xor', { n: 1 }) },
  { name: 'toyDataset n 2^21', cls: RangeError, pattern: /opts\.n/, call: () => lab.toyDataset('xor', { n: 2 ** 21 }) },
  { name: 'toyDataset n 2.5', cls: TypeError, pattern: /opts\.n/, call: () => lab.toyDataset('xor', { n: 2.5 }) },
  { name: 'toyDataset noise 2', cls: RangeError, pattern: /noise/, call: () => lab.toyDataset('xor', { noise: 2 }) },
  { name: 'toyDataset noise NaN', cls: RangeError, pattern: /noise/, call: () => lab.toyDataset('xor', { noise: NaN }) },
  { name: 'toyDataset seed -1', cls: RangeError, pattern: /seed/, call: () => lab.toyDataset('xor', { seed: -1 }) },
  { name: 'toyDataset opts "big"', cls: TypeError, pattern: /opts/, call: () => lab.toyDataset('xor', 'big' as never) },
  { name: 'parseDataset a string', cls: TypeError, pattern: /bytes/, call: () => lab.parseDataset('BNDS' as never) },
  { name: 'parseDataset empty', cls: RangeError, pattern: /dataset/, call: () => lab.parseDataset(new Uint8Array(0)) },
  { name: 'parseDataset bad magic', cls: RangeError, pattern: /dataset/, call: () => lab.parseDataset(new Uint8Array(64).fill(7)) },
  { name: 'parseDataset truncated digits', cls: RangeError, pattern: /dataset/, call: () => lab.parseDataset(digitsBytes.slice(0, 1000)) },
  { name: 'parseDataset trailing byte', cls: RangeError, pattern: /dataset/, call: () => {
    const b = new Uint8Array(digitsBytes.length + 1);
    b.set(digitsBytes);
    return lab.parseDataset(b);
  } },
  { name: 'loadFashionMnist url 42', cls: TypeError, pattern: /url/, call: () => lab.loadFashionMnist(42 as never) },
];

let digitsBytes: Uint8Array;

for (const simd of [true, false]) {
  describe(`training API bad input, ${simd ? 'SIMD' : 'scalar'} module`, () => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await loadLab({ simd });
      const { readFile } = await import('node:fs/promises');
      digitsBytes = new Uint8Array(await readFile(new URL('../../web/data/digits.bnds', import.meta.url)));
    });

    const healthy = () => {
      // The same lab still trains deterministically and parses the real digits.
      const train = lab.toyDataset('circle', { n: 64, seed: 2 });
      const t = new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true, seed: 1 }, train, lr: 0.1 });
      const a = t.run(5).loss;
      t.dispose();
      const t2 = new lab.Trainer({ model: { sizes: [2, 8, 2], batchNorm: true, seed: 1 }, train, lr: 0.1 });
      expect(t2.run(5).loss).toEqual(a);
      t2.dispose();
      train.dispose();
      const { train: dt, test: ds } = lab.parseDataset(digitsBytes);
      expect([dt.size, ds.size]).toEqual([1437, 360]);
      dt.dispose();
      ds.dispose();
    };

    it('every trainer and dataset case throws the right class, naming the argument', async () => {
      for (const c of [...trainerCases(lab), ...datasetCases(lab)]) {
        let error: unknown;
        try {
          await c.call(lab);
        } catch (e) {
          error = e;
        }
        expect(error, c.name).toBeInstanceOf(Error);
        expect((error as Error).constructor, `${c.name}: ${(error as Error).message}`).toBe(c.cls);
        expect((error as Error).message, c.name).toMatch(c.pattern);
        healthy();
      }
    });

    it('a disposed dataset or trainer is an Error naming what was disposed', () => {
      const train = lab.toyDataset('xor', { n: 32 });
      train.dispose();
      expect(() => train.x).toThrow(/dispose/);
      expect(() => new lab.Trainer({ model: { sizes: [2, 2] }, train, lr: 0.1 })).toThrow(/opts\.train.*dispose|dispose/);
      const live = lab.toyDataset('xor', { n: 32 });
      const t = new lab.Trainer({ model: { sizes: [2, 2] }, train: live, lr: 0.1 });
      t.dispose();
      for (const call of [() => t.run(1), () => t.step, () => t.stateDict(), () => t.predictGrid()]) {
        expect(call).toThrow(Error);
        expect(call).toThrow(/dispose/);
      }
      live.dispose();
      healthy();
    });

    it('runJob rejects bad jobs with the right class', async () => {
      const job = { dataset: { kind: 'toy', name: 'xor' }, trainer: { model: { sizes: [2, 2] }, lr: 0.1 }, steps: 10 } as const;
      const live = lab.memory.liveObjects;
      await expect(runJob(lab, { ...job, steps: -1 } as never)).rejects.toThrow(RangeError);
      await expect(runJob(lab, { ...job, chunk: 0 } as never)).rejects.toThrow(RangeError);
      for (const evalTrainSet of [0, -1, 1.5, 'yes']) {
        await expect(runJob(lab, { ...job, evalTrainSet } as never)).rejects.toThrow(/job\.evalTrainSet must be true, false or a positive integer/);
      }
      await expect(runJob(lab, { ...job, dataset: { kind: 'mnist' } } as never)).rejects.toThrow(RangeError);
      await expect(runJob(lab, null as never)).rejects.toThrow(TypeError);
      await expect(runJob(lab, { ...job, trainer: { ...job.trainer, batchSize: 1 } } as never)).rejects.toThrow(RangeError);
      expect(lab.memory.liveObjects).toBe(live); // failed jobs leave nothing behind
      healthy();
    });
  });
}

// Section 10 (<bn-code>) shows PyTorch's outputs beside the engine's: they are what PyTorch 1.13
// printed when tests/fixtures/gen_bn_code.mjs ran the PyTorch code the page shows, unchanged, on
// the weights the page's download writes. Here: that code is still the code shown, and the
// engine, on both builds, computes the same outputs to float32 round-off.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type Lab } from '../../dist/index.js';
import { PYTORCH_CODE, codeModel, codeOutputs, codeWeights } from '../../dist/elements/code-example.js';
import { PYTORCH_EVAL, PYTORCH_RAN, PYTORCH_TRAIN, PYTORCH_VERSION } from '../../dist/elements/code-pytorch.js';
import { MODULES } from './helpers.js';

const labs = new Map<boolean, Lab>();
beforeAll(async () => {
  for (const simd of MODULES) labs.set(simd, await loadLab({ simd }));
});

describe('<bn-code>: PyTorch beside the engine', () => {
  it('the outputs on the page come from the PyTorch code the page shows', () => {
    expect(PYTORCH_RAN).toBe(PYTORCH_CODE);
    expect(PYTORCH_VERSION).toMatch(/^1\.13/);
    expect(PYTORCH_TRAIN).toHaveLength(8);
    expect(PYTORCH_EVAL).toHaveLength(8);
    // The code reads weights.json and runs the lesson's model in both modes, as the page says.
    expect(PYTORCH_CODE).toContain("json.load(open('weights.json'))");
    expect(PYTORCH_CODE).toContain('model.train()');
    expect(PYTORCH_CODE).toContain('model.eval()');
  });

  for (const simd of MODULES) {
    it(`the engine computes PyTorch's outputs to float32 round-off (${simd ? 'SIMD' : 'scalar'} build)`, () => {
      const model = codeModel(labs.get(simd)!);
      try {
        // weights.json holds PyTorch's keys, every parameter and buffer of the model.
        expect(Object.keys(codeWeights(model))).toEqual([
          '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
          '3.weight', '3.bias', '4.weight', '4.bias', '4.running_mean', '4.running_var', '4.num_batches_tracked',
          '6.weight', '6.bias',
        ]);
        const { trainMode: train, evalMode: evalOut } = codeOutputs(model);
        // Outputs of about 0.1 to 1 after three layers with sums of 3 to 8 terms: a few float32
        // ulps (6e-8 each at 1) apart at most.
        for (let i = 0; i < 8; i++) {
          expect(Math.abs(train[i]! - PYTORCH_TRAIN[i]!), `train ${i}`).toBeLessThan(1e-6);
          expect(Math.abs(evalOut[i]! - PYTORCH_EVAL[i]!), `eval ${i}`).toBeLessThan(1e-6);
        }
        // Not a vacuous match: the two modes give different numbers.
        expect(Math.max(...train.map((v, i) => Math.abs(v - evalOut[i]!)))).toBeGreaterThan(0.1);
      } finally {
        model.dispose();
      }
    });
  }
});

// The example of <bn-code> (section 10), without the DOM, so that the fixture generator
// (tests/fixtures/gen_bn_code.mjs) runs the very code the page shows: the source lesson's PyTorch
// MLP, the same model in JavaScript, their batch and the engine's model.
import type { Lab } from '../engine/lab.js';
import type { Sequential } from '../engine/layers.js';

/** The PyTorch version, as shown. It runs as written next to weights.json (the page's download). */
export const PYTORCH_CODE = `import json
import torch
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, in_features, hidden, out):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.BatchNorm1d(hidden),   # BatchNorm after linear
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, out)
        )

    def forward(self, x):
        return self.net(x)

model = MLP(3, 8, 2)
# the JavaScript model's initial weights ("Download its weights" below)
saved = json.load(open('weights.json'))
model.net.load_state_dict({k: torch.tensor(saved[k]).reshape(v.shape)
                           for k, v in model.net.state_dict().items()})

x = torch.tensor([[0.5, -1, 2], [1.5, 0, -0.5],
                  [-1, 2, 1], [0, 0.5, -2]])

# IMPORTANT: switch mode for training vs evaluation
model.train()   # uses batch statistics + updates running stats
y_train = model(x)
model.eval()    # uses running statistics (no updates)
y_eval = model(x)
print(y_train, y_eval, sep='\\n')`;

/** The JavaScript version, as shown. */
export const JS_CODE = `import { loadLab } from 'batchnorm-lab';
const lab = await loadLab();

// in_features 3, hidden 8, out 2 (seeded)
const model = new lab.Sequential([
  new lab.Linear(3, 8, { seed: 1 }),
  new lab.BatchNorm1d(8),   // BatchNorm after linear
  new lab.ReLU(),
  new lab.Linear(8, 8, { seed: 2 }),
  new lab.BatchNorm1d(8),
  new lab.ReLU(),
  new lab.Linear(8, 2, { seed: 3 }),
]);

// a fixed batch, [N = 4, 3]
const x = Float32Array.of(
  0.5, -1, 2,   1.5, 0, -0.5,
  -1, 2, 1,     0, 0.5, -2);

model.train();   // batch statistics, updates running stats
const yTrain = model.forward(x, [4, 3]); // [4, 2]
model.eval();    // running statistics, no updates
const yEval = model.forward(x, [4, 3]);`;

/** The batch both versions run on, [4, 3]. */
export const CODE_X = Float32Array.of(0.5, -1, 2, 1.5, 0, -0.5, -1, 2, 1, 0, 0.5, -2);

/** The JavaScript version's model (the caller disposes it). */
export function codeModel(lab: Lab): Sequential {
  return new lab.Sequential([
    new lab.Linear(3, 8, { seed: 1 }), new lab.BatchNorm1d(8), new lab.ReLU(),
    new lab.Linear(8, 8, { seed: 2 }), new lab.BatchNorm1d(8), new lab.ReLU(),
    new lab.Linear(8, 2, { seed: 3 }),
  ]);
}

/** The initial weights as weights.json holds them: PyTorch's keys, flat lists of numbers. */
export function codeWeights(model: Sequential): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Array.from(v)]));
}

/** The engine's outputs of the example: train mode, then eval mode (the model ends in eval mode). */
export function codeOutputs(model: Sequential): { trainMode: Float32Array; evalMode: Float32Array } {
  model.train();
  const trainMode = model.forward(CODE_X, [4, 3]);
  model.eval();
  return { trainMode, evalMode: model.forward(CODE_X, [4, 3]) };
}

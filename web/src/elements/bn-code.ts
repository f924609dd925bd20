// <bn-code>: the source lesson's PyTorch MLP (Linear → BatchNorm1d → ReLU blocks) beside the same
// model written with this library, and a button that runs the JavaScript version on a fixed
// batch in training and in eval mode. The page cannot run PyTorch; the numbers are this engine's
// (its layers are tested against PyTorch 1.13 fixtures in the repository).
import { el, tableHead } from './base/dom.js';
import { BnElement } from './base/element.js';
import { fmt } from './base/format.js';

const PYTORCH = `import torch.nn as nn

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

# IMPORTANT: switch mode for training vs evaluation
model.train()   # uses batch statistics + updates running stats
model.eval()    # uses running statistics (no updates)`;

const JS = `import { loadLab } from 'batchnorm-lab';
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

const X = Float32Array.of(0.5, -1, 2, 1.5, 0, -0.5, -1, 2, 1, 0, 0.5, -2);

export class BnCode extends BnElement {
  protected render(): void {
    const cols = el('div', 'code-cols');
    for (const [title, code] of [['PyTorch (from the original lesson)', PYTORCH], ['batchnorm-lab (JavaScript)', JS]] as const) {
      const fig = el('figure', 'code-fig');
      const pre = el('pre', 'code');
      pre.tabIndex = 0;
      pre.setAttribute('aria-label', `${title} code`);
      pre.append(el('code', undefined, code));
      fig.append(el('figcaption', undefined, title), pre);
      cols.append(fig);
    }
    const button = el('button', undefined, 'Run the JavaScript version');
    button.type = 'button';
    const out = el('div', 'run-out');
    out.setAttribute('aria-live', 'polite');
    button.addEventListener('click', () => out.replaceChildren(...this.run()));
    const note = el('p', 'note', 'Your browser cannot run PyTorch, so only the JavaScript model runs here. Its layers follow PyTorch 1.13 to float round-off (the repository’s tests compare them with fixtures PyTorch wrote).');
    this.content.replaceChildren(cols, button, out, note);
  }

  private run(): HTMLElement[] {
    const lab = this.lab!;
    const model = new lab.Sequential([
      new lab.Linear(3, 8, { seed: 1 }), new lab.BatchNorm1d(8), new lab.ReLU(),
      new lab.Linear(8, 8, { seed: 2 }), new lab.BatchNorm1d(8), new lab.ReLU(),
      new lab.Linear(8, 2, { seed: 3 }),
    ]);
    try {
      model.train();
      const yTrain = model.forward(X, [4, 3]);
      model.eval();
      const yEval = model.forward(X, [4, 3]);
      const table = el('table', 'nums');
      table.append(el('caption', undefined, 'Outputs [4, 2], computed just now by the engine'));
      const thead = tableHead(['example', 'model.train()', 'model.eval()']);
      const tbody = el('tbody');
      for (let n = 0; n < 4; n++) {
        const tr = el('tr');
        const th = el('th', undefined, String(n));
        th.scope = 'row';
        const pair = (y: Float32Array) => `${fmt(y[2 * n]!, 4)}, ${fmt(y[2 * n + 1]!, 4)}`;
        const t = el('td', 'mono', pair(yTrain));
        t.dataset.train = String(n);
        tr.append(th, t, el('td', 'mono', pair(yEval)));
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const why = el('p', 'note', 'The two columns differ: in training mode each BatchNorm uses this batch’s statistics; in eval mode it uses running statistics, which after one batch are still mostly their starting values (mean 0, variance 1).');
      return [table, why];
    } finally {
      model.dispose();
    }
  }
}

if (!customElements.get('bn-code')) customElements.define('bn-code', BnCode);

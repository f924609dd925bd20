// <bn-code>: the source lesson's PyTorch MLP (Linear → BatchNorm1d → ReLU blocks) beside the same
// model written with this library. A button runs the JavaScript version on a fixed batch in
// training and in eval mode, and shows its outputs beside PyTorch 1.13's for the same weights and
// batch (code-pytorch.ts, written by tests/fixtures/gen_bn_code.mjs, which ran the PyTorch code
// shown here, unchanged) and their largest difference. The weights download as weights.json,
// the file the PyTorch code reads, so a reader can run it too.
import { download, el, part, tableHead } from './base/dom.js';
import { BnElement, defineElement } from './base/element.js';
import { fmt, fmtMeasured } from './base/format.js';
import { JS_CODE, PYTORCH_CODE, codeModel, codeOutputs, codeWeights } from './code-example.js';
import { PYTORCH_EVAL, PYTORCH_TRAIN, PYTORCH_VERSION } from './code-pytorch.js';

/**
 * The source lesson's PyTorch MLP beside the same model written with this library, run on a fixed batch, with PyTorch's outputs.
 *
 * @csspart caption - The captions of the code and of the outputs table.
 */
export class BnCode extends BnElement {
  protected render(): void {
    const cols = el('div', 'code-cols');
    for (const [title, code] of [['PyTorch (the original lesson’s model, made runnable)', PYTORCH_CODE], ['batchnorm-lab (JavaScript)', JS_CODE]] as const) {
      const fig = el('figure', 'code-fig');
      const pre = el('pre', 'code');
      pre.tabIndex = 0;
      pre.setAttribute('aria-label', `${title} code`);
      pre.append(el('code', undefined, code));
      fig.append(part(el('figcaption', undefined, title), 'caption'), pre);
      cols.append(fig);
    }
    const button = el('button', undefined, 'Run the JavaScript version');
    button.type = 'button';
    const weights = el('button', undefined, 'Download its weights (weights.json)');
    weights.type = 'button';
    weights.addEventListener('click', () => {
      const model = codeModel(this.lab!);
      try {
        download(new Blob([JSON.stringify(codeWeights(model))], { type: 'application/json' }), 'weights.json', this.root);
      } finally {
        model.dispose();
      }
    });
    const out = el('div', 'run-out');
    out.setAttribute('aria-live', 'polite');
    // It scrolls sideways on a phone (five columns): keyboard users can scroll it too.
    out.tabIndex = 0;
    out.setAttribute('role', 'region');
    out.setAttribute('aria-label', 'Outputs of the example');
    button.addEventListener('click', () => out.replaceChildren(...this.run()));
    const note = el('p', 'note', `Your browser cannot run PyTorch: its column is what PyTorch ${PYTORCH_VERSION} printed when the repository ran the PyTorch code shown here, unchanged, next to these weights (tests/fixtures/gen_bn_code.mjs). The engine’s column is computed in your browser when you click.`);
    const bar = el('div', 'code-actions');
    bar.append(button, weights);
    this.content.replaceChildren(cols, bar, out, note);
  }

  private run(): HTMLElement[] {
    const model = codeModel(this.lab!);
    try {
      const { trainMode: train, evalMode: evalOut } = codeOutputs(model);
      let worst = 0;
      for (let i = 0; i < train.length; i++) {
        worst = Math.max(worst, Math.abs(train[i]! - PYTORCH_TRAIN[i]!), Math.abs(evalOut[i]! - PYTORCH_EVAL[i]!));
      }
      const table = el('table', 'nums');
      table.append(part(el('caption', undefined, `Outputs [4, 2]: the engine’s, computed just now, and PyTorch ${PYTORCH_VERSION}’s for the same weights and batch`), 'caption'));
      const thead = tableHead(['example', 'model.train(): engine', 'PyTorch', 'model.eval(): engine', 'PyTorch']);
      const tbody = el('tbody');
      const pair = (y: Float32Array, n: number) => `${fmt(y[2 * n]!, 4)}, ${fmt(y[2 * n + 1]!, 4)}`;
      for (let n = 0; n < 4; n++) {
        const tr = el('tr');
        const th = el('th', undefined, String(n));
        th.scope = 'row';
        const t = el('td', 'mono', pair(train, n));
        t.dataset.train = String(n);
        const e = el('td', 'mono', pair(evalOut, n));
        e.dataset.eval = String(n);
        tr.append(th, t, el('td', 'mono torch', pair(PYTORCH_TRAIN, n)), e, el('td', 'mono torch', pair(PYTORCH_EVAL, n)));
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const diff = el('p', 'agreement');
      diff.dataset.maxDiff = String(worst);
      diff.textContent = worst === 0
        ? 'Largest difference between the engine and PyTorch: none, every output is the same float32 number.'
        : `Largest difference between the engine and PyTorch: ${fmtMeasured(worst, 3)}, float32 round-off (the outputs are about 0.1 to 1).`;
      const why = el('p', 'note', 'The train and eval columns differ: in training mode each BatchNorm uses this batch’s statistics; in eval mode it uses running statistics, which after one batch are still mostly their starting values (mean 0, variance 1).');
      return [table, diff, why];
    } finally {
      model.dispose();
    }
  }
}

defineElement('bn-code', BnCode);

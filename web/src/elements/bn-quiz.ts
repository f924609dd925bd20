// <bn-quiz>: five questions with radio choices and a Check button each. The wrong choices are
// mistakes learners really make (sample variance, forgetting the mean, running statistics in
// training, a batch of two keeping its spread, a smoothness estimate that forgets the distance moved); every number in a choice and in its explanation is computed by the engine when the
// element renders. After Check, focus moves to the feedback, which says right or wrong and why
// that choice is; a wrong answer can be retried, and the working (typeset) is shown after a
// right answer or on request ("Show the working"), so a first wrong click does not give the answer
// away. A score line counts the questions answered right and those right at the first try.
// Emits `bn-answer` with { question, choice, correct, attempt }.
import { batchStats } from './base/batch-stats.js';
import { el } from './base/dom.js';
import { BnElement, defineElement } from './base/element.js';
import { fmt, fmtList, texNum } from './base/format.js';

const texList = (xs: ArrayLike<number>, digits = 3) => Array.from(xs, (x) => texNum(x, digits)).join(', ');
/** Plain text inside \\text{…}: TeX's special characters escaped. */
const texText = (t: string) => t.replace(/[\\{}$&#^_%~]/g, (c) => `\\${c}`);
import type { Lab } from '../engine/lab.js';
import type * as MathModule from './base/math.js';

interface Choice {
  text: string;
  correct: boolean;
  /** Why this choice is right or wrong, in one or two sentences. */
  why: string;
}

interface Question {
  prompt: string;
  choices: Choice[];
  /** The computation behind the answer, one TeX line each. */
  working: string[];
}

function questions(lab: Lab): Question[] {
  const x1 = [1, 3, 5, 7];
  const pop = lab.standardize(x1);
  const samp = lab.standardize(x1, { unbiased: true });
  const noMean = x1.map((x) => x / pop.std);
  const noDiv = x1.map((x) => x - pop.mean);

  const x2 = [2, 4, 8, 10];
  const n2 = batchStats(lab, x2);
  const sigma2 = Math.sqrt(n2.variance + 1e-5);
  const undo = batchStats(lab, x2, sigma2, n2.mean);
  const onX = x2.map((x) => sigma2 * x + n2.mean);

  const bn = new lab.BatchNorm1d(1);
  let trainMessage = '';
  let evalOut = NaN;
  try {
    try {
      bn.forward(Float32Array.of(3), [1, 1]);
    } catch (e) {
      trainMessage = `${(e as Error).name}: ${(e as Error).message}`;
    }
    bn.eval();
    evalOut = bn.forward(Float32Array.of(3), [1, 1])[0]!;
  } finally {
    bn.dispose();
  }

  // A batch of two examples, two features: the engine's BatchNorm1d(2) in training mode.
  const pair = [[3, 11], [-0.2, 0.1]] as const;
  const pairStats = pair.map((xs) => batchStats(lab, [...xs]));
  const pairSample = pair.map((xs) => lab.standardize([...xs], { unbiased: true }).z);
  const pairCentred = pair.map((xs, f) => xs.map((x) => x - pairStats[f]!.mean));
  const two = (rows: ArrayLike<number>[]) => rows.map((r) => `[${fmtList(r, 4)}]`).join(' and ');

  // Section 12's measurement, once: a small network on the XOR toy set after 30 steps, probed by
  // the engine at one step size along its gradient.
  const eta = 0.5;
  const probe = (() => {
    const train = lab.toyDataset('xor', { n: 256, seed: 3 });
    try {
      const t = new lab.Trainer({ model: { sizes: [2, 16, 16, 2], norm: 'batch', seed: 3 }, train, lr: 0.1, batchSize: 32, dataSeed: 3 });
      try {
        t.run(30);
        return t.probeLandscape([eta]);
      } finally {
        t.dispose();
      }
    } finally {
      train.dispose();
    }
  })();
  const g = Number(probe.gradientNorm.toPrecision(3));
  const dg = Number(probe.gradientChanges[0]!.toPrecision(3));
  const moved = eta * g;
  const beta = dg / moved;

  return [
    {
      prompt: 'A batch holds four values of one feature: [1, 3, 5, 7]. What does batch normalisation output before γ and β are applied?',
      choices: [
        { text: `[${fmtList(samp.z)}]`, correct: false,
          why: `This divides by the sample standard deviation (√(20/3) ≈ ${fmt(samp.std, 3)}, dividing the squares by m − 1 = 3). BatchNorm divides by m, the population variance.` },
        { text: `[${fmtList(pop.z)}]`, correct: true,
          why: `Right: the mean is ${fmt(pop.mean)}, the variance (dividing by m = 4) is ${fmt(pop.variance)}, so each value becomes (x − ${fmt(pop.mean)}) / √${fmt(pop.variance)}.` },
        { text: `[${fmtList(noMean)}]`, correct: false,
          why: `This divides by σ but forgets to subtract the mean first, so the result is still centred at ${fmt(pop.mean / pop.std)} instead of 0.` },
        { text: `[${fmtList(noDiv)}]`, correct: false,
          why: 'This subtracts the mean but never divides by the standard deviation: centred, but still on the original scale.' },
      ],
      working: [
        `\\mu_B = \\tfrac{1 + 3 + 5 + 7}{4} = ${texNum(pop.mean)}`,
        `\\sigma^2_B = \\tfrac{9 + 1 + 1 + 9}{4} = ${texNum(pop.variance)} \\quad \\text{(the sample variance would be } \\tfrac{20}{3} \\approx ${texNum(samp.variance)}\\text{)}`,
        `\\hat{x} = \\frac{x - ${texNum(pop.mean)}}{\\sqrt{${texNum(pop.variance)}}} = [${texList(pop.z)}]`,
      ],
    },
    {
      prompt: `After training, a BatchNorm layer has learned γ = ${fmt(sigma2, 3)} and β = ${fmt(n2.mean)} for one feature. In training mode it receives a batch of that feature: [2, 4, 8, 10]. What does the layer output for this batch?`,
      choices: [
        { text: `[${fmtList(n2.xhat)}]: normalisation cannot be undone, γ and β only fine-tune it`, correct: false,
          why: 'γ and β are free parameters: with γ = σ and β = μ the scale-and-shift step is exactly the inverse of the normalising step.' },
        { text: `[${fmtList(onX, 2)}]: γ·x + β`, correct: false,
          why: 'γ and β act on the normalised value x̂, not on the raw input x.' },
        { text: `[${fmtList(undo.y, 2)}]: the input comes back unchanged`, correct: true,
          why: 'Right: γ·x̂ + β = σ·(x − μ)/σ + μ = x. Because the network can learn this, adding BatchNorm never takes away what a layer could represent.' },
      ],
      working: [
        `\\mu_B = ${texNum(n2.mean)}, \\quad \\sigma^2_B = ${texNum(n2.variance)}, \\quad \\sqrt{\\sigma^2_B + \\epsilon} = ${texNum(sigma2, 3)} = \\gamma, \\quad \\mu_B = \\beta`,
        `\\hat{x} = [${texList(n2.xhat)}]`,
        `y = \\gamma \\hat{x} + \\beta = ${texNum(sigma2, 3)} \\cdot \\hat{x} + ${texNum(n2.mean)} = [${texList(undo.y, 2)}]`,
      ],
    },
    {
      prompt: 'A model with BatchNorm1d is in training mode (model.train()) and receives a batch of a single example. What happens in the BatchNorm layer?',
      choices: [
        { text: 'It normalises with its running mean and variance instead', correct: false,
          why: 'Running statistics are only used in eval mode. In training mode the layer always uses the statistics of the batch in front of it.' },
        { text: 'It outputs 0 for every feature, since each value minus the batch mean is 0', correct: false,
          why: 'That is what the formula would give, but it would be meaningless (and its gradient useless), so the layer refuses instead.' },
        { text: 'It stops with an error: one value per feature has no spread to normalise by', correct: true,
          why: 'Right. A batch of one has no variance to measure; the engine, like PyTorch, raises an error. In eval mode the same input works, because the running statistics are used.' },
      ],
      working: [
        `\\text{train mode, } x = [3]\\text{: ${texText(trainMessage)}}`,
        `\\text{eval mode, } x = [3]\\text{: } y = \\frac{3 - 0}{\\sqrt{1 + \\epsilon}} = ${texNum(evalOut, 4)} \\quad \\text{(running mean 0, running variance 1)}`,
      ],
    },
    {
      prompt: `A BatchNorm1d layer in training mode gets a batch of two examples. One feature has the values [${pair[0].join(', ')}] in them, another [${fmtList(pair[1])}]. What does the layer output for the two features, before γ and β?`,
      choices: [
        { text: two(pairSample), correct: false,
          why: `This divides by the sample standard deviation (dividing the squares by m − 1 = 1). BatchNorm divides by m = 2, the population variance.` },
        { text: two(pairCentred), correct: false,
          why: 'This only subtracts each feature’s mean; BatchNorm also divides by its standard deviation.' },
        { text: two(pairStats.map((s) => s.xhat)), correct: true,
          why: `Right: with two values, each is half their difference away from the mean, which is exactly one standard deviation; so every feature becomes −1 and +1 (less a hair for ε: ${fmt(pairStats[1]!.xhat[1]!, 4)} for the feature whose values are close). With batches of two, a network with BatchNorm1d learns only which example of each pair was larger, which is why section 10’s runs break there.` },
        { text: 'Nothing: like a batch of one, a batch of two is refused', correct: false,
          why: 'The layer refuses only a batch without any spread to measure, one value per feature. Two values are allowed, and that is the trouble: they always normalise to −1 and +1.' },
      ],
      working: pair.map((xs, f) => {
        const s = pairStats[f]!;
        return `x = [${texList(xs, 3)}]: \\mu_B = ${texNum(s.mean, 3)}, \\; \\sigma^2_B = ${texNum(s.variance, 4)}, \\; \\hat{x} = \\frac{x - ${texNum(s.mean, 3)}}{\\sqrt{${texNum(s.variance, 4)} + 10^{-5}}} = [${texList(s.xhat, 4)}]`;
      }),
    },
    {
      prompt: `Section 12 measures how smooth the loss is along the gradient. At the current weights of a small BatchNorm network the engine measured a gradient of length ‖g‖ = ${fmt(g, 3)}. After a step of η = ${eta} along it, the gradient had changed by ‖Δg‖ = ${fmt(dg, 3)}. What is the effective β-smoothness of that step, the change of the gradient per distance moved?`,
      choices: [
        { text: fmt(dg / eta, 3), correct: false,
          why: `This divides by the step size η alone. The weights moved η·‖g‖ = ${fmt(moved, 3)}, not η: the step goes along the whole gradient, not along a unit vector.` },
        { text: fmt(beta, 3), correct: true,
          why: `Right: the weights moved η·‖g‖ = ${eta} × ${fmt(g, 3)} = ${fmt(moved, 3)}, and the gradient changed by ${fmt(dg, 3)} over that distance: ${fmt(dg, 3)} / ${fmt(moved, 3)} = ${fmt(beta, 3)}. Smaller means a smoother landscape, where the gradient stays a good guide for longer; in section 12 BatchNorm makes it smaller.` },
        { text: fmt(dg / g, 3), correct: false,
          why: 'This compares the change with the gradient’s length but leaves out how far the step went: the same change over a longer step would be a smoother landscape.' },
        { text: fmt(dg * eta * g, 3), correct: false,
          why: `This multiplies by the distance instead of dividing: β is a change per distance, so ${fmt(dg, 3)} is divided by the ${fmt(moved, 3)} moved.` },
      ],
      working: [
        `\\text{distance moved} = \\eta \\, \\lVert g \\rVert = ${texNum(eta)} \\times ${texNum(g, 3)} = ${texNum(moved, 3)}`,
        `\\beta_{\\text{eff}} = \\frac{\\lVert \\Delta g \\rVert}{\\eta \\, \\lVert g \\rVert} = \\frac{${texNum(dg, 3)}}{${texNum(moved, 3)}} = ${texNum(beta, 3)}`,
      ],
    },
  ];
}

/**
 * Five questions on batch normalisation, every number in them computed by the engine.
 *
 * @fires {CustomEvent<{ question: number, choice: number, correct: boolean, attempt: number }>} bn-answer - On each Check; `attempt` is 1 for the first Check of that question. A wrong answer can be retried; the working shows after a right answer or on request.
 */
export class BnQuiz extends BnElement {
  private math: typeof MathModule | null = null;
  /** Per question: attempts so far, and whether it has been answered right. */
  private attempts: number[] = [];
  private solved: boolean[] = [];
  private firstTry: boolean[] = [];
  private readonly score = el('p', 'score');

  // KaTeX loads only on pages that show the quiz, beside the engine.
  protected override prepare(): Promise<unknown> {
    return import('./base/math.js').then((m) => (this.math = m));
  }

  protected render(): void {
    this.math!.useKatex(this.root);
    const qs = questions(this.lab!);
    this.attempts = qs.map(() => 0);
    this.solved = qs.map(() => false);
    this.firstTry = qs.map(() => false);
    const list = el('ol', 'quiz');
    qs.forEach((q, qi) => list.append(this.question(q, qi, qs.length)));
    this.score.setAttribute('role', 'status');
    this.updateScore();
    this.content.replaceChildren(list, this.score);
  }

  private updateScore(): void {
    const total = this.solved.length;
    const right = this.solved.filter(Boolean).length;
    const first = this.firstTry.filter(Boolean).length;
    this.score.textContent = right === 0 && this.attempts.every((a) => a === 0)
      ? `Score: ${total} questions to go.`
      : `Score: ${right} of ${total} answered right, ${first} of them at the first try.`;
  }

  /** The working of a question, typeset, one line each. */
  private working(q: Question): HTMLElement {
    const box = el('div', 'working');
    for (const line of q.working) box.append(this.math!.tex(line, true, 'math working-line'));
    return box;
  }

  private question(q: Question, qi: number, total: number): HTMLLIElement {
    const li = el('li', 'question');
    li.dataset.question = String(qi + 1);
    const form = el('form');
    form.noValidate = true;
    const fs = el('fieldset');
    const legend = el('legend');
    legend.append(el('span', 'qnum', `Question ${qi + 1} of ${total}. `), q.prompt);
    fs.append(legend);
    q.choices.forEach((c, ci) => {
      const id = `q${qi}c${ci}`;
      const label = el('label', 'choice');
      label.htmlFor = id;
      const input = el('input');
      input.type = 'radio';
      input.name = `q${qi}`;
      input.id = id;
      input.value = String(ci);
      label.append(input, el('span', 'mono-ish', c.text));
      fs.append(label);
    });
    const button = el('button', undefined, 'Check');
    button.type = 'submit';
    const show = el('button', 'show-working', 'Show the working');
    show.type = 'button';
    const feedback = el('div', 'feedback');
    feedback.tabIndex = -1;
    feedback.setAttribute('aria-live', 'polite');
    feedback.hidden = true;
    const workBox = el('div', 'work');
    workBox.hidden = true;
    const revealWork = () => {
      if (workBox.hidden) {
        workBox.replaceChildren(el('p', 'small', 'The computation, done by the engine:'), this.working(q));
        workBox.hidden = false;
      }
      show.hidden = true;
    };
    show.addEventListener('click', () => {
      revealWork();
      workBox.tabIndex = -1;
      workBox.focus();
    });
    form.append(fs, button, show, feedback, workBox);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const picked = form.querySelector<HTMLInputElement>('input:checked');
      feedback.hidden = false;
      feedback.className = 'feedback';
      if (!picked) {
        feedback.replaceChildren(el('p', undefined, 'Pick one of the answers first.'));
        delete feedback.dataset.result;
        fs.querySelector<HTMLInputElement>('input')!.focus();
        return;
      }
      const choice = q.choices[Number(picked.value)]!;
      const attempt = ++this.attempts[qi]!;
      if (choice.correct && !this.solved[qi]) {
        this.solved[qi] = true;
        this.firstTry[qi] = attempt === 1;
      }
      feedback.classList.add(choice.correct ? 'right' : 'wrong');
      feedback.dataset.result = choice.correct ? 'right' : 'wrong';
      const verdict = el('p', 'verdict', choice.correct
        ? `✓ Correct${attempt > 1 ? `, at attempt ${attempt}` : ''}.`
        : '✗ Not quite. Pick another answer and check again, or show the working.');
      feedback.replaceChildren(verdict, el('p', undefined, choice.why));
      if (choice.correct) revealWork();
      this.updateScore();
      feedback.focus();
      this.emit('answer', { question: qi + 1, choice: Number(picked.value), correct: choice.correct, attempt });
    });
    li.append(form);
    return li;
  }
}

defineElement('bn-quiz', BnQuiz);

// The placeholder lesson page: the z-score refresher and a "try your own numbers" box, every
// number computed by the engine through the public API (nothing here re-implements the maths
// except the check that z has mean 0 and standard deviation 1, which is the point of the lesson).
// It only writes textContent, never HTML, so user input cannot inject markup.
import { loadLab, type Lab, type Standardized } from '../index.js';

const DEMO_VALUES = [2, 4, 4, 4, 5, 5, 7, 9];

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page: #${id} is missing from index.html`);
  return node as T;
}

/** A readable number: up to 6 significant digits, a real minus sign, no "-0". */
function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Object.is(x, -0) || x === 0) return '0';
  const text = String(Number(x.toPrecision(6)));
  return text.replace('-', '−');
}

/** z-scores are of order 1: 4 decimals is what a reader can use, and float noise disappears. */
function fmtZ(x: number): string {
  return fmt(Math.round(x * 1e4) / 1e4);
}

/** Mean and population standard deviation of z, in double precision, to show z's new scale. */
function moments(z: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of z) sum += v;
  const mean = sum / z.length;
  let sq = 0;
  for (const v of z) sq += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(sq / z.length) };
}

/** One item per value: x above, z below, each with a label that screen readers read out. */
function fillPairs(list: HTMLElement, values: readonly number[], z: Float32Array): void {
  const part = (cls: string, name: string, value: string) => {
    const span = document.createElement('span');
    span.className = cls;
    const label = document.createElement('span');
    label.className = 'sr-only';
    label.textContent = `${name} = `;
    span.append(label, value);
    return span;
  };
  list.replaceChildren(
    ...values.map((x, i) => {
      const item = document.createElement('li');
      item.append(part('px', 'x', fmt(x)), part('pz', 'z', fmtZ(z[i]!)));
      return item;
    }),
  );
}

function showDemo(lab: Lab): void {
  const r = lab.standardize(DEMO_VALUES);
  const after = moments(r.z);
  el('demo-values').textContent = DEMO_VALUES.join(', ');
  el('demo-mean').textContent = fmt(r.mean);
  el('demo-std').textContent = fmt(r.std);
  el('demo-z').textContent = Array.from(r.z, fmtZ).join(', ');
  el('demo-z-mean').textContent = fmtZ(after.mean);
  el('demo-z-std').textContent = fmtZ(after.std);
  fillPairs(el('demo-pairs'), DEMO_VALUES, r.z);
}

/** Splits on commas, semicolons or spaces; returns the tokens and their numeric values. */
function parse(text: string): { tokens: string[]; values: number[] } {
  const tokens = text.split(/[\s,;]+/).filter((t) => t !== '');
  // Number('') would be 0 and Number(' ') too; tokens are never empty here, so only real
  // numbers parse, and anything else becomes NaN for the engine's validation to reject.
  return { tokens, values: tokens.map((t) => Number(t)) };
}

/** A sentence for a person, pointing at the entry the engine rejected. */
function explain(err: unknown, tokens: string[]): string {
  if (tokens.length === 0) return 'Type at least one number, for example 1, 2, 3.';
  const message = err instanceof Error ? err.message : String(err);
  const index = /values\[(\d+)\]/.exec(message);
  if (index) {
    const i = Number(index[1]);
    const token = tokens[i] ?? '';
    const value = Number(token);
    if (Number.isNaN(value)) return `“${token}” (entry ${i + 1}) is not a number.`;
    return `“${token}” (entry ${i + 1}) is too large: use finite numbers.`;
  }
  return 'These values cannot be standardized.';
}

function showTry(lab: Lab): void {
  const input = el<HTMLInputElement>('try-input');
  const error = el('try-error');
  const result = el('try-result');
  const { tokens, values } = parse(input.value);
  let r: Standardized;
  try {
    r = lab.standardize(values);
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message : String(err);
    error.textContent = '';
    const strong = document.createElement('strong');
    strong.textContent = explain(err, tokens);
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = `The engine says: ${name}: ${message}`;
    error.append(strong, detail);
    error.hidden = false;
    result.hidden = true;
    input.setAttribute('aria-invalid', 'true');
    return;
  }
  const after = moments(r.z);
  el('try-mean').textContent = fmt(r.mean);
  el('try-std').textContent = fmt(r.std);
  el('try-z-mean').textContent = fmtZ(after.mean);
  el('try-z-std').textContent = fmtZ(after.std);
  el('try-z').textContent = Array.from(r.z, fmtZ).join(', ');
  const note = el('try-note');
  if (r.std === 0) {
    note.textContent = 'All values are equal, so σ = 0: there is no spread to divide by, and every z is 0.';
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  error.hidden = true;
  error.textContent = '';
  result.hidden = false;
  input.removeAttribute('aria-invalid');
}

async function main(): Promise<void> {
  const root = el('main');
  const engine = el('engine');
  try {
    const lab = await loadLab();
    showDemo(lab);
    showTry(lab);
    const form = el<HTMLFormElement>('try-form');
    el('try-input').addEventListener('input', () => showTry(lab));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      showTry(lab);
    });
    const build = lab.features.simd ? 'WebAssembly SIMD build' : 'scalar WebAssembly build';
    engine.textContent = `Engine: batchnorm-lab ${lab.features.version}, ${build}.`;
    engine.dataset['simd'] = String(lab.features.simd);
    root.dataset['state'] = 'ready';
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    engine.textContent = `The engine could not be loaded (${message}).`;
    engine.classList.add('error');
    root.dataset['state'] = 'error';
    throw err;
  } finally {
    root.removeAttribute('aria-busy');
  }
}

void main();

// The lesson page's own script: waits for the engine and the elements, applies the state found in
// the URL (src/page/state.ts), keeps the URL following the controls, reports which engine build
// runs, fills the prose's computed sentences (src/page/bind.ts), and drives the theme toggle.
// The lesson's content lives in the <bn-*> elements.
import { pageLab } from '../elements/base/page-lab.js';
import { bindInputs, bindProse } from './bind.js';
import { applyUrlState, followState } from './state.js';

const THEME_KEY = 'batchnorm-lab-theme';

function setTheme(theme: 'light' | 'dark' | null): void {
  const root = document.documentElement;
  const button = document.getElementById('theme');
  if (theme) root.dataset.theme = theme;
  else delete root.dataset.theme;
  const dark = theme === 'dark' || (theme === null && matchMedia('(prefers-color-scheme: dark)').matches);
  if (button) {
    button.setAttribute('aria-pressed', String(dark));
    button.textContent = 'Dark theme';
  }
}

function initTheme(): void {
  let saved: string | null = null;
  try { saved = localStorage.getItem(THEME_KEY); } catch { /* storage may be off */ }
  setTheme(saved === 'light' || saved === 'dark' ? saved : null);
  document.getElementById('theme')?.addEventListener('click', (e) => {
    const dark = (e.currentTarget as HTMLElement).getAttribute('aria-pressed') !== 'true';
    const theme = dark ? 'dark' : 'light';
    try { localStorage.setItem(THEME_KEY, theme); } catch { /* fine: this visit only */ }
    setTheme(theme);
  });
}

async function main(): Promise<void> {
  initTheme();
  const main = document.getElementById('main')!;
  const engine = document.getElementById('engine')!;
  applyUrlState(location.search);
  followState();
  bindInputs();
  try {
    const lab = await pageLab();
    bindProse(lab);
    await Promise.all(['bn-standardize', 'bn-worked-example', 'bn-quiz'].map((n) => customElements.whenDefined(n)));
    engine.textContent = `Computed by batchnorm-lab ${lab.features.version}, ${lab.features.simd ? 'WebAssembly SIMD build' : 'scalar WebAssembly build'}.`;
    engine.dataset.simd = String(lab.features.simd);
    main.dataset.state = 'ready';
  } catch (e) {
    engine.textContent = `The engine could not load: ${e instanceof Error ? e.message : String(e)}`;
    engine.className = 'error';
    main.dataset.state = 'error';
  } finally {
    main.removeAttribute('aria-busy');
  }
}

void main();

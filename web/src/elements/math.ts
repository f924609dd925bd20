// TeX typesetting for the elements with KaTeX, under a strict CSP: katex.render builds DOM nodes
// (no HTML strings), its stylesheet is linked inside each shadow root, and its @font-face rules
// (which browsers ignore inside shadow roots) are linked once into the document as a fonts-only
// stylesheet, so nothing else of KaTeX's CSS reaches the host page.
import katex from './vendor/katex.mjs';

const KATEX_CSS = new URL('./katex/katex.min.css', import.meta.url).href;
const KATEX_FONTS_CSS = new URL('./katex/katex-fonts.css', import.meta.url).href;

function ensureFonts(): void {
  if (document.querySelector(`link[data-bn-katex-fonts]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = KATEX_FONTS_CSS;
  link.setAttribute('data-bn-katex-fonts', '');
  document.head.append(link);
}

/** Links KaTeX's stylesheet into a shadow root (once). */
export function useKatex(root: ShadowRoot): void {
  ensureFonts();
  if (root.querySelector('link[data-katex]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = KATEX_CSS;
  link.setAttribute('data-katex', '');
  root.prepend(link);
}

/** Typesets `tex` into a new element (display or inline); MathML goes along for screen readers. */
export function tex(source: string, display = false, className = 'math'): HTMLElement {
  const span = document.createElement(display ? 'div' : 'span');
  span.className = className;
  katex.render(source, span, { displayMode: display, throwOnError: false, output: 'htmlAndMathml' });
  return span;
}

// TeX typesetting for the elements with KaTeX, under a strict CSP: katex.render builds DOM nodes
// (no HTML strings) and its stylesheet is linked inside each shadow root. Browsers ignore
// @font-face rules inside shadow roots, so KaTeX's fonts are registered once with the document
// through the CSS Font Loading API. Each font's URL is a literal `new URL('../…', import.meta.url)`:
// from a static folder it resolves next to this module, and bundlers (Vite, webpack, rollup)
// recognise the pattern and ship the file, which a URL inside a copied stylesheet would not get.
// `?no-inline` keeps Vite from turning the smallest of them into a data: URL, which a strict CSP
// refuses (static servers ignore the query).
// Like @font-face, a registered face is only downloaded when text first needs it.
import katex from '../vendor/katex.mjs';

const KATEX_CSS = new URL('../katex/katex.min.css', import.meta.url).href;

type Face = [family: string, url: URL, weight?: 'bold', style?: 'italic'];
const FONTS = (): Face[] => [
  ['KaTeX_AMS', new URL('../katex/fonts/KaTeX_AMS-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Caligraphic', new URL('../katex/fonts/KaTeX_Caligraphic-Bold.woff2?no-inline', import.meta.url), 'bold'],
  ['KaTeX_Caligraphic', new URL('../katex/fonts/KaTeX_Caligraphic-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Fraktur', new URL('../katex/fonts/KaTeX_Fraktur-Bold.woff2?no-inline', import.meta.url), 'bold'],
  ['KaTeX_Fraktur', new URL('../katex/fonts/KaTeX_Fraktur-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Main', new URL('../katex/fonts/KaTeX_Main-Bold.woff2?no-inline', import.meta.url), 'bold'],
  ['KaTeX_Main', new URL('../katex/fonts/KaTeX_Main-BoldItalic.woff2?no-inline', import.meta.url), 'bold', 'italic'],
  ['KaTeX_Main', new URL('../katex/fonts/KaTeX_Main-Italic.woff2?no-inline', import.meta.url), undefined, 'italic'],
  ['KaTeX_Main', new URL('../katex/fonts/KaTeX_Main-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Math', new URL('../katex/fonts/KaTeX_Math-BoldItalic.woff2?no-inline', import.meta.url), 'bold', 'italic'],
  ['KaTeX_Math', new URL('../katex/fonts/KaTeX_Math-Italic.woff2?no-inline', import.meta.url), undefined, 'italic'],
  ['KaTeX_SansSerif', new URL('../katex/fonts/KaTeX_SansSerif-Bold.woff2?no-inline', import.meta.url), 'bold'],
  ['KaTeX_SansSerif', new URL('../katex/fonts/KaTeX_SansSerif-Italic.woff2?no-inline', import.meta.url), undefined, 'italic'],
  ['KaTeX_SansSerif', new URL('../katex/fonts/KaTeX_SansSerif-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Script', new URL('../katex/fonts/KaTeX_Script-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Size1', new URL('../katex/fonts/KaTeX_Size1-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Size2', new URL('../katex/fonts/KaTeX_Size2-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Size3', new URL('../katex/fonts/KaTeX_Size3-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Size4', new URL('../katex/fonts/KaTeX_Size4-Regular.woff2?no-inline', import.meta.url)],
  ['KaTeX_Typewriter', new URL('../katex/fonts/KaTeX_Typewriter-Regular.woff2?no-inline', import.meta.url)],
];

/** Marks the document once fonts are registered (several copies of the elements may share it). */
const REGISTERED = 'bnKatexFonts';

function ensureFonts(): void {
  const root = document.documentElement;
  if (root.dataset[REGISTERED] !== undefined) return;
  root.dataset[REGISTERED] = '';
  for (const [family, url, weight = 'normal', style = 'normal'] of FONTS()) {
    // font-display: block, as KaTeX's own @font-face rules: no flash of fallback glyphs.
    document.fonts.add(new FontFace(family, `url("${url.href}") format("woff2")`, { weight, style, display: 'block' }));
  }
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

// Types for the KaTeX ES module that scripts/build.sh copies next to the compiled elements
// (dist/elements/vendor/katex.mjs): browsers cannot resolve the bare specifier 'katex' under a
// CSP that forbids inline import maps, so the elements import it by relative path. Only what
// the elements use is declared.
export interface KatexOptions {
  displayMode?: boolean;
  throwOnError?: boolean;
  output?: 'html' | 'mathml' | 'htmlAndMathml';
}
export function render(tex: string, element: HTMLElement, options?: KatexOptions): void;
declare const katex: { render: typeof render; version: string };
export default katex;

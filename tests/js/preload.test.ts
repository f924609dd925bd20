// web/index.html preloads what the page needs at once (scripts/preload-links.mjs): its bundle's
// whole static import graph, the engine's glue and its module. The list must be exactly that for
// the built dist/, so a new file is never fetched a wave late and a removed one is never fetched
// for nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { currentBlock, moduleGraph, preloadBlock } from '../../scripts/preload-links.mjs';

describe('the lesson page’s modulepreload links', () => {
  const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');

  it('are the static import graph of the built page, as scripts/preload-links.mjs writes it', () => {
    expect(currentBlock(html), 'run: npm run build && node scripts/preload-links.mjs --write').toBe(preloadBlock());
  });

  it('preload the page\'s bundle, the engine\'s glue and its SIMD module, and nothing loaded lazily', () => {
    const graph: string[] = moduleGraph();
    // One file: the bundle imports nothing statically (scripts/bundle-page.mjs).
    expect(graph).toEqual(['../dist/lesson/lesson.js']);
    expect(html).toContain('<script type="module" src="../dist/lesson/lesson.js"></script>');
    expect(html).toContain('<link rel="modulepreload" href="../dist/lesson/bnlab-simd.js">');
    expect(html).toContain('<link rel="preload" href="../dist/wasm/bnlab-simd.wasm" as="fetch" type="application/wasm" crossorigin>');
    // KaTeX and uPlot load when an element that needs them comes near the viewport.
    const block = currentBlock(html)!;
    expect(block).not.toMatch(/katex|uplot|math\.js/);
  });
});

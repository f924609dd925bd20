// web/index.html preloads the whole static module graph of the page (scripts/preload-links.mjs):
// the list must be exactly the graph of the built dist/, so a new module is never fetched a wave
// late and a removed one is never fetched for nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { currentBlock, moduleGraph, preloadBlock } from '../../scripts/preload-links.mjs';

describe('the lesson page’s modulepreload links', () => {
  const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');

  it('are the static import graph of the built page, as scripts/preload-links.mjs writes it', () => {
    expect(currentBlock(html), 'run: npm run build && node scripts/preload-links.mjs --write').toBe(preloadBlock());
  });

  it('cover both entry scripts, the engine loader and every element', () => {
    const graph: string[] = moduleGraph();
    expect(graph).toEqual(expect.arrayContaining(['../dist/elements/index.js', '../dist/page/main.js', '../dist/engine/lab.js', '../dist/elements/bn-landscape.js', '../dist/elements/training-lab/bn-training-lab.js']));
    expect(new Set(graph).size).toBe(graph.length);
    // Only the page's own modules: the lazily imported KaTeX is not preloaded.
    expect(graph.some((f) => f.includes('katex'))).toBe(false);
  });
});

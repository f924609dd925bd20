#!/usr/bin/env node
// The lesson page's <link rel="modulepreload"> list: every module that dist/elements/index.js and
// dist/page/main.js import statically (the whole graph, so the browser fetches it in one wave
// instead of one wave per level of imports), then the engine's glue and module. The list sits in
// web/index.html between two markers; tests/js/preload.test.ts checks it against the built graph.
//
//   node scripts/preload-links.mjs           prints the block
//   node scripts/preload-links.mjs --write   rewrites it in web/index.html (after npm run build)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['dist/elements/index.js', 'dist/page/main.js'];
const START = '<!-- modulepreload: node scripts/preload-links.mjs --write -->';
const END = '<!-- end modulepreload -->';
// Static `import … from './x.js'`, `export … from './x.js'` and bare `import './x.js'`.
const STATIC_IMPORT = /(?:^|[\s;])(?:import|export)\s*(?:[^'"`;()]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The modules the entries import statically, each once, in depth-first order, as paths from web/. */
export function moduleGraph(root = ROOT) {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) walk(path.resolve(path.dirname(file), m[1]));
  };
  for (const e of ENTRIES) walk(path.join(root, e));
  return [...seen].map((f) => path.relative(path.join(root, 'web'), f).split(path.sep).join('/'));
}

/** The block of links, markers included, indented as in web/index.html. */
export function preloadBlock(root = ROOT) {
  const links = moduleGraph(root).map((f) => `    <link rel="modulepreload" href="${f}">`);
  links.push('    <link rel="modulepreload" href="../dist/wasm/bnlab-simd.js">');
  return [`    ${START}`, ...links, `    ${END}`].join('\n');
}

/** The block as web/index.html holds it now (null when the markers are missing). */
export function currentBlock(html) {
  const a = html.indexOf(`    ${START}`);
  const b = html.indexOf(END);
  return a < 0 || b < 0 ? null : html.slice(a, b + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const block = preloadBlock();
  if (process.argv.includes('--write')) {
    const file = path.join(ROOT, 'web/index.html');
    const html = readFileSync(file, 'utf8');
    const now = currentBlock(html);
    if (now === null) throw new Error(`web/index.html has no ${START} … ${END} block`);
    writeFileSync(file, html.replace(now, block));
  } else {
    console.log(block);
  }
}

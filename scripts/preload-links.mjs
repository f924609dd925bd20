#!/usr/bin/env node
// The lesson page's <link rel="modulepreload"> list: the page's bundle (dist/lesson/lesson.js,
// written by scripts/bundle-page.mjs) and every file it imports statically (so the browser
// fetches them in one wave instead of one wave per level of imports), then the engine's glue,
// which the bundle imports as soon as it runs, and its SIMD module. The list sits in web/index.html between two
// markers; tests/js/preload.test.ts checks it against the built files.
//
//   node scripts/preload-links.mjs           prints the block
//   node scripts/preload-links.mjs --write   rewrites it in web/index.html (after npm run build)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['dist/lesson/lesson.js'];
const START = '<!-- modulepreload: node scripts/preload-links.mjs --write -->';
const END = '<!-- end modulepreload -->';
// Static `import … from './x.js'`, `export … from './x.js'` and bare `import './x.js'`, with
// any quotes (the minified bundle writes backticks) and with or without spaces.
const STATIC_IMPORT = /(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;()]*?\bfrom\s*)?['"`](\.{1,2}\/[^'"`]+)['"`]/gm;

/** `files` (absolute paths) and every module they import statically, each once, depth-first. */
export function staticGraph(files) {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) walk(path.resolve(path.dirname(file), m[1]));
  };
  for (const f of files) walk(f);
  return [...seen];
}

/** The modules the page's bundle imports statically (itself first), as paths from web/. */
export function moduleGraph(root = ROOT) {
  return staticGraph(ENTRIES.map((e) => path.join(root, e))).map((f) => path.relative(path.join(root, 'web'), f).split(path.sep).join('/'));
}

/** The block of links, markers included, indented as in web/index.html. */
export function preloadBlock(root = ROOT) {
  const links = moduleGraph(root).map((f) => `    <link rel="modulepreload" href="${f}">`);
  links.push('    <link rel="modulepreload" href="../dist/lesson/bnlab-simd.js">');
  // The engine's module, fetched with the HTML instead of once the script has run; `crossorigin`
  // (credentials: same-origin) matches engine/lab.ts's fetch, so that fetch takes the preloaded
  // response, and instantiateStreaming compiles it.
  links.push('    <link rel="preload" href="../dist/wasm/bnlab-simd.wasm" as="fetch" type="application/wasm" crossorigin>');
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

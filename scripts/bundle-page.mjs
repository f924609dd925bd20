#!/usr/bin/env node
// The lesson page's script as one file: dist/lesson/lesson.js bundles dist/elements/index.js
// and dist/page/main.js (in that order, as the page ran them as two module scripts) with the
// whole static graph under them, minified by rolldown (Vite's bundler, already installed). A
// page that fetched ~60 separate modules over a slow connection spent seconds on round trips
// before its first paint; one file (~45 kB gzipped) is one round trip. The lazily imported
// parts stay lazy, each its own file beside it (KaTeX with the formulas' code, the wasm glue of
// each build); the workers keep their own unbundled scripts in dist/jobs/ and
// dist/elements/training-lab/.
// Each module finds its files (stylesheets, fonts, wasm, datasets, worker scripts) relative to
// its own URL: in the bundle every `import.meta.url` of a module becomes the URL that module had
// in dist/, so each relative URL resolves to the same file as before.
// The library's own files are unchanged: this bundle serves web/index.html only, and is not in
// the npm package.
//
//   node scripts/bundle-page.mjs    (run by scripts/build.sh after tsc)
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = path.join(ROOT, 'dist/lesson');
export const ENTRIES = ['dist/elements/index.js', 'dist/page/main.js'];
const ENTRY_ID = '\0bn-lesson-entry';

/** Every `import.meta.url` of `code` (module `id`) → the URL the module has in dist/. */
export function moduleUrls(code, id) {
  const rel = path.relative(OUT_DIR, id).split(path.sep).join('/');
  return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
}

export async function bundlePage() {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const bundle = await rolldown({
    input: { lesson: ENTRY_ID },
    // Node's modules, imported by name only on the Node paths (never reached in a browser).
    external: [/^node:/],
    // Every module runs as it did as a module script: package.json's sideEffects list names the
    // elements only (for the package's users), and would let the page's own script be dropped.
    treeshake: { moduleSideEffects: () => true },
    plugins: [{
      name: 'bn-lesson',
      resolveId: (id) => (id === ENTRY_ID ? id : null),
      load: (id) => (id === ENTRY_ID ? ENTRIES.map((e) => `import ${JSON.stringify(path.join(ROOT, e))};`).join('\n') : null),
      transform: (code, id) => (id !== ENTRY_ID && code.includes('import.meta.url') ? { code: moduleUrls(code, id) } : null),
    }],
    onLog(level, log, handler) {
      // Expression imports (`import(name)` of a Node module) cannot be followed: by design.
      if (log.code === 'UNRESOLVED_IMPORT' || log.code === 'EMPTY_IMPORT_META') return;
      handler(level, log);
    },
  });
  try {
    const out = await bundle.write({
      dir: OUT_DIR,
      format: 'esm',
      minify: true,
      entryFileNames: '[name].js',
      chunkFileNames: '[name].js',
    });
    const chunks = out.output.filter((o) => o.type === 'chunk');
    // Which modules of dist/ each file holds, and how much of each survived tree-shaking: for
    // tests/js/bundle.test.ts, which checks that no module of the page was dropped.
    const modules = Object.fromEntries(chunks.map((c) => [c.fileName, Object.fromEntries(Object.entries(c.modules)
      .filter(([id]) => id !== ENTRY_ID)
      .map(([id, m]) => [path.relative(path.join(ROOT, 'dist'), id).split(path.sep).join('/'), m.renderedLength]))]));
    writeFileSync(path.join(OUT_DIR, 'modules.json'), `${JSON.stringify(modules, null, 1)}\n`);
    return chunks.map((o) => o.fileName);
  } finally {
    await bundle.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await bundlePage();
  console.log(`bundled: dist/lesson/ (${files.join(', ')})`);
}

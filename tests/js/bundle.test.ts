// The lesson page's bundle (scripts/bundle-page.mjs, dist/lesson/): one file holding every
// element and the page's script, whose modules still find their files. Each module's
// import.meta.url became the URL it had in dist/, so every `new URL(file, …)` of the bundle must
// name a file that exists; the lazily loaded parts are chunks beside it; the npm package does not
// ship it. The page itself runs on it in the browser tests (tests/e2e/page.test.ts and the rest).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { elementTags } from './helpers.js';
// @ts-ignore: a plain .mjs script, without type declarations
import { ENTRIES, moduleUrls, OUT_DIR } from '../../scripts/bundle-page.mjs';
// @ts-ignore: a plain .mjs script, without type declarations
import { staticGraph } from '../../scripts/preload-links.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (f: string) => readFileSync(path.join(OUT_DIR, f), 'utf8');
const TAGS = elementTags();

describe('the lesson page’s bundle', () => {
  it('rewrites a module’s import.meta.url to the URL the module had in dist/', () => {
    const id = path.join(ROOT, 'dist/elements/base/element.js');
    expect(moduleUrls("new URL('./theme.css', import.meta.url)", id)).toBe('new URL(\'./theme.css\', new URL("../elements/base/element.js", import.meta.url).href)');
    // Resolved from dist/lesson/, the nested URL is the original module's, so the file is the same.
    const bundle = new URL('file:///x/dist/lesson/lesson.js');
    expect(new URL('./theme.css', new URL('../elements/base/element.js', bundle)).pathname).toBe('/x/dist/elements/base/theme.css');
  });

  it('is one file with every element in it, and chunks for KaTeX, uPlot and each wasm glue', () => {
    expect(existsSync(path.join(OUT_DIR, 'lesson.js')), 'run npm run build').toBe(true);
    expect(readdirSync(OUT_DIR).sort()).toEqual(['bnlab-scalar.js', 'bnlab-simd.js', 'lesson.js', 'math.js', 'modules.json', 'uplot.js']);
    const lesson = read('lesson.js');
    expect(lesson).not.toMatch(/(?:^|[;}\s])import\s*[^(]*?\bfrom\s*[`'"]|(?:^|[;}\s])import\s*[`'"]/m);
    expect(TAGS.length).toBeGreaterThanOrEqual(13);
    for (const tag of TAGS) expect(lesson, tag).toContain(`\`${tag}\``);
    const lazy = [...lesson.matchAll(/import\(`(\.\/[^`]+)`\)/g)].map((m) => m[1]).sort();
    expect([...new Set(lazy)]).toEqual(['./bnlab-scalar.js', './bnlab-simd.js', './math.js', './uplot.js']);
  });

  it('holds every module of the page’s static graph, none dropped by tree-shaking', () => {
    // The static graph of the two module scripts the page ran before it was bundled.
    const DIST = path.join(ROOT, 'dist');
    const graph: string[] = staticGraph(ENTRIES.map((e: string) => path.join(ROOT, e))).map((f: string) => path.relative(DIST, f).split(path.sep).join('/'));
    const bundled: Record<string, number> = JSON.parse(read('modules.json'))['lesson.js'];
    expect(Object.keys(bundled).sort()).toEqual([...graph].sort());
    // A module with code of its own (not only imports, re-exports and comments) keeps it: the
    // page's own script, whose side effects are the whole point, included.
    const codeOf = (rel: string) => readFileSync(path.join(DIST, rel), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
      .replace(/^\s*(?:import|export)\b[^;]*?(?:from\s*)?['"][^'"]+['"];?\s*$/gm, '').replace(/^\s*export\s*\{\s*\};?\s*$/gm, '').trim();
    const withCode = [...graph].filter((m) => codeOf(m) !== '');
    expect(withCode).toContain('page/main.js');
    for (const m of withCode) expect(bundled[m], m).toBeGreaterThan(0);
  });

  it('finds every stylesheet, font, wasm, dataset and worker script where the modules expect them', () => {
    let checked = 0;
    for (const f of readdirSync(OUT_DIR).filter((f) => f.endsWith('.js'))) {
      for (const m of read(f).matchAll(/new URL\(`([^`]+)`,new URL\(`([^`]+)`,import\.meta\.url\)\.href\)/g)) {
        const [, file, module] = m as unknown as [string, string, string];
        const moduleUrl = new URL(module, new URL(`file://${OUT_DIR}/${f}`));
        expect(existsSync(moduleUrl), `${f}: module ${module}`).toBe(true);
        if (file === '../' || file.includes('…')) continue; // the package root; a placeholder in a message
        const target = new URL(file.replace(/\?no-inline$/, ''), moduleUrl);
        expect(existsSync(target), `${f}: ${file} of ${module}`).toBe(true);
        checked++;
      }
    }
    // theme, elements, uPlot and lab stylesheets, KaTeX's stylesheet and 20 fonts, two wasm, the
    // digits, two worker scripts.
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it('is not in the npm package', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('dist/elements/index.js');
    expect(files.filter((f) => f.startsWith('dist/lesson/'))).toEqual([]);
  });
});

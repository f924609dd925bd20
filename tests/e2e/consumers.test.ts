// The package as its users get it: `npm pack` of the built repository, installed from the tarball
// into empty projects outside the repository, then used (a) from Node ESM with no bundler,
// (b) through a Vite production build opened in headless Chromium under the strict CSP, (c) the
// custom elements through a Vite build (every file they load by URL must ship), and (d) from
// TypeScript, whose compiler must find the published declarations. The plain
// `<script type="module">` way is covered by page.test.ts.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, watchedPage } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { startServer } from '../../scripts/serve.mjs';

const run = promisify(execFile);
const TIMEOUT = 180_000;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(REPO, 'node_modules', '.bin');

const EXPECTED = {
  mean: 5,
  std: 2,
  z: [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2],
};

let work: string;
let tarball: string;
let browser: Browser | undefined;

/** Runs a command quietly; on failure the error carries its output, so the test log shows why. */
async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, {
      cwd,
      timeout,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
    return stdout;
  } catch (err) {
    const e = err as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** An empty ESM project with the packed batchnorm-lab installed from the tarball, offline. */
async function consumerProject(name: string): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir);
  await sh('npm', ['init', '-y'], dir);
  const pkgPath = path.join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
  pkg.type = 'module';
  pkg.private = true;
  await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  // The package has no runtime dependencies, so nothing may come from the network.
  await sh('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return dir;
}

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before these tests');
  }
  work = await mkdtemp(path.join(tmpdir(), 'bnlab-consumers-'));
  const packed = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], REPO));
  const info = packed[0] as { filename: string; files: { path: string }[] };
  tarball = path.join(work, info.filename);
  // What ships: the API, its declarations and both modules, not the lesson page's own script.
  const files = info.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining([
    'dist/index.js',
    'dist/index.d.ts',
    'dist/wasm/bnlab-simd.js',
    'dist/wasm/bnlab-simd.wasm',
    'dist/wasm/bnlab-scalar.js',
    'dist/wasm/bnlab-scalar.wasm',
  ]));
  expect(files.filter((f) => f.startsWith('dist/page/'))).toEqual([]);
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Builds the Vite project in `dir` with the repository's own Vite (a separate process, so nothing of Vitest's state leaks in). */
async function viteBuild(dir: string): Promise<void> {
  await sh(path.join(BIN, 'vite'), ['build', '--logLevel', 'warn'], dir);
  expect(existsSync(path.join(dir, 'dist', 'index.html'))).toBe(true);
}

/**
 * Serves `dir`/dist under the strict CSP (scripts/serve.mjs), opens it in a fresh Chromium
 * context and runs `check` on the page; then asserts that nothing went wrong on the way
 * (watchedPage: console errors, exceptions, CSP violations, failed requests).
 */
async function inChromium(dir: string, check: (page: Page, url: string) => Promise<void>): Promise<void> {
  const server = await startServer({ port: 0, root: path.join(dir, 'dist') });
  browser ??= await launchChromium();
  const { context, page, problems } = await watchedPage(browser);
  try {
    await page.goto(server.url);
    await check(page, server.url);
  } finally {
    await context.close();
    await server.close();
  }
  expect(problems).toEqual([]);
}

describe('package consumers', () => {
  it('(a) Node ESM, no bundler: both builds standardize, and the elements import without a DOM (server rendering)', async () => {
    const dir = await consumerProject('node-app');
    await writeFile(
      path.join(dir, 'main.js'),
      [
        "import { loadLab } from 'batchnorm-lab';",
        'const out = {};',
        'for (const [name, opts] of [["default", undefined], ["scalar", { simd: false }]]) {',
        '  const lab = await loadLab(opts);',
        '  const r = lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]);',
        '  out[name] = { features: lab.features, mean: r.mean, std: r.std, z: Array.from(r.z) };',
        '}',
        // Server-side rendering imports the elements in Node: no HTMLElement, no customElements.
        "const elements = await import('batchnorm-lab/elements');",
        "out.elements = Object.keys(elements).filter((k) => k.startsWith('Bn')).sort();",
        "out.registry = typeof customElements;",
        'console.log(JSON.stringify(out));',
        '',
      ].join('\n'),
    );
    const out = JSON.parse(await sh(process.execPath, ['main.js'], dir));
    expect(out.elements).toEqual(['Bn1dVs2d', 'BnAlgorithm', 'BnBatchNoise', 'BnCnn', 'BnCode', 'BnGammaBeta', 'BnPlacement', 'BnQuiz', 'BnSmallBatches', 'BnStandardize', 'BnTrainEval', 'BnWorkedExample']);
    expect(out.registry).toBe('undefined');
    const version = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')).version;
    for (const name of ['default', 'scalar']) {
      expect(out[name], name).toMatchObject(EXPECTED);
      expect(out[name].features.version).toBe(version);
    }
    expect(out.scalar.features.simd).toBe(false);
  }, TIMEOUT);

  it('(b) Vite production build, served under the strict CSP, in Chromium', async () => {
    const dir = await consumerProject('vite-app');
    await writeFile(
      path.join(dir, 'index.html'),
      [
        '<!doctype html>',
        // An inline icon, so Chromium does not ask for /favicon.ico and log the 404 as an error.
        '<html lang="en"><head><meta charset="utf-8"><title>vite consumer</title><link rel="icon" href="data:,">',
        '<script type="module" src="/main.js"></script></head>',
        '<body><output id="out">loading</output></body></html>',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'main.js'),
      [
        "import { loadLab } from 'batchnorm-lab';",
        "const out = document.getElementById('out');",
        'try {',
        '  const lab = await loadLab();',
        '  const r = lab.standardize([2, 4, 4, 4, 5, 5, 7, 9]);',
        '  out.textContent = JSON.stringify({ simd: lab.features.simd, mean: r.mean, std: r.std, z: Array.from(r.z) });',
        '} catch (err) {',
        '  out.textContent = `error: ${err}`;',
        '}',
        '',
      ].join('\n'),
    );
    await viteBuild(dir);
    await inChromium(dir, async (page) => {
      await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'loading', undefined, {
        timeout: 60_000,
      });
      const text = (await page.locator('#out').textContent()) ?? '';
      expect(text).not.toMatch(/^error/);
      expect(JSON.parse(text)).toMatchObject(EXPECTED);
    });
  }, TIMEOUT);

  it('(c) the custom elements through a Vite build: KaTeX fonts, the lab worker and the sweep workers ship', async () => {
    // What only a bundler can break: files the elements reach by URL (stylesheets, KaTeX's fonts,
    // uPlot, the training lab's worker, the sweep pool's worker) must come out of the build.
    const dir = await consumerProject('vite-elements');
    await writeFile(
      path.join(dir, 'index.html'),
      [
        '<!doctype html>',
        '<html lang="en"><head><meta charset="utf-8"><title>elements consumer</title><link rel="icon" href="data:,">',
        '<script type="module" src="/main.js"></script></head><body>',
        '<bn-standardize values="2,4,4,4,5,5,7,9"></bn-standardize>',
        '<bn-algorithm values="4,6,8,14"></bn-algorithm>',
        '<bn-training-lab dataset="xor"></bn-training-lab>',
        '<bn-placement dataset="xor" seeds="2" steps="50"></bn-placement>',
        '</body></html>',
        '',
      ].join('\n'),
    );
    // No vite.config.js: Vite's defaults inline files under 4 KB as data: URLs, which the strict
    // CSP refuses; the elements mark their small files ?no-inline, so no setting is needed.
    await writeFile(path.join(dir, 'main.js'), "import 'batchnorm-lab/elements';\n");
    await viteBuild(dir);
    await inChromium(dir, async (page) => {
      // A number computed by the engine.
      const mean = page.locator('bn-standardize dd[data-stat=mean]');
      await expect.poll(async () => (await mean.textContent()) ?? '', { timeout: 60_000 }).toMatch(/^5$/);
      // Typeset formulas, set in KaTeX's own fonts (not a fallback): the faces were found.
      await page.locator('bn-algorithm .katex').first().waitFor({ timeout: 30_000 });
      const fonts = await page.evaluate(async () => {
        await document.fonts.ready;
        return [...document.fonts].filter((f) => f.family.startsWith('KaTeX')).map((f) => `${f.family}:${f.status}`);
      });
      expect(fonts.length).toBe(20);
      expect(fonts).toContain('KaTeX_Main:loaded');
      expect(fonts.filter((f) => f.endsWith(':error'))).toEqual([]);
      // The training lab's own worker trains.
      const lab = page.locator('bn-training-lab');
      await lab.getByRole('button', { name: 'Step', exact: true }).click();
      await expect.poll(async () => (await lab.locator('output.step-count').textContent()) ?? '', { timeout: 60_000 }).toMatch(/^step [1-9]/);
      // The placement comparison runs its sweep on the package's worker pool.
      const placement = page.locator('bn-placement');
      await placement.getByRole('button', { name: 'Run the comparison' }).click();
      await expect.poll(async () => (await placement.locator('.placement-status').textContent()) ?? '', { timeout: 120_000 }).toMatch(/^Done: 2 seeds × 2 placements, 50 steps each/);
      expect((await placement.locator('.placement-verdict').textContent()) ?? '').toMatch(/\S/);
    });
  }, TIMEOUT);

  it('(d) TypeScript: the published declarations type-check a strict consumer', async () => {
    const dir = await consumerProject('ts-app');
    await writeFile(
      path.join(dir, 'main.ts'),
      [
        "import { loadLab, type Lab } from 'batchnorm-lab';",
        'const lab: Lab = await loadLab({ simd: false });',
        'const r = lab.standardize([1, 2, 3], { eps: 0, unbiased: true });',
        'const z: Float32Array = r.z;',
        'const mean: number = r.mean;',
        'const simd: boolean = lab.features.simd;',
        'console.log(z.length, mean, simd);',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // The package's own .d.ts files are checked too: users without skipLibCheck see their errors.
          skipLibCheck: false,
          types: [],
          // A common consumer setting; the package's types must not need a newer lib than this.
          lib: ['ES2022', 'DOM'],
        },
        files: ['main.ts'],
      }),
    );
    await sh(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  }, TIMEOUT);
});

// The package as its users get it: `npm pack` of the built repository, installed from the tarball
// into empty projects outside the repository, then used (a) from Node ESM with no bundler (and
// from CommonJS through require(esm)), (b) through a Vite production build opened in headless
// Chromium under the strict CSP, (c) the custom elements through a Vite build (every file they
// load by URL must ship), (d) from TypeScript, whose compiler must find the published declarations
// (`using` included), (e) through a zero-config webpack 5 build, (f, g) with Rollup and esbuild by
// the recipes of docs/bundlers.md, run as written there, and (h) from another origin, as from a
// CDN. Every browser app runs tests/e2e/consumers/app.js: the engine computes, and
// trainInWorker and sweep return from real workers the numbers of the same job run in the page.
// The plain `<script type="module">` way is covered by page.test.ts.
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  return (await sh2(cmd, args, cwd, timeout)).stdout;
}

/** sh, with what the command wrote to stderr too (warnings). */
async function sh2(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, {
      cwd,
      timeout,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    });
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

/** Build output without rolldown's plugin-timing notice (from its tag to its "for more details." line). */
function withoutTimingNotice(output: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.replace(/\[PLUGIN_TIMINGS\][\s\S]*?for more details\.\s*/g, '').trim();
}

/**
 * Builds the Vite project in `dir` with the repository's own Vite (a separate process, so nothing
 * of Vitest's state leaks in). At log level "warn" Vite prints nothing unless something is wrong
 * (a file it cannot find, a dynamic import it cannot analyse).
 */
async function viteBuild(dir: string): Promise<void> {
  const { stdout, stderr } = await sh2(path.join(BIN, 'vite'), ['build', '--logLevel', 'warn'], dir);
  // Rolldown's [PLUGIN_TIMINGS] notice says the build machine was slow (a loaded CI box takes
  // seconds), not that anything about the package is wrong: it is the one thing allowed through.
  expect(withoutTimingNotice(`${stdout}${stderr}`)).toBe('');
  expect(existsSync(path.join(dir, 'dist', 'index.html'))).toBe(true);
}

const APP_HTML = (script: string, body = '') =>
  [
    '<!doctype html>',
    // An inline icon, so Chromium does not ask for /favicon.ico and log the 404 as an error.
    '<html lang="en"><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,">',
    `${script}</head>`,
    `<body><output id="out">loading</output>${body}</body></html>`,
    '',
  ].join('\n');

/** A consumer project with tests/e2e/consumers/app.js as src/app.js and a src/main.js that runs it on the package. */
async function appProject(name: string, specifier = 'batchnorm-lab', extra = ''): Promise<string> {
  const dir = await consumerProject(name);
  await mkdir(path.join(dir, 'src'));
  await copyFile(path.join(REPO, 'tests', 'e2e', 'consumers', 'app.js'), path.join(dir, 'src', 'app.js'));
  await writeFile(path.join(dir, 'src', 'main.js'), `import * as bn from '${specifier}';\nimport { run } from './app.js';\n${extra}run(bn);\n`);
  return dir;
}

/** What app.js wrote, once it is done; the page must not have failed. */
async function appResult(page: Page): Promise<Record<string, unknown>> {
  await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'loading', undefined, { timeout: 90_000 });
  const text = (await page.locator('#out').textContent()) ?? '';
  expect(text).not.toMatch(/^error/);
  return JSON.parse(text) as Record<string, unknown>;
}

/** The engine's numbers, and jobs that came back from the workers equal to the in-page run. */
function expectAppWorked(result: Record<string, unknown>): void {
  expect(result).toMatchObject(EXPECTED);
  expect(result).toMatchObject({ progress: [20, 40], steps: 40, sameAsHere: true, swept: [['seed 2', 40], ['seed 3', 40]] });
}

/** <bn-algorithm> typeset its formulas in KaTeX's own fonts: the elements' files reached the browser. */
async function expectTypeset(page: Page): Promise<void> {
  await page.locator('bn-algorithm .katex').first().waitFor({ timeout: 30_000 });
  const fonts = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.family.startsWith('KaTeX')).map((f) => `${f.family}:${f.status}`);
  });
  expect(fonts).toContain('KaTeX_Main:loaded');
  expect(fonts.filter((f) => f.endsWith(':error'))).toEqual([]);
}

/** The code block of docs/bundlers.md that starts with the line `// name`: recipes are run as documented. */
async function docsRecipe(name: string): Promise<string> {
  const md = await readFile(path.join(REPO, 'docs', 'bundlers.md'), 'utf8');
  const block = [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`// ${name}\n`));
  if (!block) throw new Error(`docs/bundlers.md has no js block starting with "// ${name}"`);
  return block;
}

/** Every file under `dir` whose text contains `needle` (paths relative to `dir`). */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    if ((await stat(file)).isFile() && (await readFile(file, 'latin1')).includes(needle)) hits.push(entry);
  }
  return hits;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** A bare static server for `root` on 127.0.0.1 (each one its own origin), sending `headers` with every file. */
async function plainServer(root: string, headers: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    stat(file).then(
      (info) => {
        if (!info.isFile()) return void res.writeHead(404, headers).end();
        res.writeHead(200, { ...headers, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
        createReadStream(file).pipe(res);
      },
      () => void res.writeHead(404, headers).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Serves `dir`/dist under the strict CSP (scripts/serve.mjs), opens it in a fresh Chromium
 * context and runs `check` on the page; then asserts that nothing went wrong on the way
 * (watchedPage: console errors, exceptions, CSP violations, failed requests).
 */
async function inChromium(dir: string, check: (page: Page, url: string, workers: string[]) => Promise<void>): Promise<void> {
  const server = await startServer({ port: 0, root: path.join(dir, 'dist') });
  browser ??= await launchChromium();
  const { context, page, problems } = await watchedPage(browser);
  const workers: string[] = []; // the URL of every worker the page started
  page.on('worker', (w) => workers.push(w.url()));
  try {
    await page.goto(server.url);
    await check(page, server.url, workers);
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
    expect(out.elements).toEqual(['Bn1dVs2d', 'BnAlgorithm', 'BnBatchNoise', 'BnCnn', 'BnCode', 'BnGammaBeta', 'BnLandscape', 'BnPlacement', 'BnQuiz', 'BnSmallBatches', 'BnStandardize', 'BnTrainEval', 'BnWorkedExample']);
    expect(out.registry).toBe('undefined');
    const version = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')).version;
    for (const name of ['default', 'scalar']) {
      expect(out[name], name).toMatchObject(EXPECTED);
      expect(out[name].features.version).toBe(version);
    }
    expect(out.scalar.features.simd).toBe(false);
    // CommonJS loads the ES module package through require(esm), which needs the Node that
    // package.json's engines names.
    await writeFile(path.join(dir, 'main.cjs'), "const lab = require('batchnorm-lab');\nconsole.log(typeof lab.loadLab, typeof lab.sweep);\n");
    expect((await sh(process.execPath, ['main.cjs'], dir)).trim()).toBe('function function');
    const engines = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')).engines.node as string;
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(engines).toBe('>=20.19');
    expect(major > 20 || (major === 20 && minor >= 19)).toBe(true);
  }, TIMEOUT);

  it('(b) Vite production build, served under the strict CSP, in Chromium: the engine and its workers', async () => {
    const dir = await appProject('vite-app');
    await writeFile(path.join(dir, 'index.html'), APP_HTML('<script type="module" src="/src/main.js"></script>'));
    await viteBuild(dir);
    await inChromium(dir, async (page, _url, workers) => {
      expectAppWorked(await appResult(page));
      expect(workers.length).toBeGreaterThanOrEqual(3); // trainInWorker's, and sweep's two
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
        // Declared disposable, and that compiles without lib "esnext.disposable" too.
        'const bn = new lab.BatchNorm1d(1);',
        'bn[Symbol.dispose]();',
        'const gone: boolean = bn.disposed;',
        'console.log(gone);',
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
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
    // `using`: compiled against the published types (TS2850/TS2741 without [Symbol.dispose]), then
    // run: the engine objects are freed when their block ends.
    await writeFile(
      path.join(dir, 'using.ts'),
      [
        "import { loadLab } from 'batchnorm-lab';",
        'const lab = await loadLab({ simd: false });',
        'const before = lab.memory.liveObjects;',
        'let inside = 0;',
        '{',
        '  using bn = new lab.BatchNorm1d(1);',
        "  using data = lab.toyDataset('xor', { n: 10 });",
        '  bn.forward(Float32Array.of(1, 2, 3, 4), [4, 1]);',
        '  inside = lab.memory.liveObjects - before + 0 * data.size;',
        '}',
        'console.log(JSON.stringify({ inside, after: lab.memory.liveObjects - before }));',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'tsconfig.using.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          skipLibCheck: true, // the package's .d.ts were checked by the first compile
          types: [],
          lib: ['ES2022', 'ESNext.Disposable', 'DOM'],
        },
        files: ['using.ts'],
      }),
    );
    await sh(process.execPath, [tsc, '-p', 'tsconfig.using.json'], dir);
    expect(JSON.parse(await sh(process.execPath, ['out/using.js'], dir))).toEqual({ inside: 2, after: 0 });
  }, TIMEOUT);

  it('(e) webpack 5, zero config: no warnings, no build paths in the bundle; the engine, its workers and the elements in Chromium', async () => {
    // `webpack` with no configuration file: src/index.js in, dist/main.js out (a classic script).
    const dir = await appProject('webpack-app', 'batchnorm-lab', "import 'batchnorm-lab/elements';\n");
    await writeFile(path.join(dir, 'src', 'index.js'), "import './main.js';\n");
    // Production mode as webpack's default, less Terser (7 of its ~10 s, minifying KaTeX), which
    // changes nothing the test looks at: warnings, emitted files, paths, workers.
    const { stdout, stderr } = await sh2(path.join(BIN, 'webpack'), ['--mode', 'production', '--no-optimization-minimize', '--no-color'], dir);
    // Only webpack's performance hints may remain (KaTeX, for the elements, is a chunk over 244 KiB).
    const warnings = `${stdout}\n${stderr}`.split('\n').filter((l) => /warning/i.test(l));
    expect(warnings.filter((l) => !/size limit|performance recommendations|compiled with \d+ warning/.test(l))).toEqual([]);
    expect(stdout).toMatch(/compiled (successfully|with \d+ warnings?)/);
    // webpack turns a bare `import.meta.url` into the build machine's file:/// path of the module,
    // as a string literal (the package's comments may name file:/// in prose).
    expect(await filesContaining(path.join(dir, 'dist'), '"file://')).toEqual([]);
    expect(await filesContaining(path.join(dir, 'dist'), work)).toEqual([]);
    await writeFile(
      path.join(dir, 'dist', 'index.html'),
      APP_HTML('<script defer src="main.js"></script>', '<bn-algorithm values="4,6,8,14"></bn-algorithm>'),
    );
    await inChromium(dir, async (page, _url, workers) => {
      expectAppWorked(await appResult(page));
      expect(workers.length).toBeGreaterThanOrEqual(3);
      await expectTypeset(page);
    });
  }, TIMEOUT);

  for (const [letter, bundler, recipe, command] of [
    ['f', 'Rollup', 'rollup.config.mjs', [path.join(BIN, 'rollup'), '-c', '--silent']],
    ['g', 'esbuild', 'build.mjs', [process.execPath, 'build.mjs']],
  ] as const) {
    it(`(${letter}) ${bundler}, by the recipe in docs/bundlers.md: the engine, its workers and the elements in Chromium`, async () => {
      const dir = await appProject(`${bundler.toLowerCase()}-app`, 'batchnorm-lab', "import 'batchnorm-lab/elements';\n");
      await writeFile(path.join(dir, recipe), await docsRecipe(recipe));
      // The recipe's `import 'esbuild'` resolves from the project: link the repository's copy in.
      if (bundler === 'esbuild') await sh('ln', ['-s', path.join(REPO, 'node_modules', 'esbuild'), path.join(dir, 'node_modules', 'esbuild')], dir);
      const { stdout, stderr } = await sh2(command[0], command.slice(1), dir);
      expect(`${stdout}${stderr}`.trim()).toBe('');
      expect(existsSync(path.join(dir, 'dist', 'batchnorm-lab', 'jobs', 'worker.js'))).toBe(true);
      await writeFile(
        path.join(dir, 'dist', 'index.html'),
        APP_HTML('<script type="module" src="main.js"></script>', '<bn-algorithm values="4,6,8,14"></bn-algorithm>'),
      );
      await inChromium(dir, async (page, _url, workers) => {
        expectAppWorked(await appResult(page));
        expect(workers.length).toBeGreaterThanOrEqual(3);
        await expectTypeset(page);
      });
    }, TIMEOUT);
  }

  it('(h) from another origin (a CDN): workers start from a same-origin blob: module, else the jobs run in the page', async () => {
    // The "CDN": the installed package on its own port, with CORS, as CDNs send it.
    const dir = await appProject('cdn-app', 'CDN');
    const cdn = await plainServer(path.join(dir, 'node_modules', 'batchnorm-lab'), { 'Access-Control-Allow-Origin': '*' });
    const site = path.join(dir, 'site');
    await mkdir(site);
    await copyFile(path.join(dir, 'src', 'app.js'), path.join(site, 'app.js'));
    const main = await readFile(path.join(dir, 'src', 'main.js'), 'utf8');
    await writeFile(path.join(site, 'main.js'), main.replace("'CDN'", `'${cdn.url}/dist/index.js'`));
    await writeFile(path.join(site, 'index.html'), APP_HTML('<script type="module" src="main.js"></script>'));
    browser ??= await launchChromium();
    try {
      for (const blobWorkers of [true, false]) {
        const csp = [
          "default-src 'self'",
          'img-src data:', // the inline icon
          `script-src 'self' ${cdn.url} 'wasm-unsafe-eval'`,
          `connect-src 'self' ${cdn.url}`,
          // Without blob: here the blob: worker is refused too: the jobs run in the page.
          `worker-src 'self'${blobWorkers ? ' blob:' : ''}`,
          "object-src 'none'",
          "base-uri 'none'",
        ].join('; ');
        const server = await plainServer(site, { 'Content-Security-Policy': csp });
        const { context, page, problems } = await watchedPage(browser);
        const workers: string[] = [];
        page.on('worker', (w) => workers.push(w.url()));
        try {
          await page.goto(`${server.url}/index.html`);
          expectAppWorked(await appResult(page));
        } finally {
          await context.close();
          await server.close();
        }
        if (blobWorkers) {
          expect(workers.length).toBeGreaterThanOrEqual(3);
          expect(workers.filter((u) => !u.startsWith('blob:'))).toEqual([]);
          expect(problems).toEqual([]);
        } else {
          expect(workers).toEqual([]);
          // The refused blob: workers are the only thing that went wrong, and they were tried.
          const refused = (p: string) => /worker-src|create a worker/i.test(p);
          expect(problems.filter((p) => !refused(p))).toEqual([]);
          expect(problems.filter(refused).length).toBeGreaterThan(0);
        }
      }
    } finally {
      await cdn.close();
    }
  }, TIMEOUT);
});


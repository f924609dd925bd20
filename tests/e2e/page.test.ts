// The lesson page as a person uses it: served by scripts/serve.mjs (strict CSP, no unsafe-eval,
// no inline script or style), opened in Debian's headless Chromium, read as text, typed into.
// Also covers the plain `<script type="module">` from a static folder way of loading the package.
// Any console error or warning, page error, CSP violation or failed request fails the test.
// Screenshots go to tests/e2e/screenshots/ (gitignored) for people to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { CSP, startServer } from '../../scripts/serve.mjs';

const TIMEOUT = 120_000;
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

let server: { url: string; close(): Promise<void> };
let browser: Browser;

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Everything the page must not produce; collected per page, asserted empty at the end. */
interface Problems {
  list: string[];
}

async function openPage(
  options: { width: number; height: number; colorScheme?: 'light' | 'dark' },
  path = '',
): Promise<{ context: BrowserContext; page: Page; problems: Problems }> {
  const context = await browser.newContext({
    viewport: { width: options.width, height: options.height },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const problems: Problems = { list: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.list.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.list.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.list.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.list.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  // CSP violations are also reported to the console, but the event names the directive.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  await page.goto(server.url + path);
  // Wait for the engine, but stop at the first problem: a missing script leaves the page loading forever.
  const deadline = Date.now() + 60_000;
  let state: string | null = 'loading';
  while (state === 'loading' && problems.list.length === 0 && Date.now() < deadline) {
    await page.waitForTimeout(50);
    state = await page.locator('main').getAttribute('data-state');
  }
  const engine = await page.locator('#engine').textContent();
  expect(problems.list, `while loading (engine: ${engine})`).toEqual([]);
  expect(state, `engine: ${engine}`).toBe('ready');
  return { context, page, problems };
}

/** A raw GET (fetch() would normalise `..` away before the server ever saw it). */
function rawGet(url: string, rawPath: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ port: 0 });
  browser = await launch();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('scripts/serve.mjs', () => {
  it('serves files with their types, only under the repository, only GET and HEAD', async () => {
    const types = {
      '/web/index.html': 'text/html; charset=utf-8',
      '/web/page.css': 'text/css; charset=utf-8',
      '/dist/index.js': 'text/javascript; charset=utf-8',
      '/scripts/serve.mjs': 'text/javascript; charset=utf-8',
      '/dist/wasm/bnlab-scalar.wasm': 'application/wasm',
      '/package.json': 'application/json; charset=utf-8',
    };
    for (const [file, type] of Object.entries(types)) {
      const res = await rawGet(server.url, file);
      expect([file, res.status, res.type]).toEqual([file, 200, type]);
    }
    const web = await rawGet(server.url, '/web');
    expect(web.status).toBe(301);
    for (const evil of [
      '/../../../../etc/passwd',
      '/web/../../../etc/passwd',
      '/web/..%2f..%2f..%2fetc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/web/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/.git/config',
      '/web/%00index.html',
      '/%ZZ',
    ]) {
      const res = await rawGet(server.url, evil);
      expect([evil, res.status >= 400]).toEqual([evil, true]);
      expect(res.body).not.toContain('root:');
    }
    expect((await rawGet(server.url, '/web/index.html', 'POST')).status).toBe(405);
    const head = await rawGet(server.url, '/web/index.html', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('falls back to a free port when the asked one is busy', async () => {
    const port = Number(new URL(server.url).port);
    const second = await startServer({ port });
    try {
      expect(second.fallback).toBe(true);
      expect(second.url).not.toBe(server.url);
      expect((await fetch(`${second.url}web/`)).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('the lesson page', () => {
  let opened: { context: BrowserContext; problems: Problems } | undefined;
  afterEach(async () => {
    const problems = opened?.problems.list ?? [];
    await opened?.context.close();
    opened = undefined;
    expect(problems, 'console errors, warnings, page errors, CSP violations or failed requests').toEqual([]);
  });

  it('is served under the strict CSP, with / redirecting to the page', async () => {
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/web/');
    const page = await fetch(`${server.url}web/`);
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(CSP).not.toMatch(/'unsafe-eval'/);
    expect(CSP).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    // No inline script or style anywhere: the CSP would block them, and this keeps it honest.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const wasm = await fetch(`${server.url}dist/wasm/bnlab-simd.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
  });

  it('shows the refresher computed by the engine, and standardizes what a person types', async () => {
    opened = await openPage({ width: 1280, height: 800 });
    const { page } = opened;

    // Landmarks and language, for screen readers.
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect(page.getByRole('banner').count()).resolves.toBe(1);
    await expect(page.getByRole('main').count()).resolves.toBe(1);
    await expect(page.getByRole('contentinfo').count()).resolves.toBe(1);

    // The refresher: [2,4,4,4,5,5,7,9] → μ 5, σ 2, z, then z has mean 0 and std 1.
    expect(await text(page, '#demo-mean')).toBe('5');
    expect(await text(page, '#demo-std')).toBe('2');
    expect(await text(page, '#demo-z')).toBe('−1.5, −0.5, −0.5, −0.5, 0, 0, 1, 2');
    expect(await text(page, '#demo-z-mean')).toBe('0');
    expect(await text(page, '#demo-z-std')).toBe('1');
    // Each value above its z-score, read out as "x = 2 z = −1.5" (the labels are for screen readers).
    const pairs = await page.locator('#demo-pairs li').evaluateAll((items) => items.map((li) => li.textContent));
    expect(pairs).toEqual([
      'x = 2z = −1.5', 'x = 4z = −0.5', 'x = 4z = −0.5', 'x = 4z = −0.5',
      'x = 5z = 0', 'x = 5z = 0', 'x = 7z = 1', 'x = 9z = 2',
    ]);
    const engine = await text(page, '#engine');
    expect(engine).toContain(`batchnorm-lab ${pkg.version}`);
    expect(engine).toMatch(/WebAssembly SIMD build|scalar WebAssembly build/);
    const simd = await page.locator('#engine').getAttribute('data-simd');
    expect(engine).toContain(simd === 'true' ? 'WebAssembly SIMD build' : 'scalar WebAssembly build');

    // The default example in the box.
    expect(await text(page, '#try-mean')).toBe('2.5');
    await page.screenshot({ path: `${SHOTS}page-1280x800.png` });

    // A person's own values, typed (the result follows the typing).
    const input = page.getByLabel('Values, separated by commas');
    await input.fill('');
    await input.pressSequentially('10, 20, 30');
    await expect.poll(() => text(page, '#try-mean')).toBe('20');
    expect(await text(page, '#try-std')).toBe('8.16497'); // √(200/3)
    expect(await text(page, '#try-z')).toBe('−1.2247, 0, 1.2247');
    expect(await text(page, '#try-z-mean')).toBe('0');
    expect(await text(page, '#try-z-std')).toBe('1');
    expect(await page.locator('#try-error').isVisible()).toBe(false);

    // Garbage: a sentence for the person plus the engine's own message.
    await input.fill('1, two, 3');
    await expect.poll(() => page.locator('#try-error').isVisible()).toBe(true);
    expect(await text(page, '#try-error strong')).toBe('“two” (entry 2) is not a number.');
    expect(await text(page, '#try-error .detail')).toMatch(/^The engine says: RangeError: values\[1\] must be a finite number/);
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#try-result').isVisible()).toBe(false);

    await input.fill('');
    await expect.poll(() => text(page, '#try-error strong')).toBe('Type at least one number, for example 1, 2, 3.');
    expect(await text(page, '#try-error .detail')).toMatch(/RangeError: values must contain at least one number/);

    await input.fill('1e39, 1');
    await expect.poll(() => text(page, '#try-error strong')).toBe('“1e39” (entry 1) is too large: use finite numbers.');

    // Equal values: σ = 0, said in words.
    await input.fill('5; 5 5');
    await expect.poll(() => text(page, '#try-std')).toBe('0');
    expect(await text(page, '#try-z')).toBe('0, 0, 0');
    expect(await page.locator('#try-note').isVisible()).toBe(true);

    // The button does the same as typing (Enter submits the form without reloading the page).
    await input.fill('-3, 3');
    await page.getByRole('button', { name: 'Standardize' }).click();
    await expect.poll(() => text(page, '#try-z')).toBe('−1, 1');
    await input.press('Enter');
    expect(await page.locator('main').getAttribute('data-state')).toBe('ready');
    expect(await text(page, '#try-z')).toBe('−1, 1');
  }, TIMEOUT);

  it('fits a 360 px phone screen, in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      opened = await openPage({ width: 360, height: 740, colorScheme });
      const { page } = opened;
      expect(await text(page, '#demo-z')).toBe('−1.5, −0.5, −0.5, −0.5, 0, 0, 1, 2');
      // No sideways scrolling of the page itself (the table scrolls inside its own region).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const suffix = colorScheme === 'dark' ? '-dark' : '';
      await page.screenshot({ path: `${SHOTS}page-360x740${suffix}.png` });
      await page.screenshot({ path: `${SHOTS}page-360-full${suffix}.png`, fullPage: true });
      if (colorScheme === 'light') {
        await page.getByLabel('Values, separated by commas').fill('3, x, 1');
        await page.locator('#try-error').waitFor();
        await page.locator('#try-error').scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${SHOTS}page-360x740-error.png` });
      }
      const problems = opened.problems.list;
      await opened.context.close();
      opened = undefined;
      expect(problems, `${colorScheme}: console errors, warnings, CSP violations or failed requests`).toEqual([]);
    }
  }, TIMEOUT);
});

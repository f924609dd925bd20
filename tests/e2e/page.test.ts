// The static server and the lesson page's frame: served by scripts/serve.mjs (strict CSP, no
// unsafe-eval, no inline script or style), opened in Debian's headless Chromium: structure,
// typing into the refresher, the embedding example's style isolation, 360 px phones.
// (tests/e2e/lesson.test.ts reads the lesson itself: numbers, quiz, URL state, axe.)
// Also covers the plain `<script type="module">` from a static folder way of loading the package.
// Any console error or warning, page error, CSP violation or failed request fails the test.
// Screenshots go to tests/e2e/screenshots/ (gitignored) for people to look at.
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, renderAll, watchedPage } from './browser.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { CSP, startServer } from '../../scripts/serve.mjs';

const TIMEOUT = 120_000;
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

let server: { url: string; close(): Promise<void> };
let browser: Browser;

/** Everything the page must not produce; collected per page, asserted empty at the end. */
interface Problems {
  list: string[];
}

async function openPage(
  options: { width: number; height: number; colorScheme?: 'light' | 'dark' },
  path = '',
  lesson = true,
  /** Scroll every element into view once, so each has rendered (they render only near the viewport). */
  render = true,
): Promise<{ context: BrowserContext; page: Page; problems: Problems }> {
  const watched = await watchedPage(browser, {
    viewport: { width: options.width, height: options.height },
    colorScheme: options.colorScheme ?? 'light',
  });
  const { context, page } = watched;
  const problems: Problems = { list: watched.problems };
  await page.goto(server.url + path);
  if (lesson) {
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
  }
  if (render) await renderAll(page);
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

const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent())?.trim();
const texts = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ port: 0 });
  browser = await launchChromium();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('scripts/serve.mjs', () => {
  it('compresses text and wasm for clients that accept gzip, as a production server would', async () => {
    const wasm = readFileSync(new URL('../../dist/wasm/bnlab-simd.wasm', import.meta.url));
    const zipped = await fetch(`${server.url}dist/wasm/bnlab-simd.wasm`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(Number(zipped.headers.get('content-length'))).toBeLessThan(wasm.length * 0.6);
    expect(Buffer.from(await zipped.arrayBuffer()).equals(wasm)).toBe(true); // fetch inflates it
    const plain = await new Promise<{ encoding: string | undefined; length: string | undefined }>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      request({ hostname, port, path: '/dist/wasm/bnlab-simd.wasm' }, (res) => {
        res.resume();
        resolve({ encoding: res.headers['content-encoding'], length: res.headers['content-length'] });
      }).on('error', reject).end();
    });
    expect(plain).toEqual({ encoding: undefined, length: String(wasm.length) });
  });

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

  it('compiles the engine while it downloads (streaming), and from its bytes when the type is wrong', async () => {
    for (const [wrongType, streamed] of [[false, 1], [true, 0]] as const) {
      const watched = await watchedPage(browser, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
      opened = { context: watched.context, problems: { list: watched.problems } };
      const { page, context } = watched;
      await page.addInitScript(() => {
        const w = window as unknown as { __streamed: string[] };
        w.__streamed = [];
        const original = WebAssembly.instantiateStreaming;
        WebAssembly.instantiateStreaming = async (source, imports) => {
          w.__streamed.push((await source).url);
          return original(source, imports);
        };
      });
      if (wrongType) {
        // A server that sends the module as a generic binary: instantiateStreaming would refuse it.
        await context.route('**/bnlab-simd.wasm', async (route) => {
          const r = await route.fetch();
          await route.fulfill({ response: r, headers: { ...r.headers(), 'content-type': 'application/octet-stream' } });
        });
      }
      await page.goto(`${server.url}web/`);
      await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
      const urls = await page.evaluate(() => (window as unknown as { __streamed: string[] }).__streamed);
      expect(urls.length, `wrong type: ${wrongType}`).toBe(streamed);
      if (streamed) expect(urls[0]).toMatch(/\/dist\/wasm\/bnlab-simd\.wasm$/);
      await expect.poll(() => page.locator('#std').evaluate((e) => e.shadowRoot?.querySelector('[data-stat="mean"]')?.textContent)).toBe('5');
      const problems = watched.problems;
      await context.close();
      opened = undefined;
      expect(problems).toEqual([]);
    }
  });

  it('renders an element, and starts the lab and its worker, only when the reader comes near it', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 }, 'web/', true, false);
    opened = { context, problems };
    await expect.poll(() => page.locator('#std').evaluate((e) => e.shadowRoot?.querySelector('[data-stat="mean"]')?.textContent)).toBe('5');
    // Sections below: nothing rendered, no uPlot fetched, the lab not built and no worker,
    // however long the page sits there.
    await page.waitForTimeout(1500);
    const quizQuestions = () => page.locator('bn-quiz').evaluate((e) => e.shadowRoot?.querySelectorAll('.question').length ?? 0);
    expect(await quizQuestions()).toBe(0);
    expect(await page.locator('#lab').getAttribute('data-mode')).toBeNull();
    const fetched = () => page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name.split('/').pop()!));
    expect(await fetched()).not.toContain('uplot.js');
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    // Scrolled near: the lab builds (uPlot arrives), its worker starts, and it gets ready.
    await page.locator('#lab').scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('#lab').getAttribute('data-mode')).toBe('worker');
    await expect.poll(() => page.locator('#lab').getAttribute('data-state'), { timeout: 60_000 }).not.toBe('loading');
    expect(await fetched()).toContain('uplot.js');
    // And the quiz, at the end, once the reader gets there.
    await page.locator('bn-quiz').scrollIntoViewIfNeeded();
    await expect.poll(quizQuestions, { timeout: 30_000 }).toBe(5);
  });

  it('draws every element before the page is printed, without any scrolling', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 }, 'web/', true, false);
    opened = { context, problems };
    const questions = () => page.locator('bn-quiz').evaluate((e) => e.shadowRoot?.querySelectorAll('.question').length ?? 0);
    await page.waitForTimeout(500);
    expect(await questions()).toBe(0);
    // What the browser fires before printing or saving as PDF.
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    await expect.poll(questions, { timeout: 30_000 }).toBe(5);
    await expect.poll(() => page.locator('bn-algorithm').evaluate((e) => e.shadowRoot?.querySelectorAll('.katex').length ?? 0)).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
  });

  it('is one lesson in the source’s order, with landmarks, headings and the engine named', async () => {
    opened = await openPage({ width: 1280, height: 800 });
    const { page } = opened;
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect(page.getByRole('banner').count()).resolves.toBe(1);
    await expect(page.getByRole('main').count()).resolves.toBe(1);
    await expect(page.getByRole('contentinfo').count()).resolves.toBe(1);
    await expect(page.getByRole('navigation', { name: 'Sections' }).count()).resolves.toBe(1);
    const headings = await page.locator('main > section > h2').evaluateAll((hs) => hs.map((h) => h.textContent));
    expect(headings.map((h) => h?.replace(/^\d+\.\s*/, '').split(/[:,]/)[0])).toEqual([
      'Refresher', 'The problem', 'The algorithm', 'Worked example', 'Why γ and β are learned', 'What it buys in practice',
      'Where the layer goes', 'Training mode and evaluation mode', 'BatchNorm1d and BatchNorm2d', 'When BatchNorm fails', 'The same model in PyTorch and here',
      'Why it works', 'Check yourself',
    ]);
    // Every element of the lesson is defined and rendered.
    for (const tag of ['bn-standardize', 'bn-algorithm', 'bn-worked-example', 'bn-gamma-beta', 'bn-training-lab', 'bn-train-eval', 'bn-1d-vs-2d', 'bn-cnn', 'bn-small-batches', 'bn-landscape', 'bn-code', 'bn-quiz']) {
      expect(await page.evaluate((t) => customElements.get(t) !== undefined, tag), tag).toBe(true);
    }
    await page.locator('bn-quiz .question').first().waitFor();
    await expect.poll(() => text(page, '#std [data-stat="mean"]')).toBe('5');
    expect(await text(page, '#second-look')).toContain('Santurkar');
    const engine = await text(page, '#engine');
    expect(engine).toContain(`batchnorm-lab ${pkg.version}`);
    const simd = await page.locator('#engine').getAttribute('data-simd');
    expect(engine).toContain(simd === 'true' ? 'WebAssembly SIMD build' : 'scalar WebAssembly build');
    await page.screenshot({ path: `${SHOTS}page-1280x800.png` });
  }, TIMEOUT);

  it('standardizes what a person types, and says what is wrong with bad input', async () => {
    opened = await openPage({ width: 1280, height: 800 });
    const { page } = opened;
    await page.locator('#std [data-stat="mean"]').waitFor();
    const input = page.getByLabel('Values, separated by commas');
    await input.fill('');
    await input.pressSequentially('10, 20, 30');
    await expect.poll(() => text(page, '#std [data-stat="mean"]')).toBe('20');
    expect(await text(page, '#std [data-stat="std"]')).toBe('8.165'); // √(200/3)
    expect(await page.locator('#std .z-line').getAttribute('data-z')).toBe('−1.2247, 0, 1.2247');
    expect(await text(page, '#std [data-stat="z-std"]')).toBe('1');
    await input.fill('1, two, 3');
    await expect.poll(() => page.locator('#std .error').isVisible()).toBe(true);
    expect(await text(page, '#std .error')).toBe('“two” is not a number between −10000 and 10000.');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    // The last good values stay on show.
    expect(await text(page, '#std [data-stat="mean"]')).toBe('20');
    await input.fill('5, 5, 5');
    await expect.poll(() => text(page, '#std [data-stat="std"]')).toBe('0');
    expect(await page.locator('#std .z-line').getAttribute('data-z')).toBe('0, 0, 0');
    expect(await page.locator('#std .error').isVisible()).toBe(false);
  }, TIMEOUT);

  it('embeds in a foreign page with hostile CSS, with no style leaking in or out', async () => {
    opened = await openPage({ width: 1280, height: 800 }, 'web/embed-example.html', false);
    const { page } = opened;
    await page.locator('bn-quiz .question').first().waitFor();
    expect(await text(page, 'bn-standardize [data-stat="mean"]')).toBe('4');
    expect(await texts(page, 'bn-worked-example td[data-y]')).toEqual(['−2.4', '−1.45', '0.45', '1.4']);
    // In: the host's `* { font-family … !important }`, `div { border … }` and `svg circle { fill }` do not reach inside.
    const inside = await page.locator('bn-standardize [data-stat="mean"]').evaluate((e) => {
      const cs = getComputedStyle(e);
      const box = getComputedStyle(e.parentElement!);
      const dot = getComputedStyle(e.getRootNode() instanceof ShadowRoot ? (e.getRootNode() as ShadowRoot).querySelector('circle')! : e);
      return { font: cs.fontFamily, spacing: cs.letterSpacing, border: box.borderTopStyle, fill: dot.fill };
    });
    expect(inside.font).not.toMatch(/Comic/);
    expect(inside.spacing).toBe('normal');
    expect(inside.border).toBe('solid');
    expect(inside.fill).not.toBe('rgb(0, 255, 0)');
    // Out: the elements' `.stats { display: grid }` and `.error` rules do not touch the host's own.
    const host = await page.evaluate(() => ({
      stats: getComputedStyle(document.getElementById('host-stats')!).display,
      error: getComputedStyle(document.getElementById('host-error')!).color,
      hostFont: getComputedStyle(document.body).fontFamily,
    }));
    expect(host.stats).toBe('block');
    expect(host.error).toBe('rgb(0, 77, 64)');
    expect(host.hostFont).toMatch(/Comic/);
    await page.screenshot({ path: `${SHOTS}embed-1280x800.png`, fullPage: true });
  }, TIMEOUT);

  it('fits a 360 px phone screen, in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const path of ['', 'web/embed-example.html']) {
        opened = await openPage({ width: 360, height: 740, colorScheme }, path, path === '');
        const { page } = opened;
        await page.locator('bn-quiz .question').first().waitFor();
        // No sideways scrolling of the page itself (wide code and formulas scroll inside their own boxes).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path || 'lesson'} ${colorScheme}`).toBeLessThanOrEqual(0);
        const suffix = colorScheme === 'dark' ? '-dark' : '';
        const name = path ? 'embed' : 'page';
        await page.screenshot({ path: `${SHOTS}${name}-360x740${suffix}.png` });
        if (path) await page.screenshot({ path: `${SHOTS}embed-360-full${suffix}.png`, fullPage: true });
        const problems = opened.problems.list;
        await opened.context.close();
        opened = undefined;
        expect(problems, `${colorScheme}: console errors, warnings, CSP violations or failed requests`).toEqual([]);
      }
    }
  }, TIMEOUT);
});

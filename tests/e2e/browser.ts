// The one way the browser tests start Chromium (scripts/chromium.mjs, shared with the page
// benchmark), and a page that records everything that goes wrong on it.
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { CHROMIUM_LAUNCH } from '../../scripts/chromium.mjs';
// @ts-ignore: a plain .mjs script, without type declarations
import { startServer } from '../../scripts/serve.mjs';

export function launchChromium(): Promise<Browser> {
  return chromium.launch(CHROMIUM_LAUNCH);
}

/**
 * The server (scripts/serve.mjs, on a free port) and the Chromium of a browser test file: started
 * before its tests, closed after them. Read `server` and `browser` inside the tests.
 */
export function serverAndBrowser(): { readonly server: { url: string; close(): Promise<void> }; readonly browser: Browser } {
  const env = {} as { server: { url: string; close(): Promise<void> }; browser: Browser };
  beforeAll(async () => {
    env.server = await startServer({ port: 0 });
    env.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Closes a watched page's context (if any) and expects that nothing went wrong on it. */
export async function closeChecked(watched: { context: BrowserContext; problems: string[] } | undefined): Promise<void> {
  if (!watched) return;
  await watched.context.close();
  expect(watched.problems, 'console errors, warnings, dialogs, CSP violations or failed requests').toEqual([]);
}

/** A page in a fresh context, with everything that went wrong on it collected in `problems`. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

/**
 * Opens a fresh context and page that record every console error or warning, uncaught
 * exception, dialog, Content-Security-Policy violation, failed request and HTTP error status in
 * `problems`, which the tests then expect to be empty.
 */
export async function watchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // CSP violations are also reported to the console, but the event names the directive.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return { context, page, problems };
}

/**
 * Whether the `i`-th <bn-*> element among those matching `selector` has drawn (run in the page,
 * so self-contained): the lab is ready (built, its worker started), <bn-algorithm> has typeset,
 * every other element's surface has content, and every stylesheet linked in its shadow root has
 * loaded.
 */
export function drawn([selector, i]: readonly [string, number]): boolean {
  const e = [...document.querySelectorAll(selector)].filter((x) => x.localName.startsWith('bn-'))[i];
  const r = e?.shadowRoot;
  if (!e || !r) return false;
  if ([...r.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].some((l) => !l.sheet)) return false;
  if (e.localName === 'bn-training-lab') return (e as HTMLElement).dataset.state === 'ready';
  if (e.localName === 'bn-algorithm') return r.querySelectorAll('.katex').length > 0;
  return (r.querySelector('[part~="surface"]')?.childElementCount ?? 0) > 0;
}

/**
 * Brings every <bn-*> element of the page (or those matching `selector`) near the viewport in
 * turn, as a reader scrolling down does (they render only then: base/near-viewport.ts), waits
 * until each has drawn, then scrolls back to the top.
 */
export async function renderAll(page: Page, selector = '*', timeout = 60_000): Promise<void> {
  const count = await page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((e) => e.localName.startsWith('bn-')).length, selector);
  for (let i = 0; i < count; i++) {
    await page.evaluate(([sel, i]) => {
      [...document.querySelectorAll(sel)].filter((e) => e.localName.startsWith('bn-'))[i]!.scrollIntoView({ block: 'center' });
    }, [selector, i] as const);
    await page.waitForFunction(drawn, [selector, i] as const, { timeout, polling: 50 });
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

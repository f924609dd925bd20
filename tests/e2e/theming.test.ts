// The theming contract of every <bn-*> element (docs/theming.md), in Debian's headless Chromium:
// each element paints its own surface and text, in the theme the `theme` attribute names, or with
// `auto` (the default) the host page's color-scheme, or the system's when the host declares none;
// axe-core finds nothing inside any element on a light or a dark host page under a light or a
// dark system; --bn-* tokens and ::part() restyle them from outside; heading-level sets the
// level of their headings, and the lesson’s headings are in order; web/embed-example.html shows
// a light and a dark host section.
// The host pages are built in the browser from the elements' module (web/embed-example.html with
// its own stylesheet removed); the context bypasses the CSP because axe and the ::part rule insert
// inline styles.
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page } from 'playwright-core';
import { closeChecked, renderAll, serverAndBrowser, watchedPage } from './browser.js';
import { elementTags } from '../js/helpers.js';
import { afterEach, describe, expect, it } from 'vitest';

const TIMEOUT = 120_000;
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));
/** Every element the package registers (found from the sources, so new elements are covered). */
const TAGS = elementTags();
/** The surfaces' default backgrounds (base/theme.css). */
const LIGHT_BG = 'rgb(255, 255, 255)';
const DARK_BG = 'rgb(27, 31, 36)';

const env = serverAndBrowser();
let opened: { context: BrowserContext; problems: string[] } | undefined;

afterEach(async () => {
  const o = opened;
  opened = undefined;
  await closeChecked(o);
});

type Scheme = 'light' | 'dark';

/**
 * A host page holding `html` (built with DOM calls, so only the given tags and attributes): its
 * root declares `hostScheme` (or nothing when null) and paints itself to match, the system
 * prefers `system`. Resolves once every element has drawn.
 */
async function hostPage(hostScheme: Scheme | null, system: Scheme, elements: [string, Record<string, string>][], width = 1280): Promise<Page> {
  const watched = await watchedPage(env.browser, { viewport: { width, height: 900 }, colorScheme: system, bypassCSP: true });
  opened = watched;
  const { page } = watched;
  await page.goto(`${env.server.url}web/embed-example.html`);
  await page.evaluate(([scheme, els]) => {
    document.querySelector('link[rel="stylesheet"]')?.remove();
    const root = document.documentElement.style;
    if (scheme) root.colorScheme = scheme;
    document.body.style.background = scheme === 'dark' ? '#121417' : '#ffffff';
    document.body.style.color = scheme === 'dark' ? '#e8eaed' : '#1a1d21';
    const main = document.createElement('main');
    for (const [tag, attrs] of els) {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      main.append(e);
    }
    document.body.replaceChildren(main);
  }, [hostScheme, elements] as const);
  // The elements render, and the lab starts its worker, only near the viewport
  // (base/near-viewport.ts): visit each, as a reader scrolling down does.
  await renderAll(page);
  return page;
}

/** The painted background and text colour of each element's surface. */
const surfaces = (page: Page) => page.evaluate(() => [...document.querySelectorAll('main > *')].map((e) => {
  const s = getComputedStyle(e.shadowRoot!.querySelector('[part~="surface"]')!);
  return { tag: e.localName, bg: s.backgroundColor, text: s.color };
}));

async function axeInside(page: Page, tags: readonly string[]): Promise<{ id: string; impact: string; targets: string[] }[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: object, opts: object): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown; any: { message: string }[] }[] }[] }> } }).axe;
    const r = await axe.run({ include: tags.map((t) => [t]) }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 4).map((n) => `${JSON.stringify(n.target)} ${n.any[0]?.message ?? ''}`) }));
  }, tags);
}

describe('theming', () => {
  for (const host of ['light', 'dark'] as const) {
    for (const system of ['light', 'dark'] as const) {
      it(`every element on a ${host} host page, ${system} system: painted in the host's scheme, no axe violation inside`, async () => {
        const page = await hostPage(host, system, TAGS.map((t) => [t, {}]));
        const painted = await surfaces(page);
        expect(TAGS.length).toBeGreaterThanOrEqual(13);
        expect(painted.map((p) => p.tag)).toEqual(TAGS);
        for (const p of painted) expect(p.bg, `${p.tag} surface`).toBe(host === 'dark' ? DARK_BG : LIGHT_BG);
        const violations = await axeInside(page, TAGS);
        expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
      }, TIMEOUT);
    }
  }

  it('follows the system when the host declares no color-scheme, and the host when it switches', async () => {
    const page = await hostPage(null, 'dark', [['bn-standardize', {}], ['bn-training-lab', {}]]);
    expect((await surfaces(page)).map((p) => p.bg)).toEqual([DARK_BG, DARK_BG]);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => (await surfaces(page)).map((p) => p.bg)).toEqual([LIGHT_BG, LIGHT_BG]);
    // The host declares dark (a page's theme toggle): the elements follow without any event.
    await page.evaluate(() => { document.documentElement.style.colorScheme = 'dark'; });
    await expect.poll(async () => (await surfaces(page)).map((p) => p.bg)).toEqual([DARK_BG, DARK_BG]);
    // 'light dark' names both: the system decides, as the browser's own controls do.
    await page.evaluate(() => { document.documentElement.style.colorScheme = 'light dark'; });
    await expect.poll(async () => (await surfaces(page)).map((p) => p.bg)).toEqual([LIGHT_BG, LIGHT_BG]);
  }, TIMEOUT);

  it('theme="dark" paints dark in a light host; a --bn-* token and a ::part() rule restyle it from outside', async () => {
    const page = await hostPage('light', 'light', [['bn-worked-example', { theme: 'dark' }], ['bn-standardize', {}], ['bn-algorithm', { theme: 'light' }]]);
    const [dark, auto, light] = await surfaces(page);
    expect(dark!.bg).toBe(DARK_BG);
    expect(dark!.text).toBe('rgb(232, 234, 237)');
    expect(auto!.bg).toBe(LIGHT_BG);
    expect(light!.bg).toBe(LIGHT_BG);
    expect(await axeInside(page, ['bn-worked-example'])).toEqual([]);
    // The attribute switches it back at once; an unknown value means auto.
    await page.locator('bn-worked-example').evaluate((e) => e.setAttribute('theme', 'light'));
    expect((await surfaces(page))[0]!.bg).toBe(LIGHT_BG);
    await page.locator('bn-worked-example').evaluate((e) => e.setAttribute('theme', 'purple'));
    expect((await surfaces(page))[0]!.bg).toBe(LIGHT_BG);
    await page.locator('bn-worked-example').evaluate((e) => e.setAttribute('theme', 'dark'));
    // A token set on the element (or any ancestor) wins over the theme's default.
    await page.locator('bn-worked-example').evaluate((e) => (e as HTMLElement).style.setProperty('--bn-bg', 'rgb(40, 0, 60)'));
    expect((await surfaces(page))[0]!.bg).toBe('rgb(40, 0, 60)');
    // ::part() reaches the named parts, and only those.
    await page.addStyleTag({ content: 'bn-standardize::part(plot) { outline: 3px solid rgb(255, 0, 0); } bn-worked-example::part(caption) { color: rgb(0, 0, 255); } bn-standardize::part(surface) { padding: 0; }' });
    const styled = await page.evaluate(() => {
      const std = document.querySelector('bn-standardize')!.shadowRoot!;
      const ex = document.querySelector('bn-worked-example')!.shadowRoot!;
      return {
        plot: getComputedStyle(std.querySelector('.plot')!).outlineColor,
        surface: getComputedStyle(std.querySelector('[part~="surface"]')!).paddingTop,
        caption: getComputedStyle(ex.querySelector('caption')!).color,
        stats: getComputedStyle(std.querySelector('.stats')!).outlineStyle,
      };
    });
    expect(styled).toEqual({ plot: 'rgb(255, 0, 0)', surface: '0px', caption: 'rgb(0, 0, 255)', stats: 'none' });
  }, TIMEOUT);
});

describe('web/embed-example.html', () => {
  for (const system of ['light', 'dark'] as const) {
    it(`paints its light section's elements light and its dark section's dark (${system} system), axe finds nothing inside them`, async () => {
      const watched = await watchedPage(env.browser, { viewport: { width: 1280, height: 900 }, colorScheme: system, bypassCSP: true });
      opened = watched;
      const { page } = watched;
      await page.goto(`${env.server.url}web/embed-example.html`);
      await page.locator('bn-quiz .question').first().waitFor({ timeout: 60_000 });
      await page.locator('bn-algorithm .katex').first().waitFor();
      const painted = await page.evaluate(() => [...document.querySelectorAll('section')].map((sec) => [...sec.querySelectorAll('*')]
        .filter((e) => e.shadowRoot)
        .map((e) => `${e.localName} ${getComputedStyle(e.shadowRoot!.querySelector('[part~="surface"]')!).backgroundColor}`)));
      expect(painted).toEqual([
        [`bn-standardize ${LIGHT_BG}`, `bn-worked-example ${LIGHT_BG}`, `bn-quiz ${LIGHT_BG}`],
        [`bn-algorithm ${DARK_BG}`, `bn-gamma-beta ${DARK_BG}`, `bn-1d-vs-2d ${LIGHT_BG}`],
      ]);
      const tags = ['bn-standardize', 'bn-worked-example', 'bn-quiz', 'bn-algorithm', 'bn-gamma-beta', 'bn-1d-vs-2d'];
      const violations = await axeInside(page, tags);
      expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
    }, TIMEOUT);
  }
});

describe('heading-level', () => {
  it('sets the level of an element’s headings and follows changes; out-of-range values are clamped', async () => {
    const page = await hostPage('light', 'light', [['bn-algorithm', { 'heading-level': '3' }], ['bn-train-eval', {}], ['bn-training-lab', { 'heading-level': '9' }]]);
    const levels = () => page.evaluate(() => [...document.querySelectorAll('main > *')].map((e) =>
      [...new Set([...e.shadowRoot!.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => h.localName))]));
    // bn-train-eval keeps its default (h4), the lab's 9 is clamped to 6.
    expect(await levels()).toEqual([['h3'], ['h4'], ['h6']]);
    await page.locator('bn-algorithm').evaluate((e) => e.setAttribute('heading-level', '5'));
    await page.locator('bn-training-lab').evaluate((e) => e.setAttribute('heading-level', '2'));
    expect(await levels()).toEqual([['h5'], ['h4'], ['h2']]);
    // The headings keep their text and the lab's its colour swatch.
    expect(await page.locator('bn-training-lab').evaluate((e) => e.shadowRoot!.querySelector('h2 .swatch') !== null)).toBe(true);
    expect(await page.locator('bn-algorithm h5').first().textContent()).toBe('Step 1: the batch mean');
  }, TIMEOUT);

  it('the lesson page’s headings are in order (axe heading-order), its elements included', async () => {
    const watched = await watchedPage(env.browser, { viewport: { width: 1280, height: 900 }, bypassCSP: true });
    opened = watched;
    const { page } = watched;
    await page.goto(`${env.server.url}web/`);
    await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
    await renderAll(page);
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> } }).axe;
      const r = await axe.run(document, { runOnly: ['heading-order'], resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
    });
    expect(violations).toEqual([]);
  }, TIMEOUT);
});

// The lesson on a phone, in Debian's headless Chromium with touch (hasTouch, isMobile) and real
// touch events sent through the DevTools protocol (Input.dispatchTouchEvent): a swipe that starts
// on any drawing scrolls the page, a drag that starts on a handle moves its value and not the
// page, every handle is a target of at least 24 × 24 px, the document never scrolls sideways at
// 320 to 375 px, and a formula wider than the phone shows a shadow at the edge that hides more.
import { type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { closeChecked, renderAll, serverAndBrowser, watchedPage } from './browser.js';
import { afterEach, describe, expect, it } from 'vitest';

const TIMEOUT = 180_000;

const env = serverAndBrowser();
let opened: { context: BrowserContext; problems: string[] } | undefined;

afterEach(async () => {
  const o = opened;
  opened = undefined;
  await closeChecked(o);
});

/** The lesson (or `path`) on a touch phone `width` px wide, once every element has drawn. */
async function phone(width: number, path = 'web/', colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; cdp: CDPSession }> {
  const watched = await watchedPage(env.browser, { viewport: { width, height: 700 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, colorScheme });
  opened = watched;
  const { page, context } = watched;
  await page.goto(env.server.url + path);
  if (path === 'web/') await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
  // The elements render near the viewport: visit each.
  await renderAll(page);
  return { page, cdp: await context.newCDPSession(page) };
}

/** A one-finger touch from (x, y) moving by (dx, dy) in 10 steps, then lifted. */
async function swipe(cdp: CDPSession, x: number, y: number, dx: number, dy: number): Promise<void> {
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  for (let s = 1; s <= 10; s++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x + (dx * s) / 10, y: y + (dy * s) / 10 }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** Every drawing of the lesson (the parts named plot), as [element tag or id, index, class]. */
const plots = (page: Page) => page.evaluate(() => [...document.querySelectorAll('*')].flatMap((host) => {
  if (!host.localName.startsWith('bn-') || !host.shadowRoot) return [];
  return [...host.shadowRoot.querySelectorAll('[part~="plot"]')].map((p, i) => {
    const r = p.getBoundingClientRect();
    return { host: host.id || host.localName, i, cls: p.getAttribute('class') ?? '', shown: r.width > 100 && r.height > 60 };
  });
}));

describe('the lesson on a touch phone', () => {
  it('scrolls when a swipe starts on any of its drawings (375 px)', async () => {
    const { page, cdp } = await phone(375);
    // phone() has visited every element, the lab included (it builds its charts near the viewport).
    expect(await page.locator('#lab').evaluate((e) => e.shadowRoot!.querySelectorAll('[part~="plot"]').length)).toBeGreaterThan(0);
    const all = await plots(page);
    const shown = all.filter((p) => p.shown);
    // The refresher, worked example, γ/β, batch-noise and train/eval drawings and the lab's charts.
    for (const host of ['std', 'worked', 'bn-gamma-beta', 'noise', 'te', 'lab']) expect(shown.some((p) => p.host === host), host).toBe(true);
    const moved: string[] = [];
    for (const p of shown) {
      // Centre the drawing, and start the swipe on a point of it that is not a handle.
      const start = await page.evaluate(({ host, i }) => {
        const h = document.getElementById(host) ?? document.querySelector(host)!;
        const plot = h.shadowRoot!.querySelectorAll('[part~="plot"]')[i]!;
        plot.scrollIntoView({ block: 'center', behavior: 'instant' });
        const r = plot.getBoundingClientRect();
        for (const fy of [0.5, 0.3, 0.7, 0.9, 0.1]) for (const fx of [0.5, 0.3, 0.7, 0.15, 0.85]) {
          const x = r.left + r.width * fx;
          const y = r.top + r.height * fy;
          const hit = h.shadowRoot!.elementFromPoint(x, y);
          if (hit && plot.contains(hit) && !hit.closest('.handle')) return { x, y };
        }
        return null;
      }, p);
      expect(start, `${p.host} ${p.cls}: a point of the drawing`).not.toBeNull();
      await page.waitForTimeout(100);
      const before = await page.evaluate(() => window.scrollY);
      await swipe(cdp, start!.x, start!.y, 0, -300);
      await expect.poll(() => page.evaluate(() => window.scrollY), { timeout: 3000 }).toBeGreaterThan(before + 100);
      moved.push(`${p.host} ${p.cls}`);
    }
    expect(moved.length).toBeGreaterThanOrEqual(8);
  }, TIMEOUT);

  it('drags a handle by touch without scrolling the page', async () => {
    const { page, cdp } = await phone(375);
    const box = await page.evaluate(() => {
      const handle = document.getElementById('std')!.shadowRoot!.querySelector('.handle')!;
      handle.scrollIntoView({ block: 'center', behavior: 'instant' });
      const r = handle.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    });
    await page.waitForTimeout(100);
    const before = await page.evaluate(() => window.scrollY);
    const first = () => page.locator('#std').getAttribute('values').then((v) => Number(v!.split(',')[0]));
    expect(await first()).toBe(2);
    await swipe(cdp, box.x, box.y, 60, -80);
    await expect.poll(first).toBeGreaterThan(3);
    expect(await page.evaluate(() => window.scrollY)).toBe(before);
  }, TIMEOUT);

  for (const width of [320, 375]) {
    it(`every handle is a target of at least 24 × 24 px, and nothing scrolls the document sideways (${width} px)`, async () => {
      const { page } = await phone(width);
      const handles = await page.evaluate(() => [...document.querySelectorAll('*')].flatMap((host) => {
        const root = host.shadowRoot;
        if (!root) return [];
        return [...root.querySelectorAll('.handle, svg [role="slider"]')].map((h) => {
          h.scrollIntoView({ block: 'center', behavior: 'instant' });
          const r = h.getBoundingClientRect();
          const cx = r.left + r.width / 2;
          const cy = r.top + r.height / 2;
          // A 24 px box around the centre: the handle is under each edge's middle (under other handles too).
          const edges = [[cx - 11.5, cy], [cx + 11.5, cy], [cx, cy - 11.5], [cx, cy + 11.5]].every(([x, y]) => root.elementsFromPoint(x!, y!).includes(h));
          return { host: host.localName, w: r.width, h: r.height, edges, touch: getComputedStyle(h).touchAction };
        });
      }));
      expect(handles.length).toBeGreaterThanOrEqual(8);
      for (const h of handles) {
        expect(h.w, `${h.host} handle width`).toBeGreaterThanOrEqual(24);
        expect(h.h, `${h.host} handle height`).toBeGreaterThanOrEqual(24);
        expect(h.edges, `${h.host}: the handle covers its 24 px box`).toBe(true);
        expect(h.touch, `${h.host}: a handle keeps the touch for dragging`).toBe('none');
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `lesson at ${width} px: sideways scroll`).toBeLessThanOrEqual(0);
    }, TIMEOUT);
  }

  it('keeps its handles 24 px wide when its box narrows a little after it has drawn (375 px)', async () => {
    // A few pixels narrower (a scrollbar, a host's late stylesheet): the drawing would be scaled
    // down, its handles under 24 px, unless it is drawn again for the new width.
    const { page } = await phone(375);
    const std = page.locator('#std');
    await std.scrollIntoViewIfNeeded();
    const handleWidth = () => std.evaluate((e) => Math.min(...[...e.shadowRoot!.querySelectorAll('.handle, svg [role="slider"]')].map((h) => h.getBoundingClientRect().width)));
    expect(await handleWidth()).toBeGreaterThanOrEqual(24);
    const width = await std.evaluate((e) => e.getBoundingClientRect().width);
    await std.evaluate((e, w) => { (e as HTMLElement).style.width = `${w - 20}px`; }, width);
    await expect.poll(handleWidth).toBeGreaterThanOrEqual(24);
    expect(await std.evaluate((e) => e.getBoundingClientRect().width)).toBeCloseTo(width - 20, 0);
  }, TIMEOUT);

  for (const width of [320, 375]) {
    it(`the host example page does not scroll sideways either (${width} px, dark)`, async () => {
      const { page } = await phone(width, 'web/embed-example.html', 'dark');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }, TIMEOUT);
  }

  it('a formula wider than the phone shows a shadow at the edge that hides more, and only there (375 px)', async () => {
    const { page } = await phone(375);
    // The algorithm's step 2 with this batch's numbers ends in "= 14", past the right edge.
    const box = page.locator('#algo .step').nth(1).locator('.math.filled');
    expect(await box.textContent()).toContain('14');
    const size = await box.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    expect(size.scroll).toBeGreaterThan(size.client);
    // The formula itself hidden, so only the box's own painting is measured.
    await box.evaluate((e) => {
      e.scrollIntoView({ block: 'center', behavior: 'instant' });
      for (const c of e.children) (c as HTMLElement).style.visibility = 'hidden';
    });
    /** Mean luminance of the box's leftmost, middle and rightmost 3% of columns. */
    const edges = async () => {
      const png = (await box.screenshot()).toString('base64');
      return page.evaluate(async (b64) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const band = Math.max(2, Math.round(c.width * 0.03));
        const mean = (x0: number) => {
          let sum = 0;
          for (let y = 0; y < c.height; y++) for (let x = x0; x < x0 + band; x++) {
            const k = (y * c.width + x) * 4;
            sum += 0.2126 * d[k]! + 0.7152 * d[k + 1]! + 0.0722 * d[k + 2]!;
          }
          return sum / (band * c.height);
        };
        return { left: mean(0), middle: mean(Math.round(c.width / 2)), right: mean(c.width - band) };
      }, png);
    };
    const start = await edges();
    expect(Math.abs(start.right - start.middle), 'a shadow at the right edge').toBeGreaterThan(8);
    expect(Math.abs(start.left - start.middle), 'none at the left edge').toBeLessThan(2);
    await box.evaluate((e) => { e.scrollLeft = e.scrollWidth; });
    const end = await edges();
    expect(Math.abs(end.left - end.middle), 'scrolled to the end: a shadow at the left').toBeGreaterThan(8);
    expect(Math.abs(end.right - end.middle), 'and none at the right').toBeLessThan(2);
  }, TIMEOUT);
});

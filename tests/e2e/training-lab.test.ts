// <bn-training-lab> as a person uses it, on web/training-lab.html served with the strict CSP:
// press play and watch both runs' step counter and losses move, pause and see the step stop,
// set a huge learning rate and see the run without BN report "diverged at step k", run a
// learning-rate sweep and see its progress and results, and check that the page keeps painting
// frames while training (the worker does the work). Any console error, page error, CSP
// violation or failed request fails the test. Screenshots at phone and desktop widths.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: a plain .mjs script, without type declarations
import { startServer } from '../../scripts/serve.mjs';

const TIMEOUT = 120_000;
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

let server: { url: string; close(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(width: number, height: number, colorScheme: 'light' | 'dark' = 'light', noWorker = false): Promise<{ context: BrowserContext; page: Page; lab: Locator; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  // A browser without module workers: the lab must fall back to training on the page's thread.
  if (noWorker) await page.addInitScript(() => Reflect.deleteProperty(window, 'Worker'));
  await page.goto(new URL('web/training-lab.html', server.url).href);
  const lab = page.locator('bn-training-lab');
  await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
  expect(await lab.getAttribute('data-mode')).toBe(noWorker ? 'page' : 'worker');
  return { context, page, lab, problems };
}

const stepOf = async (lab: Locator) => Number(((await lab.locator('.step-count').textContent()) ?? '').replace(/\D/g, ''));
const statsOf = (lab: Locator, i: number) => lab.locator(`.run-${i} .stats`).textContent();

describe('<bn-training-lab>', () => {
  it('trains both runs in a worker, pauses, and keeps the page responsive', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    const before = [await statsOf(lab, 0), await statsOf(lab, 1)];
    expect(before[0]).toContain('loss —');
    // Count animation frames while training: a blocked main thread would paint almost none.
    await page.evaluate(() => {
      const w = window as unknown as { frames_: number };
      w.frames_ = 0;
      const tick = () => {
        w.frames_++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(200);
    const t0 = Date.now();
    const f0 = await page.evaluate(() => (window as unknown as { frames_: number }).frames_);
    await page.waitForTimeout(1000);
    const frames = (await page.evaluate(() => (window as unknown as { frames_: number }).frames_)) - f0;
    expect(frames / ((Date.now() - t0) / 1000), 'frames per second while training').toBeGreaterThan(10);
    // Both runs report a finite loss and a test accuracy.
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(/^loss \d+(\.\d+)? · test accuracy \d+(\.\d+)?%$/);
    const s1 = await stepOf(lab);
    await page.waitForTimeout(300);
    expect(await stepOf(lab)).toBeGreaterThan(s1);
    // Pause: the counter stops.
    await lab.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(300);
    const paused = await stepOf(lab);
    await page.waitForTimeout(700);
    expect(await stepOf(lab)).toBe(paused);
    // Step: exactly ten more.
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab)).toBe(paused + 10);
    await page.screenshot({ path: `${SHOTS}training-lab-1280x800.png` });
    await page.screenshot({ path: `${SHOTS}training-lab-1280-full.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('reports divergence without BN at a huge learning rate, and mirrors controls into attributes and bn-change', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    await page.evaluate(() => {
      const w = window as unknown as { changes_: unknown[] };
      w.changes_ = [];
      document.addEventListener('bn-change', (e) => w.changes_.push((e as CustomEvent).detail));
    });
    await lab.locator('select[name=init-scale]').selectOption('10');
    await lab.locator('select[name=lr]').selectOption('10');
    await expect.poll(() => lab.getAttribute('lr')).toBe('10');
    const last = await page.evaluate(() => (window as unknown as { changes_: { lr: number; initScale: number }[] }).changes_.at(-1));
    expect(last).toMatchObject({ lr: 10, initScale: 10, dataset: 'spiral' });
    await expect.poll(() => lab.getAttribute('data-state')).toBe('ready');
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => lab.locator('.run-0 .status').textContent(), { timeout: 30_000 }).toMatch(/^diverged at step \d+$/);
    await page.waitForTimeout(400);
    await lab.locator('.charts').first().screenshot({ path: `${SHOTS}training-lab-1280-diverged-curves.png` });
    await lab.locator('.runs').screenshot({ path: `${SHOTS}training-lab-1280-diverged-runs.png` });
    // Attributes are parsed and clamped, never interpreted as markup.
    await lab.evaluate((e) => e.setAttribute('lr', '<img src=x onerror=alert(1)>'));
    await expect.poll(() => lab.locator('select[name=lr]').inputValue()).toBe('0.1');
    await lab.evaluate((e) => e.setAttribute('neurons', '5000'));
    await expect.poll(() => lab.locator('select[name=neurons]').inputValue()).toBe('128');
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('runs a learning-rate sweep with progress and results, and exports CSV', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    await lab.getByRole('button', { name: 'Sweep learning rate' }).click();
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 10_000 }).toMatch(/Sweeping learning rate: \d+ \/ 16 runs|done/);
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 90_000 }).toMatch(/done/);
    const rows = await lab.locator('.sweep-table tbody tr').allTextContents();
    expect(rows).toHaveLength(8);
    // Every cell is an accuracy or a divergence, never NaN.
    const cells = await lab.locator('.sweep-table tbody td').allTextContents();
    for (const c of cells) expect(c).toMatch(/^(\d+(\.\d+)?%|diverged at step \d+)$/);
    expect(cells.join(' ')).not.toContain('NaN');
    await page.screenshot({ path: `${SHOTS}training-lab-1280-sweep.png`, fullPage: true });
    // The weight-scale sweep, likewise.
    await lab.getByRole('button', { name: 'Sweep weight scale' }).click();
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 90_000 }).toMatch(/Sweep of weight scale done/);
    expect(await lab.locator('.sweep-table caption').textContent()).toContain('initial weight scale');
    expect(await lab.locator('.sweep-table tbody tr').count()).toBe(8);
    await lab.locator('.sweeps').screenshot({ path: `${SHOTS}training-lab-1280-sweeps.png` });
    // CSV of the curves after a few steps.
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab)).toBe(10);
    const [download] = await Promise.all([page.waitForEvent('download'), lab.getByRole('button', { name: 'Download curves (CSV)' }).click()]);
    const path = await download.path();
    const text = (await import('node:fs')).readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^step,loss_no_bn,loss_bn/);
    expect(text.trim().split('\n')).toHaveLength(11);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('trains on the digits in the paper’s setting (no boundary map there)', async () => {
    const { context, lab, problems } = await open(1280, 800);
    await lab.getByRole('button', { name: 'Use the paper’s setting' }).click();
    await expect.poll(() => lab.getAttribute('dataset')).toBe('digits');
    expect(await lab.getAttribute('activation')).toBe('sigmoid');
    expect(await lab.getAttribute('batch-size')).toBe('60');
    await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBe(10);
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(/^loss \d+(\.\d+)? · /);
    await expect(lab.locator('.run-0 .map').isVisible()).resolves.toBe(false);
    await expect(lab.locator('.run-0 .note').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('falls back to training on the page thread where no worker can start', async () => {
    const { context, page, lab, problems } = await open(1280, 800, 'light', true);
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(100);
    // Small chunks, one per frame: a click still gets through promptly.
    const t0 = Date.now();
    await lab.getByRole('button', { name: 'Pause' }).click();
    expect(Date.now() - t0).toBeLessThan(2000);
    await page.waitForTimeout(300);
    const paused = await stepOf(lab);
    await page.waitForTimeout(500);
    expect(await stepOf(lab)).toBe(paused);
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(/^loss \d+(\.\d+)? · test accuracy \d+(\.\d+)?%$/);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('passes axe-core with no serious or critical violation', async () => {
    // axe inserts an inline <style> for some checks, which the CSP blocks: this one context bypasses it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(new URL('web/training-lab.html', server.url).href);
    const lab = page.locator('bn-training-lab');
    await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab)).toBe(10);
    await page.addScriptTag({ path: fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)) });
    const violations = (await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
    })) as { impact: string }[];
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('lays out at 360 px wide (and dark), screenshots', async () => {
    const { context, page, lab, problems } = await open(360, 740, 'dark');
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(300);
    await lab.getByRole('button', { name: 'Pause' }).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'horizontal overflow at 360 px').toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}training-lab-360x740-dark.png` });
    await page.screenshot({ path: `${SHOTS}training-lab-360-full-dark.png`, fullPage: true });
    await lab.locator('.charts').first().screenshot({ path: `${SHOTS}training-lab-360-curves-dark.png` });
    await lab.locator('.shift').screenshot({ path: `${SHOTS}training-lab-360-shift-dark.png` });
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);
});

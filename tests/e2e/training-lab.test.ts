// <bn-training-lab> as a person uses it, on web/training-lab.html served with the strict CSP:
// press play and watch both runs' step counter and losses move, pause and see the step stop,
// set a huge learning rate and see the run without BN report "diverged at step k", run a
// learning-rate sweep and see its progress and results, and check that the page keeps painting
// frames while training (the worker does the work), and that the curves are uPlot charts that
// really show both runs (pixels of each run's colour on their canvases, values under the cursor,
// PNG and CSV exports). Any console error, page error, CSP violation or failed request fails the
// test. Screenshots at phone and desktop widths.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { launchChromium, watchedPage } from './browser.js';
import { FIGURE1 } from '../../dist/jobs/presets.js';
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
  const { context, page, problems } = await watchedPage(browser, { viewport: { width, height }, colorScheme, acceptDownloads: true });
  // A browser without module workers: the lab must fall back to training on the page's thread.
  if (noWorker) await page.addInitScript(() => Reflect.deleteProperty(window, 'Worker'));
  await page.goto(new URL('web/training-lab.html', server.url).href);
  const lab = page.locator('bn-training-lab');
  await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
  expect(await lab.getAttribute('data-mode')).toBe(noWorker ? 'page' : 'worker');
  return { context, page, lab, problems };
}

/** Colours looked for on chart canvases: the runs' lines (Okabe–Ito) and the grid in each theme. */
const COLORS = {
  noBn: [0xd5, 0x5e, 0x00, 24],
  bn: [0x00, 0x72, 0xb2, 24],
  gridLight: [0xe2, 0xe4, 0xe8, 2],
  gridDark: [0x33, 0x37, 0x3f, 2],
} as const;
type ColorName = keyof typeof COLORS;

/**
 * The chart titled `title` in the lab's shadow root: whether uPlot drew it, its canvas size, and
 * how many opaque pixels of each COLORS entry its canvas holds (null: no such uPlot chart).
 */
async function chartPixels(lab: Locator, title: string): Promise<{ width: number; height: number; counts: Record<ColorName, number> } | null> {
  return lab.evaluate((host, { title, colors }) => {
    const fig = [...host.shadowRoot!.querySelectorAll('figure.chart')].find((f) => f.querySelector('figcaption')?.textContent === title);
    const canvas = fig?.querySelector<HTMLCanvasElement>('.plot > .uplot > .u-wrap > canvas');
    if (!canvas || !canvas.width) return null;
    // Read a copy: repeated readbacks of the chart's own canvas make Chromium warn.
    const ctx = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d')!;
    ctx.drawImage(canvas, 0, 0);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = Object.fromEntries(Object.keys(colors).map((k) => [k, 0])) as Record<string, number>;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3]! < 250) continue;
      for (const [name, [r, g, b, tol]] of Object.entries(colors)) {
        if (Math.abs(px[i]! - r) <= tol && Math.abs(px[i + 1]! - g) <= tol && Math.abs(px[i + 2]! - b) <= tol) counts[name]!++;
      }
    }
    return { width: canvas.width, height: canvas.height, counts: counts as Record<ColorName, number> };
  }, { title, colors: COLORS });
}

/** The left `width` pixels of a chart's canvas (its y axis: tick labels at their heights), as one string. */
async function yAxisPixels(lab: Locator, title: string, width = 36): Promise<string> {
  return lab.evaluate((host, { title, width }) => {
    const fig = [...host.shadowRoot!.querySelectorAll('figure.chart')].find((f) => f.querySelector('figcaption')?.textContent === title);
    const canvas = fig!.querySelector<HTMLCanvasElement>('.uplot canvas')!;
    const ctx = new OffscreenCanvas(width, canvas.height).getContext('2d')!;
    ctx.drawImage(canvas, 0, 0);
    return Array.from(ctx.getImageData(0, 0, width, canvas.height).data).join(',');
  }, { title, width });
}

const LOSS = 'Loss of each training batch (training mode)';
const EVAL_LOSS = 'Loss in eval mode: training set and test set';
const ACCURACY = 'Test accuracy';
const PERCENTILES = ['Without BN', 'With BN'].map((name) => `${name}: last hidden layer, unit 0 input (15/50/85th percentiles)`);

/** A PNG's width and height from its IHDR chunk (after checking its signature). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString('hex'), 'PNG signature').toBe('89504e470d0a1a0a');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const stepOf = async (lab: Locator) => Number(((await lab.locator('.step-count').textContent()) ?? '').replace(/\D/g, ''));
const statsOf = (lab: Locator, i: number) => lab.locator(`.run-${i} .stats`).textContent();
const STATS = /^batch loss [\d.e\u2212]+ · eval loss: train [\d.e\u2212]+, test [\d.e\u2212]+ · test accuracy \d+(\.\d+)?%$/;

describe('<bn-training-lab>', () => {
  it('trains both runs in a worker, pauses, and keeps the page responsive', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    const before = [await statsOf(lab, 0), await statsOf(lab, 1)];
    expect(before[0]).toBe('batch loss — · eval loss: train —, test — · test accuracy —');
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
    // Both runs report a finite batch loss, eval-mode losses on the training and test sets and a test accuracy.
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(STATS);
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
    // The curves are uPlot charts showing both runs: each run's colour on the loss and accuracy
    // canvases, and one run each on the percentile charts (median line; the band is translucent).
    await page.waitForTimeout(300);
    for (const title of [LOSS, EVAL_LOSS, ACCURACY]) {
      const c = await chartPixels(lab, title);
      expect(c, title).not.toBeNull();
      expect(c!.counts.noBn, `${title}: pixels of the run without BN`).toBeGreaterThan(100);
      expect(c!.counts.bn, `${title}: pixels of the run with BN`).toBeGreaterThan(100);
    }
    // The eval-mode chart names what it shows, and the text says why there are two loss charts.
    const evalKeys = await lab.locator('figure.chart', { hasText: EVAL_LOSS }).locator('.legend .key').allTextContents();
    for (const run of ['Without BN', 'With BN']) {
      for (const set of ['training set', 'test set']) expect(evalKeys, `${run}, ${set}`).toEqual(expect.arrayContaining([expect.stringContaining(`${run}, ${set}`)]));
    }
    expect(await lab.locator('.note.losses').textContent()).toMatch(/training mode BatchNorm normalises each batch with that batch’s own mean and variance.*eval mode BN uses its running statistics/);
    for (const [i, title] of PERCENTILES.entries()) {
      const c = await chartPixels(lab, title);
      expect(c!.counts[i ? 'bn' : 'noBn'], title).toBeGreaterThan(100);
      expect(c!.counts[i ? 'noBn' : 'bn'], title).toBe(0);
    }
    // The percentile charts share one y axis: the same tick labels at the same heights.
    const axes = await Promise.all(PERCENTILES.map((t) => yAxisPixels(lab, t)));
    expect(axes[0]!.length).toBeGreaterThan(1000);
    expect(axes[0] === axes[1], 'the two percentile charts have the same y axis').toBe(true);
    // The sweep charts are not built before a sweep.
    expect(await lab.locator('.sweeps .uplot').count()).toBe(0);
    // Text alternatives: each chart is an image named by its latest values.
    const value = String.raw`[\d.e\u2212+]+`;
    await expect.poll(() => lab.getByRole('img', { name: new RegExp(`^Loss of each training batch \\(training mode\\): cross-entropy against step \\(log y axis\\)\\. Without BN: ${value} at step \\d+\\. With BN: ${value} at step \\d+\\.$`) }).count()).toBe(1);
    await expect.poll(() => lab.getByRole('img', { name: new RegExp(`^Test accuracy: accuracy against step\\. Without BN: ${value} at step \\d+\\. With BN: ${value} at step \\d+\\.( (Without|With) BN: reached 90% at step \\d+\\.)*$`) }).count()).toBe(1);
    // Under the cursor, the legend reads out both runs' values at that step.
    const loss = lab.locator('figure.chart').first();
    await loss.locator('.u-over').hover({ position: { x: 150, y: 60 } });
    await expect.poll(() => loss.locator('.plot .at').textContent()).toMatch(/^step \d+(\.\d+)?$/);
    expect(await loss.locator('.legend .value').allTextContents()).toEqual([expect.stringMatching(/^[\d.]+$/), expect.stringMatching(/^[\d.]+$/)]);
    await page.mouse.move(5, 5);
    await expect.poll(() => loss.locator('.plot .at').textContent()).toBe('');
    // PNG export: the canvas as drawn, with the title and legend above it.
    const shown = (await chartPixels(lab, LOSS))!;
    const [png] = await Promise.all([page.waitForEvent('download'), lab.getByRole('button', { name: 'Download the loss chart as PNG' }).click()]);
    expect(png.suggestedFilename()).toBe('loss.png');
    const fs = await import('node:fs');
    const bytes = fs.readFileSync(await png.path());
    fs.writeFileSync(`${SHOTS}training-lab-loss-export.png`, bytes);
    const size = pngSize(bytes);
    expect(size.width).toBe(shown.width);
    expect(size.height).toBeGreaterThan(shown.height + 20);
    // ...and the exported image shows both runs too (decoded in the page).
    const exported = await page.evaluate(async (b64) => {
      const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
      const img = await createImageBitmap(blob);
      const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      let noBn = 0, bn = 0;
      for (let i = 0; i < px.length; i += 4) {
        const near = (r: number, g: number, b: number) => Math.abs(px[i]! - r) <= 24 && Math.abs(px[i + 1]! - g) <= 24 && Math.abs(px[i + 2]! - b) <= 24;
        if (near(0xd5, 0x5e, 0x00)) noBn++;
        if (near(0x00, 0x72, 0xb2)) bn++;
      }
      return { noBn, bn, corner: Array.from(px.subarray(0, 4)) };
    }, bytes.toString('base64'));
    expect(exported.noBn).toBeGreaterThan(100);
    expect(exported.bn).toBeGreaterThan(100);
    expect(exported.corner, 'export background: the light theme').toEqual([255, 255, 255, 255]);
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
    // The divergence is marked on both curves, and said in their text alternatives.
    await expect.poll(() => lab.getByRole('img', { name: /Without BN: diverged at step \d+\.$/ }).count()).toBe(2);
    await lab.locator('.charts').first().screenshot({ path: `${SHOTS}training-lab-1280-diverged-curves.png` });
    await lab.locator('.runs').screenshot({ path: `${SHOTS}training-lab-1280-diverged-runs.png` });
    // Attributes are parsed and clamped, never interpreted as markup.
    await lab.evaluate((e) => e.setAttribute('lr', '<img src=x onerror=alert(1)>'));
    await expect.poll(() => lab.locator('select[name=lr]').inputValue()).toBe('0.1');
    await lab.evaluate((e) => e.setAttribute('neurons', '5000'));
    await expect.poll(() => lab.locator('select[name=neurons]').inputValue()).toBe('128');
    // Values outside the choices get one extra option, reused: the list stays its 10 choices + 1.
    const choices = await lab.locator('select[name=lr] option').count();
    for (const lr of ['0.05', '0.07', '0.2', '0.4', '0.6']) {
      await lab.evaluate((e, v) => e.setAttribute('lr', v), lr);
      await expect.poll(() => lab.locator('select[name=lr]').inputValue()).toBe(lr);
    }
    expect(await lab.locator('select[name=lr] option').count()).toBe(choices + 1);
    await lab.evaluate((e) => e.setAttribute('lr', '0.3'));
    await expect.poll(() => lab.locator('select[name=lr]').inputValue()).toBe('0.3');
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('runs a learning-rate sweep with progress and results, and exports CSV', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    await lab.getByRole('button', { name: 'Sweep learning rate' }).click();
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 10_000 }).toMatch(/Sweeping learning rate: \d+ \/ 48 runs|done/);
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 90_000 }).toMatch(/done/);
    const rows = await lab.locator('.sweep-table tbody tr').allTextContents();
    expect(rows).toHaveLength(8);
    // Each point: both networks' mean ± sd over 3 seeds (or how many diverged), and a verdict
    // against the seed-to-seed spread; never NaN.
    expect(await lab.locator('.sweep-status').textContent()).toBe('Sweep of learning rate done: 48 runs of 500 steps (8 values × 2 networks × 3 seeds).');
    const cells = await lab.locator('.sweep-table tbody td:not(.verdict)').allTextContents();
    expect(cells).toHaveLength(16);
    for (const c of cells) expect(c).toMatch(/^(\d+(\.\d+)?% ± \d+(\.\d+)?(, stuck at chance)?( \(\d diverged\))?|diverged \(3 of 3 seeds\))$/);
    // A point no better than guessing (50% on the spiral, within 3 points) is named as stuck, and only such a point.
    for (const c of cells.filter((c) => !c.startsWith('diverged'))) expect(c.includes('stuck at chance'), c).toBe(parseFloat(c) <= 53);
    const verdicts = await lab.locator('.sweep-table td.verdict').allTextContents();
    for (const v of verdicts) expect(v).toMatch(/^(BN ahead by|without BN ahead by|within the seed spread|both diverge|only with BN|only without BN)/);
    expect(cells.join(' ') + verdicts.join(' ')).not.toContain('NaN');
    // On the default setting BN wins clearly somewhere (it trains at rates where the plain network cannot).
    expect(verdicts.some((v) => /^(BN ahead by|only with BN)/.test(v))).toBe(true);
    // The caption under the sweep is written from those verdicts.
    const caption = (await lab.locator('.sweep-caption').textContent())!;
    const count = (re: RegExp) => verdicts.filter((v) => re.test(v)).length;
    expect(caption).toContain(`BN did better beyond the seed-to-seed spread at ${count(/^(BN ahead|only with BN)/)}`);
    expect(caption).toContain(`the network without BN at ${count(/^(without BN ahead|only without BN)/)}`);
    await page.screenshot({ path: `${SHOTS}training-lab-1280-sweep.png`, fullPage: true });
    // The weight-scale sweep, likewise.
    await lab.getByRole('button', { name: 'Sweep weight scale' }).click();
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 90_000 }).toMatch(/Sweep of weight scale done/);
    expect(await lab.locator('.sweep-table caption').textContent()).toContain('initial weight scale');
    expect(await lab.locator('.sweep-table tbody tr').count()).toBe(8);
    await lab.locator('.sweeps').screenshot({ path: `${SHOTS}training-lab-1280-sweeps.png` });
    // Both sweep charts are uPlot charts with dots (and lines) of both runs.
    for (const title of ['Learning-rate sweep: test accuracy after 500 steps', 'Initial-weight-scale sweep: test accuracy after 500 steps']) {
      const c = await chartPixels(lab, title);
      expect(c, title).not.toBeNull();
      expect(c!.counts.noBn, title).toBeGreaterThan(100);
      expect(c!.counts.bn, title).toBeGreaterThan(100);
    }
    await expect.poll(() => lab.getByRole('img', { name: /^Learning-rate sweep: .*\(log x axis\)\. Without BN: mean of 3 seeds, by learning rate: 0\.003: [\d.]+, 0\.01: / }).count()).toBe(1);
    // CSV of the curves after a few steps.
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab)).toBe(10);
    const [download] = await Promise.all([page.waitForEvent('download'), lab.getByRole('button', { name: 'Download curves (CSV)' }).click()]);
    const path = await download.path();
    const text = (await import('node:fs')).readFileSync(path, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('step,loss_no_bn,loss_bn,test_accuracy_no_bn,test_accuracy_bn,eval_train_loss_no_bn,eval_train_loss_bn,eval_test_loss_no_bn,eval_test_loss_bn,p15_no_bn,p50_no_bn,p85_no_bn,p15_bn,p50_bn,p85_bn');
    expect(lines).toHaveLength(11);
    // One row per step, both runs' losses and all six percentiles as numbers; the test accuracies
    // and the eval-mode losses only at the steps where they were measured.
    const num = String.raw`-?\d+(\.\d+)?(e-?\d+)?`;
    lines.slice(1).forEach((row: string, i: number) => expect(row).toMatch(new RegExp(`^${i + 1},${num},${num}(,(${num})?){6}(,${num}){6}$`)));
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('measures the train/test gap across batch sizes (does BN’s batch noise regularise?)', async () => {
    const { context, lab, problems } = await open(1280, 800);
    await lab.getByRole('button', { name: 'Sweep batch size: train/test gap' }).click();
    await expect.poll(() => lab.locator('.sweep-status').textContent(), { timeout: 120_000 }).toMatch(/done/);
    expect(await lab.locator('.sweep-status').textContent()).toBe('Sweep of batch size done: 24 runs of 2000 steps (4 values × 2 networks × 3 seeds).');
    expect(await lab.locator('.sweep-table caption').textContent()).toMatch(/^Accuracy in eval mode on the training set and on the test set after 2000 steps/);
    const rows = lab.locator('.sweep-table tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await rows.locator('th').allTextContents()).toEqual(['2', '8', '32', '128']);
    // Each network: "train / test" accuracies and a gap that is their difference (means of the same seeds).
    const pct = String.raw`(\d+(\.\d+)?)% ± \d+(\.\d+)?(, stuck at chance)?`;
    for (let r = 0; r < 4; r++) {
      const cells = await rows.nth(r).locator('td').allTextContents();
      expect(cells).toHaveLength(5);
      for (const k of [0, 2]) {
        const m = cells[k]!.match(new RegExp(`^${pct} / ${pct}$`));
        expect(m, cells[k]).not.toBeNull();
        const gap = parseFloat(cells[k + 1]!.replace('\u2212', '-'));
        expect(Math.abs(gap - (Number(m![1]) - Number(m![5]))), cells.join(' | ')).toBeLessThan(0.16);
      }
      expect(cells[4]).toMatch(/^(BN’s gap smaller by|BN’s gap larger by|gaps within the seed spread|a network diverged)/);
      // A smaller gap that comes with a lower test accuracy is said to be no win.
      const testOf = (k: number) => Number(cells[k]!.split(' / ')[1]!.match(/^[\d.]+/)![0]);
      if (/^BN’s gap smaller/.test(cells[4]!) && testOf(2) < testOf(0) - 1) expect(cells[4]).toContain('but its test accuracy is lower');
    }
    const verdicts = await lab.locator('.sweep-table td.verdict').allTextContents();
    const caption = (await lab.locator('.sweep-caption').textContent())!;
    expect(caption).toContain(`BN’s train − test gap was smaller beyond the seed spread at ${verdicts.filter((v) => v.startsWith('BN’s gap smaller') && !v.includes(', but')).length} of 4 batch sizes`);
    expect(caption).toMatch(/With BN the gap (is smaller|does not shrink) at the smallest batch/);
    // The chart draws on the frame after its last result.
    const gapPixels = () => chartPixels(lab, 'Batch-size sweep: training minus test accuracy (eval mode) after 2000 steps');
    await expect.poll(async () => (await gapPixels()) !== null).toBe(true);
    const c = await gapPixels();
    expect(c!.counts.noBn).toBeGreaterThan(100);
    expect(c!.counts.bn).toBeGreaterThan(100);
    await lab.locator('.sweeps').screenshot({ path: `${SHOTS}training-lab-1280-gap-sweep.png` });
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it('trains at the pace the reader picks, shows steps/s, and marks when each run reaches 90%', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    const speed = lab.locator('select[name=speed]');
    expect(await speed.inputValue(), 'a pace to watch by default').toBe('250');
    // Slow motion: about 10 steps a second.
    await speed.selectOption('10');
    await lab.getByRole('button', { name: 'Play' }).click();
    await page.waitForTimeout(2000);
    const slow = await stepOf(lab);
    expect(slow).toBeGreaterThanOrEqual(10);
    expect(slow).toBeLessThanOrEqual(30);
    await expect.poll(() => lab.locator('.pace').textContent()).toMatch(/^\d+ steps\/s per network$/);
    const slowPace = Number((await lab.locator('.pace').textContent())!.replace(/\D/g, ''));
    expect(slowPace).toBeGreaterThanOrEqual(5);
    expect(slowPace).toBeLessThanOrEqual(15);
    expect(await lab.getAttribute('speed')).toBe('10');
    // As fast as it goes: thousands of steps a second, still in the worker.
    await speed.selectOption('max');
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(3000);
    await expect.poll(async () => Number(((await lab.locator('.pace').textContent()) ?? '').replace(/\D/g, '')), { timeout: 10_000 }).toBeGreaterThan(2000);
    await lab.getByRole('button', { name: 'Pause' }).click();
    // The milestone line names the step at which each run first reached 90% test accuracy, and
    // the accuracy chart marks it.
    const text = await lab.locator('.milestones').textContent();
    expect(text).toMatch(/^90% test accuracy reached with BN: (step \d+|not yet); without BN: (step \d+|not yet)\.$/);
    const at = [...text!.matchAll(/step (\d+)/g)].map((m) => Number(m[1]));
    expect(at.length, 'both runs get there on the default setting').toBe(2);
    const [bnStep, plainStep] = at as [number, number];
    expect(bnStep, 'with BN first').toBeLessThan(plainStep);
    await expect.poll(() => lab.getByRole('img', { name: new RegExp(`With BN: reached 90% at step ${bnStep}\\.`) }).count()).toBe(1);
    await expect.poll(() => lab.getByRole('img', { name: new RegExp(`Without BN: reached 90% at step ${plainStep}\\.`) }).count()).toBe(1);
    // An attribute sets the pace too (no restart: the step count stays). First let the pause land
    // (a chunk under way at full speed still reports).
    let before = -1;
    await expect.poll(async () => {
      const s = await stepOf(lab);
      const settled = s === before;
      before = s;
      return settled;
    }, { intervals: [300] }).toBe(true);
    await lab.evaluate((e) => e.setAttribute('speed', '50'));
    await expect.poll(() => speed.inputValue()).toBe('50');
    expect(await stepOf(lab)).toBe(before);
    await lab.evaluate((e) => e.setAttribute('speed', 'fast please'));
    await expect.poll(() => speed.inputValue()).toBe('250');
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('names a network that has stopped learning: stuck at chance, dead ReLUs (lr 10)', async () => {
    const { context, page, lab, problems } = await open(1280, 800);
    await lab.locator('select[name=lr]').selectOption('10');
    await expect.poll(() => lab.getAttribute('data-state')).toBe('ready');
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(600);
    await lab.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(300);
    const status = [await lab.locator('.run-0 .status').textContent(), await lab.locator('.run-1 .status').textContent()];
    // Each run's panel says what went wrong, in words, not only as a flat curve at 50% (the same
    // seeds every time: at this learning rate both runs kill the ReLUs of their last hidden layer).
    for (const [i, s] of status.entries()) {
      expect(s, `run ${i}`).toMatch(/^Stuck at chance: test accuracy 50%, what guessing gets\. Dead ReLUs: (layer \d \(\d+% of its inputs below 0\), )*layer 3 \(100% of its inputs below 0\); they output 0 and pass no gradient back/);
    }
    await lab.locator('.runs').screenshot({ path: `${SHOTS}training-lab-1280-stuck-runs.png` });
    // A network that learns says nothing of the kind.
    await lab.locator('select[name=lr]').selectOption('0.1');
    await expect.poll(() => lab.getAttribute('data-state')).toBe('ready');
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(600);
    await lab.getByRole('button', { name: 'Pause' }).click();
    for (const i of [0, 1]) expect(await lab.locator(`.run-${i} .status`).textContent()).toBe('');
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('trains on the digits in the paper’s setting (no boundary map there)', async () => {
    const { context, lab, problems } = await open(1280, 800);
    await lab.getByRole('button', { name: 'Use the paper’s setting' }).click();
    await expect.poll(() => lab.getAttribute('dataset')).toBe('digits');
    expect(await lab.getAttribute('activation')).toBe('sigmoid');
    expect(await lab.getAttribute('batch-size')).toBe('60');
    // The replica's learning rate (scripts/experiments/figure1.mjs reads the same FIGURE1), in the
    // field and in words beside the button.
    expect(FIGURE1.lr).toBe(0.5);
    expect(await lab.getAttribute('lr')).toBe(String(FIGURE1.lr));
    expect(await lab.locator('.paper-setting').textContent()).toBe('digits, 3 hidden layers of 100 sigmoid units, batches of 60, learning rate 0.5');
    expect(await lab.locator('.paper-setting').isVisible()).toBe(true);
    await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await lab.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBe(10);
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(/^batch loss \d+(\.\d+)? · /);
    await expect(lab.locator('.run-0 .map').isVisible()).resolves.toBe(false);
    await expect(lab.locator('.run-0 .note').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('shows only the parts an author lists in sections, and all of them again without it', async () => {
    const { context, lab, problems } = await open(1280, 800);
    await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    const visible = async () => ({
      curves: await lab.locator('.charts').first().isVisible(),
      csv: await lab.getByRole('button', { name: 'Download curves (CSV)' }).isVisible(),
      shift: await lab.locator('section.shift').isVisible(),
      sweeps: await lab.locator('section.sweeps').isVisible(),
      runs: await lab.locator('.run-0').isVisible(),
      controls: await lab.locator('form.controls').isVisible(),
    });
    expect(await visible()).toEqual({ curves: true, csv: true, shift: true, sweeps: true, runs: true, controls: true });
    const tall = await lab.evaluate((e) => e.getBoundingClientRect().height);
    await lab.evaluate((e) => e.setAttribute('sections', 'shift'));
    expect(await visible()).toEqual({ curves: false, csv: false, shift: true, sweeps: false, runs: true, controls: true });
    await lab.evaluate((e) => e.setAttribute('sections', ''));
    expect(await visible()).toEqual({ curves: false, csv: false, shift: false, sweeps: false, runs: true, controls: true });
    const short = await lab.evaluate((e) => e.getBoundingClientRect().height);
    expect(short).toBeLessThan(tall / 2);
    // The drawing pad also needs the digits: sections="digit" on a toy set shows nothing extra.
    await lab.evaluate((e) => e.setAttribute('sections', 'digit, nonsense'));
    expect(await lab.locator('section.draw').isVisible()).toBe(false);
    await lab.evaluate((e) => e.setAttribute('dataset', 'digits'));
    await expect.poll(() => lab.locator('section.draw').isVisible()).toBe(true);
    await lab.evaluate((e) => e.removeAttribute('sections'));
    expect(await visible()).toEqual({ curves: true, csv: true, shift: true, sweeps: true, runs: true, controls: true });
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('classifies a digit the reader draws, in eval mode and as a batch of one in training mode', async () => {
    const { context, page, lab, problems } = await open(1280, 900);
    const draw = lab.locator('section.draw');
    expect(await draw.isVisible(), 'no drawing pad on the toy datasets').toBe(false);
    await lab.evaluate((host) => host.setAttribute('dataset', 'digits'));
    await expect.poll(() => lab.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    expect(await draw.isVisible()).toBe(true);
    await lab.locator('select[name=speed]').selectOption('max');
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 60_000 }).toBeGreaterThan(1500);
    await lab.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(300);
    const step = await stepOf(lab);
    // A "1": one vertical stroke down the middle of the pad.
    const pad = lab.locator('canvas.pad');
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.12);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.12 + 0.076 * k));
    await page.mouse.up();
    const guesses = lab.locator('.prediction .guess');
    await expect.poll(() => guesses.count(), { timeout: 10_000 }).toBe(2);
    expect(await lab.locator('.prediction > .note').textContent()).toBe(`After ${step} training steps:`);
    for (const [i, name] of ['Without BN', 'With BN'].entries()) {
      const g = guesses.nth(i);
      expect(await g.locator('.guess-head').textContent()).toMatch(new RegExp(`^${name}, eval mode: \\d \\(\\d+%\\)$`));
      // Ten bars, one per class, whose probabilities (in their titles) add up to 1.
      const titles = await g.locator('.bar').evaluateAll((bars) => bars.map((b) => (b as HTMLElement).title));
      expect(titles).toHaveLength(10);
      const sum = titles.reduce((a, t) => a + Number(t.replace(/^\d: /, '').replace('%', '')), 0);
      expect(sum).toBeGreaterThan(99);
      expect(sum).toBeLessThan(101);
    }
    // Each network's answer is its most probable class (what it answers after how many steps
    // depends on the pace, so not which class).
    for (const i of [0, 1]) {
      const probs = await guesses.nth(i).locator('.bar').evaluateAll((bars) => bars.map((b) => Number((b as HTMLElement).title.replace(/^\d: /, '').replace('%', ''))));
      expect(await guesses.nth(i).getAttribute('data-class')).toBe(String(probs.indexOf(Math.max(...probs))));
    }
    // Without BatchNorm the two modes compute the same function; with it, one example has no batch
    // statistics, and the layer refuses with PyTorch's error.
    expect(await guesses.nth(0).locator('.guess-train').textContent()).toMatch(/, the same: without BatchNorm the two modes compute the same function\.$/);
    expect(await guesses.nth(1).locator('.guess-train').textContent()).toMatch(/Expected more than 1 value per channel when training/);
    // Clear empties the preview; the predictions stay until the next drawing.
    await lab.getByRole('button', { name: 'Clear' }).click();
    const ink = await lab.locator('canvas.pad-preview').evaluate((c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 8, 8).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 250) n++;
      return n;
    });
    expect(ink).toBe(0);
    await page.screenshot({ path: `${SHOTS}lab-draw-digit-1280.png`, fullPage: false, clip: (await draw.boundingBox()) ?? undefined });
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('draws each hidden unit’s histogram, and a picked unit becomes the one the percentile charts follow', async () => {
    const { context, page, lab, problems } = await open(1280, 900);
    await lab.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => stepOf(lab), { timeout: 30_000 }).toBeGreaterThan(300);
    const nets = lab.locator('.network');
    expect(await nets.count()).toBe(2);
    // The default network: 3 hidden layers of 16 units, each a button with its histogram drawn
    // in its network's colour; the default followed unit (last layer, unit 0) is marked.
    for (const i of [0, 1]) {
      const net = nets.nth(i);
      expect(await net.locator('.layer-name').allTextContents()).toEqual(['layer 1 (16 units)', 'layer 2 (16 units)', 'layer 3 (16 units)']);
      expect(await net.locator('button.unit').count()).toBe(48);
      expect(await net.locator('button.unit[aria-pressed="true"]').getAttribute('aria-label')).toBe(`${['Without BN', 'With BN'][i]}, layer 3, unit 0: follow it in the percentile chart`);
      const inked = await net.locator('button.unit canvas').evaluateAll((cs) => cs.filter((c) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
        for (let k = 3; k < d.length; k += 4) if (d[k]! > 0) return true;
        return false;
      }).length);
      expect(inked, 'units with a histogram drawn').toBeGreaterThan(40);
    }
    // Pick layer 1, unit 3 in the BN network: both networks follow it.
    await nets.nth(1).getByRole('button', { name: 'With BN, layer 1, unit 3: follow it in the percentile chart' }).click();
    for (const i of [0, 1]) expect(await nets.nth(i).locator('button.unit[aria-pressed="true"]').getAttribute('data-unit')).toBe('3');
    await expect.poll(() => lab.locator('.following').textContent(), { timeout: 10_000 }).toMatch(/^Following layer 1, unit 3 in both networks from step \d+\.$/);
    const from = Number((await lab.locator('.following').textContent())!.match(/step (\d+)/)![1]);
    const titles = await lab.locator('.shift figcaption').allTextContents();
    for (const name of ['Without BN', 'With BN']) expect(titles).toContain(`${name}: layer 1, unit 3 input from step ${from} (15/50/85th percentiles)`);
    await page.waitForTimeout(500);
    await lab.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(300);
    // The CSV holds the percentiles of the unit followed only from that step on.
    const [download] = await Promise.all([page.waitForEvent('download'), lab.getByRole('button', { name: 'Download curves (CSV)' }).click()]);
    const rows = (await import('node:fs')).readFileSync(await download.path(), 'utf8').trim().split('\n').slice(1).map((r: string) => r.split(','));
    const pctCells = (r: string[]) => r.slice(9, 15);
    expect(rows.filter((r: string[]) => Number(r[0]) < from).every((r: string[]) => pctCells(r).every((c) => c === ''))).toBe(true);
    const after = rows.filter((r: string[]) => Number(r[0]) >= from);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((r: string[]) => pctCells(r).every((c) => c !== '' && Number.isFinite(Number(c))))).toBe(true);
    await lab.locator('.networks').screenshot({ path: `${SHOTS}training-lab-1280-network.png` });
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
    for (const i of [0, 1]) expect(await statsOf(lab, i)).toMatch(STATS);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);

  it('charts 20,000 steps in one redraw of ~1 point per pixel column, and breaks the line at NaN', async () => {
    const { context, page, problems } = await open(1280, 800);
    // The chart module as the page loads it (a string: Vitest would rewrite an import() in a function).
    await page.evaluate(`import(new URL('../dist/elements/training-lab/chart.js', location.href).href).then((m) => { window.chartModule_ = m; })`);
    const r = await page.evaluate(async () => {
      type Chart = { element: HTMLElement; pointsDrawn: number; set(s: object[]): void; png(): Promise<Blob> };
      const mod = (window as unknown as { chartModule_: { LineChart: new (o: object) => Chart; CHART_STYLESHEET: string } }).chartModule_;
      const host = document.createElement('div');
      host.style.width = '640px';
      document.body.append(host);
      const root = host.attachShadow({ mode: 'open' });
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = mod.CHART_STYLESHEET;
      await new Promise((done) => {
        link.onload = done;
        root.append(link);
      });
      const chart = new mod.LineChart({ title: 'Twenty thousand', xLabel: 'step', yLabel: 'y', logY: true });
      root.append(chart.element);
      // A slow wave, with steps 8,001–12,000 non-finite (a loss that blew up, then recovered), and a
      // zero (not drawable on a log axis) at 16,000.
      const n = 20_000;
      const x = Float32Array.from({ length: n }, (_, i) => i + 1);
      const y = Float32Array.from({ length: n }, (_, i) => (i >= 8000 && i < 12000 ? (i % 2 ? NaN : Infinity) : i === 16000 ? 0 : 1 + 0.5 * Math.sin(i / 700)));
      const series = [{ label: 'a', color: '#D55E00', x, y, n }];
      chart.set(series);
      const blob = await chart.png(); // draws synchronously first
      // A redraw with new data, as during training (the first draw also builds the uPlot).
      chart.set(series);
      const t0 = performance.now();
      await chart.png();
      const ms = performance.now() - t0;
      const canvas = chart.element.querySelector('canvas')!;
      const ctx = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d')!;
      ctx.drawImage(canvas, 0, 0);
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      // Which pixel columns hold the line's colour.
      const lit = Array.from({ length: canvas.width }, (_, cx) => {
        for (let cy = 0; cy < canvas.height; cy++) {
          const o = (cy * canvas.width + cx) * 4;
          if (px[o + 3]! > 200 && Math.abs(px[o]! - 0xd5) < 40 && Math.abs(px[o + 1]! - 0x5e) < 40 && px[o + 2]! < 60) return true;
        }
        return false;
      });
      const plotWidth = chart.element.querySelector('.u-over')!.getBoundingClientRect().width;
      return { ms, lit, plotWidth, points: chart.pointsDrawn, png: blob.size, label: chart.element.querySelector('[role=img]')!.getAttribute('aria-label') };
    });
    const first = r.lit.indexOf(true), last = r.lit.lastIndexOf(true);
    expect(last - first, 'the line spans the plot').toBeGreaterThan(500);
    // Pixel column of step s: the line runs from step 1 at `first` to step 20,000 at `last`.
    const col = (s: number) => Math.round(first + ((s - 1) / (20_000 - 1)) * (last - first));
    const lit = (a: number, b: number) => r.lit.slice(col(a), col(b) + 1);
    expect(lit(8300, 11700).every((v) => !v), 'no line across the non-finite steps').toBe(true);
    expect(lit(200, 7800).every(Boolean), 'a line over the finite steps before').toBe(true);
    expect(lit(12300, 15800).every(Boolean), 'a line over the finite steps after').toBe(true);
    expect(lit(16200, 19800).every(Boolean), 'a line after the zero').toBe(true);
    // About one point per pixel column (and one null at each of the two breaks), not 20,000.
    expect(r.points).toBeGreaterThan(r.plotWidth * 0.5);
    expect(r.points).toBeLessThanOrEqual(r.plotWidth + 4);
    expect(r.ms, 'one redraw of 20,000 points, ms (generous: the test machine may be busy)').toBeLessThan(500);
    expect(r.png).toBeGreaterThan(2000);
    const latest = r.label?.match(/^Twenty thousand: y against step \(log y axis\)\. a: (\S+) at step 20000\.$/);
    expect(latest, r.label ?? 'no aria-label').not.toBeNull();
    expect(Number(latest![1])).toBeCloseTo(1 + 0.5 * Math.sin(19999 / 700), 2);
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
    // Every chart fits its figure (the plot box clips, so overflow would hide the right edge).
    const fits = await lab.evaluate((host) => [...host.shadowRoot!.querySelectorAll('figure.chart:not([hidden])')].map((f) => {
      const u = f.querySelector('.uplot')?.getBoundingClientRect();
      return u ? u.width > 200 && u.right <= f.getBoundingClientRect().right + 0.5 : false;
    }));
    expect(fits).toEqual([true, true, true, true, true]);
    // The axes follow the theme, and are redrawn when it changes (here with the lab idle).
    const dark = (await chartPixels(lab, LOSS))!;
    expect(dark.counts.gridDark).toBeGreaterThan(100);
    expect(dark.counts.gridLight).toBe(0);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => (await chartPixels(lab, LOSS))!.counts.gridLight).toBeGreaterThan(100);
    expect((await chartPixels(lab, LOSS))!.counts.gridDark).toBe(0);
    await lab.locator('.charts').first().screenshot({ path: `${SHOTS}training-lab-360-curves-light.png` });
    // A page's own theme switch (new --bn-* values on the element, no media change) redraws too.
    await lab.evaluate((e) => (e as HTMLElement).style.setProperty('--bn-grid', '#33373f'));
    await expect.poll(async () => (await chartPixels(lab, LOSS))!.counts.gridDark).toBeGreaterThan(100);
    expect(problems).toEqual([]);
    await context.close();
  }, TIMEOUT);
});

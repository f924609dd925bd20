// The lesson page as a learner uses it, in Debian's headless Chromium under the strict CSP of
// scripts/serve.mjs: reads the lesson's numbers (all computed by the engine), answers the quiz
// right and wrong with the keyboard, moves a control and watches the URL and the result follow,
// opens shared URLs (good ones applied, hostile ones clamped or ignored, nothing executed), and
// runs axe-core on the live page (with the CSP bypassed for that one test: axe inserts inline styles).
// Any console error or warning, page error, dialog, CSP violation or failed request fails a test.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page } from 'playwright-core';
import { closeChecked, renderAll, serverAndBrowser, watchedPage } from './browser.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const TIMEOUT = 120_000;
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

const env = serverAndBrowser();
let opened: { context: BrowserContext; page: Page; problems: string[] } | undefined;

async function openLesson(
  query = '',
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const { context, page, problems } = await watchedPage(env.browser, {
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    bypassCSP: options.bypassCSP ?? false,
    acceptDownloads: true,
  });
  await page.goto(`${env.server.url}web/${query}`);
  await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
  // The elements render near the viewport, once the shared lab has loaded: visit each.
  await renderAll(page);
  opened = { context, page, problems };
  return opened;
}

const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
const texts = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));

beforeAll(() => {
  mkdirSync(SHOTS, { recursive: true });
});

afterEach(async () => {
  const o = opened;
  opened = undefined;
  await closeChecked(o);
});

describe('the batch normalization lesson', () => {
  it('shows the lesson’s numbers, computed by the engine', async () => {
    const { page } = await openLesson();

    // Refresher: [2, 4, 4, 4, 5, 5, 7, 9] → μ 5, σ 2, z, and z has mean 0 and std 1.
    expect(await text(page, '#std [data-stat="mean"]')).toBe('5');
    expect(await text(page, '#std [data-stat="std"]')).toBe('2');
    expect(await page.locator('#std .z-line').getAttribute('data-z')).toBe('−1.5, −0.5, −0.5, −0.5, 0, 0, 1, 2');
    expect(await text(page, '#std [data-stat="z-mean"]')).toBe('0');
    expect(await text(page, '#std [data-stat="z-std"]')).toBe('1');

    // The algorithm: formulas typeset by KaTeX (with MathML for screen readers), numbers filled in.
    expect(await page.locator('#algo .katex').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#algo math').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#algo .summary').getAttribute('data-mean')).toBe('8');
    expect(await page.locator('#algo .summary').getAttribute('data-variance')).toBe('14');

    // Worked example: μ = 6, σ² = 10, x̂ and y (γ = 2, β = 1), with the erratum pointed out.
    expect(await text(page, '#worked [data-stats]')).toBe('μB = 6, σ2B = 10');
    const rows = await texts(page, '#worked tbody tr');
    expect(rows).toEqual(['#12−1.265−1.53', '#24−0.632−0.26', '#380.6322.26', '#4101.2653.53']);
    const erratum = await text(page, '#worked .erratum');
    expect(erratum).toContain('0.74');
    expect(erratum).toContain('2 × (−0.632) + 1 = −0.26');
    // An author's own batch: the table follows it (engine numbers), and the note about the
    // source's misprint goes unless asked for; erratum="hide" hides it for the source's batch too.
    await page.locator('#worked').evaluate((e) => e.setAttribute('values', '1,3'));
    await expect.poll(() => texts(page, '#worked tbody tr')).toEqual(['#11−1−1', '#2313']);
    expect(await text(page, '#worked [data-stats]')).toBe('μB = 2, σ2B = 1');
    expect(await page.locator('#worked .erratum').count()).toBe(0);
    await page.locator('#worked').evaluate((e) => e.setAttribute('erratum', 'show'));
    await expect.poll(() => text(page, '#worked .erratum')).toContain('For x = [2, 4, 8, 10] it gives');
    expect(await text(page, '#worked .erratum')).toContain('2 × (−0.632) + 1 = −0.26');
    await page.locator('#worked').evaluate((e) => { e.removeAttribute('values'); e.setAttribute('erratum', 'hide'); });
    await expect.poll(() => page.locator('#worked .erratum').count()).toBe(0);
    expect(await texts(page, '#worked tbody tr')).toEqual(['#12−1.265−1.53', '#24−0.632−0.26', '#380.6322.26', '#4101.2653.53']);
    await page.locator('#worked').evaluate((e) => { e.setAttribute('values', 'oops'); e.removeAttribute('erratum'); });
    await expect.poll(() => page.locator('#worked .erratum').count()).toBe(1); // bad values: the source's batch

    // γ = σ, β = μ gives the input back.
    expect(await text(page, 'bn-gamma-beta [data-row="y"]')).toBe('[2, 4, 8, 10]');
    expect(await text(page, 'bn-gamma-beta .verdict')).toContain('float round-off');

    // Train vs eval: a batch of one works in eval and fails in training, with the engine's message.
    expect(await text(page, '#te [data-mode="eval"]')).toBe('y = (3 − 0) / √(1 + ε) = 3');
    expect(await text(page, '#te [data-mode="train"]')).toContain('RangeError: Expected more than 1 value per channel when training');
    // Running statistics converge over batches towards mean 3, variance 4.
    for (let i = 0; i < 4; i++) await page.locator('#te').getByRole('button', { name: '10 batches' }).click();
    expect(await text(page, '#te [data-stat="batches"]')).toBe('40');
    const runningMean = Number((await text(page, '#te [data-stat="running-mean"]')).replace('−', '-'));
    const runningVar = Number((await text(page, '#te [data-stat="running-var"]')).replace('−', '-'));
    expect(Math.abs(runningMean - 3)).toBeLessThan(0.6);
    expect(Math.abs(runningVar - 4)).toBeLessThan(1.5);
    expect(await text(page, '#te [data-mode="eval"]')).not.toBe('y = (3 − 0) / √(1 + ε) = 3');

    // 1d vs 2d: choosing channel 1 (keyboard) lights its 4 cells in 1d and 8 cells in 2d.
    await page.locator('bn-1d-vs-2d input[type="radio"]').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('bn-1d-vs-2d .readout').getAttribute('data-channel')).toBe('1');
    expect(await page.locator('bn-1d-vs-2d .grid1 .cell.on').count()).toBe(4);
    expect(await page.locator('bn-1d-vs-2d .grid2 .cell.on').count()).toBe(8);
    expect(await text(page, 'bn-1d-vs-2d .readout')).toContain('mean 11.5');
    expect(await text(page, 'bn-1d-vs-2d .readout')).toContain('mean 13.38');

    // The code: the JavaScript model runs and gives finite numbers.
    await page.getByRole('button', { name: 'Run the JavaScript version' }).click();
    const outputs = await texts(page, 'bn-code td[data-train]');
    expect(outputs).toHaveLength(4);
    for (const o of outputs) for (const v of o.split(', ')) expect(Number.isFinite(Number(v.replace('−', '-')))).toBe(true);
    // Beside them, PyTorch's outputs for the same weights and batch, and how far apart they are.
    expect(await texts(page, 'bn-code thead th')).toEqual(['example', 'model.train(): engine', 'PyTorch', 'model.eval(): engine', 'PyTorch']);
    const torchCells = await texts(page, 'bn-code td.torch');
    expect(torchCells).toHaveLength(8);
    expect(torchCells[0]).toBe(outputs[0]); // at 4 decimals the two agree
    const agreement = await text(page, 'bn-code .agreement');
    expect(agreement).toMatch(/^Largest difference between the engine and PyTorch: (none|[\d.e\u2212]+, float32 round-off)/);
    expect(Number(await page.locator('bn-code .agreement').getAttribute('data-max-diff'))).toBeLessThan(1e-6);
    // The weights the PyTorch code reads download as weights.json, PyTorch's keys.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download its weights (weights.json)' }).click()]);
    expect(dl.suggestedFilename()).toBe('weights.json');
    const saved = JSON.parse((await import('node:fs')).readFileSync((await dl.path())!, 'utf8'));
    expect(Object.keys(saved)).toContain('1.running_var');
    expect(saved['0.weight']).toHaveLength(24);

    // KaTeX's fonts loaded (from the same origin, no CSP violation: afterEach checks).
    await page.evaluate(() => document.fonts.ready);
    const katexFonts = await page.evaluate(() =>
      [...document.fonts].filter((f) => f.family.startsWith('KaTeX') && f.status === 'loaded').map((f) => f.family));
    expect(katexFonts).toContain('KaTeX_Main');
    expect(katexFonts).toContain('KaTeX_Math');

    // The engine line in the footer.
    expect(await text(page, '#engine')).toMatch(/batchnorm-lab \d+\.\d+\.\d+, (WebAssembly SIMD|scalar WebAssembly) build/);
    await page.locator('#algorithm').screenshot({ path: `${SHOTS}lesson-algorithm.png` });
  }, TIMEOUT);

  it('answers the quiz with the keyboard: a wrong answer is explained and retried, the working comes after a right one or on request, and a score counts', async () => {
    const { page } = await openLesson();
    const q = (n: number) => page.locator(`bn-quiz [data-question="${n}"]`);
    const feedback = (n: number) => q(n).locator('.feedback');
    const focusedClass = () => page.evaluate(() => document.querySelector('bn-quiz')!.shadowRoot!.activeElement?.className ?? '');
    // The working's TeX sources (KaTeX keeps each in its MathML annotation).
    const working = (n: number) => q(n).locator('.work annotation').allTextContents();
    const score = () => text(page, 'bn-quiz .score');
    expect(await score()).toBe('Score: 5 questions to go.');

    // Check with nothing chosen: a nudge, nothing judged.
    await q(1).getByRole('button', { name: 'Check' }).focus();
    await page.keyboard.press('Enter');
    expect(await text(page, 'bn-quiz [data-question="1"] .feedback')).toBe('Pick one of the answers first.');

    // Question 1, wrong: the sample-variance mistake (the first choice), chosen with Space. The
    // feedback says why that choice is wrong, and does not show the answer.
    await q(1).locator('input[type="radio"]').first().focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await feedback(1).getAttribute('data-result')).toBe('wrong');
    expect(await focusedClass()).toContain('feedback');
    const wrong1 = await text(page, 'bn-quiz [data-question="1"] .feedback');
    expect(wrong1).toContain('sample standard deviation');
    expect(wrong1).toContain('2.582');
    expect(wrong1).toContain('Pick another answer and check again');
    expect(wrong1).not.toContain('−1.342');
    expect(await q(1).locator('.work').isVisible()).toBe(false);
    expect(await score()).toBe('Score: 0 of 5 answered right, 0 of them at the first try.');

    // Question 1, retried right: arrow down to the next choice, Check again; now the working shows.
    await q(1).locator('input[type="radio"]').first().focus();
    await page.keyboard.press('ArrowDown');
    expect(await q(1).locator('input[type="radio"]').nth(1).isChecked()).toBe(true);
    expect(await text(page, 'bn-quiz [data-question="1"] label:nth-of-type(2)')).toBe('[−1.342, −0.447, 0.447, 1.342]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await feedback(1).getAttribute('data-result')).toBe('right');
    expect(await text(page, 'bn-quiz [data-question="1"] .feedback')).toContain('✓ Correct, at attempt 2.');
    expect(await text(page, 'bn-quiz [data-question="1"] .feedback')).toContain('the variance (dividing by m = 4) is 5');
    const w1 = await working(1);
    expect(w1[0]).toBe('\\mu_B = \\tfrac{1 + 3 + 5 + 7}{4} = 4');
    expect(w1[1]).toContain('\\sigma^2_B = \\tfrac{9 + 1 + 1 + 9}{4} = 5');
    expect(w1[2]).toContain('[-1.342, -0.447, 0.447, 1.342]');
    expect(await score()).toBe('Score: 1 of 5 answered right, 0 of them at the first try.');

    // Question 2: its wording names no statistic; the working is there on request before answering.
    expect(await text(page, 'bn-quiz [data-question="2"] legend')).not.toMatch(/standard deviation|mean/);
    await q(2).getByRole('button', { name: 'Show the working' }).click();
    expect(await q(2).locator('.work').isVisible()).toBe(true);
    expect((await working(2)).join(' ')).toContain('= \\gamma');
    await q(2).locator('input[type="radio"]').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab'); // to Check ("Show the working" has gone once used)
    await page.keyboard.press('Enter');
    expect(await feedback(2).getAttribute('data-result')).toBe('right');
    expect((await working(2)).join(' ')).toContain('= [2, 4, 8, 10]');
    expect(await score()).toBe('Score: 2 of 5 answered right, 1 of them at the first try.');

    // Question 3, wrong: running statistics in training mode; the engine's error explains.
    await q(3).locator('input[type="radio"]').first().focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await feedback(3).getAttribute('data-result')).toBe('wrong');
    expect(await text(page, 'bn-quiz [data-question="3"] .feedback')).toContain('only used in eval mode');
    await q(3).getByRole('button', { name: 'Show the working' }).click();
    expect((await working(3)).join(' ')).toContain('Expected more than 1 value per channel when training');
    await q(3).screenshot({ path: `${SHOTS}lesson-quiz-wrong.png` });

    // Question 4, a batch of two: the choices are the engine's outputs; the right one is ±1 for both
    // features, and the working shows each feature's statistics.
    expect(await q(4).locator('label').allTextContents()).toEqual([
      '[−0.7071, 0.7071] and [−0.7071, 0.7071]',
      '[−4, 4] and [−0.15, 0.15]',
      '[−1, 1] and [−0.9998, 0.9998]',
      'Nothing: like a batch of one, a batch of two is refused',
    ]);
    await q(4).locator('input[type="radio"]').nth(3).check();
    await q(4).getByRole('button', { name: 'Check' }).click();
    expect(await feedback(4).getAttribute('data-result')).toBe('wrong');
    expect(await text(page, 'bn-quiz [data-question="4"] .feedback')).toContain('Two values are allowed');
    await q(4).locator('input[type="radio"]').nth(2).check();
    await q(4).getByRole('button', { name: 'Check' }).click();
    expect(await feedback(4).getAttribute('data-result')).toBe('right');
    expect(await text(page, 'bn-quiz [data-question="4"] .feedback')).toContain('every feature becomes −1 and +1 (less a hair for ε: 0.9998');
    const w4 = await working(4);
    expect(w4[0]).toContain('\\mu_B = 7');
    expect(w4[0]).toContain('\\sigma^2_B = 16');
    expect(w4[1]).toContain('[-0.9998, 0.9998]');

    // Question 5, effective β-smoothness: the engine's probe gives ‖g‖ and ‖Δg‖; the right choice
    // divides by the distance moved, η·‖g‖, and the wrong ones are the usual slips.
    const prompt5 = await text(page, 'bn-quiz [data-question="5"] legend');
    const m5 = /‖g‖ = ([\d.]+)\. After a step of η = ([\d.]+) along it, the gradient had changed by ‖Δg‖ = ([\d.]+)\./.exec(prompt5);
    expect(m5, prompt5).not.toBeNull();
    const [g5, eta5, dg5] = [Number(m5![1]), Number(m5![2]), Number(m5![3])];
    expect(g5).toBeGreaterThan(0);
    const choices5 = (await q(5).locator('label').allTextContents()).map(Number);
    expect(choices5[1]).toBeCloseTo(dg5 / (eta5 * g5), 2);
    expect(choices5[0]).toBeCloseTo(dg5 / eta5, 2);
    expect(new Set(choices5).size).toBe(4);
    await q(5).locator('input[type="radio"]').nth(1).check();
    await q(5).getByRole('button', { name: 'Check' }).click();
    expect(await feedback(5).getAttribute('data-result')).toBe('right');
    expect(await text(page, 'bn-quiz [data-question="5"] .feedback')).toContain(`the weights moved η·‖g‖ = ${eta5} × ${g5}`);
    expect((await working(5))[1]).toContain('\\beta_{\\text{eff}}');
    expect(await score()).toBe('Score: 4 of 5 answered right, 2 of them at the first try.');
  }, TIMEOUT);

  it('follows a control in the URL and applies a shared URL', async () => {
    const { page } = await openLesson();
    const gamma = page.getByLabel('γ (scale)');
    await gamma.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
    expect(await gamma.inputValue()).toBe('1');
    await expect.poll(() => new URL(page.url()).searchParams.get('gamma')).toBe('1');
    expect(await texts(page, '#worked td[data-y]')).toEqual(['−0.26', '0.37', '1.63', '2.26']);

    // Typing new values into the refresher updates its numbers and the URL.
    const input = page.getByLabel('Values, separated by commas');
    await input.fill('10, 20, 30');
    await expect.poll(() => text(page, '#std [data-stat="mean"]')).toBe('20');
    expect(await text(page, '#std [data-stat="std"]')).toBe('8.165');
    await expect.poll(() => new URL(page.url()).searchParams.get('values')).toBe('10,20,30');
    // The keyboard moves a point too.
    await page.locator('#std circle.handle').first().focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).searchParams.get('values')).toBe('10.5,20,30');
    // And the pointer drags it: 60 px to the right moves the first value up, the mean follows.
    const box = (await page.locator('#std circle.handle').first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2, { steps: 3 });
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    const dragged = Number(new URL(page.url()).searchParams.get('values')!.split(',')[0]);
    expect(dragged).toBeGreaterThan(11);
    await expect.poll(async () => Number(await text(page, '#std [data-stat="mean"]'))).toBeGreaterThan(20);
    await opened!.context.close();
    const problems = opened!.problems;
    opened = undefined;
    expect(problems).toEqual([]);

    // A shared URL: applied, with out-of-range numbers clamped.
    const shared = await openLesson('?values=1,2,3&gamma=-1&beta=0.5&momentum=0.5&lab-lr=0.3');
    expect(await text(shared.page, '#std [data-stat="mean"]')).toBe('2');
    expect(await shared.page.getByLabel('Values, separated by commas').inputValue()).toBe('1, 2, 3');
    expect(await shared.page.getByLabel('γ (scale)').inputValue()).toBe('-1');
    expect(await texts(shared.page, '#worked td[data-y]')).toEqual(['1.76', '1.13', '−0.13', '−0.76']);
    expect(await shared.page.getByLabel('momentum').inputValue()).toBe('0.5');
    // The training lab's settings travel as lab-<attribute> parameters.
    expect(await shared.page.locator('bn-training-lab').getAttribute('lr')).toBe('0.3');
    expect(await shared.page.locator('bn-training-lab #lab-lr').inputValue()).toBe('0.3');
    await shared.context.close();
    expect(shared.problems).toEqual([]);
    opened = undefined;

    const clamped = await openLesson('?gamma=99&beta=-1e300');
    expect(await clamped.page.getByLabel('γ (scale)').inputValue()).toBe('3');
    expect(await clamped.page.getByLabel('β (shift)').inputValue()).toBe('-3');
  }, TIMEOUT);

  it('ignores script-injection payloads in the URL', async () => {
    const payload = [
      `values=${encodeURIComponent('<img src=x onerror=alert(1)>')}`,
      `gamma=${encodeURIComponent('<script>alert(2)</script>')}`,
      `beta=${encodeURIComponent('1;alert(3)')}`,
      `momentum=${encodeURIComponent('javascript:alert(4)')}`,
      `lab-dataset=${encodeURIComponent('"><svg onload=alert(5)>')}`,
      `lab-lr=${encodeURIComponent('1e999')}`,
    ].join('&');
    const { page } = await openLesson(`?${payload}`);
    // Defaults everywhere: nothing was taken from the payload.
    expect(await text(page, '#std [data-stat="mean"]')).toBe('5');
    expect(await page.getByLabel('Values, separated by commas').inputValue()).toBe('2, 4, 4, 4, 5, 5, 7, 9');
    expect(await page.getByLabel('γ (scale)').inputValue()).toBe('2');
    expect(await page.getByLabel('β (shift)').inputValue()).toBe('1');
    expect(await texts(page, '#worked td[data-y]')).toEqual(['−1.53', '−0.26', '2.26', '3.53']);
    expect(await page.locator('bn-training-lab').getAttribute('dataset')).toBeNull();
    // No element the payload names exists anywhere, in the document or in any shadow root.
    const injected = await page.evaluate(() => {
      const roots: (Document | ShadowRoot)[] = [document];
      for (const e of document.querySelectorAll('*')) if (e.shadowRoot) roots.push(e.shadowRoot);
      return roots.reduce((n, r) => n + r.querySelectorAll('img, script:not([src]), svg[onload], [onerror]').length, 0);
    });
    expect(injected).toBe(0);
    await page.waitForTimeout(300); // give a would-be alert() its chance (the dialog handler fails the test)
  }, TIMEOUT);

  it('passes axe-core with no serious or critical violation, in light and dark, desktop and phone', async () => {
    for (const [colorScheme, width] of [['light', 1280], ['dark', 1280], ['light', 360]] as const) {
      // axe-core loads under the page's CSP (same origin), but some of its checks insert an inline
      // <style>, which the CSP rightly blocks (and reports). So the audit runs in a context that
      // bypasses the CSP; every other test runs the page under it.
      const { page, context, problems } = await openLesson('', { colorScheme, bypassCSP: true, width, height: 800 });
      await page.addScriptTag({ path: fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)) });
      await page.getByRole('button', { name: 'Run the JavaScript version' }).click();
      const result = (await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
      })) as { id: string; impact: string; targets: string[] }[];
      const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad, `${colorScheme} ${width}px: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
      await context.close();
      opened = undefined;
      expect(problems).toEqual([]);
    }
  }, TIMEOUT);

  it('fits 360 px phones and desktops, in light and dark (screenshots)', async () => {
    for (const [width, height] of [[360, 740], [1280, 800]] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, context, problems } = await openLesson('', { width, height, colorScheme });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${width}px ${colorScheme}: sideways scroll`).toBeLessThanOrEqual(0);
        const tag = `${width}x${height}${colorScheme === 'dark' ? '-dark' : ''}`;
        await page.screenshot({ path: `${SHOTS}lesson-${tag}.png` });
        for (const id of ['refresher', 'example', 'train-eval', 'dims', 'quiz']) {
          await page.locator(`#${id}`).screenshot({ path: `${SHOTS}lesson-${tag}-${id}.png` });
        }
        await context.close();
        opened = undefined;
        expect(problems, `${tag}`).toEqual([]);
      }
    }
    // The theme toggle switches the page (and the elements through --bn-* colours) to dark.
    const { page } = await openLesson('', { width: 360, height: 740 });
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(18, 20, 23)');
    await page.locator('#example').screenshot({ path: `${SHOTS}lesson-360-toggle-dark-example.png` });
  }, 240_000);
});

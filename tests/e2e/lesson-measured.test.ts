// The lesson's measured parts, in Debian's headless Chromium under the strict CSP of
// scripts/serve.mjs: the prose's numbers come from the engine (and follow the learner's edits),
// <bn-batch-noise> shows x̂ scattering less as batches grow, <bn-placement> trains both BN
// placements over several seeds in workers (cancel, re-run, verdict), axe-core finds nothing
// serious on them (with the CSP bypassed for that one test: axe inserts inline styles), and
// screenshots at 360 px and 1280 px go to tests/e2e/screenshots/.
// Any console error or warning, page error, dialog, CSP violation or failed request fails a test.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page } from 'playwright-core';
import { closeChecked, renderAll, serverAndBrowser, watchedPage } from './browser.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const TIMEOUT = 180_000;
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

const env = serverAndBrowser();
let opened: { context: BrowserContext; page: Page; problems: string[] } | undefined;

async function openLesson(
  query = '',
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; bypassCSP?: boolean; wait?: boolean; before?: (page: Page) => Promise<void> } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const { context, page, problems } = await watchedPage(env.browser, {
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    bypassCSP: options.bypassCSP ?? false,
  });
  opened = { context, page, problems };
  await options.before?.(page);
  await page.goto(`${env.server.url}web/${query}`);
  if (options.wait !== false) {
    await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
    // The elements render near the viewport: visit each.
    await renderAll(page);
  }
  return opened;
}

async function closeOpened(): Promise<void> {
  const o = opened;
  opened = undefined;
  await closeChecked(o);
}

const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim().replace(/\s+/g, ' ');
const texts = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
/** "−0.5" (U+2212) → -0.5. */
const num = (s: string) => Number(s.replace('\u2212', '-'));

/** The bound numbers of the prose, by data-bind name. */
async function bound(page: Page): Promise<Record<string, string>> {
  return page.locator('main span.num[data-bind]').evaluateAll((els) =>
    Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.bind!, (e.textContent ?? '').trim()])));
}

/** Runs the placement comparison and waits for its verdict. */
async function runPlacement(page: Page): Promise<void> {
  const pl = page.locator('bn-placement');
  await pl.getByRole('button', { name: /^Run/ }).click();
  // Done, failed or stalled: whichever comes first, so a failure shows its message.
  await expect.poll(() => text(page, 'bn-placement .placement-status'), { timeout: 150_000 }).toMatch(/^Done:|failed|stopped/);
  expect(await text(page, 'bn-placement .placement-status')).toMatch(/^Done:/);
  expect(await pl.locator('.placement-verdict[data-better]').count()).toBe(1);
}

beforeAll(() => {
  mkdirSync(SHOTS, { recursive: true });
});

afterEach(async () => {
  await closeOpened();
});

describe('the lesson’s prose quotes the engine', () => {
  it('says it is computing until the engine is there, then shows the engine’s numbers', async () => {
    // Hold the wasm back: the page must read sensibly without it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { page } = await openLesson('', {
      wait: false,
      before: (p) => p.route('**/bnlab-*.wasm', async (route) => {
        await held;
        await route.continue();
      }),
    });
    await page.locator('main[data-state="loading"]').waitFor();
    const waiting = await text(page, '[data-bind="std-summary"]');
    expect(waiting).toBe('The engine is computing the mean and standard deviation of the values below.');
    expect(await text(page, '[data-bind="worked-summary"]')).toBe('The engine is computing their mean and variance.');
    // γ and β are inputs, shown from the element's attributes without waiting for the engine.
    expect(await text(page, '[data-input="gamma"]')).toBe('2');
    expect(await text(page, '[data-input="beta"]')).toBe('1');
    release();
    await page.locator('main[data-state="ready"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => text(page, '[data-bind="std-summary"]')).not.toBe(waiting);
  }, TIMEOUT);

  it('reads the refresher’s and the worked example’s numbers, and follows the learner’s edits', async () => {
    const { page } = await openLesson();
    const b = await bound(page);
    expect(b).toMatchObject({
      'std-count': 'eight', 'std-mean': '5', 'std-std': '2', 'std-high': '9', 'std-high-z': '2', 'std-low': '4', 'std-low-z': '−0.5',
      'worked-mean': '6', 'worked-squares': '16 + 4 + 4 + 16', 'worked-m': '4', 'worked-var': '10', 'worked-std': '3.162',
    });
    expect(await text(page, '[data-bind="std-summary"]')).toBe(
      'The eight values below have mean 5 and standard deviation 2, so 9 sits two standard deviations above the mean (z = 2) and 4 half a deviation below (z = −0.5).');
    expect(await text(page, '[data-bind="worked-summary"]')).toBe(
      'The mean is 6 and the variance is (16 + 4 + 4 + 16) / 4 = 10, so each value is divided by √10 ≈ 3.162.');
    // The prose and the elements agree: same mean and std, same batch, same μ and σ².
    expect(await text(page, '#std [data-stat="mean"]')).toBe(b['std-mean']);
    expect(await text(page, '#std [data-stat="std"]')).toBe(b['std-std']);
    expect(await text(page, '#worked [data-stats]')).toBe(`μB = ${b['worked-mean']}, σ2B = ${b['worked-var']}`);
    const xColumn = await page.locator('#worked tbody tr').evaluateAll((rows) => rows.map((r) => r.children[1]!.textContent!.trim()));
    expect(xColumn.join(', ')).toBe(await text(page, '[data-input="worked-x"]'));

    // The learner types other values: the sentence follows.
    const input = page.getByLabel('Values, separated by commas');
    await input.fill('10, 20, 30');
    await expect.poll(() => text(page, '[data-bind="std-mean"]')).toBe('20');
    expect(await text(page, '[data-bind="std-summary"]')).toBe(
      'The three values below have mean 20 and standard deviation 8.165, so 30 sits 1.22 standard deviations above the mean (z = 1.22) and 10 sits 1.22 deviations below (z = −1.22).');
    expect(await text(page, '#std [data-stat="std"]')).toBe('8.165');
    // A point moved with the keyboard: 10 → 10.5 moves the mean to 20.167, and now 20 is the
    // value just below the mean.
    await page.locator('#std circle.handle').first().focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => text(page, '[data-bind="std-mean"]')).toBe('20.167');
    expect(await text(page, '[data-bind="std-low"]')).toBe('20');
    expect(await text(page, '[data-bind="std-low-z"]')).toBe('−0.02');
    // No spread at all: the sentence says so instead of quoting z-scores.
    await input.fill('5, 5, 5');
    await expect.poll(() => text(page, '[data-bind="std-summary"]')).toBe(
      'The three values below have mean 5 and standard deviation 0: every value equals the mean, so every z-score is 0.');
    // Bad input changes nothing: the prose keeps describing the last good values, like the element.
    await input.fill('1, two');
    await page.waitForTimeout(200);
    expect(await text(page, '[data-bind="std-mean"]')).toBe('5');

    // γ and β in the prose follow the sliders.
    const gamma = page.getByLabel('γ (scale)');
    await gamma.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    expect(await gamma.inputValue()).toBe('1.5');
    await expect.poll(() => text(page, '[data-input="gamma"]')).toBe('1.5');
    await closeOpened();

    // A shared URL's values reach the prose too.
    const shared = await openLesson('?values=1,2,3,4,10&beta=-0.5');
    expect(await text(shared.page, '[data-bind="std-summary"]')).toBe(
      'The five values below have mean 4 and standard deviation 3.162, so 10 sits 1.9 standard deviations above the mean (z = 1.9) and 3 sits 0.32 deviations below (z = −0.32).');
    expect(await text(shared.page, '[data-input="beta"]')).toBe('−0.5');
  }, TIMEOUT);
});

describe('<bn-batch-noise>', () => {
  it('scatters one example’s x̂ less as the batch grows, reproducibly', async () => {
    const { page } = await openLesson();
    const noise = page.locator('#noise');
    const sizes = await noise.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.size)));
    expect(sizes).toEqual([4, 16, 64, 256]);
    const readSds = async () => (await texts(page, '#noise td[data-sd]')).map(num);
    const sds = await readSds();
    expect(sds).toHaveLength(4);
    for (const s of sds) expect(s).toBeGreaterThan(0);
    // Strictly smaller spread for every larger batch, and by a lot overall (1/√m predicts 8×).
    for (let i = 1; i < sds.length; i++) expect(sds[i]!, `SD at m = ${sizes[i]} vs m = ${sizes[i - 1]}`).toBeLessThan(sds[i - 1]!);
    expect(sds[0]! / sds[3]!).toBeGreaterThan(4);
    // Every batch is a dot: 200 per size.
    expect(await noise.locator('circle.noise-dot').count()).toBe(800);
    // The strip's labels carry the same standard deviations as the table.
    const labels = (await texts(page, '#noise .sd-label')).map((l) => num(l.replace(/^SD /, '')));
    expect(labels).toHaveLength(4);
    labels.forEach((l, i) => expect(Math.abs(l - sds[i]!)).toBeLessThanOrEqual(0.0051)); // 2 vs 3 decimals of one number
    // The summary quotes the smallest and largest batch, with numbers from the table.
    const summary = await text(page, '#noise .noise-summary');
    expect(summary).toContain(`in batches of 4 (standard deviation ${await text(page, '#noise td[data-sd="4"]')})`);
    expect(summary).toContain(`in batches of 256 (standard deviation ${await text(page, '#noise td[data-sd="256"]')})`);
    // Screen readers get the picture's numbers in its title, and the table.
    const title = await noise.locator('svg.noise-strips title').textContent();
    expect(title).toContain(`batches of 4: standard deviation ${await text(page, '#noise td[data-sd="4"]')}`);
    expect(await noise.locator('table caption').count()).toBe(1);

    // New batches (keyboard): other numbers, the same ordering, the seed in the URL.
    await noise.getByRole('button', { name: 'Draw new batches' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('noise-seed')).toBe('2');
    const again = await readSds();
    expect(again).not.toEqual(sds);
    for (let i = 1; i < again.length; i++) expect(again[i]!).toBeLessThan(again[i - 1]!);
    // Seed 1 again: the very same batches.
    await noise.evaluate((e) => e.setAttribute('seed', '1'));
    await expect.poll(readSds).toEqual(sds);

    // Another example (keyboard on the slider): the description and the numbers change.
    const intro = await text(page, '#noise .noise-text');
    await noise.getByLabel('Example').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).searchParams.get('noise-example')).toBe('1');
    expect(await text(page, '#noise .noise-text')).not.toBe(intro);
    expect(await text(page, '#noise .noise-text')).toContain('Training image #1 of the 1,437 handwritten digits');
  }, TIMEOUT);

  it('takes its inputs from attributes when used alone, and leaves no engine object behind', async () => {
    const { page } = await openLesson();
    // A string, so the test runner does not rewrite the page's import().
    const live = () => page.evaluate(`import('/dist/elements/index.js').then((m) => m.pageLab()).then((lab) => lab.memory.liveObjects)`) as Promise<number>;
    const start = await live();
    // A second element, on a toy set, with its own sizes: the same engine, its own numbers.
    await page.evaluate(() => {
      const e = document.createElement('bn-batch-noise');
      e.id = 'solo';
      e.setAttribute('dataset', 'gauss');
      e.setAttribute('sizes', '8,128');
      e.setAttribute('draws', '100');
      e.setAttribute('example', '3');
      document.getElementById('benefits')!.append(e);
      e.scrollIntoView(); // it renders near the viewport
    });
    await page.locator('#solo td[data-sd]').first().waitFor();
    const sds = (await texts(page, '#solo td[data-sd]')).map(num);
    expect(sds).toHaveLength(2);
    expect(sds[1]!).toBeLessThan(sds[0]!);
    expect(await page.locator('#solo circle.noise-dot').count()).toBe(200);
    expect(await text(page, '#solo .noise-text')).toContain('Point #3 of 1,000 in the gauss set');
    // Redrawn with new batches a few times: every BatchNorm1d and dataset it made is disposed.
    for (let i = 0; i < 3; i++) await page.locator('#solo').getByRole('button', { name: 'Draw new batches' }).click();
    await expect.poll(async () => (await page.locator('#solo').getAttribute('seed'))).toBe('4');
    expect(await live()).toBe(start);
  }, TIMEOUT);
});

describe('<bn-placement>', () => {
  it('cancels, re-runs, and reads both placements’ results and a verdict that matches them', async () => {
    const { page } = await openLesson();
    const pl = page.locator('#pl');
    // The section's prose points at the measurement, no longer at the lab's control.
    const prose = await text(page, '#placement');
    expect(prose).not.toContain('lets you measure the difference');
    expect(prose).toContain('the comparison below measures it');
    expect(await text(page, '#pl .placement-status')).toBe('Not run yet: press the button to train both placements.');

    // A long run, cancelled at once: the button comes back, late results are ignored.
    await pl.evaluate((e) => {
      e.setAttribute('steps', '5000');
      e.setAttribute('seeds', '10');
    });
    await pl.getByRole('button', { name: 'Run the comparison' }).click();
    await expect.poll(() => pl.locator('progress').isVisible()).toBe(true);
    expect(await pl.locator('button', { hasText: 'Cancel' }).count()).toBe(1);
    await pl.getByRole('button', { name: 'Cancel' }).click();
    expect(await text(page, '#pl .placement-status')).toMatch(/^Cancelled/);
    await page.waitForTimeout(1500);
    expect(await text(page, '#pl .placement-status')).toMatch(/^Cancelled/);
    expect(await pl.locator('progress').isVisible()).toBe(false);
    expect(await pl.locator('.placement-verdict[data-better]').count()).toBe(0);

    // The lesson's setting, run to the end.
    await pl.evaluate((e) => {
      e.setAttribute('steps', '800');
      e.setAttribute('seeds', '5');
    });
    const result = page.evaluate(() => new Promise<Record<string, unknown>>((resolve) =>
      document.getElementById('pl')!.addEventListener('bn-result', (e) => resolve((e as CustomEvent).detail), { once: true })));
    await runPlacement(page);
    const detail = await result;
    expect(detail.seeds).toBe(5);
    expect(detail.steps).toBe(800);
    expect(detail.dataset).toBe('digits');

    const rows = await pl.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      placement: (tr as HTMLElement).dataset.placement,
      name: tr.querySelector('th')!.textContent,
      accuracy: Number((tr.querySelector('[data-accuracy]') as HTMLElement).dataset.accuracy),
      loss: Number((tr.querySelector('[data-loss]') as HTMLElement).dataset.loss),
      text: [...tr.querySelectorAll('td')].map((td) => td.textContent),
    })));
    expect(rows.map((r) => [r.placement, r.name])).toEqual([['before', 'Linear → BN → ReLU'], ['after', 'Linear → ReLU → BN']]);
    for (const r of rows) {
      expect(r.accuracy).toBeGreaterThan(0.8); // the digits, 800 steps: well above chance (0.1)
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.loss).toBeGreaterThan(0);
      expect(r.loss).toBeLessThan(1);
      expect(r.text[0]).toMatch(/^\d+(\.\d+)?% ±\u00a0\d+(\.\d+)?$/);
    }
    // Five seeds: one dot per seed per placement per chart, and each seed's accuracy listed.
    expect(await pl.locator('circle.seed-dot.before').count()).toBe(10);
    expect(await pl.locator('circle.seed-dot.after').count()).toBe(10);
    expect((await text(page, '#pl .per-seed li[data-placement="before"]')).match(/\d+(\.\d+)?%/g)).toHaveLength(5);

    // The verdict agrees with the table: the better one has the higher printed accuracy, and
    // "within the spread" exactly when the printed gap is no larger than the larger SD.
    const verdict = pl.locator('.placement-verdict');
    const better = await verdict.getAttribute('data-better');
    const within = (await verdict.getAttribute('data-within')) === 'true';
    const v = await text(page, '#pl .placement-verdict');
    expect(['before', 'after', 'tie']).toContain(better);
    const [before, after] = rows as [typeof rows[0], typeof rows[0]];
    const pct = (x: number) => Number((x * 100).toFixed(2));
    if (pct(before.accuracy) !== pct(after.accuracy)) {
      expect(better).toBe(pct(before.accuracy) > pct(after.accuracy) ? 'before' : 'after');
      const winner = better === 'before' ? before : after;
      const loser = better === 'before' ? after : before;
      expect(v).toContain(`${winner.name} came out ahead: ${pct(winner.accuracy)}% mean test accuracy against ${pct(loser.accuracy)}% for ${loser.name}`);
      const gap = Number((pct(winner.accuracy) - pct(loser.accuracy)).toFixed(2));
      expect(v).toContain(`a gap of ${gap} points`);
      // The spread compared is the larger unrounded SD, which the bn-result event carries.
      const sd = (p: unknown) => (p as { accuracySd: number }).accuracySd * 100;
      expect(within).toBe(gap <= Math.max(sd(detail.before), sd(detail.after)));
      expect(v).toContain(within ? 'within the seed-to-seed spread' : 'larger than the seed-to-seed spread');
      expect(v).toMatch(/better on \d of 5 seeds/);
    } else {
      expect(v).toContain('same mean test accuracy');
    }
    expect(detail.verdict).toBe(v);

    // Re-run: the same seeds give the same numbers (the runs are deterministic).
    const first = await texts(page, '#pl tbody td');
    await runPlacement(page);
    expect(await texts(page, '#pl tbody td')).toEqual(first);

    // Another dataset from the menu: the old results are dropped, and the URL remembers it.
    await pl.getByLabel('Dataset').selectOption('spiral');
    await expect.poll(() => new URL(page.url()).searchParams.get('placement-data')).toBe('spiral');
    expect(await pl.locator('tbody tr').count()).toBe(0);
    expect(await text(page, '#pl .placement-setup')).toContain('the spiral set');
  }, TIMEOUT);
});

describe('<bn-cnn>', () => {
  it('trains a CNN with and without BatchNorm2d live, and says which got where first, with its curves’ numbers', async () => {
    const { page } = await openLesson('', { width: 1280, height: 900 });
    const cnn = page.locator('bn-cnn');
    await cnn.scrollIntoViewIfNeeded();
    // Before a run: the per-channel counts at the real sizes (digits: 64 × 8×8 and 64 × 4×4).
    expect(await text(page, 'bn-cnn .cnn-shares')).toContain('64 images × 8×8 positions = 4,096 values, in the second from 64 × 4×4 = 1,024');
    await cnn.getByRole('button', { name: 'Train both CNNs' }).click();
    // Curves appear while it trains.
    await expect.poll(() => cnn.locator('svg.cnn-chart polyline').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => text(page, 'bn-cnn .cnn-status'), { timeout: 120_000 }).toMatch(/^Done:|failed/);
    expect(await text(page, 'bn-cnn .cnn-status')).toMatch(/^Done: 2 networks × 600 steps/);
    expect(await cnn.locator('svg.cnn-chart polyline').count()).toBe(2);
    // The verdict's final accuracies are the curves' last points (the chart's summary says them too).
    const summary = (await cnn.locator('svg.cnn-chart').getAttribute('aria-label'))!;
    const last = [...summary.matchAll(/(\d+(?:\.\d+)?)% at step 600/g)].map((m) => m[1]);
    expect(last).toHaveLength(2);
    const verdict = await text(page, 'bn-cnn .cnn-verdict');
    expect(verdict).toContain(`After 600 steps: ${last[1]}% with BatchNorm2d, ${last[0]}% without.`);
    expect(verdict).toMatch(/^(With BatchNorm2d the network reached 95%|Without normalization the network reached 95%|Neither network reached 95%|Both networks reached 95%)/);
    await page.locator('#dims').screenshot({ path: `${SHOTS}measured-1280-cnn.png` });
    // Fashion-MNIST: the counts follow the 28×28 maps, and the old result is cleared.
    await cnn.locator('select').selectOption('fashion-mnist');
    expect(await text(page, 'bn-cnn .cnn-status')).toBe('The settings changed: train again to measure them.');
    expect(await text(page, 'bn-cnn .cnn-shares')).toContain('64 images × 28×28 positions = 50,176 values');
    expect(await cnn.locator('svg.cnn-chart').count()).toBe(0);
  }, TIMEOUT);
});

describe('<bn-small-batches>', () => {
  /** Runs the comparison and returns its table: per batch size, the five errors (percent). */
  async function runSmallBatches(page: Page): Promise<{ batches: number[]; rows: number[][] }> {
    const sb = page.locator('bn-small-batches');
    await sb.getByRole('button', { name: /^Train/ }).click();
    await expect.poll(() => text(page, 'bn-small-batches .small-batches-status'), { timeout: 150_000 }).toMatch(/^Done:|failed/);
    expect(await text(page, 'bn-small-batches .small-batches-status')).toMatch(/^Done: 28 runs in [\d.]+ s\.$/);
    const batches = (await texts(page, 'bn-small-batches tbody th')).map(Number);
    const cells = await texts(page, 'bn-small-batches tbody td');
    const rows = batches.map((_, i) => cells.slice(5 * i, 5 * i + 5).map((c) => Number(c.replace('%', ''))));
    return { batches, rows };
  }

  it('trains every normalization at every batch size; BatchNorm1d breaks at small batches, the others do not', async () => {
    const { page } = await openLesson('', { width: 1280, height: 900 });
    await page.locator('#small-batches').scrollIntoViewIfNeeded();
    const { batches, rows } = await runSmallBatches(page);
    expect(batches).toEqual([2, 4, 8, 16, 32, 64, 128]);
    for (const r of rows) for (const e of r) expect(e).toBeGreaterThanOrEqual(0);
    // Columns: BatchNorm, GroupNorm, LayerNorm, none (eval mode), BatchNorm with training-mode statistics.
    const [bn2, gn2, ln2] = rows[0]!;
    const [bn128, gn128] = rows[6]!;
    // With batches of two, every BatchNorm1d output is ±1: far worse than with GroupNorm or LayerNorm,
    // and far worse than BatchNorm itself at batch 128 (the same numbers as scripts/experiments/small-batches.mjs, seed 1).
    expect(bn2! - gn2!).toBeGreaterThan(10);
    expect(bn2! - ln2!).toBeGreaterThan(10);
    expect(bn2! - bn128!).toBeGreaterThan(10);
    expect(Math.abs(gn2! - gn128!)).toBeLessThan(3);
    // The words say so, with the table's numbers.
    const verdict = await text(page, 'bn-small-batches .small-batches-verdict');
    expect(verdict).toContain(`BatchNorm1d (eval mode) ${rows[6]![0]!.toFixed(1)}% → ${rows[0]![0]!.toFixed(1)}%`);
    expect(verdict).toMatch(/BatchNorm’s error rose [\d.]+ points more than GroupNorm’s as the batches shrank/);
    expect(verdict).toContain(`At batch 2, BatchNorm scored ${rows[0]![4]!.toFixed(1)}% error with the statistics of each test batch of 2`);
    // The chart draws the five lines.
    expect(await page.locator('bn-small-batches svg.small-batches-chart polyline').count()).toBe(5);
    await page.locator('#small-batches').screenshot({ path: `${SHOTS}measured-1280-small-batches.png` });
    // The CNN: the settings change clears the result; a new run measures BatchNorm2d.
    await page.locator('bn-small-batches select').selectOption('cnn');
    expect(await text(page, 'bn-small-batches .small-batches-status')).toBe('The settings changed: train again to measure them.');
    expect(await page.locator('bn-small-batches tbody tr').count()).toBe(0);
    const cnn = await runSmallBatches(page);
    expect(cnn.rows).toHaveLength(7);
    expect(await text(page, 'bn-small-batches .small-batches-verdict')).toMatch(/^From batch 128 down to batch 2, test error went: BatchNorm2d \(eval mode\) /);
    expect((await texts(page, 'bn-small-batches thead th'))[1]).toBe('BatchNorm2d (eval mode)');
    await page.locator('#small-batches').screenshot({ path: `${SHOTS}measured-1280-small-batches-cnn.png` });
  }, TIMEOUT);

  it('cancels between batch sizes and keeps the finished ones; lays out at 375 px dark', async () => {
    const { page } = await openLesson('', { width: 375, height: 800, colorScheme: 'dark' });
    const sb = page.locator('bn-small-batches');
    await sb.scrollIntoViewIfNeeded();
    await sb.getByRole('button', { name: /^Train/ }).click();
    await expect.poll(async () => (await texts(page, 'bn-small-batches tbody td')).some((c) => /%$/.test(c)), { timeout: 60_000 }).toBe(true);
    await sb.getByRole('button', { name: 'Cancel' }).click();
    expect(await text(page, 'bn-small-batches .small-batches-status')).toMatch(/^Cancelled after [1-6] of 7 batch sizes; the results below are for those\.$/);
    expect(await text(page, 'bn-small-batches .small-batches-verdict')).toBe('');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'sideways scroll').toBeLessThanOrEqual(0);
    await runSmallBatches(page);
    await page.locator('#small-batches').screenshot({ path: `${SHOTS}measured-375-dark-small-batches.png` });
  }, TIMEOUT);
});

describe('<bn-landscape>', () => {
  it('trains three networks live, measures their landscapes, and words the medians the charts show', async () => {
    const { page } = await openLesson('', { width: 1280, height: 900 });
    const ls = page.locator('bn-landscape');
    await ls.scrollIntoViewIfNeeded();
    expect(await text(page, 'bn-landscape .landscape-setup')).toContain('η = 0.025, 0.05, 0.1, 0.2, 0.4');
    await ls.getByRole('button', { name: 'Train the three networks' }).click();
    // The charts fill in while it trains: accuracy plus the three landscape measures, three runs each.
    await expect.poll(() => ls.locator('svg.line-chart polyline').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => text(page, 'bn-landscape .landscape-status'), { timeout: 150_000 }).toMatch(/^Done:|failed/);
    expect(await text(page, 'bn-landscape .landscape-status')).toMatch(/^Done: 3 networks × 1500 steps with 61 landscape measurements each/);
    expect(await ls.locator('svg.line-chart').count()).toBe(4);
    expect(await ls.locator('svg.line-chart polyline').count()).toBeGreaterThanOrEqual(12);
    // The words quote the charts' own medians (their text alternatives say them) and the final accuracies.
    const labels = await ls.locator('svg.line-chart').evaluateAll((svgs) => svgs.map((s) => s.getAttribute('aria-label') ?? ''));
    const medians = labels.slice(1).map((l) => {
      const m = /without BatchNorm (\S+); with BatchNorm (\S+); noisy BatchNorm (\S+)\.$/.exec(l);
      return m ? [m[1]!, m[2]!, m[3]!] : null;
    });
    for (const m of medians) expect(m).not.toBeNull();
    const verdict = await text(page, 'bn-landscape .landscape-verdict');
    expect(verdict).toContain(`the loss varied along the gradient by ${medians[0]![1]} with BatchNorm against ${medians[0]![0]} without`);
    expect(verdict).toContain(`the gradient changed along the step by ${medians[1]![1]} with BatchNorm against ${medians[1]![0]} without`);
    expect(verdict).toContain(`the effective β-smoothness was ${medians[2]![1]} with BatchNorm against ${medians[2]![0]} without`);
    const accs = [...labels[0]!.matchAll(/(\d+(?:\.\d+)?)% at step 1500/g)].map((m) => m[1]);
    expect(accs).toHaveLength(3);
    expect(verdict).toMatch(new RegExp(`${accs[2]!.replace('.', '\\.')}% test accuracy against ${accs[1]!.replace('.', '\\.')}%|${accs[2]!.replace('.', '\\.')}% against ${accs[1]!.replace('.', '\\.')}%|reached ${accs[2]!.replace('.', '\\.')}% test accuracy`));
    expect(verdict).toContain(`without BatchNorm ${accs[0]}%`);
    // At the default setting BatchNorm is smoother on every measure (scripts/experiments/landscape.mjs).
    expect(verdict).toMatch(/^BatchNorm made this network’s landscape smoother on all three measures/);
    expect(verdict).toMatch(/changed by \S+ per step on average with noisy BatchNorm/);
    await page.locator('#second-look').screenshot({ path: `${SHOTS}measured-1280-landscape.png` });
    // A new setting clears the result.
    await ls.locator('select').first().selectOption('0.2');
    expect(await text(page, 'bn-landscape .landscape-status')).toBe('The settings changed: train again to measure them.');
    expect(await ls.locator('svg.line-chart').count()).toBe(0);
    expect(await text(page, 'bn-landscape .landscape-setup')).toContain('learning rate 0.2');
    // A setting an author wrote that is not on the menus shows as itself, not as a blank.
    const shown = () => ls.locator('select').evaluateAll((ss) => ss.map((s) => {
      const sel = s as HTMLSelectElement;
      return `${sel.value}=${sel.selectedOptions[0]?.textContent ?? ''}`;
    }));
    await ls.evaluate((e) => {
      e.setAttribute('lr', '0.3');
      e.setAttribute('noise-shift', '0.25');
    });
    await expect.poll(shown).toEqual(['0.3=0.3', '0.25/1.5=shift ±0.25, scale 1–1.5']);
    expect(await text(page, 'bn-landscape .landscape-setup')).toContain('learning rate 0.3');
    // Back on the menu: the extra option goes.
    await ls.evaluate((e) => {
      e.setAttribute('lr', '0.1');
      e.setAttribute('noise-shift', '0.5');
    });
    await expect.poll(shown).toEqual(['0.1=0.1', '0.5/1.5=shift ±0.5, scale 1–1.5']);
    expect(await ls.locator('option[data-extra]').count()).toBe(0);
  }, TIMEOUT);

  it('cancels and keeps what was measured; lays out at 375 px dark', async () => {
    const { page } = await openLesson('', { width: 375, height: 800, colorScheme: 'dark' });
    const ls = page.locator('bn-landscape');
    await ls.scrollIntoViewIfNeeded();
    await ls.getByRole('button', { name: 'Train the three networks' }).click();
    await expect.poll(() => ls.locator('svg.line-chart polyline').count(), { timeout: 60_000 }).toBeGreaterThan(3);
    await ls.getByRole('button', { name: 'Cancel' }).click();
    expect(await text(page, 'bn-landscape .landscape-status')).toBe('Cancelled: the charts show the steps measured so far.');
    expect(await text(page, 'bn-landscape .landscape-verdict')).toBe('');
    expect(await ls.locator('svg.line-chart').count()).toBe(4);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'sideways scroll').toBeLessThanOrEqual(0);
    const wide = await ls.evaluate((host) => {
      const box = host.getBoundingClientRect();
      return [...host.shadowRoot!.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > box.right + 1).map((e) => e.tagName + '.' + e.getAttribute('class'));
    });
    expect(wide).toEqual([]);
    await page.locator('#second-look').screenshot({ path: `${SHOTS}measured-375-dark-landscape.png` });
  }, TIMEOUT);
});

describe('accessibility and looks', () => {
  it('passes axe-core on the new parts with no serious or critical violation, light and dark, desktop and phone', async () => {
    for (const [colorScheme, width] of [['light', 1280], ['dark', 1280], ['light', 360]] as const) {
      const { page } = await openLesson('', { colorScheme, bypassCSP: true, width, height: 800 });
      await runPlacement(page);
      await page.addScriptTag({ path: fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)) });
      const result = (await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: object, opts: object): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[]; passes: unknown[] }> } }).axe;
        const r = await axe.run({ include: [['#refresher'], ['#example'], ['#noise'], ['#noise-title'], ['#pl'], ['#small-batches'], ['#second-look']] }, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
      })) as { id: string; impact: string; targets: string[] }[];
      const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad, `${colorScheme} ${width}px: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
      await closeOpened();
    }
  }, 360_000);

  it('fits 360 px phones and 1280 px desktops, light and dark (screenshots)', async () => {
    for (const [width, colorScheme] of [[360, 'light'], [360, 'dark'], [1280, 'light'], [1280, 'dark']] as const) {
      const { page } = await openLesson('', { width, height: 800, colorScheme });
      await runPlacement(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${width}px ${colorScheme}: sideways scroll`).toBeLessThanOrEqual(0);
      // Nothing inside the new elements is wider than the element itself.
      for (const tag of ['bn-batch-noise', 'bn-placement']) {
        const wide = await page.locator(tag).evaluate((host) => {
          const box = host.getBoundingClientRect();
          return [...host.shadowRoot!.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > box.right + 1).map((e) => e.tagName + '.' + e.getAttribute('class'));
        });
        expect(wide, `${tag} at ${width}px`).toEqual([]);
      }
      const tag = `${width}${colorScheme === 'dark' ? '-dark' : ''}`;
      await page.locator('#refresher').screenshot({ path: `${SHOTS}measured-${tag}-refresher.png` });
      await page.locator('#example').screenshot({ path: `${SHOTS}measured-${tag}-example.png` });
      await page.locator('#noise').screenshot({ path: `${SHOTS}measured-${tag}-batch-noise.png` });
      await page.locator('#placement').screenshot({ path: `${SHOTS}measured-${tag}-placement.png` });
      await closeOpened();
    }
  }, 360_000);
});

// The page benchmark, run by bench/run.mjs in its own node process: the lesson page and the
// training lab in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core),
// served by scripts/serve.mjs with its strict CSP, exactly as a reader gets them.
//
//   1. Loading web/index.html: from navigation start (performance.now() = 0) to DOMContentLoaded,
//      load, first contentful paint, the .wasm fetched (Resource Timing), the wasm instantiated
//      (WebAssembly.instantiate resolved) and the first number the engine computed: μ of
//      <bn-standardize id="std"> (its shadow root's dd[data-stat=mean]) in the DOM at the end of
//      the element's first render(), and painted (after the next frame's rendering update).
//      Cold: a new browser context (empty cache, no connections); warm: a reload of that page.
//      Interleaved: every cold load is followed by its warm reload. Also the bytes transferred.
//   2. Training in web/training-lab.html (<bn-training-lab>, both runs in its module worker):
//      steps per second the worker delivers to the page (its progress messages, counted per run)
//      and the main thread's frames (requestAnimationFrame timestamps) over the same window, with
//      the lab idle first, then the default setting and the paper's (its one-click button).
// Everything is observed from outside: init scripts wrap WebAssembly.instantiate,
// customElements.define (to time each element's first render()) and Worker (to listen to the
// lab's replies), and read Navigation/Resource/Paint/Long Animation Frame Timing. No product
// code is changed.
// Prints one JSON object on stdout (--print: the report's section 5 instead).
// Usage: node bench/page.mjs [--quick | --smoke] [--print]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_LAUNCH, CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { median, quantile } from './common.mjs';

const smoke = process.argv.includes('--smoke'); // tests/js/bench-smoke.test.ts: every path once, no figure worth reading
const quick = smoke || process.argv.includes('--quick');
const print = process.argv.includes('--print');
const log = (m) => process.stderr.write(`  page: ${m}\n`);
const CHROMIUM = CHROMIUM_PATH;
const VIEWPORT = { width: 1280, height: 800 };
const LOADS = smoke ? 1 : quick ? 3 : 7; // cold loads, each followed by a warm reload
const WARMUP_MS = smoke ? 300 : 1000; // training before a window starts (the lab sizes its chunks meanwhile)
const WINDOW_MS = smoke ? 1000 : quick ? 3000 : 4000; // one measured window of training
const WINDOWS = quick ? 1 : 3; // windows per setting (the lab is reset between them)
const IDLE_MS = smoke ? 500 : quick ? 1000 : 2000;
const SLICE_MS = 1000; // steps/s is taken per slice of the window: median and spread over slices
const LATE_MS = 1.5 * (1000 / 60); // a frame interval above this missed at least one 60 Hz vsync

// The project's one Chromium launch (scripts/chromium.mjs, as the browser tests).
function launchChromium() {
  return chromium.launch(CHROMIUM_LAUNCH);
}

// ---- in-page instrumentation (init scripts: run before any of the page's scripts) ----------------

/** Lesson page: when the wasm is instantiated, when each <bn-*> element first renders, and when the first computed number appears. */
function loadProbe() {
  const b = (window.__bnBench = { wasm: [], rendered: {}, firstNumber: null, firstNumberFrame: null, firstText: null, ready: null, loaf: [] });
  // The elements a reader sees first, by tag (the lab has no render() to time): those within a
  // viewport's height of the first screen, which base/near-viewport.ts renders at load (the
  // others render when scrolled near).
  b.firstScreenTags = () => [...new Set(Array.from(document.querySelectorAll('*'))
    .filter((e) => e.localName.startsWith('bn-') && e.localName !== 'bn-training-lab' && e.getBoundingClientRect().top < 2 * innerHeight)
    .map((e) => e.localName))];
  const now = () => performance.now();
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    if (typeof orig !== 'function') continue;
    WebAssembly[name] = function (...args) {
      const start = now();
      const bytes = args[0] && typeof args[0].byteLength === 'number' ? args[0].byteLength : null;
      const p = orig.apply(this, args);
      p.then(() => b.wasm.push({ how: name, start, end: now(), bytes }), () => {});
      return p;
    };
  }
  // Every <bn-*> element but the training lab renders once the engine is loaded, all in one
  // batch (their pageLab().then callbacks): wrap each element class's render() as it is defined
  // to know, synchronously, when each first render ends (a MutationObserver would only run after
  // the whole batch). The training lab has no render(): it builds its controls without the engine.
  const define = CustomElementRegistry.prototype.define;
  CustomElementRegistry.prototype.define = function (name, ctor, options) {
    const render = ctor?.prototype?.render;
    if (name.startsWith('bn-') && typeof render === 'function') {
      ctor.prototype.render = function (...args) {
        const r = render.apply(this, args);
        if (!(name in b.rendered)) {
          b.rendered[name] = now();
          const dd = name === 'bn-standardize' ? this.shadowRoot?.querySelector('dd[data-stat="mean"]') : null;
          if (dd && b.firstNumber === null && /\d/.test(dd.textContent ?? '')) {
            b.firstNumber = b.rendered[name];
            b.firstText = dd.textContent;
            // Painted: the next frame runs its rAF callbacks, then style, layout and paint; a
            // message posted from its rAF callback is handled after that rendering update.
            requestAnimationFrame(() => {
              const ch = new MessageChannel();
              ch.port1.onmessage = () => (b.firstNumberFrame = now());
              ch.port2.postMessage(0);
            });
          }
        }
        return r;
      };
    }
    return define.call(this, name, ctor, options);
  };
  document.addEventListener('DOMContentLoaded', () => {
    const main = document.getElementById('main');
    if (!main) return;
    const mo = new MutationObserver(() => {
      if (main.dataset.state === 'ready' && b.ready === null) {
        b.ready = now();
        mo.disconnect();
      }
    });
    mo.observe(main, { attributes: true, attributeFilter: ['data-state'] });
  });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.loaf.push([e.startTime, e.duration, e.blockingDuration]);
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    b.loaf = null; // no Long Animation Frames API
  }
}

/** Everything a load measured, read once the page is settled. */
function readLoad() {
  const b = window.__bnBench;
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const wasmRes = res.find((r) => r.name.endsWith('.wasm'));
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const inst = b.wasm.filter((w) => (w.bytes ?? Infinity) > 1024).sort((x, y) => x.end - y.end)[0];
  const all = [nav, ...res];
  const sum = (k) => all.reduce((s, e) => s + (e[k] ?? 0), 0);
  const names = b.firstScreenTags();
  const order = names.filter((n) => n in b.rendered).sort((x, y) => b.rendered[x] - b.rendered[y]);
  const beforeFirst = (b.loaf ?? []).filter((e) => e[0] < b.firstNumber);
  return {
    responseEnd: nav.responseEnd,
    domContentLoaded: nav.domContentLoadedEventStart,
    load: nav.loadEventStart,
    fcp: fcp ? fcp.startTime : null,
    wasmFile: wasmRes ? new URL(wasmRes.name).pathname : null,
    wasmFetched: wasmRes ? wasmRes.responseEnd : null,
    wasmInstantiateStart: inst ? inst.start : null,
    wasmInstantiated: inst ? inst.end : null,
    firstNumber: b.firstNumber,
    firstNumberFrame: b.firstNumberFrame,
    firstText: b.firstText,
    pageReady: b.ready,
    firstElement: order[0] ?? null,
    firstElementRendered: order.length ? b.rendered[order[0]] : null,
    lastElement: order.length === names.length ? order.at(-1) : null,
    firstScreenRendered: order.length === names.length ? b.rendered[order.at(-1)] : null,
    rendered: b.rendered,
    longFramesBeforeFirstNumber: b.loaf ? { count: beforeFirst.length, ms: beforeFirst.reduce((a, e) => a + e[1], 0), blockingMs: beforeFirst.reduce((a, e) => a + e[2], 0) } : null,
    resources: res.map((r) => [new URL(r.name).pathname, +r.startTime.toFixed(1), +r.responseEnd.toFixed(1), r.transferSize]),
    resourceTiming: { entries: all.length, transferSize: sum('transferSize'), encodedBodySize: sum('encodedBodySize'), decodedBodySize: sum('decodedBodySize') },
  };
}

/** Training lab: rAF timestamps, the worker's progress messages and long animation frames. */
function labProbe() {
  const b = (window.__bnLab = { recording: false, frames: [], progress: [], loaf: [] });
  const tick = (ts) => {
    if (b.recording) b.frames.push(ts);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const W = window.Worker;
  if (typeof W === 'function') {
    window.Worker = class extends W {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          const d = e.data;
          if (!b.recording || !d || d.type !== 'progress') return;
          b.progress.push([performance.now(), d.step, d.runs[0].loss.length, d.runs[1].loss.length]);
        });
      }
    };
  }
  try {
    new PerformanceObserver((list) => {
      if (b.recording) for (const e of list.getEntries()) b.loaf.push([e.startTime, e.duration]);
    }).observe({ type: 'long-animation-frame' });
  } catch {
    b.loaf = null; // no Long Animation Frames API
  }
}

// ---- 1. loading the lesson ------------------------------------------------------------------------

async function settleLoad(page) {
  await page.waitForFunction(
    () => {
      const b = window.__bnBench;
      if (!b || b.firstNumberFrame === null || !(performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0)) return false;
      const names = b.firstScreenTags();
      return names.length > 0 && names.every((n) => n in b.rendered);
    },
    null,
    { timeout: 60_000, polling: 50 },
  );
  // Lazy resources (KaTeX's fonts, the lab's worker) keep arriving after load: wait for 1 s of quiet.
  const quietMs = smoke ? 300 : 1000;
  let count = -1;
  let quietSince = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const n = await page.evaluate(() => performance.getEntriesByType('resource').length);
    if (n !== count) {
      count = n;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) break;
    await page.waitForTimeout(100);
  }
  return page.evaluate(readLoad);
}

async function measureLoads(browser, base) {
  const cold = [];
  const warm = [];
  let network = null;
  let discarded = null;
  // Load -1 is not counted: the first navigation of a freshly launched browser also starts its
  // network service and first renderer. "Cold" is a new tab's first visit in a running browser.
  for (let i = smoke ? 0 : -1; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const requests = [];
    // Every request the browser makes for this tab, the lab's worker included (Resource Timing
    // of the page does not see what the worker fetches itself).
    context.on('requestfinished', (r) => requests.push(r.sizes().then((s) => ({ url: r.url(), ...s })).catch(() => null)));
    const page = await context.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.addInitScript(loadProbe);
    await page.goto(`${base}web/index.html`);
    const first = await settleLoad(page);
    if (i < 0) {
      discarded = first;
      await context.close();
      log(`browser warm-up load (not counted): first number ${first.firstNumber.toFixed(0)} ms`);
      continue;
    }
    cold.push(first);
    if (i === 0) {
      const sizes = (await Promise.all(requests)).filter(Boolean);
      const files = new Map(sizes.map((s) => [s.url, s.responseBodySize]));
      network = {
        requests: sizes.length,
        bodyBytes: sizes.reduce((a, s) => a + s.responseBodySize, 0),
        headerBytes: sizes.reduce((a, s) => a + s.responseHeadersSize + s.requestHeadersSize, 0),
        distinctFiles: files.size,
        distinctBodyBytes: [...files.values()].reduce((a, n) => a + n, 0),
      };
    }
    await page.reload();
    warm.push(await settleLoad(page));
    await context.close();
    const c = cold.at(-1);
    const w = warm.at(-1);
    log(`load ${i + 1}/${LOADS}: first number ${c.firstNumber.toFixed(0)} ms cold, ${w.firstNumber.toFixed(0)} ms warm`);
  }
  return { loads: LOADS, cold, warm, network, discarded };
}

// ---- 2. training lab ---------------------------------------------------------------------------------

function frameStats(frames) {
  const iv = frames.slice(1).map((t, i) => t - frames[i]);
  if (iv.length < 2) return null;
  const span = frames.at(-1) - frames[0];
  return {
    frames: frames.length,
    spanMs: span,
    fps: (1000 * iv.length) / span,
    medianMs: median(iv),
    p95Ms: quantile(iv, 0.95),
    maxMs: Math.max(...iv),
    lateShare: iv.filter((d) => d > LATE_MS).length / iv.length,
    longFrames: iv.filter((d) => d >= 50).length,
  };
}

/** Steps per second per 1-s slice of the window, per run, from the progress messages. */
function stepSlices(progress, t0, t1) {
  const slices = [];
  for (let s = t0; s + SLICE_MS <= t1 + 1e-6; s += SLICE_MS) {
    const inSlice = progress.filter(([t]) => t >= s && t < s + SLICE_MS);
    slices.push([0, 1].map((r) => inSlice.reduce((a, m) => a + m[2 + r], 0) / (SLICE_MS / 1000)));
  }
  return slices;
}

async function record(page, ms) {
  await page.evaluate(() => {
    const b = window.__bnLab;
    b.frames = [];
    b.progress = [];
    if (b.loaf) b.loaf = [];
    b.recording = true;
    b.t0 = performance.now();
  });
  await page.waitForTimeout(ms);
  return page.evaluate(() => {
    const b = window.__bnLab;
    b.recording = false;
    return { t0: b.t0, t1: performance.now(), frames: b.frames, progress: b.progress, loaf: b.loaf };
  });
}

const stepCounter = (lab) => lab.evaluate((e) => Number((e.shadowRoot.querySelector('.step-count')?.textContent ?? '').replace(/\D/g, '')));
const labReady = (page) => page.waitForFunction(() => document.querySelector('bn-training-lab')?.dataset.state === 'ready', null, { timeout: 60_000 });

async function measureSetting(page, lab, name) {
  const windows = [];
  for (let w = 0; w < WINDOWS; w++) {
    if (w > 0) {
      await lab.locator('button', { hasText: /^Reset$/ }).click();
      await labReady(page);
    }
    await lab.locator('button', { hasText: /^Play$/ }).click();
    await page.waitForTimeout(WARMUP_MS);
    const s0 = await stepCounter(lab);
    const r = await record(page, WINDOW_MS);
    const s1 = await stepCounter(lab);
    // (A run that reached the lab's step limit or diverged has paused by itself.)
    const pause = lab.locator('button', { hasText: /^Pause$/ });
    if (await pause.count()) await pause.click();
    const steps = [0, 1].map((i) => r.progress.reduce((a, m) => a + m[2 + i], 0));
    const secs = (r.t1 - r.t0) / 1000;
    windows.push({
      ms: r.t1 - r.t0,
      stepsPerRun: steps,
      stepsPerSec: steps.map((s) => s / secs),
      slices: stepSlices(r.progress, r.t0, r.t1),
      messages: r.progress.length,
      chunkSteps: r.progress.length ? median(r.progress.map((m) => Math.max(m[2], m[3]))) : null,
      counter: { from: s0, to: s1, perSec: (s1 - s0) / secs },
      lastStep: r.progress.at(-1)?.[1] ?? null,
      frames: frameStats(r.frames),
      intervals: r.frames.slice(1).map((t, i) => +(t - r.frames[i]).toFixed(2)),
      longAnimationFrames: r.loaf ? { count: r.loaf.length, totalMs: r.loaf.reduce((a, e) => a + e[1], 0) } : null,
    });
    const last = windows.at(-1);
    log(`${name}, window ${w + 1}/${WINDOWS}: ${last.stepsPerSec.map((x) => x.toFixed(0)).join(' + ')} steps/s, ${last.frames?.fps.toFixed(1)} fps`);
  }
  const state = await lab.evaluate((e) => e.state);
  const mode = await lab.evaluate((e) => e.dataset.mode);
  const slices = windows.flatMap((x) => x.slices);
  const perRun = slices.map((s) => (s[0] + s[1]) / 2);
  const total = slices.map((s) => s[0] + s[1]);
  const intervals = windows.flatMap((x) => x.intervals);
  const frames = {
    fps: median(windows.filter((x) => x.frames).map((x) => x.frames.fps)),
    medianMs: median(intervals),
    p95Ms: quantile(intervals, 0.95),
    maxMs: Math.max(...intervals),
    lateShare: intervals.filter((d) => d > LATE_MS).length / intervals.length,
    longFrames: intervals.filter((d) => d >= 50).length,
    intervals: intervals.length,
  };
  const iqr = (xs) => quantile(xs, 0.75) - quantile(xs, 0.25);
  return {
    name,
    state,
    mode,
    sizes: [state.dataset === 'digits' ? 64 : 2, ...Array.from({ length: state.layers }, () => state.neurons), state.dataset === 'digits' ? 10 : 2],
    windows,
    stepsPerSecPerRun: { median: median(perRun), iqr: iqr(perRun), byRun: [0, 1].map((r) => median(slices.map((s) => s[r]))) },
    stepsPerSecTotal: { median: median(total), iqr: iqr(total) },
    chunkSteps: median(windows.map((x) => x.chunkSteps)),
    messagesPerSec: median(windows.map((x) => x.messages / (x.ms / 1000))),
    frames,
  };
}

async function measureLab(browser, base) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.addInitScript(labProbe);
  await page.goto(`${base}web/training-lab.html`);
  const lab = page.locator('bn-training-lab');
  await labReady(page);
  await page.waitForTimeout(300);
  const idleRec = await record(page, IDLE_MS);
  const idle = frameStats(idleRec.frames);
  log(`idle: ${idle.fps.toFixed(1)} fps`);
  // The lab starts at a pace a person can watch; the benchmark measures it as fast as it goes.
  await lab.locator('select[name=speed]').selectOption('max');
  const settings = [await measureSetting(page, lab, 'default')];
  await lab.locator('button', { hasText: 'paper' }).click();
  await page.waitForFunction(() => document.querySelector('bn-training-lab')?.getAttribute('dataset') === 'digits', null, { timeout: 10_000 });
  await labReady(page);
  settings.push(await measureSetting(page, lab, 'paper'));
  await context.close();
  return { idle, settings };
}

// ---- main -------------------------------------------------------------------------------------------

if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (scripts/setup.sh --browser installs it)`);
const started = Date.now();
const loadStart = loadavg();
const server = await startServer({ port: 0 });
const browser = await launchChromium();
let result;
try {
  log(`Chromium ${browser.version()}, ${LOADS} cold loads + warm reloads of web/index.html`);
  const load = await measureLoads(browser, server.url);
  log('training lab (web/training-lab.html)');
  const lab = await measureLab(browser, server.url);
  result = {
    chromium: browser.version(),
    executable: CHROMIUM,
    viewport: VIEWPORT,
    quick,
    smoke,
    params: { loads: LOADS, warmupMs: WARMUP_MS, windowMs: WINDOW_MS, windows: WINDOWS, idleMs: IDLE_MS, sliceMs: SLICE_MS, lateMs: LATE_MS },
    load,
    lab,
    loadStart,
    loadEnd: loadavg(),
    seconds: (Date.now() - started) / 1000,
  };
} finally {
  await browser.close();
  await server.close();
}

if (print) {
  const { pageSection } = await import('./page-report.mjs');
  process.stdout.write(`${pageSection(result).join('\n')}\n`);
} else {
  process.stdout.write(JSON.stringify(result));
}

// Section 5 of the report (bench/run.mjs): the page figures that bench/page.mjs measured in
// headless Chromium, as lines of text in run.mjs's style. pageSection(null, reason) says why
// they are missing.
import { f, kb, quantile, table } from './common.mjs';

const med = (xs) => quantile(xs, 0.5);
const halfIqr = (xs) => (quantile(xs, 0.75) - quantile(xs, 0.25)) / 2;


/** The headline figures (also used by the targets lines). */
export function pageHeadline(page) {
  const cold = page.load.cold.map((l) => l.firstNumber);
  const warm = page.load.warm.map((l) => l.firstNumber);
  const [def, paper] = page.lab.settings;
  return {
    firstNumberCold: med(cold),
    firstNumberWarm: med(warm),
    defaultStepsPerRun: def.stepsPerSecPerRun.median,
    defaultFps: def.frames.fps,
    paperStepsPerRun: paper?.stepsPerSecPerRun.median ?? NaN,
    paperFps: paper?.frames.fps ?? NaN,
  };
}

export function pageSection(page, reason = '') {
  const out = [];
  const p = (s = '') => out.push(s);
  if (!page) {
    p(`5. Page (time to first number, steps/s at 60 fps): NOT MEASURED in this run: ${reason}`);
    return out;
  }
  const { load, lab } = page;
  const n = load.loads;
  p(`5. Page, in headless Chromium ${page.chromium} (${page.executable}, ${page.viewport.width}×${page.viewport.height}), served by scripts/serve.mjs on 127.0.0.1 (strict CSP, no compression).`);
  p(`   Wall-clock figures: unlike CPU times they include the time other processes hold the cores (load average ${f(page.loadStart[0], 2)} → ${f(page.loadEnd[0], 2)} while measured).`);
  p(`   Loading web/index.html: ms from navigation start (performance.now() = 0), median over ${n} loads ± half the interquartile range.`);
  p('   cold: a new browser context (empty cache, no open connection); warm: a reload of the same tab right after (the server sends');
  p('   Cache-Control: no-store, so a reload fetches every file again: only the browser\'s warm processes and connections differ).');
  const col = (key) => {
    const c = load.cold.map((l) => l[key]).filter(Number.isFinite);
    const w = load.warm.map((l) => l[key]).filter(Number.isFinite);
    return [c.length ? f(med(c), 0) : '—', c.length ? `±${f(halfIqr(c), 0)}` : '', w.length ? f(med(w), 0) : '—', w.length ? `±${f(halfIqr(w), 0)}` : ''];
  };
  const instMs = med(load.cold.filter((l) => Number.isFinite(l.wasmInstantiated)).map((l) => l.wasmInstantiated - l.wasmInstantiateStart));
  const wasmName = (load.cold.find((l) => l.wasmFile)?.wasmFile ?? '.wasm').split('/').pop();
  const text = load.cold.find((l) => l.firstText)?.firstText ?? '';
  const firstEl = load.cold.find((l) => l.firstElement)?.firstElement ?? '';
  const lastEl = load.cold.find((l) => l.lastElement)?.lastElement ?? '';
  const rows = [
    ['HTML received (Navigation Timing responseEnd)', 'responseEnd'],
    ['DOMContentLoaded (the module scripts have run)', 'domContentLoaded'],
    ['first contentful paint (Paint Timing)', 'fcp'],
    [`${wasmName} fetched (Resource Timing responseEnd)`, 'wasmFetched'],
    [`wasm instantiated (WebAssembly.instantiate resolved; it took ${f(instMs, 0)} ms cold)`, 'wasmInstantiated'],
    [`FIRST COMPUTED NUMBER in the DOM: μ = ${text} of <bn-standardize> (end of its first render())`, 'firstNumber'],
    firstEl && firstEl !== 'bn-standardize' ? [`first <bn-*> element rendered (${firstEl})`, 'firstElementRendered'] : null,
    ['first computed number painted (next frame rendered: rAF, then a posted message)', 'firstNumberFrame'],
    ['page ready (main[data-state=ready]: engine loaded, elements defined)', 'pageReady'],
    [`every <bn-*> element of the first two screens rendered (the last: ${lastEl}; the others render when scrolled near)`, 'firstScreenRendered'],
    ['load event (every static resource, KaTeX included)', 'load'],
  ]
    .filter((r) => r !== null)
    .map(([label, key]) => ({ row: [label, ...col(key)], at: med(load.cold.map((l) => l[key]).filter(Number.isFinite)) }))
    .sort((x, y) => x.at - y.at) // in the order they happen (cold medians)
    .map((r) => r.row);
  p(table(['web/index.html', 'cold ms', '', 'warm ms', ''], rows, [false, true, true, true, true]));
  const loaf = load.cold.map((l) => l.longFramesBeforeFirstNumber).filter(Boolean);
  if (loaf.length) {
    p(`   main thread before the first number (cold, median): ${f(med(loaf.map((x) => x.count)), 0)} long animation frames (≥ 50 ms) totalling ${f(med(loaf.map((x) => x.ms)), 0)} ms (${f(med(loaf.map((x) => x.blockingMs)), 0)} ms blocking).`);
  }
  p(`   (one load before these, not counted, warmed the freshly launched browser up: its first number came at ${f(load.discarded?.firstNumber, 0)} ms.)`);
  const rt = load.cold[0].resourceTiming;
  const net = load.network;
  p(`   bytes: ${kb(rt.transferSize)} KB transferred in ${rt.entries} responses by Resource Timing of the page (transferSize, headers included; ${kb(rt.encodedBodySize)} KB of bodies);`);
  if (net) {
    p(`   every request of the tab, the lab worker's own included (playwright): ${kb(net.bodyBytes + net.headerBytes)} KB in ${net.requests} requests, ${kb(net.distinctBodyBytes)} KB of bodies in ${net.distinctFiles} distinct files`);
    p('   (the worker fetches the engine and its modules a second time; section 4 gives the gzip sizes a compressing server would send).');
  }
  p();

  // Training lab
  const s0 = lab.settings[0];
  const windows = s0.windows.length;
  const winMs = page.params.windowMs;
  p(`   Training in web/training-lab.html (<bn-training-lab> at full speed: both networks, without and with BN, train in lockstep in its module worker; the page draws):`);
  p(`   per setting ${windows} window${windows > 1 ? 's' : ''} of ${f(winMs / 1000, 0)} s after ${f(page.params.warmupMs / 1000, 0)} s of play (reset in between); steps/s: median over 1-s slices ± half the IQR; frames: all intervals of the windows.`);
  const label = (s) => {
    const st = s.state;
    return `${s.name}: ${st.dataset}, ${st.activation}, batch ${st.batchSize}, lr ${st.lr}`;
  };
  const pct = (x) => `${f(100 * x, 1)}%`;
  const frameCols = (fr) => [f(fr.fps, 1), f(fr.medianMs, 1), f(fr.p95Ms, 1), pct(fr.lateShare), f(fr.maxMs, 0)];
  const labRows = [
    ['idle (not training)', '', '', '', '', '', ...frameCols(lab.idle)],
    ...lab.settings.map((s) => [
      label(s),
      s.sizes.join('-'),
      f(s.stepsPerSecPerRun.median, 0),
      `±${f((50 * s.stepsPerSecPerRun.iqr) / s.stepsPerSecPerRun.median, 0)}%`,
      f(s.stepsPerSecTotal.median, 0),
      f(s.chunkSteps, 0),
      ...frameCols(s.frames),
    ]),
  ];
  p(table(
    ['lab setting', 'model', 'steps/s per run', '', 'both runs', 'steps/chunk', 'frames/s', 'median frame ms', 'p95 ms', `> ${f(page.params.lateMs, 0)} ms`, 'longest ms'],
    labRows,
    [false, false, true, true, true, true, true, true, true, true, true],
  ));
  p('   steps/s per run: training steps of one network per second, counted in the progress messages the worker posts to the page (each');
  p('   network\'s losses); both runs: the two networks together. steps/chunk: steps per progress message (median).');
  p(`   frames: requestAnimationFrame timestamps on the page's main thread; frames/s = intervals / time; > ${f(page.params.lateMs, 0)} ms: share of intervals that missed a`);
  p(`   60 Hz vsync. Idle, headless Chromium ran rAF at ${f(lab.idle.fps, 1)} frames/s (median interval ${f(lab.idle.medianMs, 2)} ms): it renders at 60 Hz.`);
  p('   The lab starts at 250 steps/s per network (a pace to watch BN pull ahead); the benchmark sets its Speed control to "as fast as it goes":');
  for (const s of lab.settings) {
    p(`   ${s.name}: ${f(s.messagesPerSec, 0)} chunks/s of ${f(s.chunkSteps, 0)} steps (lab-engine.ts sizes chunks to its 25 ms budget and posts each), the engine's rate in`);
    p(`   the worker with the lab's evaluation (every 25 steps), eval-mode training loss and health metrics included: ${f(1000 / s.stepsPerSecTotal.median, 3)} ms per step of both networks.`);
  }
  return out;
}

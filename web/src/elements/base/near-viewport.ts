// When an element should do its first, costly work: once it comes near the viewport (within one
// viewport height above or below), or, for work every reader will need eventually, when the
// browser is idle after the page has loaded, whichever is first. So a page full of elements paints
// its first number without waiting for every element below the fold to render, and the ones
// below render one per idle period (each its own task) or the moment the reader scrolls to them.
// Where IntersectionObserver is missing (old browsers, Node) the work starts at once.

/** Resolves when `element` is within a viewport's height of being visible. */
export function nearViewport(element: Element): Promise<void> {
  if (typeof IntersectionObserver === 'undefined') return Promise.resolve();
  return new Promise((resolve) => {
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        io.disconnect();
        resolve();
      }
    }, { rootMargin: '100% 0px' });
    io.observe(element);
  });
}

// Idle work runs one item per idle period, in the order it was asked for.
const idleQueue: (() => void)[] = [];
let idleScheduled = false;

function runIdle(): void {
  idleScheduled = false;
  idleQueue.shift()?.();
  if (idleQueue.length) scheduleIdle();
}

function scheduleIdle(): void {
  if (idleScheduled) return;
  idleScheduled = true;
  const w = globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number };
  if (typeof w.requestIdleCallback === 'function') w.requestIdleCallback(runIdle, { timeout: 2000 });
  else setTimeout(runIdle, 50);
}

/** Resolves at the first idle period after the others asked before it (one per period). */
export function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    idleQueue.push(resolve);
    scheduleIdle();
  });
}

/** Resolves when `element` is near the viewport or, failing that, when the browser is idle. */
export function nearViewportOrIdle(element: Element): Promise<void> {
  if (typeof IntersectionObserver === 'undefined') return Promise.resolve();
  return Promise.race([nearViewport(element), whenIdle()]);
}

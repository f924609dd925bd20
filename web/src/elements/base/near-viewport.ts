// When an element does its first, costly work: once it comes near the viewport (within one
// viewport height above or below it). So a page full of elements paints its first number without
// waiting for the ones below the fold, and spends no time on them until the reader scrolls within
// a screen of them; scrolling at reading speed, each is drawn before it is in view. (Rendering
// them in idle periods instead kept the main thread busy for about a second after load on a
// mid-range phone.) Where IntersectionObserver is missing (old browsers, Node) the work starts
// at once.

/**
 * Resolves when `element` is within a viewport's height of being visible, or when the page is
 * about to be printed (a printed or saved-as-PDF lesson shows every element drawn).
 */
export function nearViewport(element: Element): Promise<void> {
  if (typeof IntersectionObserver === 'undefined') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      io.disconnect();
      window.removeEventListener('beforeprint', done);
      resolve();
    };
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) done();
    }, { rootMargin: '100% 0px' });
    io.observe(element);
    window.addEventListener('beforeprint', done);
  });
}

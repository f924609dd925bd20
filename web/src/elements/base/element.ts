// The base every <bn-*> element extends: a shadow root with the elements' stylesheet (an external
// file: pages run under a strict CSP, so no inline <style>), the page's shared engine instance,
// rendering once it is loaded and again when observed attributes (or, for drawings, the width)
// change, and typed bn-* events.
import type { Lab } from '../../engine/lab.js';
import { AXIS_W } from './number-line.js';
import { pageLab } from './page-lab.js';

/** URL of the theme every element links first: the --bn-* tokens and their defaults. Marked
 *  ?no-inline (like every small file the elements reach by URL) so that bundlers ship it as a
 *  file: a data: URL would break under a strict CSP. */
export const THEME_URL = new URL('./theme.css?no-inline', import.meta.url).href;
/** URL of the engine-driven elements' stylesheet (dist/elements/elements.css). */
export const STYLESHEET_URL = new URL('../elements.css?no-inline', import.meta.url).href;

/**
 * What every <bn-*> element is, the training lab included: an open shadow root that links the
 * theme and then the element's own stylesheets (external files: pages run under a strict CSP,
 * so no inline <style>), and composed, bubbling bn-* events that host pages can follow.
 */
/**
 * HTMLElement, or a stand-in where there is no DOM (Node, server-side rendering): importing the
 * elements there must not throw, and defines nothing (defineElement).
 */
const ElementBase: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

/** Registers a custom element once, and only where there is a custom-element registry. */
export function defineElement(name: string, element: CustomElementConstructor): void {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) customElements.define(name, element);
}

export abstract class BnBase extends ElementBase {
  protected readonly root: ShadowRoot;

  protected constructor(stylesheets: readonly string[]) {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    for (const href of [THEME_URL, ...stylesheets]) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      this.root.append(link);
    }
  }

  /** Dispatches a composed, bubbling CustomEvent named `bn-<name>` that hosts can follow. */
  protected emit<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(`bn-${name}`, { detail, bubbles: true, composed: true }));
  }
}

/**
 * Base class of the elements that compute with the page's engine: a content container that renders once the lab is loaded (render() again whenever observed attributes
 * change). Subclasses build DOM with createElement/textContent only (never innerHTML), so
 * attribute values can never be interpreted as markup.
 */
export abstract class BnElement extends BnBase {
  protected readonly content: HTMLDivElement;
  protected lab: Lab | null = null;

  constructor() {
    super([STYLESHEET_URL]);
    this.content = document.createElement('div');
    this.content.className = 'bn';
    this.root.append(this.content);
  }

  /** Set by elements whose drawings are sized to their width: render() again when it changes. */
  protected readonly rerenderOnResize: boolean = false;
  private resizeObserver: ResizeObserver | null = null;
  private lastWidth = 0;
  private observedWidth = 0;

  /**
   * The content's width in CSS pixels as last laid out (0 before the first layout). It comes from
   * a ResizeObserver, never from clientWidth: reading layout during render() would force the
   * browser to lay the whole page out again for every element (measured: most of the lesson's
   * main-thread time before its first number).
   */
  protected contentWidth(): number {
    return this.observedWidth;
  }

  /** The content's width in CSS pixels, for drawings that use 1 viewBox unit = 1 pixel. */
  protected drawingWidth(): number {
    const w = this.observedWidth;
    return w > 0 ? Math.min(760, Math.max(260, Math.round(w))) : AXIS_W;
  }

  connectedCallback(): void {
    if (!this.resizeObserver && typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver((entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        this.observedWidth = entry.contentRect.width;
        if (!this.rerenderOnResize) return;
        const w = this.drawingWidth();
        if (this.lab && this.isConnected && Math.abs(w - this.lastWidth) > 24) this.renderNow();
      });
      this.resizeObserver.observe(this.content);
    }
    Promise.all([pageLab(), this.prepare()]).then(
      ([lab]) => {
        this.lab = lab;
        if (this.isConnected) this.renderNow();
      },
      (e: unknown) => this.showError(e),
    );
  }

  /**
   * What the element needs besides the engine before its first render, loaded in parallel with
   * it (e.g. the typesetting library, imported only by the elements that show formulas, so that a
   * page without them never downloads it).
   */
  protected prepare(): Promise<unknown> | null {
    return null;
  }

  attributeChangedCallback(): void {
    if (this.lab && this.isConnected) this.renderNow();
  }

  /** render(), remembering the width it drew for (so a resize re-renders only when it matters). */
  private renderNow(): void {
    this.lastWidth = this.drawingWidth();
    this.render();
  }

  /** Rebuilds the element's content from its attributes and state. */
  protected abstract render(): void;

  protected showError(e: unknown): void {
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = `The engine could not run here: ${e instanceof Error ? e.message : String(e)}`;
    this.content.replaceChildren(p);
  }
}

// The base every <bn-*> element extends: a shadow root with the elements' stylesheet (an external
// file: pages run under a strict CSP, so no inline <style>), the attributes every element reads
// (theme, heading-level), the page's shared engine instance, rendering once it is loaded and
// again when observed attributes (or, for drawings, the width) change, and typed bn-* events.
import type { Lab } from '../../engine/lab.js';
import { choiceAttr, numberAttr } from './attributes.js';
import { AXIS_W } from './number-line.js';
import { nearViewport } from './near-viewport.js';
import { pageLab } from './page-lab.js';

/** URL of the theme every element links first: the --bn-* tokens and their defaults. Marked
 *  ?no-inline (like every small file the elements reach by URL) so that bundlers ship it as a
 *  file: a data: URL would break under a strict CSP. */
export const THEME_URL = new URL('./theme.css?no-inline', import.meta.url).href;
/** URL of the engine-driven elements' stylesheet (dist/elements/elements.css). */
export const STYLESHEET_URL = new URL('../elements.css?no-inline', import.meta.url).href;

/** The attributes every element observes, before its own: its colour theme and its headings' level. */
export const BASE_ATTRIBUTES: readonly string[] = ['theme', 'heading-level'];

/** The values of the `theme` attribute; `auto` (the default) follows the host page. */
export const THEMES = ['light', 'dark', 'auto'] as const;
export type Theme = (typeof THEMES)[number];

/**
 * Whether an element with this `theme` attribute paints dark: `light` and `dark` say so; `auto`
 * (anything else) follows the host's computed `color-scheme` (which inherits from the page) when
 * it names one scheme, and the reader's system preference when the host names none (`normal`)
 * or both (`light dark`, where the browser itself would follow the system).
 */
export function isDark(theme: string | null, hostColorScheme: string, systemDark: boolean): boolean {
  const t = choiceAttr<Theme>(theme, THEMES, 'auto');
  if (t !== 'auto') return t === 'dark';
  const words = hostColorScheme.split(/\s+/);
  const dark = words.includes('dark');
  return dark !== words.includes('light') ? dark : systemDark;
}

/** Each connected element's theme update, run by one listener when the system preference changes. */
const followers = new Map<BnBase, () => void>();
let systemQuery: MediaQueryList | null = null;

function followSystemScheme(element: BnBase, applyTheme: () => void): void {
  if (typeof matchMedia === 'undefined') return;
  if (!systemQuery) {
    systemQuery = matchMedia('(prefers-color-scheme: dark)');
    systemQuery.addEventListener('change', () => {
      for (const [f, apply] of followers) {
        if (f.isConnected) apply();
        else followers.delete(f);
      }
    });
  }
  followers.set(element, applyTheme);
}

/**
 * HTMLElement, or a stand-in where there is no DOM (Node, server-side rendering): importing the
 * elements there must not throw, and defines nothing (defineElement).
 */
const ElementBase: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

/** Registers a custom element once, and only where there is a custom-element registry. */
export function defineElement(name: string, element: CustomElementConstructor): void {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) customElements.define(name, element);
}

/**
 * What every <bn-*> element is, the training lab included: an open shadow root that links the
 * theme and then the element's own stylesheets (external files: pages run under a strict CSP,
 * so no inline <style>), a painted surface in the light or dark theme (the `dark` custom state,
 * `:host(:state(dark))`, selects the dark tokens), headings at the level the host asks for, and
 * composed, bubbling bn-* events that host pages can follow.
 *
 * The tags below are what every element inherits in custom-elements.json (the Custom Elements
 * Manifest, custom-elements-manifest.config.mjs); an element's own attributes are on its class.
 *
 * @attr {'auto' | 'light' | 'dark'} [theme=auto] - The colour theme: `auto` (also any unknown value) follows the host's `color-scheme`, or the system's preference when the host names none; `light` and `dark` always paint that theme.
 * @attr {number} [heading-level=3] - The level of the element's top headings, 2 to 6 (other numbers are clamped, anything else is the default).
 * @csspart surface - The painted box around everything else.
 * @cssstate dark - Set while the element paints its dark theme: `bn-quiz:state(dark)`.
 * @cssprop [--bn-bg=#ffffff] - The surface, inputs, code boxes (dark theme: #1b1f24).
 * @cssprop [--bn-soft=#f3f5f8] - Panels and notes set off from the surface (dark theme: #232830).
 * @cssprop [--bn-text=#1a1d21] - Text (dark theme: #e8eaed).
 * @cssprop [--bn-muted=#4f5660] - Secondary text, axis labels, the edge shadow of scrolling boxes (dark theme: #aab1bb).
 * @cssprop [--bn-border=#d3d7dd] - Borders, grid lines of the number lines (dark theme: #3a414a).
 * @cssprop [--bn-grid=#e2e4e8] - Chart grid lines, table rules in the lab (dark theme: #33373f).
 * @cssprop [--bn-accent=#0b5cad] - Buttons, focus rings, filled-in formulas, range inputs (dark theme: #7db7ff).
 * @cssprop [--bn-accent-text=#ffffff] - Text on the accent (dark theme: #0b1a2b).
 * @cssprop [--bn-before=#0072b2] - The values before normalising, x (dark theme: #56b4e9).
 * @cssprop [--bn-mid=#007a5a] - Normalised values, x̂ (dark theme: #2ec4a0).
 * @cssprop [--bn-after=#c2410c] - Outputs, y and z (dark theme: #e69f00).
 * @cssprop [--bn-right=#00704f] - A right answer (dark theme: #5fd3a8).
 * @cssprop [--bn-wrong=#a63d00] - A wrong answer, a training run's warnings (dark theme: #ffb27a).
 * @cssprop [--bn-error=#a4161a] - Error messages (dark theme: #ffaaa5).
 * @cssprop [--bn-highlight=#e69f00] - Highlighted cells, verdict and erratum bars (both themes).
 * @cssprop --bn-font - The surface's font family (default: system-ui, …, sans-serif).
 * @cssprop [--bn-padding=clamp(0.5rem, 2vw, 0.75rem)] - The surface's padding (`0` lines the content up with the host's text).
 * @cssprop [--bn-radius=0.5rem] - The surface's corner radius.
 */
export abstract class BnBase extends ElementBase {
  static observedAttributes: readonly string[] = BASE_ATTRIBUTES;
  protected readonly root: ShadowRoot;
  /** The level of the element's headings when the host sets no heading-level (2 to 6). */
  protected readonly defaultHeadingLevel: number = 3;
  private readonly internals: ElementInternals | null;
  private dark: boolean | null = null;

  protected constructor(stylesheets: readonly string[]) {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    for (const href of [THEME_URL, ...stylesheets]) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      this.root.append(link);
    }
    this.internals = typeof this.attachInternals === 'function' ? this.attachInternals() : null;
    // The host's color-scheme has no change event. This empty span inherits it and transitions
    // it (theme.css), so a page that switches its scheme (a toggle, a class on an ancestor)
    // starts a transition here, and the element follows.
    const probe = document.createElement('span');
    probe.className = 'scheme-probe';
    probe.setAttribute('aria-hidden', 'true');
    probe.addEventListener('transitionrun', () => this.applyTheme());
    this.root.append(probe);
  }

  connectedCallback(): void {
    followSystemScheme(this, () => this.applyTheme());
    this.applyTheme();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value) return;
    if (name === 'theme') this.applyTheme();
    else if (name === 'heading-level') this.relevelHeadings();
  }

  /** Sets the `dark` custom state from the theme attribute, the host's color-scheme and the system. */
  private applyTheme(): void {
    if (!this.isConnected) return;
    const dark = isDark(this.getAttribute('theme'), getComputedStyle(this).colorScheme, matchMedia('(prefers-color-scheme: dark)').matches);
    if (dark === this.dark) return;
    this.dark = dark;
    const states = this.internals?.states;
    if (states) {
      if (dark) states.add('dark');
      else states.delete('dark');
    }
    this.themeChanged();
  }

  /** Called when the painted theme changes (e.g. for canvases, which do not follow CSS). */
  protected themeChanged(): void {}

  /** The level of the element's top headings: the heading-level attribute (2 to 6), or its default. */
  protected headingLevel(): number {
    return Math.round(numberAttr(this.getAttribute('heading-level'), this.defaultHeadingLevel, 2, 6));
  }

  /**
   * A heading at the element's level (`heading-level`) plus `depth`, capped at 6; it follows
   * later changes of the attribute. Style it through its class, never its tag.
   */
  protected heading(text: string, depth = 0): HTMLHeadingElement {
    const h = document.createElement(`h${Math.min(6, this.headingLevel() + depth)}`) as HTMLHeadingElement;
    h.className = 'heading';
    h.dataset.depth = String(depth);
    h.textContent = text;
    return h;
  }

  /** Swaps each heading for one of the new level, keeping its attributes and children. */
  private relevelHeadings(): void {
    for (const h of Array.from(this.root.querySelectorAll<HTMLElement>('.heading[data-depth]'))) {
      const tag = `h${Math.min(6, this.headingLevel() + Number(h.dataset.depth))}`;
      if (h.localName === tag) continue;
      const next = document.createElement(tag);
      for (const a of Array.from(h.attributes)) next.setAttribute(a.name, a.value);
      next.append(...Array.from(h.childNodes));
      h.replaceWith(next);
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
    this.content.setAttribute('part', 'surface');
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

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.resizeObserver && typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver((entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        this.observedWidth = entry.contentRect.width;
        if (!this.rerenderOnResize) return;
        // Narrower than drawn: the drawing is scaled down, and its 24 px handles with it, so it is
        // drawn again at once. Wider: only once the difference is worth a new drawing.
        const w = this.drawingWidth();
        if (this.lab && this.isConnected && (w < this.lastWidth || w - this.lastWidth > 24)) this.renderNow();
      });
      this.resizeObserver.observe(this.content);
    }
    // The engine loads at once (the first numbers need it); the element's own resources and its
    // first render wait until it is near the viewport (base/near-viewport.ts), so the elements
    // below the fold do no work before the reader comes within a screen of them.
    Promise.all([pageLab(), nearViewport(this).then(() => this.prepare())]).then(
      ([lab]) => {
        this.lab = lab;
        if (this.isConnected) this.renderNow();
      },
      (e: unknown) => this.showError(e),
    );
  }

  /**
   * What the element needs besides the engine before its first render, loaded once the element
   * is near the viewport (e.g. the typesetting library, imported only by the elements that show
   * formulas, so that a page without them never downloads it).
   */
  protected prepare(): Promise<unknown> | null {
    return null;
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'theme' || name === 'heading-level') return;
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

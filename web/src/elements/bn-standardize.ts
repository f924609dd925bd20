// <bn-standardize values="2,4,4,4,5,5,7,9">: z-scores of a few values, computed by lab.standardize.
// The values are editable as text and as points on the number line (drag them, or focus one and
// use the arrow keys). Before (x) and after (z) share one axis, joined by thin lines.
// Emits `bn-change` with { values } whenever the values change.
import { numberListAttr } from './base/attributes.js';
import { el, part, svgEl } from './base/dom.js';
import { BASE_ATTRIBUTES, BnElement, defineElement } from './base/element.js';
import { fmt, fmtList } from './base/format.js';
import { axisDomain, dotAxis } from './base/number-line.js';

const DEFAULT = [2, 4, 4, 4, 5, 5, 7, 9];
/** A handle's radius in CSS pixels: a 24 × 24 px target at least (WCAG 2.5.8). */
const HIT_RADIUS = 12.5;

/**
 * Z-scores of a few values, computed by the engine; the values are editable as text and as points on the number line.
 *
 * @attr {string} [values=2,4,4,4,5,5,7,9] - The values: up to 32 comma-separated numbers.
 * @fires {CustomEvent<{ values: number[] }>} bn-change - When the reader edits the values.
 * @csspart plot - The number line.
 */
export class BnStandardize extends BnElement {
  static override observedAttributes = [...BASE_ATTRIBUTES, 'values'];
  protected override readonly rerenderOnResize = true;
  private values: number[] = [...DEFAULT];
  private input!: HTMLInputElement;
  private error!: HTMLParagraphElement;
  private stats!: HTMLDListElement;
  private zLine!: HTMLParagraphElement;
  private plot!: HTMLDivElement;
  private dragDomain: [number, number] | null = null;
  private focusIndex = -1;

  protected render(): void {
    this.values = numberListAttr(this.getAttribute('values'), DEFAULT, 32, 1e4);
    if (!this.input) this.build();
    if (this.root.activeElement !== this.input) this.input.value = this.values.join(', ');
    this.update();
  }

  private build(): void {
    const id = 'std-input';
    const label = el('label', undefined, 'Values, separated by commas');
    label.htmlFor = id;
    this.input = el('input');
    this.input.id = id;
    this.input.type = 'text';
    this.input.inputMode = 'decimal';
    this.input.autocomplete = 'off';
    this.input.spellcheck = false;
    this.input.setAttribute('aria-describedby', 'std-error std-hint');
    this.input.addEventListener('input', () => this.fromText());
    const hint = el('p', 'hint', 'Or drag the blue points; focus one (Tab) and use ← → to move it by 0.5 (Shift: by 0.1).');
    hint.id = 'std-hint';
    this.error = el('p', 'error');
    this.error.id = 'std-error';
    this.error.hidden = true;
    this.error.setAttribute('role', 'alert');
    this.stats = el('dl', 'stats');
    this.stats.setAttribute('aria-live', 'polite');
    this.plot = part(el('div', 'plot'), 'plot');
    this.zLine = el('p', 'mono z-line');
    this.content.replaceChildren(label, this.input, hint, this.error, this.stats, this.plot, this.zLine);
  }

  private fromText(): void {
    const parts = this.input.value.split(/[,;\s]+/).filter((p) => p !== '');
    const nums = parts.map(Number);
    const bad = parts.findIndex((_p, i) => !Number.isFinite(nums[i]!) || Math.abs(nums[i]!) > 1e4);
    if (parts.length < 1 || bad >= 0 || parts.length > 32) {
      this.error.textContent = parts.length < 1 ? 'Type at least one number.'
        : parts.length > 32 ? 'At most 32 values, please.'
        : `“${parts[bad]!.slice(0, 20)}” is not a number between −10000 and 10000.`;
      this.error.hidden = false;
      this.input.setAttribute('aria-invalid', 'true');
      return;
    }
    this.error.hidden = true;
    this.input.removeAttribute('aria-invalid');
    this.setValues(nums);
  }

  private setValues(nums: number[]): void {
    this.setAttribute('values', nums.join(','));
    this.emit('change', { values: [...this.values] });
  }

  private update(): void {
    const lab = this.lab!;
    const r = lab.standardize(this.values);
    const after = lab.standardize(r.z);
    const stat = (dt: string, dd: string, name: string) => {
      const d = el('div');
      const t = el('dt', undefined, dt);
      const v = el('dd', undefined, dd);
      v.dataset.stat = name;
      d.append(t, v);
      return d;
    };
    this.stats.replaceChildren(
      stat('mean μ', fmt(r.mean, 4), 'mean'),
      stat('std σ', fmt(r.std, 4), 'std'),
      stat('mean of z', fmt(after.mean, 4), 'z-mean'),
      stat('std of z', fmt(after.std, 4), 'z-std'),
    );
    this.zLine.textContent = `z = [${fmtList(r.z, 4)}]`;
    this.zLine.dataset.z = fmtList(r.z, 4);

    const domain = this.dragDomain ?? axisDomain([...this.values, ...r.z]);
    const { svg, dots, scale } = dotAxis(
      [{ label: 'x', values: this.values, cls: 'before' }, { label: 'z', values: r.z, cls: 'after' }],
      `The values x (top row) and their z-scores (bottom row) on one number line. Mean ${fmt(r.mean)}, standard deviation ${fmt(r.std)}.`,
      domain,
      this.drawingWidth(),
    );
    // The points are sliders, so the picture is a labelled group rather than one image.
    svg.setAttribute('role', 'group');
    svg.setAttribute('aria-label', svg.querySelector('title')!.textContent ?? '');
    // Join each x to its z, under the dots.
    dots[0]!.forEach((c, i) => {
      const z = dots[1]![i]!;
      svg.insertBefore(svgEl('line', { x1: c.getAttribute('cx')!, y1: c.getAttribute('cy')!, x2: z.getAttribute('cx')!, y2: z.getAttribute('cy')!, class: 'link' }), svg.querySelector('circle'));
    });
    // Each x is a slider: a transparent disc of at least 24 CSS pixels over its dot (the drawing
    // shrinks below 260 px, so the radius grows to match), above all the dots.
    const w = this.drawingWidth();
    const shown = this.contentWidth();
    const hitR = HIT_RADIUS * (shown > 0 && shown < w ? w / shown : 1);
    const handles = dots[0]!.map((c, i) => {
      c.classList.add('draggable');
      const h = svgEl('circle', { cx: c.getAttribute('cx')!, cy: c.getAttribute('cy')!, r: hitR.toFixed(2), class: 'handle' });
      this.makeDraggable(h, i, scale.inv, domain);
      return h;
    });
    svg.append(...handles);
    const fi = this.focusIndex;
    this.focusIndex = -1;
    this.plot.replaceChildren(svg);
    if (fi >= 0) (handles[fi] as unknown as HTMLElement | undefined)?.focus();
  }

  private makeDraggable(c: SVGCircleElement, i: number, inv: (px: number) => number, domain: [number, number]): void {
    const v = this.values[i]!;
    c.setAttribute('tabindex', '0');
    c.setAttribute('role', 'slider');
    c.setAttribute('aria-label', `value ${i + 1}`);
    c.setAttribute('aria-valuenow', String(v));
    c.setAttribute('aria-valuetext', fmt(v, 2));
    c.setAttribute('aria-valuemin', String(domain[0]));
    c.setAttribute('aria-valuemax', String(domain[1]));
    c.classList.add('handle');
    const move = (nv: number) => {
      const next = [...this.values];
      next[i] = Math.round(Math.min(domain[1], Math.max(domain[0], nv)) * 10) / 10;
      this.focusIndex = i;
      this.setValues(next);
    };
    c.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 0.1 : 0.5;
      if (e.key === 'ArrowRight' || e.key === 'ArrowUp') move(v + step);
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') move(v - step);
      else return;
      e.preventDefault();
    });
    // The plot scrolls the page on touch (touch-action: pan-y); only a drag that starts on a
    // handle captures the pointer, on the plot, which outlives the redraws. Chromium ignores
    // touch-action on SVG shapes, so the handle also cancels its touch's scrolling itself.
    c.addEventListener('touchstart', (e) => e.preventDefault(), { passive: false });
    c.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      this.dragDomain = domain;
      const plot = this.plot;
      // Pointer pixels to viewBox units (the same below 260 px, where the drawing is scaled down).
      const toValue = (ev: PointerEvent) => {
        const svg = plot.querySelector('svg');
        const box = (svg ?? plot).getBoundingClientRect();
        const units = svg && box.width > 0 ? svg.viewBox.baseVal.width / box.width : 1;
        return inv((ev.clientX - box.left) * units);
      };
      const onMove = (ev: PointerEvent) => {
        if (ev.pointerId === e.pointerId) move(toValue(ev));
      };
      const onUp = (ev: PointerEvent) => {
        if (ev.pointerId !== e.pointerId) return;
        plot.removeEventListener('pointermove', onMove);
        plot.removeEventListener('pointerup', onUp);
        plot.removeEventListener('pointercancel', onUp);
        if (plot.hasPointerCapture(e.pointerId)) plot.releasePointerCapture(e.pointerId);
        this.dragDomain = null;
        this.render();
      };
      plot.setPointerCapture(e.pointerId);
      plot.addEventListener('pointermove', onMove);
      plot.addEventListener('pointerup', onUp);
      plot.addEventListener('pointercancel', onUp);
    });
  }
}

defineElement('bn-standardize', BnStandardize);

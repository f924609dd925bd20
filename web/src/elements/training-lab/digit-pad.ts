// The lab's "Draw a digit" pad: a square the learner draws on with a pointer, turned into an
// example the way the UCI digits were made (a 32 × 32 bitmap, the ink's bounding box scaled to
// fit and centred, then counts of inked pixels in 4 × 4 blocks: 8 × 8 values of 0 to 16, here
// divided by 16 as the dataset loader does), with a preview of those 64 values.
import { el } from '../base/dom.js';

const SIDE = 32;
const GRID = 8;

export class DigitPad {
  readonly element: HTMLElement;
  private readonly canvas = el('canvas', 'pad');
  private readonly preview = el('canvas', 'pad-preview');
  private drawing = false;
  private inked = false;
  private last: [number, number] | null = null;

  /** `onDigit` gets the 64 features (row-major 8 × 8, 0..1) each time a stroke ends. */
  constructor(private readonly onDigit: (x: Float32Array) => void) {
    this.element = el('div', 'digit-pad');
    this.canvas.width = 192;
    this.canvas.height = 192;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Drawing area: draw a digit from 0 to 9 with the mouse, a pen or a finger');
    this.preview.width = GRID;
    this.preview.height = GRID;
    this.preview.setAttribute('role', 'img');
    this.preview.setAttribute('aria-label', 'What the networks see: your drawing as 8 × 8 values');
    const clear = el('button', 'small', 'Clear');
    clear.type = 'button';
    clear.addEventListener('click', () => this.clear());
    const side = el('div', 'pad-side');
    side.append(el('span', 'note', 'What the networks see (8 × 8):'), this.preview, clear);
    this.element.append(this.canvas, side);
    // Drawing captures the pointer; the page scrolls on touches elsewhere.
    this.canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.stroke(this.last, this.last);
      e.preventDefault();
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.at(e);
      this.stroke(this.last ?? p, p);
      this.last = p;
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      const x = this.features();
      this.showPreview(x);
      if (this.inked) this.onDigit(x);
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
    this.clear();
  }

  clear(): void {
    const g = this.canvas.getContext('2d')!;
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    this.showPreview(new Float32Array(GRID * GRID));
  }

  private at(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  private stroke(a: [number, number], b: [number, number]): void {
    const g = this.canvas.getContext('2d')!;
    g.strokeStyle = '#000000';
    g.lineWidth = this.canvas.width / 11;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(a[0], a[1]);
    g.lineTo(b[0], b[1]);
    g.stroke();
    this.inked = true;
  }

  /** The drawing as the dataset's 64 features. */
  features(): Float32Array {
    const w = this.canvas.width;
    const h = this.canvas.height;
    const src = this.canvas.getContext('2d')!.getImageData(0, 0, w, h).data;
    const ink = (x: number, y: number) => src[4 * (y * w + x)]! < 128;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (ink(x, y)) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const out = new Float32Array(GRID * GRID);
    if (x1 < 0) return out;
    // The ink's bounding box, scaled so its longer side spans the 32 × 32 bitmap, centred.
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const scale = SIDE / Math.max(bw, bh);
    const ox = (SIDE - bw * scale) / 2, oy = (SIDE - bh * scale) / 2;
    const bitmap = new Uint8Array(SIDE * SIDE);
    for (let by = 0; by < SIDE; by++) {
      for (let bx = 0; bx < SIDE; bx++) {
        const sx = Math.floor(x0 + (bx + 0.5 - ox) / scale);
        const sy = Math.floor(y0 + (by + 0.5 - oy) / scale);
        if (sx >= x0 && sx <= x1 && sy >= y0 && sy <= y1 && ink(sx, sy)) bitmap[by * SIDE + bx] = 1;
      }
    }
    const block = SIDE / GRID;
    for (let gy = 0; gy < GRID; gy++) {
      for (let gx = 0; gx < GRID; gx++) {
        let n = 0;
        for (let y = 0; y < block; y++) for (let x = 0; x < block; x++) n += bitmap[(gy * block + y) * SIDE + gx * block + x]!;
        out[gy * GRID + gx] = n / 16;
      }
    }
    return out;
  }

  private showPreview(x: Float32Array): void {
    const g = this.preview.getContext('2d')!;
    const img = g.createImageData(GRID, GRID);
    for (let i = 0; i < GRID * GRID; i++) {
      const v = 255 - Math.round(255 * x[i]!);
      img.data.set([v, v, v, 255], 4 * i);
    }
    g.putImageData(img, 0, 0);
  }
}

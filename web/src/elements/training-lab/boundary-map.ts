// The decision-boundary heatmap of the training lab's 2-D datasets: plain canvas code, not a line chart.
/** A decision-boundary heatmap: P(class 1) on a grid plus the training points. */
export class BoundaryMap {
  readonly canvas: HTMLCanvasElement;
  private readonly image: HTMLCanvasElement;
  private readonly dots: HTMLCanvasElement;
  private points: Float32Array | null = null;
  private labels: Int32Array | null = null;
  private grid: Float32Array | null = null;
  private frame = 0;

  constructor(label: string, private readonly n = 100, private readonly extent = 6) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'boundary';
    this.canvas.width = 300;
    this.canvas.height = 300;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', label);
    this.image = document.createElement('canvas');
    this.image.width = n;
    this.image.height = n;
    this.dots = document.createElement('canvas');
    this.dots.width = this.canvas.width;
    this.dots.height = this.canvas.height;
  }

  setData(points: Float32Array | null, labels: Int32Array | null): void {
    this.points = points;
    this.labels = labels;
    this.grid = null;
    this.drawDots();
    this.schedule();
  }

  setGrid(grid: Float32Array): void {
    this.grid = grid;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  png(): Promise<Blob> {
    this.draw();
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    const ictx = this.image.getContext('2d');
    if (!ctx || !ictx) return;
    const W = this.canvas.width, H = this.canvas.height;
    ctx.fillStyle = '#f4f4f4';
    ctx.fillRect(0, 0, W, H);
    // Class 0 orange, class 1 blue (Okabe–Ito), faded towards white where the model is unsure.
    const c0 = [0xe6, 0x9f, 0x00], c1 = [0x00, 0x72, 0xb2];
    if (this.grid) {
      const img = ictx.createImageData(this.n, this.n);
      for (let j = 0; j < this.n; j++) {
        for (let i = 0; i < this.n; i++) {
          const p = this.grid[j * this.n + i]!;
          const q = Number.isFinite(p) ? p : 0.5;
          const c = q >= 0.5 ? c1 : c0;
          const t = Math.min(1, Math.abs(q - 0.5) * 2) * 0.6;
          // Row 0 of the grid is y0 (bottom): flip so +y is up.
          const o = ((this.n - 1 - j) * this.n + i) * 4;
          for (let k = 0; k < 3; k++) img.data[o + k] = Math.round(255 + (c[k]! - 255) * t);
          img.data[o + 3] = 255;
        }
      }
      ictx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.image, 0, 0, W, H);
    }
    ctx.drawImage(this.dots, 0, 0);
  }

  /** The training points, drawn once per dataset onto their own layer. */
  private drawDots(): void {
    const ctx = this.dots.getContext('2d');
    if (!ctx) return;
    const W = this.dots.width, H = this.dots.height;
    ctx.clearRect(0, 0, W, H);
    if (!this.points || !this.labels) return;
    const e = this.extent;
    ctx.lineWidth = 0.8;
    ctx.strokeStyle = '#ffffff';
    for (let i = 0; i < this.labels.length; i++) {
      const x = ((this.points[2 * i]! + e) / (2 * e)) * W;
      const y = H - ((this.points[2 * i + 1]! + e) / (2 * e)) * H;
      ctx.beginPath();
      ctx.arc(x, y, 2.6, 0, 2 * Math.PI);
      ctx.fillStyle = this.labels[i] ? '#0072B2' : '#E69F00';
      ctx.fill();
      ctx.stroke();
    }
  }
}

// Exporting a chart: the plot's canvas as a PNG with its title and legend drawn above it, and a
// download through a temporary blob URL.
import type { Theme } from './chart-axes.js';

/** What the legend of an exported chart shows of one series. */
export interface LegendEntry { label: string; color: string; dash?: number[] | undefined }

type HeaderLine = { height: number; draw(ctx: CanvasRenderingContext2D, y: number): void };

/** The export's header: the title and the legend, wrapped to `width` CSS px. */
function exportHeader(ctx: CanvasRenderingContext2D, width: number, title: string, series: readonly LegendEntry[], th: Theme): HeaderLine[] {
  const lines: HeaderLine[] = [];
  const titleFont = 'bold 13px system-ui, sans-serif', keyFont = '12px system-ui, sans-serif';
  ctx.font = titleFont;
  let line = '';
  const pushTitle = (text: string) => lines.push({ height: 18, draw: (c, y) => { c.font = titleFont; c.fillStyle = th.fg; c.textBaseline = 'top'; c.fillText(text, 8, y); } });
  for (const word of title.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width - 16) { pushTitle(line); line = word; } else line = next;
  }
  if (line) pushTitle(line);
  ctx.font = keyFont;
  let row: { s: LegendEntry; x: number }[] = [];
  let x = 8;
  const pushRow = (items: { s: LegendEntry; x: number }[]) => lines.push({
    height: 17,
    draw: (c, y) => {
      c.font = keyFont;
      c.textBaseline = 'top';
      for (const { s, x: kx } of items) {
        c.strokeStyle = s.color;
        c.lineWidth = 3;
        c.setLineDash(s.dash ?? []);
        c.beginPath(); c.moveTo(kx, y + 7.5); c.lineTo(kx + 18, y + 7.5); c.stroke();
        c.setLineDash([]);
        c.fillStyle = th.muted;
        c.fillText(s.label, kx + 23, y + 1);
      }
    },
  });
  for (const s of series) {
    const w = 23 + ctx.measureText(s.label).width;
    if (row.length && x + w > width - 8) { pushRow(row); row = []; x = 8; }
    row.push({ s, x });
    x += w + 14;
  }
  if (row.length) pushRow(row);
  return lines;
}

/**
 * `plot` (a canvas `cssWidth` CSS px wide, at any device pixel ratio) as a PNG blob: title and
 * legend above the plot, on the theme's background.
 */
export function exportPng(plot: HTMLCanvasElement, cssWidth: number, title: string, series: readonly LegendEntry[], th: Theme): Promise<Blob> {
  const r = plot.width / cssWidth;
  const out = document.createElement('canvas');
  const ctx = out.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no 2-D canvas'));
  const lines = exportHeader(ctx, cssWidth, title, series, th);
  const head = lines.reduce((h, l) => h + l.height, 8);
  out.width = plot.width;
  out.height = plot.height + Math.ceil(head * r);
  ctx.scale(r, r);
  ctx.fillStyle = th.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  let y = 4;
  for (const l of lines) {
    l.draw(ctx, y);
    y += l.height;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(plot, 0, Math.ceil(head * r));
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/png'));
}

// download() lives with the other DOM helpers (base/dom.ts); the lab's modules import it from here.
export { download } from '../base/dom.js';

// Shared by the scripts that measure something and by `npm run docs`, which writes their
// markdown into docs/: where a table came from, and the blocks of docs/*.md that a command wrote.
//
// A generated block in a markdown file:
//   <!-- generated: node scripts/experiments/digits-lr.mjs --markdown -->
//   …the command's standard output…
//   <!-- end generated -->
// `generated, checked:` instead of `generated:` marks a block whose tables are deterministic
// (fixed seeds): tests/js/docs.test.ts runs its command again and compares them, timing columns
// and prose aside, so a stale table fails the tests.
import { cpus } from 'node:os';

/** One line saying which command produced a report, when and on what machine. */
export function provenance(command) {
  const cpu = (cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const date = new Date().toISOString().slice(0, 10);
  return `Written by \`${command}\` on ${date}: ${cpu}, ${cpus().length} logical CPUs, Node ${process.version}.`;
}

/** A markdown table from a header row, an alignment per column ('l', 'r', 'c') and rows of cells. */
export function markdownTable(header, align, rows) {
  const rule = align.map((a) => (a === 'r' ? '---:' : a === 'c' ? ':---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const BLOCK = /<!-- generated(, checked)?: (.+?) -->\n([\s\S]*?)<!-- end generated -->/g;

/** The generated blocks of a markdown text: { command, checked, body, start, end }. */
export function generatedBlocks(text) {
  const blocks = [];
  for (const m of text.matchAll(BLOCK)) {
    blocks.push({ command: m[2], checked: Boolean(m[1]), body: m[3], start: m.index, end: m.index + m[0].length });
  }
  return blocks;
}

/** The text with one block's body replaced (the markers stay). */
export function replaceBlock(text, block, body) {
  const head = `<!-- generated${block.checked ? ', checked' : ''}: ${block.command} -->\n`;
  const tail = '<!-- end generated -->';
  return text.slice(0, block.start) + head + body.replace(/\n*$/, '\n') + tail + text.slice(block.end);
}

// A column measures time when its header says so: "ms …", "… (ms)", "µs", "s wall".
const TIMING = /\bms\b|µs|\bseconds?\b|\bwall\b|\btime\b/i;

/**
 * What of a report must not change between runs with the same seeds: every table's title line
 * (`**…**`) and its rows with the timing columns removed. Prose, dates and timings are left out.
 */
export function stableView(markdown) {
  const out = [];
  let keep = null; // per column of the current table: is it deterministic?
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('|')) {
      keep = null;
      if (/^\*\*.+\*\*$/.test(line)) out.push(line);
      continue;
    }
    const cells = line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
    if (keep === null) keep = cells.map((h) => !TIMING.test(h));
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    out.push(cells.filter((_, i) => keep[i]).join(' | '));
  }
  return out.join('\n');
}

/** The value after `--name` in argv, or `fallback` when the flag is absent (the experiment scripts' flags). */
export function flagValue(argv, name, fallback) {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? fallback : argv[at + 1];
}

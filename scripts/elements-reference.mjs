#!/usr/bin/env node
// Prints the elements' reference, a markdown table, from the Custom Elements Manifest that the
// build writes (the file package.json's `customElements` names, generated from the element
// classes' JSDoc: custom-elements-manifest.config.mjs). docs/elements.md holds its output in a
// `generated, checked` block, so the page, the manifest and the classes say the same thing:
// tests/js/docs.test.ts runs this again and compares, and
// tests/js/custom-elements-manifest.test.ts checks the manifest against the classes.
//
//   node scripts/elements-reference.mjs     (after npm run build)
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { markdownTable } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const file = join(ROOT, pkg.customElements);
if (!existsSync(file)) {
  console.error(`elements-reference: ${pkg.customElements} is missing: run npm run build`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(file, 'utf8'));
const classes = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.kind === 'class');
const elements = classes.filter((d) => d.customElement && d.tagName);
/** The class every element extends: what it declares, every element has. */
const base = classes.find((d) => d.name === 'BnBase');
if (!base || elements.length === 0) {
  console.error(`elements-reference: ${pkg.customElements} has no BnBase or no elements`);
  process.exit(1);
}

// Table cells: a pipe would end the cell, a line break the row.
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text) => `\`${text}\``;

/** An attribute's values in words from its type: `'a' | 'b'` → `a` or `b`; number and string say nothing the description does not. */
function values(type) {
  const words = (type ?? '').split('|').map((t) => t.trim()).filter(Boolean).map((t) => {
    const quoted = /^'(.*)'$/.exec(t);
    return quoted ? code(quoted[1]) : t === 'number' ? 'a number' : t;
  });
  if (words.every((w) => w === 'string' || w === 'a number')) return '';
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function attribute(a) {
  const v = values(a.type?.text);
  const meta = [a.default !== undefined ? `default ${code(a.default)}` : 'no default', ...(v ? [v] : [])].join('; ');
  return `${code(a.name)} (${meta}): ${a.description ?? ''}`.trim();
}

function event(e) {
  const detail = /^CustomEvent<(.+)>$/s.exec(e.type?.text ?? '')?.[1];
  return `${code(e.name)}${detail ? ` ${code(detail)}` : ''}: ${e.description ?? ''}`.trim();
}

const part = (p) => `${code(p.name)}: ${p.description ?? ''}`.trim();
const list = (items) => (items.length ? items.join('<br>') : '—');

/** What a class adds to BnBase: its own items and those it redeclares (another default, say). */
function own(d, kind) {
  return (d[kind] ?? []).filter((item) => {
    if (!item.inheritedFrom) return true;
    const inherited = (base[kind] ?? []).find((b) => b.name === item.name);
    const { inheritedFrom, ...rest } = item;
    return !inherited || JSON.stringify(rest) !== JSON.stringify(inherited);
  });
}

const rows = [
  [
    `every element (${elements.length})`,
    list((base.attributes ?? []).map(attribute)),
    list((base.events ?? []).map(event)),
    list((base.cssParts ?? []).map(part)),
  ],
  ...elements.map((d) => [
    code(`<${d.tagName}>`),
    list(own(d, 'attributes').map(attribute)),
    list(own(d, 'events').map(event)),
    list(own(d, 'cssParts').map(part)),
  ]),
];
console.log(markdownTable(['element', 'attributes', 'events', 'parts'], ['l', 'l', 'l', 'l'], rows.map((r) => r.map(cell))));

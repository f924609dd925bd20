// The Custom Elements Manifest (package.json's `customElements`, written by the build from the
// element classes' JSDoc: custom-elements-manifest.config.mjs) says what the elements really do:
//  - it is what the analyzer makes of the sources now, and the package ships it;
//  - every tag that defineElement registers is in it, and nothing else;
//  - each element's attributes are its class's real observedAttributes, both ways, each with a
//    type, a default and a description; every attribute its source reads by name is observed;
//  - its events are the bn-* events its source emits, its parts those its source (and the files
//    it imports) names, its custom properties the --bn-* tokens of theme.css.
// docs/elements.md's reference table is printed from it (scripts/elements-reference.mjs,
// checked by tests/js/docs.test.ts).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const pkg = JSON.parse(read('package.json')) as { customElements?: string; files: string[] };

interface Item { name: string; description?: string; default?: string; type?: { text: string }; inheritedFrom?: { name: string } }
interface Declaration {
  kind: string; name: string; tagName?: string; customElement?: boolean;
  attributes?: Item[]; events?: Item[]; cssParts?: Item[]; cssProperties?: Item[];
}
interface Module { path: string; declarations?: Declaration[]; exports?: { kind: string; name: string; declaration: { name: string } }[] }
interface Manifest { schemaVersion: string; modules: Module[] }

const manifestPath = pkg.customElements ? join(ROOT, pkg.customElements) : '';
let manifest: Manifest;
/** Every custom element of the manifest, with its module path (dist/…) and source file (web/src/…). */
let elements: { d: Declaration; path: string; source: string }[];

beforeAll(() => {
  if (!existsSync(manifestPath)) throw new Error(`${pkg.customElements ?? 'package.json customElements'} is missing: run npm run build`);
  manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  elements = manifest.modules.flatMap((m) => (m.declarations ?? []).filter((d) => d.kind === 'class' && d.customElement)
    .map((d) => ({ d, path: m.path, source: m.path.replace(/^dist\//, 'web/src/').replace(/\.js$/, '.ts') })));
});

const names = (items: Item[] | undefined) => (items ?? []).map((i) => i.name).sort();
const unique = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The element source files under web/src/elements, relative to the root. */
function sources(dir = 'web/src/elements'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'vendor' ? [] : sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** `defineElement('bn-x', Class)` calls in the sources: tag → class name. */
function definedTags(): Map<string, string> {
  const tags = new Map<string, string>();
  for (const file of sources()) {
    for (const m of read(file).matchAll(/\bdefineElement\(\s*'([^']+)'\s*,\s*(\w+)\s*\)/g)) tags.set(m[1]!, m[2]!);
  }
  return tags;
}

/** The files a source imports at run time (not `import type`), relative to the root. */
function runtimeImports(file: string): string[] {
  return [...read(file).matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm)]
    .map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1]!.replace(/\.js$/, '.ts'))))
    .filter((f) => existsSync(join(ROOT, f)));
}

/** The shadow parts a source names: part(…, 'x'), part: 'x' (svgEl attributes), setAttribute('part', 'x'). */
function partsNamed(file: string): string[] {
  const text = read(file);
  return [
    ...[...text.matchAll(/\bpart\(.*?\),\s*'([a-z-]+)'\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bpart:\s*'([a-z-]+)'/g)].map((m) => m[1]!),
    ...[...text.matchAll(/setAttribute\('part',\s*'([a-z-]+)'\)/g)].map((m) => m[1]!),
  ];
}

describe('the manifest file', () => {
  it('is named by package.json and shipped in the npm tarball', async () => {
    expect(pkg.customElements).toBe('dist/custom-elements.json');
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: ROOT, maxBuffer: 64 << 20 });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain(pkg.customElements);
    expect(manifest.schemaVersion).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);

  it('is what the analyzer makes of the sources now, and the analyzer leaves package.json alone', async () => {
    const config = (await import(pathToFileURL(join(ROOT, 'custom-elements-manifest.config.mjs')).href)).default as { outdir: string; packagejson: boolean };
    expect(config.packagejson).toBe(false);
    expect(`${config.outdir}/custom-elements.json`).toBe(pkg.customElements);
    const analyzer = '@custom-elements-manifest/analyzer/cli.js';
    const { cli } = (await import(analyzer)) as { cli(o: { argv: string[]; cwd: string; noWrite: boolean }): Promise<unknown> };
    const before = read('package.json');
    const fresh = await cli({ argv: ['analyze', '--quiet'], cwd: ROOT, noWrite: true });
    expect(read('package.json')).toBe(before);
    expect(fresh, `${pkg.customElements} is stale: run npm run build`).toEqual(manifest);
  }, 60_000);
});

describe('tags', () => {
  it('every tag defineElement registers is in the manifest, on its class, and no other', () => {
    const defined = definedTags();
    expect(defined.size).toBe(14);
    expect(defined.has('bn-training-lab')).toBe(true);
    expect(new Map(elements.map((e) => [e.d.tagName!, e.d.name]))).toEqual(defined);
    const definitions = manifest.modules.flatMap((m) => (m.exports ?? []).filter((x) => x.kind === 'custom-element-definition'));
    expect(new Map(definitions.map((x) => [x.name, x.declaration.name]))).toEqual(defined);
  });

  it('every element module is loaded by dist/elements/index.js', () => {
    const index = read('dist/elements/index.js');
    const loaded = [...index.matchAll(/(?:from|import)\s+'\.\/([^']+)'/g)].map((m) => `dist/elements/${m[1]}`);
    for (const e of elements) expect(loaded, e.d.tagName).toContain(e.path);
  });
});

describe('attributes', () => {
  /** The class each element module exports under the manifest's name, imported in Node (no DOM: nothing is registered). */
  const classes = new Map<string, { observedAttributes: readonly string[] }>();
  beforeAll(async () => {
    await import(pathToFileURL(join(ROOT, 'dist/elements/index.js')).href);
    for (const e of elements) {
      const mod = (await import(pathToFileURL(join(ROOT, e.path)).href)) as Record<string, { observedAttributes: readonly string[] }>;
      classes.set(e.d.name, mod[e.d.name]!);
    }
  });

  it('are the class’s observedAttributes, in both directions', () => {
    expect(elements.length).toBe(14);
    for (const { d } of elements) {
      const observed = classes.get(d.name)?.observedAttributes;
      expect(observed, `${d.name} is exported by its module`).toBeDefined();
      expect(unique(observed!), `${d.tagName}: no attribute observed twice`).toEqual([...observed!].sort());
      expect(names(d.attributes), `<${d.tagName}>: manifest attributes = observedAttributes`).toEqual([...observed!].sort());
    }
  });

  it('each has a type, a default and a description', () => {
    for (const { d } of elements) {
      for (const a of d.attributes ?? []) {
        const what = `<${d.tagName}> ${a.name}`;
        expect(a.type?.text, what).toMatch(/\S/);
        expect(a.default, what).toMatch(/\S/);
        expect(a.description, what).toMatch(/\S/);
      }
    }
  });

  it('every attribute the source reads by name is observed (the base’s on every element)', () => {
    const literalReads = (file: string) => [...read(file).matchAll(/\bthis\.getAttribute\('([^']+)'\)/g)].map((m) => m[1]!);
    const base = literalReads('web/src/elements/base/element.ts');
    expect(base.sort()).toEqual(expect.arrayContaining(['heading-level', 'theme']));
    for (const { d, source } of elements) {
      const observed = classes.get(d.name)!.observedAttributes;
      for (const name of [...base, ...literalReads(source)]) expect(observed, `${source} reads ${name}`).toContain(name);
    }
  });
});

describe('events, parts and tokens', () => {
  it('events: the bn-* events the element’s source emits, each described', () => {
    for (const { d, source } of elements) {
      const emitted = [...read(source).matchAll(/\bthis\.emit\(\s*'([a-z-]+)'/g)].map((m) => `bn-${m[1]}`);
      expect(names(d.events), `<${d.tagName}> events`).toEqual(unique(emitted));
      for (const e of d.events ?? []) expect(e.description, `<${d.tagName}> ${e.name}`).toMatch(/\S/);
    }
  });

  it('parts: those named in the element’s source and the files it imports, each described', () => {
    const PARTS = ['caption', 'controls', 'plot', 'surface'];
    for (const { d, source } of elements) {
      const named = unique([source, ...runtimeImports(source)].flatMap(partsNamed));
      expect(named.every((p) => PARTS.includes(p)), `${source} names ${named.join(', ')}`).toBe(true);
      expect(names(d.cssParts), `<${d.tagName}> parts`).toEqual(named);
      for (const p of d.cssParts ?? []) expect(p.description, `<${d.tagName}> ${p.name}`).toMatch(/\S/);
    }
  });

  it('custom properties: every --bn-* token theme.css reads, on every element', () => {
    const tokens = unique([...read('web/src/elements/base/theme.css').matchAll(/var\((--bn-[a-z-]+)/g)].map((m) => m[1]!));
    expect(tokens.length).toBeGreaterThan(15);
    for (const { d } of elements) expect(names(d.cssProperties), `<${d.tagName}>`).toEqual(tokens);
  });
});

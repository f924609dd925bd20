// Embedding safety, statically: the built JavaScript, page and element code
// included, runs under a strict Content-Security-Policy and never interprets strings as code or HTML.
//
// Every dist/**/*.js file is parsed with the TypeScript compiler's parser (so strings, template
// literals, comments and method names such as layer.eval() are not mistaken for code) and these are
// reported with file:line:column:
//  - code from strings: direct or indirect eval (eval(...), (0, eval)(...), globalThis.eval),
//    new Function / Function(...), setTimeout/setInterval with a string;
//  - HTML from strings: assignments to innerHTML / outerHTML / srcdoc, insertAdjacentHTML(),
//    document.write/writeln(), createContextualFragment(), setHTMLUnsafe().
// A self-test runs the same scanner on a snippet with every pattern, so a scanner that finds
// nothing because it is broken fails too.
//
// Then dist/index.js's static import graph is listed (it must stay out of the page and element
// code) and the package is imported in a fresh Node with traps on the DOM globals: importing it
// must not throw (no document/window ReferenceError) and must not read any of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'dist');

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (/\.(m?js)$/.test(name)) out.push(p);
  }
  return out.sort();
}

const HTML_SINKS = new Set(['innerHTML', 'outerHTML', 'srcdoc']);
const HTML_CALLS = new Set(['insertAdjacentHTML', 'createContextualFragment', 'setHTMLUnsafe']);
const GLOBALS = new Set(['globalThis', 'window', 'self', 'global', 'frames', 'top', 'parent']);

/** The name of a property access or element access with a string key, else null. */
function memberName(node: ts.Node): string | null {
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) return node.argumentExpression.text;
  return null;
}

function memberObject(node: ts.Node): ts.Expression | null {
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return node.expression;
  return null;
}

/** An identifier used as a value (not a property name, declaration name or label). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return true;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p) ||
       ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p) || ts.isMethodSignature(p) ||
       ts.isPropertySignature(p) || ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p) ||
       ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p) ||
       ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isLabeledStatement(p)) &&
      (p as { name?: ts.Node }).name === id) return false;
  return true;
}

/** Finds every code-from-string and HTML-from-string construct in a JavaScript source. */
function scan(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const src = node.getText(sf).replace(/\s+/g, ' ');
    found.push(`${file}:${line + 1}:${character + 1}: ${what}: ${src.length > 80 ? src.slice(0, 80) + '…' : src}`);
  };
  const visit = (node: ts.Node) => {
    // eval as a value anywhere: eval(x), (0, eval)(x), const e = eval.
    if (ts.isIdentifier(node) && node.text === 'eval' && isReference(node)) report(node, 'eval');
    const name = memberName(node);
    const obj = memberObject(node);
    // globalThis.eval / window['eval'] (but not layer.eval()).
    if (name === 'eval' && obj && ts.isIdentifier(obj) && GLOBALS.has(obj.text)) report(node, 'indirect eval');
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
      const callee = node.expression;
      const calleeName = ts.isIdentifier(callee) ? callee.text : memberName(callee);
      const calleeObj = memberObject(callee);
      const onGlobal = ts.isIdentifier(callee) || (calleeObj !== null && ts.isIdentifier(calleeObj) && GLOBALS.has(calleeObj.text));
      if (calleeName === 'Function' && onGlobal) report(node, ts.isNewExpression(node) ? 'new Function' : 'Function()');
      if ((calleeName === 'setTimeout' || calleeName === 'setInterval') && onGlobal) {
        const first = node.arguments?.[0];
        if (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first) || ts.isBinaryExpression(first)))
          report(node, `${calleeName} with a string`);
      }
      if (ts.isCallExpression(node) && calleeName && HTML_CALLS.has(calleeName)) report(node, calleeName);
      if (ts.isCallExpression(node) && (calleeName === 'write' || calleeName === 'writeln') && calleeObj) {
        const o = calleeObj;
        const objName = ts.isIdentifier(o) ? o.text : memberName(o);
        if (objName === 'document') report(node, `document.${calleeName}`);
      }
    }
    // el.innerHTML = ..., el['outerHTML'] += ..., iframe.srcdoc = ...
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const target = memberName(node.left);
      if (target && HTML_SINKS.has(target)) report(node, `${target} assignment`);
    }
    // Object.defineProperty-free spread/assign forms such as Object.assign(el, { innerHTML }).
    if (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) {
      const key = node.name && (ts.isIdentifier(node.name) || ts.isStringLiteralLike(node.name)) ? node.name.text : null;
      if (key && HTML_SINKS.has(key)) report(node, `${key} in an object literal`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('no code or HTML from strings in dist/**/*.js', () => {
  it('the scanner finds every pattern it looks for (self-test)', () => {
    const snippet = `
      eval('1');
      (0, eval)('2');
      globalThis.eval('3');
      window['eval']('4');
      new Function('return 5');
      Function('return 6')();
      setTimeout('alert(7)', 0);
      el.innerHTML = '<b>8</b>';
      el['outerHTML'] += '9';
      frame.srcdoc = '<p>';
      el.insertAdjacentHTML('beforeend', '<i>10</i>');
      document.write('11');
      window.document.writeln('12');
      range.createContextualFragment('<b>13</b>');
      Object.assign(el, { innerHTML: '14' });
    `;
    const found = scan('snippet.js', snippet);
    expect(found.length, found.join('\n')).toBe(15);
    // ... and none of the look-alikes: methods named eval, text in strings, safe DOM APIs.
    const clean = `
      class Layer { eval() { return this; } }
      model.eval(); bn.eval();
      const code = 'model.eval()  # eval( new Function( el.innerHTML = ';
      const t = \`document.write(\${x})\`;
      el.textContent = '<b>'; el.setAttribute('title', s); el.append(document.createTextNode(s));
      setTimeout(() => run(), 0);
      const o = { evaluate: 1, Function: 2 }; o.Function; Function.prototype.call;
      // eval('comment') new Function() innerHTML =
    `;
    expect(scan('clean.js', clean)).toEqual([]);
  });

  it('the built package, page and elements contain none of them', () => {
    expect(existsSync(join(DIST, 'index.js')), 'dist/ is missing: run npm run build').toBe(true);
    const files = jsFiles(DIST);
    const rel = files.map((f) => relative(ROOT, f));
    // The scan must cover the API, both wasm loaders and the page (its modules and its bundle).
    for (const must of ['dist/index.js', 'dist/wasm/bnlab-simd.js', 'dist/wasm/bnlab-scalar.js', 'dist/page/main.js', 'dist/lesson/lesson.js'])
      expect(rel, `${must} was not scanned`).toContain(must);
    const found = files.flatMap((f) => scan(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(found, `found in the built code:\n${found.join('\n')}`).toEqual([]);
  });
});

/** Relative static imports (import/export ... from) of a module, resolved to absolute paths. */
function staticImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      if (spec.startsWith('.')) out.push(resolve(dirname(file), spec));
    }
  }
  return out;
}

describe('importing the package touches no DOM', () => {
  it("dist/index.js's static import graph stays out of the page and element code", () => {
    const seen = new Set<string>();
    const queue = [join(DIST, 'index.js')];
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      expect(existsSync(f), `${relative(ROOT, f)} is imported but missing`).toBe(true);
      queue.push(...staticImports(f));
    }
    const graph = [...seen].map((f) => relative(ROOT, f)).sort();
    expect(graph).toContain('dist/index.js');
    expect(graph.length).toBeGreaterThan(3);
    const dom = graph.filter((f) => f.startsWith('dist/page/') || f.startsWith('dist/elements/'));
    expect(dom, `the package entry imports DOM code: ${graph.join(', ')}`).toEqual([]);
  });

  it('imports in a fresh Node with no DOM globals, without reading any of them', () => {
    // Traps on the browser globals Node lacks: reading one records where (typeof counts as a read).
    const child = `
      const reads = [];
      const names = ['document', 'window', 'self', 'HTMLElement', 'customElements', 'localStorage',
        'sessionStorage', 'location', 'history', 'Element', 'Node', 'MutationObserver', 'requestAnimationFrame'];
      for (const name of names) {
        if (name in globalThis) continue;
        Object.defineProperty(globalThis, name, {
          configurable: true,
          get() { reads.push(name + ' at ' + (new Error().stack.split('\\n')[2] || '').trim()); return undefined; },
        });
      }
      const api = await import(process.env.BN_INDEX_URL);
      const exported = Object.keys(api).sort();
      process.stdout.write(JSON.stringify({ reads, exported }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, BN_INDEX_URL: pathToFileURL(join(DIST, 'index.js')).href },
    });
    expect(r.status, `import failed: ${r.stderr}`).toBe(0);
    expect(r.stderr).not.toMatch(/ReferenceError|TypeError/);
    const { reads, exported } = JSON.parse(r.stdout) as { reads: string[]; exported: string[] };
    expect(exported).toContain('loadLab');
    expect(reads, `read at import time:\n${reads.join('\n')}`).toEqual([]);
  });
});

// The one-way rules of the code: the imports of web/src (.dependency-cruiser.cjs, run by
// dependency-cruiser itself) and the includes of cpp/ (CPP_BELOW below). Each is checked on the
// real tree, which must have no violation, then on a small tree built to break each rule once,
// which must report exactly those rules (so a rule that can never fire is caught too).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string): Promise<{ modules: number; violations: Violation[] }> {
  const bin = path.join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  // Exit code 1 only means "violations found": the JSON still says which.
  const { stdout } = await run(process.execPath, [bin, 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd, maxBuffer: 64 << 20 })
    .catch((e: { stdout?: string; stderr?: string }) => {
      if (!e.stdout) throw new Error(`dependency-cruiser failed: ${e.stderr}`);
      return { stdout: e.stdout };
    });
  const result = JSON.parse(stdout) as { summary: { totalCruised: number; violations: Violation[] } };
  return { modules: result.summary.totalCruised, violations: result.summary.violations };
}

const describeViolations = (vs: Violation[]) => vs.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).join('\n');

describe('import rules (dependency-cruiser)', () => {
  it('web/src has no cycle, no import of the public entry and no import of a layer above', async () => {
    const { modules, violations } = await cruise(repo);
    expect(modules).toBeGreaterThan(30); // it really read the tree
    expect(describeViolations(violations)).toBe('');
  }, 60_000);

  it('reports each rule on a tree that breaks it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bnlab-layers-'));
    try {
      const files: Record<string, string> = {
        'index.ts': "export { a } from './engine/a.js';\nexport { p } from './page/p.js';\n",
        // engine ↔ engine cycle through a type-only import, and an engine file importing a job.
        'engine/a.ts': "import type { C } from './c.js';\nimport { j } from '../jobs/j.js';\nexport const a = (c: C) => c + j;\n",
        'engine/c.ts': "import { a } from './a.js';\nexport type C = number;\nexport const c = a;\n",
        // A job importing the public entry, and an element file.
        'jobs/j.ts': "import { a } from '../index.js';\nimport { e } from '../elements/e.js';\nexport const j = a.length + e;\n",
        'elements/e.ts': "export const e = 1;\n",
        // The element base importing a particular element, and a name that does not exist.
        'elements/base/b.ts': "import { e } from '../e.js';\nimport { m } from './missing.js';\nexport const b = e + m;\n",
        'page/p.ts': "export const p = 1;\n",
        'wasm/w.ts': "import { a } from '../engine/a.js';\nexport const w = a;\n",
      };
      for (const [name, text] of Object.entries(files)) {
        const file = path.join(dir, 'web/src', name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      await copyFile(path.join(repo, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ES2022', moduleResolution: 'bundler' }, include: ['web/src'] }));
      const { violations } = await cruise(dir);
      const fired = new Set(violations.map((v) => v.rule.name));
      expect([...fired].sort()).toEqual([
        'element-base-below-elements',
        'engine-imports-only-below',
        'entry-imports-engine-and-jobs',
        'jobs-imports-only-below',
        'no-cycles',
        'no-public-entry-inside',
        'no-unresolvable',
        'wasm-imports-only-below',
      ]);
      // The type-only edge a → c closes a cycle of its own.
      const cycles = violations.filter((v) => v.rule.name === 'no-cycles').map((v) => `${v.from} → ${v.to}`);
      expect(cycles).toContain('web/src/engine/a.ts → web/src/engine/c.ts');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// The same one-way rule for the engine: each folder of cpp/ includes only the folders below it,
// and only cpp/bindings/bindings.cpp knows Emscripten (the engine builds natively without it).
const CPP_BELOW: Record<string, string[]> = {
  base: [],
  kernels: [],
  data: ['base'],
  nn: ['base', 'kernels'],
  train: ['base', 'kernels', 'nn'],
  bindings: ['base', 'kernels', 'data', 'nn', 'train'],
};

function cppViolations(files: { path: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const { path: file, text } of files) {
    const folder = file.split('/')[1]!;
    const allowed = CPP_BELOW[folder];
    if (!allowed) { out.push(`${file}: cpp/${folder} is not a known layer`); continue; }
    for (const m of text.matchAll(/^\s*#\s*include\s+([<"])([^>"]+)[>"]/gm)) {
      const [, kind, target] = m as unknown as [string, string, string];
      if (kind === '<') {
        if (/^emscripten\//.test(target) && file !== 'cpp/bindings/bindings.cpp') out.push(`${file} → <${target}>: only bindings.cpp includes Emscripten`);
        continue;
      }
      const to = target.includes('/') ? target.split('/')[0]! : folder;
      if (to !== folder && !allowed.includes(to)) out.push(`${file} → ${target}: cpp/${folder} may include only ${allowed.join(', ') || 'itself'}`);
    }
  }
  return out;
}

describe('include rules (cpp/)', () => {
  it('each folder includes only the ones below it; only bindings.cpp includes Emscripten', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const files: { path: string; text: string }[] = [];
    for (const folder of await readdir(path.join(repo, 'cpp'))) {
      for (const name of await readdir(path.join(repo, 'cpp', folder))) {
        files.push({ path: `cpp/${folder}/${name}`, text: await readFile(path.join(repo, 'cpp', folder, name), 'utf8') });
      }
    }
    expect(files.length).toBeGreaterThan(40);
    expect(cppViolations(files)).toEqual([]);
  });

  it('reports an include of a layer above, an unknown folder and Emscripten outside bindings.cpp', () => {
    expect(cppViolations([
      { path: 'cpp/nn/linear.cpp', text: '#include "train/trainer.h"\n#include "base/status.h"\n#include "linear.h"\n' },
      { path: 'cpp/kernels/x_simd.cpp', text: '#include <emscripten/bind.h>\n#include <cmath>\n' },
      { path: 'cpp/misc/a.h', text: '' },
      { path: 'cpp/bindings/bindings.cpp', text: '#include <emscripten/bind.h>\n#include "train/trainer.h"\n' },
    ])).toEqual([
      'cpp/nn/linear.cpp → train/trainer.h: cpp/nn may include only base, kernels',
      'cpp/kernels/x_simd.cpp → <emscripten/bind.h>: only bindings.cpp includes Emscripten',
      'cpp/misc/a.h: cpp/misc is not a known layer',
    ]);
  });
});

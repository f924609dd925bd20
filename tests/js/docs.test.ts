// The documentation cannot drift from the code:
//  - every deterministic table in docs/ (a block marked `generated, checked:`) equals a fresh run of
//    the command that wrote it, timing columns and prose aside (scripts/lib/report.mjs, stableView);
//  - figure1.mjs --csv labels each run by whether it has BatchNorm;
//  - the JavaScript examples of README.md and docs/API.md run as written against the built package;
//  - relative links resolve, tests/README.md maps every source file to tests that exist, the README
//    stays a front door (≤ 12 KB), and no file points outside the repository.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without types
import { generatedBlocks, stableView } from '../../scripts/lib/report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

interface Block { command: string; checked: boolean; body: string }

describe('generated tables', () => {
  const blocks = docs.flatMap((file) => (generatedBlocks(read(file)) as Block[]).map((b) => ({ file, ...b })));

  it('every block has been written by its command', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(b.body.trim(), `${b.file}: ${b.command} (run npm run docs)`).not.toBe('');
  });

  const checked = blocks.filter((b) => b.checked);
  it('has the deterministic experiments among the checked blocks', () => {
    expect(checked.map((b) => b.command)).toEqual(expect.arrayContaining([
      expect.stringContaining('digits-lr.mjs'), expect.stringContaining('figure1.mjs'), expect.stringContaining('cnn.mjs'),
    ]));
  });

  for (const b of checked) {
    it(`${b.file}: \`${b.command}\` gives the same tables now`, async () => {
      const { stdout } = await run('sh', ['-c', b.command], { cwd: ROOT, maxBuffer: 64 << 20, timeout: 170_000 });
      const fresh = stableView(stdout);
      expect(fresh.split('\n').length, 'the command printed its tables').toBeGreaterThan(5);
      expect(stableView(b.body), `${b.file} is stale: run npm run docs -- --only ${b.command.split(' ')[1]}`).toBe(fresh);
    }, 180_000);
  }

  it('stableView keeps titles and deterministic cells, drops prose and timing columns', () => {
    const md = 'Written on 2026-01-01 in 3.2 s.\n\n**a: test**\n\n| lr | steps | ms to 97% | acc |\n|---:|---:|---:|---:|\n| 0.1 | 200 | 31 | 98.6% |\n';
    expect(stableView(md)).toBe('**a: test**\nlr | steps | acc\n0.1 | 200 | 98.6%');
    expect(stableView(md.replace('| 31 |', '| 57 |'))).toBe(stableView(md));
    expect(stableView(md.replace('98.6%', '98.3%'))).not.toBe(stableView(md));
  });
});

describe('figure1.mjs --csv', () => {
  it('labels the run with BatchNorm bn=1 and the run without bn=0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bn-fig1-'));
    try {
      const csv = join(dir, 'f.csv');
      await run(process.execPath, ['scripts/experiments/figure1.mjs', '--steps', '40', '--dataset', 'digits', '--csv', csv], { cwd: ROOT, timeout: 60_000 });
      const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
      expect(header).toBe('dataset,bn,step,p15,p50,p85');
      const parsed = rows.map((r) => r.split(',')).map(([name, bn, step, p15, p50, p85]) => ({ name, bn, step: Number(step), spread: Number(p85) - Number(p15), p50: Number(p50) }));
      const plain = parsed.filter((r) => r.bn === '0');
      const bn = parsed.filter((r) => r.bn === '1');
      expect(plain.length).toBe(40);
      expect(bn.length).toBe(40);
      expect(new Set(parsed.map((r) => r.name))).toEqual(new Set(['digits']));
      // At step 1 the unit's input without BN is bunched (all inputs alike: spread ≈ 0.01); with BN
      // it is normalised over the batch (spread ≈ 2). A mislabelled file mixes the two.
      expect(plain[0]!.spread).toBeLessThan(0.1);
      expect(bn[0]!.spread).toBeGreaterThan(1);
      expect(plain.every((r) => r.spread < 0.5)).toBe(true);
      expect(bn.every((r) => r.spread > 1)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('examples', () => {
  for (const file of ['README.md', 'docs/API.md']) {
    it(`the JavaScript of ${file} runs as written`, async () => {
      const blocks = [...read(file).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
      expect(blocks.length).toBeGreaterThan(0);
      const entry = pathToFileURL(join(ROOT, 'dist', 'index.js')).href;
      const code = blocks.join('\n').split('\n');
      const imports = code.filter((l) => l.startsWith('import ')).map((l) => l.replace("'batchnorm-lab'", `'${entry}'`));
      for (const l of imports) expect(l, 'examples import only the package').toContain(entry);
      const body = code.filter((l) => !l.startsWith('import '));
      const dir = mkdtempSync(join(tmpdir(), 'bn-example-'));
      try {
        const script = join(dir, 'example.mjs');
        writeFileSync(script, [...imports, ...body, "console.log('example finished');"].join('\n'));
        const { stdout } = await run(process.execPath, [script], { timeout: 90_000 });
        expect(stdout).toContain('example finished');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});

describe('the repository', () => {
  const markdown = tracked.filter((f) => f.endsWith('.md'));

  it('README is a front door: at most 12 KB, the two commands, links into docs/', () => {
    const readme = read('README.md');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
    expect(readme).toMatch(/^npm start\s+#/m);
    expect(readme).toMatch(/^npm test\s+#/m);
    for (const doc of ['API', 'elements', 'experiments', 'performance', 'reliability']) expect(readme).toContain(`(docs/${doc}.md)`);
  });

  it('relative links in the markdown files resolve', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      for (const m of read(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(resolve(ROOT, dirname(file), target))) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('tests/README.md maps every source file to tests that exist', () => {
    const table = read('tests/README.md').split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| the '));
    const patterns: RegExp[] = [];
    const tests = new Set<string>();
    for (const row of table) {
      const [source, covered] = row.split(' | ');
      for (const m of source!.matchAll(/`([^`]+)`/g)) {
        patterns.push(new RegExp(`^${m[1]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
      }
      for (const m of covered!.matchAll(/`(tests\/[^`]+)`/g)) tests.add(m[1]!);
    }
    const sources = tracked.filter((f) => /^(cpp|web\/src)\//.test(f) && !f.includes('/vendor/'));
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.filter((f) => !patterns.some((p) => p.test(f)))).toEqual([]);
    expect([...tests].filter((t) => !existsSync(join(ROOT, t)))).toEqual([]);
    const testFiles = tracked.filter((f) => /^tests\/(js|e2e)\/.*\.test\.ts$|^tests\/cpp\/.*_test\.cpp$/.test(f));
    expect(testFiles.filter((t) => !tests.has(t))).toEqual([]);
  });

  it('no file refers to anything outside the repository', () => {
    const outside = /\.\.\/shared\b|TOOLCHAIN\.md|\bissue #?\d+/i;
    const hits: string[] = [];
    for (const file of tracked) {
      if (file === 'package-lock.json' || file === 'tests/js/docs.test.ts' || /\.(png|wasm|bnds|woff2|json)$/.test(file)) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      text.split('\n').forEach((line, i) => { if (outside.test(line)) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 100)}`); });
    }
    expect(hits).toEqual([]);
  });
});

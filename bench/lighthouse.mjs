// Lighthouse on the lesson page, run by bench/run.mjs in its own node process: Lighthouse 12's
// default (mobile) profile with simulated throttling, Debian's Chromium (CHROME_PATH), the page
// served by scripts/serve.mjs (strict CSP, gzip), a fresh browser per run. Three runs (the lesson's
// performance targets are medians of 3): performance, accessibility and best-practices scores, and total
// blocking time, first contentful paint, largest contentful paint and time to interactive.
// Prints one JSON object on stdout ({ runs: [...], median: {...}, version }).
// Usage: node bench/lighthouse.mjs [--quick] [--runs N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { median } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--runs');
const RUNS = at > 0 ? Number(process.argv[at + 1]) : 3;
const log = (m) => process.stderr.write(`  lighthouse: ${m}\n`);
const CLI = path.join(ROOT, 'node_modules/lighthouse/cli/index.js');
const version = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/lighthouse/package.json'), 'utf8')).version;

const server = await startServer({ port: 0 });
const dir = mkdtempSync(path.join(tmpdir(), 'bnlab-lighthouse-'));
const runs = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(dir, `run-${i}.json`);
    // Asynchronous: the server answering Lighthouse's browser runs in this process.
    const r = await new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [CLI, `${server.url}web/`, '--quiet', '--output=json', `--output-path=${out}`,
        '--only-categories=performance,accessibility,best-practices', '--chrome-flags=--headless=new --no-sandbox'], {
        env: { ...process.env, CHROME_PATH: CHROMIUM_PATH }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      c.stderr.on('data', (d) => (stderr += d));
      c.on('error', reject);
      c.on('close', (status) => resolve({ status, stderr }));
    });
    if (r.status !== 0) throw new Error(`lighthouse exited with ${r.status}: ${r.stderr.split('\n').slice(-3).join(' ')}`);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const a = report.audits;
    const run = {
      performance: report.categories.performance.score,
      accessibility: report.categories.accessibility.score,
      bestPractices: report.categories['best-practices'].score,
      tbt: a['total-blocking-time'].numericValue,
      fcp: a['first-contentful-paint'].numericValue,
      lcp: a['largest-contentful-paint'].numericValue,
      tti: a.interactive.numericValue,
    };
    log(`run ${i + 1}/${RUNS}: performance ${run.performance}, accessibility ${run.accessibility}, best practices ${run.bestPractices}, TBT ${run.tbt.toFixed(0)} ms`);
    runs.push(run);
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
const med = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
console.log(JSON.stringify({ version, runs, median: med }));

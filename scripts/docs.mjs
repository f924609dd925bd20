#!/usr/bin/env node
// `npm run docs`: rewrites every measured table in docs/ with a fresh run of the command that
// measures it. Each generated block of docs/*.md names its command in its opening marker (see
// scripts/lib/report.mjs); this runs each command once and puts its standard output between the
// markers. It also rewrites docs/error-cases.md from the bad-input battery.
//
//   npm run docs [-- --only TEXT] [-- --skip TEXT] [-- --no-build]
//     --only TEXT  only the blocks whose command contains TEXT (e.g. --only digits-lr)
//     --skip TEXT  all blocks but those (e.g. --skip bench: the benchmark takes a few minutes)
//     --no-build   use dist/ as it is
// The blocks marked `checked` are deterministic; tests/js/docs.test.ts fails when they are stale.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedBlocks, replaceBlock } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : null);
const only = value('--only');
const skip = value('--skip');
const wanted = (command) => (!only || command.includes(only)) && (!skip || !command.includes(skip));

function sh(command, env = {}) {
  process.stderr.write(`docs: ${command}\n`);
  const started = Date.now();
  const r = spawnSync('sh', ['-c', command], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${command} failed (exit ${r.status})`);
  process.stderr.write(`docs: done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return r.stdout;
}

if (!argv.includes('--no-build')) sh('npm run build --silent >&2');

const files = readdirSync(`${ROOT}docs`).filter((f) => f.endsWith('.md')).map((f) => `${ROOT}docs/${f}`);
for (const file of files) {
  let text = readFileSync(file, 'utf8');
  // Back to front, so earlier blocks keep their offsets while later ones are replaced.
  for (const block of generatedBlocks(text).reverse()) {
    if (!wanted(block.command)) continue;
    text = replaceBlock(text, block, sh(block.command));
  }
  writeFileSync(file, text);
}
if (wanted('errors.test.ts')) sh('npx vitest run tests/js/errors.test.ts >&2', { BN_WRITE_ERROR_TABLE: '1' });

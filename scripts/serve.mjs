#!/usr/bin/env node
// A tiny static server for the lesson page, with no dependencies so that `npm start` works before
// (and without) any dev tooling. It serves the repository root on 127.0.0.1 only and sends a strict
// Content-Security-Policy on every response, so every run of the page, by a person or by the e2e
// tests, proves that the engine needs no eval, no inline script and no inline style.
//
//   node scripts/serve.mjs [--port N]     (or PORT=N; default 8080; a busy port falls back to a free one)
//   import { startServer } from './serve.mjs'; const { url, close } = await startServer({ port: 0 });
import { createServer } from 'node:http';
import { createReadStream, realpathSync } from 'node:fs';
import { readFile, stat, realpath } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOST = '127.0.0.1';

// Only 'wasm-unsafe-eval' beyond 'self': WebAssembly.instantiate needs it, JS eval does not get it.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

function baseHeaders() {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // A development server: after a rebuild the browser must see the new files, not a cached copy.
    'Cache-Control': 'no-store',
  };
}

function sendText(res, status, text, extra = {}) {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    ...baseHeaders(),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Maps a request path to a file under root, or returns null when the path must be refused:
 * anything that could leave root (`..` in any spelling, NUL, symlinks pointing out) and dot-files
 * (.git, .ci, ...), which are not part of the site. Malformed percent-encoding gives BAD_REQUEST.
 */
const BAD_REQUEST = Symbol('bad request');

async function resolveInside(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return BAD_REQUEST;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  const candidate = path.resolve(root, ...segments);
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null;
  try {
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root + path.sep)) return null;
    return real;
  } catch {
    return candidate; // does not exist: the caller answers 404
  }
}

// Types worth compressing (text and wasm; images and fonts are compressed already).
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|wasm)|image\/svg)/;

function makeHandler(root, home) {
  const gzipped = new Map();
  return async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/' && home) {
        sendText(res, 302, `Found: ${home}`, { Location: home });
        return;
      }
      const file = await resolveInside(root, url.pathname);
      if (file === BAD_REQUEST) {
        sendText(res, 400, 'Bad Request');
        return;
      }
      if (file === null) {
        sendText(res, 403, 'Forbidden');
        return;
      }
      let target = file;
      let info = await stat(target).catch(() => null);
      if (info?.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          // Relative URLs inside an index.html resolve against the directory only with the slash.
          sendText(res, 301, 'Moved Permanently', { Location: `${url.pathname}/${url.search}` });
          return;
        }
        target = path.join(target, 'index.html');
        info = await stat(target).catch(() => null);
      }
      if (!info?.isFile()) {
        sendText(res, 404, 'Not Found');
        return;
      }
      const type = TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
      if (info.size >= 1024 && COMPRESSIBLE.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        // Compressed as a production server would (the page is ~1.2 MB of text and wasm, ~0.35 MB
        // gzipped), once per version of the file.
        const key = `${target}:${info.mtimeMs}:${info.size}`;
        let body = gzipped.get(key);
        if (!body) {
          body = gzipSync(await readFile(target), { level: 6 });
          gzipped.set(key, body);
        }
        res.writeHead(200, { ...baseHeaders(), 'Content-Type': type, 'Content-Encoding': 'gzip', 'Content-Length': body.length, Vary: 'Accept-Encoding' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      res.writeHead(200, {
        ...baseHeaders(),
        'Content-Type': type,
        'Content-Length': info.size,
        Vary: 'Accept-Encoding',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(target);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
      console.error(`serve: ${req.method} ${req.url}: ${err?.message ?? err}`);
    }
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

/**
 * Starts serving `root` (default: the repository) on 127.0.0.1. `port` 0 picks a free port; a busy
 * port falls back to a free one. `home` is where `/` redirects (default `/web/` for the repository,
 * none for another root, whose own index.html is then served).
 * Resolves to `{ url, port, fallback, close }`; `url` is the server's origin with a trailing slash.
 */
export async function startServer({ port = 8080, root = REPO_ROOT, home } = {}) {
  const absRoot = realpathSync(path.resolve(root));
  const redirect = home === undefined ? (absRoot === realpathSync(REPO_ROOT) ? '/web/' : null) : home;
  const server = createServer(makeHandler(absRoot, redirect));
  let actual;
  let fallback = false;
  try {
    actual = await listen(server, port);
  } catch (err) {
    if (err?.code !== 'EADDRINUSE' || port === 0) throw err;
    actual = await listen(server, 0);
    fallback = true;
  }
  const url = `http://${HOST}:${actual}/`;
  return {
    url,
    port: actual,
    fallback,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Browsers keep connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

function parsePort(argv, env) {
  let value = env.PORT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') value = argv[++i];
    else if (arg.startsWith('--port=')) value = arg.slice('--port='.length);
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node scripts/serve.mjs [--port N]   (or PORT=N; default 8080)');
      process.exit(0);
    } else {
      console.error(`serve: unknown argument ${arg}`);
      process.exit(2);
    }
  }
  if (value === undefined || value === '') return 8080;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`serve: port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const port = parsePort(process.argv.slice(2), process.env);
  const server = await startServer({ port });
  if (server.fallback) console.error(`serve: port ${port} is busy; using ${server.port} instead`);
  if (!(await stat(path.join(REPO_ROOT, 'dist', 'index.js')).catch(() => null))) {
    console.error('serve: dist/ is not built yet; run `npm run build` (or `npm start`) first');
  }
  console.log(`batchnorm-lab lesson: ${server.url}web/`);
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const invokedDirectly = (() => {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main().catch((err) => {
    console.error(`serve: ${err?.message ?? err}`);
    process.exit(1);
  });
}

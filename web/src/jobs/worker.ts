// The training worker: a module Web Worker in browsers, a worker_threads Worker in Node.
// It serves jobs with serve.ts's jobServer (runJob(), the same code as in-thread runs): its own
// lab, streamed progress, and between chunks a turn of its message loop, so pause, resume and
// cancel arrive.
import { jobServer, type WorkerReply, type WorkerRequest } from './serve.js';

export type { WorkerReply, WorkerRequest } from './serve.js';

interface Port {
  post(message: WorkerReply): void;
  listen(handler: (message: WorkerRequest) => void): void;
}

async function port(): Promise<Port> {
  const scope = globalThis as unknown as { postMessage?: (m: unknown) => void; addEventListener?: unknown; WorkerGlobalScope?: unknown };
  if (typeof scope.WorkerGlobalScope !== 'undefined') {
    const self = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: WorkerRequest }) => void) | null };
    return { post: (m) => self.postMessage(m), listen: (h) => { self.onmessage = (e) => h(e.data); } };
  }
  const name = 'node:worker_threads';
  const { parentPort } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as {
    parentPort: { postMessage(m: unknown): void; on(ev: 'message', h: (m: WorkerRequest) => void): void } | null;
  };
  if (!parentPort) throw new Error('batchnorm-lab worker.js must be started as a worker');
  return { post: (m) => parentPort.postMessage(m), listen: (h) => parentPort.on('message', h) };
}

// No top-level await: bundlers build workers as classic scripts by default (Vite: iife), which
// cannot hold one. Messages that arrive before the listener are queued (the listener is set in a
// microtask, before any message task runs; worker_threads buffers until a listener exists).
void port().then((io) => {
  const server = jobServer((reply) => io.post(reply));
  io.listen((message) => server.receive(message));
});

// The training worker: a module Web Worker in browsers, a worker_threads Worker in Node.
// It loads its own lab, runs jobs with runJob() (the same code as in-thread runs) and streams
// progress; between chunks it yields to its message loop, so pause, resume and cancel arrive.
import { progressFields, runJob, type ProgressFields, type TrainingJob } from './job.js';
import { loadLab, type Lab } from '../engine/lab.js';

/** main → worker */
export type WorkerRequest =
  | { type: 'run'; id: number; job: TrainingJob; simd?: boolean }
  | { type: 'pause' | 'resume' | 'cancel'; id: number };

/** worker → main */
export type WorkerReply =
  | ({ type: 'progress'; id: number } & ProgressFields)
  | { type: 'done'; id: number; result: import('./job.js').TrainingResult }
  | { type: 'error'; id: number; name: string; message: string };

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

const labs = new Map<boolean, Promise<Lab>>();
const controls = new Map<number, { paused: boolean; cancelled: boolean; wake?: () => void }>();

// No top-level await: bundlers build workers as classic scripts by default (Vite: iife), which
// cannot hold one. Messages that arrive before the listener are queued (the listener is set in a
// microtask, before any message task runs; worker_threads buffers until a listener exists).
void port().then((io) => io.listen((msg) => {
  if (msg.type !== 'run') {
    const c = controls.get(msg.id);
    if (!c) return;
    if (msg.type === 'pause') c.paused = true;
    if (msg.type === 'resume') c.paused = false;
    if (msg.type === 'cancel') c.cancelled = true;
    c.wake?.();
    return;
  }
  const { id, job } = msg;
  const control = { paused: false, cancelled: false } as { paused: boolean; cancelled: boolean; wake?: () => void };
  controls.set(id, control);
  const simd = msg.simd;
  if (!labs.has(simd ?? true)) labs.set(simd ?? true, loadLab(simd === undefined ? undefined : { simd }));
  labs
    .get(simd ?? true)!
    .then((lab) =>
      runJob(lab, job, {
        onProgress: (p) =>
          io.post({ type: 'progress', id, ...progressFields(p) }),
        between: async () => {
          // A macrotask turn lets queued messages in; while paused, sleep until one wakes us.
          await new Promise((r) => setTimeout(r, 0));
          while (control.paused && !control.cancelled) await new Promise<void>((r) => (control.wake = r));
          return control.cancelled;
        },
      }),
    )
    .then((result) => io.post({ type: 'done', id, result }))
    .catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      io.post({ type: 'error', id, name: err.name, message: err.message });
    })
    .finally(() => controls.delete(id));
}));

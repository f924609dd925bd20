// Running training jobs off the main thread: one job in one worker (with progress, pause,
// resume, cancel), or a sweep of jobs over a pool of workers, one per core.
import type { ProgressFields, TrainingJob, TrainingProgress, TrainingResult } from './job.js';
import { jobServer, type WorkerReply, type WorkerRequest } from './serve.js';

interface WorkerLike {
  post(message: WorkerRequest): void;
  onReply(handler: (reply: WorkerReply) => void): void;
  /** The worker died or could not start (a missing or broken script, a failed import). */
  onFailure(handler: (error: Error) => void): void;
  terminate(): void;
}

const failure = (detail: string) => new Error(`the training worker failed: ${detail}`);

// Which kind of worker, decided by what the runtime has, never by the URL scheme of
// import.meta.url (webpack rewrites it to the build machine's file:/// path in browser bundles).
const isNode = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';
const hasWebWorkers = typeof Worker === 'function' && !isNode;

// The worker script's URL, for the two paths that cannot use the bundler-visible literal below:
// Node's worker_threads and the cross-origin start. Not a literal, so bundlers do not ship the
// unbundled script a second time; webpackIgnore also keeps webpack from warning about it and from
// writing the build machine's file:/// path of this module into the bundle.
const WORKER_SCRIPT = './worker.js';
const workerUrl = () => new URL(/* webpackIgnore: true */ WORKER_SCRIPT, import.meta.url);

function webWorker(w: Worker): WorkerLike {
  return {
    post: (m) => w.postMessage(m),
    onReply: (h) => w.addEventListener('message', (e: MessageEvent<WorkerReply>) => h(e.data)),
    onFailure: (h) => {
      // A script that cannot load or throws reports an ErrorEvent (message empty for a load failure).
      w.addEventListener('error', (e: ErrorEvent) => h(failure(e.message || 'its script could not be loaded')));
      w.addEventListener('messageerror', () => h(failure('a message could not be deserialised')));
    },
    terminate: () => w.terminate(),
  };
}

/** Is `error` the browser refusing a worker script from another origin? */
function isSecurityError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'SecurityError';
}

/**
 * The package loaded from another origin (a CDN): browsers start workers only from same-origin
 * scripts, so start one from a same-origin blob: module that imports the real worker (CDNs send
 * CORS headers). Resolves once the worker script has loaded, or null when it could not.
 */
function crossOriginWorker(): Promise<WorkerLike | null> {
  let blobUrl: string;
  let w: Worker;
  try {
    const href = JSON.stringify(workerUrl().href);
    const source = `import(${href}).then(() => postMessage({ type: 'bnlab-ready' }), (e) => postMessage({ type: 'bnlab-failed', message: String(e) }));\n`;
    blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    w = new Worker(blobUrl, { type: 'module' });
  } catch {
    return Promise.resolve(null); // no blob: workers either (a CSP without worker-src blob:)
  }
  return new Promise((resolve) => {
    const settle = (ok: boolean) => {
      w.removeEventListener('message', first);
      w.removeEventListener('error', failed);
      URL.revokeObjectURL(blobUrl);
      if (!ok) w.terminate();
      resolve(ok ? webWorker(w) : null);
    };
    const first = (e: MessageEvent<{ type?: unknown }>) => settle(e.data?.type === 'bnlab-ready');
    const failed = (e: Event) => {
      e.preventDefault();
      settle(false);
    };
    w.addEventListener('message', first);
    w.addEventListener('error', failed);
  });
}

/**
 * A stand-in worker in the calling thread, for browsers that cannot start a worker from the
 * package's script at all: the same messages, the same runJob() as worker.js, so the same
 * results; the page's own thread does the work between chunks.
 */
function threadWorker(): WorkerLike {
  const replies: ((r: WorkerReply) => void)[] = [];
  const server = jobServer((r) => replies.forEach((h) => h(r)));
  return {
    post: (message) => {
      // A copy, as postMessage makes: the same errors for jobs that are not plain data, and the
      // caller's later changes to its job do not reach the run. Delivered in a later task, as a
      // worker's message would be.
      const m = structuredClone(message);
      setTimeout(() => server.receive(m), 0);
    },
    onReply: (h) => replies.push(h),
    onFailure: () => {},
    terminate: () => server.cancelAll(),
  };
}

async function spawn(): Promise<WorkerLike> {
  if (hasWebWorkers) {
    try {
      // Written out in one expression: bundlers (Vite, webpack, rollup) recognise exactly
      // `new Worker(new URL('…', import.meta.url))` and bundle the worker with its imports.
      return webWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
    } catch (e) {
      if (!isSecurityError(e)) throw e;
      return (await crossOriginWorker()) ?? threadWorker();
    }
  }
  const name = 'node:worker_threads';
  const { Worker: NodeWorker } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as {
    Worker: new (u: URL) => {
      postMessage(m: unknown): void;
      on(ev: 'message', h: (m: WorkerReply) => void): void;
      on(ev: 'error', h: (e: Error) => void): void;
      on(ev: 'exit', h: (code: number) => void): void;
      terminate(): Promise<number>;
    };
  };
  const w = new NodeWorker(workerUrl());
  let terminated = false;
  return {
    post: (m) => w.postMessage(m),
    onReply: (h) => w.on('message', h),
    onFailure: (h) => {
      w.on('error', (e) => h(failure(e.message)));
      w.on('exit', (code) => {
        if (!terminated) h(failure(`it exited with code ${code}`));
      });
    },
    terminate: () => {
      terminated = true;
      void w.terminate();
    },
  };
}

/** A job running in a worker. */
export interface TrainingTask {
  /** Resolves with the whole run's metrics (also when cancelled: `cancelled` is then true). */
  readonly result: Promise<TrainingResult>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

export interface WorkerOptions {
  /** Called after each chunk with the step reached, the chunk's losses and evaluations (and landscape points). */
  onProgress?: (p: Pick<TrainingProgress, 'label'> & ProgressFields) => void;
  /** Force the SIMD (true) or scalar (false) build in the worker. */
  simd?: boolean;
}

let nextId = 1;

function start(worker: WorkerLike, job: TrainingJob, opts: WorkerOptions, listeners: Map<number, (r: WorkerReply) => void>): TrainingTask {
  const id = nextId++;
  const result = new Promise<TrainingResult>((resolve, reject) => {
    listeners.set(id, (r) => {
      if (r.type === 'progress') {
        try {
          opts.onProgress?.({
            label: job.label, step: r.step, total: r.total, loss: r.loss, evalSteps: r.evalSteps, evalAccuracy: r.evalAccuracy,
            ...(r.landscape ? { landscape: r.landscape } : {}),
          });
        } catch (e) {
          // The caller's callback failed: the task fails with that error (never an uncaught
          // exception in this listener), and the run stops.
          listeners.delete(id);
          worker.post({ type: 'cancel', id });
          reject(e);
        }
      } else if (r.type === 'done') {
        listeners.delete(id);
        resolve(r.result);
      } else {
        listeners.delete(id);
        const E = r.name === 'TypeError' ? TypeError : r.name === 'RangeError' ? RangeError : Error;
        reject(new E(r.message));
      }
    });
  });
  try {
    worker.post({ type: 'run', id, job, ...(opts.simd === undefined ? {} : { simd: opts.simd }) });
  } catch (e) {
    // A job holding something structured clone cannot copy (a function, a DOM node, a class
    // instance with private state): nothing was sent, so nothing will answer.
    listeners.delete(id);
    throw new TypeError(`job cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)} (a job must be plain data)`);
  }
  return {
    result,
    pause: () => worker.post({ type: 'pause', id }),
    resume: () => worker.post({ type: 'resume', id }),
    cancel: () => worker.post({ type: 'cancel', id }),
  };
}

async function pool(size: number) {
  const workers = await Promise.all(Array.from({ length: size }, spawn));
  const listeners = new Map<number, (r: WorkerReply) => void>();
  for (const w of workers) {
    w.onReply((r) => listeners.get(r.id)?.(r));
    // A dead worker answers nothing: fail every job still waiting (jobs of a sweep share its
    // pool), instead of leaving their promises pending forever.
    w.onFailure((e) => {
      for (const [id, listener] of [...listeners]) listener({ type: 'error', id, name: 'Error', message: e.message });
    });
  }
  return { workers, listeners, close: () => workers.forEach((w) => w.terminate()) };
}

/** Trains one job in a new worker; the worker ends when the job does. */
export async function trainInWorker(job: TrainingJob, opts: WorkerOptions = {}): Promise<TrainingTask> {
  const p = await pool(1);
  let task: TrainingTask;
  try {
    task = start(p.workers[0]!, job, opts, p.listeners);
  } catch (e) {
    p.close(); // the worker ends with the failed call
    throw e;
  }
  task.result.then(p.close, p.close);
  return task;
}

export interface SweepOptions extends WorkerOptions {
  /** Workers to run in parallel (default: the number of cores). */
  workers?: number;
  /** Called when each job finishes, with its index in `jobs`. */
  onResult?: (index: number, result: TrainingResult) => void;
  /**
   * Stops the sweep when aborted: the running jobs stop after their current chunk (their results
   * say `cancelled`), no further job starts, and the sweep resolves with the results of the jobs
   * that had started, in job order (the first k jobs).
   */
  signal?: AbortSignal;
}

function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 2;
}

/** Runs every job, as many at a time as there are workers, and returns results in job order. */
export async function sweep(jobs: readonly TrainingJob[], opts: SweepOptions = {}): Promise<TrainingResult[]> {
  if (!Array.isArray(jobs)) throw new TypeError('jobs must be an array of TrainingJob');
  const size = Math.max(1, Math.min(jobs.length, opts.workers ?? cores()));
  if (!Number.isInteger(size)) throw new TypeError('opts.workers must be an integer');
  const signal = opts.signal;
  if (signal !== undefined && !(typeof AbortSignal !== 'undefined' && signal instanceof AbortSignal)) {
    throw new TypeError('opts.signal must be an AbortSignal');
  }
  if (signal?.aborted) return [];
  const p = await pool(size);
  const results: TrainingResult[] = new Array(jobs.length);
  const running = new Set<TrainingTask>();
  const stop = () => running.forEach((t) => t.cancel());
  signal?.addEventListener('abort', stop);
  let next = 0;
  let failed = false; // after the first failure no worker takes another job
  try {
    await Promise.all(
      p.workers.map(async (w) => {
        while (next < jobs.length && !failed && !signal?.aborted) {
          const index = next++;
          const task = start(w, jobs[index]!, opts, p.listeners);
          running.add(task);
          try {
            results[index] = await task.result;
          } catch (e) {
            failed = true;
            throw e;
          } finally {
            running.delete(task);
          }
          opts.onResult?.(index, results[index]!);
        }
      }),
    );
    // Aborted: the jobs that started are the first `next`.
    return signal?.aborted ? results.slice(0, next) : results;
  } finally {
    signal?.removeEventListener('abort', stop);
    p.close();
  }
}

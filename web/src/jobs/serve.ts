// The job side of the worker protocol: runs the `run` requests it receives with runJob(), one lab
// per build, streams progress, and honours pause, resume and cancel between chunks. worker.ts
// serves it over a worker's port; pool.ts serves it on the calling thread where no worker can
// start. One implementation, so a job gives the same messages and results either way.
import { progressFields, runJob, type ProgressFields, type TrainingJob, type TrainingResult } from './job.js';
import { loadLab, type Lab } from '../engine/lab.js';

/** main → worker */
export type WorkerRequest =
  | { type: 'run'; id: number; job: TrainingJob; simd?: boolean }
  | { type: 'pause' | 'resume' | 'cancel'; id: number };

/** worker → main */
export type WorkerReply =
  | ({ type: 'progress'; id: number } & ProgressFields)
  | { type: 'done'; id: number; result: TrainingResult }
  | { type: 'error'; id: number; name: string; message: string };

interface Control {
  paused: boolean;
  cancelled: boolean;
  wake?: () => void;
}

/** A job server that answers through `post`: hand it every request with receive(). */
export function jobServer(post: (reply: WorkerReply) => void): { receive(message: WorkerRequest): void; cancelAll(): void } {
  const labs = new Map<boolean, Promise<Lab>>();
  const controls = new Map<number, Control>();
  const run = async (id: number, job: TrainingJob, simd: boolean | undefined) => {
    const control: Control = { paused: false, cancelled: false };
    controls.set(id, control);
    try {
      if (!labs.has(simd ?? true)) labs.set(simd ?? true, loadLab(simd === undefined ? undefined : { simd }));
      const result = await runJob(await labs.get(simd ?? true)!, job, {
        onProgress: (p) => post({ type: 'progress', id, ...progressFields(p) }),
        between: async () => {
          // A macrotask turn lets queued messages in; while paused, sleep until one wakes us.
          await new Promise((r) => setTimeout(r, 0));
          while (control.paused && !control.cancelled) await new Promise<void>((r) => (control.wake = r));
          return control.cancelled;
        },
      });
      post({ type: 'done', id, result });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', id, name: err.name, message: err.message });
    } finally {
      controls.delete(id);
    }
  };
  return {
    receive(message) {
      if (message.type === 'run') {
        void run(message.id, message.job, message.simd);
        return;
      }
      const c = controls.get(message.id);
      if (!c) return;
      if (message.type === 'pause') c.paused = true;
      if (message.type === 'resume') c.paused = false;
      if (message.type === 'cancel') c.cancelled = true;
      c.wake?.();
    },
    cancelAll() {
      for (const c of controls.values()) {
        c.cancelled = true;
        c.wake?.();
      }
    },
  };
}

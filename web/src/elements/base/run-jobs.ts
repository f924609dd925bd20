// How the engine-driven elements run their training jobs: on the page's workers (sweep()), or,
// where no worker can start, on this thread (runJobsInThread()); either way the run stops after
// the chunk at which `stop` first says so, and progress comes in one shape.
import type { Lab } from '../../engine/lab.js';
import { progressFields, runJobsInThread, type ProgressFields, type TrainingJob, type TrainingResult } from '../../jobs/job.js';
import { sweep } from '../../jobs/pool.js';

/** A progress report from either path. */
export type JobProgress = { label?: string } & ProgressFields;

export function runJobs(
  lab: Lab,
  jobs: readonly TrainingJob[],
  o: { stop: () => boolean; onProgress: (p: JobProgress) => void; workers?: number },
): Promise<TrainingResult[]> {
  if (typeof Worker === 'undefined') {
    return runJobsInThread(lab, jobs, { stop: o.stop, onProgress: (p) => o.onProgress({ label: p.label, ...progressFields(p) }) });
  }
  // The workers are asked to stop at the same points the in-thread run checks: after each chunk.
  const stopped = new AbortController();
  const onProgress = (p: JobProgress) => {
    if (o.stop()) stopped.abort();
    else o.onProgress(p);
  };
  return sweep(jobs, { onProgress, signal: stopped.signal, ...(o.workers === undefined ? {} : { workers: o.workers }) });
}

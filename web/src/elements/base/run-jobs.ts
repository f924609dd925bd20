// How the engine-driven elements run their training jobs: on the page's workers (sweep()), or,
// where no worker can start, on this thread (runJobsInThread(), which stops between chunks once
// `stop` says so), reporting progress in one shape either way.
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
  return sweep(jobs, { onProgress: o.onProgress, ...(o.workers === undefined ? {} : { workers: o.workers }) });
}

// How the engine-driven elements run their training jobs: on the page's workers (sweep()), or,
// where no worker can start, on this thread (runJobsInThread()); either way the run stops after
// the chunk at which `stop` first says so, and progress comes in one shape. RunControl is the
// button, progress bar and status line of the elements that train on demand.
import type { Lab } from '../../engine/lab.js';
import { progressFields, runJobsInThread, type ProgressFields, type TrainingJob, type TrainingResult } from '../../jobs/job.js';
import { sweep } from '../../jobs/pool.js';
import { el } from './dom.js';

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

/** One run of an element's jobs, as RunControl.begin() hands it out. */
export interface Run {
  /** True once the run was cancelled, ended or replaced by a newer one: what it reports is dropped. */
  stale(): boolean;
  /** The job `label` reached `step`: the bar shows the steps of all the run's jobs so far, returned. */
  advance(label: string | undefined, step: number): number;
}

/**
 * The controls every element that trains on demand shares (<bn-cnn>, <bn-landscape>,
 * <bn-small-batches>, <bn-placement>): the button that starts a run and, while it runs, cancels
 * it; the progress bar; the status line; and which run is the current one, so that a cancelled
 * run's late reports change nothing.
 */
export class RunControl {
  readonly button = el('button');
  readonly progress = el('progress');
  readonly status: HTMLParagraphElement;
  private generation = 0;
  private active = false;

  constructor(
    statusClass: string,
    private readonly labels: { start: string; again: string },
    idle: string,
    on: { run: () => void; cancel: () => void },
  ) {
    this.button.type = 'button';
    this.button.textContent = labels.start;
    this.button.addEventListener('click', () => (this.active ? on.cancel() : on.run()));
    this.progress.hidden = true;
    this.progress.setAttribute('aria-label', 'Training progress');
    this.status = el('p', statusClass, idle);
    this.status.setAttribute('role', 'status');
  }

  /** Whether a run is under way. */
  get running(): boolean {
    return this.active;
  }

  /** Starts a run of `totalSteps` steps in all: the button now cancels, the bar shows. */
  begin(totalSteps: number, status?: string): Run {
    const gen = ++this.generation;
    this.active = true;
    this.button.textContent = 'Cancel';
    this.progress.hidden = false;
    this.progress.max = totalSteps;
    this.progress.value = 0;
    if (status !== undefined) this.status.textContent = status;
    const at = new Map<string, number>();
    return {
      stale: () => gen !== this.generation,
      advance: (label, step) => {
        at.set(label ?? '', step);
        let sum = 0;
        for (const v of at.values()) sum += v;
        this.progress.value = sum;
        return sum;
      },
    };
  }

  /**
   * Ends the current run (finished, failed or cancelled): the button offers to run again when
   * there are results (`done`), the bar hides, and the run's later reports are stale.
   */
  end(done: boolean, status?: string): void {
    this.generation++;
    this.active = false;
    this.button.textContent = done ? this.labels.again : this.labels.start;
    this.progress.hidden = true;
    if (status !== undefined) this.status.textContent = status;
  }
}

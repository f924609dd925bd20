// The page's one engine instance, shared by every element on it (loaded on first use).
import { loadLab, type Lab } from '../../engine/lab.js';

let labPromise: Promise<Lab> | null = null;

/** The page's engine instance, shared by all elements (SIMD build where supported). */
export function pageLab(): Promise<Lab> {
  labPromise ??= loadLab();
  return labPromise;
}

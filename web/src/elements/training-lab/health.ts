// What the training lab says when a network has stopped learning: from the histogram of each
// hidden layer's activation inputs in the last training batch (Trainer.histograms), the share of
// ReLUs that output 0 and of sigmoid/tanh units in their flat tails; and from the test accuracy,
// whether the network does better than guessing.
import { fmt } from '../base/format.js';

/** The histogram the lab asks for: bins of 0.1 over [−10, 10) (values outside go to the end bins). */
export const HEALTH_BINS = 200;
export const HEALTH_LO = -10;
export const HEALTH_HI = 10;
/** |x| beyond this is a flat tail: sigmoid′ < 0.0067, tanh′ < 0.00019. */
export const SATURATION = 5;

/** One hidden layer in the last training batch: shares of its activation inputs. */
export interface LayerHealth {
  /** Below 0: a ReLU outputs 0 there and passes no gradient. */
  negative: number;
  /** Beyond ±SATURATION: a sigmoid or tanh is flat there and passes almost no gradient. */
  saturated: number;
}

/** Per hidden layer, from `layers` histograms of HEALTH_BINS bins over [HEALTH_LO, HEALTH_HI). */
export function layerHealth(hist: Float32Array, layers: number): LayerHealth[] {
  const width = (HEALTH_HI - HEALTH_LO) / HEALTH_BINS;
  const zeroBin = Math.round(-HEALTH_LO / width);
  const lowTail = Math.round((-SATURATION - HEALTH_LO) / width);
  const highTail = Math.round((SATURATION - HEALTH_LO) / width);
  const out: LayerHealth[] = [];
  for (let l = 0; l < layers; l++) {
    let total = 0;
    let negative = 0;
    let saturated = 0;
    for (let b = 0; b < HEALTH_BINS; b++) {
      const c = hist[l * HEALTH_BINS + b]!;
      total += c;
      if (b < zeroBin) negative += c;
      if (b < lowTail || b >= highTail) saturated += c;
    }
    out.push(total > 0 ? { negative: negative / total, saturated: saturated / total } : { negative: 0, saturated: 0 });
  }
  return out;
}

/** What the panel of a run says, or '' while nothing is wrong. */
export function diagnose(opts: {
  activation: 'relu' | 'sigmoid' | 'tanh';
  health: readonly LayerHealth[];
  /** The latest test accuracy, or null before the first evaluation. */
  accuracy: number | null;
  /** The accuracy of guessing: 1 / classes. */
  chance: number;
  step: number;
}): string {
  const { activation, health, accuracy, chance, step } = opts;
  const parts: string[] = [];
  const pct = (x: number) => `${fmt(100 * x, 0)}%`;
  const layers = (pick: (h: LayerHealth) => number, min: number) =>
    health.map((h, i) => ({ i: i + 1, v: pick(h) })).filter((x) => x.v >= min);
  if (accuracy !== null && step >= 200 && accuracy <= chance + 0.03) {
    parts.push(`Stuck at chance: test accuracy ${pct(accuracy)}, what guessing gets.`);
  }
  if (activation === 'relu') {
    const dead = layers((h) => h.negative, 0.99);
    if (dead.length) {
      parts.push(`Dead ReLUs: ${dead.map((d) => `layer ${d.i} (${pct(d.v)} of its inputs below 0)`).join(', ')}; they output 0 and pass no gradient back, so the layers below them stop learning.`);
    }
  } else {
    const flat = layers((h) => h.saturated, 0.9);
    if (flat.length) {
      const name = activation === 'sigmoid' ? 'sigmoids' : 'tanh units';
      parts.push(`Saturated ${name}: ${flat.map((d) => `layer ${d.i} (${pct(d.v)} of its inputs beyond ±${SATURATION})`).join(', ')}; their slope there is almost 0, so almost no gradient passes.`);
    }
  }
  return parts.join(' ');
}

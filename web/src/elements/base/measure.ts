// The pure parts of <bn-batch-noise> and <bn-placement>: seeded sampling of mini-batches, and
// the words of the placement verdict. No DOM and no engine (the statistics themselves come from
// the engine, in the elements), so tests/js/measure.test.ts runs these in Node.


/** One generator per (seed, batch size), so adding or removing a size leaves the others' batches alone. */
export function batchSeed(seed: number, size: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(size >>> 0, 0x85ebca6b)) >>> 0;
}

/**
 * Draws mini-batches of `m` indices out of N examples that all contain `example`: the example
 * first, then m − 1 distinct others, uniformly at random (a partial Fisher–Yates shuffle).
 */
export class BatchDrawer {
  private readonly others: Int32Array;

  constructor(readonly n: number, readonly example: number, private readonly uniform: () => number) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`n must be an integer >= 2, got ${n}`);
    if (!Number.isInteger(example) || example < 0 || example >= n) throw new RangeError(`example must be an index in [0, ${n}), got ${example}`);
    this.others = new Int32Array(n - 1);
    for (let i = 0, j = 0; i < n; i++) if (i !== example) this.others[j++] = i;
  }

  /** The indices of one batch of m examples (2 ≤ m ≤ N), the example's own index first. */
  draw(m: number): Int32Array {
    if (!Number.isInteger(m) || m < 2 || m > this.n) throw new RangeError(`m must be an integer in [2, ${this.n}], got ${m}`);
    const out = new Int32Array(m);
    out[0] = this.example;
    const o = this.others;
    for (let i = 0; i < m - 1; i++) {
      const j = i + Math.floor(this.uniform() * (o.length - i));
      const t = o[i]!;
      o[i] = o[j]!;
      o[j] = t;
      out[i + 1] = o[i]!;
    }
    return out;
  }
}

/** Formats a number the way the page writes it (U+2212 minus). */
export type Format = (x: number, digits?: number) => string;

/** One placement's result on one metric over the seeds (the mean and spread come from the engine). */
export interface Summary {
  /** e.g. "Linear → BN → ReLU". */
  name: string;
  /** Mean over the seeds that finished without diverging. */
  mean: number;
  /** Sample standard deviation over those seeds (0 with a single seed). */
  sd: number;
}

/** How a metric is read and written. */
export interface Metric {
  /** e.g. "test accuracy". */
  label: string;
  /** true for accuracy, false for loss. */
  higherIsBetter: boolean;
  /** Display multiplier (100 for a percentage). */
  scale: number;
  /** Written after a value ("%" or ""). */
  unit: string;
  /** What a difference is called ("points" for percentages, "" for plain numbers). */
  gapUnit: string;
  /** Decimals shown. */
  digits: number;
}

export interface Verdict {
  /** 0 when `a` did better, 1 when `b` did, null on a tie. */
  better: 0 | 1 | null;
  /** |mean a − mean b| in display units, between the means as printed. */
  gap: number;
  /** The larger of the two standard deviations over seeds, in display units. */
  spread: number;
  /** Whether the gap is no larger than that spread (the seeds disagree more than the placements do). */
  within: boolean;
  /** The verdict in one sentence. */
  text: string;
}

/**
 * Which placement did better on `metric` and whether that is more than seed-to-seed noise.
 * `wins` counts, per placement, the seeds on which it beat the other one (paired: same seed,
 * same data, same initial weights).
 */
export function placementVerdict(a: Summary, b: Summary, wins: [number, number], seeds: number, metric: Metric, format: Format): Verdict {
  const s = metric.scale;
  // The sentence's arithmetic must add up as printed: the gap is between the rounded means.
  const shown = (x: number) => Number((x * s).toFixed(metric.digits));
  const show = (x: number) => `${format(shown(x), metric.digits)}${metric.unit}`;
  const gap = Math.abs(shown(a.mean) - shown(b.mean));
  const spread = Math.max(a.sd, b.sd) * s;
  const units = (x: number) => `${format(x, metric.digits)}${metric.gapUnit ? ` ${metric.gapUnit}` : ''}`;
  if (Number(gap.toFixed(metric.digits)) === 0) {
    return {
      better: null, gap: 0, spread, within: true,
      text: `Both placements ended at the same mean ${metric.label}, ${show(a.mean)}, over ${seeds} seeds.`,
    };
  }
  const aBetter = metric.higherIsBetter ? a.mean > b.mean : a.mean < b.mean;
  const [w, l] = aBetter ? [a, b] : [b, a];
  const won = wins[aBetter ? 0 : 1];
  const within = gap <= spread;
  const head = `${w.name} came out ahead: ${show(w.mean)} mean ${metric.label} against ${show(l.mean)} for ${l.name} (better on ${won} of ${seeds} seeds)`;
  const tail = within
    ? `, a gap of ${units(gap)} that is within the seed-to-seed spread (standard deviation up to ${units(spread)}), so these runs cannot really tell the two apart.`
    : `, a gap of ${units(gap)}, larger than the seed-to-seed spread (standard deviation up to ${units(spread)}).`;
  return { better: aBetter ? 0 : 1, gap, spread, within, text: head + tail };
}

/** 1, 2 or 5 times a power of ten, at least `raw` (> 0): a tick step. */
export function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const k of [1, 2, 5]) if (k * p >= raw * (1 - 1e-9)) return k * p;
  return 10 * p;
}

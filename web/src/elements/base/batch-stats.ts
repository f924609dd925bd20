// One engine call the lesson's elements share: BatchNorm1d(1) on a batch of single values.
import type { Lab } from '../../engine/lab.js';

/** What one BatchNorm1d(1) training-mode forward says about a batch of single values. */
export interface BatchStats {
  /** μ_B, the batch mean (lastBatchMean). */
  mean: number;
  /** σ²_B, the biased batch variance (lastBatchVar). */
  variance: number;
  /** x̂, normalised with γ = 1, β = 0. */
  xhat: Float32Array;
  /** y = γ·x̂ + β with the given γ and β. */
  y: Float32Array;
}

/** Runs the engine's BatchNorm1d(1) in training mode on `values`: once with γ = 1, β = 0 (x̂), once with γ, β (y). */
export function batchStats(lab: Lab, values: readonly number[], gamma = 1, beta = 0, eps = 1e-5): BatchStats {
  const bn = new lab.BatchNorm1d(1, { eps });
  try {
    const x = Float32Array.from(values);
    const shape = [values.length, 1];
    const xhat = bn.forward(x, shape);
    const mean = bn.lastBatchMean![0]!;
    const variance = bn.lastBatchVar![0]!;
    bn.weight = Float32Array.of(gamma);
    bn.bias = Float32Array.of(beta);
    const y = bn.forward(x, shape);
    return { mean, variance, xhat, y };
  } finally {
    bn.dispose();
  }
}

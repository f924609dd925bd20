// The plain-JavaScript baseline: the same BN-MLP training step as the engine (Linear → BatchNorm1d
// → ReLU per hidden layer, then Linear; mean cross-entropy; plain SGD), on Float32Arrays with
// ordinary loops. Written the way a careful JavaScript programmer would: buffers allocated once
// and reused, inner loops over contiguous memory, dot products with four partial sums, no input
// gradient for the first layer (nothing needs it). Arithmetic is JavaScript's (double), stored as
// float32. tests/js/bench-smoke.test.ts checks its loss and gradients against the engine's.
import { BN_EPS, BN_MOMENTUM, layout } from './common.mjs';

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT)
function linearForward(out, inp, weight, bias, N, IN, OUT) {
  for (let n = 0; n < N; n++) {
    const x0 = n * IN;
    for (let o = 0; o < OUT; o++) {
      const w0 = o * IN;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let i = 0;
      for (; i + 4 <= IN; i += 4) {
        s0 += inp[x0 + i] * weight[w0 + i];
        s1 += inp[x0 + i + 1] * weight[w0 + i + 1];
        s2 += inp[x0 + i + 2] * weight[w0 + i + 2];
        s3 += inp[x0 + i + 3] * weight[w0 + i + 3];
      }
      for (; i < IN; i++) s0 += inp[x0 + i] * weight[w0 + i];
      out[n * OUT + o] = bias[o] + (s0 + s1 + (s2 + s3));
    }
  }
}

// dinp (N,IN) = dout (N,OUT) · weight (OUT,IN)
function linearBackwardInput(dinp, dout, weight, N, IN, OUT) {
  dinp.fill(0, 0, N * IN);
  for (let n = 0; n < N; n++) {
    const d0 = n * IN;
    for (let o = 0; o < OUT; o++) {
      const g = dout[n * OUT + o];
      if (g === 0) continue;
      const w0 = o * IN;
      for (let i = 0; i < IN; i++) dinp[d0 + i] += g * weight[w0 + i];
    }
  }
}

// dweight (OUT,IN) += dout (N,OUT)ᵀ · inp (N,IN); dbias (OUT) += Σ_n dout
function linearBackwardParams(dweight, dbias, dout, inp, N, IN, OUT) {
  for (let n = 0; n < N; n++) {
    const x0 = n * IN;
    for (let o = 0; o < OUT; o++) {
      const g = dout[n * OUT + o];
      dbias[o] += g;
      if (g === 0) continue;
      const w0 = o * IN;
      for (let i = 0; i < IN; i++) dweight[w0 + i] += g * inp[x0 + i];
    }
  }
}

/** One BN-MLP with its parameters, gradients and the buffers of one batch size. */
export class PlainMLP {
  /**
   * @param {number[]} sizes [IN, hidden..., OUT]
   * @param {Record<string, Float32Array>} state initial parameters under PyTorch's keys (copied)
   * @param {{ lr: number }} opts
   */
  constructor(sizes, state, { lr }) {
    this.sizes = sizes;
    this.lr = lr;
    const { linears, norms } = layout(sizes);
    const copy = (k) => Float32Array.from(state[k]);
    this.linears = linears.map((l) => ({
      ...l,
      weight: copy(`${l.key}.weight`),
      bias: copy(`${l.key}.bias`),
      dweight: new Float32Array(l.out * l.in),
      dbias: new Float32Array(l.out),
    }));
    this.norms = norms.map((b) => ({
      ...b,
      gamma: copy(`${b.key}.weight`),
      beta: copy(`${b.key}.bias`),
      runningMean: copy(`${b.key}.running_mean`),
      runningVar: copy(`${b.key}.running_var`),
      tracked: state[`${b.key}.num_batches_tracked`][0],
      dgamma: new Float32Array(b.c),
      dbeta: new Float32Array(b.c),
      mean: new Float32Array(b.c),
      invstd: new Float32Array(b.c),
    }));
    this.n = 0;
  }

  #allocate(N) {
    if (this.n === N) return;
    this.n = N;
    // Per hidden layer h: z (Linear output), xhat, y (BN output), a (ReLU output) and gradients.
    this.z = this.linears.map((l) => new Float32Array(N * l.out));
    this.xhat = this.norms.map((b) => new Float32Array(N * b.c));
    this.a = this.norms.map((b) => new Float32Array(N * b.c));
    this.dz = this.linears.map((l) => new Float32Array(N * l.out));
    this.da = this.norms.map((b) => new Float32Array(N * b.c));
  }

  /**
   * One training step on x [N, IN] and class indices y [N]: zero the gradients, forward, mean
   * cross-entropy, backward, SGD update. Returns the loss (before the update).
   */
  step(x, y, N) {
    this.#allocate(N);
    for (const l of this.linears) {
      l.dweight.fill(0);
      l.dbias.fill(0);
    }
    for (const b of this.norms) {
      b.dgamma.fill(0);
      b.dbeta.fill(0);
    }
    // forward
    let inp = x;
    const H = this.norms.length;
    for (let h = 0; h <= H; h++) {
      const l = this.linears[h];
      linearForward(this.z[h], inp, l.weight, l.bias, N, l.in, l.out);
      if (h === H) break;
      this.#bnForward(this.norms[h], this.z[h], this.xhat[h], this.a[h], N);
      inp = this.a[h];
    }
    // loss
    const K = this.sizes[this.sizes.length - 1];
    const logits = this.z[H];
    const dlogits = this.dz[H];
    let total = 0;
    for (let n = 0; n < N; n++) {
      const r = n * K;
      let mx = logits[r];
      for (let k = 1; k < K; k++) mx = Math.max(mx, logits[r + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logits[r + k] - mx);
      const lse = mx + Math.log(sum);
      total += lse - logits[r + y[n]];
      for (let k = 0; k < K; k++) dlogits[r + k] = (Math.exp(logits[r + k] - lse) - (k === y[n] ? 1 : 0)) / N;
    }
    // backward
    for (let h = H; h >= 0; h--) {
      const l = this.linears[h];
      const below = h === 0 ? x : this.a[h - 1];
      linearBackwardParams(l.dweight, l.dbias, this.dz[h], below, N, l.in, l.out);
      if (h === 0) break;  // the input needs no gradient
      const da = this.da[h - 1];
      linearBackwardInput(da, this.dz[h], l.weight, N, l.in, l.out);
      this.#bnReluBackward(this.norms[h - 1], da, this.a[h - 1], this.xhat[h - 1], this.dz[h - 1], N);
    }
    // SGD
    const lr = this.lr;
    const sgd = (p, g) => {
      for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
    };
    for (const l of this.linears) {
      sgd(l.weight, l.dweight);
      sgd(l.bias, l.dbias);
    }
    for (const b of this.norms) {
      sgd(b.gamma, b.dgamma);
      sgd(b.beta, b.dbeta);
    }
    return total / N;
  }

  // BatchNorm1d in training mode on z (N,C) (two-pass statistics, biased variance for the
  // normalisation, unbiased for the running variance), then ReLU into a.
  #bnForward(b, z, xhat, a, N) {
    const C = b.c;
    b.tracked++;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += z[n * C + c];
      const mean = s / N;
      let q = 0;
      for (let n = 0; n < N; n++) {
        const d = z[n * C + c] - mean;
        q += d * d;
      }
      const variance = q / N;
      b.mean[c] = mean;
      b.invstd[c] = 1 / Math.sqrt(variance + BN_EPS);
      b.runningMean[c] = BN_MOMENTUM * mean + (1 - BN_MOMENTUM) * b.runningMean[c];
      b.runningVar[c] = BN_MOMENTUM * ((variance * N) / (N - 1)) + (1 - BN_MOMENTUM) * b.runningVar[c];
    }
    for (let n = 0; n < N; n++) {
      const r = n * C;
      for (let c = 0; c < C; c++) {
        const xh = (z[r + c] - b.mean[c]) * b.invstd[c];
        xhat[r + c] = xh;
        const v = xh * b.gamma[c] + b.beta[c];
        a[r + c] = v > 0 ? v : 0;
      }
    }
  }

  // Backward through ReLU (da, in place) and BatchNorm1d with batch statistics into dz.
  #bnReluBackward(b, da, a, xhat, dz, N) {
    const C = b.c;
    const total = N * C;
    for (let i = 0; i < total; i++) if (a[i] <= 0) da[i] = 0;
    const sumDy = b.dbeta;      // accumulated from zero this step
    const sumDyXhat = b.dgamma;
    for (let n = 0; n < N; n++) {
      const r = n * C;
      for (let c = 0; c < C; c++) {
        sumDy[c] += da[r + c];
        sumDyXhat[c] += da[r + c] * xhat[r + c];
      }
    }
    for (let n = 0; n < N; n++) {
      const r = n * C;
      for (let c = 0; c < C; c++) {
        const k = (b.gamma[c] * b.invstd[c]) / N;
        dz[r + c] = k * (N * da[r + c] - sumDy[c] - xhat[r + c] * sumDyXhat[c]);
      }
    }
  }

  /** The gradients of the last step under PyTorch's keys (copies). */
  gradients() {
    const g = {};
    for (const l of this.linears) {
      g[`${l.key}.weight`] = Float32Array.from(l.dweight);
      g[`${l.key}.bias`] = Float32Array.from(l.dbias);
    }
    for (const b of this.norms) {
      g[`${b.key}.weight`] = Float32Array.from(b.dgamma);
      g[`${b.key}.bias`] = Float32Array.from(b.dbeta);
    }
    return g;
  }

  /** Parameters and buffers under PyTorch's keys (copies). */
  stateDict() {
    const s = {};
    for (const l of this.linears) {
      s[`${l.key}.weight`] = Float32Array.from(l.weight);
      s[`${l.key}.bias`] = Float32Array.from(l.bias);
    }
    for (const b of this.norms) {
      s[`${b.key}.weight`] = Float32Array.from(b.gamma);
      s[`${b.key}.bias`] = Float32Array.from(b.beta);
      s[`${b.key}.running_mean`] = Float32Array.from(b.runningMean);
      s[`${b.key}.running_var`] = Float32Array.from(b.runningVar);
      s[`${b.key}.num_batches_tracked`] = Float32Array.of(b.tracked);
    }
    return s;
  }
}

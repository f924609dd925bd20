#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "kernels/dispatch.h"

namespace bn {

Status Conv2d::init(int in_channels, int out_channels, int kernel_size, const Conv2dOptions& opts, Rng& rng) {
  if (in_channels < 1) return Status::range_error("inChannels must be >= 1, got " + std::to_string(in_channels));
  if (out_channels < 1) return Status::range_error("outChannels must be >= 1, got " + std::to_string(out_channels));
  if (kernel_size < 1) return Status::range_error("kernelSize must be >= 1, got " + std::to_string(kernel_size));
  if (opts.stride < 1) return Status::range_error("opts.stride must be >= 1, got " + std::to_string(opts.stride));
  if (opts.padding < 0) return Status::range_error("opts.padding must be >= 0, got " + std::to_string(opts.padding));
  const uint64_t fan_in = static_cast<uint64_t>(in_channels) * static_cast<uint64_t>(kernel_size) *
                          static_cast<uint64_t>(kernel_size);
  if (fan_in > kMaxElements || fan_in * static_cast<uint64_t>(out_channels) > kMaxElements)
    return Status::range_error("outChannels * inChannels * kernelSize² must be <= " + std::to_string(kMaxElements));
  // A padding of more than half the kernel only adds output positions that see nothing but zeros;
  // torch refuses it for pooling, not for convolution, and neither do we. It is bounded so that
  // the padded size stays an int.
  if (opts.padding > 1 << 20) return Status::range_error("opts.padding must be <= 1048576");
  in_ = in_channels;
  out_ = out_channels;
  k_ = kernel_size;
  opts_ = opts;
  const size_t nw = static_cast<size_t>(fan_in) * static_cast<size_t>(out_);
  BN_TRY(weight_.resize(nw));
  BN_TRY(dweight_.assign(nw, 0.0f));
  // torch: kaiming_uniform_(a=sqrt(5)) gives bound = 1/sqrt(fan_in) for weight and bias alike.
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (size_t i = 0; i < nw; ++i) weight_[i] = static_cast<float>(rng.uniform(-bound, bound));
  if (opts_.bias) {
    BN_TRY(bias_.resize(static_cast<size_t>(out_)));
    BN_TRY(dbias_.assign(static_cast<size_t>(out_), 0.0f));
    for (int i = 0; i < out_; ++i) bias_[static_cast<size_t>(i)] = static_cast<float>(rng.uniform(-bound, bound));
  }
  return Status::ok();
}

namespace {

// A "same" convolution (stride 1, 2·padding = k - 1: the output plane is the input plane) lets a
// kernel tap's patch row be the input plane shifted by d = (kh - p)·W + (kw - p) values, in one
// run over the rows that stay inside [row_lo, row_hi), except at the columns [0, lo) and
// [hi, W) where the shift wraps to the neighbouring row (zero padding there). The run, as q
// ranges of the plane: [q0, q1) with q + d inside the plane.
struct Shift {
  ptrdiff_t d;
  size_t row_lo, row_hi, q0, q1;
  int lo, hi;
};
Shift same_shift(int kh, int kw, int p, int h, int w) {
  Shift t;
  t.d = static_cast<ptrdiff_t>(kh - p) * w + (kw - p);
  // Compared as ints: for a tap below the image h + p - kh is negative, and as a size_t it would
  // pass for a huge bound (the fuzzers found that: tests/fuzz/crashes/*/conv-*-oob).
  const int row_lo = std::max(0, p - kh), row_hi = std::min(h, h + p - kh);
  t.row_lo = static_cast<size_t>(row_lo);
  t.row_hi = static_cast<size_t>(std::max(row_lo, row_hi));
  t.lo = std::max(0, p - kw);
  t.hi = std::min(w, w + p - kw);
  if (t.row_hi <= t.row_lo || t.hi <= t.lo) {  // the tap sees only padding (a kernel wider than the image)
    t.row_lo = t.row_hi = 0;
    t.q0 = t.q1 = 0;
    return t;
  }
  const ptrdiff_t plane = static_cast<ptrdiff_t>(h) * w;
  const ptrdiff_t a = static_cast<ptrdiff_t>(t.row_lo) * w, b = static_cast<ptrdiff_t>(t.row_hi) * w;
  const ptrdiff_t q0 = std::min(plane, std::max(a, -t.d));
  t.q0 = static_cast<size_t>(q0);
  t.q1 = static_cast<size_t>(std::max(q0, std::min(b, plane - t.d)));
  return t;
}

// The columns of a tap's patch row that wrap to the neighbouring image row, zeroed (padding).
void zero_wrapped(float* plane, const Shift& t, int w) {
  for (size_t r = t.row_lo; r < t.row_hi; ++r) {
    float* row = plane + r * static_cast<size_t>(w);
    for (int ow = 0; ow < t.lo; ++ow) row[ow] = 0.0f;
    for (int ow = t.hi; ow < w; ++ow) row[ow] = 0.0f;
  }
}

// The output columns ow whose input column iw = ow·s - p + kw is inside [0, w): [lo, hi).
std::pair<int, int> inside_columns(int kw, int s, int p, int ow_count, int w) {
  int lo = 0, hi = ow_count;
  while (lo < ow_count && lo * s - p + kw < 0) ++lo;
  while (hi > lo && (hi - 1) * s - p + kw >= w) --hi;
  return {lo, hi};
}

}  // namespace

bool Conv2d::same_plane() const { return opts_.stride == 1 && oh_ == h_ && ow_ == w_; }

// cols[(c·k + kh)·k + kw, n·P + oh·OW + ow] = x[n, c, oh·s - p + kh, ow·s - p + kw] (0 outside).
void Conv2d::im2col(int n0, int count) {
  const int k = k_, s = opts_.stride, p = opts_.padding;
  const size_t plane = static_cast<size_t>(h_) * static_cast<size_t>(w_);
  float* dst = cols_.data();
  if (same_plane()) {
    for (int c = 0; c < in_; ++c) {
      for (int kh = 0; kh < k; ++kh) {
        for (int kw = 0; kw < k; ++kw) {
          const Shift t = same_shift(kh, kw, p, h_, w_);
          for (int n = n0; n < n0 + count; ++n, dst += plane) {
            const float* src = input_.data() + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) * plane;
            std::memset(dst, 0, t.q0 * sizeof(float));
            std::memcpy(dst + t.q0, src + (static_cast<ptrdiff_t>(t.q0) + t.d), (t.q1 - t.q0) * sizeof(float));
            std::memset(dst + t.q1, 0, (plane - t.q1) * sizeof(float));
            zero_wrapped(dst, t, w_);
          }
        }
      }
    }
    return;
  }
  for (int c = 0; c < in_; ++c) {
    for (int kh = 0; kh < k; ++kh) {
      for (int kw = 0; kw < k; ++kw) {
        const auto [lo, hi] = inside_columns(kw, s, p, ow_, w_);
        for (int n = n0; n < n0 + count; ++n) {
          const float* src = input_.data() + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) * plane;
          for (int oh = 0; oh < oh_; ++oh, dst += ow_) {
            const int ih = oh * s - p + kh;
            if (ih < 0 || ih >= h_) {
              std::memset(dst, 0, static_cast<size_t>(ow_) * sizeof(float));
              continue;
            }
            const float* line = src + static_cast<size_t>(ih) * static_cast<size_t>(w_) - p + kw;
            for (int ow = 0; ow < lo; ++ow) dst[ow] = 0.0f;
            if (s == 1) {
              for (int ow = lo; ow < hi; ++ow) dst[ow] = line[ow];
            } else {
              for (int ow = lo; ow < hi; ++ow) dst[ow] = line[static_cast<ptrdiff_t>(ow) * s];
            }
            for (int ow = hi; ow < ow_; ++ow) dst[ow] = 0.0f;
          }
        }
      }
    }
  }
}

// The adjoint of im2col: every value of dcols is added to the input position it came from.
void Conv2d::col2im(int n0, int count) {
  const int k = k_, s = opts_.stride, p = opts_.padding;
  const size_t plane = static_cast<size_t>(h_) * static_cast<size_t>(w_);
  if (same_plane()) {
    // The patch gradients at the wrapped columns belong to the padding: zeroed (dcols is scratch),
    // then each tap's plane is one shifted run of additions.
    float* src = dcols_.data();
    for (int c = 0; c < in_; ++c) {
      for (int kh = 0; kh < k; ++kh) {
        for (int kw = 0; kw < k; ++kw) {
          const Shift t = same_shift(kh, kw, p, h_, w_);
          for (int n = n0; n < n0 + count; ++n, src += plane) {
            float* dst = dinp_.data() + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) * plane;
            zero_wrapped(src, t, w_);
            for (size_t q = t.q0; q < t.q1; ++q) dst[static_cast<ptrdiff_t>(q) + t.d] += src[q];
          }
        }
      }
    }
    return;
  }
  const float* src = dcols_.data();
  for (int c = 0; c < in_; ++c) {
    for (int kh = 0; kh < k; ++kh) {
      for (int kw = 0; kw < k; ++kw) {
        const auto [lo, hi] = inside_columns(kw, s, p, ow_, w_);
        for (int n = n0; n < n0 + count; ++n) {
          float* dst = dinp_.data() + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) * plane;
          for (int oh = 0; oh < oh_; ++oh, src += ow_) {
            const int ih = oh * s - p + kh;
            if (ih < 0 || ih >= h_) continue;
            float* line = dst + static_cast<size_t>(ih) * static_cast<size_t>(w_) - p + kw;
            if (s == 1) {
              for (int ow = lo; ow < hi; ++ow) line[ow] += src[ow];
            } else {
              for (int ow = lo; ow < hi; ++ow) line[static_cast<ptrdiff_t>(ow) * s] += src[ow];
            }
          }
        }
      }
    }
  }
}

Status Conv2d::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  const bool batched = shape.rank == 4;
  const std::string sig = "Conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", " + std::to_string(k_) + ")";
  if ((shape.rank != 3 && shape.rank != 4) || shape.dims[batched ? 1 : 0] != in_)
    return Status::range_error("shape: " + sig + " expects [N, " + std::to_string(in_) + ", H, W], got " + shape.str());
  const int n = batched ? shape.dims[0] : 1;
  const int h = shape.dims[shape.rank - 2], w = shape.dims[shape.rank - 1];
  const int64_t hp = int64_t{h} + 2 * int64_t{opts_.padding}, wp = int64_t{w} + 2 * int64_t{opts_.padding};
  if (hp < k_ || wp < k_)
    return Status::range_error("shape: the kernel of " + sig + " (" + std::to_string(k_) + "×" + std::to_string(k_) +
                               ") is larger than the padded input (" + std::to_string(hp) + "×" + std::to_string(wp) +
                               ") of " + shape.str());
  const int64_t oh = (hp - k_) / opts_.stride + 1, ow = (wp - k_) / opts_.stride + 1;
  const uint64_t rows = static_cast<uint64_t>(n) * static_cast<uint64_t>(oh) * static_cast<uint64_t>(ow);
  const uint64_t ckk = static_cast<uint64_t>(in_) * static_cast<uint64_t>(k_) * static_cast<uint64_t>(k_);
  if (rows * ckk > kMaxElements || rows * static_cast<uint64_t>(out_) > kMaxElements)
    return Status::range_error("shape: " + sig + " on " + shape.str() + " would need more than " +
                               std::to_string(kMaxElements) + " elements of patches or outputs");
  n_ = n;
  h_ = h;
  w_ = w;
  oh_ = static_cast<int>(oh);
  ow_ = static_cast<int>(ow);
  const size_t p = static_cast<size_t>(oh * ow), nrows = static_cast<size_t>(rows);
  // Images go through in chunks whose patches (IN·k·k, chunk·P) stay in the L2 cache (about
  // 128 KB) from im2col to the product that reads them.
  chunk_ = static_cast<int>(std::max<uint64_t>(1, std::min<uint64_t>(static_cast<uint64_t>(n), 32768 / std::max<uint64_t>(1, ckk * p))));
  const size_t chunk_cols = static_cast<size_t>(chunk_) * p;
  BN_TRY(input_.resize(shape.numel()));
  BN_TRY(cols_.resize(chunk_cols * static_cast<size_t>(ckk)));
  BN_TRY(planes_.resize(chunk_cols * static_cast<size_t>(out_)));
  BN_TRY(output_.resize(nrows * static_cast<size_t>(out_)));
  std::memcpy(input_.data(), x, shape.numel() * sizeof(float));
  for (int n0 = 0; n0 < n; n0 += chunk_) {
    const int count = std::min(chunk_, n - n0);
    im2col(n0, count);
    // outT (OUT, count·P) = weight (OUT, IN·k·k) · cols (IN·k·k, count·P)
    kernels::active::linear_backward_input(planes_.data(), weight_.data(), cols_.data(), out_,
                                           count * static_cast<int>(p), static_cast<int>(ckk));
    // (OUT, count, P) -> (count, OUT, P) of the output, adding the bias
    for (int i = 0; i < count; ++i) {
      for (int o = 0; o < out_; ++o) {
        const float* src = planes_.data() + (static_cast<size_t>(o) * static_cast<size_t>(count) + static_cast<size_t>(i)) * p;
        float* dst = output_.data() + (static_cast<size_t>(n0 + i) * static_cast<size_t>(out_) + static_cast<size_t>(o)) * p;
        const float b = opts_.bias ? bias_[static_cast<size_t>(o)] : 0.0f;
        for (size_t q = 0; q < p; ++q) dst[q] = src[q] + b;
      }
    }
  }
  in_shape_ = shape;
  out_shape_ = shape;
  out_shape_.dims[batched ? 1 : 0] = out_;
  out_shape_.dims[shape.rank - 2] = oh_;
  out_shape_.dims[shape.rank - 1] = ow_;
  finish_forward();
  return Status::ok();
}

Status Conv2d::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  const size_t p = static_cast<size_t>(oh_) * static_cast<size_t>(ow_);
  const int ckk = in_ * k_ * k_;
  const size_t nw = static_cast<size_t>(ckk) * static_cast<size_t>(out_);
  const size_t chunk_cols = static_cast<size_t>(chunk_) * p;
  BN_TRY(dweight_batch_.assign(nw, 0.0f));
  BN_TRY(dweight_chunk_.resize(nw));  // nw >= OUT: it holds dbias's sums too
  BN_TRY(dbias_batch_.assign(static_cast<size_t>(out_), 0.0f));
  if (opts_.bias && ones_.size() != chunk_cols) BN_TRY(ones_.assign(chunk_cols, 1.0f));
  if (input_grad_needed_) {
    BN_TRY(dinp_.resize(in_shape_.numel()));
    BN_TRY(dcols_.resize(cols_.size()));
    BN_TRY(weight_t_.resize(nw));
    dinp_.zero();
    // weightᵀ (IN·k·k, OUT)
    for (int o = 0; o < out_; ++o)
      for (int j = 0; j < ckk; ++j)
        weight_t_[static_cast<size_t>(j) * static_cast<size_t>(out_) + static_cast<size_t>(o)] =
            weight_[static_cast<size_t>(o) * static_cast<size_t>(ckk) + static_cast<size_t>(j)];
  }
  for (int n0 = 0; n0 < n_; n0 += chunk_) {
    const int count = std::min(chunk_, n_ - n0);
    const int cols = count * static_cast<int>(p);
    // (count, OUT, P) of dy -> doutT (OUT, count·P)
    for (int i = 0; i < count; ++i)
      for (int o = 0; o < out_; ++o)
        std::memcpy(planes_.data() + (static_cast<size_t>(o) * static_cast<size_t>(count) + static_cast<size_t>(i)) * p,
                    dy + (static_cast<size_t>(n0 + i) * static_cast<size_t>(out_) + static_cast<size_t>(o)) * p, p * sizeof(float));
    im2col(n0, count);  // the chunk's patches again (cheaper than keeping all of them)
    // dweight of the chunk (OUT, IN·k·k): dot products of doutT's rows with the patches' rows
    kernels::active::linear_forward(dweight_chunk_.data(), planes_.data(), cols_.data(), nullptr, out_, cols, ckk);
    for (size_t i = 0; i < nw; ++i) dweight_batch_[i] += dweight_chunk_[i];
    if (opts_.bias) {  // dbias of the chunk: each doutT row's dot product with a row of ones
      kernels::active::linear_forward(dweight_chunk_.data(), planes_.data(), ones_.data(), nullptr, out_, cols, 1);
      for (int o = 0; o < out_; ++o) dbias_batch_[static_cast<size_t>(o)] += dweight_chunk_[static_cast<size_t>(o)];
    }
    if (input_grad_needed_) {
      // dcols (IN·k·k, count·P) = weightᵀ (IN·k·k, OUT) · doutT (OUT, count·P), summed into dinp
      kernels::active::linear_backward_input(dcols_.data(), weight_t_.data(), planes_.data(), ckk, cols, out_);
      col2im(n0, count);
    }
  }
  // The batch's gradients, rounded to float, then added (torch's `grad += new`).
  for (size_t i = 0; i < nw; ++i) dweight_[i] += dweight_batch_[i];
  if (opts_.bias)
    for (int o = 0; o < out_; ++o) dbias_[static_cast<size_t>(o)] += dbias_batch_[static_cast<size_t>(o)];
  weight_grad_defined_ = true;
  bias_grad_defined_ = opts_.bias;
  return Status::ok();
}

void Conv2d::state(std::vector<StateEntry>& out, const std::string& prefix) {
  out.push_back({prefix + "weight", StateEntry::Parameter, &weight_, &dweight_, nullptr, &weight_grad_defined_});
  if (opts_.bias)
    out.push_back({prefix + "bias", StateEntry::Parameter, &bias_, &dbias_, nullptr, &bias_grad_defined_});
}

}  // namespace bn

#include "conv.h"

#include <cmath>
#include <cstring>

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

// cols[(n·P + oh·OW + ow), (c·k + kh)·k + kw] = x[n, c, oh·s - p + kh, ow·s - p + kw] (0 outside).
void Conv2d::im2col(const float* x) {
  const int k = k_, s = opts_.stride, p = opts_.padding;
  const size_t ckk = static_cast<size_t>(in_) * static_cast<size_t>(k) * static_cast<size_t>(k);
  float* row = cols_.data();
  for (int n = 0; n < n_; ++n) {
    for (int oh = 0; oh < oh_; ++oh) {
      for (int ow = 0; ow < ow_; ++ow, row += ckk) {
        float* dst = row;
        for (int c = 0; c < in_; ++c) {
          const float* plane = x + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) *
                                       static_cast<size_t>(h_) * static_cast<size_t>(w_);
          for (int kh = 0; kh < k; ++kh) {
            const int ih = oh * s - p + kh;
            if (ih < 0 || ih >= h_) {
              std::memset(dst, 0, static_cast<size_t>(k) * sizeof(float));
              dst += k;
              continue;
            }
            const float* line = plane + static_cast<size_t>(ih) * static_cast<size_t>(w_);
            for (int kw = 0; kw < k; ++kw) {
              const int iw = ow * s - p + kw;
              *dst++ = iw >= 0 && iw < w_ ? line[iw] : 0.0f;
            }
          }
        }
      }
    }
  }
}

// The adjoint of im2col: every patch value of dcols is added to the input position it came from.
void Conv2d::col2im() {
  const int k = k_, s = opts_.stride, p = opts_.padding;
  const size_t ckk = static_cast<size_t>(in_) * static_cast<size_t>(k) * static_cast<size_t>(k);
  dinp_.zero();
  const float* row = dcols_.data();
  for (int n = 0; n < n_; ++n) {
    for (int oh = 0; oh < oh_; ++oh) {
      for (int ow = 0; ow < ow_; ++ow, row += ckk) {
        const float* src = row;
        for (int c = 0; c < in_; ++c) {
          float* plane = dinp_.data() + (static_cast<size_t>(n) * static_cast<size_t>(in_) + static_cast<size_t>(c)) *
                                            static_cast<size_t>(h_) * static_cast<size_t>(w_);
          for (int kh = 0; kh < k; ++kh) {
            const int ih = oh * s - p + kh;
            if (ih < 0 || ih >= h_) {
              src += k;
              continue;
            }
            float* line = plane + static_cast<size_t>(ih) * static_cast<size_t>(w_);
            for (int kw = 0; kw < k; ++kw, ++src) {
              const int iw = ow * s - p + kw;
              if (iw >= 0 && iw < w_) line[iw] += *src;
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
  const size_t nrows = static_cast<size_t>(rows), p = static_cast<size_t>(oh * ow);
  BN_TRY(cols_.resize(nrows * static_cast<size_t>(ckk)));
  BN_TRY(rows_out_.resize(nrows * static_cast<size_t>(out_)));
  BN_TRY(output_.resize(nrows * static_cast<size_t>(out_)));
  im2col(x);
  kernels::active::linear_forward(rows_out_.data(), cols_.data(), weight_.data(), opts_.bias ? bias_.data() : nullptr,
                                  static_cast<int>(nrows), static_cast<int>(ckk), out_);
  // (N, P, OUT) -> (N, OUT, P)
  for (int i = 0; i < n; ++i) {
    const float* src = rows_out_.data() + static_cast<size_t>(i) * p * static_cast<size_t>(out_);
    float* dst = output_.data() + static_cast<size_t>(i) * p * static_cast<size_t>(out_);
    for (size_t q = 0; q < p; ++q)
      for (int o = 0; o < out_; ++o) dst[static_cast<size_t>(o) * p + q] = src[q * static_cast<size_t>(out_) + static_cast<size_t>(o)];
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
  const size_t nrows = static_cast<size_t>(n_) * p;
  const int ckk = in_ * k_ * k_;
  // (N, OUT, P) -> (N, P, OUT), into the forward's row buffer (its contents are not needed again).
  for (int i = 0; i < n_; ++i) {
    const float* src = dy + static_cast<size_t>(i) * p * static_cast<size_t>(out_);
    float* dst = rows_out_.data() + static_cast<size_t>(i) * p * static_cast<size_t>(out_);
    for (int o = 0; o < out_; ++o)
      for (size_t q = 0; q < p; ++q) dst[q * static_cast<size_t>(out_) + static_cast<size_t>(o)] = src[static_cast<size_t>(o) * p + q];
  }
  if (input_grad_needed_) {
    BN_TRY(dinp_.resize(in_shape_.numel()));
    BN_TRY(dcols_.resize(cols_.size()));
    kernels::active::linear_backward_input(dcols_.data(), rows_out_.data(), weight_.data(), static_cast<int>(nrows), ckk, out_);
    col2im();
  }
  kernels::active::linear_backward_params(dweight_.data(), opts_.bias ? dbias_.data() : nullptr, rows_out_.data(),
                                          cols_.data(), static_cast<int>(nrows), ckk, out_);
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

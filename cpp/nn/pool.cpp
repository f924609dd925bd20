#include "pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace bn {

Status Pool2d::init(Kind kind, int kernel_size, int stride) {
  if (kernel_size < 1) return Status::range_error("kernelSize must be >= 1, got " + std::to_string(kernel_size));
  if (stride < 1) return Status::range_error("opts.stride must be >= 1, got " + std::to_string(stride));
  if (kernel_size > 1 << 15) return Status::range_error("kernelSize must be <= 32768, got " + std::to_string(kernel_size));
  kind_ = kind;
  k_ = kernel_size;
  s_ = stride;
  return Status::ok();
}

Status Pool2d::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  const std::string sig = std::string(kind()) + "(" + std::to_string(k_) + ")";
  if (shape.rank != 3 && shape.rank != 4)
    return Status::range_error("shape: " + sig + " expects [N, C, H, W] or [C, H, W], got " + shape.str());
  const int h = shape.dims[shape.rank - 2], w = shape.dims[shape.rank - 1];
  if (h < k_ || w < k_)
    return Status::range_error("shape: the window of " + sig + " (" + std::to_string(k_) + "×" + std::to_string(k_) +
                               ") is larger than the input's " + std::to_string(h) + "×" + std::to_string(w) +
                               " planes in " + shape.str());
  planes_ = static_cast<int>(shape.numel() / (static_cast<size_t>(h) * static_cast<size_t>(w)));
  h_ = h;
  w_ = w;
  oh_ = (h - k_) / s_ + 1;
  ow_ = (w - k_) / s_ + 1;
  const size_t per = static_cast<size_t>(oh_) * static_cast<size_t>(ow_);
  const size_t total = static_cast<size_t>(planes_) * per;
  BN_TRY(output_.resize(total));
  if (kind_ == Kind::Max) BN_TRY(argmax_.resize(total));
  const size_t hw = static_cast<size_t>(h) * static_cast<size_t>(w);
  const double area = static_cast<double>(k_) * static_cast<double>(k_);
  float* out = output_.data();
  for (int pl = 0; pl < planes_; ++pl) {
    const float* plane = x + static_cast<size_t>(pl) * hw;
    for (int oh = 0; oh < oh_; ++oh) {
      for (int ow = 0; ow < ow_; ++ow, ++out) {
        const int h0 = oh * s_, w0 = ow * s_;
        if (kind_ == Kind::Max) {
          int best = h0 * w + w0;
          float m = plane[best];
          for (int i = h0; i < h0 + k_; ++i) {
            for (int j = w0; j < w0 + k_; ++j) {
              const float v = plane[static_cast<size_t>(i) * static_cast<size_t>(w) + static_cast<size_t>(j)];
              // Strictly greater: a tie keeps the first maximum. A NaN wins, as in torch.
              if (v > m || std::isnan(v)) {
                m = v;
                best = i * w + j;
              }
            }
          }
          *out = m;
          argmax_[static_cast<size_t>(out - output_.data())] = best;
        } else {
          double sum = 0.0;  // torch's CPU accumulates float windows in double too
          for (int i = h0; i < h0 + k_; ++i)
            for (int j = w0; j < w0 + k_; ++j) sum += plane[static_cast<size_t>(i) * static_cast<size_t>(w) + static_cast<size_t>(j)];
          *out = static_cast<float>(sum / area);
        }
      }
    }
  }
  in_shape_ = shape;
  out_shape_ = shape;
  out_shape_.dims[shape.rank - 2] = oh_;
  out_shape_.dims[shape.rank - 1] = ow_;
  finish_forward();
  return Status::ok();
}

Status Pool2d::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  BN_TRY(dinp_.resize(in_shape_.numel()));
  dinp_.zero();
  const size_t hw = static_cast<size_t>(h_) * static_cast<size_t>(w_);
  const size_t per = static_cast<size_t>(oh_) * static_cast<size_t>(ow_);
  const float inv_area = static_cast<float>(1.0 / (static_cast<double>(k_) * static_cast<double>(k_)));
  for (int pl = 0; pl < planes_; ++pl) {
    float* plane = dinp_.data() + static_cast<size_t>(pl) * hw;
    const size_t o0 = static_cast<size_t>(pl) * per;
    if (kind_ == Kind::Max) {
      for (size_t q = 0; q < per; ++q) plane[argmax_[o0 + q]] += dy[o0 + q];
      continue;
    }
    for (int oh = 0; oh < oh_; ++oh) {
      for (int ow = 0; ow < ow_; ++ow) {
        const float g = dy[o0 + static_cast<size_t>(oh) * static_cast<size_t>(ow_) + static_cast<size_t>(ow)] * inv_area;
        for (int i = oh * s_; i < oh * s_ + k_; ++i)
          for (int j = ow * s_; j < ow * s_ + k_; ++j) plane[static_cast<size_t>(i) * static_cast<size_t>(w_) + static_cast<size_t>(j)] += g;
      }
    }
  }
  return Status::ok();
}

Status Flatten::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  if (shape.rank < 2) return Status::range_error("shape: Flatten() expects [N, ...] of rank >= 2, got " + shape.str());
  const size_t total = shape.numel();
  BN_TRY(output_.resize(total));
  std::memcpy(output_.data(), x, total * sizeof(float));
  in_shape_ = shape;
  out_shape_ = Shape{};
  out_shape_.rank = 2;
  out_shape_.dims[0] = shape.dims[0];
  out_shape_.dims[1] = static_cast<int>(total / static_cast<size_t>(shape.dims[0]));
  finish_forward();
  return Status::ok();
}

Status Flatten::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  const size_t total = in_shape_.numel();
  BN_TRY(dinp_.resize(total));
  std::memcpy(dinp_.data(), dy, total * sizeof(float));
  return Status::ok();
}

}  // namespace bn

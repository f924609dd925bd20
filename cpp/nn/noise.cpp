#include "noise.h"

namespace bn {

Status ShiftScaleNoise::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  if (shape.rank < 2) return Status::range_error("shape: ShiftScaleNoise expects [N, C, ...], got " + shape.str());
  const size_t n = static_cast<size_t>(shape.dims[0]), c = static_cast<size_t>(shape.dims[1]);
  const size_t positions = shape.numel() / (n * c);
  BN_TRY(output_.resize(shape.numel()));
  noisy_ = training_;
  if (!noisy_) {
    for (size_t i = 0; i < shape.numel(); ++i) output_[i] = x[i];
  } else {
    BN_TRY(scale_.resize(c));
    BN_TRY(shift_.resize(c));
    for (size_t j = 0; j < c; ++j) {
      scale_[j] = static_cast<float>(rng_.uniform(1.0, max_scale_));
      shift_[j] = static_cast<float>(rng_.uniform(-max_shift_, max_shift_));
    }
    for (size_t r = 0; r < n; ++r)
      for (size_t j = 0; j < c; ++j) {
        const size_t at = (r * c + j) * positions;
        for (size_t p = 0; p < positions; ++p) output_[at + p] = scale_[j] * x[at + p] + shift_[j];
      }
  }
  in_shape_ = out_shape_ = shape;
  finish_forward();
  return Status::ok();
}

Status ShiftScaleNoise::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  const size_t total = out_shape_.numel();
  BN_TRY(dinp_.resize(total));
  if (!noisy_) {
    for (size_t i = 0; i < total; ++i) dinp_[i] = dy[i];
    return Status::ok();
  }
  const size_t n = static_cast<size_t>(out_shape_.dims[0]), c = static_cast<size_t>(out_shape_.dims[1]);
  const size_t positions = total / (n * c);
  for (size_t r = 0; r < n; ++r)
    for (size_t j = 0; j < c; ++j) {
      const size_t at = (r * c + j) * positions;
      for (size_t p = 0; p < positions; ++p) dinp_[at + p] = scale_[j] * dy[at + p];
    }
  return Status::ok();
}

}  // namespace bn

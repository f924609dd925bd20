#include "norm.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/dispatch.h"

namespace bn {

Status RowNorm::init_common(double eps, bool affine, int params) {
  // As for BatchNorm: below 1e-30, 1/sqrt(eps) overflows float32.
  if (!(eps >= 1e-30) || !std::isfinite(eps)) return Status::range_error("eps must be a finite number >= 1e-30");
  eps_ = eps;
  affine_ = affine;
  const size_t p = static_cast<size_t>(params);
  if (affine_) {
    BN_TRY(gamma_.assign(p, 1.0f));
    BN_TRY(beta_.assign(p, 0.0f));
    BN_TRY(dgamma_.assign(p, 0.0f));
    BN_TRY(dbeta_.assign(p, 0.0f));
    BN_TRY(zeros_.assign(p, 0.0f));
    BN_TRY(ones_.assign(p, 1.0f));
  }
  return Status::ok();
}

Status RowNorm::normalize(const float* x, const Shape& shape, int rows, int m, int an, int ac, int as) {
  const size_t total = shape.numel();
  const size_t r = static_cast<size_t>(rows);
  BN_TRY(output_.resize(total));
  BN_TRY(xhat_.resize(total));
  BN_TRY(mean_.resize(r));
  BN_TRY(var_.resize(r));
  BN_TRY(invstd_.resize(r));
  // A row is a "channel" of a (1, rows, m) tensor.
  kernels::active::bn_stats(mean_.data(), var_.data(), x, 1, rows, m);
  // In double, stored as float, and clamped to the largest float: see BatchNorm::forward.
  for (size_t i = 0; i < r; ++i)
    invstd_[i] = static_cast<float>(
        std::min(1.0 / std::sqrt(static_cast<double>(var_[i]) + eps_), static_cast<double>(FLT_MAX)));
  float* normalized = affine_ ? xhat_.data() : output_.data();
  kernels::active::bn_forward(normalized, nullptr, x, mean_.data(), invstd_.data(), nullptr, nullptr, 1, rows, m);
  // A variance beyond float32's range gives invstd 0 (and x - mean may overflow): the normalised
  // value is 0, as in BatchNorm::forward.
  for (size_t i = 0; i < r; ++i) {
    if (invstd_[i] != 0.0f) continue;
    std::fill(normalized + i * static_cast<size_t>(m), normalized + (i + 1) * static_cast<size_t>(m), 0.0f);
  }
  if (affine_) {
    // out = (xhat - 0) * 1 * γ + β, per parameter channel.
    kernels::active::bn_forward(output_.data(), nullptr, xhat_.data(), zeros_.data(), ones_.data(),
                                gamma_.data(), beta_.data(), an, ac, as);
  } else {
    // The output is x̂ itself; backward needs it.
    std::copy(output_.data(), output_.data() + total, xhat_.data());
  }
  rows_ = rows;
  m_ = m;
  an_ = an;
  ac_ = ac;
  as_ = as;
  in_shape_ = shape;
  out_shape_ = shape;
  finish_forward();
  return Status::ok();
}

Status RowNorm::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  const size_t total = xhat_.size();
  BN_TRY(dinp_.resize(total));
  const float* g = dy;
  if (affine_) {
    // dx̂ = dy·γ ; dγ += Σ dy·x̂ ; dβ += Σ dy   (per parameter channel)
    BN_TRY(dxhat_.resize(total));
    kernels::active::bn_backward_eval(dxhat_.data(), dgamma_.data(), dbeta_.data(), dy, xhat_.data(),
                                      ones_.data(), gamma_.data(), an_, ac_, as_);
    gamma_grad_defined_ = beta_grad_defined_ = true;
    g = dxhat_.data();
  }
  // Through the row statistics, as BatchNorm's backward through batch statistics.
  kernels::active::bn_backward(dinp_.data(), nullptr, nullptr, g, xhat_.data(), invstd_.data(), nullptr, 1, rows_, m_);
  return Status::ok();
}

void RowNorm::state(std::vector<StateEntry>& out, const std::string& prefix) {
  if (!affine_) return;
  out.push_back({prefix + "weight", StateEntry::Parameter, &gamma_, &dgamma_, nullptr, &gamma_grad_defined_});
  out.push_back({prefix + "bias", StateEntry::Parameter, &beta_, &dbeta_, nullptr, &beta_grad_defined_});
}

Status LayerNorm::init(const Shape& normalized_shape, const LayerNormOptions& opts) {
  BN_TRY(validate_shape(normalized_shape, "normalizedShape"));
  normalized_ = normalized_shape;
  return init_common(opts.eps, opts.elementwise_affine, static_cast<int>(normalized_shape.numel()));
}

Status LayerNorm::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  const int k = normalized_.rank;
  bool ok = shape.rank >= k;
  for (int i = 0; ok && i < k; ++i) ok = shape.dims[shape.rank - k + i] == normalized_.dims[i];
  if (!ok)
    return Status::range_error("shape: LayerNorm(" + normalized_.str() + ") expects an input whose last " +
                               std::to_string(k) + (k == 1 ? " dim is " : " dims are ") + normalized_.str() +
                               ", got " + shape.str());
  const int m = static_cast<int>(normalized_.numel());
  const int rows = static_cast<int>(shape.numel() / static_cast<size_t>(m));
  return normalize(x, shape, rows, m, rows, m, 1);
}

Status GroupNorm::init(int num_groups, int num_channels, const GroupNormOptions& opts) {
  if (num_groups < 1) return Status::range_error("numGroups must be >= 1, got " + std::to_string(num_groups));
  if (num_channels < 1) return Status::range_error("numChannels must be >= 1, got " + std::to_string(num_channels));
  if (static_cast<size_t>(num_channels) > kMaxElements)
    return Status::range_error("numChannels must be <= " + std::to_string(kMaxElements));
  if (num_channels % num_groups != 0)
    return Status::range_error("numChannels must be divisible by numGroups, got " + std::to_string(num_channels) +
                               " channels in " + std::to_string(num_groups) + " groups");
  groups_ = num_groups;
  channels_ = num_channels;
  return init_common(opts.eps, opts.affine, num_channels);
}

Status GroupNorm::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  if (shape.rank < 2 || shape.dims[1] != channels_)
    return Status::range_error("shape: GroupNorm(" + std::to_string(groups_) + ", " + std::to_string(channels_) +
                               ") expects [N, " + std::to_string(channels_) + ", *], got " + shape.str());
  const int n = shape.dims[0];
  int s = 1;
  for (int i = 2; i < shape.rank; ++i) s *= shape.dims[i];
  const int m = channels_ / groups_ * s;
  return normalize(x, shape, n * groups_, m, n, channels_, s);
}

}  // namespace bn

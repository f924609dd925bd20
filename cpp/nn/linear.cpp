#include "linear.h"

#include <cmath>
#include <cstring>

#include "kernels/dispatch.h"

namespace bn {

Status Linear::init(int in_features, int out_features, bool bias, Rng& rng) {
  if (in_features < 1) return Status::range_error("inFeatures must be >= 1, got " + std::to_string(in_features));
  if (out_features < 1) return Status::range_error("outFeatures must be >= 1, got " + std::to_string(out_features));
  if (static_cast<uint64_t>(in_features) * static_cast<uint64_t>(out_features) > kMaxElements)
    return Status::range_error("inFeatures * outFeatures must be <= " + std::to_string(kMaxElements));
  in_ = in_features;
  out_ = out_features;
  has_bias_ = bias;
  const size_t nw = static_cast<size_t>(in_) * static_cast<size_t>(out_);
  BN_TRY(weight_.resize(nw));
  BN_TRY(dweight_.assign(nw, 0.0f));
  // torch: kaiming_uniform_(a=sqrt(5)) gives bound = 1/sqrt(fan_in) for both weight and bias.
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  for (size_t i = 0; i < nw; ++i) weight_[i] = static_cast<float>(rng.uniform(-bound, bound));
  if (has_bias_) {
    BN_TRY(bias_.resize(static_cast<size_t>(out_)));
    BN_TRY(dbias_.assign(static_cast<size_t>(out_), 0.0f));
    for (int i = 0; i < out_; ++i) bias_[static_cast<size_t>(i)] = static_cast<float>(rng.uniform(-bound, bound));
  }
  return Status::ok();
}

Status Linear::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  if (shape.rank < 2 || shape.dims[shape.rank - 1] != in_)
    return Status::range_error("shape: Linear(" + std::to_string(in_) + ", " + std::to_string(out_) +
                               ") expects [N, " + std::to_string(in_) + "], got " + shape.str());
  const size_t n_in = shape.numel();
  const size_t rows = n_in / static_cast<size_t>(in_);
  if (rows > kMaxElements / static_cast<size_t>(out_))  // division: rows * OUT may wrap in wasm32
    return Status::range_error("shape: the output of " + shape.str() + " would exceed " +
                               std::to_string(kMaxElements) + " elements");
  BN_TRY(input_.resize(n_in));
  BN_TRY(output_.resize(rows * static_cast<size_t>(out_)));
  std::memcpy(input_.data(), x, n_in * sizeof(float));
  rows_ = static_cast<int>(rows);
  kernels::active::linear_forward(output_.data(), input_.data(), weight_.data(),
                                  has_bias_ ? bias_.data() : nullptr, rows_, in_, out_);
  in_shape_ = shape;
  out_shape_ = shape;
  out_shape_.dims[shape.rank - 1] = out_;
  finish_forward();
  return Status::ok();
}

Status Linear::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  if (input_grad_needed_) {
    BN_TRY(dinp_.resize(input_.size()));
    kernels::active::linear_backward_input(dinp_.data(), dy, weight_.data(), rows_, in_, out_);
  }
  kernels::active::linear_backward_params(dweight_.data(), has_bias_ ? dbias_.data() : nullptr, dy,
                                          input_.data(), rows_, in_, out_);
  weight_grad_defined_ = true;
  bias_grad_defined_ = has_bias_;
  return Status::ok();
}

void Linear::state(std::vector<StateEntry>& out, const std::string& prefix) {
  out.push_back({prefix + "weight", StateEntry::Parameter, &weight_, &dweight_, nullptr, &weight_grad_defined_});
  if (has_bias_)
    out.push_back({prefix + "bias", StateEntry::Parameter, &bias_, &dbias_, nullptr, &bias_grad_defined_});
}

}  // namespace bn

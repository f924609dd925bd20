#include "activation.h"

#include "kernels/dispatch.h"

namespace bn {

const char* Activation::kind() const {
  switch (kind_) {
    case ActivationKind::ReLU: return "ReLU";
    case ActivationKind::Sigmoid: return "Sigmoid";
    case ActivationKind::Tanh: return "Tanh";
  }
  return "Activation";
}

Status Activation::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  const size_t n = shape.numel();
  BN_TRY(output_.resize(n));
  switch (kind_) {
    case ActivationKind::ReLU: kernels::active::relu_forward(output_.data(), x, n); break;
    case ActivationKind::Sigmoid: kernels::active::sigmoid_forward(output_.data(), x, n); break;
    case ActivationKind::Tanh: kernels::active::tanh_forward(output_.data(), x, n); break;
  }
  in_shape_ = out_shape_ = shape;
  finish_forward();
  return Status::ok();
}

Status Activation::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  const size_t n = output_.size();
  BN_TRY(dinp_.resize(n));
  switch (kind_) {
    case ActivationKind::ReLU: kernels::active::relu_backward(dinp_.data(), dy, output_.data(), n); break;
    case ActivationKind::Sigmoid: kernels::active::sigmoid_backward(dinp_.data(), dy, output_.data(), n); break;
    case ActivationKind::Tanh: kernels::active::tanh_backward(dinp_.data(), dy, output_.data(), n); break;
  }
  return Status::ok();
}

}  // namespace bn

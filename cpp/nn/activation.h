// Elementwise activations: inp and out have any shape (same shape). Backward uses the forward's
// output (relu' = out > 0, sigmoid' = out(1-out), tanh' = 1-out²), so no input is cached.
#pragma once

#include "module.h"

namespace bn {

enum class ActivationKind { ReLU, Sigmoid, Tanh };

class Activation : public Module {
 public:
  explicit Activation(ActivationKind k) : kind_(k) {}
  const char* kind() const override;
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  ActivationKind activation() const { return kind_; }

 private:
  ActivationKind kind_;
};

}  // namespace bn

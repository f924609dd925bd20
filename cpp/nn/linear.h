// Linear: inp is (*, IN), weight is (OUT, IN) row-major, bias is (OUT); out is (*, OUT).
// Initialised like torch.nn.Linear: weight and bias ~ U(-1/sqrt(IN), 1/sqrt(IN)).
#pragma once

#include <cstdint>

#include "module.h"
#include "base/rng.h"

namespace bn {

class Linear : public Module {
 public:
  // Validates the sizes and allocates; the layer is unusable if this fails.
  Status init(int in_features, int out_features, bool bias, Rng& rng);
  const char* kind() const override { return "Linear"; }
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  void state(std::vector<StateEntry>& out, const std::string& prefix) override;

  int in_features() const { return in_; }
  int out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  Buffer& weight() { return weight_; }
  Buffer& bias() { return bias_; }
  Buffer& weight_grad() { return dweight_; }
  Buffer& bias_grad() { return dbias_; }

 private:
  int in_ = 0, out_ = 0, rows_ = 0;
  bool has_bias_ = true;
  bool weight_grad_defined_ = false, bias_grad_defined_ = false;
  Buffer weight_, bias_, dweight_, dbias_;
  Buffer input_;  // copy of the last forward's input, for dweight
};



}  // namespace bn

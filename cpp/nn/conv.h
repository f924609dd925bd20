// Conv2d with torch.nn semantics: square kernel, stride, symmetric zero padding, optional bias.
// inp is (N, IN, H, W) (or (IN, H, W), one image), weight is (OUT, IN, k, k) row-major, bias is
// (OUT); out is (N, OUT, OH, OW) with OH = (H + 2p - k) / s + 1 (floor), likewise OW.
// Initialised like torch.nn.Conv2d: weight and bias ~ U(-1/sqrt(IN·k·k), 1/sqrt(IN·k·k)).
//
// The work is the Linear kernels' (im2col): every output position p of every image is one row
// of a (N·P, IN·k·k) matrix of the input patch it sees (zeros where the patch hangs over the
// padding), so that
//   out (N·P, OUT) = cols · weightᵀ + bias          linear_forward
//   dweight += doutᵀ · cols ; dbias += Σ dout       linear_backward_params
//   dcols = dout · weight                           linear_backward_input, then summed back
//                                                   into the input positions (col2im)
// with out/dout transposed to and from the (N, OUT, P) layout of the tensors.
#pragma once

#include "module.h"
#include "base/rng.h"

namespace bn {

struct Conv2dOptions {
  int stride = 1;
  int padding = 0;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Status init(int in_channels, int out_channels, int kernel_size, const Conv2dOptions& opts, Rng& rng);
  const char* kind() const override { return "Conv2d"; }
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  void state(std::vector<StateEntry>& out, const std::string& prefix) override;

  int in_channels() const { return in_; }
  int out_channels() const { return out_; }
  int kernel_size() const { return k_; }
  const Conv2dOptions& options() const { return opts_; }
  Buffer& weight() { return weight_; }
  Buffer& bias() { return bias_; }
  Buffer& weight_grad() { return dweight_; }
  Buffer& bias_grad() { return dbias_; }

 private:
  void im2col(const float* x);
  void col2im();
  int in_ = 0, out_ = 0, k_ = 1;
  Conv2dOptions opts_;
  bool weight_grad_defined_ = false, bias_grad_defined_ = false;
  Buffer weight_, bias_, dweight_, dbias_;
  Buffer cols_, rows_out_, dcols_;  // (N·P, IN·k·k), (N·P, OUT), (N·P, IN·k·k)
  int n_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
};

}  // namespace bn

// Conv2d with torch.nn semantics: square kernel, stride, symmetric zero padding, optional bias.
// inp is (N, IN, H, W) (or (IN, H, W), one image), weight is (OUT, IN, k, k) row-major, bias is
// (OUT); out is (N, OUT, OH, OW) with OH = (H + 2p - k) / s + 1 (floor), likewise OW.
// Initialised like torch.nn.Conv2d: weight and bias ~ U(-1/sqrt(IN·k·k), 1/sqrt(IN·k·k)).
//
// The work is the Linear kernels' (im2col, laid out as Caffe does), a few images at a time so that
// the patches stay in cache: row j = (c·k + kh)·k + kw of a (IN·k·k, N·P) matrix `cols` (N: the
// images of the chunk) holds, for every output position q = n·P + oh·OW + ow of every image,
// the input value that kernel tap j sees there (zero over the padding). With the outputs and
// their gradients laid out per channel, outT and doutT (OUT, N·P),
//   outT  = weight · cols                 linear_backward_input (rows OUT, inner IN·k·k)
//   dweight += doutT · colsᵀ              linear_forward (dot products of length N·P), then added
//   dbias += doutT · 1                    linear_forward with a column of ones
//   dcols = weightᵀ · doutT                linear_backward_input (rows IN·k·k, inner OUT), then
//                                         summed back into the input positions (col2im)
// The long dimension N·P is the one the kernels run along (their vector lanes and their dot
// products), so a convolution with few channels runs as fast as a wide one. From (OUT, N, P) to
// the tensors' (N, OUT, P) and back is a copy of contiguous planes.
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
  // The patches of images n0 .. n0+count into cols_, and their gradient dcols_ back into dinp_.
  void im2col(int n0, int count);
  void col2im(int n0, int count);
  bool same_plane() const;  // stride 1 and the output plane the size of the input plane
  int in_ = 0, out_ = 0, k_ = 1;
  Conv2dOptions opts_;
  bool weight_grad_defined_ = false, bias_grad_defined_ = false;
  Buffer weight_, bias_, dweight_, dbias_;
  Buffer input_;                       // the forward's input (N, IN, H, W)
  Buffer cols_, planes_, dcols_;       // per chunk of images: (IN·k·k, C·P), (OUT, C·P), (IN·k·k, C·P)
  Buffer weight_t_;                    // weightᵀ (IN·k·k, OUT)
  Buffer dweight_batch_, dbias_batch_;  // this batch's gradients, summed over the chunks
  Buffer dweight_chunk_, ones_;        // one chunk's dweight (and dbias); C·P ones: dbias as a product
  int chunk_ = 1;                      // images per chunk
  int n_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
};

}  // namespace bn

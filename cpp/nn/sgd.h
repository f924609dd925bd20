// torch.optim.SGD, update rule to the letter (see kernels.h sgd_step_ref). Holds the module it
// optimises (shared ownership) and one momentum buffer per parameter, created on the first step.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "module.h"

namespace bn {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD {
 public:
  Status init(std::shared_ptr<Module> model, const SGDOptions& opts);
  // Updates every parameter whose gradient has been written by a backward (torch skips
  // parameters whose .grad is None).
  void step();
  void zero_grad();
  const SGDOptions& options() const { return opts_; }
  Status set_lr(double lr);
  // The momentum buffers (one per parameter, empty without momentum) and whether each has been
  // started, for the trainer's snapshots of its last finite state.
  std::vector<Buffer>& momentum_buffers() { return bufs_; }
  std::vector<uint8_t>& momentum_started() { return buf_init_; }

 private:
  std::shared_ptr<Module> model_;
  SGDOptions opts_;
  std::vector<StateEntry> params_;
  std::vector<Buffer> bufs_;
  std::vector<uint8_t> buf_init_;  // 0 or 1 (vector<bool> costs 2.5 KB of wasm for its assign)
};

}  // namespace bn

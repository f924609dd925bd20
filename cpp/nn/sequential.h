// Sequential: runs its children in order; state keys are prefixed with the child's index, exactly
// as torch.nn.Sequential ("0.weight", "1.running_mean", ...). Children are shared_ptr, so they
// outlive any JS handle that is disposed early.
#pragma once

#include <memory>
#include <vector>

#include "module.h"

namespace bn {

class Sequential : public Module {
 public:
  const char* kind() const override { return "Sequential"; }
  void add(std::shared_ptr<Module> m) { children_.push_back(std::move(m)); }
  size_t size() const { return children_.size(); }
  Module& child(size_t i) { return *children_[i]; }

  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  void set_training(bool training) override;
  void state(std::vector<StateEntry>& out, const std::string& prefix) override;
  const Buffer& output() const override;
  const Buffer& input_grad() const override;

 private:
  std::vector<std::shared_ptr<Module>> children_;
  std::vector<uint64_t> child_forwards_;  // each child's forward_count() after our last forward
};

}  // namespace bn

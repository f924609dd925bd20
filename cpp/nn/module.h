// The layer interface every module implements (Linear, BatchNorm, activations, Sequential).
//
// A module owns its output and input-gradient buffers and whatever it caches for backward, so
// `forward` may be handed any input pointer that stays valid only for the call. Outputs stay
// valid until the next forward (backward: until the next backward) of the same module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/buffer.h"
#include "base/status.h"

namespace bn {

// A row-major shape of rank 1..4.
struct Shape {
  int rank = 0;
  int dims[4] = {0, 0, 0, 0};

  size_t numel() const {
    size_t n = rank > 0 ? 1 : 0;
    for (int i = 0; i < rank; ++i) n *= static_cast<size_t>(dims[i]);
    return n;
  }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i)
      if (dims[i] != o.dims[i]) return false;
    return true;
  }
  std::string str() const;  // "[N, C, L]"
};

// Checks rank 1..4, every dim >= 1 and the element count <= kMaxElements; `arg` names the
// argument in the message.
Status validate_shape(const Shape& s, const char* arg);

// One entry of a module's state: a parameter (with its gradient), a float buffer, or a counter.
struct StateEntry {
  enum Kind : int { Parameter = 0, FloatBuffer = 1, Counter = 2 };
  std::string name;      // PyTorch's key, e.g. "weight", "running_mean", "0.weight"
  Kind kind = Parameter;
  Buffer* value = nullptr;   // Parameter, FloatBuffer
  Buffer* grad = nullptr;    // Parameter
  int64_t* counter = nullptr;  // Counter (num_batches_tracked)
  bool* grad_defined = nullptr;  // Parameter: false until a backward wrote its gradient (torch's None)
  size_t length() const { return kind == Counter ? 1 : value->size(); }
};

class Module {
 public:
  virtual ~Module() = default;
  virtual const char* kind() const = 0;  // "Linear", "BatchNorm1d", ...

  // x has `shape`; on success output()/output_shape() hold the result.
  virtual Status forward(const float* x, const Shape& shape) = 0;
  // dy has output_shape() of the last forward; on success input_grad() holds dx (input's shape).
  // Parameter gradients accumulate (+=).
  virtual Status backward(const float* dy) = 0;

  // When false, backward() may skip computing input_grad() (its contents are then unspecified):
  // a model's first layer has no one to pass it to, and for a Linear it is a third of the work.
  void set_input_grad_needed(bool needed) { input_grad_needed_ = needed; }
  bool input_grad_needed() const { return input_grad_needed_; }

  virtual void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }

  // Parameters first, then buffers, in PyTorch's state_dict order.
  virtual void state(std::vector<StateEntry>& out, const std::string& prefix);
  // Sets every parameter gradient to zero (torch 1.13's zero_grad(set_to_none=False)).
  void zero_grad();

  virtual const Buffer& output() const { return output_; }
  const Shape& output_shape() const { return out_shape_; }
  virtual const Buffer& input_grad() const { return dinp_; }
  const Shape& input_shape() const { return in_shape_; }
  bool has_forward() const { return has_forward_; }
  // Successful forwards so far: lets a Sequential notice that a child was run on its own between
  // the model's forward and backward (its caches then belong to another input).
  uint64_t forward_count() const { return forward_count_; }

 protected:
  bool training_ = true;
  bool input_grad_needed_ = true;
  bool has_forward_ = false;  // a forward succeeded since construction (backward needs one)
  uint64_t forward_count_ = 0;
  // Every successful forward ends here.
  void finish_forward() {
    has_forward_ = true;
    ++forward_count_;
  }
  Shape in_shape_, out_shape_;
  Buffer output_, dinp_;
};

}  // namespace bn

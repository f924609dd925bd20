#include "sequential.h"

#include <cstring>

namespace bn {

Status Sequential::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  if (children_.empty()) {  // torch: an empty Sequential is the identity
    BN_TRY(output_.resize(shape.numel()));
    std::memcpy(output_.data(), x, shape.numel() * sizeof(float));
    in_shape_ = out_shape_ = shape;
    finish_forward();
    return Status::ok();
  }
  const float* in = x;
  Shape s = shape;
  for (size_t i = 0; i < children_.size(); ++i) {
    Status st = children_[i]->forward(in, s);
    if (!st) {
      // Name the layer that refused, so a shape mismatch deep in a model is easy to find.
      st.message = "layer " + std::to_string(i) + " (" + children_[i]->kind() + "): " + st.message;
      has_forward_ = false;  // the children now hold a mix of old and new caches
      return st;
    }
    in = children_[i]->output().data();
    s = children_[i]->output_shape();
  }
  child_forwards_.clear();
  for (auto& c : children_) child_forwards_.push_back(c->forward_count());
  in_shape_ = shape;
  out_shape_ = s;
  finish_forward();
  return Status::ok();
}

Status Sequential::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a successful forward() first");
  if (children_.empty()) {
    BN_TRY(dinp_.resize(output_.size()));
    std::memcpy(dinp_.data(), dy, output_.size() * sizeof(float));
    return Status::ok();
  }
  for (size_t i = 0; i < children_.size(); ++i)
    if (children_[i]->forward_count() != child_forwards_[i])
      return Status::state_error("layer " + std::to_string(i) + " (" + children_[i]->kind() +
                                 ") was run on its own since this model's forward(); call the model's forward() again before backward()");
  const float* g = dy;
  for (size_t i = children_.size(); i-- > 0;) {
    // Only the first layer's input gradient leaves the model; it is skipped when nobody wants it.
    if (i == 0) children_[0]->set_input_grad_needed(input_grad_needed_);
    Status st = children_[i]->backward(g);
    if (i == 0) children_[0]->set_input_grad_needed(true);
    if (!st) {
      st.message = "layer " + std::to_string(i) + " (" + children_[i]->kind() + "): " + st.message;
      return st;
    }
    g = children_[i]->input_grad().data();
  }
  return Status::ok();
}

void Sequential::set_training(bool training) {
  training_ = training;
  for (auto& c : children_) c->set_training(training);
}

void Sequential::state(std::vector<StateEntry>& out, const std::string& prefix) {
  for (size_t i = 0; i < children_.size(); ++i)
    children_[i]->state(out, prefix + std::to_string(i) + ".");
}

const Buffer& Sequential::output() const {
  return children_.empty() ? output_ : children_.back()->output();
}

const Buffer& Sequential::input_grad() const {
  return children_.empty() ? dinp_ : children_.front()->input_grad();
}

}  // namespace bn

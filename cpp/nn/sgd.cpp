#include "sgd.h"

#include <cmath>

#include "kernels/dispatch.h"

namespace bn {

Status SGD::set_lr(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) return Status::range_error("lr must be a finite number >= 0");
  opts_.lr = lr;
  return Status::ok();
}

Status SGD::init(std::shared_ptr<Module> model, const SGDOptions& o) {
  if (!model) return Status::type_error("model must be a layer or a Sequential");
  BN_TRY(set_lr(o.lr));
  if (!(o.momentum >= 0) || !std::isfinite(o.momentum)) return Status::range_error("momentum must be a finite number >= 0");
  if (!std::isfinite(o.dampening)) return Status::range_error("dampening must be a finite number");
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay))
    return Status::range_error("weightDecay must be a finite number >= 0");
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    return Status::range_error("nesterov requires momentum > 0 and dampening = 0");
  opts_ = o;
  model_ = std::move(model);
  params_.clear();
  std::vector<StateEntry> all;
  model_->state(all, "");
  for (auto& e : all)
    if (e.kind == StateEntry::Parameter) params_.push_back(e);
  bufs_.clear();
  bufs_.resize(params_.size());
  buf_init_.assign(params_.size(), 0);
  if (opts_.momentum != 0)
    for (size_t i = 0; i < params_.size(); ++i) BN_TRY(bufs_[i].resize(params_[i].value->size()));
  return Status::ok();
}

void SGD::step() {
  const bool use_buf = opts_.momentum != 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    StateEntry& p = params_[i];
    if (!*p.grad_defined) continue;
    kernels::active::sgd_step(p.value->data(), use_buf ? bufs_[i].data() : nullptr, p.grad->data(),
                              static_cast<float>(opts_.lr), static_cast<float>(opts_.momentum),
                              static_cast<float>(opts_.dampening), static_cast<float>(opts_.weight_decay),
                              opts_.nesterov, buf_init_[i] != 0, p.value->size());
    if (use_buf) buf_init_[i] = 1;
  }
}

void SGD::zero_grad() {
  for (auto& p : params_) p.grad->zero();
}

}  // namespace bn

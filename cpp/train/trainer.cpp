#include "trainer.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/limits.h"
#include "base/memory.h"
#include "nn/loss.h"

namespace bn {

namespace {

// The most steps one run() may take: bounds the metrics a single call records.
// Evaluation and grid prediction go through the model in chunks of at most this many rows.
constexpr int kChunk = 1024;

Status check_view(const DataView& d, const char* name, int features, bool allow_empty) {
  if (!d.x || !d.y || d.n < (allow_empty ? 0 : 1))
    return Status::range_error(std::string(name) + ": the dataset is empty");
  if (d.features != features)
    return Status::range_error(std::string(name) + ": has " + std::to_string(d.features) +
                               " features but the model's input has " + std::to_string(features));
  return Status::ok();
}

// Linear-interpolated quantile q of sorted values (numpy's default).
float quantile(const std::vector<float>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double t = pos - static_cast<double>(lo);
  return static_cast<float>(sorted[lo] + t * (sorted[hi] - sorted[lo]));
}

}  // namespace

Status Trainer::init(const NetConfig& model, const TrainerConfig& cfg, DataView train, DataView test) {
  BN_TRY(build_net(&net_, model));
  const int in = model.sizes.front(), out = model.sizes.back();
  BN_TRY(check_view(train, "train", in, false));
  if (test.n > 0) BN_TRY(check_view(test, "test", in, true));
  if (train.classes > out)
    return Status::range_error("the model has " + std::to_string(out) + " outputs but the dataset has " +
                               std::to_string(train.classes) + " classes");
  if (test.n > 0 && test.classes > out)
    return Status::range_error("the model has " + std::to_string(out) + " outputs but the test set has " +
                               std::to_string(test.classes) + " classes");
  if (cfg.batch_size < kMinBatchSize || cfg.batch_size > kMaxBatchSize)
    return Status::range_error("batchSize must be in [" + std::to_string(kMinBatchSize) + ", " + std::to_string(kMaxBatchSize) + "], got " + std::to_string(cfg.batch_size));
  if (cfg.batch_size > train.n)
    return Status::range_error("batchSize " + std::to_string(cfg.batch_size) + " is larger than the " +
                               std::to_string(train.n) + " training examples");
  for (int width : model.sizes)
    if (static_cast<uint64_t>(cfg.batch_size) * static_cast<uint64_t>(width) > kMaxElements)
      return Status::range_error("batchSize × layer width exceeds " + std::to_string(kMaxElements) + " elements");
  for (size_t size : net_.act_sizes)
    if (static_cast<uint64_t>(cfg.batch_size) * size > kMaxElements)
      return Status::range_error("batchSize × a conv block's output exceeds " + std::to_string(kMaxElements) + " elements");
  if (cfg.eval_every < 0) return Status::range_error("evalEvery must be >= 0");
  if (cfg.eval_limit < 0) return Status::range_error("evalLimit must be >= 0");
  BN_TRY(check_watch(cfg.watch_layer, cfg.watch_unit));
  if (!(cfg.explode_factor > 1)) return Status::range_error("explodeFactor must be > 1");
  BN_TRY(sgd_.init(net_.model, cfg.sgd));
  BN_TRY(init_snapshots());
  cfg_ = cfg;
  train_ = train;
  test_ = test;
  order_rng_.seed(cfg.data_seed);
  probe_rng_.seed(cfg.data_seed ^ 0x50524F4245ull);  // its own stream: probing leaves the batch order alone
  probe_perm_.clear();
  // The vectors below are sized once, here; checked first so that a full heap refuses the trainer.
  if (void* probe = std::malloc((static_cast<size_t>(train.n) + static_cast<size_t>(cfg.batch_size)) * sizeof(int32_t) + kReserveBytes)) {
    std::free(probe);
  } else {
    return Status::out_of_memory("cannot allocate the trainer's permutation of " + std::to_string(train.n) + " examples");
  }
  perm_.resize(static_cast<size_t>(train.n));
  cursor_ = perm_.size();  // forces a shuffle before the first batch
  BN_TRY(batch_x_.resize(static_cast<size_t>(cfg.batch_size) * static_cast<size_t>(in)));
  batch_y_.resize(static_cast<size_t>(cfg.batch_size));
  BN_TRY(grad_.resize(static_cast<size_t>(cfg.batch_size) * static_cast<size_t>(out)));
  step_ = 0;
  diverged_at_ = 0;
  restored_to_ = -1;
  snap_valid_ = -1;
  first_loss_ = -1;
  net_.model->set_training(true);
  net_.model->set_input_grad_needed(false);  // nothing uses the gradient w.r.t. the data
  return Status::ok();
}

Status Trainer::next_batch() {
  const size_t b = static_cast<size_t>(cfg_.batch_size);
  if (cursor_ + b > perm_.size()) {
    // New epoch: Fisher-Yates shuffle from the data-order generator.
    for (size_t i = 0; i < perm_.size(); ++i) perm_[i] = static_cast<int32_t>(i);
    for (size_t i = perm_.size() - 1; i > 0; --i)
      std::swap(perm_[i], perm_[static_cast<size_t>(order_rng_.below(i + 1))]);
    cursor_ = 0;
  }
  const size_t d = static_cast<size_t>(train_.features);
  for (size_t i = 0; i < b; ++i) {
    const int32_t idx = perm_[cursor_ + i];
    std::memcpy(batch_x_.data() + i * d, train_.x + static_cast<size_t>(idx) * d, d * sizeof(float));
    batch_y_[i] = train_.y[idx];
    batch_idx_.push_back(idx);
  }
  cursor_ += b;
  return Status::ok();
}

Shape Trainer::input_shape(int rows) const {
  Shape s;
  s.rank = net_.example.rank + 1;
  s.dims[0] = rows;
  for (int i = 0; i < net_.example.rank; ++i) s.dims[i + 1] = net_.example.dims[i];
  return s;
}

void Trainer::record_percentiles() {
  if (cfg_.watch_layer < 0) return;
  const Module* m = net_.act_inputs[static_cast<size_t>(cfg_.watch_layer)];
  // Element (n, unit, s) of the (N, C, S) output: S = 1 after a Linear, H·W after a Conv2d.
  const Shape& shape = m->output_shape();
  const size_t n = static_cast<size_t>(shape.dims[0]), units = static_cast<size_t>(shape.dims[1]);
  const size_t per = m->output().size() / (n * units);
  scratch_.resize(n * per);
  for (size_t r = 0; r < n; ++r)
    for (size_t q = 0; q < per; ++q)
      scratch_[r * per + q] = m->output()[(r * units + static_cast<size_t>(cfg_.watch_unit)) * per + q];
  std::sort(scratch_.begin(), scratch_.end());
  pct_.push_back(quantile(scratch_, 0.15));
  pct_.push_back(quantile(scratch_, 0.50));
  pct_.push_back(quantile(scratch_, 0.85));
}

void Trainer::snapshot_activations() {
  last_acts_.resize(net_.act_inputs.size());
  for (size_t l = 0; l < net_.act_inputs.size(); ++l) {
    const Buffer& v = net_.act_inputs[l]->output();
    last_acts_[l].assign(v.data(), v.data() + v.size());
  }
}

Status Trainer::init_snapshots() {
  snap_floats_.clear();
  snap_counters_.clear();
  std::vector<StateEntry> entries;
  net_.model->state(entries, "");
  size_t floats = 0;
  for (StateEntry& e : entries) {
    if (e.kind == StateEntry::Counter) {
      snap_counters_.push_back(e.counter);
    } else {
      snap_floats_.push_back(e.value);
      floats += e.value->size();
    }
  }
  for (Buffer& b : sgd_.momentum_buffers()) {
    snap_floats_.push_back(&b);
    floats += b.size();
  }
  for (int k = 0; k < 2; ++k) {
    BN_TRY(snap_[k].resize(floats));
    snap_count_[k].assign(snap_counters_.size(), 0);
    snap_started_[k].assign(sgd_.momentum_started().size(), 0);
  }
  return Status::ok();
}

void Trainer::save_if_finite() {
  const int k = snap_valid_ == 0 ? 1 : 0;
  float* out = snap_[k].data();
  bool finite = true;
  for (const Buffer* b : snap_floats_) {
    const float* v = b->data();
    for (size_t i = 0; i < b->size(); ++i) {
      out[i] = v[i];
      finite &= std::isfinite(v[i]);
    }
    out += b->size();
  }
  if (!finite) return;  // keep the previous copy
  for (size_t i = 0; i < snap_counters_.size(); ++i) snap_count_[k][i] = *snap_counters_[i];
  snap_started_[k] = sgd_.momentum_started();  // same size: no allocation
  snap_step_[k] = step_;
  snap_valid_ = k;
}

void Trainer::restore_finite() {
  if (snap_valid_ < 0) return;
  const int k = snap_valid_;
  const float* in = snap_[k].data();
  for (Buffer* b : snap_floats_) {
    if (b->size() == 0) continue;  // an empty momentum buffer (no momentum) has no data pointer
    std::memcpy(b->data(), in, b->size() * sizeof(float));
    in += b->size();
  }
  for (size_t i = 0; i < snap_counters_.size(); ++i) *snap_counters_[i] = snap_count_[k][i];
  sgd_.momentum_started() = snap_started_[k];
  restored_to_ = snap_step_[k];
}

Status Trainer::run(int steps) {
  if (steps < 0 || steps > kMaxStepsPerRun)
    return Status::range_error("steps must be in [0, " + std::to_string(kMaxStepsPerRun) + "], got " + std::to_string(steps));
  if (diverged()) return Status::state_error("this run diverged at step " + std::to_string(diverged_at_) + "; reset it to train again");
  const int b = cfg_.batch_size, k = net_.classes;
  const size_t n_steps = static_cast<size_t>(steps), n_idx = n_steps * static_cast<size_t>(b);
  if (n_idx > kMaxRunBatchIndices)
    return Status::range_error("steps × batchSize must be at most " + std::to_string(kMaxRunBatchIndices) +
                               " (the batch indices of one run are kept), got " + std::to_string(steps) + " × " +
                               std::to_string(b) + ": run fewer steps per call");
  // Every container this run fills is sized now, after checking that the heap holds it (and the
  // reserve of base/memory.h besides): a run either starts with all its memory or not at all.
  const size_t n_eval = cfg_.eval_every > 0 && test_.n > 0 ? n_steps / static_cast<size_t>(cfg_.eval_every) + 1 : 0;
  // The last batch's activation inputs (histograms) and the percentile scratch: b × each hidden width.
  size_t acts = 0;
  for (size_t size : net_.act_sizes) acts += static_cast<size_t>(b) * size;
  if (!last_acts_.empty()) acts = 0;  // already sized by an earlier run
  size_t watched = static_cast<size_t>(b);  // the percentile scratch: the watched unit's values
  if (cfg_.watch_layer >= 0)
    watched *= net_.act_sizes[static_cast<size_t>(cfg_.watch_layer)] / static_cast<size_t>(net_.act_channels[static_cast<size_t>(cfg_.watch_layer)]);
  const size_t floats = n_steps * (2 + 3 + net_.weight_grads.size()) + 3 * n_eval + acts + watched;
  if (void* probe = std::malloc(n_idx * sizeof(int32_t) + floats * sizeof(float) + kReserveBytes)) {
    std::free(probe);
  } else {
    return Status::out_of_memory("run(" + std::to_string(steps) + "): its metrics and batch indices do not fit in the wasm heap; run fewer steps per call or free memory");
  }
  for (auto* v : {&losses_, &batch_acc_, &pct_, &gnorm_, &eval_step_, &eval_loss_, &eval_acc_}) v->clear();
  batch_idx_.clear();
  losses_.reserve(n_steps);
  batch_acc_.reserve(n_steps);
  if (cfg_.watch_layer >= 0) pct_.reserve(3 * n_steps);
  gnorm_.reserve(n_steps * net_.weight_grads.size());
  eval_step_.reserve(n_eval);
  eval_loss_.reserve(n_eval);
  eval_acc_.reserve(n_eval);
  batch_idx_.reserve(n_idx);
  const Shape in_shape = input_shape(b);
  for (int s = 0; s < steps; ++s) {
    save_if_finite();
    BN_TRY(next_batch());
    sgd_.zero_grad();
    BN_TRY(net_.model->forward(batch_x_.data(), in_shape));
    const float* logits = net_.model->output().data();
    double loss = 0;
    bool finite = true;
    for (size_t i = 0; i < static_cast<size_t>(b) * static_cast<size_t>(k); ++i) finite = finite && std::isfinite(logits[i]);
    if (finite) BN_TRY(cross_entropy(&loss, grad_.data(), logits, batch_y_.data(), b, k));
    if (first_loss_ < 0 && finite) first_loss_ = loss;
    // The loss is reported as a float: one beyond float's range (logits near ±3e38 make the
    // log-sum-exp exceed it, although double holds it) is as diverged as an infinite one.
    if (!finite || !(loss <= FLT_MAX) || loss > cfg_.explode_factor * std::max(1.0, first_loss_)) {
      // Nothing downstream sees this step's numbers: the step is not recorded or applied.
      diverged_at_ = step_ + 1;
      batch_idx_.resize(static_cast<size_t>(s) * static_cast<size_t>(b));
      restore_finite();
      return Status::ok();
    }
    int correct = 0;
    for (int n = 0; n < b; ++n) {
      const float* row = logits + static_cast<size_t>(n) * static_cast<size_t>(k);
      correct += (std::max_element(row, row + k) - row) == batch_y_[static_cast<size_t>(n)];
    }
    const size_t pct_mark = pct_.size(), gnorm_mark = gnorm_.size();
    record_percentiles();
    BN_TRY(net_.model->backward(grad_.data()));
    bool healthy = true;
    for (const Buffer* g : net_.weight_grads) {
      double ss = 0;
      for (size_t i = 0; i < g->size(); ++i) ss += static_cast<double>((*g)[i]) * (*g)[i];
      gnorm_.push_back(static_cast<float>(std::sqrt(ss)));
      healthy = healthy && std::isfinite(gnorm_.back());
    }
    for (size_t i = pct_mark; i < pct_.size(); ++i) healthy = healthy && std::isfinite(pct_[i]);
    if (!healthy) {
      // A finite loss with a non-finite gradient or activation (e.g. gamma/sigma overflowing):
      // the update would poison the weights, so this step is the divergence.
      pct_.resize(pct_mark);
      gnorm_.resize(gnorm_mark);
      diverged_at_ = step_ + 1;
      batch_idx_.resize(static_cast<size_t>(s) * static_cast<size_t>(b));
      restore_finite();
      return Status::ok();
    }
    if (s + 1 == steps) snapshot_activations();
    sgd_.step();
    ++step_;
    losses_.push_back(static_cast<float>(loss));
    batch_acc_.push_back(static_cast<float>(correct) / static_cast<float>(b));
    if (cfg_.eval_every > 0 && test_.n > 0 && step_ % cfg_.eval_every == 0) {
      double tl = 0, ta = 0;
      bool finite_outputs = true;
      BN_TRY(evaluate_impl(test_, cfg_.eval_limit, &tl, &ta, &finite_outputs));
      if (!finite_outputs || !(tl <= FLT_MAX)) {
        // This step's update broke the model: it is the divergence. Like the other divergences it
        // does not count as completed, and its metrics are dropped, so every reported step
        // precedes it.
        diverged_at_ = step_--;
        losses_.pop_back();
        batch_acc_.pop_back();
        pct_.resize(pct_mark);
        gnorm_.resize(gnorm_mark);
        batch_idx_.resize(static_cast<size_t>(s) * static_cast<size_t>(b));
        restore_finite();
        return Status::ok();
      }
      eval_step_.push_back(static_cast<float>(step_));
      eval_loss_.push_back(static_cast<float>(tl));
      eval_acc_.push_back(static_cast<float>(ta));
    }
  }
  return Status::ok();
}

Status Trainer::loss_and_grad(double* loss, bool* finite) {
  const int b = cfg_.batch_size, k = net_.classes;
  sgd_.zero_grad();
  BN_TRY(net_.model->forward(batch_x_.data(), input_shape(b)));
  const float* logits = net_.model->output().data();
  *finite = true;
  for (size_t i = 0; i < static_cast<size_t>(b) * static_cast<size_t>(k); ++i) *finite = *finite && std::isfinite(logits[i]);
  if (!*finite) return Status::ok();
  BN_TRY(cross_entropy(loss, grad_.data(), logits, batch_y_.data(), b, k));
  if (!(*loss <= FLT_MAX)) {
    *finite = false;
    return Status::ok();
  }
  BN_TRY(net_.model->backward(grad_.data()));
  std::vector<StateEntry> entries;
  net_.model->state(entries, "");
  for (const StateEntry& e : entries)
    if (e.kind == StateEntry::Parameter)
      for (size_t i = 0; i < e.grad->size(); ++i) *finite = *finite && std::isfinite((*e.grad)[i]);
  return Status::ok();
}

Status Trainer::probe_landscape(const float* etas, int n, float* out) {
  if (n < 1 || n > kMaxProbeSteps)
    return Status::range_error("stepSizes must hold 1 to " + std::to_string(kMaxProbeSteps) + " values, got " + std::to_string(n));
  for (int i = 0; i < n; ++i)
    if (!(etas[i] > 0 && etas[i] <= 1e3))
      return Status::range_error("stepSizes[" + std::to_string(i) + "] must be a number in (0, 1000]");
  if (diverged()) return Status::state_error("this run diverged at step " + std::to_string(diverged_at_) + "; reset it to measure it");
  std::vector<StateEntry> entries;
  net_.model->state(entries, "");
  size_t values = 0, params = 0;
  for (const StateEntry& e : entries) {
    if (e.kind != StateEntry::Counter) values += e.value->size();
    if (e.kind == StateEntry::Parameter) params += e.value->size();
  }
  if (probe_perm_.empty()) {
    if (void* room = std::malloc(static_cast<size_t>(train_.n) * sizeof(int32_t) + kReserveBytes)) {
      std::free(room);
    } else {
      return Status::out_of_memory("probeLandscape: no room for its batch order");
    }
    probe_perm_.resize(static_cast<size_t>(train_.n));
    for (size_t i = 0; i < probe_perm_.size(); ++i) probe_perm_[i] = static_cast<int32_t>(i);
  }
  BN_TRY(probe_saved_.resize(values));
  BN_TRY(probe_grad_.resize(params));
  // The batch: the first batch_size entries of a partial Fisher-Yates shuffle.
  const size_t b = static_cast<size_t>(cfg_.batch_size), d = static_cast<size_t>(train_.features);
  for (size_t i = 0; i < b; ++i) {
    std::swap(probe_perm_[i], probe_perm_[i + static_cast<size_t>(probe_rng_.below(probe_perm_.size() - i))]);
    const int32_t idx = probe_perm_[i];
    std::memcpy(batch_x_.data() + i * d, train_.x + static_cast<size_t>(idx) * d, d * sizeof(float));
    batch_y_[i] = train_.y[idx];
  }
  // Everything a training-mode forward or the moves below change.
  {
    float* at = probe_saved_.data();
    for (const StateEntry& e : entries)
      if (e.kind != StateEntry::Counter) {
        if (e.value->size()) std::memcpy(at, e.value->data(), e.value->size() * sizeof(float));
        at += e.value->size();
      }
  }
  std::vector<int64_t> counters;
  std::vector<Rng> noise_rngs;
  for (const StateEntry& e : entries)
    if (e.kind == StateEntry::Counter) counters.push_back(*e.counter);
  for (ShiftScaleNoise* z : net_.noises) noise_rngs.push_back(z->rng());
  auto restore = [&](bool weights_only) {
    const float* at = probe_saved_.data();
    size_t c = 0;
    for (const StateEntry& e : entries) {
      if (e.kind == StateEntry::Counter) {
        if (!weights_only) *e.counter = counters[c];
        ++c;
        continue;
      }
      if ((e.kind == StateEntry::Parameter || !weights_only) && e.value->size())
        std::memcpy(e.value->data(), at, e.value->size() * sizeof(float));
      at += e.value->size();
    }
    for (size_t i = 0; i < net_.noises.size(); ++i) net_.noises[i]->rng() = noise_rngs[i];
  };
  const float inf = std::numeric_limits<float>::infinity();
  double loss0 = 0;
  bool finite = true;
  Status st = loss_and_grad(&loss0, &finite);
  double gnorm2 = 0;
  if (st && finite) {
    float* g = probe_grad_.data();
    for (const StateEntry& e : entries)
      if (e.kind == StateEntry::Parameter) {
        for (size_t i = 0; i < e.grad->size(); ++i) {
          g[i] = (*e.grad)[i];
          gnorm2 += static_cast<double>(g[i]) * g[i];
        }
        g += e.grad->size();
      }
  }
  out[0] = finite ? static_cast<float>(loss0) : inf;
  out[1] = finite ? static_cast<float>(std::sqrt(gnorm2)) : inf;
  for (int i = 0; st && i < n; ++i) {
    if (!finite) {
      out[2 + i] = out[2 + n + i] = inf;
      continue;
    }
    // θ − η·g, from the saved θ.
    restore(true);
    const float* g = probe_grad_.data();
    for (const StateEntry& e : entries)
      if (e.kind == StateEntry::Parameter) {
        for (size_t j = 0; j < e.value->size(); ++j) (*e.value)[j] -= etas[i] * g[j];
        g += e.value->size();
      }
    double li = 0;
    bool fi = true;
    st = loss_and_grad(&li, &fi);
    if (!st) break;
    double diff2 = 0;
    g = probe_grad_.data();
    for (const StateEntry& e : entries)
      if (e.kind == StateEntry::Parameter) {
        for (size_t j = 0; j < e.grad->size(); ++j) {
          const double dg = static_cast<double>((*e.grad)[j]) - g[j];
          diff2 += dg * dg;
        }
        g += e.grad->size();
      }
    out[2 + i] = fi ? static_cast<float>(li) : inf;
    out[2 + n + i] = fi && std::isfinite(diff2) ? static_cast<float>(std::sqrt(diff2)) : inf;
  }
  restore(false);
  sgd_.zero_grad();
  return st;
}

Status Trainer::evaluate(const DataView& d, int limit, double* loss, double* accuracy) {
  bool finite = true;
  BN_TRY(evaluate_impl(d, limit, loss, accuracy, &finite));
  if (!finite) return Status::range_error("the model's outputs are not finite: the run has diverged");
  return Status::ok();
}

Status Trainer::evaluate_impl(const DataView& d, int limit, double* loss, double* accuracy, bool* finite_outputs) {
  const int in = net_.in_features, k = net_.classes;
  BN_TRY(check_view(d, "dataset", in, false));
  const int n = limit > 0 ? std::min(limit, d.n) : d.n;
  const bool was_training = net_.model->training();
  net_.model->set_training(false);
  double total = 0;
  int correct = 0;
  Buffer g;
  Status st = Status::ok();
  for (int start = 0; start < n && st; start += kChunk) {
    const int rows = std::min(kChunk, n - start);
    st = net_.model->forward(d.x + static_cast<size_t>(start) * static_cast<size_t>(in), input_shape(rows));
    if (!st) break;
    const float* logits = net_.model->output().data();
    bool finite = true;
    for (size_t i = 0; i < static_cast<size_t>(rows) * static_cast<size_t>(k); ++i) finite = finite && std::isfinite(logits[i]);
    if (!finite) {
      *finite_outputs = false;
      break;
    }
    st = g.resize(static_cast<size_t>(rows) * static_cast<size_t>(k));
    double l = 0;
    if (st) st = cross_entropy(&l, g.data(), logits, d.y + start, rows, k);
    total += l * rows;
    for (int r = 0; r < rows; ++r) {
      const float* row = logits + static_cast<size_t>(r) * static_cast<size_t>(k);
      correct += (std::max_element(row, row + k) - row) == d.y[start + r];
    }
  }
  net_.model->set_training(was_training);
  BN_TRY(st);
  *loss = total / n;
  *accuracy = static_cast<double>(correct) / n;
  return Status::ok();
}

Status Trainer::predict_grid(float* out, double x0, double x1, double y0, double y1, int nx, int ny) {
  if (net_.example.rank != 1 || net_.in_features != 2) return Status::range_error("predictGrid needs an MLP with 2 inputs");
  if (net_.classes < 2) return Status::range_error("predictGrid needs at least 2 classes");
  if (nx < 1 || ny < 1 || static_cast<int64_t>(nx) * ny > kMaxGridPoints)
    return Status::range_error("the grid must have between 1 and 1048576 points");
  if (!std::isfinite(x0) || !std::isfinite(x1) || !std::isfinite(y0) || !std::isfinite(y1))
    return Status::range_error("the grid bounds must be finite");
  const int k = net_.classes;
  const bool was_training = net_.model->training();
  net_.model->set_training(false);
  Buffer pts;
  Status st = pts.resize(static_cast<size_t>(std::min(nx * ny, kChunk)) * 2);
  const int total = nx * ny;
  for (int start = 0; start < total && st; start += kChunk) {
    const int rows = std::min(kChunk, total - start);
    for (int r = 0; r < rows; ++r) {
      const int i = start + r, gx = i % nx, gy = i / nx;
      pts[static_cast<size_t>(2 * r)] = static_cast<float>(nx > 1 ? x0 + (x1 - x0) * gx / (nx - 1) : x0);
      pts[static_cast<size_t>(2 * r + 1)] = static_cast<float>(ny > 1 ? y0 + (y1 - y0) * gy / (ny - 1) : y0);
    }
    st = net_.model->forward(pts.data(), Shape{2, {rows, 2, 0, 0}});
    if (!st) break;
    const float* logits = net_.model->output().data();
    for (int r = 0; r < rows; ++r) {
      const float* row = logits + static_cast<size_t>(r) * static_cast<size_t>(k);
      const float mx = *std::max_element(row, row + k);
      double sum = 0;  // float exponentials, as in cross_entropy
      for (int c = 0; c < k; ++c) sum += static_cast<double>(std::exp(row[c] - mx));
      const double p1 = static_cast<double>(std::exp(row[1] - mx)) / sum;
      out[start + r] = std::isfinite(p1) ? static_cast<float>(p1) : 0.5f;
    }
  }
  net_.model->set_training(was_training);
  return st;
}

Status Trainer::check_watch(int layer, int unit) const {
  if (layer >= static_cast<int>(net_.act_inputs.size()) || layer < -1)
    return Status::range_error("watchLayer must be -1 or a hidden layer index below " +
                               std::to_string(net_.act_inputs.size()));
  if (layer >= 0 && (unit < 0 || unit >= net_.act_channels[static_cast<size_t>(layer)]))
    return Status::range_error("watchUnit is out of range for that layer");
  return Status::ok();
}

Status Trainer::set_watch(int layer, int unit) {
  BN_TRY(check_watch(layer, unit));
  cfg_.watch_layer = layer;
  cfg_.watch_unit = layer < 0 ? 0 : unit;
  return Status::ok();
}

int Trainer::hidden_units(int layer) const {
  if (layer < 0 || layer >= static_cast<int>(net_.act_channels.size())) return -1;
  return net_.act_channels[static_cast<size_t>(layer)];
}

namespace {
// Adds v's finite values into h's `bins` bins over [lo, hi) (outside: the end bins).
void count_into(float* h, const float* v, size_t n, int bins, double lo, double hi) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    const double t = (v[i] - lo) / (hi - lo) * bins;
    const int bin = t < 0 ? 0 : t >= bins ? bins - 1 : static_cast<int>(t);
    h[bin] += 1.0f;
  }
}
}  // namespace

Status Trainer::unit_histograms(float* out, int layer, int bins, double lo, double hi) {
  if (layer < 0 || layer >= static_cast<int>(net_.act_inputs.size()))
    return Status::range_error("layer must be a hidden layer index in [0, " + std::to_string(net_.act_inputs.size()) + ")");
  if (bins < 1 || bins > kMaxBins) return Status::range_error("bins must be in [1, " + std::to_string(kMaxBins) + "]");
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return Status::range_error("the histogram range must be finite with hi > lo");
  const size_t units = static_cast<size_t>(net_.act_channels[static_cast<size_t>(layer)]);
  std::fill(out, out + units * static_cast<size_t>(bins), 0.0f);
  if (last_acts_.size() != net_.act_inputs.size()) return Status::ok();  // no training step yet
  // The last batch's (N, units, per) values: per = 1 after a Linear, H·W after a Conv2d.
  const std::vector<float>& v = last_acts_[static_cast<size_t>(layer)];
  const size_t per = net_.act_sizes[static_cast<size_t>(layer)] / units;
  const size_t rows = v.size() / (units * per);
  for (size_t r = 0; r < rows; ++r)
    for (size_t u = 0; u < units; ++u)
      count_into(out + u * static_cast<size_t>(bins), v.data() + (r * units + u) * per, per, bins, lo, hi);
  return Status::ok();
}

Status Trainer::histograms(float* out, int bins, double lo, double hi) {
  if (bins < 1 || bins > kMaxBins) return Status::range_error("bins must be in [1, " + std::to_string(kMaxBins) + "]");
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return Status::range_error("the histogram range must be finite with hi > lo");
  const size_t layers = net_.act_inputs.size();
  std::fill(out, out + layers * static_cast<size_t>(bins), 0.0f);
  if (last_acts_.size() != layers) return Status::ok();  // no training step yet
  for (size_t l = 0; l < layers; ++l)
    count_into(out + l * static_cast<size_t>(bins), last_acts_[l].data(), last_acts_[l].size(), bins, lo, hi);
  return Status::ok();
}

}  // namespace bn

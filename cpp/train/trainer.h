// The training loop, entirely inside the engine: one run() call performs K steps (sample a
// mini-batch, forward, cross-entropy, backward, SGD) and records the metrics of those steps, so a
// page can train thousands of steps per second without a JavaScript round trip per step.
//
// Deterministic for a configuration: the weights come from NetConfig::seed, the mini-batch order
// from TrainerConfig::data_seed (a fresh permutation each epoch; the last partial batch of an
// epoch is dropped so every batch has batch_size examples and BatchNorm never sees a batch of 1).
//
// Metrics are kept for the steps of the LAST run() call only (the caller drains them), so a
// million-step session holds a bounded amount of memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "train/net.h"
#include "nn/sgd.h"

namespace bn {

// A read-only view of a classification set: x is (N, D) row-major (an image is its D = C·H·W
// values), y is (N) in [0, K).
struct DataView {
  const float* x = nullptr;
  const int32_t* y = nullptr;
  int n = 0;
  int features = 0;
  int classes = 0;
};

struct TrainerConfig {
  int batch_size = 32;
  SGDOptions sgd;
  uint64_t data_seed = 0;
  // Test-set evaluation (eval mode) every eval_every steps; 0 turns it off.
  int eval_every = 0;
  // Evaluate on at most this many test examples (0: all of them).
  int eval_limit = 0;
  // Hidden block (0-based: conv blocks, then hidden Linear layers) and unit (feature, or channel
  // of a conv block) whose activation input is summarised each step by its 15th, 50th and 85th
  // percentiles over the batch (and positions) (Ioffe & Szegedy's Figure 1); -1: none.
  int watch_layer = -1;
  int watch_unit = 0;
  // A loss above explode_factor × max(1, first loss) counts as divergence, like a non-finite one.
  double explode_factor = 1e4;
};

class Trainer {
 public:
  // The datasets are views: the caller keeps them alive (the bindings hold shared owners).
  Status init(const NetConfig& model, const TrainerConfig& cfg, DataView train, DataView test);

  // Runs up to `steps` steps; stops early when the run diverges (still Ok: check diverged()).
  // Fails with a StateError when called on a run that has already diverged.
  Status run(int steps);

  // Evaluation of any set in eval mode, in chunks: mean cross-entropy and accuracy. A model whose
  // outputs are not finite (a diverged run) gives a RangeError, never Infinity as a loss.
  Status evaluate(const DataView& d, int limit, double* loss, double* accuracy);

  // Class-1 probability (softmax) of a 2-input MLP on an nx × ny grid over
  // [x0, x1] × [y0, y1], row-major with y outermost, in eval mode. out has nx*ny values.
  Status predict_grid(float* out, double x0, double x1, double y0, double y1, int nx, int ny);

  // Histogram of each hidden layer's activation inputs in the last training batch of the last
  // run() (evaluations made since do not count) over
  // [lo, hi) in `bins` bins (values outside are clamped into the end bins): layers × bins counts.
  Status histograms(float* out, int bins, double lo, double hi);

  // The same, per unit (feature, or channel of a conv block) of hidden block `layer`:
  // hidden_units(layer) × bins counts, unit-major (a channel counts all its positions).
  Status unit_histograms(float* out, int layer, int bins, double lo, double hi);

  // Changes which unit's percentiles the next run() records (validated like the config's
  // watch_layer / watch_unit; -1 turns recording off). Training itself is unaffected.
  Status set_watch(int layer, int unit);

  // Santurkar et al.'s (2018) measurements of the loss landscape at the current weights θ, on one
  // batch of batch_size training examples drawn by the probe's own generator. In training mode,
  // as in a step: the loss L and gradient g at θ, then, for each step size η_i in etas, the loss
  // and gradient at θ − η_i·g (the same batch and, in a noisy network, the same noise).
  // out has 2 + 2n floats: L, ‖g‖, then L(θ − η_i·g) for each i, then ‖∇L(θ − η_i·g) − g‖ for
  // each i (+inf where the loss or the gradient is not finite). Afterwards everything is as
  // before the call (weights, gradients zeroed, BatchNorm buffers and counters, noise
  // generators, batch order), so a measured run trains exactly like an unmeasured one.
  // etas: 1..kMaxProbeSteps finite values in (0, 1e3]. A StateError after a divergence.
  Status probe_landscape(const float* etas, int n, float* out);

  // Units (features or channels) of hidden block `layer`, or -1 for a layer out of range.
  int hidden_units(int layer) const;

  int step() const { return step_; }
  bool diverged() const { return diverged_at_ > 0; }
  int diverged_at() const { return diverged_at_; }  // 1-based step whose loss blew up, 0 if none
  // After a divergence the model (weights, BatchNorm buffers and counters, momentum buffers) is
  // put back to its last all-finite state, the one it had after this many completed steps (step(),
  // or fewer when the last update itself overflowed); -1 before any divergence, or when the run
  // never had a finite state (then nothing was restored).
  int restored_to_step() const { return restored_to_; }
  int hidden_layers() const { return static_cast<int>(net_.act_inputs.size()); }
  int linear_layers() const { return net_.linear_count; }
  // Conv2d and Linear layers: the entries of grad_norms() per step.
  int weight_layers() const { return static_cast<int>(net_.weight_grads.size()); }
  Net& net() { return net_; }

  // Metrics of the last run(): one entry per completed step ...
  const std::vector<float>& losses() const { return losses_; }
  const std::vector<float>& batch_accuracy() const { return batch_acc_; }
  const std::vector<float>& percentiles() const { return pct_; }   // steps × 3 (p15, p50, p85)
  const std::vector<float>& grad_norms() const { return gnorm_; }  // steps × weight_layers()
  // ... and one per evaluation made during it.
  const std::vector<float>& eval_steps() const { return eval_step_; }
  const std::vector<float>& eval_losses() const { return eval_loss_; }
  const std::vector<float>& eval_accuracy() const { return eval_acc_; }
  // Indices of the examples of every batch of the last run() (steps × batch_size), for tests
  // that replay the same batches through the public layer API.
  const std::vector<int32_t>& batch_indices() const { return batch_idx_; }

 private:
  Status next_batch();
  Status check_watch(int layer, int unit) const;
  // evaluate() without the error: *finite_outputs says whether every logit was finite.
  Status evaluate_impl(const DataView& d, int limit, double* loss, double* accuracy, bool* finite_outputs);
  void record_percentiles();
  void snapshot_activations();
  // Double-buffered snapshot of the whole training state: save_if_finite() copies it into the
  // spare buffer and keeps that copy only if every value is finite; restore() writes the last kept
  // copy back.
  Status init_snapshots();
  void save_if_finite();
  void restore_finite();

  // Forward, loss and backward of the batch in batch_x_ / batch_y_: *finite is false (and the
  // gradients unspecified) when the logits, the loss or a parameter gradient is not finite.
  Status loss_and_grad(double* loss, bool* finite);

  // The model input of `rows` examples.
  Shape input_shape(int rows) const;

  Net net_;
  SGD sgd_;
  TrainerConfig cfg_;
  DataView train_, test_;
  Rng order_rng_;
  std::vector<int32_t> perm_;
  size_t cursor_ = 0;
  Buffer batch_x_;
  std::vector<int32_t> batch_y_;
  Buffer grad_;
  std::vector<float> scratch_;
  int step_ = 0;
  int diverged_at_ = 0;
  double first_loss_ = -1;
  std::vector<float> losses_, batch_acc_, pct_, gnorm_, eval_step_, eval_loss_, eval_acc_;
  std::vector<int32_t> batch_idx_;
  std::vector<std::vector<float>> last_acts_;
  std::vector<Buffer*> snap_floats_;    // every float tensor of the state, in a fixed order
  std::vector<int64_t*> snap_counters_; // num_batches_tracked of each BatchNorm
  Buffer snap_[2];
  std::vector<int64_t> snap_count_[2];
  std::vector<uint8_t> snap_started_[2];
  int snap_step_[2] = {0, 0};
  int snap_valid_ = -1;  // which of snap_ holds the last finite state, -1: none yet
  int restored_to_ = -1;
  Rng probe_rng_;
  std::vector<int32_t> probe_perm_;
  Buffer probe_saved_, probe_grad_;
};

}  // namespace bn

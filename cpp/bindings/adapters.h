// Everything the wasm module exposes, as plain C++ (no Embind here): bindings.cpp registers these
// functions and types under their JavaScript names, and the native tests and the fuzzers call
// them directly. Options cross as named structs, kinds as the engine's enums, results as structs;
// failures are status codes (bn::Code) whose message lastStatus() keeps. Factories return null on
// failure, with lastStatus() saying why (its code is the real one, not a guess).
//
// Hot paths (forward, backward, the staged data) keep plain numbers: pointers are byte offsets
// into the wasm heap (uintptr_t), sizes are ints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/limits.h"
#include "base/status.h"
#include "data/dataset.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/module.h"
#include "nn/norm.h"
#include "nn/pool.h"
#include "nn/sgd.h"
#include "train/net.h"
#include "train/trainer.h"

namespace bn::adapters {

using ModulePtr = std::shared_ptr<Module>;
using DatasetPtr = std::shared_ptr<Dataset>;
using SGDPtr = std::shared_ptr<SGD>;

// The status of the last failed call (code Ok and no message before any failure).
struct StatusInfo {
  Code code = Code::Ok;
  std::string message;
};
StatusInfo last_status();

// The engine's limits (base/limits.h), for the TypeScript validation. Numbers, as JS sees them.
struct Limits {
  double max_elements = 0;
  int min_batch_size = 0, max_batch_size = 0;
  int max_steps_per_run = 0;
  int min_sizes = 0, max_sizes = 0, max_layer_width = 0;
  int max_grid_side = 0, max_bins = 0;
  int max_toy_examples = 0;
  int max_eval_count = 0;
};
Limits limits();

// ---- layers --------------------------------------------------------------------------------------

struct LinearOptions {
  int in_features = 1;
  int out_features = 1;
  bool bias = true;
  bool seeded = false;  // false: the module's generator (manual_seed)
  double seed = 0;      // an integer in [0, 2^53) when seeded
};
ModulePtr make_linear(const LinearOptions& o);

// spatial_dims 1: BatchNorm1d, 2: BatchNorm2d.
ModulePtr make_batchnorm(int num_features, int spatial_dims, const BatchNormOptions& o);
ModulePtr make_activation(ActivationKind kind);
// normalizedShape has `rank` dims, the first four of d0..d3 (unused ones 0).
ModulePtr make_layernorm(int rank, int d0, int d1, int d2, int d3, const LayerNormOptions& o);
ModulePtr make_groupnorm(int num_groups, int num_channels, const GroupNormOptions& o);

struct ConvOptions {
  int in_channels = 1;
  int out_channels = 1;
  int kernel_size = 1;
  int stride = 1;
  int padding = 0;
  bool bias = true;
  bool seeded = false;  // as LinearOptions
  double seed = 0;
};
ModulePtr make_conv2d(const ConvOptions& o);
ModulePtr make_pool2d(Pool2d::Kind kind, int kernel_size, int stride);
ModulePtr make_flatten();
ModulePtr make_sequential();
Code sequential_add(Module& seq, ModulePtr child);
Code manual_seed(double seed);

// x is staged with the shape's rank and its first four dims (unused ones 0).
Code module_forward(Module& m, uintptr_t x, int rank, int d0, int d1, int d2, int d3);
// dy has `length` values, which must be the last output's.
Code module_backward(Module& m, uintptr_t dy, int length, bool input_grad);
uintptr_t output_ptr(Module& m);
int output_rank(Module& m);
int output_dim(Module& m, int i);
uintptr_t input_grad_ptr(Module& m);
int input_grad_length(Module& m);
std::string module_kind(Module& m);
bool module_training(Module& m);
void module_set_training(Module& m, bool training);
void module_zero_grad(Module& m);

// State entries, by index in PyTorch's state_dict order.
struct StateEntryInfo {
  std::string name;
  StateEntry::Kind kind = StateEntry::Parameter;
  int length = 0;
};
int state_count(Module& m);
StateEntryInfo state_entry(Module& m, int i);  // an empty name when i is out of range
uintptr_t state_ptr(Module& m, int i);         // 0 for a counter or an index out of range
uintptr_t state_grad_ptr(Module& m, int i);    // 0 unless a parameter
double state_counter(Module& m, int i);        // 0 unless a counter
Code set_state_counter(Module& m, int i, double value);
// BatchNorm's last batch statistics (0 when there are none yet or m is not a BatchNorm).
uintptr_t last_batch_mean_ptr(Module& m);
uintptr_t last_batch_var_ptr(Module& m);

// ---- SGD -----------------------------------------------------------------------------------------

SGDPtr make_sgd(ModulePtr model, const SGDOptions& o);
void sgd_step(SGD& o);
void sgd_zero_grad(SGD& o);
Code sgd_set_lr(SGD& o, double lr);
double sgd_lr(SGD& o);

// ---- functions -----------------------------------------------------------------------------------

struct LossResult {
  Code code = Code::Ok;
  double loss = 0;
};
// logits (N, K) float, targets (N) int32, grad (N, K) float out.
LossResult cross_entropy(uintptr_t logits, uintptr_t targets, int n, int k, uintptr_t grad);
LossResult mse_loss(uintptr_t pred, uintptr_t target, int n, uintptr_t grad);

struct StandardizeResult {
  Code code = Code::Ok;
  double mean = 0, variance = 0, std = 0;
};
StandardizeResult standardize(uintptr_t x, int n, double eps, bool unbiased, uintptr_t z);

// ---- datasets ------------------------------------------------------------------------------------

struct ToyOptions {
  ToyKind kind = ToyKind::Circle;
  int n = 500;
  double noise = 0;
  double seed = 0;  // an integer in [0, 2^53)
};
DatasetPtr make_toy(const ToyOptions& o);

// Both halves of a parsed BNDS file; both null on failure (lastStatus() says why).
struct Split {
  DatasetPtr train, test;
};
Split parse_dataset(uintptr_t bytes, int length);

int dataset_size(Dataset& d);
int dataset_features(Dataset& d);
int dataset_classes(Dataset& d);
int dataset_height(Dataset& d);
int dataset_width(Dataset& d);
uintptr_t dataset_x_ptr(Dataset& d);
uintptr_t dataset_y_ptr(Dataset& d);

// ---- trainer -------------------------------------------------------------------------------------

// What `new lab.Trainer(opts)` passes, after the TypeScript validation. The integer fields are
// doubles, as JS numbers are, and checked here again before any conversion (converting NaN or an
// out-of-range double to an int is undefined behaviour in C++).
struct TrainerOptions {
  ActivationKind activation = ActivationKind::ReLU;
  bool batch_norm = false;
  Placement placement = Placement::BeforeActivation;
  InitScheme init = InitScheme::Torch;
  double init_scale = 1;
  double seed = 0;
  double bn_momentum = 0.1;
  double batch_size = 32;
  double lr = 0.1;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  double data_seed = 0;
  double eval_every = 0;
  double eval_limit = 0;
  double watch_layer = -1;  // -1: no watched unit
  double watch_unit = 0;
  double explode_factor = 1e4;
  // The CNN part (see NetConfig); ignored without conv channels.
  double groups = 2;
  double image_channels = 1;
  double image_height = 0;
  double image_width = 0;
  double kernel_size = 3;
  PoolKind pool = PoolKind::Max;
  // Noisy BatchNorm (NetConfig::noise_shift / noise_scale): 0 and 1 add nothing.
  double noise_shift = 0;
  double noise_scale = 1;
};

// Keeps its datasets alive for as long as the trainer lives.
struct TrainerHandle {
  DatasetPtr train, test;
  Trainer trainer;
};
using TrainerPtr = std::shared_ptr<TrainerHandle>;

// sizes, convs (channels of each conv block) and norms (NormKind per block, or one for all, or
// none: then batch_norm decides): int32 arrays of the given lengths staged on the heap. test may
// be null.
TrainerPtr make_trainer(uintptr_t sizes, int nsizes, uintptr_t convs, int nconvs, uintptr_t norms, int nnorms,
                        const TrainerOptions& o, DatasetPtr train, DatasetPtr test);

// The per-step and per-evaluation metrics of the last run() (Trainer's accessors of the same names).
enum class MetricKind : int {
  Loss = 0,
  BatchAccuracy = 1,
  Percentiles = 2,
  GradNorms = 3,
  EvalSteps = 4,
  EvalLoss = 5,
  EvalAccuracy = 6,
};

Code trainer_run(TrainerHandle& h, int steps);
int trainer_step(TrainerHandle& h);
int trainer_diverged_at(TrainerHandle& h);
int trainer_restored_to_step(TrainerHandle& h);
int trainer_linear_layers(TrainerHandle& h);
int trainer_weight_layers(TrainerHandle& h);
int trainer_hidden_layers(TrainerHandle& h);
ModulePtr trainer_model(TrainerHandle& h);
uintptr_t trainer_metric_ptr(TrainerHandle& h, MetricKind kind);
int trainer_metric_length(TrainerHandle& h, MetricKind kind);
uintptr_t trainer_batch_indices_ptr(TrainerHandle& h);
int trainer_batch_indices_length(TrainerHandle& h);

struct Evaluation {
  Code code = Code::Ok;
  double loss = 0, accuracy = 0;
};
Evaluation trainer_evaluate(TrainerHandle& h, DatasetPtr d, int limit);

struct GridOptions {
  double x0 = -6, x1 = 6, y0 = -6, y1 = 6;
  int nx = 100, ny = 100;
};
// out: nx * ny floats staged on the heap.
Code trainer_predict_grid(TrainerHandle& h, uintptr_t out, const GridOptions& o);
// out: hidden_layers * bins floats staged on the heap.
Code trainer_histograms(TrainerHandle& h, uintptr_t out, int bins, double lo, double hi);
// Per unit of hidden block `layer` (hidden_units(layer) × bins), and the watched unit.
Code trainer_unit_histograms(TrainerHandle& h, uintptr_t out, int layer, int bins, double lo, double hi);
Code trainer_set_watch(TrainerHandle& h, int layer, int unit);
// etas: n floats, out: 2 + 2n floats, both staged on the heap (Trainer::probe_landscape).
Code trainer_probe_landscape(TrainerHandle& h, uintptr_t etas, int n, uintptr_t out);
int trainer_hidden_units(TrainerHandle& h, int layer);

// ---- the module ------------------------------------------------------------------------------------

bool simd_build();
std::string version();
double heap_size();  // bytes of wasm memory (0 natively)
double heap_used();  // bytes allocated by malloc
// Whether the heap has room for a call (base/memory.h); JS asks before every call.
bool room();

}  // namespace bn::adapters

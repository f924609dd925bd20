// The only file that knows Embind. It exposes the engine as one opaque class (`Module`, held by
// std::shared_ptr), factories that return null on failure, and free functions on plain numbers:
// pointers into the wasm heap, sizes and status codes. The TypeScript wrapper stages data on
// the heap, checks every status and turns it into a JS error with lastError()'s message;
// nothing here throws or aborts.
#include <emscripten/bind.h>
#include <malloc.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "kernels/dispatch.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "base/rng.h"
#include "nn/sequential.h"
#include "nn/sgd.h"
#include "nn/standardize.h"
#include "train/trainer.h"

#ifndef BN_VERSION
#define BN_VERSION "0.0.0"
#endif

using namespace emscripten;
using bn::Module;
using bn::Status;

namespace {

using ModulePtr = std::shared_ptr<Module>;

std::string g_last_error;
double g_scalars[4];

// Returns the status code (0 = ok) and keeps the message for lastError().
int report(const Status& s) {
  if (s) return 0;
  g_last_error = s.message;
  return static_cast<int>(s.code);
}

template <class T>
const T* ptr(uintptr_t p) { return reinterpret_cast<const T*>(p); }
template <class T>
T* mut_ptr(uintptr_t p) { return reinterpret_cast<T*>(p); }
uintptr_t addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// JS numbers arrive as doubles; converting NaN or an out-of-range double to an integer is
// undefined behaviour in C++, so every such conversion goes through these checks first.
bool is_int_in(double v, double lo, double hi) { return v >= lo && v <= hi && v == static_cast<double>(static_cast<int64_t>(v)); }
Status read_int(double v, const char* name, int lo, int hi, int* out) {
  if (!is_int_in(v, lo, hi))
    return Status::range_error(std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = static_cast<int>(v);
  return Status::ok();
}
Status read_seed(double v, const char* name, uint64_t* out) {
  if (!is_int_in(v, 0, 9007199254740991.0)) return Status::range_error(std::string(name) + " must be an integer in [0, 2^53)");
  *out = static_cast<uint64_t>(v);
  return Status::ok();
}

std::string last_error() { return g_last_error; }
double last_scalar(int i) { return (i >= 0 && i < 4) ? g_scalars[i] : 0.0; }

// ---- factories (null + lastError on failure) -------------------------------------------------

ModulePtr make_linear(int in, int out, bool bias, bool seeded, double seed) {
  auto m = std::make_shared<bn::Linear>();
  uint64_t s = 0;
  if (seeded && report(read_seed(seed, "seed", &s))) return nullptr;
  bn::Rng local(s);
  if (report(m->init(in, out, bias, seeded ? local : bn::global_rng()))) return nullptr;
  return m;
}

ModulePtr make_batchnorm(int c, int spatial_dims, double eps, double momentum, bool cumulative,
                         bool affine, bool track) {
  auto m = std::make_shared<bn::BatchNorm>();
  bn::BatchNormOptions o;
  o.eps = eps;
  o.momentum = momentum;
  o.cumulative = cumulative;
  o.affine = affine;
  o.track_running_stats = track;
  if (report(m->init(c, spatial_dims, o))) return nullptr;
  return m;
}

ModulePtr make_activation(int kind) {
  if (kind < 0 || kind > 2) {
    g_last_error = "unknown activation";
    return nullptr;
  }
  return std::make_shared<bn::Activation>(static_cast<bn::ActivationKind>(kind));
}

ModulePtr make_sequential() { return std::make_shared<bn::Sequential>(); }

int sequential_add(Module& seq, ModulePtr child) {
  auto* s = dynamic_cast<bn::Sequential*>(&seq);
  if (!s) return report(Status::type_error("not a Sequential"));
  if (!child) return report(Status::type_error("layers: null layer"));
  s->add(std::move(child));
  return 0;
}

int manual_seed(double seed) {
  uint64_t s = 0;
  if (const int code = report(read_seed(seed, "seed", &s))) return code;
  bn::global_rng().seed(s);
  return 0;
}

// ---- Module methods ---------------------------------------------------------------------------

int module_forward(Module& m, uintptr_t x, int rank, int d0, int d1, int d2, int d3) {
  bn::Shape s;
  s.rank = rank;
  s.dims[0] = d0;
  s.dims[1] = d1;
  s.dims[2] = d2;
  s.dims[3] = d3;
  return report(m.forward(ptr<float>(x), s));
}

int module_backward(Module& m, uintptr_t dy, int len, bool input_grad) {
  if (!m.has_forward()) return report(Status::state_error("backward() needs a forward() first"));
  if (static_cast<size_t>(len) != m.output_shape().numel())
    return report(Status::range_error("dy: expected " + std::to_string(m.output_shape().numel()) +
                                      " values (the last output's shape " + m.output_shape().str() +
                                      "), got " + std::to_string(len)));
  const bool before = m.input_grad_needed();
  m.set_input_grad_needed(input_grad);
  const int code = report(m.backward(ptr<float>(dy)));
  m.set_input_grad_needed(before);
  return code;
}

uintptr_t output_ptr(Module& m) { return addr(m.output().data()); }
int output_rank(Module& m) { return m.output_shape().rank; }
int output_dim(Module& m, int i) { return (i >= 0 && i < 4) ? m.output_shape().dims[i] : 0; }
uintptr_t input_grad_ptr(Module& m) { return addr(m.input_grad().data()); }
int input_grad_len(Module& m) { return static_cast<int>(m.input_grad().size()); }
std::string module_kind(Module& m) { return m.kind(); }
bool module_training(Module& m) { return m.training(); }
void module_set_training(Module& m, bool t) { m.set_training(t); }
void module_zero_grad(Module& m) { m.zero_grad(); }

// State entries, by index in PyTorch's state_dict order.
std::vector<bn::StateEntry> entries(Module& m) {
  std::vector<bn::StateEntry> v;
  m.state(v, "");
  return v;
}
int state_count(Module& m) { return static_cast<int>(entries(m).size()); }
// "name\tkind\tlength" for every entry, one per line: one call instead of three per entry.
std::string state_layout(Module& m) {
  std::string out;
  for (auto& e : entries(m))
    out += e.name + "\t" + std::to_string(static_cast<int>(e.kind)) + "\t" + std::to_string(e.length()) + "\n";
  return out;
}
uintptr_t state_ptr(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind == bn::StateEntry::Counter) return 0;
  return addr(v[i].value->data());
}
uintptr_t state_grad_ptr(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != bn::StateEntry::Parameter) return 0;
  return addr(v[i].grad->data());
}
double state_counter(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != bn::StateEntry::Counter) return 0;
  return static_cast<double>(*v[i].counter);
}
int set_state_counter(Module& m, int i, double value) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != bn::StateEntry::Counter)
    return report(Status::range_error("not a counter"));
  if (!(value >= 0) || value > 9007199254740991.0 || value != static_cast<double>(static_cast<int64_t>(value)))
    return report(Status::range_error(v[i].name + " must be a non-negative integer"));
  *v[i].counter = static_cast<int64_t>(value);
  return 0;
}

// BatchNorm's last batch statistics (0 when there are none yet or m is not a BatchNorm).
uintptr_t bn_last_mean_ptr(Module& m) {
  auto* b = dynamic_cast<bn::BatchNorm*>(&m);
  return (b && b->has_batch_stats()) ? addr(b->last_batch_mean().data()) : 0;
}
uintptr_t bn_last_var_ptr(Module& m) {
  auto* b = dynamic_cast<bn::BatchNorm*>(&m);
  return (b && b->has_batch_stats()) ? addr(b->last_batch_var().data()) : 0;
}

// ---- SGD ----------------------------------------------------------------------------------------

std::shared_ptr<bn::SGD> make_sgd(ModulePtr model, double lr, double momentum, double dampening,
                                  double weight_decay, bool nesterov) {
  auto o = std::make_shared<bn::SGD>();
  bn::SGDOptions opts;
  opts.lr = lr;
  opts.momentum = momentum;
  opts.dampening = dampening;
  opts.weight_decay = weight_decay;
  opts.nesterov = nesterov;
  if (report(o->init(std::move(model), opts))) return nullptr;
  return o;
}
int sgd_set_lr(bn::SGD& o, double lr) { return report(o.set_lr(lr)); }
double sgd_lr(bn::SGD& o) { return o.options().lr; }

// ---- free functions -----------------------------------------------------------------------------

int cross_entropy(uintptr_t logits, uintptr_t targets, int n, int k, uintptr_t grad) {
  return report(bn::cross_entropy(&g_scalars[0], mut_ptr<float>(grad), ptr<float>(logits),
                                  ptr<int32_t>(targets), n, k));
}

int mse_loss(uintptr_t pred, uintptr_t target, int n, uintptr_t grad) {
  return report(bn::mse_loss(&g_scalars[0], mut_ptr<float>(grad), ptr<float>(pred), ptr<float>(target),
                             static_cast<size_t>(n)));
}

int standardize(uintptr_t x, int n, double eps, bool unbiased, uintptr_t z) {
  bn::Standardized r;
  const int code = report(bn::standardize(&r, mut_ptr<float>(z), ptr<float>(x), static_cast<size_t>(n), eps, unbiased));
  g_scalars[0] = r.mean;
  g_scalars[1] = r.variance;
  g_scalars[2] = r.stddev;
  return code;
}

// ---- datasets ------------------------------------------------------------------------------------

using DatasetPtr = std::shared_ptr<bn::Dataset>;
DatasetPtr g_parsed_test;  // the second result of parseDataset, fetched by takeParsedTest()

DatasetPtr make_toy(int kind, int n, double noise, double seed) {
  if (kind < 0 || kind > 3) {
    g_last_error = "kind must be one of circle, xor, gauss, spiral";
    return nullptr;
  }
  auto d = std::make_shared<bn::Dataset>();
  uint64_t s = 0;
  if (report(read_seed(seed, "seed", &s))) return nullptr;
  if (report(bn::make_toy(d.get(), static_cast<bn::ToyKind>(kind), n, noise, s))) return nullptr;
  return d;
}

// Parses bytes staged on the heap; returns the training set and keeps the test set for
// takeParsedTest() (Embind returns one value per call).
DatasetPtr parse_dataset(uintptr_t bytes, int length) {
  auto train = std::make_shared<bn::Dataset>();
  auto test = std::make_shared<bn::Dataset>();
  if (report(bn::parse_image_dataset(train.get(), test.get(), ptr<uint8_t>(bytes), static_cast<size_t>(length)))) return nullptr;
  g_parsed_test = test;
  return train;
}
DatasetPtr take_parsed_test() { return std::move(g_parsed_test); }

int ds_size(bn::Dataset& d) { return d.n; }
int ds_features(bn::Dataset& d) { return d.features; }
int ds_classes(bn::Dataset& d) { return d.classes; }
int ds_height(bn::Dataset& d) { return d.height; }
int ds_width(bn::Dataset& d) { return d.width; }
uintptr_t ds_x(bn::Dataset& d) { return addr(d.x.data()); }
uintptr_t ds_y(bn::Dataset& d) { return addr(d.y.data()); }

bn::DataView view_of(const bn::Dataset& d) {
  return {d.x.data(), d.y.data(), d.n, d.features, d.classes};
}

// ---- trainer --------------------------------------------------------------------------------------

// Keeps its datasets alive for as long as the trainer lives.
struct TrainerHandle {
  DatasetPtr train, test;
  bn::Trainer trainer;
};
using TrainerPtr = std::shared_ptr<TrainerHandle>;

// sizes are staged as int32 on the heap; numbers in `opts` (float64) are, in order:
// activation, batchnorm, placement, init, initScale, seed, bnMomentum, batchSize, lr, momentum,
// dampening, weightDecay, nesterov, dataSeed, evalEvery, evalLimit, watchLayer, watchUnit,
// explodeFactor.
TrainerPtr make_trainer(uintptr_t sizes, int nsizes, uintptr_t opts, DatasetPtr train, DatasetPtr test) {
  if (!train) {
    g_last_error = "train: a dataset is required";
    return nullptr;
  }
  if (nsizes < 2 || nsizes > 64) {
    g_last_error = "sizes must have between 2 and 64 entries";
    return nullptr;
  }
  const double* o = ptr<double>(opts);
  bn::MLPConfig m;
  bn::TrainerConfig c;
  int activation = 0, placement = 0, init = 0, nesterov = 0, batchnorm = 0;
  const Status st = [&]() -> Status {
    BN_TRY(read_int(o[0], "activation", 0, 2, &activation));
    BN_TRY(read_int(o[1], "batchNorm", 0, 1, &batchnorm));
    BN_TRY(read_int(o[2], "placement", 0, 1, &placement));
    BN_TRY(read_int(o[3], "init", 0, 3, &init));
    BN_TRY(read_seed(o[5], "seed", &m.seed));
    BN_TRY(read_int(o[7], "batchSize", 2, 65536, &c.batch_size));
    BN_TRY(read_int(o[12], "nesterov", 0, 1, &nesterov));
    BN_TRY(read_seed(o[13], "dataSeed", &c.data_seed));
    BN_TRY(read_int(o[14], "evalEvery", 0, 1 << 30, &c.eval_every));
    BN_TRY(read_int(o[15], "evalLimit", 0, 1 << 30, &c.eval_limit));
    BN_TRY(read_int(o[16], "watchLayer", -1, 64, &c.watch_layer));
    BN_TRY(read_int(o[17], "watchUnit", 0, 65536, &c.watch_unit));
    if (!(o[6] >= 0 && o[6] <= 1)) return Status::range_error("bnMomentum must be in [0, 1]");
    return Status::ok();
  }();
  if (report(st)) return nullptr;
  m.sizes.assign(ptr<int32_t>(sizes), ptr<int32_t>(sizes) + nsizes);
  m.activation = static_cast<bn::ActivationKind>(activation);
  m.batchnorm = batchnorm != 0;
  m.placement = static_cast<bn::Placement>(placement);
  m.init = static_cast<bn::InitScheme>(init);
  m.init_scale = o[4];
  m.bn_momentum = o[6];
  c.sgd.lr = o[8];
  c.sgd.momentum = o[9];
  c.sgd.dampening = o[10];
  c.sgd.weight_decay = o[11];
  c.sgd.nesterov = nesterov != 0;
  c.explode_factor = o[18];
  auto h = std::make_shared<TrainerHandle>();
  h->train = std::move(train);
  h->test = std::move(test);
  const bn::DataView tv = h->test ? view_of(*h->test) : bn::DataView{};
  if (report(h->trainer.init(m, c, view_of(*h->train), tv))) return nullptr;
  return h;
}

int tr_run(TrainerHandle& h, int steps) { return report(h.trainer.run(steps)); }
int tr_step(TrainerHandle& h) { return h.trainer.step(); }
int tr_diverged_at(TrainerHandle& h) { return h.trainer.diverged_at(); }
int tr_linear_layers(TrainerHandle& h) { return h.trainer.linear_layers(); }
int tr_hidden_layers(TrainerHandle& h) { return h.trainer.hidden_layers(); }
ModulePtr tr_model(TrainerHandle& h) { return h.trainer.mlp().model; }

const std::vector<float>* metric(TrainerHandle& h, int kind) {
  switch (kind) {
    case 0: return &h.trainer.losses();
    case 1: return &h.trainer.batch_accuracy();
    case 2: return &h.trainer.percentiles();
    case 3: return &h.trainer.grad_norms();
    case 4: return &h.trainer.eval_steps();
    case 5: return &h.trainer.eval_losses();
    case 6: return &h.trainer.eval_accuracy();
    default: return nullptr;
  }
}
uintptr_t tr_metric_ptr(TrainerHandle& h, int kind) {
  auto* v = metric(h, kind);
  return v ? addr(v->data()) : 0;
}
int tr_metric_length(TrainerHandle& h, int kind) {
  auto* v = metric(h, kind);
  return v ? static_cast<int>(v->size()) : 0;
}
uintptr_t tr_batch_indices_ptr(TrainerHandle& h) { return addr(h.trainer.batch_indices().data()); }
int tr_batch_indices_length(TrainerHandle& h) { return static_cast<int>(h.trainer.batch_indices().size()); }

int tr_evaluate(TrainerHandle& h, DatasetPtr d, int limit) {
  if (!d) return report(Status::type_error("dataset: a dataset is required"));
  double loss = 0, acc = 0;
  const int code = report(h.trainer.evaluate(view_of(*d), limit, &loss, &acc));
  g_scalars[0] = loss;
  g_scalars[1] = acc;
  return code;
}
int tr_predict_grid(TrainerHandle& h, uintptr_t out, double x0, double x1, double y0, double y1, int nx, int ny) {
  return report(h.trainer.predict_grid(mut_ptr<float>(out), x0, x1, y0, y1, nx, ny));
}
int tr_histograms(TrainerHandle& h, uintptr_t out, int bins, double lo, double hi) {
  return report(h.trainer.histograms(mut_ptr<float>(out), bins, lo, hi));
}

bool simd_build() { return bn::kernels::active::simd; }
std::string version() { return BN_VERSION; }
double heap_size() { return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0; }
double heap_used() { return static_cast<double>(mallinfo().uordblks); }

}  // namespace

EMSCRIPTEN_BINDINGS(batchnorm_lab) {
  class_<Module>("Module")
      .smart_ptr<ModulePtr>("ModulePtr")
      .function("forward", &module_forward)
      .function("backward", &module_backward)
      .function("outputPtr", &output_ptr)
      .function("outputRank", &output_rank)
      .function("outputDim", &output_dim)
      .function("inputGradPtr", &input_grad_ptr)
      .function("inputGradLength", &input_grad_len)
      .function("kind", &module_kind)
      .function("training", &module_training)
      .function("setTraining", &module_set_training)
      .function("zeroGrad", &module_zero_grad)
      .function("stateCount", &state_count)
      .function("stateLayout", &state_layout)
      .function("statePtr", &state_ptr)
      .function("stateGradPtr", &state_grad_ptr)
      .function("stateCounter", &state_counter)
      .function("setStateCounter", &set_state_counter)
      .function("lastBatchMeanPtr", &bn_last_mean_ptr)
      .function("lastBatchVarPtr", &bn_last_var_ptr);

  class_<bn::SGD>("SGD")
      .smart_ptr<std::shared_ptr<bn::SGD>>("SGDPtr")
      .function("step", &bn::SGD::step)
      .function("zeroGrad", &bn::SGD::zero_grad)
      .function("setLr", &sgd_set_lr)
      .function("lr", &sgd_lr);

  class_<bn::Dataset>("Dataset")
      .smart_ptr<DatasetPtr>("DatasetPtr")
      .function("size", &ds_size)
      .function("features", &ds_features)
      .function("classes", &ds_classes)
      .function("height", &ds_height)
      .function("width", &ds_width)
      .function("xPtr", &ds_x)
      .function("yPtr", &ds_y);

  class_<TrainerHandle>("Trainer")
      .smart_ptr<TrainerPtr>("TrainerPtr")
      .function("run", &tr_run)
      .function("step", &tr_step)
      .function("divergedAt", &tr_diverged_at)
      .function("linearLayers", &tr_linear_layers)
      .function("hiddenLayers", &tr_hidden_layers)
      .function("model", &tr_model)
      .function("metricPtr", &tr_metric_ptr)
      .function("metricLength", &tr_metric_length)
      .function("batchIndicesPtr", &tr_batch_indices_ptr)
      .function("batchIndicesLength", &tr_batch_indices_length)
      .function("evaluate", &tr_evaluate)
      .function("predictGrid", &tr_predict_grid)
      .function("histograms", &tr_histograms);

  function("makeToy", &make_toy);
  function("parseDataset", &parse_dataset);
  function("takeParsedTest", &take_parsed_test);
  function("makeTrainer", &make_trainer);
  function("makeLinear", &make_linear);
  function("makeBatchNorm", &make_batchnorm);
  function("makeActivation", &make_activation);
  function("makeSequential", &make_sequential);
  function("sequentialAdd", &sequential_add);
  function("makeSGD", &make_sgd);
  function("manualSeed", &manual_seed);
  function("crossEntropy", &cross_entropy);
  function("mseLoss", &mse_loss);
  function("standardize", &standardize);
  function("lastError", &last_error);
  function("lastScalar", &last_scalar);
  function("simdBuild", &simd_build);
  function("version", &version);
  function("heapSize", &heap_size);
  function("heapUsed", &heap_used);
}

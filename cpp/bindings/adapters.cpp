#include "bindings/adapters.h"

#include <malloc.h>

#include <vector>

#include "base/rng.h"
#include "kernels/dispatch.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "nn/standardize.h"
#include "base/memory.h"

#ifndef BN_VERSION
#define BN_VERSION "0.0.0"
#endif

namespace bn::adapters {
namespace {

// The message's buffer is reserved at load time, before the engine allocates anything: a later
// first failure would otherwise place it in whatever hole the heap has then, and the used-byte
// count (lab.memory) would depend on when the first error happened.
StatusInfo make_status() {
  StatusInfo s;
  s.message.reserve(512);
  return s;
}
StatusInfo g_status = make_status();

// Returns the status code and keeps a failure's message for lastStatus(). Copy-assigned, so the
// message reuses its buffer: steady-state use allocates nothing (tests/js/longrun.test.ts).
Code report(const Status& s) {
  if (!s) {
    g_status.code = s.code;
    g_status.message = s.message;
  }
  return s.code;
}

template <class T>
const T* ptr(uintptr_t p) { return reinterpret_cast<const T*>(p); }
template <class T>
T* mut_ptr(uintptr_t p) { return reinterpret_cast<T*>(p); }
uintptr_t addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// JS numbers arrive as doubles; converting NaN or an out-of-range double to an integer is
// undefined behaviour in C++, so every such conversion goes through these checks first.
constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1
bool is_int_in(double v, double lo, double hi) {
  return v >= lo && v <= hi && v == static_cast<double>(static_cast<int64_t>(v));
}
Status read_int(double v, const char* name, int lo, int hi, int* out) {
  if (!is_int_in(v, lo, hi))
    return Status::range_error(std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                               std::to_string(hi) + "]");
  *out = static_cast<int>(v);
  return Status::ok();
}
Status read_seed(double v, const char* name, uint64_t* out) {
  if (!is_int_in(v, 0, kMaxSafeInteger)) return Status::range_error(std::string(name) + " must be an integer in [0, 2^53)");
  *out = static_cast<uint64_t>(v);
  return Status::ok();
}
bool is_activation(ActivationKind k) { return static_cast<unsigned>(k) <= 2; }

std::vector<StateEntry> entries(Module& m) {
  std::vector<StateEntry> v;
  m.state(v, "");
  return v;
}

DataView view_of(const Dataset& d) { return {d.x.data(), d.y.data(), d.n, d.features, d.classes}; }

const std::vector<float>* metric(TrainerHandle& h, MetricKind kind) {
  const Trainer& t = h.trainer;
  switch (kind) {
    case MetricKind::Loss: return &t.losses();
    case MetricKind::BatchAccuracy: return &t.batch_accuracy();
    case MetricKind::Percentiles: return &t.percentiles();
    case MetricKind::GradNorms: return &t.grad_norms();
    case MetricKind::EvalSteps: return &t.eval_steps();
    case MetricKind::EvalLoss: return &t.eval_losses();
    case MetricKind::EvalAccuracy: return &t.eval_accuracy();
  }
  return nullptr;
}

}  // namespace

StatusInfo last_status() { return g_status; }

Limits limits() {
  Limits l;
  l.max_elements = static_cast<double>(kMaxElements);
  l.min_batch_size = kMinBatchSize;
  l.max_batch_size = kMaxBatchSize;
  l.max_steps_per_run = kMaxStepsPerRun;
  l.min_sizes = kMinSizes;
  l.max_sizes = kMaxSizes;
  l.max_layer_width = kMaxLayerWidth;
  l.max_grid_side = kMaxGridSide;
  l.max_bins = kMaxBins;
  l.max_toy_examples = kMaxToyExamples;
  l.max_eval_count = kMaxEvalCount;
  return l;
}

// ---- layers --------------------------------------------------------------------------------------

ModulePtr make_linear(const LinearOptions& o) {
  uint64_t s = 0;
  if (o.seeded && report(read_seed(o.seed, "seed", &s)) != Code::Ok) return nullptr;
  auto m = std::make_shared<Linear>();
  Rng local(s);
  if (report(m->init(o.in_features, o.out_features, o.bias, o.seeded ? local : global_rng())) != Code::Ok) return nullptr;
  return m;
}

ModulePtr make_batchnorm(int num_features, int spatial_dims, const BatchNormOptions& o) {
  auto m = std::make_shared<BatchNorm>();
  if (report(m->init(num_features, spatial_dims, o)) != Code::Ok) return nullptr;
  return m;
}

ModulePtr make_activation(ActivationKind kind) {
  if (!is_activation(kind)) {
    report(Status::range_error("unknown activation"));
    return nullptr;
  }
  return std::make_shared<Activation>(kind);
}

ModulePtr make_layernorm(int rank, int d0, int d1, int d2, int d3, const LayerNormOptions& o) {
  if (rank < 1 || rank > 4) {
    report(Status::range_error("normalizedShape must have 1 to 4 dims, got " + std::to_string(rank)));
    return nullptr;
  }
  Shape s;
  s.rank = rank;
  const int d[4] = {d0, d1, d2, d3};
  for (int i = 0; i < rank; ++i) s.dims[i] = d[i];
  auto m = std::make_shared<LayerNorm>();
  if (report(m->init(s, o)) != Code::Ok) return nullptr;
  return m;
}

ModulePtr make_groupnorm(int num_groups, int num_channels, const GroupNormOptions& o) {
  auto m = std::make_shared<GroupNorm>();
  if (report(m->init(num_groups, num_channels, o)) != Code::Ok) return nullptr;
  return m;
}

ModulePtr make_conv2d(const ConvOptions& o) {
  uint64_t s = 0;
  if (o.seeded && report(read_seed(o.seed, "seed", &s)) != Code::Ok) return nullptr;
  auto m = std::make_shared<Conv2d>();
  Rng local(s);
  const Conv2dOptions c{o.stride, o.padding, o.bias};
  if (report(m->init(o.in_channels, o.out_channels, o.kernel_size, c, o.seeded ? local : global_rng())) != Code::Ok)
    return nullptr;
  return m;
}

ModulePtr make_pool2d(Pool2d::Kind kind, int kernel_size, int stride) {
  if (kind != Pool2d::Kind::Max && kind != Pool2d::Kind::Avg) {
    report(Status::range_error("unknown pooling"));
    return nullptr;
  }
  auto m = std::make_shared<Pool2d>();
  if (report(m->init(kind, kernel_size, stride)) != Code::Ok) return nullptr;
  return m;
}

ModulePtr make_flatten() { return std::make_shared<Flatten>(); }

ModulePtr make_sequential() { return std::make_shared<Sequential>(); }

Code sequential_add(Module& seq, ModulePtr child) {
  auto* s = dynamic_cast<Sequential*>(&seq);
  if (!s) return report(Status::type_error("not a Sequential"));
  if (!child) return report(Status::type_error("layers: null layer"));
  s->add(std::move(child));
  return Code::Ok;
}

Code manual_seed(double seed) {
  uint64_t s = 0;
  if (const Code c = report(read_seed(seed, "seed", &s)); c != Code::Ok) return c;
  global_rng().seed(s);
  return Code::Ok;
}

Code module_forward(Module& m, uintptr_t x, int rank, int d0, int d1, int d2, int d3) {
  Shape s;
  s.rank = rank;
  s.dims[0] = d0;
  s.dims[1] = d1;
  s.dims[2] = d2;
  s.dims[3] = d3;
  return report(m.forward(ptr<float>(x), s));
}

Code module_backward(Module& m, uintptr_t dy, int length, bool input_grad) {
  if (!m.has_forward()) return report(Status::state_error("backward() needs a forward() first"));
  if (length < 0 || static_cast<size_t>(length) != m.output_shape().numel())
    return report(Status::range_error("dy: expected " + std::to_string(m.output_shape().numel()) +
                                      " values (the last output's shape " + m.output_shape().str() + "), got " +
                                      std::to_string(length)));
  const bool before = m.input_grad_needed();
  m.set_input_grad_needed(input_grad);
  const Code code = report(m.backward(ptr<float>(dy)));
  m.set_input_grad_needed(before);
  return code;
}

uintptr_t output_ptr(Module& m) { return addr(m.output().data()); }
int output_rank(Module& m) { return m.output_shape().rank; }
int output_dim(Module& m, int i) { return (i >= 0 && i < 4) ? m.output_shape().dims[i] : 0; }
uintptr_t input_grad_ptr(Module& m) { return addr(m.input_grad().data()); }
int input_grad_length(Module& m) { return static_cast<int>(m.input_grad().size()); }
std::string module_kind(Module& m) { return m.kind(); }
bool module_training(Module& m) { return m.training(); }
void module_set_training(Module& m, bool training) { m.set_training(training); }
void module_zero_grad(Module& m) { m.zero_grad(); }

int state_count(Module& m) { return static_cast<int>(entries(m).size()); }
StateEntryInfo state_entry(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size())) return {};
  return {v[i].name, v[i].kind, static_cast<int>(v[i].length())};
}
uintptr_t state_ptr(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind == StateEntry::Counter) return 0;
  return addr(v[i].value->data());
}
uintptr_t state_grad_ptr(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != StateEntry::Parameter) return 0;
  return addr(v[i].grad->data());
}
double state_counter(Module& m, int i) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != StateEntry::Counter) return 0;
  return static_cast<double>(*v[i].counter);
}
Code set_state_counter(Module& m, int i, double value) {
  auto v = entries(m);
  if (i < 0 || i >= static_cast<int>(v.size()) || v[i].kind != StateEntry::Counter)
    return report(Status::range_error("not a counter"));
  if (!is_int_in(value, 0, kMaxSafeInteger)) return report(Status::range_error(v[i].name + " must be a non-negative integer"));
  *v[i].counter = static_cast<int64_t>(value);
  return Code::Ok;
}

uintptr_t last_batch_mean_ptr(Module& m) {
  auto* b = dynamic_cast<BatchNorm*>(&m);
  return (b && b->has_batch_stats()) ? addr(b->last_batch_mean().data()) : 0;
}
uintptr_t last_batch_var_ptr(Module& m) {
  auto* b = dynamic_cast<BatchNorm*>(&m);
  return (b && b->has_batch_stats()) ? addr(b->last_batch_var().data()) : 0;
}

// ---- SGD -----------------------------------------------------------------------------------------

SGDPtr make_sgd(ModulePtr model, const SGDOptions& o) {
  auto s = std::make_shared<SGD>();
  if (report(s->init(std::move(model), o)) != Code::Ok) return nullptr;
  return s;
}
void sgd_step(SGD& o) { o.step(); }
void sgd_zero_grad(SGD& o) { o.zero_grad(); }
Code sgd_set_lr(SGD& o, double lr) { return report(o.set_lr(lr)); }
double sgd_lr(SGD& o) { return o.options().lr; }

// ---- functions -----------------------------------------------------------------------------------

LossResult cross_entropy(uintptr_t logits, uintptr_t targets, int n, int k, uintptr_t grad) {
  LossResult r;
  r.code = report(bn::cross_entropy(&r.loss, mut_ptr<float>(grad), ptr<float>(logits), ptr<int32_t>(targets), n, k));
  return r;
}

LossResult mse_loss(uintptr_t pred, uintptr_t target, int n, uintptr_t grad) {
  LossResult r;
  if (n < 0) {
    r.code = report(Status::range_error("shape: the length must be >= 0"));
    return r;
  }
  r.code = report(bn::mse_loss(&r.loss, mut_ptr<float>(grad), ptr<float>(pred), ptr<float>(target), static_cast<size_t>(n)));
  return r;
}

StandardizeResult standardize(uintptr_t x, int n, double eps, bool unbiased, uintptr_t z) {
  StandardizeResult r;
  if (n < 0) {
    r.code = report(Status::range_error("values: the length must be >= 0"));
    return r;
  }
  Standardized s;
  r.code = report(bn::standardize(&s, mut_ptr<float>(z), ptr<float>(x), static_cast<size_t>(n), eps, unbiased));
  r.mean = s.mean;
  r.variance = s.variance;
  r.std = s.stddev;
  return r;
}

// ---- datasets ------------------------------------------------------------------------------------

DatasetPtr make_toy(const ToyOptions& o) {
  if (static_cast<unsigned>(o.kind) > 3) {
    report(Status::range_error("kind must be one of circle, xor, gauss, spiral"));
    return nullptr;
  }
  uint64_t s = 0;
  if (report(read_seed(o.seed, "seed", &s)) != Code::Ok) return nullptr;
  auto d = std::make_shared<Dataset>();
  if (report(bn::make_toy(d.get(), o.kind, o.n, o.noise, s)) != Code::Ok) return nullptr;
  return d;
}

Split parse_dataset(uintptr_t bytes, int length) {
  if (length < 0) {
    report(Status::range_error("dataset: the length must be >= 0"));
    return {};
  }
  auto train = std::make_shared<Dataset>();
  auto test = std::make_shared<Dataset>();
  if (report(parse_image_dataset(train.get(), test.get(), ptr<uint8_t>(bytes), static_cast<size_t>(length))) != Code::Ok)
    return {};
  return {std::move(train), std::move(test)};
}

int dataset_size(Dataset& d) { return d.n; }
int dataset_features(Dataset& d) { return d.features; }
int dataset_classes(Dataset& d) { return d.classes; }
int dataset_height(Dataset& d) { return d.height; }
int dataset_width(Dataset& d) { return d.width; }
uintptr_t dataset_x_ptr(Dataset& d) { return addr(d.x.data()); }
uintptr_t dataset_y_ptr(Dataset& d) { return addr(d.y.data()); }

// ---- trainer -------------------------------------------------------------------------------------

TrainerPtr make_trainer(uintptr_t sizes, int nsizes, uintptr_t convs, int nconvs, uintptr_t norms, int nnorms,
                        const TrainerOptions& o, DatasetPtr train, DatasetPtr test) {
  if (!train) {
    report(Status::type_error("train: a dataset is required"));
    return nullptr;
  }
  if (nsizes < kMinSizes || nsizes > kMaxSizes) {
    report(Status::range_error("sizes must have between " + std::to_string(kMinSizes) + " and " +
                               std::to_string(kMaxSizes) + " entries"));
    return nullptr;
  }
  if (nconvs < 0 || nconvs > kMaxConvBlocks) {
    report(Status::range_error("conv must have at most " + std::to_string(kMaxConvBlocks) + " blocks"));
    return nullptr;
  }
  if (nnorms < 0 || nnorms > kMaxSizes + kMaxConvBlocks) {
    report(Status::range_error("norm: too many entries"));
    return nullptr;
  }
  NetConfig m;
  TrainerConfig c;
  const Status st = [&]() -> Status {
    if (!is_activation(o.activation)) return Status::range_error("activation: unknown activation");
    if (static_cast<unsigned>(o.placement) > 1) return Status::range_error("placement: unknown placement");
    if (static_cast<unsigned>(o.init) > 3) return Status::range_error("init: unknown init scheme");
    BN_TRY(read_seed(o.seed, "seed", &m.seed));
    BN_TRY(read_int(o.batch_size, "batchSize", kMinBatchSize, kMaxBatchSize, &c.batch_size));
    BN_TRY(read_seed(o.data_seed, "dataSeed", &c.data_seed));
    BN_TRY(read_int(o.eval_every, "evalEvery", 0, kMaxEvalCount, &c.eval_every));
    BN_TRY(read_int(o.eval_limit, "evalLimit", 0, kMaxEvalCount, &c.eval_limit));
    BN_TRY(read_int(o.watch_layer, "watchLayer", -1, kMaxSizes, &c.watch_layer));
    BN_TRY(read_int(o.watch_unit, "watchUnit", 0, kMaxLayerWidth, &c.watch_unit));
    if (!(o.bn_momentum >= 0 && o.bn_momentum <= 1)) return Status::range_error("bnMomentum must be in [0, 1]");
    BN_TRY(read_int(o.groups, "groups", 1, kMaxConvChannels, &m.groups));
    BN_TRY(read_int(o.image_channels, "imageChannels", 1, kMaxLayerWidth, &m.image_channels));
    BN_TRY(read_int(o.image_height, "imageHeight", 0, kMaxLayerWidth, &m.image_height));
    BN_TRY(read_int(o.image_width, "imageWidth", 0, kMaxLayerWidth, &m.image_width));
    BN_TRY(read_int(o.kernel_size, "kernelSize", 1, 15, &m.kernel_size));
    if (static_cast<unsigned>(o.pool) > 2) return Status::range_error("pool: unknown pooling");
    m.pool = o.pool;
    for (int i = 0; i < nnorms; ++i)
      if (static_cast<unsigned>(ptr<int32_t>(norms)[i]) > 3) return Status::range_error("norm: unknown normalization");
    return Status::ok();
  }();
  if (report(st) != Code::Ok) return nullptr;
  m.sizes.assign(ptr<int32_t>(sizes), ptr<int32_t>(sizes) + nsizes);
  m.activation = o.activation;
  m.conv_channels.assign(ptr<int32_t>(convs), ptr<int32_t>(convs) + nconvs);
  if (nnorms > 0) {
    m.norms.clear();
    for (int i = 0; i < nnorms; ++i) m.norms.push_back(static_cast<NormKind>(ptr<int32_t>(norms)[i]));
  } else {
    m.norms = {o.batch_norm ? NormKind::Batch : NormKind::None};
  }
  m.placement = o.placement;
  m.init = o.init;
  m.init_scale = o.init_scale;
  m.bn_momentum = o.bn_momentum;
  m.noise_shift = o.noise_shift;
  m.noise_scale = o.noise_scale;
  c.sgd.lr = o.lr;
  c.sgd.momentum = o.momentum;
  c.sgd.dampening = o.dampening;
  c.sgd.weight_decay = o.weight_decay;
  c.sgd.nesterov = o.nesterov;
  c.explode_factor = o.explode_factor;
  auto h = std::make_shared<TrainerHandle>();
  h->train = std::move(train);
  h->test = std::move(test);
  const DataView tv = h->test ? view_of(*h->test) : DataView{};
  if (report(h->trainer.init(m, c, view_of(*h->train), tv)) != Code::Ok) return nullptr;
  return h;
}

Code trainer_run(TrainerHandle& h, int steps) { return report(h.trainer.run(steps)); }
int trainer_step(TrainerHandle& h) { return h.trainer.step(); }
int trainer_diverged_at(TrainerHandle& h) { return h.trainer.diverged_at(); }
int trainer_restored_to_step(TrainerHandle& h) { return h.trainer.restored_to_step(); }
int trainer_linear_layers(TrainerHandle& h) { return h.trainer.linear_layers(); }
int trainer_weight_layers(TrainerHandle& h) { return h.trainer.weight_layers(); }
int trainer_hidden_layers(TrainerHandle& h) { return h.trainer.hidden_layers(); }
ModulePtr trainer_model(TrainerHandle& h) { return h.trainer.net().model; }

uintptr_t trainer_metric_ptr(TrainerHandle& h, MetricKind kind) {
  const auto* v = metric(h, kind);
  return v ? addr(v->data()) : 0;
}
int trainer_metric_length(TrainerHandle& h, MetricKind kind) {
  const auto* v = metric(h, kind);
  return v ? static_cast<int>(v->size()) : 0;
}
uintptr_t trainer_batch_indices_ptr(TrainerHandle& h) { return addr(h.trainer.batch_indices().data()); }
int trainer_batch_indices_length(TrainerHandle& h) { return static_cast<int>(h.trainer.batch_indices().size()); }

Evaluation trainer_evaluate(TrainerHandle& h, DatasetPtr d, int limit) {
  Evaluation e;
  if (!d) {
    e.code = report(Status::type_error("dataset: a dataset is required"));
    return e;
  }
  e.code = report(h.trainer.evaluate(view_of(*d), limit, &e.loss, &e.accuracy));
  return e;
}

Code trainer_predict_grid(TrainerHandle& h, uintptr_t out, const GridOptions& o) {
  return report(h.trainer.predict_grid(mut_ptr<float>(out), o.x0, o.x1, o.y0, o.y1, o.nx, o.ny));
}
Code trainer_histograms(TrainerHandle& h, uintptr_t out, int bins, double lo, double hi) {
  return report(h.trainer.histograms(mut_ptr<float>(out), bins, lo, hi));
}
Code trainer_unit_histograms(TrainerHandle& h, uintptr_t out, int layer, int bins, double lo, double hi) {
  return report(h.trainer.unit_histograms(mut_ptr<float>(out), layer, bins, lo, hi));
}
Code trainer_set_watch(TrainerHandle& h, int layer, int unit) { return report(h.trainer.set_watch(layer, unit)); }
Code trainer_probe_landscape(TrainerHandle& h, uintptr_t etas, int n, uintptr_t out) {
  if (n < 1 || n > kMaxProbeSteps)
    return report(Status::range_error("stepSizes must hold 1 to " + std::to_string(kMaxProbeSteps) + " values, got " + std::to_string(n)));
  return report(h.trainer.probe_landscape(ptr<float>(etas), n, mut_ptr<float>(out)));
}
int trainer_hidden_units(TrainerHandle& h, int layer) { return h.trainer.hidden_units(layer); }

// ---- the module ------------------------------------------------------------------------------------

bool simd_build() { return kernels::active::simd; }
std::string version() { return BN_VERSION; }
double heap_size() {
#ifdef __EMSCRIPTEN__
  return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0;
#else
  return 0;
#endif
}
bool room() { return has_room(); }

double heap_used() {
#ifdef __EMSCRIPTEN__
  return static_cast<double>(mallinfo().uordblks);
#else
  return static_cast<double>(mallinfo2().uordblks);  // glibc deprecates mallinfo()
#endif
}

}  // namespace bn::adapters

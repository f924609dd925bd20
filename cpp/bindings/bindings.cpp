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

#include "kernels/dispatch.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/rng.h"
#include "nn/sequential.h"
#include "nn/sgd.h"
#include "nn/standardize.h"

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

std::string last_error() { return g_last_error; }
double last_scalar(int i) { return (i >= 0 && i < 4) ? g_scalars[i] : 0.0; }

// ---- factories (null + lastError on failure) -------------------------------------------------

ModulePtr make_linear(int in, int out, bool bias, bool seeded, double seed) {
  auto m = std::make_shared<bn::Linear>();
  bn::Rng local(static_cast<uint64_t>(seed));
  Status s = m->init(in, out, bias, seeded ? local : bn::global_rng());
  if (report(s)) return nullptr;
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

void manual_seed(double seed) { bn::global_rng().seed(static_cast<uint64_t>(seed)); }

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

int module_backward(Module& m, uintptr_t dy, int len) {
  if (!m.has_forward()) return report(Status::state_error("backward() needs a forward() first"));
  if (static_cast<size_t>(len) != m.output_shape().numel())
    return report(Status::range_error("dy: expected " + std::to_string(m.output_shape().numel()) +
                                      " values (the last output's shape " + m.output_shape().str() +
                                      "), got " + std::to_string(len)));
  return report(m.backward(ptr<float>(dy)));
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

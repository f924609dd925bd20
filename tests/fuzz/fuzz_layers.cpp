// libFuzzer harness: layers, Sequential, state entries, SGD and the loss/standardize functions,
// created through the adapters the wasm module calls (cpp/bindings/adapters.h), with whatever a
// page could send through the typed API and past it.
//
// The input is a small program. Its first bytes build 1 to 4 layers (Linear, BatchNorm1d/2d,
// ReLU, Sigmoid, Tanh) with decoded sizes and options (raw doubles: NaN, infinities, subnormals)
// and optionally a Sequential of them; then up to 32 operations follow:
//   forward (the model or any layer in it, directly: JS keeps a handle on each layer) with a
//   decoded shape (rank 0..5, dims from tiny to INT_MAX) and data (NaN, Inf, constants, 1e4 ± 1,
//   1e-4 ± 1e-6, huge); backward with a dy of the length the binding checks; train/eval;
//   zero_grad; state-entry writes as loadStateDict and the setters do them (finite floats, counters
//   in [0, 2^53]); SGD init/step/zero_grad/set_lr; cross_entropy, mse_loss and standardize; and
//   dropping a handle (JS dispose) while others still hold the object.
// Contract: every call returns a Status, never crashes, reads or writes out of bounds, hits
// undefined behaviour or leaks; an ok forward leaves output() with output_shape().numel() values.
// Shapes the engine rejects are passed with a 4-float buffer: rejection must come before any read.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "bindings/adapters.h"
#include "fuzz_input.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "base/rng.h"
#include "nn/sequential.h"
#include "nn/sgd.h"
#include "nn/standardize.h"

namespace {

using bn::Code;
using bn::Module;
using bn::Status;
using ModulePtr = std::shared_ptr<Module>;
namespace a = bn::adapters;

// A factory's failure, as lastStatus() reports it to the wrapper.
Status last_failure() {
  const a::StatusInfo st = a::last_status();
  return {st.code, st.message};
}

// Largest tensor a harness run allocates for data (elements): keeps each run fast; shapes above it
// that the engine accepts are skipped, shapes the engine rejects are still tried at any size.
constexpr size_t kMaxData = 1 << 14;

// A feature count: mostly small, sometimes an edge the constructors must reject.
int feature_count(fuzz::Input& in) {
  const uint8_t b = in.u8();
  if (b < 200) return 1 + b % 8;
  return in.pick<int>({0, -1, INT32_MIN, 13, 64, 65536, (1 << 26) + 1, INT32_MAX, 1 << 16 | 1});
}

int dim(fuzz::Input& in) {
  const uint8_t b = in.u8();
  if (b < 224) return 1 + b % 9;
  return in.pick<int>({0, -1, INT32_MIN, INT32_MAX, 65536, 1 << 26, (1 << 26) + 1, 1 << 13, 100});
}

bn::Shape shape(fuzz::Input& in) {
  bn::Shape s;
  const uint8_t r = in.u8();
  s.rank = r < 240 ? 1 + r % 4 : in.pick<int>({0, 5, -1, INT32_MIN});
  for (int i = 0; i < 4; ++i) s.dims[i] = dim(in);
  return s;
}

ModulePtr make_layer(fuzz::Input& in) {
  switch (in.u8() % 6) {
    case 0: {
      a::LinearOptions o;
      o.in_features = feature_count(in);
      o.out_features = feature_count(in);
      o.bias = in.boolean();
      o.seeded = true;
      o.seed = static_cast<double>(in.seed53());
      ModulePtr m = a::make_linear(o);
      if (!m) {
        const Status st = last_failure();
        fuzz::check_status(st, "make_linear");
        FUZZ_CHECK(st.code == Code::RangeError || st.code == Code::OutOfMemory, "Linear(%d, %d): code %d",
                   o.in_features, o.out_features, static_cast<int>(st.code));
      }
      return m;
    }
    case 1:
    case 2: {
      const int c = feature_count(in);
      bn::BatchNormOptions o;
      o.eps = in.boolean() ? in.any_double() : 1e-5;
      o.momentum = in.boolean() ? in.any_double() : 0.1;
      o.cumulative = in.boolean();
      o.affine = in.boolean();
      o.track_running_stats = in.boolean();
      ModulePtr m = a::make_batchnorm(c, in.boolean() ? 2 : 1, o);
      if (!m) {
        fuzz::check_status(last_failure(), "make_batchnorm");
        FUZZ_CHECK(last_failure().code != Code::Ok, "make_batchnorm failed with code Ok");
        return nullptr;
      }
      FUZZ_CHECK(o.eps >= 1e-30 && std::isfinite(o.eps), "BatchNorm accepted eps %g", o.eps);
      // Any finite momentum, as torch (only [0, 1] averages, but torch does not check).
      FUZZ_CHECK(o.cumulative || std::isfinite(o.momentum), "BatchNorm accepted momentum %g", o.momentum);
      return m;
    }
    case 3: return a::make_activation(bn::ActivationKind::ReLU);
    case 4: return a::make_activation(bn::ActivationKind::Sigmoid);
    default: return a::make_activation(bn::ActivationKind::Tanh);
  }
}

struct World {
  std::vector<ModulePtr> layers;  // JS handles on the individual layers (null once "disposed")
  ModulePtr seq;                  // the Sequential's handle, if the program built one
  std::shared_ptr<bn::SGD> sgd;
};

// Any live handle: the Sequential or one of its layers.
Module* target(World& w, fuzz::Input& in) {
  std::vector<Module*> live;
  if (w.seq) live.push_back(w.seq.get());
  for (auto& l : w.layers)
    if (l) live.push_back(l.get());
  if (live.empty()) return nullptr;
  return live[in.u8() % live.size()];
}

void do_forward(Module& m, fuzz::Input& in) {
  const bn::Shape s = shape(in);
  const bool valid = bn::validate_shape(s, "shape").is_ok();
  std::vector<float> x;
  if (valid) {
    const size_t n = s.numel();
    if (n > kMaxData) return;  // a legal size too large for a quick run
    x.resize(n);
    in.fill_floats(x.data(), n);
  } else {
    x.assign(4, 1.0f);  // the engine must reject this shape before reading
  }
  x.shrink_to_fit();
  const Code code = a::module_forward(m, reinterpret_cast<uintptr_t>(x.data()), s.rank, s.dims[0], s.dims[1], s.dims[2], s.dims[3]);
  const Status st = code == Code::Ok ? Status::ok() : last_failure();
  fuzz::check_status(st, "module_forward");
  if (!valid) FUZZ_CHECK(!st, "forward accepted the invalid shape %s", s.str().c_str());
  if (st) {
    FUZZ_CHECK(m.has_forward(), "ok forward without has_forward()");
    const bn::Shape& o = m.output_shape();
    FUZZ_CHECK(bn::validate_shape(o, "out").is_ok(), "output shape %s", o.str().c_str());
    FUZZ_CHECK(m.output().size() == o.numel(), "%s: output() has %zu values, output_shape %s", m.kind(),
               m.output().size(), o.str().c_str());
    fuzz::touch(m.output().data(), m.output().size());  // what the wrapper's copyOut reads
  }
}

void do_backward(Module& m, fuzz::Input& in) {
  if (!m.has_forward()) {
    // The binding answers this itself; the module must refuse it too, without reading dy.
    float dy[4] = {1, 1, 1, 1};
    const Status st = m.backward(dy);
    fuzz::check_status(st, "backward");
    FUZZ_CHECK(st.code == Code::StateError, "%s: backward before forward gave code %d", m.kind(),
               static_cast<int>(st.code));
    return;
  }
  // The wrapper passes exactly output_shape().numel() values (module_backward checks the length).
  const size_t n = m.output_shape().numel();
  std::vector<float> dy(n);
  in.fill_floats(dy.data(), n);
  dy.shrink_to_fit();
  const Code code = a::module_backward(m, reinterpret_cast<uintptr_t>(dy.data()), static_cast<int>(n), true);
  const Status st = code == Code::Ok ? Status::ok() : last_failure();
  fuzz::check_status(st, "module_backward");
  if (st) fuzz::touch(m.input_grad().data(), m.input_grad().size());  // inputGradPtr/Length
}

// loadStateDict / the tensor setters / setStateCounter, and the stateDict/grad getters.
void do_state(Module& m, fuzz::Input& in) {
  std::vector<bn::StateEntry> entries;
  m.state(entries, "");
  for (auto& e : entries) {
    FUZZ_CHECK(!e.name.empty(), "a state entry without a name");
    if (e.kind == bn::StateEntry::Counter) {
      FUZZ_CHECK(e.counter && *e.counter >= 0, "%s: counter", e.name.c_str());
      continue;
    }
    FUZZ_CHECK(e.value != nullptr, "%s: no value buffer", e.name.c_str());
    fuzz::touch(e.value->data(), e.length());
    if (e.kind == bn::StateEntry::Parameter) {
      FUZZ_CHECK(e.grad && e.grad->size() == e.length() && e.grad_defined, "%s: gradient", e.name.c_str());
      fuzz::touch(e.grad->data(), e.grad->size());
    }
  }
  if (entries.empty()) return;
  bn::StateEntry& e = entries[in.u8() % entries.size()];
  if (e.kind == bn::StateEntry::Counter) {
    // set_state_counter lets through integers in [0, 2^53].
    *e.counter = static_cast<int64_t>(in.pick<uint64_t>({0, 1, 2, 7, uint64_t{1} << 31, uint64_t{1} << 53,
                                                          (uint64_t{1} << 53) - 1, in.seed53()}));
  } else {
    for (size_t i = 0; i < e.length(); ++i) (*e.value)[i] = in.finite_float();
  }
}

void do_sgd(World& w, fuzz::Input& in) {
  if (!w.sgd || in.u8() < 32) {
    ModulePtr model = w.seq ? w.seq : nullptr;
    if (!model)
      for (auto& l : w.layers)
        if (l) model = l;
    bn::SGDOptions o;
    o.lr = in.any_double();
    o.momentum = in.boolean() ? in.any_double() : 0;
    o.dampening = in.boolean() ? in.any_double() : 0;
    o.weight_decay = in.boolean() ? in.any_double() : 0;
    o.nesterov = in.boolean();
    auto sgd = a::make_sgd(model, o);  // model may be null (every handle dropped)
    if (!sgd) fuzz::check_status(last_failure(), "make_sgd");
    if (sgd) {
      FUZZ_CHECK(o.lr >= 0 && std::isfinite(o.lr) && o.momentum >= 0 && std::isfinite(o.momentum) &&
                     std::isfinite(o.dampening) && o.weight_decay >= 0 && std::isfinite(o.weight_decay),
                 "SGD accepted lr %g momentum %g dampening %g weight_decay %g", o.lr, o.momentum, o.dampening,
                 o.weight_decay);
      w.sgd = sgd;
    }
    return;
  }
  switch (in.u8() % 3) {
    case 0: w.sgd->step(); break;
    case 1: w.sgd->zero_grad(); break;
    default: fuzz::check_status(w.sgd->set_lr(in.any_double()), "SGD::set_lr"); break;
  }
}

// The free functions: the wrapper stages exactly the sizes it passes (checked in JS); sizes the
// engine must reject come with 4-element buffers.
void do_function(fuzz::Input& in) {
  switch (in.u8() % 3) {
    case 0: {
      const int n = in.u8() < 240 ? 1 + in.u8() % 6 : in.pick<int>({0, -1, INT32_MIN, INT32_MAX, 1 << 13});
      const int k = in.u8() < 240 ? 1 + in.u8() % 6 : in.pick<int>({0, -1, INT32_MIN, INT32_MAX, 1 << 14});
      const bool valid = n >= 1 && k >= 1 && uint64_t(n) * uint64_t(k) <= bn::kMaxElements;
      if (valid && size_t(n) * size_t(k) > kMaxData) return;
      const size_t nk = valid ? size_t(n) * size_t(k) : 4, nt = valid ? size_t(n) : 4;
      std::vector<float> logits(nk), grad(nk);
      std::vector<int32_t> targets(nt);
      in.fill_floats(logits.data(), nk);
      for (auto& t : targets) t = in.u8() < 230 ? static_cast<int32_t>(in.u8() % 7) : static_cast<int32_t>(in.u32());
      double loss = -1;
      const Status st = bn::cross_entropy(&loss, grad.data(), logits.data(), targets.data(), n, k);
      fuzz::check_status(st, "cross_entropy");
      if (!valid) FUZZ_CHECK(!st, "cross_entropy accepted N %d, K %d", n, k);
      if (st) {
        for (int32_t t : targets) FUZZ_CHECK(t >= 0 && t < k, "cross_entropy accepted target %d of %d classes", t, k);
        bool finite = true;
        for (float v : logits) finite = finite && std::isfinite(v);
        if (finite) FUZZ_CHECK(std::isfinite(loss) && loss >= 0, "finite logits, loss %g", loss);
      }
      break;
    }
    case 1: {
      const size_t n = in.u8() < 240 ? in.u8() % 40 : in.pick<size_t>({0, bn::kMaxElements + 1, SIZE_MAX});
      const bool valid = n >= 1 && n <= bn::kMaxElements;
      const size_t len = valid ? n : 4;
      std::vector<float> pred(len), tgt(len), grad(len);
      in.fill_floats(pred.data(), len);
      in.fill_floats(tgt.data(), len);
      double loss = 0;
      const Status st = bn::mse_loss(&loss, grad.data(), pred.data(), tgt.data(), n);
      fuzz::check_status(st, "mse_loss");
      if (!valid) FUZZ_CHECK(!st, "mse_loss accepted n %zu", n);
      break;
    }
    default: {
      const size_t n = in.u8() < 240 ? in.u8() % 40 : in.pick<size_t>({0, 1, bn::kMaxElements + 1, SIZE_MAX});
      const bool valid = n >= 1 && n <= bn::kMaxElements;
      const size_t len = valid ? n : 4;
      std::vector<float> x(len), z(len);
      in.fill_floats(x.data(), len);
      const double eps = in.boolean() ? in.any_double() : 0.0;
      const bool unbiased = in.boolean();
      bn::Standardized r;
      const Status st = bn::standardize(&r, z.data(), x.data(), n, eps, unbiased);
      fuzz::check_status(st, "standardize");
      if (!valid) FUZZ_CHECK(!st, "standardize accepted n %zu", n);
      // Finite inputs (the function rejects others) give finite results where float32 can hold
      // them: with |x| <= 1e18 every squared deviation is <= 4e36 and n <= 40 of them sum below
      // FLT_MAX, so no float accumulator of the statistics kernel can overflow. (Beyond that the
      // SIMD kernel's float sums overflow: see tests/fuzz/README.md, findings.)
      float biggest = 0;
      for (size_t i = 0; i < n && valid; ++i) biggest = std::max(biggest, std::fabs(x[i]));
      if (st && biggest <= 1e18f) {
        FUZZ_CHECK(std::isfinite(r.mean) && std::isfinite(r.variance) && r.variance >= 0 && std::isfinite(r.stddev),
                   "standardize: mean %g variance %g std %g", r.mean, r.variance, r.stddev);
        for (size_t i = 0; i < n; ++i)
          FUZZ_CHECK(!std::isnan(z[i]), "standardize: z[%zu] is NaN (n %zu, x[%zu] %a, eps %a, unbiased %d, mean %a, std %a)",
                     i, n, i, static_cast<double>(x[i]), eps, unbiased, r.mean, r.stddev);
      }
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  World w;
  const int count = 1 + in.u8() % 4;
  for (int i = 0; i < count; ++i)
    if (ModulePtr m = make_layer(in)) w.layers.push_back(m);
  if (w.layers.empty()) return 0;
  if (w.layers.size() > 1 || in.boolean()) {
    ModulePtr seq = a::make_sequential();
    for (auto& l : w.layers) FUZZ_CHECK(a::sequential_add(*seq, l) == Code::Ok, "sequential_add refused a layer");
    w.seq = seq;
  }

  for (int op = 0; op < 32 && !in.empty(); ++op) {
    const uint8_t code = in.u8() % 12;
    if (code == 10) {
      do_sgd(w, in);
      continue;
    }
    if (code == 11) {
      do_function(in);
      continue;
    }
    Module* m = target(w, in);
    if (!m) {
      if (w.sgd) w.sgd->step();  // the optimizer still owns the parameters
      continue;
    }
    switch (code) {
      case 0:
      case 1:
      case 2: do_forward(*m, in); break;
      case 3:
      case 4: do_backward(*m, in); break;
      case 5: m->set_training(in.boolean()); break;
      case 6: m->zero_grad(); break;
      case 7:
      case 8: do_state(*m, in); break;
      default: {
        // dispose(): drop one JS handle; the engine objects live on while anything holds them
        // (a Sequential's dispose() also disposes the handles of its layers, as in layers.ts).
        const size_t i = in.u8() % (w.layers.size() + 1);
        if (i < w.layers.size()) {
          w.layers[i].reset();
        } else if (w.seq) {
          w.seq.reset();
          for (auto& l : w.layers) l.reset();
        }
        break;
      }
    }
  }
  return 0;
}

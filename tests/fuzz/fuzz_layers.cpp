// libFuzzer harness: layers, Sequential, state entries, SGD and the loss/standardize functions,
// created through the adapters the wasm module calls (cpp/bindings/adapters.h), with whatever a
// page could send through the typed API and past it.
//
// The input is a small program. Its first bytes build 1 to 4 layers (Linear, BatchNorm1d/2d,
// ReLU, Sigmoid, Tanh; LayerNorm, GroupNorm, Conv2d, MaxPool2d, AvgPool2d, Flatten) with decoded
// sizes and options (raw doubles: NaN, infinities, subnormals; kernel sizes, strides and paddings
// from 1 to INT_MAX) and optionally a Sequential of them; then up to 32 operations follow:
//   forward (the model or any layer in it, directly: JS keeps a handle on each layer) with a
//   decoded shape (rank 0..5, dims from tiny to INT_MAX; or, when the shape byte says so and the
//   layer (a Sequential's first layer) is one of the CNN/normalization layers, a shape made to fit
//   it: its channels, its normalized shape, planes at least its window) and data (NaN, Inf,
//   constants, 1e4 ± 1, 1e-4 ± 1e-6, huge); backward with a dy of the length the binding checks; train/eval;
//   zero_grad; state-entry writes as loadStateDict and the setters do them (finite floats, counters
//   in [0, 2^53]); SGD init/step/zero_grad/set_lr; cross_entropy, mse_loss and standardize; and
//   dropping a handle (JS dispose) while others still hold the object.
// Contract: every call returns a Status, never crashes, reads or writes out of bounds, hits
// undefined behaviour or leaks; an ok forward leaves output() with output_shape().numel() values.
// The CNN/normalization layers also: a constructor refuses exactly the options outside its
// documented ranges; an ok forward has torch's output shape (Conv2d: (H + 2p - k) / s + 1, floor;
// pooling: (H - k) / s + 1; Flatten: [N, rest]; the norms: the input's); a refused forward had a
// reason (wrong rank or channels, a window larger than the padded plane, too many elements); the
// state entries are torch's ("weight", "bias" when there is one) with torch's lengths.
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
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/norm.h"
#include "nn/pool.h"
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

// *fit: the rank byte asks for a shape that fits the layer (bit 6; the rank uses bits 0-1).
bn::Shape shape(fuzz::Input& in, bool* fit = nullptr) {
  bn::Shape s;
  const uint8_t r = in.u8();
  s.rank = r < 240 ? 1 + r % 4 : in.pick<int>({0, 5, -1, INT32_MIN});
  if (fit) *fit = r < 240 && (r & 0x40) != 0;
  for (int i = 0; i < 4; ++i) s.dims[i] = dim(in);
  return s;
}

// ---- the CNN and normalization layers ----------------------------------------------------------

// Largest parameter tensor a harness run creates: larger legal layers are skipped (refused ones
// are still tried at any size).
constexpr uint64_t kMaxParams = uint64_t{1} << 18;

// A channel count: mostly 1..4, sometimes an edge.
int channels(fuzz::Input& in) {
  const uint8_t b = in.u8();
  if (b < 224) return 1 + b % 4;
  return in.pick<int>({0, -1, INT32_MIN, INT32_MAX, 65536, 8, (1 << 26) + 1, 6});
}

// A kernel size or stride: mostly 1..n, sometimes an edge.
int window(fuzz::Input& in, int n) {
  const uint8_t b = in.u8();
  if (b < 224) return 1 + b % n;
  return in.pick<int>({0, -1, INT32_MIN, INT32_MAX, 32768, 32769, 9, 15});
}

void check_refusal(const char* what, bool legal) {
  const Status st = last_failure();
  fuzz::check_status(st, what);
  FUZZ_CHECK(st.code == Code::RangeError || st.code == Code::OutOfMemory, "%s: code %d", what, static_cast<int>(st.code));
  FUZZ_CHECK(!legal || st.code == Code::OutOfMemory, "%s refused legal options: %s", what, st.message.c_str());
}

double norm_eps(fuzz::Input& in) { return in.boolean() ? in.any_double() : 1e-5; }
bool eps_ok(double eps) { return eps >= 1e-30 && std::isfinite(eps); }

ModulePtr make_cnn_layer(uint8_t which, fuzz::Input& in) {
  switch (which % 6) {
    case 0: {
      // LayerNorm(normalizedShape): rank 1..3, dims 1..4, or edges.
      const uint8_t r = in.u8();
      const int rank = r < 240 ? 1 + r % 3 : in.pick<int>({0, 4, 5, -1});
      int d[4] = {0, 0, 0, 0};
      for (int& v : d) {
        const uint8_t b = in.u8();
        v = b < 224 ? 1 + b % 4 : in.pick<int>({0, -1, INT32_MAX, 1 << 13, 1 << 26, 3});
      }
      bn::LayerNormOptions o;
      o.eps = norm_eps(in);
      o.elementwise_affine = in.boolean();
      bool shape_ok = rank >= 1 && rank <= 4;
      uint64_t numel = 1;
      for (int i = 0; shape_ok && i < rank; ++i) {
        shape_ok = d[i] >= 1 && (numel *= static_cast<uint64_t>(d[i])) <= bn::kMaxElements;
      }
      if (shape_ok && numel > kMaxParams) return nullptr;  // legal but large
      ModulePtr m = a::make_layernorm(rank, d[0], d[1], d[2], d[3], o);
      if (!m) check_refusal("make_layernorm", shape_ok && eps_ok(o.eps));
      else FUZZ_CHECK(shape_ok && eps_ok(o.eps), "LayerNorm accepted rank %d dims %d %d %d %d, eps %g", rank, d[0], d[1], d[2], d[3], o.eps);
      return m;
    }
    case 1: {
      const int g = feature_count(in);
      int c = feature_count(in);
      if (in.boolean() && g >= 1 && g <= 64) c = g * (1 + in.u8() % 4);  // usually divisible
      bn::GroupNormOptions o;
      o.eps = norm_eps(in);
      o.affine = in.boolean();
      const bool legal = g >= 1 && c >= 1 && static_cast<uint64_t>(c) <= bn::kMaxElements && c % g == 0 && eps_ok(o.eps);
      if (legal && static_cast<uint64_t>(c) > kMaxParams) return nullptr;
      ModulePtr m = a::make_groupnorm(g, c, o);
      if (!m) check_refusal("make_groupnorm", legal);
      else FUZZ_CHECK(legal, "GroupNorm(%d, %d) accepted with eps %g", g, c, o.eps);
      return m;
    }
    case 2: {
      a::ConvOptions o;
      o.in_channels = channels(in);
      o.out_channels = channels(in);
      o.kernel_size = window(in, 5);
      o.stride = window(in, 3);
      const uint8_t p = in.u8();
      o.padding = p < 200 ? p % 4 : in.pick<int>({-1, 7, 20, 1 << 20, (1 << 20) + 1, INT32_MAX, INT32_MIN});
      o.bias = in.boolean();
      o.seeded = in.boolean();
      const bool raw_seed = o.seeded && in.u8() >= 224;  // a seed that need not be an integer in [0, 2^53)
      o.seed = raw_seed ? in.any_double() : static_cast<double>(in.seed53());
      const uint64_t fan_in = o.in_channels >= 1 && o.kernel_size >= 1
                                  ? uint64_t(o.in_channels) * uint64_t(o.kernel_size) * uint64_t(o.kernel_size) : 0;
      const uint64_t weights = o.out_channels >= 1 ? fan_in * uint64_t(o.out_channels) : 0;
      const bool legal = fan_in >= 1 && weights >= 1 && fan_in <= bn::kMaxElements && weights <= bn::kMaxElements &&
                         o.stride >= 1 && o.padding >= 0 && o.padding <= (1 << 20);
      if (legal && weights > kMaxParams) return nullptr;
      ModulePtr m = a::make_conv2d(o);
      if (!m) check_refusal("make_conv2d", legal && !raw_seed);
      else FUZZ_CHECK(legal, "Conv2d(%d, %d, %d, stride %d, padding %d) accepted", o.in_channels, o.out_channels,
                      o.kernel_size, o.stride, o.padding);
      return m;
    }
    case 3:
    case 4: {
      // The kind as the enum the binding passes; 2.. are not kinds and must be refused.
      const uint8_t kb = in.u8();
      const auto kind = static_cast<bn::Pool2d::Kind>(kb < 240 ? (which % 6) - 3 : 2 + kb % 3);
      const int k = window(in, 4);
      const int stride = in.boolean() ? k : window(in, 3);
      const bool legal = kb < 240 && k >= 1 && k <= 32768 && stride >= 1;
      ModulePtr m = a::make_pool2d(kind, k, stride);
      if (!m) check_refusal("make_pool2d", legal);
      else FUZZ_CHECK(legal, "Pool2d(kind %d, %d, stride %d) accepted", static_cast<int>(kind), k, stride);
      return m;
    }
    default: return a::make_flatten();
  }
}

// The layer a forward on `m` reaches first: m, or a Sequential's first child.
Module* first_layer(Module& m) {
  auto* seq = dynamic_cast<bn::Sequential*>(&m);
  if (!seq) return &m;
  return seq->size() ? first_layer(seq->child(0)) : nullptr;
}

// Makes s fit the first layer of m when that is a CNN/normalization layer (the MLP layers keep
// their decoded shapes, so older programs decode as they always did).
void fit_shape(Module& m, bn::Shape& s) {
  Module* f = first_layer(m);
  if (!f) return;
  if (s.rank < 1 || s.rank > 4) s.rank = 4;
  if (auto* c = dynamic_cast<bn::Conv2d*>(f)) {
    if (s.rank < 3) s.rank = 4;
    s.dims[s.rank == 4 ? 1 : 0] = c->in_channels();
  } else if (auto* g = dynamic_cast<bn::GroupNorm*>(f)) {
    if (s.rank < 2) s.rank = 2;
    s.dims[1] = g->num_channels();
  } else if (auto* l = dynamic_cast<bn::LayerNorm*>(f)) {
    const bn::Shape& ns = l->normalized_shape();
    if (s.rank < ns.rank) s.rank = ns.rank;
    for (int i = 0; i < ns.rank; ++i) s.dims[s.rank - ns.rank + i] = ns.dims[i];
  } else if (auto* p = dynamic_cast<bn::Pool2d*>(f)) {
    if (s.rank < 3) s.rank = 4;
    for (int i = s.rank - 2; i < s.rank; ++i) s.dims[i] = std::max(s.dims[i], std::min(p->kernel_size(), 64));
  } else if (dynamic_cast<bn::Flatten*>(f)) {
    if (s.rank < 2) s.rank = 2;
  }
}

// Conv2d's output on a valid input shape (rank 3 or 4 with its channels): torch's formula, and
// whether the engine must refuse it (a window over the padded plane, or too many elements).
struct ConvPlan {
  bool applies = false, fits = false;
  int64_t oh = 0, ow = 0;
  uint64_t patches = 0, outputs = 0;
};
ConvPlan conv_plan(const bn::Conv2d& c, const bn::Shape& s) {
  ConvPlan p;
  const bool batched = s.rank == 4;
  if ((s.rank != 3 && s.rank != 4) || s.dims[batched ? 1 : 0] != c.in_channels()) return p;
  p.applies = true;
  const int64_t k = c.kernel_size(), st = c.options().stride, pad = c.options().padding;
  const int64_t hp = s.dims[s.rank - 2] + 2 * pad, wp = s.dims[s.rank - 1] + 2 * pad;
  if (hp < k || wp < k) return p;
  p.oh = (hp - k) / st + 1;
  p.ow = (wp - k) / st + 1;
  const uint64_t rows = uint64_t(batched ? s.dims[0] : 1) * uint64_t(p.oh) * uint64_t(p.ow);
  p.patches = rows * uint64_t(c.in_channels()) * uint64_t(k) * uint64_t(k);
  p.outputs = rows * uint64_t(c.out_channels());
  p.fits = p.patches <= bn::kMaxElements && p.outputs <= bn::kMaxElements;
  return p;
}

// What the engine promises about a CNN/normalization layer's forward on a valid shape s.
void check_cnn_forward(Module& m, const bn::Shape& s, const Status& st) {
  const bn::Shape& o = m.output_shape();
  if (auto* c = dynamic_cast<bn::Conv2d*>(&m)) {
    const ConvPlan p = conv_plan(*c, s);
    if (!st) {
      FUZZ_CHECK(!p.fits || st.code == Code::OutOfMemory, "Conv2d refused %s: %s", s.str().c_str(), st.message.c_str());
      return;
    }
    FUZZ_CHECK(p.fits, "Conv2d accepted %s", s.str().c_str());
    const int b = s.rank == 4 ? 1 : 0;
    FUZZ_CHECK(o.rank == s.rank && (b == 0 || o.dims[0] == s.dims[0]) && o.dims[b] == c->out_channels() &&
                   o.dims[b + 1] == p.oh && o.dims[b + 2] == p.ow,
               "Conv2d on %s gave %s, torch gives %lld x %lld planes", s.str().c_str(), o.str().c_str(),
               static_cast<long long>(p.oh), static_cast<long long>(p.ow));
  } else if (auto* pl = dynamic_cast<bn::Pool2d*>(&m)) {
    const int k = pl->kernel_size(), sd = pl->stride();
    const bool ok_rank = s.rank == 3 || s.rank == 4;
    const bool fits = ok_rank && s.dims[s.rank - 2] >= k && s.dims[s.rank - 1] >= k;
    if (!st) {
      FUZZ_CHECK(!fits || st.code == Code::OutOfMemory, "%s refused %s: %s", m.kind(), s.str().c_str(), st.message.c_str());
      return;
    }
    FUZZ_CHECK(fits, "%s(%d) accepted %s", m.kind(), k, s.str().c_str());
    bool same = o.rank == s.rank;
    for (int i = 0; same && i < s.rank - 2; ++i) same = o.dims[i] == s.dims[i];
    FUZZ_CHECK(same && o.dims[s.rank - 2] == (s.dims[s.rank - 2] - k) / sd + 1 && o.dims[s.rank - 1] == (s.dims[s.rank - 1] - k) / sd + 1,
               "%s(%d, stride %d) on %s gave %s", m.kind(), k, sd, s.str().c_str(), o.str().c_str());
  } else if (dynamic_cast<bn::Flatten*>(&m)) {
    if (!st) {
      FUZZ_CHECK(s.rank < 2 || st.code == Code::OutOfMemory, "Flatten refused %s: %s", s.str().c_str(), st.message.c_str());
      return;
    }
    FUZZ_CHECK(o.rank == 2 && o.dims[0] == s.dims[0] && o.numel() == s.numel(), "Flatten on %s gave %s", s.str().c_str(), o.str().c_str());
  } else if (dynamic_cast<bn::RowNorm*>(&m)) {
    bool fits;
    if (auto* g = dynamic_cast<bn::GroupNorm*>(&m)) {
      fits = s.rank >= 2 && s.dims[1] == g->num_channels();
    } else {
      const bn::Shape& ns = static_cast<bn::LayerNorm&>(m).normalized_shape();
      fits = s.rank >= ns.rank;
      for (int i = 0; fits && i < ns.rank; ++i) fits = s.dims[s.rank - ns.rank + i] == ns.dims[i];
    }
    if (!st) {
      FUZZ_CHECK(!fits || st.code == Code::OutOfMemory, "%s refused %s: %s", m.kind(), s.str().c_str(), st.message.c_str());
      return;
    }
    FUZZ_CHECK(fits, "%s accepted %s", m.kind(), s.str().c_str());
    bool same = o.rank == s.rank;
    for (int i = 0; same && i < s.rank; ++i) same = o.dims[i] == s.dims[i];
    FUZZ_CHECK(same, "%s on %s gave %s", m.kind(), s.str().c_str(), o.str().c_str());
  }
}

// torch's state entries of the CNN/normalization layers: names and lengths.
void check_cnn_state(Module& m, const std::vector<bn::StateEntry>& entries) {
  auto expect = [&](std::initializer_list<std::pair<const char*, size_t>> want) {
    FUZZ_CHECK(entries.size() == want.size(), "%s: %zu state entries, torch has %zu", m.kind(), entries.size(), want.size());
    size_t i = 0;
    for (const auto& [name, len] : want) {
      FUZZ_CHECK(entries[i].name == name && entries[i].kind == bn::StateEntry::Parameter && entries[i].length() == len,
                 "%s: entry %zu is %s (%zu values), torch's is %s (%zu)", m.kind(), i, entries[i].name.c_str(),
                 entries[i].length(), name, len);
      ++i;
    }
  };
  if (auto* c = dynamic_cast<bn::Conv2d*>(&m)) {
    const size_t w = size_t(c->out_channels()) * size_t(c->in_channels()) * size_t(c->kernel_size()) * size_t(c->kernel_size());
    if (c->options().bias) expect({{"weight", w}, {"bias", size_t(c->out_channels())}});
    else expect({{"weight", w}});
  } else if (auto* g = dynamic_cast<bn::GroupNorm*>(&m)) {
    if (g->affine()) expect({{"weight", size_t(g->num_channels())}, {"bias", size_t(g->num_channels())}});
    else expect({});
  } else if (auto* l = dynamic_cast<bn::LayerNorm*>(&m)) {
    const size_t n = l->normalized_shape().numel();
    if (l->affine()) expect({{"weight", n}, {"bias", n}});
    else expect({});
  } else if (dynamic_cast<bn::Pool2d*>(&m) || dynamic_cast<bn::Flatten*>(&m)) {
    expect({});
  }
}

ModulePtr make_layer(fuzz::Input& in) {
  const uint8_t which = in.u8();
  if (which >= 192) return make_cnn_layer(static_cast<uint8_t>(which - 192), in);
  switch (which % 6) {
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
  bool fit = false;
  bn::Shape s = shape(in, &fit);
  if (fit) fit_shape(m, s);
  const bool valid = bn::validate_shape(s, "shape").is_ok();
  std::vector<float> x;
  if (valid) {
    const size_t n = s.numel();
    if (n > kMaxData) return;  // a legal size too large for a quick run
    if (auto* c = dynamic_cast<bn::Conv2d*>(&m)) {
      const ConvPlan p = conv_plan(*c, s);
      if (p.fits && (p.patches > (1u << 20) || p.outputs > (1u << 20))) return;  // legal, but slow
    }
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
  if (valid) check_cnn_forward(m, s, st);
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
  check_cnn_state(m, entries);
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

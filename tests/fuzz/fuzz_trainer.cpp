// libFuzzer harness: the trainer configuration path. bindings.cpp's make_trainer checks the
// integer fields (read_int/read_seed: covered by the JS bad-input battery) and passes the rest to
// bn::build_mlp and bn::Trainer::init as raw values: layer sizes as int32, initScale, the SGD
// numbers and explodeFactor as doubles (NaN, infinities, huge). This harness decodes an MLPConfig
// and a TrainerConfig the same way, with small datasets (a toy set, or a tiny image set parsed
// from BNDS bytes, with matching or mismatched features and classes), then drives the trainer:
// run() with step counts inside and outside [0, 100000], evaluate(), predict_grid(), histograms(),
// and what JS can do to trainer.model() between runs (loadStateDict, train/eval, forward).
//
// Contract checked after every call:
//  - a Status, never a crash, out-of-bounds access, undefined behaviour, leak or hang;
//  - run(): per-step metrics have one entry per completed step (gradNorms × linear layers,
//    percentiles × 3 when watching), all batch indices are in the training set, the step counter
//    advances by the steps done, fewer steps than asked only when the run diverged, and a
//    diverged run refuses to run again with a StateError;
//  - no NaN or infinity in any metric a caller receives ("no NaN reaches a chart", issue #6);
//  - evaluate(): accuracy in [0, 1] and a finite loss (or an error status: never Infinity as
//    data); predict_grid(): probabilities in [0, 1]; histograms(): finite non-negative counts.
#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "fuzz_input.h"
#include "train/trainer.h"

namespace {

using bn::Code;
using bn::Status;

// A tiny BNDS image set (h × w pixels, `classes` classes) generated from the input.
bool image_set(fuzz::Input& in, bn::Dataset* train, bn::Dataset* test) {
  const uint32_t h = 1 + in.u8() % 4, w = 1 + in.u8() % 4, classes = 2 + in.u8() % 4;
  const uint32_t count = 3 + in.u8() % 40, n_train = 2 + in.u8() % (count - 2);
  std::vector<uint8_t> b = {'B', 'N', 'D', 'S'};
  for (uint32_t v : {1u, count, n_train, h, w, classes, 255u})
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  for (uint32_t i = 0; i < count * h * w; ++i) b.push_back(in.u8());
  for (uint32_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>(in.u8() % classes));
  const Status st = bn::parse_image_dataset(train, test, b.data(), b.size());
  FUZZ_CHECK(st.is_ok(), "a well-formed BNDS file was rejected: %s", st.message.c_str());
  return true;
}

bool toy_set(fuzz::Input& in, bn::Dataset* d) {
  const int kind = in.u8() % 4, n = 2 + in.u8() % 63;
  const double noise = in.boolean() ? in.any_double() : 0.25;
  const Status st = bn::make_toy(d, static_cast<bn::ToyKind>(kind), n, noise, in.seed53());
  fuzz::check_status(st, "make_toy");
  if (!st) FUZZ_CHECK(!(noise >= 0 && noise <= 1), "make_toy refused noise %g: %s", noise, st.message.c_str());
  return st.is_ok();
}

bn::DataView view(const bn::Dataset& d) { return {d.x.data(), d.y.data(), d.n, d.features, d.classes}; }

int layer_size(fuzz::Input& in) {
  const uint8_t b = in.u8();
  if (b < 224) return 1 + b % 8;
  // Wider layers make each run slower, not more interesting; 65537 and up must be refused.
  return in.pick<int>({0, -1, INT32_MIN, 257, 65537, INT32_MAX, 16});
}

void check_all_finite(const std::vector<float>& v, const char* what) {
  for (size_t i = 0; i < v.size(); ++i)
    FUZZ_CHECK(std::isfinite(v[i]), "metric %s[%zu] = %g reaches the caller", what, i, static_cast<double>(v[i]));
}

void do_run(bn::Trainer& t, const bn::TrainerConfig& c, const bn::DataView& train, fuzz::Input& in) {
  const int steps = in.u8() < 240 ? in.u8() % 12 : in.pick<int>({-1, INT32_MIN, 100000 + 1, INT32_MAX, 40});
  const bool was_diverged = t.diverged();
  const int before = t.step();
  const Status st = t.run(steps);
  fuzz::check_status(st, "Trainer::run");
  if (steps < 0 || steps > 100000) {
    FUZZ_CHECK(st.code == Code::RangeError, "run(%d) gave code %d", steps, static_cast<int>(st.code));
    return;
  }
  if (was_diverged) {
    FUZZ_CHECK(st.code == Code::StateError, "run() after divergence gave code %d", static_cast<int>(st.code));
    return;
  }
  if (!st) return;  // e.g. a test set whose labels do not fit the model (reported by evaluate)
  const size_t done = t.losses().size();
  FUZZ_CHECK(static_cast<int>(done) == t.step() - before, "%zu losses for %d steps", done, t.step() - before);
  FUZZ_CHECK(static_cast<int>(done) == steps || t.diverged(), "ran %zu of %d steps without diverging", done, steps);
  if (t.diverged()) FUZZ_CHECK(t.diverged_at() == t.step() + 1 || t.diverged_at() == t.step(), "divergedAt %d at step %d",
                               t.diverged_at(), t.step());
  FUZZ_CHECK(t.batch_accuracy().size() == done, "batch accuracy length");
  FUZZ_CHECK(t.grad_norms().size() == done * static_cast<size_t>(t.linear_layers()), "grad norms length");
  FUZZ_CHECK(t.percentiles().size() == (c.watch_layer >= 0 ? 3 * done : 0), "percentiles length");
  FUZZ_CHECK(t.eval_steps().size() == t.eval_losses().size() && t.eval_losses().size() == t.eval_accuracy().size(),
             "eval metric lengths");
  // The last step's batch can be recorded even when the run diverged on it; never more.
  const size_t bi = t.batch_indices().size(), b = static_cast<size_t>(c.batch_size);
  FUZZ_CHECK(bi == done * b || bi == (done + 1) * b, "%zu batch indices for %zu steps of %zu", bi, done, b);
  for (int32_t i : t.batch_indices()) FUZZ_CHECK(i >= 0 && i < train.n, "batch index %d of %d examples", i, train.n);
  check_all_finite(t.losses(), "loss");
  check_all_finite(t.batch_accuracy(), "batchAccuracy");
  check_all_finite(t.percentiles(), "percentiles");
  check_all_finite(t.grad_norms(), "gradNorms");
  check_all_finite(t.eval_steps(), "evalSteps");
  check_all_finite(t.eval_losses(), "evalLoss");
  check_all_finite(t.eval_accuracy(), "evalAccuracy");
  for (float a : t.batch_accuracy()) FUZZ_CHECK(a >= 0 && a <= 1, "batch accuracy %g", static_cast<double>(a));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);

  // Datasets: a training set and an optional test set (toy: 2 features, 2 classes; images: h*w).
  bn::Dataset train, test, spare;
  const uint8_t ds = in.u8() % 4;
  if (ds == 0 || ds == 1) {
    if (!toy_set(in, &train)) return 0;
    if (ds == 1 && !toy_set(in, &test)) return 0;
  } else {
    image_set(in, &train, &test);
    if (ds == 3) image_set(in, &spare, &test);  // a test set that may not fit the model
  }
  const bool with_test = ds != 0 && in.boolean();

  bn::MLPConfig m;
  const int nsizes = in.u8() < 240 ? 2 + in.u8() % 4 : in.u8() % 2;  // 0 and 1: build_mlp must refuse
  for (int i = 0; i < nsizes; ++i) m.sizes.push_back(layer_size(in));
  // Usually fit the data so the run gets going; the fuzzer also tries mismatches.
  if (nsizes >= 2 && in.u8() < 200) {
    m.sizes.front() = train.features;
    m.sizes.back() = train.classes + (in.u8() < 230 ? 0 : in.pick<int>({-1, 1}));
  }
  m.activation = static_cast<bn::ActivationKind>(in.u8() % 3);
  m.batchnorm = in.boolean();
  m.placement = static_cast<bn::Placement>(in.u8() % 2);
  m.init = static_cast<bn::InitScheme>(in.u8() % 4);
  m.init_scale = in.boolean() ? in.any_double() : 1.0;
  m.seed = in.seed53();
  m.bn_momentum = in.boolean() ? in.any_double() : 0.1;  // the binding lets [0, 1] through
  m.bn_eps = in.u8() < 240 ? 1e-5 : in.any_double();    // not exposed by the binding

  bn::TrainerConfig c;
  c.batch_size = in.u8() < 224 ? 2 + in.u8() % 15 : in.pick<int>({0, 1, -1, 65536, 65537, INT32_MAX, 64});
  c.sgd.lr = in.boolean() ? in.any_double() : 0.1;
  c.sgd.momentum = in.boolean() ? in.any_double() : 0;
  c.sgd.dampening = in.boolean() ? in.any_double() : 0;
  c.sgd.weight_decay = in.boolean() ? in.any_double() : 0;
  c.sgd.nesterov = in.boolean();
  c.data_seed = in.seed53();
  c.eval_every = in.pick<int>({0, 0, 1, 2, 3, 5, -1, 1 << 30});
  c.eval_limit = in.pick<int>({0, 0, 1, 3, 100, -1, 1 << 30});
  c.watch_layer = in.pick<int>({-1, -1, 0, 0, 1, 2, 64, -2});
  c.watch_unit = in.pick<int>({0, 1, 2, 7, 65536, -1});
  c.explode_factor = in.boolean() ? in.any_double() : 1e4;

  const bn::DataView tv = with_test ? view(test) : bn::DataView{};
  bn::Trainer t;
  const Status st = t.init(m, c, view(train), tv);
  fuzz::check_status(st, "Trainer::init");
  if (!st) return 0;
  // What init accepted must be what the engine documents.
  FUZZ_CHECK(std::isfinite(m.init_scale) && m.init_scale >= 0 && m.init_scale <= 1e6, "initScale %g accepted",
             m.init_scale);
  FUZZ_CHECK(c.explode_factor > 1, "explodeFactor %g accepted", c.explode_factor);
  FUZZ_CHECK(c.batch_size >= 2 && c.batch_size <= train.n, "batchSize %d accepted for %d examples", c.batch_size,
             train.n);
  FUZZ_CHECK(std::isfinite(c.sgd.lr) && c.sgd.lr >= 0, "lr %g accepted", c.sgd.lr);

  for (int op = 0; op < 8 && !in.empty(); ++op) {
    switch (in.u8() % 7) {
      case 5: {
        // trainer.model() is a JS layer on the trainer's Sequential: loadStateDict() writes finite
        // floats (running_var may be negative: only the runningVar setter refuses that) and
        // counters in [0, 2^53]; train()/eval() switch its mode between runs.
        std::vector<bn::StateEntry> entries;
        t.mlp().model->state(entries, "");
        for (bn::StateEntry& e : entries) {
          if (!in.boolean()) continue;
          if (e.kind == bn::StateEntry::Counter) *e.counter = static_cast<int64_t>(in.seed53() >> in.u8() % 54);
          else
            for (size_t i = 0; i < e.length(); ++i) (*e.value)[i] = in.finite_float();
        }
        if (in.u8() < 64) t.mlp().model->set_training(in.boolean());
        break;
      }
      case 6: {
        // forward() on that handle, with any batch size: the trainer's next step must not care.
        const int rows = 1 + in.u8() % 9, features = t.mlp().linears.front()->in_features();
        std::vector<float> x(static_cast<size_t>(rows) * static_cast<size_t>(features));
        in.fill_floats(x.data(), x.size());
        x.shrink_to_fit();
        fuzz::check_status(t.mlp().model->forward(x.data(), bn::Shape{2, {rows, features, 0, 0}}), "model forward");
        break;
      }
      case 0:
      case 1: do_run(t, c, view(train), in); break;
      case 2: {
        const bn::Dataset& d = in.boolean() || ds == 0 ? train : (in.boolean() ? test : spare);
        if (d.n == 0) break;
        double loss = -1, acc = -1;
        const Status s = t.evaluate(view(d), in.pick<int>({0, 1, 2, 1000, -1, INT32_MIN}), &loss, &acc);
        fuzz::check_status(s, "Trainer::evaluate");
        if (s) FUZZ_CHECK(acc >= 0 && acc <= 1 && std::isfinite(loss) && loss >= 0, "evaluate: loss %g, accuracy %g", loss, acc);
        break;
      }
      case 3: {
        const int nx = in.pick<int>({1, 2, 3, 17, 64, 0, -1, 1025, INT32_MAX, 1 << 20});
        const int ny = in.pick<int>({1, 2, 5, 33, 0, -1, 1025, INT32_MIN, 1 << 11});
        const bool valid = nx >= 1 && ny >= 1 && int64_t{nx} * ny <= (1 << 20);
        if (valid && int64_t{nx} * ny > (1 << 14)) break;  // legal but slow: the engine chunks it
        std::vector<float> out(valid ? static_cast<size_t>(nx) * ny : 1, -1.0f);
        out.shrink_to_fit();
        double b[4];
        for (double& v : b) v = in.boolean() ? in.any_double() : (in.boolean() ? -6.0 : 6.0);
        const Status s = t.predict_grid(out.data(), b[0], b[1], b[2], b[3], nx, ny);
        fuzz::check_status(s, "Trainer::predict_grid");
        if (!valid) FUZZ_CHECK(!s, "predict_grid accepted a %d x %d grid", nx, ny);
        if (s)
          for (float p : out) FUZZ_CHECK(p >= 0 && p <= 1, "predict_grid gave %g", static_cast<double>(p));
        break;
      }
      default: {
        const int bins = in.pick<int>({1, 2, 40, 4096, 0, -1, 4097, INT32_MIN});
        const bool valid = bins >= 1 && bins <= 4096;
        std::vector<float> out(valid ? static_cast<size_t>(t.hidden_layers()) * bins : 1, -1.0f);
        if (out.empty()) out.resize(1);
        out.shrink_to_fit();
        const double lo = in.boolean() ? in.any_double() : -4, hi = in.boolean() ? in.any_double() : 4;
        const Status s = t.histograms(out.data(), bins, lo, hi);
        fuzz::check_status(s, "Trainer::histograms");
        if (!valid) FUZZ_CHECK(!s, "histograms accepted %d bins", bins);
        if (s)
          for (float h : out) FUZZ_CHECK(std::isfinite(h) && h >= 0, "histogram count %g", static_cast<double>(h));
        break;
      }
    }
  }
  return 0;
}

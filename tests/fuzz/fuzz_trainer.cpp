// libFuzzer harness: the trainer configuration path, through the adapters the wasm module calls
// (cpp/bindings/adapters.h). The input decodes into the adapters' TrainerOptions (integer fields
// as the doubles JS passes, sometimes not integers or out of range, so make_trainer's own checks
// run too; initScale, the SGD numbers and explodeFactor as raw doubles: NaN, infinities, huge) and
// layer sizes as raw int32, with small datasets from the dataset adapters (a toy set, or a tiny
// image set parsed from BNDS bytes, with matching or mismatched features and classes). About a
// quarter of the programs also build a CNN and choose the normalization per block, as
// `new lab.Trainer({ model: { conv, norm, groups } })` passes them: conv channels (0 to 9 blocks,
// 1 to 4 channels or edges), the image shape [C, H, W] as doubles (the set's, or another), the
// kernel size (odd, even, 0, 17, non-integers), the pooling (max, avg, none, or a value that is no
// kind), groups, and a norm list of 0, 1, one per block or one too many entries (a value that is no
// kind among them at times); MLPs get the norm lists too. Then it drives the trainer:
// run() with step counts inside and outside [0, 100000], evaluate(), predict_grid(), histograms(),
// and what JS can do to trainer.model() between runs (loadStateDict, train/eval, forward).
//
// Contract checked after every call:
//  - a Status, never a crash, out-of-bounds access, undefined behaviour, leak or hang;
//  - make_trainer() builds a CNN only from options inside the documented ranges (blocks, odd
//    kernel, C·H·W = sizes[0], one norm or one per block), with one weight layer per Conv2d and
//    Linear and one hidden block per conv block and hidden Linear;
//  - run(): per-step metrics have one entry per completed step (gradNorms × Conv2d and Linear layers,
//    percentiles × 3 when watching), all batch indices are in the training set, the step counter
//    advances by the steps done, fewer steps than asked only when the run diverged, and a
//    diverged run refuses to run again with a StateError;
//  - no NaN or infinity in any metric a caller receives ("no NaN reaches a chart": the API's promise);
//  - evaluate(): accuracy in [0, 1] and a finite loss (or an error status: never Infinity as
//    data); predict_grid(): probabilities in [0, 1]; histograms(): finite non-negative counts.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <vector>

#include "bindings/adapters.h"
#include "fuzz_input.h"

namespace {

using bn::Code;
using bn::Status;
namespace a = bn::adapters;

uintptr_t at(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// A tiny BNDS image set (h × w pixels, `classes` classes) generated from the input.
a::Split image_set(fuzz::Input& in) {
  const uint32_t h = 1 + in.u8() % 4, w = 1 + in.u8() % 4, classes = 2 + in.u8() % 4;
  const uint32_t count = 3 + in.u8() % 40, n_train = 2 + in.u8() % (count - 2);
  std::vector<uint8_t> b = {'B', 'N', 'D', 'S'};
  for (uint32_t v : {1u, count, n_train, h, w, classes, 255u})
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  for (uint32_t i = 0; i < count * h * w; ++i) b.push_back(in.u8());
  for (uint32_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>(in.u8() % classes));
  a::Split split = a::parse_dataset(at(b.data()), static_cast<int>(b.size()));
  FUZZ_CHECK(split.train && split.test, "a well-formed BNDS file was rejected: %s", a::last_status().message.c_str());
  return split;
}

a::DatasetPtr toy_set(fuzz::Input& in) {
  a::ToyOptions o;
  o.kind = static_cast<bn::ToyKind>(in.u8() % 4);
  o.n = 2 + in.u8() % 63;
  o.noise = in.boolean() ? in.any_double() : 0.25;
  o.seed = static_cast<double>(in.seed53());
  a::DatasetPtr d = a::make_toy(o);
  if (!d) {
    const a::StatusInfo st = a::last_status();
    fuzz::check_status(Status{st.code, st.message}, "make_toy");
    FUZZ_CHECK(!(o.noise >= 0 && o.noise <= 1), "make_toy refused noise %g: %s", o.noise, st.message.c_str());
  }
  return d;
}

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

void do_run(bn::Trainer& t, int watch_layer, int batch_size, const bn::DataView& train, fuzz::Input& in) {
  // (gradNorms has one entry per Conv2d and Linear: weight_layers(), which is linear_layers() for an MLP.)
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
  FUZZ_CHECK(t.grad_norms().size() == done * static_cast<size_t>(t.weight_layers()), "grad norms length");
  FUZZ_CHECK(t.percentiles().size() == (watch_layer >= 0 ? 3 * done : 0), "percentiles length");
  FUZZ_CHECK(t.eval_steps().size() == t.eval_losses().size() && t.eval_losses().size() == t.eval_accuracy().size(),
             "eval metric lengths");
  // The last step's batch can be recorded even when the run diverged on it; never more.
  const size_t bi = t.batch_indices().size(), b = static_cast<size_t>(batch_size);
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
  a::DatasetPtr train, test, spare;
  const uint8_t ds = in.u8() % 4;
  if (ds == 0 || ds == 1) {
    if (!(train = toy_set(in))) return 0;
    if (ds == 1 && !(test = toy_set(in))) return 0;
  } else {
    a::Split first = image_set(in);
    train = first.train;
    test = first.test;
    if (ds == 3) {  // a test set that may not fit the model
      a::Split second = image_set(in);
      spare = second.train;
      test = second.test;
    }
  }
  const bool with_test = ds != 0 && in.boolean();

  std::vector<int32_t> sizes;
  const int nsizes = in.u8() < 240 ? 2 + in.u8() % 4 : in.u8() % 2;  // 0 and 1: make_trainer must refuse
  for (int i = 0; i < nsizes; ++i) sizes.push_back(layer_size(in));
  // Usually fit the data so the run gets going; the fuzzer also tries mismatches.
  if (nsizes >= 2 && in.u8() < 200) {
    sizes.front() = train->features;
    sizes.back() = train->classes + (in.u8() < 230 ? 0 : in.pick<int>({-1, 1}));
  }
  sizes.push_back(0);  // never read: keeps data() valid when nsizes is 0
  a::TrainerOptions o;
  o.activation = static_cast<bn::ActivationKind>(in.u8() % 3);
  o.batch_norm = in.boolean();
  o.placement = static_cast<bn::Placement>(in.u8() % 2);
  o.init = static_cast<bn::InitScheme>(in.u8() % 4);
  o.init_scale = in.boolean() ? in.any_double() : 1.0;
  o.seed = static_cast<double>(in.seed53());
  o.bn_momentum = in.boolean() ? in.any_double() : 0.1;  // make_trainer lets [0, 1] through
  // This byte (and the double after it) once chose BatchNorm's eps, which the module does not
  // expose: still read, so that the committed corpus decodes as before; a non-integer seed
  // instead when it asks for an edge value.
  const uint8_t legacy = in.u8();
  if (legacy >= 240) {
    const double edge = in.any_double();
    if (edge != edge || edge < 0) o.seed = edge;
  }
  // Values 180..239 of that byte make the program a CNN (or an MLP with a norm list): the
  // configuration follows here, so older programs decode as before unless they had such a byte.
  const bool cnn = legacy >= 180 && legacy < 240;
  std::vector<int32_t> convs, norms;
  bool negative_convs = false;  // a block count of -1: make_trainer must refuse it
  if (cnn) {
    const uint8_t nb = in.u8();
    const int nconvs = nb < 240 ? nb % 4 : in.pick<int>({8, 9, -1});
    for (int i = 0; i < std::max(nconvs, 0) && i < 9; ++i) {
      const uint8_t c = in.u8();
      convs.push_back(c < 240 ? 1 + c % 4 : in.pick<int32_t>({0, -1, 1025, INT32_MIN}));
    }
    negative_convs = nconvs < 0;
    const int count = static_cast<int>(convs.size());
    // The image shape: [1, height, width] of an image set (what JS passes by default), or other
    // values (a toy set's 2 features as [1, 1, 2] or [2, 1, 1], mismatches, non-integers).
    const uint8_t shape_byte = in.u8();
    if (shape_byte < 160 && train->height > 0) {
      o.image_channels = 1;
      o.image_height = train->height;
      o.image_width = train->width;
    } else if (shape_byte < 200) {
      o.image_channels = train->features == 2 && in.boolean() ? 2 : 1;
      o.image_height = 1;
      o.image_width = train->features / o.image_channels;
    } else {
      o.image_channels = in.pick<double>({1, 2, 0, -1, 1.5, 65537});
      o.image_height = in.pick<double>({0, 1, 2, 3, 4, 0.5, 1e9});
      o.image_width = in.pick<double>({1, 2, 4, 8, -3, 1e300});
    }
    o.kernel_size = in.pick<double>({3, 3, 1, 5, 7, 15, 2, 0, 17, 2.5, -1});
    const uint8_t pool = in.u8();
    o.pool = static_cast<bn::PoolKind>(pool < 240 ? pool % 3 : 3 + pool % 4);
    o.groups = in.pick<double>({2, 1, 2, 4, 3, 0, -1, 1.5, 1025});
    const int blocks = count + std::max(nsizes - 2, 0);
    const int nnorms = in.pick<int>({1, 1, blocks, blocks, 0, blocks + 1});
    for (int i = 0; i < nnorms && i < 80; ++i) {
      const uint8_t k = in.u8();
      norms.push_back(k < 240 ? k % 4 : in.pick<int32_t>({4, -1, 255}));
    }
  }
  convs.push_back(0);  // never read: keeps data() valid when empty
  norms.push_back(0);
  const int nconvs = negative_convs ? -1 : static_cast<int>(convs.size()) - 1, nnorms = static_cast<int>(norms.size()) - 1;

  o.batch_size = in.u8() < 224 ? 2 + in.u8() % 15 : in.pick<double>({0, 1, -1, 65536, 65537, 2147483647.0, 64});
  o.lr = in.boolean() ? in.any_double() : 0.1;
  o.momentum = in.boolean() ? in.any_double() : 0;
  o.dampening = in.boolean() ? in.any_double() : 0;
  o.weight_decay = in.boolean() ? in.any_double() : 0;
  o.nesterov = in.boolean();
  o.data_seed = static_cast<double>(in.seed53());
  o.eval_every = in.pick<double>({0, 0, 1, 2, 3, 5, -1, 1 << 30});
  o.eval_limit = in.pick<double>({0, 0, 1, 3, 100, -1, 1 << 30});
  o.watch_layer = in.pick<double>({-1, -1, 0, 0, 1, 2, 64, -2});
  o.watch_unit = in.pick<double>({0, 1, 2, 7, 65536, -1});
  o.explode_factor = in.boolean() ? in.any_double() : 1e4;
  if (in.u8() < 48) {  // noisy BatchNorm
    o.noise_shift = in.pick<double>({0, 0.5, 1, 1000, -0.5, 1001, NAN});
    o.noise_scale = in.pick<double>({1, 2, 3, 1000, 0.5, 1001, NAN});
  }

  a::TrainerPtr h = a::make_trainer(at(sizes.data()), nsizes, at(convs.data()), nconvs, at(norms.data()), nnorms, o, train,
                                    with_test ? test : nullptr);
  if (!h) {
    const a::StatusInfo st = a::last_status();
    fuzz::check_status(Status{st.code, st.message}, "make_trainer");
    return 0;
  }
  bn::Trainer& t = h->trainer;
  const int blocks = nconvs + nsizes - 2;
  FUZZ_CHECK(nnorms == 0 || nnorms == 1 || nnorms == blocks, "%d norms accepted for %d blocks", nnorms, blocks);
  for (int i = 0; i < nnorms; ++i) FUZZ_CHECK(norms[i] >= 0 && norms[i] <= 3, "norm kind %d accepted", norms[i]);
  FUZZ_CHECK(t.weight_layers() == nconvs + nsizes - 1 && t.linear_layers() == nsizes - 1 && t.hidden_layers() == blocks,
             "%d conv blocks, %d sizes: %d weight layers, %d linear, %d hidden", nconvs, nsizes, t.weight_layers(),
             t.linear_layers(), t.hidden_layers());
  if (nconvs > 0) {
    FUZZ_CHECK(nconvs <= 8, "%d conv blocks accepted", nconvs);
    FUZZ_CHECK(o.kernel_size >= 1 && o.kernel_size <= 15 && static_cast<int>(o.kernel_size) % 2 == 1 &&
                   o.kernel_size == static_cast<int>(o.kernel_size), "kernelSize %g accepted", o.kernel_size);
    FUZZ_CHECK(o.image_channels * o.image_height * o.image_width == sizes.front(), "image [%g, %g, %g] accepted for %d inputs",
               o.image_channels, o.image_height, o.image_width, sizes.front());
    for (int i = 0; i < nconvs; ++i) FUZZ_CHECK(convs[i] >= 1 && convs[i] <= 1024, "conv channels %d accepted", convs[i]);
    FUZZ_CHECK(static_cast<unsigned>(o.pool) <= 2, "pool %d accepted", static_cast<int>(o.pool));
  }
  const bn::DataView train_view = {train->x.data(), train->y.data(), train->n, train->features, train->classes};
  // What make_trainer accepted must be what the engine documents.
  FUZZ_CHECK(std::isfinite(o.init_scale) && o.init_scale >= 0 && o.init_scale <= 1e6, "initScale %g accepted",
             o.init_scale);
  FUZZ_CHECK(o.explode_factor > 1, "explodeFactor %g accepted", o.explode_factor);
  FUZZ_CHECK(o.batch_size >= 2 && o.batch_size <= train->n && o.batch_size == static_cast<int>(o.batch_size),
             "batchSize %g accepted for %d examples", o.batch_size, train->n);
  FUZZ_CHECK(std::isfinite(o.lr) && o.lr >= 0, "lr %g accepted", o.lr);
  FUZZ_CHECK(o.seed >= 0, "seed %g accepted", o.seed);
  FUZZ_CHECK(o.noise_shift >= 0 && o.noise_shift <= 1000 && o.noise_scale >= 1 && o.noise_scale <= 1000,
             "noise shift %g, scale %g accepted", o.noise_shift, o.noise_scale);
  int watch_layer = static_cast<int>(o.watch_layer);
  const int batch_size = static_cast<int>(o.batch_size);

  for (int op = 0; op < 8 && !in.empty(); ++op) {
    switch (in.u8() % 8) {
      case 7: {
        // The landscape probe: never NaN, and the run's state (weights, buffers) is unchanged.
        const int n = in.pick<int>({1, 2, 3, 64, 0, -1, 65});
        std::vector<float> etas(static_cast<size_t>(std::max(n, 1)));
        for (float& e : etas) e = in.boolean() ? in.finite_float() : 0.1f;
        std::vector<float> out(2 + 2 * etas.size(), -1.0f);
        std::vector<bn::StateEntry> entries;
        t.net().model->state(entries, "");
        std::vector<float> before;
        for (const bn::StateEntry& e : entries)
          if (e.kind != bn::StateEntry::Counter) before.insert(before.end(), e.value->data(), e.value->data() + e.value->size());
        const Status s = t.probe_landscape(etas.data(), n, out.data());
        fuzz::check_status(s, "Trainer::probe_landscape");
        if (s) {
          for (float v : out) FUZZ_CHECK(!std::isnan(v), "probe_landscape gave NaN");
          for (float e : etas) FUZZ_CHECK(e > 0 && e <= 1000, "probe_landscape accepted step size %g", static_cast<double>(e));
        }
        std::vector<float> after;
        for (const bn::StateEntry& e : entries)
          if (e.kind != bn::StateEntry::Counter) after.insert(after.end(), e.value->data(), e.value->data() + e.value->size());
        FUZZ_CHECK(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)) == 0, "probe_landscape changed the state");
        break;
      }
      case 5: {
        // trainer.model() is a JS layer on the trainer's Sequential: loadStateDict() writes finite
        // floats (running_var may be negative: only the runningVar setter refuses that) and
        // counters in [0, 2^53]; train()/eval() switch its mode between runs.
        std::vector<bn::StateEntry> entries;
        t.net().model->state(entries, "");
        for (bn::StateEntry& e : entries) {
          if (!in.boolean()) continue;
          if (e.kind == bn::StateEntry::Counter) *e.counter = static_cast<int64_t>(in.seed53() >> in.u8() % 54);
          else
            for (size_t i = 0; i < e.length(); ++i) (*e.value)[i] = in.finite_float();
        }
        if (in.u8() < 64) t.net().model->set_training(in.boolean());
        break;
      }
      case 6: {
        // forward() on that handle, with any batch size: the trainer's next step must not care.
        // The model's input shape: [rows, IN] for an MLP, [rows, C, H, W] for a CNN.
        const int rows = 1 + in.u8() % 9, features = t.net().in_features;
        std::vector<float> x(static_cast<size_t>(rows) * static_cast<size_t>(features));
        in.fill_floats(x.data(), x.size());
        x.shrink_to_fit();
        const bn::Shape& ex = t.net().example;
        bn::Shape s{ex.rank + 1, {rows, ex.dims[0], ex.dims[1], ex.dims[2]}};
        const Status st = t.net().model->forward(x.data(), s);
        fuzz::check_status(st, "model forward");
        FUZZ_CHECK(st || st.code == Code::RangeError, "model forward on its own input shape %s: code %d", s.str().c_str(),
                   static_cast<int>(st.code));
        break;
      }
      case 0:
      case 1: do_run(t, watch_layer, batch_size, train_view, in); break;
      case 2: {
        const a::DatasetPtr& d = in.boolean() || ds == 0 ? train : (in.boolean() ? test : spare);
        if (!d || d->n == 0) break;
        const a::Evaluation e = a::trainer_evaluate(*h, d, in.pick<int>({0, 1, 2, 1000, -1, INT32_MIN}));
        fuzz::check_status(Status{e.code, e.code == Code::Ok ? "" : a::last_status().message}, "trainer_evaluate");
        if (e.code == Code::Ok)
          FUZZ_CHECK(e.accuracy >= 0 && e.accuracy <= 1 && std::isfinite(e.loss) && e.loss >= 0,
                     "evaluate: loss %g, accuracy %g", e.loss, e.accuracy);
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
        // One hidden block's histograms per unit, into a buffer of exactly its units × bins.
        const int layer = in.pick<int>({0, 1, 2, -1, t.hidden_layers(), INT32_MAX});
        const int units = t.hidden_units(layer);
        FUZZ_CHECK((units > 0) == (layer >= 0 && layer < t.hidden_layers()), "hidden_units(%d) = %d", layer, units);
        std::vector<float> per_unit(valid && units > 0 ? static_cast<size_t>(units) * bins : 1, -1.0f);
        per_unit.shrink_to_fit();
        const Status su = t.unit_histograms(per_unit.data(), layer, bins, lo, hi);
        fuzz::check_status(su, "Trainer::unit_histograms");
        if (!valid || units <= 0) FUZZ_CHECK(!su, "unit_histograms accepted layer %d, %d bins", layer, bins);
        if (su)
          for (float h : per_unit) FUZZ_CHECK(std::isfinite(h) && h >= 0, "unit histogram count %g", static_cast<double>(h));
        // Watch another unit (or none): do_run checks the percentiles it then records.
        const int unit = in.pick<int>({0, 1, units - 1, units, -1});
        const Status sw = t.set_watch(layer, unit);
        fuzz::check_status(sw, "Trainer::set_watch");
        if (sw) watch_layer = layer;
        else FUZZ_CHECK(layer < -1 || layer >= t.hidden_layers() || (layer >= 0 && (unit < 0 || unit >= units)), "set_watch(%d, %d) refused", layer, unit);
        break;
      }
    }
  }
  return 0;
}

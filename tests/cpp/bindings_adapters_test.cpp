// The adapters of cpp/bindings/adapters.h, called as the wasm module calls them (pointers as
// integers, options as named structs), on both engines: status codes and messages, factories that
// report their real code through last_status(), result structs, and the limits the wrapper reads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "bindings/adapters.h"

namespace bn::adapters {
namespace {

uintptr_t at(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(BindingsAdapters, LimitsAreTheEngineConstants) {
  const Limits l = limits();
  EXPECT_EQ(l.max_elements, static_cast<double>(kMaxElements));
  EXPECT_EQ(l.max_elements, 67108864.0);
  EXPECT_EQ(l.min_batch_size, 2);
  EXPECT_EQ(l.max_batch_size, 65536);
  EXPECT_EQ(l.max_steps_per_run, 100000);
  EXPECT_EQ(l.min_sizes, 2);
  EXPECT_EQ(l.max_sizes, 64);
  EXPECT_EQ(l.max_layer_width, 65536);
  EXPECT_EQ(l.max_grid_side, 1024);
  EXPECT_EQ(l.max_bins, 4096);
  EXPECT_EQ(l.max_toy_examples, 1 << 20);
  EXPECT_EQ(l.max_eval_count, 1 << 30);
}

TEST(BindingsAdapters, FactoriesReportTheirRealStatus) {
  LinearOptions lo;
  lo.in_features = 0;
  EXPECT_EQ(make_linear(lo), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);
  EXPECT_FALSE(last_status().message.empty());

  lo.in_features = 2;
  lo.out_features = 3;
  lo.seeded = true;
  lo.seed = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(make_linear(lo), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);
  EXPECT_EQ(last_status().message, "seed must be an integer in [0, 2^53)");

  lo.seed = 7;
  ModulePtr a = make_linear(lo), b = make_linear(lo);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(module_kind(*a), "Linear");
  ASSERT_EQ(state_count(*a), 2);
  const StateEntryInfo w = state_entry(*a, 0);
  EXPECT_EQ(w.name, "weight");
  EXPECT_EQ(w.kind, StateEntry::Parameter);
  EXPECT_EQ(w.length, 6);
  EXPECT_EQ(state_entry(*a, 5).name, "");
  const float* wa = reinterpret_cast<const float*>(state_ptr(*a, 0));
  const float* wb = reinterpret_cast<const float*>(state_ptr(*b, 0));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(wa[i], wb[i]);  // equal seeds, equal weights

  BatchNormOptions bo;
  bo.eps = 0;
  EXPECT_EQ(make_batchnorm(4, 1, bo), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);

  EXPECT_EQ(make_activation(static_cast<ActivationKind>(7)), nullptr);
  EXPECT_EQ(last_status().message, "unknown activation");

  ModulePtr seq = make_sequential();
  EXPECT_EQ(sequential_add(*a, b), Code::TypeError);
  EXPECT_EQ(sequential_add(*seq, nullptr), Code::TypeError);
  EXPECT_EQ(last_status().message, "layers: null layer");
}

TEST(BindingsAdapters, ForwardBackwardAndCounters) {
  ModulePtr bn = make_batchnorm(2, 1, BatchNormOptions{});
  ASSERT_NE(bn, nullptr);
  const float x[] = {1, 2, 3, 4, 5, 7};
  std::vector<float> dy(6, 1.0f);
  EXPECT_EQ(module_backward(*bn, at(dy.data()), 6, true), Code::StateError);
  EXPECT_EQ(last_status().message, "backward() needs a forward() first");
  EXPECT_EQ(last_batch_mean_ptr(*bn), 0u);
  ASSERT_EQ(module_forward(*bn, at(x), 2, 3, 2, 0, 0), Code::Ok);
  EXPECT_EQ(output_rank(*bn), 2);
  EXPECT_EQ(output_dim(*bn, 0), 3);
  EXPECT_EQ(output_dim(*bn, 9), 0);
  const float* mean = reinterpret_cast<const float*>(last_batch_mean_ptr(*bn));
  ASSERT_NE(mean, nullptr);
  EXPECT_FLOAT_EQ(mean[0], 3.0f);
  EXPECT_EQ(module_backward(*bn, at(dy.data()), 5, true), Code::RangeError);
  EXPECT_EQ(last_status().message, "dy: expected 6 values (the last output's shape [3, 2]), got 5");
  EXPECT_EQ(module_backward(*bn, at(dy.data()), 6, true), Code::Ok);
  EXPECT_EQ(input_grad_length(*bn), 6);

  // weight, bias, running_mean, running_var, num_batches_tracked
  ASSERT_EQ(state_count(*bn), 5);
  EXPECT_EQ(state_entry(*bn, 4).kind, StateEntry::Counter);
  EXPECT_EQ(state_counter(*bn, 4), 1.0);
  EXPECT_EQ(state_ptr(*bn, 4), 0u);
  EXPECT_EQ(state_grad_ptr(*bn, 2), 0u);  // a buffer has no gradient
  EXPECT_EQ(set_state_counter(*bn, 4, 41), Code::Ok);
  EXPECT_EQ(state_counter(*bn, 4), 41.0);
  EXPECT_EQ(set_state_counter(*bn, 4, -1), Code::RangeError);
  EXPECT_EQ(last_status().message, "num_batches_tracked must be a non-negative integer");
  EXPECT_EQ(set_state_counter(*bn, 0, 1), Code::RangeError);
  EXPECT_EQ(last_status().message, "not a counter");
}

TEST(BindingsAdapters, SgdAndFunctionsReturnResultStructs) {
  LinearOptions lo;
  lo.in_features = lo.out_features = 2;
  ModulePtr m = make_linear(lo);
  SGDOptions so;
  so.lr = -1;
  EXPECT_EQ(make_sgd(m, so), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);
  so.lr = 0.5;
  SGDPtr sgd = make_sgd(m, so);
  ASSERT_NE(sgd, nullptr);
  EXPECT_EQ(sgd_lr(*sgd), 0.5);
  EXPECT_EQ(sgd_set_lr(*sgd, 0.25), Code::Ok);
  EXPECT_EQ(sgd_lr(*sgd), 0.25);
  EXPECT_NE(sgd_set_lr(*sgd, std::numeric_limits<double>::infinity()), Code::Ok);

  const float logits[] = {0, 0, 0, 0};
  const int32_t targets[] = {0, 1};
  float grad[4];
  const LossResult ce = cross_entropy(at(logits), at(targets), 2, 2, at(grad));
  EXPECT_EQ(ce.code, Code::Ok);
  EXPECT_NEAR(ce.loss, std::log(2.0), 1e-6);
  const int32_t bad_targets[] = {0, 2};
  EXPECT_EQ(cross_entropy(at(logits), at(bad_targets), 2, 2, at(grad)).code, Code::RangeError);

  const float pred[] = {1, 2}, target[] = {0, 0};
  const LossResult mse = mse_loss(at(pred), at(target), 2, at(grad));
  EXPECT_EQ(mse.code, Code::Ok);
  EXPECT_DOUBLE_EQ(mse.loss, 2.5);
  EXPECT_EQ(mse_loss(at(pred), at(target), -1, at(grad)).code, Code::RangeError);

  const float values[] = {1, 3};
  float z[2];
  const StandardizeResult s = standardize(at(values), 2, 0, false, at(z));
  EXPECT_EQ(s.code, Code::Ok);
  EXPECT_DOUBLE_EQ(s.mean, 2);
  EXPECT_DOUBLE_EQ(s.variance, 1);
  EXPECT_DOUBLE_EQ(s.std, 1);
  EXPECT_FLOAT_EQ(z[0], -1.0f);
  EXPECT_EQ(standardize(at(values), 0, 0, false, at(z)).code, Code::RangeError);
}

std::vector<uint8_t> bnds(uint32_t count, uint32_t n_train) {
  std::vector<uint8_t> b = {'B', 'N', 'D', 'S'};
  for (uint32_t v : {1u, count, n_train, 2u, 2u, 2u, 255u})
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  for (uint32_t i = 0; i < count * 4; ++i) b.push_back(static_cast<uint8_t>(i * 37));
  for (uint32_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>(i % 2));
  return b;
}

TEST(BindingsAdapters, DatasetsAndTheSplit) {
  ToyOptions to;
  to.kind = ToyKind::Spiral;
  to.n = 1;
  EXPECT_EQ(make_toy(to), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);
  to.n = 10;
  to.kind = static_cast<ToyKind>(9);
  EXPECT_EQ(make_toy(to), nullptr);
  EXPECT_EQ(last_status().message, "kind must be one of circle, xor, gauss, spiral");
  to.kind = ToyKind::Xor;
  DatasetPtr toy = make_toy(to);
  ASSERT_NE(toy, nullptr);
  EXPECT_EQ(dataset_size(*toy), 10);
  EXPECT_EQ(dataset_features(*toy), 2);

  const std::vector<uint8_t> file = bnds(6, 4);
  const Split split = parse_dataset(at(file.data()), static_cast<int>(file.size()));
  ASSERT_NE(split.train, nullptr);
  ASSERT_NE(split.test, nullptr);
  EXPECT_EQ(dataset_size(*split.train), 4);
  EXPECT_EQ(dataset_size(*split.test), 2);
  EXPECT_EQ(dataset_height(*split.test), 2);
  const Split bad = parse_dataset(at(file.data()), static_cast<int>(file.size()) - 1);
  EXPECT_EQ(bad.train, nullptr);
  EXPECT_EQ(bad.test, nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);
  EXPECT_EQ(last_status().message.rfind("dataset: ", 0), 0u);
}

TEST(BindingsAdapters, TrainerOptionsByName) {
  ToyOptions to;
  to.kind = ToyKind::Xor;
  to.n = 64;
  DatasetPtr train = make_toy(to);
  const int32_t sizes[] = {2, 8, 2};
  TrainerOptions o;
  o.batch_norm = true;
  o.batch_size = 8;
  o.eval_every = 2;
  o.watch_layer = 0;

  EXPECT_EQ(make_trainer(at(sizes), 3, 0, 0, 0, 0, o, nullptr, nullptr), nullptr);
  EXPECT_EQ(last_status().code, Code::TypeError);
  EXPECT_EQ(make_trainer(at(sizes), 1, 0, 0, 0, 0, o, train, nullptr), nullptr);
  EXPECT_EQ(last_status().message, "sizes must have between 2 and 64 entries");
  TrainerOptions bad = o;
  bad.batch_size = 1.5;
  EXPECT_EQ(make_trainer(at(sizes), 3, 0, 0, 0, 0, bad, train, nullptr), nullptr);
  EXPECT_EQ(last_status().message, "batchSize must be an integer in [2, 65536]");
  bad = o;
  bad.data_seed = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(make_trainer(at(sizes), 3, 0, 0, 0, 0, bad, train, nullptr), nullptr);
  EXPECT_EQ(last_status().message, "dataSeed must be an integer in [0, 2^53)");
  bad = o;
  bad.batch_size = 100;  // more than the 64 examples: the trainer's own check, its own code
  EXPECT_EQ(make_trainer(at(sizes), 3, 0, 0, 0, 0, bad, train, nullptr), nullptr);
  EXPECT_EQ(last_status().code, Code::RangeError);

  TrainerPtr t = make_trainer(at(sizes), 3, 0, 0, 0, 0, o, train, train);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(trainer_linear_layers(*t), 2);
  EXPECT_EQ(trainer_hidden_layers(*t), 1);
  EXPECT_EQ(trainer_run(*t, kMaxStepsPerRun + 1), Code::RangeError);
  ASSERT_EQ(trainer_run(*t, 4), Code::Ok);
  EXPECT_EQ(trainer_step(*t), 4);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::Loss), 4);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::BatchAccuracy), 4);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::Percentiles), 12);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::GradNorms), 8);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::EvalSteps), 2);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::EvalLoss), 2);
  EXPECT_EQ(trainer_metric_length(*t, MetricKind::EvalAccuracy), 2);
  EXPECT_EQ(trainer_batch_indices_length(*t), 32);

  const Evaluation e = trainer_evaluate(*t, train, 0);
  EXPECT_EQ(e.code, Code::Ok);
  EXPECT_TRUE(std::isfinite(e.loss));
  EXPECT_GE(e.accuracy, 0);
  EXPECT_LE(e.accuracy, 1);
  EXPECT_EQ(trainer_evaluate(*t, nullptr, 0).code, Code::TypeError);

  GridOptions g;
  g.nx = 3;
  g.ny = 2;
  std::vector<float> grid(6, -1);
  EXPECT_EQ(trainer_predict_grid(*t, at(grid.data()), g), Code::Ok);
  for (float p : grid) EXPECT_TRUE(p >= 0 && p <= 1);
  g.nx = 0;
  EXPECT_EQ(trainer_predict_grid(*t, at(grid.data()), g), Code::RangeError);
  std::vector<float> hist(4);
  EXPECT_EQ(trainer_histograms(*t, at(hist.data()), 4, -1, 1), Code::Ok);
  EXPECT_EQ(trainer_histograms(*t, at(hist.data()), kMaxBins + 1, -1, 1), Code::RangeError);
  const int units = trainer_hidden_units(*t, 0);
  ASSERT_GT(units, 0);
  EXPECT_EQ(trainer_hidden_units(*t, 99), -1);
  std::vector<float> unit_hist(static_cast<size_t>(units) * 4);
  EXPECT_EQ(trainer_unit_histograms(*t, at(unit_hist.data()), 0, 4, -1, 1), Code::Ok);
  EXPECT_EQ(trainer_unit_histograms(*t, at(unit_hist.data()), 99, 4, -1, 1), Code::RangeError);
  EXPECT_EQ(trainer_set_watch(*t, 0, units - 1), Code::Ok);
  EXPECT_EQ(trainer_set_watch(*t, 0, units), Code::RangeError);
  const std::vector<float> etas = {0.1f, 0.5f};
  std::vector<float> probe(2 + 2 * etas.size());
  EXPECT_EQ(trainer_probe_landscape(*t, at(etas.data()), 2, at(probe.data())), Code::Ok);
  EXPECT_GT(probe[0], 0.0f);
  EXPECT_EQ(trainer_probe_landscape(*t, at(etas.data()), 0, at(probe.data())), Code::RangeError);
  EXPECT_EQ(trainer_probe_landscape(*t, at(etas.data()), kMaxProbeSteps + 1, at(probe.data())), Code::RangeError);
  EXPECT_EQ(trainer_model(*t)->kind(), std::string("Sequential"));
}

}  // namespace
}  // namespace bn::adapters

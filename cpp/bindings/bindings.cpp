// The only file that knows Embind, and it only registers: option and result structs as
// value_objects, every kind and the status codes as enum_s, the engine's objects as classes
// (held by std::shared_ptr) whose methods are the adapters of adapters.h. Nothing here decides
// anything; nothing here throws or aborts.
#include <emscripten/bind.h>

#include "bindings/adapters.h"

using namespace emscripten;
namespace a = bn::adapters;

EMSCRIPTEN_BINDINGS(batchnorm_lab) {
  enum_<bn::Code>("StatusCode")
      .value("Ok", bn::Code::Ok)
      .value("TypeError", bn::Code::TypeError)
      .value("RangeError", bn::Code::RangeError)
      .value("StateError", bn::Code::StateError)
      .value("OutOfMemory", bn::Code::OutOfMemory);
  enum_<bn::ActivationKind>("ActivationKind")
      .value("ReLU", bn::ActivationKind::ReLU)
      .value("Sigmoid", bn::ActivationKind::Sigmoid)
      .value("Tanh", bn::ActivationKind::Tanh);
  enum_<bn::Placement>("Placement")
      .value("BeforeActivation", bn::Placement::BeforeActivation)
      .value("AfterActivation", bn::Placement::AfterActivation);
  enum_<bn::InitScheme>("InitScheme")
      .value("Torch", bn::InitScheme::Torch)
      .value("He", bn::InitScheme::He)
      .value("Xavier", bn::InitScheme::Xavier)
      .value("Normal", bn::InitScheme::Normal);
  enum_<bn::ToyKind>("ToyKind")
      .value("Circle", bn::ToyKind::Circle)
      .value("Xor", bn::ToyKind::Xor)
      .value("Gauss", bn::ToyKind::Gauss)
      .value("Spiral", bn::ToyKind::Spiral);
  enum_<bn::Pool2d::Kind>("PoolKind")
      .value("Max", bn::Pool2d::Kind::Max)
      .value("Avg", bn::Pool2d::Kind::Avg);
  enum_<bn::NormKind>("NormKind")
      .value("None", bn::NormKind::None)
      .value("Batch", bn::NormKind::Batch)
      .value("Layer", bn::NormKind::Layer)
      .value("Group", bn::NormKind::Group);
  enum_<bn::PoolKind>("NetPool")
      .value("Max", bn::PoolKind::Max)
      .value("Avg", bn::PoolKind::Avg)
      .value("None", bn::PoolKind::None);
  enum_<bn::StateEntry::Kind>("StateEntryKind")
      .value("Parameter", bn::StateEntry::Parameter)
      .value("FloatBuffer", bn::StateEntry::FloatBuffer)
      .value("Counter", bn::StateEntry::Counter);
  enum_<a::MetricKind>("MetricKind")
      .value("Loss", a::MetricKind::Loss)
      .value("BatchAccuracy", a::MetricKind::BatchAccuracy)
      .value("Percentiles", a::MetricKind::Percentiles)
      .value("GradNorms", a::MetricKind::GradNorms)
      .value("EvalSteps", a::MetricKind::EvalSteps)
      .value("EvalLoss", a::MetricKind::EvalLoss)
      .value("EvalAccuracy", a::MetricKind::EvalAccuracy);

  value_object<a::StatusInfo>("StatusInfo")
      .field("code", &a::StatusInfo::code)
      .field("message", &a::StatusInfo::message);
  value_object<a::Limits>("Limits")
      .field("maxElements", &a::Limits::max_elements)
      .field("minBatchSize", &a::Limits::min_batch_size)
      .field("maxBatchSize", &a::Limits::max_batch_size)
      .field("maxStepsPerRun", &a::Limits::max_steps_per_run)
      .field("minSizes", &a::Limits::min_sizes)
      .field("maxSizes", &a::Limits::max_sizes)
      .field("maxLayerWidth", &a::Limits::max_layer_width)
      .field("maxGridSide", &a::Limits::max_grid_side)
      .field("maxBins", &a::Limits::max_bins)
      .field("maxToyExamples", &a::Limits::max_toy_examples)
      .field("maxEvalCount", &a::Limits::max_eval_count);
  value_object<a::LinearOptions>("LinearOptions")
      .field("inFeatures", &a::LinearOptions::in_features)
      .field("outFeatures", &a::LinearOptions::out_features)
      .field("bias", &a::LinearOptions::bias)
      .field("seeded", &a::LinearOptions::seeded)
      .field("seed", &a::LinearOptions::seed);
  value_object<bn::BatchNormOptions>("BatchNormOptions")
      .field("eps", &bn::BatchNormOptions::eps)
      .field("momentum", &bn::BatchNormOptions::momentum)
      .field("cumulative", &bn::BatchNormOptions::cumulative)
      .field("affine", &bn::BatchNormOptions::affine)
      .field("trackRunningStats", &bn::BatchNormOptions::track_running_stats);
  value_object<bn::LayerNormOptions>("LayerNormOptions")
      .field("eps", &bn::LayerNormOptions::eps)
      .field("elementwiseAffine", &bn::LayerNormOptions::elementwise_affine);
  value_object<bn::GroupNormOptions>("GroupNormOptions")
      .field("eps", &bn::GroupNormOptions::eps)
      .field("affine", &bn::GroupNormOptions::affine);
  value_object<a::ConvOptions>("ConvOptions")
      .field("inChannels", &a::ConvOptions::in_channels)
      .field("outChannels", &a::ConvOptions::out_channels)
      .field("kernelSize", &a::ConvOptions::kernel_size)
      .field("stride", &a::ConvOptions::stride)
      .field("padding", &a::ConvOptions::padding)
      .field("bias", &a::ConvOptions::bias)
      .field("seeded", &a::ConvOptions::seeded)
      .field("seed", &a::ConvOptions::seed);
  value_object<bn::SGDOptions>("SGDOptions")
      .field("lr", &bn::SGDOptions::lr)
      .field("momentum", &bn::SGDOptions::momentum)
      .field("dampening", &bn::SGDOptions::dampening)
      .field("weightDecay", &bn::SGDOptions::weight_decay)
      .field("nesterov", &bn::SGDOptions::nesterov);
  value_object<a::StateEntryInfo>("StateEntryInfo")
      .field("name", &a::StateEntryInfo::name)
      .field("kind", &a::StateEntryInfo::kind)
      .field("length", &a::StateEntryInfo::length);
  value_object<a::LossResult>("LossResult")
      .field("code", &a::LossResult::code)
      .field("loss", &a::LossResult::loss);
  value_object<a::StandardizeResult>("StandardizeResult")
      .field("code", &a::StandardizeResult::code)
      .field("mean", &a::StandardizeResult::mean)
      .field("variance", &a::StandardizeResult::variance)
      .field("std", &a::StandardizeResult::std);
  value_object<a::ToyOptions>("ToyOptions")
      .field("kind", &a::ToyOptions::kind)
      .field("n", &a::ToyOptions::n)
      .field("noise", &a::ToyOptions::noise)
      .field("seed", &a::ToyOptions::seed);
  value_object<a::TrainerOptions>("TrainerOptions")
      .field("activation", &a::TrainerOptions::activation)
      .field("batchNorm", &a::TrainerOptions::batch_norm)
      .field("placement", &a::TrainerOptions::placement)
      .field("init", &a::TrainerOptions::init)
      .field("initScale", &a::TrainerOptions::init_scale)
      .field("seed", &a::TrainerOptions::seed)
      .field("bnMomentum", &a::TrainerOptions::bn_momentum)
      .field("batchSize", &a::TrainerOptions::batch_size)
      .field("lr", &a::TrainerOptions::lr)
      .field("momentum", &a::TrainerOptions::momentum)
      .field("dampening", &a::TrainerOptions::dampening)
      .field("weightDecay", &a::TrainerOptions::weight_decay)
      .field("nesterov", &a::TrainerOptions::nesterov)
      .field("dataSeed", &a::TrainerOptions::data_seed)
      .field("evalEvery", &a::TrainerOptions::eval_every)
      .field("evalLimit", &a::TrainerOptions::eval_limit)
      .field("watchLayer", &a::TrainerOptions::watch_layer)
      .field("watchUnit", &a::TrainerOptions::watch_unit)
      .field("explodeFactor", &a::TrainerOptions::explode_factor)
      .field("groups", &a::TrainerOptions::groups)
      .field("imageChannels", &a::TrainerOptions::image_channels)
      .field("imageHeight", &a::TrainerOptions::image_height)
      .field("imageWidth", &a::TrainerOptions::image_width)
      .field("kernelSize", &a::TrainerOptions::kernel_size)
      .field("pool", &a::TrainerOptions::pool)
      .field("noiseShift", &a::TrainerOptions::noise_shift)
      .field("noiseScale", &a::TrainerOptions::noise_scale);
  value_object<a::Evaluation>("Evaluation")
      .field("code", &a::Evaluation::code)
      .field("loss", &a::Evaluation::loss)
      .field("accuracy", &a::Evaluation::accuracy);
  value_object<a::GridOptions>("GridOptions")
      .field("x0", &a::GridOptions::x0)
      .field("x1", &a::GridOptions::x1)
      .field("y0", &a::GridOptions::y0)
      .field("y1", &a::GridOptions::y1)
      .field("nx", &a::GridOptions::nx)
      .field("ny", &a::GridOptions::ny);

  class_<bn::Module>("Module")
      .smart_ptr<a::ModulePtr>("ModulePtr")
      .function("forward", &a::module_forward)
      .function("backward", &a::module_backward)
      .function("outputPtr", &a::output_ptr)
      .function("outputRank", &a::output_rank)
      .function("outputDim", &a::output_dim)
      .function("inputGradPtr", &a::input_grad_ptr)
      .function("inputGradLength", &a::input_grad_length)
      .function("kind", &a::module_kind)
      .function("training", &a::module_training)
      .function("setTraining", &a::module_set_training)
      .function("zeroGrad", &a::module_zero_grad)
      .function("stateCount", &a::state_count)
      .function("stateEntry", &a::state_entry)
      .function("statePtr", &a::state_ptr)
      .function("stateGradPtr", &a::state_grad_ptr)
      .function("stateCounter", &a::state_counter)
      .function("setStateCounter", &a::set_state_counter)
      .function("lastBatchMeanPtr", &a::last_batch_mean_ptr)
      .function("lastBatchVarPtr", &a::last_batch_var_ptr);

  class_<bn::SGD>("SGD")
      .smart_ptr<a::SGDPtr>("SGDPtr")
      .function("step", &a::sgd_step)
      .function("zeroGrad", &a::sgd_zero_grad)
      .function("setLr", &a::sgd_set_lr)
      .function("lr", &a::sgd_lr);

  class_<bn::Dataset>("Dataset")
      .smart_ptr<a::DatasetPtr>("DatasetPtr")
      .function("size", &a::dataset_size)
      .function("features", &a::dataset_features)
      .function("classes", &a::dataset_classes)
      .function("height", &a::dataset_height)
      .function("width", &a::dataset_width)
      .function("xPtr", &a::dataset_x_ptr)
      .function("yPtr", &a::dataset_y_ptr);

  // Both halves of a parsed file in one result (a value_object of two shared pointers).
  value_object<a::Split>("Split")
      .field("train", &a::Split::train)
      .field("test", &a::Split::test);

  class_<a::TrainerHandle>("Trainer")
      .smart_ptr<a::TrainerPtr>("TrainerPtr")
      .function("run", &a::trainer_run)
      .function("step", &a::trainer_step)
      .function("divergedAt", &a::trainer_diverged_at)
      .function("restoredToStep", &a::trainer_restored_to_step)
      .function("linearLayers", &a::trainer_linear_layers)
      .function("weightLayers", &a::trainer_weight_layers)
      .function("hiddenLayers", &a::trainer_hidden_layers)
      .function("model", &a::trainer_model)
      .function("metricPtr", &a::trainer_metric_ptr)
      .function("metricLength", &a::trainer_metric_length)
      .function("batchIndicesPtr", &a::trainer_batch_indices_ptr)
      .function("batchIndicesLength", &a::trainer_batch_indices_length)
      .function("evaluate", &a::trainer_evaluate)
      .function("predictGrid", &a::trainer_predict_grid)
      .function("histograms", &a::trainer_histograms)
      .function("unitHistograms", &a::trainer_unit_histograms)
      .function("setWatch", &a::trainer_set_watch)
      .function("probeLandscape", &a::trainer_probe_landscape)
      .function("hiddenUnits", &a::trainer_hidden_units);

  function("lastStatus", &a::last_status);
  function("limits", &a::limits);
  function("makeLinear", &a::make_linear);
  function("makeBatchNorm", &a::make_batchnorm);
  function("makeActivation", &a::make_activation);
  function("makeLayerNorm", &a::make_layernorm);
  function("makeGroupNorm", &a::make_groupnorm);
  function("makeConv2d", &a::make_conv2d);
  function("makePool2d", &a::make_pool2d);
  function("makeFlatten", &a::make_flatten);
  function("makeSequential", &a::make_sequential);
  function("sequentialAdd", &a::sequential_add);
  function("makeSGD", &a::make_sgd);
  function("manualSeed", &a::manual_seed);
  function("crossEntropy", &a::cross_entropy);
  function("mseLoss", &a::mse_loss);
  function("standardize", &a::standardize);
  function("makeToy", &a::make_toy);
  function("parseDataset", &a::parse_dataset);
  function("makeTrainer", &a::make_trainer);
  function("simdBuild", &a::simd_build);
  function("version", &a::version);
  function("heapSize", &a::heap_size);
  function("heapUsed", &a::heap_used);
  function("room", &a::room);
}

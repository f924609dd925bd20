// Every size limit the engine enforces, in one place: the C++ checks use these constants and the
// bindings expose them (limits()) so that the TypeScript validation reads them instead of
// restating the numbers.
#pragma once

#include <cstddef>

namespace bn {

// Largest tensor the engine accepts, in elements (256 MiB of floats): beyond it, a RangeError
// names the argument long before the 2 GiB wasm heap is exhausted.
inline constexpr size_t kMaxElements = size_t{1} << 26;
// Mini-batch size of the trainer: 2 keeps BatchNorm from ever seeing a batch of one.
inline constexpr int kMinBatchSize = 2;
inline constexpr int kMaxBatchSize = 65536;
// Steps one Trainer::run() call may take: bounds the metrics one call records.
inline constexpr int kMaxStepsPerRun = 100000;
// steps × batch size of one run() call: the example indices of its batches are kept for
// batchIndices() (64 MiB at most); a longer run is split into several calls.
inline constexpr size_t kMaxRunBatchIndices = size_t{1} << 24;
// Entries of a network's sizes [IN, hidden..., OUT], and the width of any one of them.
inline constexpr int kMinSizes = 2;
inline constexpr int kMaxSizes = 64;
inline constexpr int kMaxLayerWidth = 65536;
// Conv blocks of a trainer's CNN, and the channels of any one of them.
inline constexpr int kMaxConvBlocks = 8;
inline constexpr int kMaxConvChannels = 1024;
// Points per axis of Trainer::predict_grid, and all of its points.
inline constexpr int kMaxGridSide = 1024;
inline constexpr int kMaxGridPoints = 1 << 20;
// Bins of Trainer::histograms.
inline constexpr int kMaxBins = 4096;
// Step sizes of one Trainer::probe_landscape call.
inline constexpr int kMaxProbeSteps = 64;
// Examples of a toy dataset.
inline constexpr int kMaxToyExamples = 1 << 20;
// evalEvery and evalLimit (and evaluate()'s limit): large enough to mean "never" / "all".
inline constexpr int kMaxEvalCount = 1 << 30;

}  // namespace bn

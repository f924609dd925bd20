// The wasm kernel benchmark: the cases of bench/cpp/kernel_cases.h behind a few plain exports
// (no Embind), so that bench/kernels.mjs can time each case with many separate JS→wasm calls,
// all of them after V8 has tiered the kernels up to its optimizing compiler. Built twice by
// bench/build.mjs, like the package: with -msimd128 (SIMD and reference kernels) and without
// (reference kernels only). Built into build/bench, never into dist/.
#include <emscripten/emscripten.h>

#include <iterator>
#include <memory>
#include <vector>

#include "../cpp/kernel_cases.h"

namespace {
std::vector<std::unique_ptr<bnbench::Case>> g_cases;
}

extern "C" {

// 1 in the SIMD build.
EMSCRIPTEN_KEEPALIVE int kb_simd() { return BN_HAVE_SIMD; }

// The kinds and their names ("LinearForward", ..., "BnTrain", "MlpStep", "Ceiling"), so that the
// driver finds each kind by name and has no copy of the list.
EMSCRIPTEN_KEEPALIVE int kb_kind_count() { return bnbench::kKindCount; }
EMSCRIPTEN_KEEPALIVE const char* kb_kind_name(int kind) { return bnbench::kind_name(kind); }

// Entries of a kind (the kernels of its signature, or the composite cases) and their names.
EMSCRIPTEN_KEEPALIVE int kb_count(int kind) { return bnbench::entry_count(kind); }
EMSCRIPTEN_KEEPALIVE const char* kb_name(int kind, int entry) { return bnbench::entry_name(kind, entry); }

// The shape lists of kernel_cases.h, so that the driver has no copy of them.
// list 0: matrix products (fields n, in, out; name = the model); list 1: BatchNorm inputs
// (fields n, c, s; name = the shape); list 2: the catalogue sizes of each kind (fields a, b, c).
EMSCRIPTEN_KEEPALIVE int kb_list_count(int list) {
  switch (list) {
    case 0: return static_cast<int>(std::size(bnbench::kMatmulShapes));
    case 1: return static_cast<int>(std::size(bnbench::kBnShapes));
    case 2: return bnbench::kKindCount;
    default: return 0;
  }
}
EMSCRIPTEN_KEEPALIVE int kb_list_field(int list, int i, int field) {
  if (i < 0 || i >= kb_list_count(list) || field < 0 || field > 2) return 0;
  const size_t k = static_cast<size_t>(i);
  if (list == 0) {
    const auto& m = bnbench::kMatmulShapes[k];
    return field == 0 ? m.n : field == 1 ? m.in : m.out;
  }
  if (list == 1) {
    const auto& b = bnbench::kBnShapes[k];
    return field == 0 ? b.n : field == 1 ? b.c : b.s;
  }
  const bnbench::Sizes z = bnbench::catalogue_sizes(i);
  return field == 0 ? z.a : field == 1 ? z.b : z.c;
}
EMSCRIPTEN_KEEPALIVE const char* kb_list_name(int list, int i) {
  if (i < 0 || i >= kb_list_count(list)) return "";
  if (list == 0) return bnbench::kMatmulShapes[static_cast<size_t>(i)].model;
  if (list == 1) return bnbench::kBnShapes[static_cast<size_t>(i)].name;
  return "";
}

// Start the buffers of the cases prepared from now on `bytes` past a 64-byte boundary (0 or a
// multiple of 4 below 64).
EMSCRIPTEN_KEEPALIVE void kb_misalign(int bytes) { bnbench::Buffers::offset_bytes() = bytes; }

// Prepares a case and returns its handle, or -1 when this build lacks that variant.
EMSCRIPTEN_KEEPALIVE int kb_prepare(int kind, int entry, int variant, int a, int b, int c) {
  auto cs = bnbench::make_case(kind, entry, variant, a, b, c);
  if (!cs) return -1;
  g_cases.push_back(std::move(cs));
  return static_cast<int>(g_cases.size()) - 1;
}

// Flops or bytes of one repetition of a case.
EMSCRIPTEN_KEEPALIVE double kb_work(int handle) { return g_cases[static_cast<size_t>(handle)]->work; }

// Runs a case `reps` times.
EMSCRIPTEN_KEEPALIVE void kb_run(int handle, int reps) { g_cases[static_cast<size_t>(handle)]->run(reps); }

}

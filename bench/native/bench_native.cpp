// The native kernel benchmark: the cases of bench/cpp/kernel_cases.h (the very sources of the
// wasm modules, with SIMDe mapping the wasm intrinsics to SSE), timed by Google Benchmark.
// Built by `npm run bench` (CMake, -DBN_BENCH=ON) into build/bench/native/bench_native; run it
// alone for a quick look (--benchmark_filter=linear_forward) or let bench/run.mjs read its
// --benchmark_format=json output. Benchmark names are "kind:entry:variant:a:b:c <label>".
#include <benchmark/benchmark.h>

#include <iterator>
#include <memory>
#include <string>

#include "../cpp/kernel_cases.h"

namespace {

using namespace bnbench;

void add(int kind, int entry, int variant, int a, int b, int c, const std::string& label) {
  std::shared_ptr<Case> cs = make_case(kind, entry, variant, a, b, c);
  if (!cs) return;  // this variant does not exist
  const std::string name = std::to_string(kind) + ":" + std::to_string(entry) + ":" + std::to_string(variant) + ":" +
                           std::to_string(a) + ":" + std::to_string(b) + ":" + std::to_string(c) + " " + label;
  benchmark::RegisterBenchmark(name.c_str(), [cs](benchmark::State& state) {
    for (auto _ : state) cs->run(1);
    // Flops or bytes per second, and per iteration (to turn the median time back into a rate).
    state.counters["rate"] = benchmark::Counter(cs->work, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["work"] = cs->work;
  });
}

void add_both(int kind, int entry, int a, int b, int c, const std::string& what) {
  add(kind, entry, kRef, a, b, c, what + " ref");
  add(kind, entry, kSimd, a, b, c, what + " simd");
}

}  // namespace

int main(int argc, char** argv) {
  add(kCeiling, 0, kSimd, 0, 0, 0, "ceiling");
  for (const MatmulShape& m : kMatmulShapes) {
    const std::string shape = std::to_string(m.n) + "x" + std::to_string(m.in) + "->" + std::to_string(m.out);
    for (int kind : {kLinearForward, kLinearBackwardInput, kLinearBackwardParams})
      for (int e = 0; e < entry_count(kind); ++e) add_both(kind, e, m.n, m.in, m.out, std::string(entry_name(kind, e)) + " " + shape);
  }
  for (const BnShape& s : kBnShapes) add_both(kBnTrain, 0, s.n, s.c, s.s, std::string("bn_train ") + s.name);
  for (int kind = 0; kind < kKindCount; ++kind) {
    if (kind >= kBnTrain) continue;  // the composite cases
    const Sizes z = catalogue_sizes(kind);
    for (int e = 0; e < entry_count(kind); ++e) add_both(kind, e, z.a, z.b, z.c, std::string("catalogue ") + entry_name(kind, e));
  }
  for (int e = 0; e < static_cast<int>(std::size(kModels)); ++e) add_both(kMlpStep, e, 0, 0, 0, std::string("mlp_step ") + kModels[e].name);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (CMake option BN_FUZZ: clang++, the engine under
# AddressSanitizer + UBSan with coverage) in build/fuzz, replays the saved inputs, then fuzzes each
# harness for N seconds on its committed corpus and prints the execution counts.
#
#   bash scripts/fuzz.sh [seconds-per-harness]   default 20; CI (scripts/test.sh) uses 15
#   bash scripts/fuzz.sh --merge [seconds]       also fold the new inputs that add coverage into
#                                                tests/fuzz/corpus (maintainers, after a long run)
#
# Harnesses: fuzz_dataset (BNDS bytes), fuzz_layers_{simd,scalar} (layers: Linear, BatchNorm,
# activations, LayerNorm, GroupNorm, Conv2d, MaxPool2d, AvgPool2d, Flatten; Sequential, state
# entries, SGD, losses), fuzz_trainer_{simd,scalar} (MLP and CNN trainer configurations: conv
# blocks, image shapes, kernel sizes, pooling, a norm per block, groups; and their runs).
# Replayed first: tests/fuzz/crashes/<corpus>/*, inputs that once crashed an engine (each must pass
# now; one that still fails fails the script and that harness is not fuzzed further). The fuzzing
# run itself starts by executing every input of the committed corpus.
# New inputs found by a run go to build/fuzz/work/<corpus>, never into the repository; a crash is
# written to build/fuzz/artifacts/ and fails the script (exit 1) after all harnesses have run.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

merge=0
if [ "${1:-}" = "--merge" ]; then merge=1; shift; fi
secs=${1:-20}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "fuzz: seconds per harness must be a positive integer, got '$secs'" >&2
  exit 2
fi

bash scripts/setup.sh  # clang++ and libclang-rt-14-dev (libFuzzer, sanitizer runtimes)
jobs=$(nproc 2>/dev/null || echo 2)

build=build/fuzz
# The cache remembers its compiler: a tree configured with anything but clang++ is rebuilt.
if [ -f $build/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:FILEPATH=.*clang++' $build/CMakeCache.txt; then
  rm -rf $build
fi
if [ ! -f $build/CMakeCache.txt ]; then
  CXX=clang++ cmake -S . -B $build -DBN_FUZZ=ON -DBN_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
mkdir -p $build/artifacts $build/logs
if ! cmake --build $build --target bn_fuzzers -j "$jobs" >$build/logs/build.log 2>&1; then
  tail -n 40 $build/logs/build.log >&2
  echo "fuzz: building the harnesses failed (full log: $build/logs/build.log)" >&2
  exit 1
fi

# harness | corpus (tests/fuzz/corpus/<corpus>) | extra libFuzzer flags
harnesses=(
  "fuzz_dataset|dataset|-dict=tests/fuzz/dataset.dict"
  "fuzz_layers_simd|layers|"
  "fuzz_layers_scalar|layers|"
  "fuzz_trainer_simd|trainer|"
  "fuzz_trainer_scalar|trainer|"
)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
summary=()

for h in "${harnesses[@]}"; do
  IFS='|' read -r name corpus flags <<<"$h"
  bin=$build/fuzzers/$name
  log=$build/logs/$name.log
  mkdir -p "$build/work/$corpus" "tests/fuzz/corpus/$corpus"

  # 1. Replay the saved crash inputs, each on its own, so every one that still fails is named.
  #    (The committed corpus is replayed by the fuzzing run itself before it mutates anything.)
  replayed=0
  still=()
  for f in tests/fuzz/crashes/"$corpus"/*; do
    [ -f "$f" ] || continue
    replayed=$((replayed + 1))
    if ! "$bin" -timeout=10 "$f" >"$log" 2>&1; then
      still+=("$f")
      echo "fuzz: $name: saved crash input $f still fails:" >&2
      grep -E -m 3 -A 1 'FUZZ_CHECK|ERROR: AddressSanitizer|runtime error|ERROR: LeakSanitizer' "$log" >&2 || tail -n 20 "$log" >&2
    fi
  done
  if [ ${#still[@]} -gt 0 ]; then
    # Fuzzing would only find the same failures again: report them and move on.
    failed+=("$name (${#still[@]} saved crash input(s) still fail)")
    summary+=("$(printf '%-22s %-6s %s of %s saved crash inputs still fail (not fuzzed)' "$name" FAILED "${#still[@]}" "$replayed")")
    continue
  fi

  # 2. Fuzz for $secs seconds. New inputs go to the work directory (the first one listed).
  # shellcheck disable=SC2086  # flags is a word list on purpose
  if "$bin" $flags -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$name-" "$build/work/$corpus" "tests/fuzz/corpus/$corpus" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$name")
    echo "fuzz: $name found a failure:" >&2
    grep -E -m 30 'FUZZ_CHECK|ERROR|runtime error|SUMMARY|^    #[0-9]+ |^  [a-z]|Test unit written' "$log" >&2 || tail -n 40 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -E -o 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  summary+=("$(printf '%-22s %-6s %10s executions in %ss (%s/s), %s; %s saved crash inputs pass' "$name" "$status" "${runs:-?}" "$secs" "${rate:-?}" "${cov:-cov ?}" "$replayed")")

  if [ "$merge" = 1 ] && [ "$status" = ok ]; then
    "$bin" $flags -merge=1 "tests/fuzz/corpus/$corpus" "$build/work/$corpus" >>"$log" 2>&1
  fi
done

echo "== fuzzing summary (${secs}s per harness; logs in $build/logs)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (crash inputs in $build/artifacts; see tests/fuzz/README.md to reproduce)" >&2
  exit 1
fi

#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian machine:
# installs what is missing, builds, then runs the C++ tests natively under AddressSanitizer +
# UBSan and as wasm under node (ctest), and the Vitest suites (API against PyTorch fixtures on
# both modules, errors, package consumers, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser  # the page is tested in a real Chromium
source scripts/env.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== C++ tests, native, AddressSanitizer + UBSan"
if [ ! -f build/native-asan/CMakeCache.txt ]; then
  cmake -S . -B build/native-asan -DBN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build/native-asan -j "$jobs"
ctest --test-dir build/native-asan --output-on-failure

echo "== fuzzing, short run"
bash scripts/fuzz.sh 15

echo "== build: wasm modules + TypeScript"
bash scripts/build.sh

echo "== C++ tests, wasm under node"
cmake --build build/wasm -j "$jobs"
ctest --test-dir build/wasm --output-on-failure

echo "== Vitest: API, fixtures, errors, package consumers, browser"
npx vitest run

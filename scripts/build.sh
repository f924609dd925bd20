#!/usr/bin/env bash
# Builds everything the package ships: the SIMD and scalar wasm modules (Emscripten) and the
# compiled TypeScript with its .d.ts. Incremental: re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f build/wasm/CMakeCache.txt ]; then
  # The toolchain file's default emulator passes a flag Node 20 rejects; the test programs read no
  # URLs, so node's fetch is turned off for them (see TOOLCHAIN.md).
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" >/dev/null
fi
cmake --build build/wasm --target bnlab-simd bnlab-scalar -j "$jobs"
npx tsc -p tsconfig.json
# The published .d.ts files name the module's internal types: ship their declaration too.
cp web/src/wasm/module.d.ts dist/wasm/module.d.ts
# Datasets next to the compiled module (loadDigits/loadFashionMnist find them by relative URL).
# The Fashion-MNIST subset is extracted from Debian's package; without it only the paper replica
# on Fashion-MNIST is unavailable, so a failure here is a warning, not an error.
bash scripts/datasets/make-fashion-mnist.sh >/dev/null ||
  echo "build: warning: web/data/fashion-mnist-subset.bnds not built (loadFashionMnist() will fail)" >&2
mkdir -p dist/data
cp web/data/digits.bnds dist/data/
if [ -f web/data/fashion-mnist-subset.bnds ]; then cp web/data/fashion-mnist-subset.bnds dist/data/; fi
echo "built: dist/ ($(du -sh dist | cut -f1))"

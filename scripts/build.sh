#!/usr/bin/env bash
# Builds everything the package ships: the SIMD and scalar wasm modules (Emscripten) and the
# compiled TypeScript with its .d.ts. Incremental: re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f build/wasm/CMakeCache.txt ]; then
  # The toolchain file's default emulator passes a flag Node 20 rejects; the test programs read no
  # URLs, so node's fetch is turned off for them (Emscripten 3.1.6's loader would otherwise
  # try to fetch() its .wasm by file path, which Node 18+'s global fetch cannot).
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" >/dev/null
fi
# em++ does not create its output folder, and a deleted dist/ is not noticed by CMake.
mkdir -p dist/wasm
cmake --build build/wasm --target bnlab-simd bnlab-scalar -j "$jobs"
# Emscripten 3.1.6 minifies the glue's whitespace but not its names (that needs the Closure
# Compiler, which Debian does not package in a usable version). rolldown (Vite's bundler, already
# installed) mangles the local names: 12.4 KB -> 8.9 KB gzipped. Idempotent, so incremental
# builds may run it again on an already minified file.
for variant in simd scalar; do
  glue="dist/wasm/bnlab-${variant}.js"
  npx --no-install rolldown "$glue" --format esm --minify --file "$glue.min" >/dev/null
  mv "$glue.min" "$glue"
  # The glue keeps its own URL (`var _scriptDir = import.meta.url`) only to find the .wasm when no
  # locateFile is given; lab.ts passes the bytes itself, so it is unused. webpack would write the
  # build machine's file:/// path of the glue there: make it undefined (idempotent, checked).
  node -e '
    const fs = require("fs"), f = process.argv[1], s = fs.readFileSync(f, "utf8");
    const t = s.replace(/^(var \w+=\(\(\)=>\{var \w+=)import\.meta\.url;/, "$1void 0;");
    if (t.split("import.meta.url").length !== 2) throw new Error(f + ": expected one import.meta.url (the .wasm URL) after removing _scriptDir");
    fs.writeFileSync(f, t);' "$glue"
done
npx tsc -p tsconfig.json
# The published .d.ts files name the module's internal types: ship their declaration too.
cp web/src/wasm/module.d.ts dist/wasm/module.d.ts
# The Custom Elements Manifest (package.json's customElements): every element's tag, attributes,
# events, parts and tokens, read from the element classes' JSDoc by @custom-elements-manifest/
# analyzer as custom-elements-manifest.config.mjs sets it up (defineElement tags, dist/ paths);
# docs/elements.md's reference table is printed from it (scripts/elements-reference.mjs).
npx --no-install cem analyze --quiet
# Datasets next to the compiled module (loadDigits/loadFashionMnist find them by relative URL).
# The Fashion-MNIST subset is extracted from Debian's package; without it only the paper replica
# on Fashion-MNIST is unavailable, so a failure here is a warning, not an error.
bash scripts/datasets/make-fashion-mnist.sh >/dev/null ||
  echo "build: warning: web/data/fashion-mnist-subset.bnds not built (loadFashionMnist() will fail)" >&2
mkdir -p dist/data
cp web/data/digits.bnds dist/data/
if [ -f web/data/fashion-mnist-subset.bnds ]; then cp web/data/fashion-mnist-subset.bnds dist/data/; fi
# The custom elements' run-time files: their stylesheets (linked inside shadow roots), KaTeX's ES
# module (imported by relative path: browsers cannot resolve the bare 'katex' specifier without an
# import map, which a strict CSP would have to allow inline), its stylesheet and its fonts
# (registered by web/src/elements/base/math.ts, which names each of the 20 files).
mkdir -p dist/elements/vendor dist/elements/katex/fonts
(cd web/src && find elements -name '*.css' -exec cp --parents {} ../../dist/ \;)
# KaTeX ships its ES module unminified (600 kB); rolldown (Vite's bundler, already installed)
# minifies it to ~260 kB (~77 kB gzipped). Its MIT licence goes along.
katex_version=$(node -p "require('./node_modules/katex/package.json').version")
npx --no-install rolldown node_modules/katex/dist/katex.mjs --format esm --minify \
  --banner "/*! KaTeX ${katex_version} | MIT License | https://katex.org (see KATEX-LICENSE) */" \
  --file dist/elements/vendor/katex.mjs >/dev/null
cp node_modules/katex/LICENSE dist/elements/vendor/KATEX-LICENSE
cp node_modules/katex/dist/katex.min.css dist/elements/katex/
cp node_modules/katex/dist/fonts/*.woff2 dist/elements/katex/fonts/
fonts_named=$(grep -c "new URL('../katex/fonts/KaTeX_" web/src/elements/base/math.ts)
fonts_shipped=$(ls dist/elements/katex/fonts/*.woff2 | wc -l)
[ "$fonts_named" -eq "$fonts_shipped" ] ||
  { echo "build: math.ts names $fonts_named KaTeX fonts, KaTeX ships $fonts_shipped" >&2; exit 1; }
# uPlot, the training lab's line charts: imported by relative path like KaTeX, and shipped
# unminified as ES module too, so minified the same way (145 kB to ~50 kB, ~22 kB gzipped); its
# stylesheet is linked inside the lab's shadow root.
uplot_version=$(node -p "require('./node_modules/uplot/package.json').version")
npx --no-install rolldown node_modules/uplot/dist/uPlot.esm.js --format esm --minify \
  --banner "/*! uPlot ${uplot_version} | MIT License | https://github.com/leeoniya/uPlot (see UPLOT-LICENSE) */" \
  --file dist/elements/vendor/uplot.mjs >/dev/null
cp node_modules/uplot/LICENSE dist/elements/vendor/UPLOT-LICENSE
cp node_modules/uplot/dist/uPlot.min.css dist/elements/uplot.min.css
# The lesson page's script as one file (dist/lesson/, not in the npm package): the elements and
# the page's own module bundled with their static imports, KaTeX, uPlot and each wasm glue in
# chunks of their own that load when first needed (scripts/bundle-page.mjs).
node scripts/bundle-page.mjs >/dev/null
echo "built: dist/ ($(du -sh dist | cut -f1))"

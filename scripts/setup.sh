#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test batchnorm-lab, and nothing else.
# Every requirement is checked cheaply first, so on a ready machine this is silent and takes a
# fraction of a second; it prints one line per thing it installs. CI runs it as root; elsewhere it
# uses sudo, or prints the exact command to run and exits 1.
#
#   bash scripts/setup.sh [--browser]
#     --browser (or BN_NEED_BROWSER=1): also Debian's Chromium, for the end-to-end tests.
#   bash scripts/setup.sh --check [--browser]: only report what is missing (exit 1 if anything is).
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=${BN_NEED_BROWSER:-0}
check_only=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --check) check_only=1 ;;
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
die() { echo "setup: $*" >&2; exit 1; }

# Node.js >= 20 (Vite 8, Vitest 5) cannot come from Debian 12, whose nodejs is 18: check it first,
# because installing emscripten without it would pull in that older node.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
  die "Node.js 20 or newer with npm is required (found: $(node --version 2>/dev/null || echo none)); Debian 12's own nodejs is too old, install Node.js 20+ first"
fi

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# Each line: Debian package | why | the check that says it is already there.
requirements=(
  "cmake|build system|command -v cmake"
  "g++|native C++ tests|command -v g++"
  "make|build tool|command -v make"
  "clang|sanitizer and fuzzing builds|command -v clang++"
  "libclang-rt-14-dev|clang's sanitizer and libFuzzer runtimes|installed libclang-rt-14-dev"
  "googletest|C++ tests (/usr/src/googletest)|test -f /usr/src/googletest/CMakeLists.txt"
  "libsimde-dev|the wasm SIMD intrinsics natively|test -f /usr/include/simde/wasm/simd128.h"
  "emscripten|Emscripten 3.1.6, the wasm compiler|installed emscripten"
)
if [ "$want_browser" = 1 ]; then
  requirements+=("chromium|headless browser tests|test -x /usr/bin/chromium")
fi

missing=()
for req in "${requirements[@]}"; do
  IFS='|' read -r pkg why check <<<"$req"
  # shellcheck disable=SC2086  # the check is a command line on purpose
  if ! $check >/dev/null 2>&1; then missing+=("$pkg|$why"); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  names=()
  for m in "${missing[@]}"; do names+=("${m%%|*}"); done
  install_cmd="apt-get update && apt-get install -y --no-install-recommends ${names[*]}"
  if [ "$check_only" = 1 ]; then
    echo "setup: missing: ${names[*]}"
    echo "setup: to install, as root: $install_cmd"
    exit 1
  fi
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    # No terminal (CI): sudo must not wait for a password nobody can type.
    if [ -t 0 ]; then as_root=(sudo); else as_root=(sudo -n); fi
    if ! "${as_root[@]}" true; then
      echo "setup: missing: ${names[*]}" >&2
      die "sudo refused; as root, run: $install_cmd"
    fi
  else
    echo "setup: missing: ${names[*]}" >&2
    die "not root and no sudo; as root, run: $install_cmd"
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/bn-setup.XXXXXX")
  trap 'rm -f "$log"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may still be running its own apt jobs: wait for the lock instead of failing.
  apt_opts=(-q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "apt-get update failed"
  fi
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get "${apt_opts[@]}" install -y --no-install-recommends "${names[@]}" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "apt-get install failed: ${names[*]}"
  fi
  for m in "${missing[@]}"; do say "installed ${m%%|*} (${m#*|})"; done
fi

# npm ci writes node_modules/.package-lock.json; a lockfile newer than it means the tree is stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ "$check_only" = 1 ]; then
    echo "setup: node_modules is missing or older than package-lock.json; run: npm ci"
    exit 1
  fi
  npm_log=$(mktemp "${TMPDIR:-/tmp}/bn-npm.XXXXXX")
  if ! npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1; then
    tail -n 30 "$npm_log" >&2
    rm -f "$npm_log"
    die "npm ci failed"
  fi
  rm -f "$npm_log"
  say "installed npm packages (npm ci)"
fi

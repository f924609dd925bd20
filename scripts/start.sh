#!/usr/bin/env bash
# `npm start`: the one command that takes a person from a fresh clone to the lesson page.
# Installs what is missing (no browser: the person has one), builds the wasm modules and the
# TypeScript, then serves the repository on 127.0.0.1 and prints the page's URL.
# PORT=N or `npm start -- --port N` picks the port (default 8080; a busy port falls back to a free one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec node scripts/serve.mjs "$@"

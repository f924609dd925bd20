#!/usr/bin/env bash
# Writes web/data/fashion-mnist-subset.bnds (3,500 train + 1,000 test, 28x28, 10 classes; see
# make-fashion-mnist.mjs) from Debian's dataset-fashion-mnist (31 MB, MIT licence). Generated, not
# committed: does nothing when the file exists, unless --force. Takes 5-15 s, mostly the download
# (1-10 s; unpacking 1 s, conversion 1-4 s). Extra arguments (train=N test=N) go to the converter.
# Uses the installed package's files when /usr/share/datasets/fashion-mnist exists, otherwise
# downloads the .deb into a temporary directory (needs `apt-get update` once on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=web/data/fashion-mnist-subset.bnds

force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
if [ -f "$out" ] && [ "$force" = 0 ]; then
  echo "$out exists (use --force to rebuild)"
  exit 0
fi

src=/usr/share/datasets/fashion-mnist
if [ ! -d "$src" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # As root, apt drops to the _apt user, which cannot write to a private temporary directory: it
  # would download anyway and warn; say up front that root is fine.
  sandbox=()
  if [ "$(id -u)" = 0 ]; then sandbox=(-o APT::Sandbox::User=root); fi
  if ! (cd "$tmp" && apt-get download -q "${sandbox[@]}" dataset-fashion-mnist >/dev/null); then
    echo "cannot download dataset-fashion-mnist: run 'apt-get update' (as root) and retry" >&2
    exit 1
  fi
  dpkg -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/root"
  src="$tmp/root/usr/share/datasets/fashion-mnist"
fi
node scripts/datasets/make-fashion-mnist.mjs "$src" "$out" "$@"

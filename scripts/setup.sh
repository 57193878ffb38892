#!/usr/bin/env bash
# Installs the Debian packages kimsim needs to build, test and benchmark — only those missing.
# Non-interactive, so it runs the same in CI (root, no terminal) as on a developer's machine.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev libboost-program-options-dev libyaml-cpp-dev
  doctest-dev libbenchmark-dev librandom123-dev nlohmann-json3-dev libfmt-dev
  libopenmpi-dev openmpi-bin
  python3        # tests: the mutation list check, golden cases that generate input
  python3-numpy  # bench/peers/numpy only
  perl           # golden cases that edit a copy of a scenario (perl -pi)
  # The fuzzing build (scripts/test.sh, fuzz/): Clang, its runtime libraries (libclang-rt-dev
  # depends on the version's libclang-rt-N-dev: libFuzzer, ASan, UBSan) and llvm (llvm-symbolizer:
  # source lines in sanitizer reports).
  clang libclang-rt-dev llvm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

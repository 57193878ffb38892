#!/usr/bin/env bash
# Installs the Debian packages kimsim needs to build, test and benchmark — only those missing.
# Non-interactive, so it runs the same in CI (root, no terminal) as on a developer's machine.
#   setup.sh          what building and running need (scripts/run.sh: stays quick)
#   setup.sh --test   also what the test suite alone needs (scripts/test.sh): Chromium, pdftotext
#                     and Node for the browser test of report.html, and its npm packages
#                     (tests/browser/package-lock.json, `npm ci`, no browser download)
set -euo pipefail
test_mode=0
[ "${1:-}" = "--test" ] && test_mode=1

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
if [ $test_mode = 1 ]; then
  # The browser test (tests/browser/): Debian's chromium, headless; pdftotext reads its PDF back.
  packages+=(chromium poppler-utils)
  # Node from Debian where none is installed (any Node from 18 on runs puppeteer-core 24).
  command -v node >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser test's client, exactly as locked; again only when the lock file changed since.
if [ $test_mode = 1 ]; then
  browser=$(dirname "$0")/../tests/browser
  if [ ! -f "$browser/node_modules/.package-lock.json" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in tests/browser" >&2
    (cd "$browser" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  fi
fi

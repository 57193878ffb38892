#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite. .ci/run calls exactly this.
#   1. the Release build (build/): doctest suite, command-line golden files, the data of
#      report.html, and report.html in Chromium (tests/browser/, only here);
#   2. the same suite built with AddressSanitizer and UndefinedBehaviorSanitizer (GCC, build-asan/);
#   3. the libFuzzer harnesses (Clang, build-fuzz/): scenario, CSV, apportion --biproportional and sweep,
#      each fuzzing for KIMSIM_FUZZ_SECONDS (45).
# Each build is incremental where its folder exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test  # also the browser test's Chromium and npm packages
bash scripts/build.sh
ctest --test-dir build --output-on-failure

# -O1 without NDEBUG: Eigen's index checks stay on. The benchmark binary adds nothing to test.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DKIMSIM_SANITIZE=ON -DKIMSIM_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure

# The fuzzing build needs only the I/O library and the harnesses (no OpenMP: the loaders do not use it).
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DKIMSIM_FUZZ=ON -DKIMSIM_BUILD_TESTS=OFF \
  -DKIMSIM_BUILD_BENCH=OFF -DKIMSIM_WITH_OPENMP=OFF -DKIMSIM_FUZZ_SECONDS="${KIMSIM_FUZZ_SECONDS:-45}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_scenario fuzz_csv fuzz_apportion fuzz_sweep
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-fuzz --output-on-failure

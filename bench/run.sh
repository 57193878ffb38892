#!/usr/bin/env bash
# Runs kimsim_bench (10 repetitions, medians) and writes results/bench/kernel.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target kimsim_bench >/dev/null
build/bench/kimsim_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
  --benchmark_out=build/bench.json --benchmark_out_format=json >/dev/null
mkdir -p results/bench
{
  echo "# kimsim_bench: apportionment kernel and one replication"
  echo
  echo "Command: \`bench/run.sh\` (\`kimsim_bench --benchmark_repetitions=10\`, medians), commit $(git rev-parse --short HEAD)."
  echo "Instances: bench/instances.hpp (n = 450, ~70 % active, log-normal weights, tie-free, h = 820)."
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores."
  python3 bench/report.py build/bench.json
} > results/bench/kernel.md
cat results/bench/kernel.md

#!/usr/bin/env bash
# Runs kimsim_bench once and prints every benchmark's median as a multiple of the floor pass
# (BM_Reference) measured in the same run: the only comparison that survives a noisy machine; a
# benchmark that counts items (a sweep's points, replications) has a second line per item.
#
# Usage: bench/ratios.sh [BENCH_BINARY] [extra kimsim_bench flags...]
#   bench/ratios.sh                                      # the apportionment kernel and one replication
#   bench/ratios.sh build/bench/kimsim_bench --benchmark_repetitions=21
# CPU time per iteration (time descheduled on a shared machine does not count). The filter
# always keeps BM_Reference. Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bench/kimsim_bench
if [ $# -gt 0 ] && [ -x "$1" ]; then bin="$1"; shift; fi
command -v jq >/dev/null || { echo "ratios.sh: needs jq (apt-get install jq)" >&2; exit 2; }
filter='BM_Apportion|BM_Replication|BM_Plan'
reps=11
args=()
for a in "$@"; do
  case "$a" in
    --benchmark_filter=*) filter="${a#--benchmark_filter=}" ;;
    --benchmark_repetitions=*) reps="${a#--benchmark_repetitions=}" ;;
    *) args+=("$a") ;;
  esac
done
"$bin" --benchmark_filter="BM_Reference|$filter" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_format=json ${args[@]+"${args[@]}"} 2>/dev/null |
  jq -r '
    def ns: .cpu_time * ({"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[.time_unit]);
    [.benchmarks[] | select(.aggregate_name == "median")] as $m
    | ($m[] | select(.run_name | startswith("BM_Reference")) | ns) as $ref
    | def row($t; $name): "\($t | . * 10 | round / 10 | tostring | (" " * (10 - length)) + .)  \(($t / $ref) * 100 | round / 100 | tostring | (" " * (8 - length)) + .)   \($name)";
      (.context | "\(.date)  \(.host_name)  \(.num_cpus) CPUs at \(.mhz_per_cpu) MHz  load \(.load_avg | map(. * 100 | round / 100) | join(" "))"),
      "median ns   x floor   benchmark",
      ($m[] | row(ns; .run_name),
              # A benchmark of many items (the points of a sweep, replications) also per item: items_per_second
              # counts CPU time, as ns does.
              (select(.items_per_second) | row(1e9 / .items_per_second; "\(.run_name) per item")))'

#!/usr/bin/env bash
# Strong scaling of `kimsim simulate` on the KIM NRW 2021 baseline: wall time, parallel efficiency
# and peak memory for OpenMP threads 1, 2, 4, ... and for MPI ranks (if mpirun is on PATH), plus
# BM_Replication. Checks that every run writes the same simulation.csv. Markdown on stdout.
#
# Usage: bench/scaling.sh [-n REPLICATIONS] [--max-threads T]
#   KIMSIM=path/to/kimsim BENCH=path/to/kimsim_bench (defaults: build/...)
# E.g. bench/scaling.sh -n 1000000 > results/bench/scaling.md
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kimsim=${KIMSIM:-$root/build/kimsim}
bench=${BENCH:-$root/build/bench/kimsim_bench}
n=100000
max=$(nproc)
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift 2 ;;
    --max-threads) max=$2; shift 2 ;;
    *) echo "scaling.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
scenario=$root/scenarios/kim-nrw-2021.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Wall seconds and peak RSS (KiB, the largest process) of a command.
measure() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.2f", $2 - $1}'
}

echo "# Scaling of kimsim simulate (KIM NRW 2021 baseline, $n replications)"
echo
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs"
echo "- kimsim: $("$kimsim" --version)"
echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M')"
echo
if [ -x "$bench" ]; then
  med=$("$bench" --benchmark_filter=Replication --benchmark_repetitions=10 --benchmark_report_aggregates_only=true 2>/dev/null |
        awk '/_median/ {print $4, $5}')
  echo "BM_Replication/kim_nrw_2021 (one core, median of 10): **$med**"
  echo
fi
echo "## OpenMP threads (one process)"
echo
echo "| threads | wall s | µs per replication | speed-up | efficiency | peak RSS MiB | output |"
echo "|---:|---:|---:|---:|---:|---:|---|"
base=""
t=1
while [ "$t" -le "$max" ]; do
  s=$(measure "$kimsim" simulate "$scenario" -n "$n" --threads "$t" --quiet --out "$tmp/t$t")
  rss=$( ( command -v /usr/bin/time >/dev/null && /usr/bin/time -f %M "$kimsim" simulate "$scenario" -n 2000 --threads "$t" --quiet --out "$tmp/rss" 2>&1 >/dev/null ) || echo "")
  [ -z "$base" ] && base=$s
  same=identical
  cmp -s "$tmp/t1/simulation.csv" "$tmp/t$t/simulation.csv" || same=DIFFERS
  awk -v t="$t" -v s="$s" -v b="$base" -v n="$n" -v r="$rss" -v same="$same" 'BEGIN {
    printf "| %d | %.2f | %.2f | %.2f | %.0f %% | %s | %s |\n", t, s, s / n * 1e6, b / s, 100 * b / s / t,
      (r == "" ? "–" : sprintf("%.1f", r / 1024)), same }'
  rm -rf "$tmp/rss"
  t=$((t * 2))
done
echo
if command -v mpirun >/dev/null; then
  # Open MPI refuses root without these; more ranks than cores is allowed (small machines).
  [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
  echo "## MPI ranks (one thread each), and ranks x threads"
  echo
  echo "| ranks x threads | wall s | speed-up vs 1 thread | efficiency | output |"
  echo "|---|---:|---:|---:|---|"
  configs="1x1 2x1 4x1"
  [ "$max" -ge 8 ] && configs="$configs 8x1 2x4"
  [ "$max" -ge 16 ] && configs="$configs 16x1 4x4 2x8"
  for c in $configs; do
    p=${c%x*} th=${c#*x}
    s=$(measure mpirun -n "$p" --bind-to none "$kimsim" simulate "$scenario" -n "$n" --threads "$th" --quiet --out "$tmp/m$c")
    same=identical
    cmp -s "$tmp/t1/simulation.csv" "$tmp/m$c/simulation.csv" || same=DIFFERS
    awk -v p="$p" -v th="$th" -v s="$s" -v b="$base" -v same="$same" 'BEGIN {
      printf "| %d x %d | %.2f | %.2f | %.0f %% | %s |\n", p, th, s, b / s, 100 * b / s / (p * th), same }'
  done
  echo
fi
echo "Efficiency = time on 1 thread / (time x cores used). \"identical\": simulation.csv equals the 1-thread run byte for byte."

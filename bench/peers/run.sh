#!/usr/bin/env bash
# Peer comparison of kimsim against the npm packages sainte-lague@3.0.0 and hare-niemeyer@3.0.0:
# builds the exporter, installs the pinned packages, verifies the packages' seats equal kimsim's on
# every instance, times both sides, and writes the table and the machine to results/bench/peers.md.
#
# Usage: bench/peers/run.sh [extra peers.mjs options, e.g. --sl-passes 20 --hn-passes 5]
# Assumes build/ is configured (scripts/build.sh); needs node >= 18 and npm. Takes about 2 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

rounds="${KIMSIM_PEERS_ROUNDS:-2000}"
peer_args=(--sl-passes 20 --hn-passes 5 "$@")
json="build/peers_instances.json"
out="results/bench/peers.md"
command_line="bench/peers/run.sh${*:+ $*}"

# Interference check: CPU time the whole machine spent busy during the timed part, minus this script's
# own (children included), is what other processes took. Units: USER_HZ ticks.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
own() { awk '{print $14+$15+$16+$17}' "/proc/$$/stat"; }
hz="$(getconf CLK_TCK)"
# Re-generate the build system so a newly added target is known, then build only the exporter.
cmake -S . -B build >/dev/null
cmake --build build --target kimsim_export_instances >/dev/null

if [ -f bench/peers/package-lock.json ]; then
  (cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd bench/peers && npm install --no-audit --no-fund --loglevel=error)
fi

# The timed part: from here to the table.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
busy0="$(busy)"; own0="$(own)"; t0="$(date +%s)"
kimsim_log="$(build/bench/kimsim_export_instances "$json" "$rounds")"
echo "$kimsim_log" >&2
table="$(node bench/peers/peers.mjs "$json" "${peer_args[@]}")"  # exits nonzero on any mismatch

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
busy1="$(busy)"; own1="$(own)"; t1="$(date +%s)"
other_s="$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v hz="$hz" 'BEGIN{x=(b-o)/hz; if(x<0)x=0; printf "%.1f", x}')"
wall_s="$((t1 - t0))"
interference="$(awk -v x="$other_s" -v w="$wall_s" 'BEGIN{print (x > 0.05 * w) ? "yes" : "no"}')"
if [ "$interference" = yes ]; then
  echo "WARNING: other processes used ${other_s} CPU-seconds during the ${wall_s} s timed part; timings may be inflated" >&2
fi
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
compiler="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' build/CMakeCache.txt)"
compiler_version="$("$compiler" --version | head -1)"
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' build/CMakeCache.txt)"

mkdir -p results/bench
{
  echo "# Peer comparison: kimsim vs npm sainte-lague / hare-niemeyer"
  echo
  echo "Same 64 instances (bench/instances.hpp) on both sides; every package output was checked"
  echo "equal to kimsim's seats before timing. See bench/peers/README.md for the method."
  echo
  echo "$table"
  echo
  echo "## kimsim (C++) timing output"
  echo
  echo '```'
  echo "$kimsim_log"
  echo '```'
  echo
  echo "## Machine and command"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- command: \`$command_line\` (kimsim rounds: $rounds)"
  echo "- CPU: $cpu"
  echo "- nproc: $(nproc)"
  echo "- node: $(node --version), npm $(npm --version)"
  echo "- C++ compiler: $compiler_version, CMAKE_BUILD_TYPE=$build_type"
  echo "- kernel: $(uname -sr)"
  echo "- load average (1/5/15 min) before: $load_before, after: $load_after"
  echo "- other processes' CPU time during the ${wall_s} s timed part: ${other_s} s (interference: $interference;"
  echo "  the timings assume an otherwise idle machine — rerun if this says yes)"
  echo "- both sides single-threaded; timings taken one after the other on the same machine"
} >"$out"
echo "$table"
echo "wrote $out" >&2

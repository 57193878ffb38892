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

# CPU ticks (USER_HZ) the machine spent busy, and those of this script and its waited-for children.
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

# The timed parts. For each, the CPU time the whole machine spent busy minus this script's own
# (children included) is what other processes took while it ran.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
b0="$(busy)"; o0="$(own)"; s0="$(date +%s.%N)"
kimsim_log="$(build/bench/kimsim_export_instances "$json" "$rounds")"
b1="$(busy)"; o1="$(own)"; s1="$(date +%s.%N)"
echo "$kimsim_log" >&2
table="$(node bench/peers/peers.mjs "$json" "${peer_args[@]}")"  # exits nonzero on any mismatch
b2="$(busy)"; o2="$(own)"; s2="$(date +%s.%N)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# "other CPU-seconds / wall seconds (interference: yes|no)"; yes when others took > 5 % of a core.
interference() {
  awk -v b="$1" -v o="$2" -v w="$3" -v hz="$hz" 'BEGIN {
    x = (b - o) / hz; if (x < 0) x = 0
    printf "%.1f s of other CPU during %.1f s (interference: %s)", x, w, (x > 0.05 * w) ? "yes" : "no" }'
}
int_kimsim="$(interference $((b1 - b0)) $((o1 - o0)) "$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b - a}')")"
int_node="$(interference $((b2 - b1)) $((o2 - o1)) "$(awk -v a="$s1" -v b="$s2" 'BEGIN{print b - a}')")"
case "$int_kimsim$int_node" in
  *"interference: yes"*) echo "WARNING: other processes ran during the timings (kimsim: $int_kimsim;" \
                              "node: $int_node); rerun on an idle machine" >&2 ;;
esac

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
  echo "- outside load while timing kimsim: $int_kimsim"
  echo "- outside load while verifying and timing the npm packages: $int_node"
  echo "  (the timings assume an otherwise idle machine; rerun if either says yes)"
  echo "- both sides single-threaded; timings taken one after the other on the same machine"
} >"$out"
echo "$table"
echo "wrote $out" >&2

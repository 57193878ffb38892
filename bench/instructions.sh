#!/usr/bin/env bash
# Instructions per call of each hot benchmark's work, counted by callgrind, and as a multiple of
# the floor pass's (BM_Reference): the column that issue 17 asks beside the times of ratios.sh.
# Instructions do not move with the machine's load, times do; a change that trades instructions
# for fewer mispredicted branches shows in the times alone, so read both.
#
# Usage: bench/instructions.sh [BENCH_BINARY] [--benchmark_filter=REGEX]
#   bench/instructions.sh                                  # the apportionment rows and one replication
#   bench/instructions.sh build/bench/kimsim_bench --benchmark_filter='BM_Replication|BM_Plan'
#
# Each benchmark runs alone under callgrind (about 2-5 s each). What one iteration calls is
# counted inclusively over every call, and divided by the calls: floor_pass for BM_Reference,
# apportion() with a workspace for BM_Apportion (split_cents for its cents row),
# detail::apportion_fast_on for BM_KernelPath, Replicator::run for BM_Replication and
# BM_RepParts/same_draws, Replicator::record for BM_RepParts/outcomes_only, Plan::evaluate for
# BM_Plan; a function counts where its demangled name starts with the callee's (a template
# instantiated inside it, such as Replicator::drawn<...record...>, does not). Valgrind has no
# AVX-512: the paths chosen by the CPU are the AVX2 ones here, whatever the machine (kimsim's
# outputs are the same bits on every path), and the BM_KernelPath/avx512 rows do not exist there
# ("-"). A row whose callee is not found prints "-" and the others go on. Needs valgrind and
# python3.
set -euo pipefail
bin=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then  # a first argument that is no option: the binary
  [ -f "$1" ] && [ -x "$1" ] || { echo "instructions.sh: $1 is not an executable file" >&2; exit 2; }
  bin="$(realpath "$1")"  # before the cd
  shift
fi
cd "$(dirname "$0")/.."
bin="${bin:-build/bench/kimsim_bench}"
filter='BM_Apportion/.*n450_h820|BM_Replication'
for a in "$@"; do
  case "$a" in
    --benchmark_filter=*) filter="${a#--benchmark_filter=}" ;;
    *) echo "instructions.sh: unknown argument $a (see the usage at the top of the script)" >&2; exit 2 ;;
  esac
done
for tool in valgrind python3; do
  command -v "$tool" >/dev/null || { echo "instructions.sh: needs $tool (apt-get install $tool)" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "instructions.sh: $bin is missing; build kimsim_bench first" >&2; exit 2; }

# The function one iteration of a benchmark calls (the start of its demangled name, and a part
# it must contain), by the benchmark's name.
callee() {
  case "$1" in
    BM_Reference/*) echo "(anonymous namespace)::floor_pass(|" ;;
    BM_Apportion/cents/*) echo "kimsim::split_cents(|" ;;
    BM_Apportion/*) echo "kimsim::apportion(|Workspace&" ;;
    BM_KernelPath/*) echo "kimsim::detail::apportion_fast_on(|" ;;
    BM_Replication/* | BM_RepParts/*/same_draws/*) echo "kimsim::Replicator::run(|" ;;
    BM_RepParts/*/outcomes_only/*) echo "kimsim::Replicator::record(|" ;;
    BM_Plan/*) echo "kimsim::Plan::evaluate(|" ;;
    *) echo "" ;;
  esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The floor pass first: every other row is a multiple of it.
listed=$("$bin" --benchmark_list_tests --benchmark_filter="^BM_Reference/|$filter" 2>/dev/null) ||
  { echo "instructions.sh: $bin lists no benchmarks (is it kimsim_bench?)" >&2; exit 2; }
names=$(grep '^BM_Reference/' <<<"$listed" || true; grep -v '^BM_Reference/' <<<"$listed" || true)
printf '%s  %s (built %s)  valgrind %s\n' "$(date -u +%FT%TZ)" "$bin" "$(date -u -r "$bin" +%FT%TZ)" \
  "$(valgrind --version | sed 's/^valgrind-//')"
printf '%14s  %8s  %9s   %s\n' "instructions" "x floor" "calls" "benchmark"
floor=""
for name in $names; do
  c=$(callee "$name")
  if [ -z "$c" ]; then
    printf '%14s  %8s  %9s   %s\n' "-" "-" "-" "$name (no callee known to this script)"
    continue
  fi
  exact="^$(printf '%s' "$name" | sed 's/[][\.*^$+?(){}|]/\\&/g')\$"
  if ! valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" --benchmark_filter="$exact" \
    --benchmark_min_time=0.5 >"$tmp/log" 2>&1; then
    echo "instructions.sh: callgrind failed on $name:" >&2
    tail -5 "$tmp/log" >&2
    exit 1
  fi
  read -r per calls < <(python3 - "$tmp/out" "${c%%|*}" "${c#*|}" <<'EOF'
import sys
# Callgrind's format: "fn=(id) name" opens a function's costs, "cfn=(id) name" names a callee
# (names are compressed: given once, then "(id)" alone), "calls=N ..." is followed by one line of
# the inclusive cost of those N calls, its last field the instructions (the only event counted).
path, prefix, part = sys.argv[1:4]
names, calls, cost, callee = {}, 0, 0, None
def named(rest):
    rest = rest.strip()
    if rest.startswith("("):
        end = rest.index(")")
        key, text = rest[1:end], rest[end + 1:].strip()
        if text:
            names[key] = text
        return names.get(key, "")
    return rest
with open(path) as f:
    pending = None
    for line in f:
        if pending is not None:
            if pending:
                cost += int(line.split()[-1])
            pending = None
        elif line.startswith("cfn="):
            callee = named(line[4:])
        elif line.startswith("fn="):
            named(line[3:])
        elif line.startswith("calls="):
            target = callee or ""
            pending = target.startswith(prefix) and part in target
            if pending:
                calls += int(line[6:].split()[0])
if calls == 0:
    print("- 0")  # not run (a path this CPU, or valgrind, lacks) or the callee not found
else:
    print(round(cost / calls), calls)
EOF
)
  if [ "$per" = "-" ]; then
    printf '%14s  %8s  %9s   %s\n' "-" "-" "-" "$name (no call of ${c%%|*}...: not run under valgrind)"
    continue
  fi
  [ "$name" = "${name#BM_Reference/}" ] || floor=$per
  ratio="-"
  [ -n "$floor" ] && ratio=$(python3 -c "print(f'{$per / $floor:.2f}')")
  printf '%14s  %8s  %9s   %s\n' "$per" "$ratio" "$calls" "$name"
done

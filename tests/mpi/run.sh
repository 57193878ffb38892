#!/usr/bin/env bash
# kimsim simulate (and compare --replications) over MPI ranks gives the bytes of a run in one
# process, and a failing replication is reported once, with the exit code a single process gives.
# Usage: run.sh MPIEXEC KIMSIM ROOT
set -u
mpiexec=$1 kimsim=$2 root=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Open MPI refuses root without these (CI runs as root); more ranks than cores is fine here.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fail=0
scenario=$root/scenarios/kim-nrw-2021.yaml
"$kimsim" simulate "$scenario" -n 301 --threads 2 --quiet --out "$tmp/one" || fail=1
# Ranks take chunks from a shared counter: whichever rank runs which chunk, every file is the
# same (the manifest but its time and command line), for any ranks x threads.
strip_manifest() { grep -v -E '"(time_utc|command_line)"' "$1"; }
for rt in 2x1 3x1 2x2; do
  ranks=${rt%x*} threads=${rt#*x}
  "$mpiexec" -n $ranks "$kimsim" simulate "$scenario" -n 301 --threads $threads --quiet --out "$tmp/mpi$rt" || fail=1
  for f in simulation.csv summary.json report.html; do
    cmp -s "$tmp/one/$f" "$tmp/mpi$rt/$f" || { echo "$ranks ranks x $threads threads: $f differs from one process"; fail=1; }
  done
  cmp -s <(strip_manifest "$tmp/one/manifest.json") <(strip_manifest "$tmp/mpi$rt/manifest.json") ||
    { echo "$ranks ranks x $threads threads: manifest.json differs beyond time and command line"; fail=1; }
done
# An error in a replication: the same message, once, and exit code 2.
# The scenario of the golden case simulate-error-in-replication (a patch over a base), written at
# the case's depth below a link to scenarios/, which its data paths ../../../../scenarios/ reach.
mkdir -p "$tmp/repo/tests/cli/cases/simulate-error-in-replication"
ln -s "$root/scenarios" "$tmp/repo/scenarios"
bad=$tmp/repo/tests/cli/cases/simulate-error-in-replication/bad.yaml
python3 "$root/tests/cli/overlay.py" "$root/tests/cli/cases/simulate-error-in-replication/bad.yaml.patch" "$bad" || fail=1
"$kimsim" simulate "$bad" -n 50 --threads 1 --quiet --out "$tmp/bad1" 2>"$tmp/err1"
code1=$?
"$mpiexec" -n 3 "$kimsim" simulate "$bad" -n 50 --threads 1 --quiet --out "$tmp/bad3" 2>"$tmp/err3" >/dev/null
code3=$?
[ "$code1" = 2 ] || { echo "one process: exit $code1, expected 2"; fail=1; }
[ "$code3" = 2 ] || { echo "3 ranks: exit $code3, expected 2"; fail=1; }
n=$(grep -c "kimsim simulate: error: " "$tmp/err3")
[ "$n" = 1 ] || { echo "3 ranks: the error is printed $n times"; cat "$tmp/err3"; fail=1; }
grep -qF "$(cat "$tmp/err1")" "$tmp/err3" || { echo "3 ranks: another error than one process"; fail=1; }
[ ! -e "$tmp/bad3" ] || { echo "3 ranks: a failed run wrote results"; fail=1; }
# A rank that fails alone before the simulation (its node lacks the file): no rank waits for it;
# its error is printed once.
cat >"$tmp/wrap.sh" <<'WRAP'
#!/usr/bin/env bash
kimsim=$1; shift
if [ "${OMPI_COMM_WORLD_RANK:-0}" = 1 ]; then exec "$kimsim" simulate /nonexistent/kim.yaml "${@:3}"; fi
exec "$kimsim" "$@"
WRAP
chmod +x "$tmp/wrap.sh"
timeout 120 "$mpiexec" -n 3 "$tmp/wrap.sh" "$kimsim" simulate "$scenario" -n 30 --threads 1 --quiet --out "$tmp/alone" 2>"$tmp/err_alone" >/dev/null
code=$?
[ "$code" = 2 ] || { echo "one rank failing alone: exit $code, expected 2 (124: it hung)"; fail=1; }
n=$(grep -c "kimsim simulate: error: /nonexistent/kim.yaml" "$tmp/err_alone")
[ "$n" = 1 ] || { echo "one rank failing alone: its error is printed $n times"; cat "$tmp/err_alone"; fail=1; }
# More ranks than replications: the empty shares neither fail nor change the bytes.
"$mpiexec" -n 4 "$kimsim" simulate "$scenario" -n 3 --threads 1 --quiet --out "$tmp/few4" || fail=1
"$kimsim" simulate "$scenario" -n 3 --threads 1 --quiet --out "$tmp/few1" || fail=1
cmp -s "$tmp/few1/simulation.csv" "$tmp/few4/simulation.csv" || { echo "4 ranks, 3 replications: output differs"; fail=1; }
# compare --replications: the same reduction, the same bytes for 1 and 3 ranks.
variant=$root/scenarios/variants/rate-57000.yaml
"$kimsim" compare "$scenario" "$variant" -n 101 --seed 5 --threads 2 --out "$tmp/cmp1" >/dev/null || fail=1
"$mpiexec" -n 3 "$kimsim" compare "$scenario" "$variant" -n 101 --seed 5 --threads 1 --out "$tmp/cmp3" >/dev/null || fail=1
for f in compare_mc.csv compare.json compare.csv; do
  cmp -s "$tmp/cmp1/$f" "$tmp/cmp3/$f" || { echo "compare, 3 ranks: $f differs from one process"; fail=1; }
done
# sweep: the points in chunks over the ranks, the same bytes as one process (a Monte Carlo sweep
# and one with detail.csv); a refused point under --fail-fast is the lowest, reported once.
cases=$root/tests/cli/cases
for sw in sweep-monte-carlo/mc.yaml sweep-detail/d.yaml; do
  "$kimsim" sweep "$cases/$sw" --threads 2 --quiet --out "$tmp/sw1" || fail=1
  "$mpiexec" -n 3 "$kimsim" sweep "$cases/$sw" --threads 1 --quiet --out "$tmp/sw3" || fail=1
  for f in sweep.csv summary.json detail.csv report.html; do
    [ -e "$tmp/sw1/$f" ] || continue
    cmp -s "$tmp/sw1/$f" "$tmp/sw3/$f" || { echo "sweep $sw, 3 ranks: $f differs from one process"; fail=1; }
  done
  rm -rf "$tmp/sw1" "$tmp/sw3"
done
"$kimsim" sweep "$cases/sweep-fail-fast/r.yaml" --fail-fast --threads 1 --quiet --out "$tmp/ff1" 2>"$tmp/ff1.err"
code1=$?
"$mpiexec" -n 3 "$kimsim" sweep "$cases/sweep-fail-fast/r.yaml" --fail-fast --threads 1 --quiet --out "$tmp/ff3" 2>"$tmp/ff3.err" >/dev/null
code3=$?
[ "$code1" = 2 ] && [ "$code3" = 2 ] || { echo "sweep --fail-fast: exit $code1 (one process), $code3 (3 ranks), expected 2"; fail=1; }
[ "$(grep -c 'kimsim sweep: error: point 1: ' "$tmp/ff3.err")" = 1 ] || { echo "sweep --fail-fast, 3 ranks: not point 1 once"; cat "$tmp/ff3.err"; fail=1; }
grep -qF "$(cat "$tmp/ff1.err")" "$tmp/ff3.err" || { echo "sweep --fail-fast, 3 ranks: another error than one process"; fail=1; }
[ ! -e "$tmp/ff3" ] || { echo "sweep --fail-fast, 3 ranks: a failed run wrote results"; fail=1; }
[ $fail = 0 ] && echo "mpi: 2x1, 3x1, 2x2 and 4 ranks byte-identical to one process (simulate; compare --replications and sweep with 3); errors reported once, also from a rank failing alone"
exit $fail

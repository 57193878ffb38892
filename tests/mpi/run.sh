#!/usr/bin/env bash
# kimsim simulate over MPI ranks gives the bytes of a run in one process, and a failing
# replication is reported once, with the exit code a single process gives.
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
for ranks in 2 3; do
  "$mpiexec" -n $ranks "$kimsim" simulate "$scenario" -n 301 --threads 1 --quiet --out "$tmp/mpi$ranks" || fail=1
  for f in simulation.csv summary.json; do
    cmp -s "$tmp/one/$f" "$tmp/mpi$ranks/$f" || { echo "$ranks ranks: $f differs from one process"; fail=1; }
  done
done
# An error in a replication: the same message, once, and exit code 2.
bad=$root/tests/cli/cases/simulate-error-in-replication/bad.yaml
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
[ $fail = 0 ] && echo "mpi: 2 and 3 ranks byte-identical to one process; errors reported once"
exit $fail

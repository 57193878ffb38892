#!/usr/bin/env bash
# Wall and CPU seconds of kimsim simulate (KIM NRW 2021, N replications) as 1 process x 1 and 2
# threads and as 1 and 2 MPI ranks x 1 thread, alternating, 3 rounds, with the load average at
# each start: on a shared machine the CPU seconds show what the chunks and ranks cost, the wall
# seconds what the neighbours left. Usage: bench/cluster_cpu.sh [N]  (KIMSIM=... to choose the binary)
# With KIND=sweep: kimsim sweep of the baseline over a grid of about N deterministic points
# (budget x B2 rate), compared by sweep.csv.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
root=$(cd "$(dirname "$0")/.." && pwd)
k=${KIMSIM:-$root/build/kimsim} s=$root/scenarios/kim-nrw-2021.yaml n=${1:-200000}
echo "round config wall_s user_s sys_s load"
t=$(mktemp -d)
kind=${KIND:-simulate} out=simulation.csv
if [ "$kind" = sweep ]; then
  out=sweep.csv
  steps=$(python3 -c "import math; print(max(2, math.isqrt($n)))")
  cat >"$t/sweep.yaml" <<EOF
sweep: bench
base: $s
parameters:
  - {path: budget_eur, range: [45000000, 75000000], steps: $steps}
  - {path: "bausteine[B2].rate_per_vza_eur", range: [50000, 62000], steps: $steps}
EOF
fi
for round in 1 2 3; do
  for c in 1x1 1x2 mpi1x1 mpi2x1; do
    case $c in
      1x1) cmd=("$k" simulate "$s" -n $n --threads 1) ;;
      1x2) cmd=("$k" simulate "$s" -n $n --threads 2) ;;
      mpi1x1) cmd=(mpirun -n 1 --bind-to none "$k" simulate "$s" -n $n --threads 1) ;;
      mpi2x1) cmd=(mpirun -n 2 --bind-to none "$k" simulate "$s" -n $n --threads 1) ;;
    esac
    if [ "$kind" = sweep ]; then  # the same launcher and threads, the sweep instead
      i=$(printf '%s\n' "${cmd[@]}" | grep -n -x -m1 simulate | cut -d: -f1)
      cmd=("${cmd[@]:0:i-1}" sweep "$t/sweep.yaml" --threads "${cmd[-1]}")
    fi
    cmd+=(--quiet --out "$t/$c")
    l=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "$round $c %e %U %S load=$l" "${cmd[@]}" 2>&1 | tail -1
    cmp -s "$t/1x1/$out" "$t/$c/$out" || echo "$c DIFFERS"
    [ $c = 1x1 ] || rm -rf "${t:?}/$c"

  done
done
rm -rf "$t"

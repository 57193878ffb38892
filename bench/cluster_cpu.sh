#!/usr/bin/env bash
# Wall and CPU seconds of kimsim simulate (KIM NRW 2021, N replications) as 1 process x 1 and 2
# threads and as 1 and 2 MPI ranks x 1 thread, alternating, 3 rounds, with the load average at
# each start: on a shared machine the CPU seconds show what the chunks and ranks cost, the wall
# seconds what the neighbours left. Usage: bench/cluster_cpu.sh [N]  (KIMSIM=... to choose the binary)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
root=$(cd "$(dirname "$0")/.." && pwd)
k=${KIMSIM:-$root/build/kimsim} s=$root/scenarios/kim-nrw-2021.yaml n=${1:-200000}
echo "round config wall_s user_s sys_s load"
t=$(mktemp -d)
for round in 1 2 3; do
  for c in 1x1 1x2 mpi1x1 mpi2x1; do
    case $c in
      1x1) cmd=("$k" simulate "$s" -n $n --threads 1 --quiet --out "$t/$c") ;;
      1x2) cmd=("$k" simulate "$s" -n $n --threads 2 --quiet --out "$t/$c") ;;
      mpi1x1) cmd=(mpirun -n 1 --bind-to none "$k" simulate "$s" -n $n --threads 1 --quiet --out "$t/$c") ;;
      mpi2x1) cmd=(mpirun -n 2 --bind-to none "$k" simulate "$s" -n $n --threads 1 --quiet --out "$t/$c") ;;
    esac
    l=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "$round $c %e %U %S load=$l" "${cmd[@]}" 2>&1 | tail -1
    cmp -s "$t/1x1/simulation.csv" "$t/$c/simulation.csv" || echo "$c DIFFERS"
    [ $c = 1x1 ] || rm -rf "${t:?}/$c"

  done
done
rm -rf "$t"

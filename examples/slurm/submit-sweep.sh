#!/bin/bash
# Submits a sweep as a job array of N slices and the merge that runs once all have succeeded.
#   examples/slurm/submit-sweep.sh SWEEP.yaml OUT_DIR N [more sbatch options...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sweep=${1:?usage: submit-sweep.sh SWEEP.yaml OUT_DIR N}
out=${2:?usage: submit-sweep.sh SWEEP.yaml OUT_DIR N}
n=${3:?usage: submit-sweep.sh SWEEP.yaml OUT_DIR N}
shift 3
array=$(sbatch --parsable --array="1-$n" "$@" "$here/sweep-array.sbatch" "$sweep" "$out")
array=${array%%;*}  # "JOBID;CLUSTER" on federated clusters
merge=$(sbatch --parsable --dependency="afterok:$array" "$here/sweep-merge.sbatch" "$out" "$n")
echo "kimsim: sweep array $array ($n slices), merge $merge -> $out/merged"

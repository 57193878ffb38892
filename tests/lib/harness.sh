# Sourced first by tests/checkpoint/run.sh and tests/slurm/run.sh, with their arguments
# KIMSIM ROOT [MPIEXEC] and the test's name in $test: the binary under test, the source tree, the
# MPI launcher (empty: no MPI part), a temporary folder removed at the end (kept where KEEP is set),
# Open MPI allowed as root and oversubscribed, and problem(): a failure noted, the test goes on.
kimsim=$(realpath "$1")
root=$(realpath "$2")
mpiexec=${3:-}
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fail=0
problem() {
  echo "$test: $*"
  fail=1
}

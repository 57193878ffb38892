#!/usr/bin/env bash
# Peer comparison of kimsim's Monte Carlo against a NumPy implementation of the same model
# (bench/peers/numpy/kim_mc.py): checks the deterministic allocation row by row against kimsim's
# allocation.csv, compares Monte Carlo means within their standard errors, times both sides on one
# thread, and writes results/bench/numpy.md.
#
# Usage: bench/peers/numpy/run.sh [-n N] [--repeats K] [--chunk C] [--seed S]
# Assumes build/kimsim is built (scripts/build.sh). Needs Debian's python3 with numpy
# (apt-get install python3-numpy); set PYTHON to use another interpreter. About 15 s at N = 20,000.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
py="${PYTHON:-/usr/bin/python3}"
if ! "$py" -c 'import numpy' 2>/dev/null; then
  echo "run.sh: $py has no numpy (apt-get install python3-numpy, or set PYTHON)" >&2
  exit 2
fi
[ -x build/kimsim ] || { echo "run.sh: build/kimsim is missing; build first (scripts/build.sh)" >&2; exit 2; }
# One thread on both sides: kimsim gets --threads 1, numpy's BLAS (the few small matrix products)
# gets one thread. The machine-tuning OpenBLAS variables are dropped for the timed run.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export KIM_MC_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
exec "$py" bench/peers/numpy/kim_mc.py --root "$root" --md results/bench/numpy.md \
  --command "bench/peers/numpy/run.sh${*:+ $*}" "$@"

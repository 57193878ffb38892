#!/bin/sh
# Usage: tests/needed.sh BINARY. Fails where the binary links MPI's C++ bindings (Open MPI's
# libmpi_cxx, MPICH's libmpicxx): kimsim calls MPI's C functions only, and every library linked is
# mapped, relocated and initialised at every start, MPI or not (libmpi_cxx cost each process its
# 427 symbol look-ups and its constructors; perf.md § 43).
set -eu
command -v readelf >/dev/null || { echo "needed.sh: needs readelf (binutils)" >&2; exit 2; }
needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
status=0
for lib in $needed; do
  case "$lib" in
    libmpi_cxx.* | libmpicxx.*)
      echo "needed.sh: $1 links $lib, MPI's C++ bindings, which kimsim does not call (build with MPI_CXX_SKIP_MPICXX and --as-needed)" >&2
      status=1 ;;
  esac
done
[ $status -eq 0 ] && echo "linked:" $needed
exit $status

#!/bin/sh
# Usage: tests/runpath.sh BINARY. Fails where the binary's run path (RUNPATH or RPATH) has an
# empty or relative entry: the dynamic loader reads one against the folder the program runs from,
# so a library of a linked name that happens to lie there would be loaded into kimsim.
set -eu
command -v readelf >/dev/null || { echo "runpath.sh: needs readelf (binutils)" >&2; exit 2; }
paths=$(readelf -d "$1" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]$/\1/p')
status=0
for p in $paths; do
  # An entry is one of the colon-separated parts; a leading, trailing or doubled colon is an empty one.
  rest="$p:"
  while [ -n "$rest" ]; do
    entry=${rest%%:*}
    rest=${rest#*:}
    case "$entry" in
      /* | '$ORIGIN'*) ;;
      *) echo "runpath.sh: $1 has the run path '$p' with the entry '$entry': the folder kimsim runs from" >&2; status=1 ;;
    esac
  done
done
[ $status -eq 0 ] && echo "run path: ${paths:-none}"
exit $status

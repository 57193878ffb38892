#!/usr/bin/env bash
# Golden-file tests of the kimsim command line. Each case is a folder under tests/cli/cases/ with
#   cmd        the arguments (one line, run from the case folder; $OUT is a fresh empty folder and
#              $ROOT the repository root)
#   stdout     expected standard output (exact; the value of $OUT reads as '$OUT')
#   stderr     expected standard error (exact)
#   exit       expected exit code
#   expected/  optional: files that the command must write into $OUT, byte for byte
# Set KIMSIM_BLESS=1 to rewrite the expected files from the current output (review the diff), and
# KIMSIM_CASES to a shell pattern (e.g. 'run-out-*') to run only the cases whose names match.
set -u
kimsim=$(realpath "$1")
root=$2
ROOT=$(realpath "$root/../..")
export ROOT
pass=0
fail=0
for case in "$root"/cases/*/; do
  case=${case%/}
  name=$(basename "$case")
  # shellcheck disable=SC2053
  [[ $name == ${KIMSIM_CASES:-*} ]] || continue
  args=$(cat "$case/cmd")
  OUT=$(mktemp -d)
  export OUT
  out=$(mktemp) errf=$(mktemp)
  (cd "$case" && eval "\"$kimsim\" $args") >"$out" 2>"$errf"
  code=$?
  sed -i "s|$OUT|\$OUT|g" "$out" "$errf"
  if [ "${KIMSIM_BLESS:-0}" = 1 ]; then
    cp "$out" "$case/stdout"; cp "$errf" "$case/stderr"; echo "$code" >"$case/exit"
    if [ -d "$case/expected" ]; then
      for f in "$case"/expected/*; do cp "$OUT/$(basename "$f")" "$f" 2>/dev/null || rm -f "$f"; done
    fi
  fi
  ok=1
  diff -u "$case/stdout" "$out" >/dev/null || { ok=0; echo "--- $name: stdout differs"; diff -u "$case/stdout" "$out" | head -20; }
  diff -u "$case/stderr" "$errf" >/dev/null || { ok=0; echo "--- $name: stderr differs"; diff -u "$case/stderr" "$errf" | head -20; }
  [ "$(cat "$case/exit")" = "$code" ] || { ok=0; echo "--- $name: exit $code, expected $(cat "$case/exit")"; }
  if [ -d "$case/expected" ]; then
    for f in "$case"/expected/*; do
      diff -u "$f" "$OUT/$(basename "$f")" >/dev/null || { ok=0; echo "--- $name: $(basename "$f") differs"; diff -u "$f" "$OUT/$(basename "$f")" | head -20; }
    done
  fi
  rm -rf "$out" "$errf" "$OUT"
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "cli golden: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]

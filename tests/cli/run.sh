#!/usr/bin/env bash
# Golden-file tests of the kimsim command line. Each case is a folder under tests/cli/cases/ with
#   cmd       the arguments (one line; $CASE is the case folder, run from the case folder)
#   stdout    expected standard output (exact)
#   stderr    expected standard error (exact)
#   exit      expected exit code
# Set KIMSIM_BLESS=1 to rewrite the expected files from the current output.
set -u
kimsim=$(realpath "$1")
root=$2
pass=0
fail=0
for case in "$root"/cases/*/; do
  case=${case%/}
  name=$(basename "$case")
  args=$(cat "$case/cmd")
  out=$(mktemp) errf=$(mktemp)
  (cd "$case" && eval "\"$kimsim\" $args") >"$out" 2>"$errf"
  code=$?
  if [ "${KIMSIM_BLESS:-0}" = 1 ]; then
    cp "$out" "$case/stdout"; cp "$errf" "$case/stderr"; echo "$code" >"$case/exit"
  fi
  ok=1
  diff -u "$case/stdout" "$out" >/dev/null || { ok=0; echo "--- $name: stdout differs"; diff -u "$case/stdout" "$out" | head -20; }
  diff -u "$case/stderr" "$errf" >/dev/null || { ok=0; echo "--- $name: stderr differs"; diff -u "$case/stderr" "$errf" | head -20; }
  [ "$(cat "$case/exit")" = "$code" ] || { ok=0; echo "--- $name: exit $code, expected $(cat "$case/exit")"; }
  rm -f "$out" "$errf"
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "cli golden: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]

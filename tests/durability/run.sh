#!/usr/bin/env bash
# Durability of the result writer, seen through the LD_PRELOAD shim in shim.cpp:
#   1. each file of a result and then its folder are flushed to the disk before the swap, the
#      parent folder after it (into a new folder, over a previous result, and with two renames
#      where renameat2 is missing);
#   2. a flush that fails at any step fails the run: exit 2 with the operating system's reason,
#      the previous results kept byte for byte where the swap had not happened, nothing left behind;
#   3. a file put into the folder while kimsim writes stays where it was put;
#   4. Permission denied on reading and on writing is reported with the reason (injected).
# Usage: run.sh KIMSIM SHIM ROOT
set -u
kimsim=$(realpath "$1")
shim=$(realpath "$2")
scenario=$(realpath "$3")/scenarios/kim-nrw-2021.yaml
work=$(realpath "$(mktemp -d)")
trap 'rm -rf "$work"' EXIT
failures=0
problem() {
  echo "durability: $*"
  failures=$((failures + 1))
}
line_of() { grep -n -x -F "$2" "$1" | head -1 | cut -d: -f1; }

# check_order LOG TARGET HOW: HOW is "renameat2" or "rename", the call that moved the new results in.
check_order() {
  local log=$1 target=$2 how=$3 swap tmp at folder parent
  swap=$(grep -n -E "^$how $target\.partial\.[0-9]+\.[0-9a-f]{16} $target( [0-9]+)?\$" "$log" | tail -1 | cut -d: -f1)
  if [ -z "$swap" ]; then
    problem "$how: no swap into $target"; cat "$log"; return
  fi
  tmp=$(sed -n "${swap}p" "$log" | cut -d' ' -f2)
  folder=$(line_of "$log" "fsync $tmp")
  [ -n "$folder" ] && [ "$folder" -lt "$swap" ] || problem "$how: the new folder was not flushed before the swap"
  for f in allocation.csv summary.json manifest.json; do
    at=$(line_of "$log" "fsync $tmp/$f")
    [ -n "$at" ] && [ -n "$folder" ] && [ "$at" -lt "$folder" ] || problem "$how: $f was not flushed before its folder"
  done
  parent=$(grep -n -x -F "fsync $(dirname "$target")" "$log" | tail -1 | cut -d: -f1)
  [ -n "$parent" ] && [ "$parent" -gt "$swap" ] || problem "$how: the parent folder was not flushed after the swap"
}

out=$work/out
mkdir "$out"
target=$out/res
# 1. Into a new folder, then over the previous result, then with two renames.
KIMSIM_SHIM_LOG=$work/new.log LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" >/dev/null || problem "first run failed"
check_order "$work/new.log" "$target" renameat2
KIMSIM_SHIM_LOG=$work/over.log LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" >/dev/null || problem "second run failed"
check_order "$work/over.log" "$target" renameat2
grep -q -E "^renameat2 .* $target 2\$" "$work/over.log" || problem "the previous result was not exchanged in one step"
KIMSIM_SHIM_NO_RENAMEAT2=1 KIMSIM_SHIM_LOG=$work/two.log LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" >/dev/null ||
  problem "run without renameat2 failed"
check_order "$work/two.log" "$target" rename
[ "$(ls -A "$out")" = res ] || problem "leftovers after the runs: $(ls -A "$out")"

# 2. Each flush of a replacing run fails in turn.
flushes=$(grep -c '^fsync ' "$work/over.log")
swap=$(grep -n -E "^renameat2 .* $target 2\$" "$work/over.log" | cut -d: -f1)
before=$(head -n "$swap" "$work/over.log" | grep -c '^fsync ')
[ "$flushes" -ge 5 ] || problem "only $flushes flushes in a run"
for how in exchange two-renames; do
  for ((n = 1; n <= flushes; n++)); do
    rm -rf "$work/kept" && cp -a "$target" "$work/kept"
    if [ $how = two-renames ]; then export KIMSIM_SHIM_NO_RENAMEAT2=1; else unset KIMSIM_SHIM_NO_RENAMEAT2; fi
    KIMSIM_SHIM_FAIL_FSYNC=$n LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" >/dev/null 2>"$work/err"
    code=$?
    [ $code = 2 ] || problem "$how, flush $n failed: exit $code, expected 2"
    grep -q "Input/output error" "$work/err" || problem "$how, flush $n failed: the reason is not named: $(cat "$work/err")"
    if [ "$n" -le "$before" ] && ! diff -r "$work/kept" "$target" >/dev/null; then
      problem "$how, flush $n (before the swap) failed: the previous results changed"
    fi
    for f in allocation.csv summary.json manifest.json; do
      [ -s "$target/$f" ] || problem "$how, flush $n failed: $f is missing"
    done
    [ "$(ls -A "$out")" = res ] || problem "$how, flush $n failed: leftovers $(ls -A "$out")"
  done
done
unset KIMSIM_SHIM_NO_RENAMEAT2

# 3. Someone puts a file into the folder while kimsim writes: it stays where it was put, and the
#    run says what happened (exit 2). Into an empty folder and over a result, with and without
#    renameat2 (then the new results are in place and the old ones are left aside, with the file).
for how in exchange two-renames; do
  for into in empty result; do
    rm -rf "$out" && mkdir "$out"
    if [ $into = empty ]; then mkdir "$target"; else "$kimsim" run "$scenario" --out "$target" >/dev/null; fi
    if [ $how = two-renames ]; then export KIMSIM_SHIM_NO_RENAMEAT2=1; else unset KIMSIM_SHIM_NO_RENAMEAT2; fi
    KIMSIM_SHIM_BEFORE_SWAP="echo thesis > '$target/thesis.txt'" LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" \
      >/dev/null 2>"$work/err"
    code=$?
    [ $code = 2 ] || problem "$how, $into, a file put in meanwhile: exit $code, expected 2"
    kept=$(find "$out" -name thesis.txt -exec cat {} \;)
    [ "$kept" = thesis ] || problem "$how, $into, a file put in meanwhile: it is gone"
    if [ $how = exchange ] || [ $into = empty ]; then
      [ "$(cat "$target/thesis.txt" 2>/dev/null)" = thesis ] || problem "$how, $into: the file was moved: $(ls -A "$out")"
      [ "$(ls -A "$out")" = res ] || problem "$how, $into: leftovers $(ls -A "$out")"
    fi
    grep -q "changed by someone else\|Directory not empty" "$work/err" || problem "$how, $into: not said: $(cat "$work/err")"
  done
done
unset KIMSIM_SHIM_NO_RENAMEAT2
# 4. Permission denied (injected: file modes do not stop root, who runs CI): reading the scenario,
#    a data file, or a file of the previous result, and creating a result file, each fail with
#    exit 2 and the reason; a previous result stays as it was, nothing is left behind.
rm -rf "$out" && mkdir "$out"
"$kimsim" run "$scenario" --out "$target" >/dev/null || problem "run before the denied ones failed"
rm -rf "$work/kept" && cp -a "$target" "$work/kept"
# A data file the scenario reads: it names its base (kim-nrw.yaml, the dated baseline), which names the files.
data=$(grep -oh 'file: *data/[A-Za-z0-9_.-]*\.csv' "$scenario" "$(dirname "$scenario")/kim-nrw.yaml" | head -1)
[ -n "$data" ] || problem "no data file found in $scenario or its base"
for name in "$(basename "$scenario")" "$(basename "$data")" summary.json; do
  KIMSIM_SHIM_DENY=$name LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$target" >/dev/null 2>"$work/err"
  code=$?
  [ $code = 2 ] || problem "denied $name: exit $code, expected 2"
  grep -q "$name.*Permission denied" "$work/err" || problem "denied $name: the file and the reason are not named: $(cat "$work/err")"
  diff -r "$work/kept" "$target" >/dev/null || problem "denied $name: the previous results changed"
  [ "$(ls -A "$out")" = res ] || problem "denied $name: leftovers $(ls -A "$out")"
done
# Into a new folder: creating the result file is what fails; nothing is left behind.
KIMSIM_SHIM_DENY=summary.json LD_PRELOAD=$shim "$kimsim" run "$scenario" --out "$out/new" >/dev/null 2>"$work/err"
code=$?
[ $code = 2 ] || problem "denied creating summary.json: exit $code, expected 2"
grep -q "summary.json.*Permission denied" "$work/err" || problem "denied creating summary.json: not named: $(cat "$work/err")"
[ "$(ls -A "$out")" = res ] || problem "denied creating summary.json: leftovers $(ls -A "$out")"

echo "durability: $flushes flushes per run checked, $failures problems"
[ $failures = 0 ]

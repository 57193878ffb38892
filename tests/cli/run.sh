#!/usr/bin/env bash
# Golden-file tests of the kimsim command line. Each case is a folder under tests/cli/cases/ with
#   cmd        the arguments (one line, run from the case folder; $OUT is a fresh empty folder,
#              $ROOT the repository root and $SCENARIOS a copy of its scenarios/, see below)
#   stdout     expected standard output (exact; the value of $OUT reads as '$OUT')
#   stderr     expected standard error (exact)
#   exit       expected exit code
#   expected/  optional: files that the command must write into $OUT, byte for byte
#   NAME.patch optional: the file NAME (a scenario) as a base of tests/cli/bases/ plus the lines
#              that differ (tests/cli/overlay.py says how); written next to the case's other files
#              before the command runs, so that it runs on, and its messages point into, the whole
#              scenario. `tests/cli/overlay.py cases/C/bad.yaml.patch` prints it.
# Each case runs in a copy of its folder at the same depth below a mirror of the repository (links
# to everything else), so that relative paths such as ../../../../scenarios/data/... reach the
# same files and the source tree is not written to. A failing case's copy is kept, with the
# scenario that ran and the actual output (actual.stdout, actual.stderr, actual.exit; actual/ the
# files compared with expected/, masked; out/ what the command wrote into $OUT), under
# KIMSIM_CLI_FAILED (default: cli-failed/ beside the kimsim binary).
#
# The SHA-256 of a scenario shipped in scenarios/ reads as '@sha256:scenarios/NAME.yaml@' in the
# output: a comment edited in a shipped scenario does not break the goldens of the runs over it,
# and the hash is still checked, since only the file's true SHA-256 turns into the placeholder.
#
# Set KIMSIM_BLESS=1 to rewrite the expected files from the current output (review the diff), and
# KIMSIM_CASES to a shell pattern (e.g. 'run-out-*') to run only the cases whose names match.
set -u
kimsim=$(realpath "$1")
root=$(realpath "$2")
ROOT=$(realpath "$root/../..")
export ROOT
failed_dir=${KIMSIM_CLI_FAILED:-$(dirname "$kimsim")/cli-failed}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The mirror: the repository's entries as links, with real folders down to tests/cli/cases.
mirror=$work/repo
link_all_but() {  # link_all_but FROM TO NAME: TO/* links to FROM/* except NAME, a real folder
  mkdir -p "$2/$3"
  for e in "$1"/* "$1"/.[!.]*; do
    [ -e "$e" ] && [ "${e##*/}" != "$3" ] && ln -s "$e" "$2/"
  done
}
link_all_but "$ROOT" "$mirror" tests
link_all_but "$ROOT/tests" "$mirror/tests" cli
link_all_but "$ROOT/tests/cli" "$mirror/tests/cli" cases
# The cases, copied, with the scenarios of their patches written (one Python for all of them).
rmdir "$mirror/tests/cli/cases"
cp -a "$root/cases" "$mirror/tests/cli/cases"
patches=("$mirror"/tests/cli/cases/*/*.patch)
[ -e "${patches[0]}" ] && python3 "$root/overlay.py" --beside "${patches[@]}"

# $SCENARIOS: a copy of scenarios/ for the cases that edit one, with kim-nrw-2021.yaml as frozen
# in tests/cli/bases/ (its data paths as in scenarios/): their messages point at its lines, which
# must not move when a comment of the shipped file changes.
SCENARIOS=$work/scenarios
export SCENARIOS
cp -r "$ROOT/scenarios" "$SCENARIOS"
sed 's|\.\./\.\./\.\./\.\./scenarios/data/|data/|' "$root/bases/kim-nrw-2021.yaml" >"$SCENARIOS/kim-nrw-2021.yaml"

# sed expressions turning the SHA-256 of each shipped scenario into its placeholder, and the
# repository's path into $ROOT (a scenario that extends another names its base by the path it
# was reached by: `run $ROOT/scenarios/kim-nrw-2021.yaml` gives $ROOT/scenarios/kim-nrw.yaml).
mask=(-e "s|$ROOT/|\$ROOT/|g")
for f in "$ROOT"/scenarios/*.yaml; do
  mask+=(-e "s|$(sha256sum "$f" | cut -d' ' -f1)|@sha256:scenarios/${f##*/}@|g")
done

pass=0
fail=0
for case in "$root"/cases/*/; do
  case=${case%/}
  name=${case##*/}
  # shellcheck disable=SC2053
  [[ $name == ${KIMSIM_CASES:-*} ]] || continue
  here=$mirror/tests/cli/cases/$name
  ok=1
  for p in "$here"/*.patch; do
    [ -e "$p" ] && [ ! -e "${p%.patch}" ] && { ok=0; echo "--- $name: ${p##*/} does not apply (see above)"; }
  done
  args=$(cat "$case/cmd")
  OUT=$(mktemp -d)
  export OUT
  out=$here/actual.stdout errf=$here/actual.stderr
  (cd "$here" && eval "\"$kimsim\" $args") >"$out" 2>"$errf"
  code=$?
  echo "$code" >"$here/actual.exit"
  sed -i -e "s|$OUT|\$OUT|g" "${mask[@]}" "$out" "$errf"
  # The files written, masked like the output (copies: the command's own files stay as written).
  mkdir "$here/actual"
  if [ -d "$case/expected" ]; then
    for f in "$case"/expected/*; do
      w=$OUT/${f##*/}
      [ -f "$w" ] && sed "${mask[@]}" "$w" >"$here/actual/${f##*/}"
    done
  fi
  if [ "${KIMSIM_BLESS:-0}" = 1 ]; then
    cp "$out" "$case/stdout"; cp "$errf" "$case/stderr"; echo "$code" >"$case/exit"
    if [ -d "$case/expected" ]; then
      for f in "$case"/expected/*; do cp "$here/actual/${f##*/}" "$f" 2>/dev/null || rm -f "$f"; done
    fi
  fi
  diff -u "$case/stdout" "$out" >/dev/null || { ok=0; echo "--- $name: stdout differs"; diff -u "$case/stdout" "$out" | head -20; }
  diff -u "$case/stderr" "$errf" >/dev/null || { ok=0; echo "--- $name: stderr differs"; diff -u "$case/stderr" "$errf" | head -20; }
  [ "$(cat "$case/exit")" = "$code" ] || { ok=0; echo "--- $name: exit $code, expected $(cat "$case/exit")"; }
  if [ -d "$case/expected" ]; then
    for f in "$case"/expected/*; do
      a=$here/actual/${f##*/}
      diff -u "$f" "$a" >/dev/null 2>&1 || { ok=0; echo "--- $name: ${f##*/} differs"; diff -u "$f" "$a" | head -20; }
    done
  fi
  rm -rf "${failed_dir:?}/$name"
  if [ $ok = 0 ]; then
    mkdir -p "$failed_dir"
    cp -a "$OUT" "$here/out"
    cp -a "$here" "$failed_dir/$name"
    echo "    kept: $failed_dir/$name (the case as it ran: its scenario, actual.*, actual/ masked, out/ = \$OUT)"
  fi
  rm -rf "$here" "$OUT"
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "cli golden: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]

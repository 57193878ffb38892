#!/usr/bin/env bash
# Runs a kimsim libFuzzer harness for a bounded time on a corpus seeded with the shipped files.
#   fuzz/run.sh [--fresh] HARNESS SECONDS CORPUS_DIR [libFuzzer options...]
# HARNESS is the path of fuzz_scenario, fuzz_csv, fuzz_apportion or fuzz_sweep (build-fuzz/fuzz/). CORPUS_DIR
# keeps what the fuzzer finds between runs (a long campaign grows it); --fresh empties it first, so that a run
# with a fixed -seed= starts from the same state every time (ctest does this). Crashes, leaks and
# timeouts are written next to it, in CORPUS_DIR.artifacts/, and make the script fail.
set -euo pipefail
fresh=0
if [ "${1:-}" = --fresh ]; then fresh=1; shift; fi
if [ $# -lt 3 ]; then
  sed -n '2,7s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
harness=$(realpath "$1") seconds=$2 corpus=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
name=$(basename "$harness")
name=${name#fuzz_}

case $name in
  scenario) seeds=("$root"/scenarios/*.yaml "$root"/tests/cli/cases/*/*.yaml "$root"/tests/cli/cases/*/*.yaml.patch
                    "$here"/corpus/scenario/*) ;;
  csv) seeds=("$root"/scenarios/data/*.csv "$root"/tests/data/published/*.csv "$root"/tests/cli/cases/*/*.csv
              "$here"/corpus/csv/*) ;;
  apportion) seeds=("$root"/tests/cli/cases/bip*/*.csv "$root"/tests/cli/cases/biproportional*/*.csv
                    "$root"/tests/cli/cases/err-biproportional*/*.csv "$here"/corpus/apportion/*) ;;
  sweep) seeds=("$root"/scenarios/sweeps/*.yaml "$root"/tests/cli/cases/sweep*/*.yaml "$here"/corpus/sweep/*) ;;
  *) echo "fuzz/run.sh: unknown harness '$name'" >&2; exit 2 ;;
esac

[ $fresh = 1 ] && rm -rf "$corpus"
mkdir -p "$corpus" "$corpus.artifacts"
# Seeds are named by their path, so that the many bad.yaml of tests/cli/cases stay apart.
for s in "${seeds[@]}"; do
  [ -f "$s" ] || continue
  rel=${s#"$root"/}
  if [ "$name" = apportion ]; then
    # The harness reads its options from the first byte: each file as sainte-lague with ties
    # order (\002) and as dhondt with ties lot, seed 0 (\005).
    for opt in 002 005; do
      [ -e "$corpus/seed-$opt-${rel//\//_}" ] || { printf "\\$opt"; cat "$s"; } >"$corpus/seed-$opt-${rel//\//_}"
    done
    continue
  fi
  if [[ $s == *.yaml.patch ]]; then  # a golden case's scenario as a base plus a patch: the scenario
    seed=$corpus/seed-${rel//\//_}
    [ -e "${seed%.patch}" ] || python3 "$root/tests/cli/overlay.py" "$s" "${seed%.patch}"
    continue
  fi
  cp -n "$s" "$corpus/seed-${rel//\//_}"
done

# -timeout: an input that takes this long is a hang (the slowest seed takes milliseconds).
# -rss_limit_mb: the loaders must not need more for inputs of a few kilobytes.
exec "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$here/$name.dict" -artifact_prefix="$corpus.artifacts/" "$@" "$corpus"

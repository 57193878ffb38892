#!/usr/bin/env bash
# report.html byte for byte from two builds of kimsim: the reports of the shipped scenarios (a
# run of every scenario and variant in German and English, a simulation in both, a dated
# simulation, a compare of three scenarios, a compare --replications in both), written by each
# build and compared, the build's commit in the footer and the data island masked. For a change
# of the renderer that must not change the page (a refactoring, a speed-up).
#   scripts/report-bytes.sh OLD_KIMSIM NEW_KIMSIM
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reports() {  # reports KIMSIM OUT
  local k=$1 out=$2 S=$root/scenarios f n l
  mkdir -p "$out"
  for f in "$S"/*.yaml "$S"/variants/*.yaml; do
    n=$(basename "$f" .yaml)
    for l in de en; do "$k" run "$f" --lang $l --out "$work/w" >/dev/null; cp "$work/w/report.html" "$out/run-$n-$l.html"; done
  done
  for l in de en; do
    "$k" simulate "$S/kim-nrw-2021.yaml" -n 50 --seed 1 --threads 1 --quiet --lang $l --out "$work/w" >/dev/null; cp "$work/w/report.html" "$out/simulate-$l.html"
    "$k" compare "$S/kim-nrw-2021.yaml" "$S/variants/budget-75m.yaml" --replications 50 --seed 1 --threads 1 --lang $l --out "$work/w" >/dev/null
    cp "$work/w/report.html" "$out/compare-mc-$l.html"
  done
  "$k" simulate "$root/tests/cli/cases/variant-dated-simulate/dated.yaml" --threads 1 --quiet --out "$work/w" >/dev/null; cp "$work/w/report.html" "$out/simulate-dated.html"
  "$k" compare "$S/kim-nrw-2021.yaml" "$S/variants/budget-75m.yaml" "$S/variants/b2-fluag-key.yaml" --out "$work/w" >/dev/null; cp "$work/w/report.html" "$out/compare.html"
}
reports "$(realpath "$1")" "$work/old"
reports "$(realpath "$2")" "$work/new"
mask() { sed -E 's|(Commit <code>)[^<]*|\1@commit@|; s|"kimsim_commit":"[^"]*"|"kimsim_commit":"@commit@"|' "$1"; }
n=0 differ=0
for f in "$work"/old/*.html; do
  n=$((n + 1))
  if ! cmp -s <(mask "$f") <(mask "$work/new/$(basename "$f")"); then echo "differs: $(basename "$f")"; differ=$((differ + 1)); fi
done
echo "report-bytes: $n reports, $differ differ"
[ $differ = 0 ]

#!/usr/bin/env bash
# The reports in a real browser: writes a run, a simulation and a compare of the KIM NRW 2021
# baseline, the shipped sweep rate-and-key and a calibration of the baseline's B2 to the shipped
# observations, then tests/browser/check.mjs opens each report.html in Debian's chromium (headless,
# through the DevTools protocol). Screenshots land in results/browser/.
#   run.sh KIMSIM ROOT
# Needs node with tests/browser/node_modules (`scripts/setup.sh --test` runs `npm ci`; no browser
# is downloaded), chromium and pdftotext (poppler-utils). Where one is missing or Chromium cannot
# start, the test is skipped (exit 77) with the reason — except in CI (CI set) or as root, where
# that is a failure: there the set-up installs them.
set -u
kimsim=$(realpath "$1")
root=$(realpath "$2")
here=$root/tests/browser
strict=0
{ [ -n "${CI:-}" ] || [ "$(id -u)" = 0 ]; } && strict=1
unavailable() {
  if [ $strict = 1 ]; then echo "browser: FAIL: $1 (in CI or as root the browser test must run; scripts/setup.sh --test installs it)"; exit 1; fi
  echo "browser: SKIPPED: $1"; exit 77
}
chromium=${KIMSIM_CHROMIUM:-$(command -v chromium || true)}
[ -n "$chromium" ] || unavailable "chromium is not installed"
command -v node >/dev/null || unavailable "node is not installed"
command -v pdftotext >/dev/null || unavailable "pdftotext (poppler-utils) is not installed"
[ -d "$here/node_modules/puppeteer-core" ] || unavailable "tests/browser/node_modules is missing (npm ci in tests/browser)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base=$root/scenarios/kim-nrw-2021.yaml
"$kimsim" run "$base" --out "$work/run" >/dev/null || { echo "browser: kimsim run failed"; exit 1; }
"$kimsim" simulate "$base" -n 200 --seed 1 --threads 1 --quiet --out "$work/simulate" >/dev/null || { echo "browser: kimsim simulate failed"; exit 1; }
"$kimsim" compare "$base" "$root/scenarios/variants/budget-75m.yaml" --replications 200 --seed 1 --threads 1 --out "$work/compare" >/dev/null || { echo "browser: kimsim compare failed"; exit 1; }
"$kimsim" sweep "$root/scenarios/sweeps/rate-and-key.yaml" --quiet --out "$work/sweep" >/dev/null || { echo "browser: kimsim sweep failed"; exit 1; }
"$kimsim" calibrate "$base" --baustein B2 --observed "$root/scenarios/data/observed_positions.csv" --out "$work/calibrate" >/dev/null ||
  { echo "browser: kimsim calibrate failed"; exit 1; }
reports=(run:"$work/run")
[ -f "$work/simulate/report.html" ] && reports+=(simulate:"$work/simulate")
[ -f "$work/compare/report.html" ] && reports+=(compare:"$work/compare")
[ -f "$work/sweep/report.html" ] && reports+=(sweep:"$work/sweep")
[ -f "$work/calibrate/report.html" ] && reports+=(calibrate:"$work/calibrate")
node "$here/check.mjs" "$chromium" "$root/results/browser" "${reports[@]}"
code=$?
if [ $code = 77 ]; then unavailable "Chromium did not start"; fi
exit $code

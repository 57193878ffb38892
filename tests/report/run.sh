#!/usr/bin/env bash
# Goldens of report.html's data island: the JSON of <script type="application/json" id="data">
# taken out of the page, pretty-printed, and compared with a file of tests/report/:
#   kim-nrw-2021.json             kimsim run on the KIM NRW 2021 baseline (the whole island);
#   compare-mc-budget-75m.json    kimsim compare of the baseline with variants/budget-75m.yaml
#                                 --replications 200 --seed 1: the island's Monte Carlo section;
#   calibrate-kim-nrw-2021-B2.json kimsim calibrate of the baseline's B2 to the shipped observations
#                                 (scenarios/data/observed_positions.csv; the whole island).
# The commit and the scenario's SHA-256 read as placeholders (they change with every commit and
# every comment in the scenario; the manifest checks them).
# KIMSIM_BLESS=1 rewrites the goldens from the current output (review the diff).
#   run.sh KIMSIM ROOT
set -eu
kimsim=$(realpath "$1")
root=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kimsim" run "$root/scenarios/kim-nrw-2021.yaml" --out "$work/run" >/dev/null
"$kimsim" compare "$root/scenarios/kim-nrw-2021.yaml" "$root/scenarios/variants/budget-75m.yaml" --replications 200 --seed 1 \
  --threads 1 --out "$work/compare" >/dev/null
"$kimsim" calibrate "$root/scenarios/kim-nrw-2021.yaml" --baustein B2 --observed "$root/scenarios/data/observed_positions.csv" \
  --out "$work/calibrate" >/dev/null
# island.py REPORT OUT ROOT [KEY]: the island (or its entry KEY) of REPORT, as the goldens hold it.
cat >"$work/island.py" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
if not m:
    sys.exit("report-data: " + sys.argv[1] + " has no data island")
# The checkout's path (in a variant's chain, the calibration's observations file) as a placeholder.
data = json.loads(m.group(1).replace(sys.argv[3] + "/", "$ROOT/"))
data["provenance"]["kimsim_commit"] = "@commit@"
data["provenance"]["scenario_sha256"] = "@sha256:scenarios/kim-nrw-2021.yaml@"
# The base the scenario extends, by the path it was reached by: the checkout's, as a placeholder.
if "extends" in data["provenance"]:
    data["provenance"]["extends"] = [p.replace(sys.argv[3] + "/", "$ROOT/") for p in data["provenance"]["extends"]]
if len(sys.argv) > 4:
    if sys.argv[4] not in data:
        sys.exit("report-data: " + sys.argv[1] + " has no " + sys.argv[4] + " in its data island")
    data = {sys.argv[4]: data[sys.argv[4]]}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
PY
python3 "$work/island.py" "$work/run/report.html" "$work/kim-nrw-2021.json" "$root"
python3 "$work/island.py" "$work/compare/report.html" "$work/compare-mc-budget-75m.json" "$root" monte_carlo
python3 "$work/island.py" "$work/calibrate/report.html" "$work/calibrate-kim-nrw-2021-B2.json" "$root"
status=0
for name in kim-nrw-2021.json compare-mc-budget-75m.json calibrate-kim-nrw-2021-B2.json; do
  golden=$root/tests/report/$name
  if [ "${KIMSIM_BLESS:-0}" = 1 ]; then cp "$work/$name" "$golden"; fi
  if ! diff -u "$golden" "$work/$name"; then
    echo "report-data: the data island differs from $golden (KIMSIM_BLESS=1 to rewrite it, then review the diff)"
    status=1
  else
    echo "report-data: the data island equals $golden"
  fi
done
exit $status

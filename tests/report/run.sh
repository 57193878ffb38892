#!/usr/bin/env bash
# Golden of report.html's data island: kimsim run on the KIM NRW 2021 baseline, the JSON of
# <script type="application/json" id="data"> taken out of the page, pretty-printed, and compared
# with tests/report/kim-nrw-2021.json. The commit and the scenario's SHA-256 read as placeholders
# (they change with every commit and every comment in the scenario; the manifest checks them).
# KIMSIM_BLESS=1 rewrites the golden from the current output (review the diff).
#   run.sh KIMSIM ROOT
set -eu
kimsim=$(realpath "$1")
root=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kimsim" run "$root/scenarios/kim-nrw-2021.yaml" --out "$work/run" >/dev/null
python3 - "$work/run/report.html" "$work/island.json" "$root" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
if not m:
    sys.exit("report-data: report.html has no data island")
data = json.loads(m.group(1))
data["provenance"]["kimsim_commit"] = "@commit@"
data["provenance"]["scenario_sha256"] = "@sha256:scenarios/kim-nrw-2021.yaml@"
# The base the scenario extends, by the path it was reached by: the checkout's, as a placeholder.
if "extends" in data["provenance"]:
    data["provenance"]["extends"] = [p.replace(sys.argv[3] + "/", "$ROOT/") for p in data["provenance"]["extends"]]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
PY
golden=$root/tests/report/kim-nrw-2021.json
if [ "${KIMSIM_BLESS:-0}" = 1 ]; then cp "$work/island.json" "$golden"; fi
if ! diff -u "$golden" "$work/island.json"; then
  echo "report-data: the data island differs from $golden (KIMSIM_BLESS=1 to rewrite it, then review the diff)"
  exit 1
fi
echo "report-data: the data island equals $golden"

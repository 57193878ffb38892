#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Until the KIM NRW scenario runner lands, the main job is the apportionment calculator on the
# 2021 Bundestag seat contingents of the Länder (Sainte-Laguë, 598 seats, published by the
# Bundeswahlleiter): the output must equal the published seats.
grep -v '^#' tests/data/published/de_bundestag_2021_sitzkontingente.csv | cut -d, -f1,2 >build/bundestag2021.csv
build/kimsim apportion --method sainte-lague --seats 598 build/bundestag2021.csv

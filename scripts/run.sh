#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the KIM NRW 2021 baseline scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build/kimsim run scenarios/kim-nrw-2021.yaml

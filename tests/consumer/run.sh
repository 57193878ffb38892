#!/usr/bin/env bash
# Installs kimsim from a build folder into a fresh prefix, then builds and runs a project that
# finds it with find_package(kimsim) and links kimsim::core. Usage: run.sh BUILD_DIR
set -eu
build=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/kimsim"
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"

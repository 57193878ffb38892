#!/usr/bin/env bash
# The what-if page of `kimsim serve` in Debian's chromium (tests/browser/serve.mjs).
#   serve.sh KIMSIM ROOT
# Needs node with tests/browser/node_modules and chromium, as run.sh; skipped (exit 77) where one
# is missing, except in CI or as root, where that is a failure.
set -u
kimsim=$(realpath "$1")
root=$(realpath "$2")
strict=0
{ [ -n "${CI:-}" ] || [ "$(id -u)" = 0 ]; } && strict=1
unavailable() {
  if [ $strict = 1 ]; then echo "serve-browser: FAIL: $1"; exit 1; fi
  echo "serve-browser: SKIPPED: $1"; exit 77
}
chromium=${KIMSIM_CHROMIUM:-$(command -v chromium || true)}
[ -n "$chromium" ] || unavailable "chromium is not installed"
command -v node >/dev/null || unavailable "node is not installed"
[ -d "$root/tests/browser/node_modules/puppeteer-core" ] || unavailable "tests/browser/node_modules is missing (npm ci in tests/browser)"
node "$root/tests/browser/serve.mjs" "$chromium" "$kimsim" "$root"

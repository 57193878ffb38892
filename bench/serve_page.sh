#!/usr/bin/env bash
# The what-if page's response to a change, in a real browser: from the input event of a control
# (the B2 rate slider, a B2 key weight slider) to the updated table in the DOM, N changes of
# each, p50/p95/p99. The issue's "within 100 ms" is recorded here (results/bench/serve.md), not
# asserted in a test. Markdown on stdout.
#
# Usage: bench/serve_page.sh [-n N]     (default 200 changes of each control)
#   KIMSIM=path/to/kimsim (default build/kimsim, a Release build), KIMSIM_CHROMIUM=path (default
#   chromium on PATH); node with tests/browser/node_modules (npm ci in tests/browser), as the
#   browser tests use them.
# E.g. bench/serve_page.sh -n 200 >> results/bench/serve.md
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kimsim=${KIMSIM:-$root/build/kimsim}
chromium=${KIMSIM_CHROMIUM:-$(command -v chromium || true)}
n=200
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift 2 ;;
    *) echo "serve_page.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$kimsim" ] || { echo "serve_page.sh: no kimsim at $kimsim (build it, or set KIMSIM)" >&2; exit 1; }
[ -n "$chromium" ] || { echo "serve_page.sh: chromium is not installed (or set KIMSIM_CHROMIUM)" >&2; exit 1; }
command -v node >/dev/null || { echo "serve_page.sh: node is not installed" >&2; exit 1; }
[ -d "$root/tests/browser/node_modules/puppeteer-core" ] ||
  { echo "serve_page.sh: tests/browser/node_modules is missing (npm ci in tests/browser)" >&2; exit 1; }

echo "# The what-if page: from a control's input event to the updated table"
echo
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs"
echo "- kimsim: $("$kimsim" --version), $chromium ($("$chromium" --version 2>/dev/null | head -1)), node $(node --version)"
echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- command: bench/serve_page.sh -n $n"
echo
node "$root/bench/serve_page.mjs" "$chromium" "$kimsim" "$root" "$n"
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."

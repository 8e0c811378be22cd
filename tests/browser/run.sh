#!/usr/bin/env bash
# The HTML reports in a real browser: makes one report of each kind with the CLI (a saved run
# re-analyzed, a local run of every power value ("ALL", at a 5% cold-start rate), an adaptive run with a monthly
# projection, and a comparison of the two), then checks them in headless Chromium
# (check.mjs). Screenshots go to $BROWSER_OUT (default target/browser).
#   tests/browser/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tests/browser/setup.sh
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p powertune
powertune="$target/debug/powertune"
out="${BROWSER_OUT:-$target/browser}"
mkdir -p "$out"

"$powertune" analyze examples/analyze/sample-run.json --output json --html "$out/analyzed.html" >/dev/null
"$powertune" tune --local examples/functions/cpu-bound --num 5 --power-values ALL \
  --payload '{"iterations": 4000000}' --cold-start-rate 0.05 --output json --json "$out/all.json" --html "$out/all.html" >/dev/null 2>&1
"$powertune" tune --local examples/functions/cpu-bound --num 40 --adaptive \
  --power-values 128,256,512,1024,1769,3008 --payload '{"iterations": 2000000}' \
  --monthly-invocations 3000000 --output json --json "$out/adaptive.json" --html "$out/adaptive.html" >/dev/null 2>&1
"$powertune" compare "$out/all.json" "$out/adaptive.json" --labels 'every power value,adaptive' \
  --output json --html "$out/compare.html" >/dev/null

node tests/browser/check.mjs "$out" "$out/analyzed.html" "$out/all.html" "$out/adaptive.html" "$out/compare.html"

#!/usr/bin/env bash
# How stable is the recommendation? Tunes one local function RUNS times with statistical ties
# (the default) and RUNS times with --exact-ties, and prints how often each power value was
# picked, the modal pick's share (stability) and the tied sets. A first, hand-run piece of the
# decision benchmark (issue 11); figures go to BENCHMARKS.md.
#
# usage: scripts/decision-stability.sh FUNCTION RUNS [powertune tune flags...]
# example: scripts/decision-stability.sh examples/functions/cpu-bound 20 --num 10 --power-values 128,512,1024,1769,3008
set -euo pipefail
function_path="${1:?usage: $0 FUNCTION RUNS [flags...]}"
runs="${2:?usage: $0 FUNCTION RUNS [flags...]}"
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build -q --release -p powertune --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/powertune"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for mode in ties exact; do
  extra=()
  if [ "$mode" = exact ]; then extra=(--exact-ties); fi
  : > "$out/$mode.picks"
  for i in $(seq 1 "$runs"); do
    "$bin" tune --local "$function_path" "$@" "${extra[@]}" --json "$out/$mode-$i.json" >/dev/null 2>&1
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["power"], d.get("equivalent", ""))' "$out/$mode-$i.json" >> "$out/$mode.picks"
  done
  echo "== $mode ($runs runs)"
  cut -d' ' -f1 "$out/$mode.picks" | sort -n | uniq -c | sort -rn | awk -v n="$runs" 'NR == 1 { printf "stability: %.0f%% (modal pick %s MB)\n", 100 * $1 / n, $2 } { printf "  %s MB picked %d times\n", $2, $1 }'
  if [ "$mode" = ties ]; then
    echo "  tied sets:"; cut -d' ' -f2- "$out/$mode.picks" | sort | uniq -c | sed 's/^/   /'
  fi
done

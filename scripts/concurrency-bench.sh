#!/usr/bin/env bash
# Local runs with power values side by side (the default) against one at a time
# (--one-at-a-time): tunes one function RUNS times in each mode, alternating the modes so that
# both see the same machine, and prints each mode's median wall time, their ratio, the median
# 128 MB / 1769 MB ratio of p50 durations (fidelity: Lambda's is 13.82 for CPU-bound work, 1 for
# waiting), and the picks. Figures go to BENCHMARKS.md.
#
# usage: scripts/concurrency-bench.sh FUNCTION RUNS [powertune tune flags...]
# example: scripts/concurrency-bench.sh examples/functions/cpu-bound 3 --num 10 --power-values 128,512,1024,1769,3008
set -euo pipefail
function_path="${1:?usage: $0 FUNCTION RUNS [flags...]}"
runs="${2:?usage: $0 FUNCTION RUNS [flags...]}"
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build -q -p powertune --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/powertune"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for i in $(seq 1 "$runs"); do
  for mode in shared one; do
    extra=()
    if [ "$mode" = one ]; then extra=(--one-at-a-time); fi
    start=$(date +%s.%N)
    if ! "$bin" tune --local "$function_path" "$@" ${extra[@]+"${extra[@]}"} --include-output-results \
      --json "$out/$mode-$i.json" >/dev/null 2>"$out/$mode-$i.err"; then
      cat "$out/$mode-$i.err" >&2
      exit 1
    fi
    end=$(date +%s.%N)
    echo "$start $end" > "$out/$mode-$i.time"
  done
done

python3 - "$out" "$runs" <<'EOF'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
medians = {}
for mode in ("shared", "one"):
    walls, ratios, picks = [], [], []
    for i in range(1, runs + 1):
        start, end = map(float, open(f"{out}/{mode}-{i}.time").read().split())
        walls.append(end - start)
        doc = json.load(open(f"{out}/{mode}-{i}.json"))
        p50 = {s["value"]: s["durationStats"]["p50"] for s in doc["stats"] if s.get("durationStats")}
        if 128 in p50 and 1769 in p50:
            ratios.append(p50[128] / p50[1769])
        picks.append(doc["power"])
    medians[mode] = statistics.median(walls)
    ratio = f"{statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)})" if ratios else "-"
    print(f"{mode:>6}: wall {statistics.median(walls):.1f} s (runs {', '.join(f'{w:.1f}' for w in walls)}); 128/1769 p50 {ratio}; picks {picks}")
print(f"side by side / one at a time: {medians['shared'] / medians['one']:.2f}")
EOF

#!/usr/bin/env bash
# End-to-end: builds the step binaries, the CLI and the target functions for this host, and runs
# the scenarios of tests/e2e/src/main.rs in lanes: each lane has its own powertune emulator and
# moto_server (Step Functions, S3, IAM; its Lambda tasks routed to that emulator through
# MOTO_PORT) and its own deployed stack, and takes the next scenario no lane has claimed yet, so
# the lanes share the work however long each scenario takes. Most of a scenario's time is
# waiting (retry intervals, moto's interpreter), which lanes overlap.
#   tests/e2e/run.sh [scenario ...]
# POWERTUNE_E2E_LANES sets the number of lanes (default 4: 125 s for the 51 scenarios on 2 cores
# in CI, 2026-12-05; for 39 scenarios, 152 s with 3 lanes; for 35, 137 s with 3, 211 s with 2 and
# 426 s with 1).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
lanes="${POWERTUNE_E2E_LANES:-4}"

bash tests/moto/setup.sh >/dev/null
cargo build --quiet -p powertune-steps --bins -p powertune -p picky -p memory-hungry -p noop -p io-bound -p powertune-e2e
bins="$target/debug"

work="$(mktemp -d)"
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/claims"

# Starts lane $1's emulator and moto, at $emulator and $moto.
start_lane() {
  local lane="$1" emulator_out="$work/emulator-$1.out" port moto_port
  "$bins/powertune" emulator --port 0 >"$emulator_out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do
    [ -s "$emulator_out" ] && break
    sleep 0.1
  done
  emulator="$(head -n1 "$emulator_out")"
  port="${emulator##*:}"
  moto_port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  MOTO_PORT="$port" nohup "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" \
    >"${TMPDIR:-/tmp}/powertune-e2e-moto-$lane.log" 2>&1 &
  pids+=($!)
  moto="http://127.0.0.1:$moto_port"
  for _ in $(seq 1 100); do
    curl -sf "$moto/moto-api/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  # Step Functions really executes the definition; Lambda runs in our emulator, not in Docker.
  curl -sf -X POST "$moto/moto-api/config" \
    -d '{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}' >/dev/null
}

started=$SECONDS
drivers=()
for lane in $(seq 1 "$lanes"); do
  start_lane "$lane"
  echo "lane $lane: emulator $emulator, moto $moto"
  PATH="$root/.venv/bin:$PATH" \
  POWERTUNE_ROOT="$root" POWERTUNE_BINS="$bins" POWERTUNE_EMULATOR="$emulator" POWERTUNE_MOTO="$moto" \
  POWERTUNE_E2E_CLAIMS="$work/claims" POWERTUNE_E2E_LANE="$lane" \
    "$bins/powertune-e2e" "$@" >"$work/lane-$lane.log" 2>&1 &
  drivers+=($!)
done
failed=0
for driver in "${drivers[@]}"; do
  wait "$driver" || failed=1
done
for lane in $(seq 1 "$lanes"); do
  cat "$work/lane-$lane.log"
done
echo "all lanes: $((SECONDS - started)) s"
exit "$failed"

#!/usr/bin/env bash
# End-to-end: builds the step binaries, the CLI and the target functions for this host, starts
# the powertune emulator and moto_server (Step Functions, S3, IAM; its Lambda tasks routed to the
# emulator through MOTO_PORT), and runs the scenarios of tests/e2e/src/main.rs.
#   tests/e2e/run.sh [scenario ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

bash tests/moto/setup.sh >/dev/null
cargo build --quiet -p powertune-steps --bins -p powertune -p picky -p memory-hungry -p noop -p powertune-e2e
bins="$target/debug"

cleanup() {
  [ -n "${emulator_pid:-}" ] && kill "$emulator_pid" 2>/dev/null || true
  [ -n "${moto_pid:-}" ] && kill "$moto_pid" 2>/dev/null || true
}
trap cleanup EXIT

# The emulator first: moto needs its port.
emulator_out="$(mktemp)"
"$bins/powertune" emulator --port 0 >"$emulator_out" 2>/dev/null &
emulator_pid=$!
for _ in $(seq 1 100); do
  [ -s "$emulator_out" ] && break
  sleep 0.1
done
emulator="$(head -n1 "$emulator_out")"
emulator_port="${emulator##*:}"

moto_port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_PORT="$emulator_port" nohup "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"${TMPDIR:-/tmp}/powertune-e2e-moto.log" 2>&1 &
moto_pid=$!
moto="http://127.0.0.1:$moto_port"
for _ in $(seq 1 100); do
  curl -sf "$moto/moto-api/" >/dev/null 2>&1 && break
  sleep 0.1
done
# Step Functions really executes the definition; Lambda runs in our emulator, not in Docker.
curl -sf -X POST "$moto/moto-api/config" \
  -d '{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}' >/dev/null

echo "emulator $emulator, moto $moto"
PATH="$root/.venv/bin:$PATH" \
POWERTUNE_ROOT="$root" POWERTUNE_BINS="$bins" POWERTUNE_EMULATOR="$emulator" POWERTUNE_MOTO="$moto" \
  "$bins/powertune-e2e" "$@"

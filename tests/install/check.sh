#!/usr/bin/env bash
# Installing powertune without cloning it, as a user would: `cargo install --path crates/cli`,
# and the Python wheel (maturin, bindings = "bin") built, installed into a fresh venv and run:
# `powertune --version` and one local tuning of the Python example from it.
#
# Both build with the debug profile, which reuses the build the tests made: what this proves is
# that the packages install and run, not how fast an optimized build is (a release build with
# LTO from nothing took 9 min 23 s of a cold CI run; a user's install does it once).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== cargo install --path crates/cli"
cargo install --quiet --locked --debug --path crates/cli --root "$work/cargo-root"
"$work/cargo-root/bin/powertune" --version

echo "== the Python wheel (maturin)"
# shellcheck source=tests/tools/install.sh
source tests/tools/install.sh
python_venv .venv-install tests/install/requirements.txt maturin
.venv-install/bin/maturin build --quiet --profile dev --locked -m crates/cli/Cargo.toml -o "$work/wheels" 2>&1 | grep -v '^$' | tail -n 2
wheel="$(ls "$work"/wheels/powertune-*.whl)"
echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
"$work/venv/bin/powertune" --version
"$work/venv/bin/powertune" tune --local examples/functions/python-cpu --handler app.handler \
  --num 5 --power-values 128,1769 --payload '{"iterations": 200000}' --output json > "$work/run.json"
python3 - "$work/run.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["power"] in (128, 1769), doc
print(f"the wheel's powertune tuned the Python example: {doc['power']} MB recommended")
PY

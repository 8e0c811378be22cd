#!/usr/bin/env bash
# Builds the seven arm64 bootstraps as `sam build` does, with cargo-lambda and zig installed from
# PyPI into .venv-tools (no Docker), and reports how long it took.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-tools"
bash "$root/tests/tools/setup.sh" >/dev/null
"$venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda==1.9.2 ziglang==0.17.0
export PATH="$venv/bin:$PATH"
rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
cd "$root"
start=$SECONDS
SAM_CLI_TELEMETRY=0 sam build --beta-features --build-dir "${BUILD_DIR:-.aws-sam/build}"
echo "sam build: $((SECONDS - start)) s"
file "${BUILD_DIR:-.aws-sam/build}"/*/bootstrap

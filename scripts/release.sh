#!/usr/bin/env bash
# The release builds, one artifact kind per call, into dist/. The release workflow
# (.github/workflows/release.yml) runs them on each platform's runner; each also runs here.
#
#   scripts/release.sh binary   the powertune binary for this host, as dist/powertune-VERSION-TARGET.tar.gz
#                               (Linux: linked against glibc 2.17 with cargo-zigbuild, so it runs on
#                               any Linux distribution of the last decade)
#   scripts/release.sh wheel    the pip wheel in dist/wheels (maturin, the binary only; Linux:
#                               manylinux2014 with zig)
#   scripts/release.sh sar      the seven step bootstraps for arm64 (scripts/build-arm64.sh) and the
#                               SAR package: `sam package` to S3_BUCKET as dist/packaged.yaml
#
# Needs the Rust toolchain and python3; installs what else it needs into .venv-release (maturin,
# ziglang, cargo-zigbuild) or .venv-tools (sam, cargo-lambda).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p dist
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
host="$(rustc -vV | sed -n 's/^host: //p')"
venv="$root/.venv-release"

tools() {
  if [ ! -x "$venv/bin/maturin" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      maturin==1.16.0 ziglang==0.17.1 cargo-zigbuild==0.24.1
  fi
  export PATH="$venv/bin:$PATH"
}

case "${1:-}" in
  binary)
    tools
    case "$host" in
      *-linux-gnu)
        cargo zigbuild --release --locked -p powertune --target "$host.2.17"
        binary="${CARGO_TARGET_DIR:-target}/$host/release/powertune"
        ;;
      *)
        cargo build --release --locked -p powertune
        binary="${CARGO_TARGET_DIR:-target}/release/powertune"
        ;;
    esac
    staging="$(mktemp -d)"
    trap 'rm -rf "$staging"' EXIT
    name="powertune-$version-$host"
    mkdir "$staging/$name"
    cp "$binary" README.md LICENSE "$staging/$name/"
    tar -C "$staging" -czf "dist/$name.tar.gz" "$name"
    "$staging/$name/powertune" --version
    echo "dist/$name.tar.gz"
    ;;
  wheel)
    tools
    case "$host" in
      *-linux-gnu) extra=(--zig --compatibility manylinux2014) ;;
      *) extra=() ;;
    esac
    maturin build --release --locked -m crates/cli/Cargo.toml -o dist/wheels ${extra[@]+"${extra[@]}"}
    ls dist/wheels/*.whl
    ;;
  sar)
    : "${S3_BUCKET:?set S3_BUCKET: the bucket sam package uploads the code and definition to}"
    bash scripts/build-arm64.sh
    SAM_CLI_TELEMETRY=0 .venv-tools/bin/sam package --s3-bucket "$S3_BUCKET" \
      --region "${AWS_REGION:-us-east-1}" --output-template-file dist/packaged.yaml
    .venv-tools/bin/python tests/tools/translate.py dist/packaged.yaml
    ;;
  *)
    echo "usage: scripts/release.sh binary|wheel|sar" >&2
    exit 2
    ;;
esac

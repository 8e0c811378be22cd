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
#   scripts/release.sh check-version [TAG]
#                               one version everywhere: the workspace's (Cargo.toml, which the
#                               crates and the wheel take), template.yaml's SemanticVersion and the
#                               CDK app's default agree, and TAG (v1.2.3) names it; fails, saying
#                               which disagree, before anything is built
#
# RELEASE_PROFILE=dev builds the binary and the wheel with the debug profile for this host only
# (no zig, no glibc 2.17 target): what CI runs to prove the script, reusing the tests' build.
#
# Needs the Rust toolchain and python3; installs what else it needs into .venv-release (maturin,
# ziglang, cargo-zigbuild) or .venv-tools (sam, cargo-lambda).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p dist
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
host="$(rustc -vV | sed -n 's/^host: //p')"
# Resolved: .ci/run links it to a cache outside the clone, and venv refuses a link.
venv="$(realpath -m "$root/.venv-release")"

# maturin for the wheel; for a release build, zig and cargo-zigbuild too (the Linux targets).
tools() {
  local wanted=(maturin==1.16.0) check="$venv/bin/maturin"
  if [ "$profile" = release ]; then
    wanted+=(ziglang==0.17.1 cargo-zigbuild==0.24.1)
    check="$venv/bin/cargo-zigbuild"
  fi
  if [ ! -x "$check" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${wanted[@]}"
  fi
  export PATH="$venv/bin:$PATH"
}

profile="${RELEASE_PROFILE:-release}"
case "$profile" in
  release) profile_dir=release ;;
  dev) profile_dir=debug ;;
  *) echo "RELEASE_PROFILE must be release or dev, not $profile" >&2; exit 2 ;;
esac

# Every place that states the version, and what it states.
versions() {
  echo "Cargo.toml (the crates and the wheel): $version"
  echo "template.yaml SemanticVersion: $(sed -n 's/^ *SemanticVersion: *//p' template.yaml)"
  echo "deploy/cdk/bin/powertune.ts default: $(sed -n "s/.*context('semanticVersion') ?? '\(.*\)'.*/\1/p" deploy/cdk/bin/powertune.ts)"
}

case "${1:-}" in
  check-version)
    tag="${2:-}"
    problems=0
    while IFS= read -r line; do
      stated="${line##*: }"
      if [ "$stated" != "$version" ]; then
        echo "version mismatch: $line (the workspace says $version)" >&2
        problems=1
      fi
    done < <(versions)
    if [ -n "$tag" ] && [ "$tag" != "v$version" ]; then
      echo "version mismatch: the tag is $tag, the tree is v$version (set the version in Cargo.toml, template.yaml and deploy/cdk/bin/powertune.ts, then tag)" >&2
      problems=1
    fi
    if [ "$problems" = 0 ]; then
      echo "one version everywhere: $version${tag:+ (tag $tag)}"
    fi
    exit "$problems"
    ;;
  binary)
    if [ "$profile" = release ]; then
      tools
    fi
    case "$profile-$host" in
      release-*-linux-gnu)
        cargo zigbuild --release --locked -p powertune --target "$host.2.17"
        binary="${CARGO_TARGET_DIR:-target}/$host/release/powertune"
        ;;
      *)
        cargo build --profile "$profile" --locked -p powertune
        binary="${CARGO_TARGET_DIR:-target}/$profile_dir/powertune"
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
    case "$profile-$host" in
      release-*-linux-gnu) extra=(--zig --compatibility manylinux2014) ;;
      *) extra=() ;;
    esac
    maturin build --profile "$profile" --locked -m crates/cli/Cargo.toml -o dist/wheels ${extra[@]+"${extra[@]}"}
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
    echo "usage: scripts/release.sh binary|wheel|sar|check-version [TAG]" >&2
    exit 2
    ;;
esac

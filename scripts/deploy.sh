#!/usr/bin/env bash
# Builds the seven step functions for arm64 and deploys the stack.
#
#   scripts/deploy.sh [STACK_NAME] [S3_BUCKET] [extra sam deploy arguments...]
#
# STACK_NAME defaults to $STACK_NAME, then "powertune"; S3_BUCKET to $S3_BUCKET, and when both are
# empty sam creates and uses its managed bucket. Needs sam, cargo-lambda and zig (see README).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stack="${1:-${STACK_NAME:-powertune}}"
bucket="${2:-${S3_BUCKET:-}}"
shift $(( $# > 2 ? 2 : $# ))

sam build --beta-features
if [ -n "$bucket" ]; then
  sam deploy --stack-name "$stack" --s3-bucket "$bucket" --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset "$@"
else
  sam deploy --stack-name "$stack" --resolve-s3 --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset "$@"
fi

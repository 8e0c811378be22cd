#!/usr/bin/env bash
# Packages the application and publishes it to the AWS Serverless Application Repository.
#
#   scripts/publish.sh S3_BUCKET [REGION]
#
# S3_BUCKET holds the packaged code; SAR must be allowed to read it (bucket policy for
# serverlessrepo.amazonaws.com). REGION defaults to $AWS_REGION, then us-east-1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bucket="${1:-${S3_BUCKET:-}}"
region="${2:-${AWS_REGION:-us-east-1}}"
if [ -z "$bucket" ]; then
  echo "usage: scripts/publish.sh S3_BUCKET [REGION]" >&2
  exit 2
fi

sam build --beta-features
sam package --s3-bucket "$bucket" --region "$region" --output-template-file packaged.yaml
sam publish --template packaged.yaml --region "$region"

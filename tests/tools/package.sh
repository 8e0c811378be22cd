#!/usr/bin/env bash
# The SAM deploy path through AWS's own tools: `sam package` uploads the template's local
# artifacts (every CodeUri, the state machine's DefinitionUri, the SAR app's LICENSE and README)
# to S3 and rewrites their places as S3 locations, which is what `sam deploy` and `sam publish`
# submit to CloudFormation; tests/tools/translate.py then runs AWS's SAM transform on that output
# as it is.
#
# S3 is moto's (POWERTUNE_MOTO_ENDPOINT, from tests/moto/start.sh). The template is packaged from
# a copy of what it references, with a stand-in bootstrap as the functions' code: `sam build`
# (cargo-lambda, arm64) only changes which directory each CodeUri names, and what the code is does
# not matter to the transform. Needs tests/tools/setup.sh first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${POWERTUNE_MOTO_ENDPOINT:?start moto first: eval \"\$(bash tests/moto/start.sh)\"}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/app/statemachine"
cp "$root/template.yaml" "$root/LICENSE" "$root/README.md" "$work/app/"
cp "$root/statemachine/statemachine.asl.json" "$work/app/statemachine/"
printf '#!/bin/sh\n' > "$work/app/bootstrap"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL_S3="$POWERTUNE_MOTO_ENDPOINT" SAM_CLI_TELEMETRY=0
bucket="powertune-package-$$"
"$root/.venv-tools/bin/python" - "$bucket" <<'PY'
import sys, boto3
boto3.client("s3").create_bucket(Bucket=sys.argv[1])
PY
(cd "$work/app" && "$root/.venv-tools/bin/sam" package --template-file template.yaml \
  --s3-bucket "$bucket" --region us-east-1 --output-template-file "$work/packaged.yaml" >/dev/null)
"$root/.venv-tools/bin/python" "$root/tests/tools/translate.py" "$work/packaged.yaml"

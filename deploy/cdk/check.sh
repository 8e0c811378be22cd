#!/usr/bin/env bash
# CI for the CDK app: installs its pinned packages, compiles it, runs its tests (the props are
# checked as the template checks its parameters), synthesizes both options offline (the SAM
# template included, with stand-in bootstraps; the SAR app nested), runs AWS's SAM transform on
# exactly what it synthesized (tests/tools/translate.py) and cfn-lint on it. Needs
# tests/tools/setup.sh first (aws-sam-translator and cfn-lint, in .venv-tools).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
# shellcheck source=tests/tools/install.sh
source "$root/tests/tools/install.sh"
npm_packages "$here"
node_modules/.bin/tsc
node --test dist/test/
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Stand-ins for the arm64 bootstraps `sam build` makes: synthesis only hashes and stages them.
for step in initializer publisher executor sampler cleaner analyzer optimizer; do
  mkdir -p "$work/build/$step"
  printf '#!/bin/sh\n' > "$work/build/$step/bootstrap"
done
export CDK_DISABLE_VERSION_CHECK=1
synth() {
  node_modules/.bin/cdk synth --quiet --no-notices --no-version-reporting --no-path-metadata \
    --no-asset-metadata -o "$work/$1" "${@:2}" >/dev/null
  echo "$work/$1/powertune.template.json"
}
included="$(synth template -c source=template -c buildDir="$work/build" \
  -c props='{"powerValues": [128, 512, 1024], "totalExecutionTimeout": 600, "lambdaResource": "arn:aws:lambda:*:*:function:my-*"}')"
nested="$(synth sar -c source=sar -c applicationId=arn:aws:serverlessrepo:us-east-1:123456789012:applications/powertune \
  -c props='{"powerValues": [128, 512, 1024], "subnetIds": ["subnet-1", "subnet-2"]}')"
"$root/.venv-tools/bin/python" "$root/tests/tools/translate.py" "$included" "$nested"
# W8003: CfnInclude puts the prop's value in place of the lambdaResource parameter, so the
# template's AnyLambdaResource condition becomes a constant, which cfn-lint points out.
"$root/.venv-tools/bin/cfn-lint" --ignore-checks W8003 -- "$included" "$nested"
# What each option made: the included template keeps the seven functions, with code from assets.
# shellcheck disable=SC2016 # JavaScript's template literals, not the shell's
node -e '
const t = require(process.argv[1]);
const fns = Object.entries(t.Resources).filter(([, r]) => r.Type === "AWS::Serverless::Function");
if (fns.length !== 7) throw new Error(`${fns.length} functions, not 7`);
for (const [name, r] of fns) if (!r.Properties.CodeUri || !r.Properties.CodeUri.Bucket) throw new Error(`${name} has no asset CodeUri`);
// coldStartRate "auto": the Initializer may run its Logs Insights query.
const actions = JSON.stringify(t.Resources.initializer.Properties.Policies);
for (const a of ["logs:StartQuery", "logs:GetQueryResults"]) if (!actions.includes(a)) throw new Error(`the initializer lacks ${a}`);
const machines = Object.entries(t.Resources).filter(([, r]) => r.Type === "AWS::Serverless::StateMachine");
if (machines.length !== 1 || !machines[0][1].Properties.DefinitionUri.Bucket) throw new Error("the state machine has no asset DefinitionUri");
const n = require(process.argv[2]);
const apps = Object.values(n.Resources).filter((r) => r.Type === "AWS::Serverless::Application");
if (apps.length !== 1 || apps[0].Properties.Parameters.subnetIds !== "subnet-1,subnet-2") throw new Error("the nested app or its parameters");
console.log(`cdk synth: template included (${fns.length} functions, code and definition from assets) and SAR app nested; cfn-lint clean`);
' "$included" "$nested"

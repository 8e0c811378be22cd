#!/usr/bin/env bash
# Starts an execution of the powertune state machine, follows it, prints its output, and exits
# non-zero (printing the error and cause) when it FAILED, TIMED_OUT or ABORTED.
#
#   scripts/execute.sh [input.json]        (default: scripts/sample-execution-input.json)
#
# The state machine is STATE_MACHINE_ARN, or the StateMachineARN output of the stack STACK_NAME
# (default: powertune). AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_CLOUDFORMATION
# point the aws CLI at other endpoints. Needs only bash and the aws CLI.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
input_file="${1:-$here/sample-execution-input.json}"
poll_seconds="${POLL_SECONDS:-2}"

if [ ! -r "$input_file" ]; then
  echo "error: cannot read the execution input $input_file" >&2
  exit 2
fi

sfn=(aws stepfunctions)
if [ -n "${AWS_ENDPOINT_URL_SFN:-${AWS_ENDPOINT_URL:-}}" ]; then
  sfn+=(--endpoint-url "${AWS_ENDPOINT_URL_SFN:-${AWS_ENDPOINT_URL:-}}")
fi

state_machine_arn="${STATE_MACHINE_ARN:-}"
if [ -z "$state_machine_arn" ]; then
  stack="${STACK_NAME:-powertune}"
  cfn=(aws cloudformation)
  if [ -n "${AWS_ENDPOINT_URL_CLOUDFORMATION:-${AWS_ENDPOINT_URL:-}}" ]; then
    cfn+=(--endpoint-url "${AWS_ENDPOINT_URL_CLOUDFORMATION:-${AWS_ENDPOINT_URL:-}}")
  fi
  state_machine_arn="$("${cfn[@]}" describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='StateMachineARN'].OutputValue" --output text)"
  if [ -z "$state_machine_arn" ] || [ "$state_machine_arn" = "None" ]; then
    echo "error: stack $stack has no StateMachineARN output; set STACK_NAME or STATE_MACHINE_ARN" >&2
    exit 2
  fi
fi

# A name of our own (moto needs one: it names unnamed executions "None").
execution_name="powertune-$(date +%s)-$$-$RANDOM"
execution_arn="$("${sfn[@]}" start-execution --state-machine-arn "$state_machine_arn" \
  --name "$execution_name" --input "file://$input_file" --query executionArn --output text)"
echo "Started $execution_arn" >&2

started=$SECONDS
status=RUNNING
while [ "$status" = RUNNING ]; do
  sleep "$poll_seconds"
  status="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query status --output text)"
  printf '\r%s... %ds' "$status" "$((SECONDS - started))" >&2
done
printf '\n' >&2

case "$status" in
  SUCCEEDED)
    "${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query output --output text
    ;;
  *)
    error="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query error --output text)"
    cause="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query cause --output text)"
    echo "Execution $status: $error" >&2
    echo "$cause" >&2
    exit 1
    ;;
esac

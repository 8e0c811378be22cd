#!/usr/bin/env bash
# Starts an execution of the powertune state machine, follows it, prints its output, and exits
# non-zero (printing the error and cause) when it FAILED, TIMED_OUT or ABORTED.
#
#   scripts/execute.sh [input.json] [--save FILE] [--require-budget]
#                      [--baseline saved.json [--max-cost-increase 10%] [--max-duration-increase 10%]]
#
# input.json defaults to scripts/sample-execution-input.json. --save writes the output (with
# "includeOutputResults": true in the input, a baseline for later runs). --baseline compares the
# output with a saved run through `powertune compare` (the powertune CLI on PATH, or $POWERTUNE),
# and exits 3 with the reason when the recommendation got dearer or slower beyond a threshold.
# --require-budget exits 5 when the input's "maxDuration" budget is met by no power value (the
# execution still succeeds then, recommending the fastest).
#
# The state machine is STATE_MACHINE_ARN, or the StateMachineARN output of the stack STACK_NAME
# (default: powertune). AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_CLOUDFORMATION
# point the aws CLI at other endpoints. Needs only bash (3.2 and later: macOS's /bin/bash) and the
# aws CLI (and powertune for --baseline).
#
# Exit codes: 0 the execution succeeded (and passed the gate); 1 it FAILED, TIMED_OUT or was
# ABORTED; 2 usage: a bad option, an input, baseline or stack that cannot be read; 3 the gate
# failed: the recommendation got dearer or slower beyond a threshold; 4 the runs cannot be
# compared: the baseline (checked before the execution starts) or this run's output has no
# "stats" (run with "includeOutputResults": true); 5 with --require-budget, no power value meets
# the latency budget.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
input_file="$here/sample-execution-input.json"
poll_seconds="${POLL_SECONDS:-2}"
save="" baseline="" gate=() require_budget=""
usage="usage: $0 [input.json] [--save FILE] [--require-budget] [--baseline saved.json [--max-cost-increase PCT] [--max-duration-increase PCT]]"
while [ $# -gt 0 ]; do
  case "$1" in
    --require-budget)
      require_budget=1
      shift
      ;;
    --save | --baseline | --max-cost-increase | --max-duration-increase)
      if [ $# -lt 2 ]; then
        echo "error: $1 needs a value; $usage" >&2
        exit 2
      fi
      case "$1" in
        --save) save="$2" ;;
        --baseline) baseline="$2" ;;
        *) gate+=("$1" "$2") ;;
      esac
      shift 2
      ;;
    -*)
      echo "error: unknown option $1; $usage" >&2
      exit 2
      ;;
    *)
      input_file="$1"
      shift
      ;;
  esac
done

if [ ! -r "$input_file" ]; then
  echo "error: cannot read the execution input $input_file" >&2
  exit 2
fi
# The gate's pieces are checked before anything starts.
powertune="${POWERTUNE:-powertune}"
if [ ${#gate[@]} -gt 0 ] && [ -z "$baseline" ]; then
  echo "error: ${gate[0]} needs --baseline saved.json" >&2
  exit 2
fi
if [ -n "$baseline" ]; then
  if [ ! -r "$baseline" ]; then
    echo "error: cannot read the baseline $baseline" >&2
    exit 2
  fi
  if ! command -v "$powertune" >/dev/null 2>&1; then
    echo "error: --baseline compares through the powertune CLI, which is not on PATH (install it, or set POWERTUNE)" >&2
    exit 2
  fi
  # A baseline powertune cannot compare would fail only after a whole tuning run: compare it
  # with itself first.
  if ! "$powertune" compare "$baseline" "$baseline" --output json >/dev/null 2>"${TMPDIR:-/tmp}/powertune-baseline-$$.err"; then
    echo "error: the baseline $baseline cannot be compared:" >&2
    cat "${TMPDIR:-/tmp}/powertune-baseline-$$.err" >&2
    rm -f "${TMPDIR:-/tmp}/powertune-baseline-$$.err"
    exit 4
  fi
  rm -f "${TMPDIR:-/tmp}/powertune-baseline-$$.err"
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
    output="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query output --output text)"
    printf '%s\n' "$output"
    if [ -n "$save" ]; then
      printf '%s\n' "$output" > "$save"
    fi
    # Only the budget has a "verdict" (Step Functions writes compact JSON; moto puts a space after ":").
    if [ -n "$require_budget" ] && printf '%s' "$output" | grep -Eq '"verdict": ?"none"'; then
      echo "over budget: no power value meets the input's maxDuration; the fastest was recommended" >&2
      exit 5
    fi
    if [ -n "$baseline" ]; then
      result="$(mktemp)"
      trap 'rm -f "$result"' EXIT
      printf '%s\n' "$output" > "$result"
      # powertune compare exits 3, with the reason, when the gate fails, and 2 when it cannot
      # compare. ${gate[@]+...}: an empty array is unset under `set -u` in bash before 4.4.
      set +e
      "$powertune" compare "$baseline" "$result" --labels "baseline,this run" --output table ${gate[@]+"${gate[@]}"} >&2
      compared=$?
      set -e
      case "$compared" in
        0) ;;
        3) exit 3 ;;
        *)
          echo "error: this run's output cannot be compared with the baseline (run with \"includeOutputResults\": true)" >&2
          exit 4
          ;;
      esac
    fi
    ;;
  *)
    error="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query error --output text)"
    cause="$("${sfn[@]}" describe-execution --execution-arn "$execution_arn" --query cause --output text)"
    echo "Execution $status: $error" >&2
    echo "$cause" >&2
    exit 1
    ;;
esac

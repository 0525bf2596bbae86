#!/usr/bin/env bash
# tools/deps.sh: installs the Debian 12 packages Perch builds, runs and tests
# with, when any is missing. Sourced by tools/run-demo and tools/run-tests.
set -euo pipefail

PERCH_PACKAGES=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libosip2-dev libxml2-dev libsqlite3-dev libgnutls28-dev
  libsoup-3.0-dev libjson-glib-dev glib-networking
  xvfb xauth
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev desktop-file-utils appstream
  fonts-noto-cjk
  pidgin-sipe libpurple-dev
)

perch_missing_packages() {
  local missing=()
  for p in "${PERCH_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

perch_install_deps() {
  local missing
  missing=$(perch_missing_packages)
  [ -z "$missing" ] && return 0
  echo "Installing: $missing" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}

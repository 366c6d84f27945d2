#!/usr/bin/env bash
# Configures (once) and builds resilientrtsp.
#
#   ./scripts/build.sh [builddir] [-- extra meson setup options]
#
# builddir defaults to "build" in the repository root. Extra options are
# passed to `meson setup` (e.g. -Db_sanitize=address); when the directory
# is already configured they are applied with `meson configure`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${1:-build}
shift || true
if [ "${1:-}" = "--" ]; then
  shift
fi
case "$builddir" in
  /*) ;;
  *) builddir="$root/$builddir" ;;
esac

cd "$root"
if [ -f "$builddir/build.ninja" ]; then
  if [ $# -gt 0 ]; then
    meson configure "$builddir" "$@" >/dev/null
  fi
elif [ -d "$builddir/meson-private" ]; then
  # an earlier setup failed half-way
  meson setup --wipe "$builddir" "$@"
else
  meson setup "$builddir" "$@"
fi
ninja -C "$builddir"

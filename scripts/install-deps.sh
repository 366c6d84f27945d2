#!/usr/bin/env bash
# Installs the Debian 12 packages resilientrtsp needs to build, test and run
# its demo — only those that are missing. This is the single list of the
# project's system dependencies.
#
#   ./scripts/install-deps.sh          install what is missing
#   ./scripts/install-deps.sh --list   print the list and exit
#   ./scripts/install-deps.sh --check  exit 1 (and name them) if some are missing
set -euo pipefail

PACKAGES=(
  # build
  meson
  ninja-build
  pkg-config
  gcc
  clang
  libclang-rt-14-dev            # libFuzzer + ASan/UBSan runtimes for clang 14
  libglib2.0-dev
  libgstreamer1.0-dev
  libgstreamer-plugins-base1.0-dev
  libgstrtspserver-1.0-dev
  libssl-dev                    # libcrypto: SHA-512/256 for Digest auth
  libsoup-3.0-dev               # telemetry: the /metrics and /health HTTP server
  libgnutls28-dev               # ASan test stage: test programs link GnuTLS (tests/check/meson.build)
  # runtime, tests, demo, benchmark
  gstreamer1.0-tools
  glib-networking               # GIO's TLS backend (rtsps://) and proxy resolvers
  gstreamer1.0-plugins-base     # decodebin, videoconvert, opus
  gstreamer1.0-plugins-good     # rtpbin, depayloaders, rtspsrc, autovideosink
  gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly     # x264enc (test server)
  gstreamer1.0-libav            # avdec_h264, avenc_aac
  gstreamer1.0-x                # ximagesink/xvimagesink for the demo on a desktop
  valgrind
  gdb                           # tests/check/watchdog.c: backtraces of a hung test
  # network tests: proxies, tunnels, packet loss, TLS
  tinyproxy
  microsocks
  dante-server
  nftables
  iproute2
  openssl
)

missing_packages () {
  local p status
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
      echo "$p"
    fi
  done
}

case "${1:-}" in
  --list)
    printf '%s\n' "${PACKAGES[@]}"
    exit 0
    ;;
  --check)
    missing=$(missing_packages)
    if [ -n "$missing" ]; then
      echo "missing packages:" $missing >&2
      exit 1
    fi
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: $0 [--list|--check]" >&2
    exit 2
    ;;
esac

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no sudo; install them as root" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp -t resilientrtsp-apt.XXXXXX)
trap 'rm -f "$log"' EXIT

run_apt () {
  if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-deps: FAILED: $*" >&2
    exit 1
  fi
}

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
run_apt apt-get update -q
run_apt apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"

still=$(missing_packages)
if [ -n "$still" ]; then
  echo "install-deps: still missing after apt-get install:" $still >&2
  exit 1
fi
echo "install-deps: done"

#!/usr/bin/env bash
# Plays an RTSP stream through resilientrtspsrc, printing its state changes
# and a stats line every second until Ctrl-C.
#
#   ./scripts/demo.sh                                 bundled test server
#   ./scripts/demo.sh rtsp://user:pw@camera/stream    a real camera
#
# Options:
#   --duration S     stop after S seconds
#   --protocols P    udp, tcp or udp+tcp
#   --sink SINK      video sink (default: autovideosink with $DISPLAY,
#                    fakesink without)
#   --element NAME   source element (default resilientrtspsrc; rtspsrc
#                    to compare)
#   --builddir DIR   build directory (default: build)
#   --no-deps        do not check the Debian packages
#
# It installs the missing Debian packages (scripts/install-deps.sh), builds
# (scripts/build.sh) and, without a URL, starts the bundled test server on a
# free port for the duration of the demo.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
url=
builddir=build
deps=1
player_args=()
sink=

usage () {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration|--protocols|--element)
      [ $# -ge 2 ] || usage
      player_args+=("$1" "$2"); shift 2 ;;
    --duration=*|--protocols=*|--element=*)
      player_args+=("$1"); shift ;;
    --sink) [ $# -ge 2 ] || usage; sink=$2; shift 2 ;;
    --sink=*) sink=${1#--sink=}; shift ;;
    --builddir) [ $# -ge 2 ] || usage; builddir=$2; shift 2 ;;
    --no-deps) deps=0; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *)
      if [ -n "$url" ]; then
        echo "only one URL please" >&2
        usage
      fi
      url=$1; shift ;;
  esac
done
case "$builddir" in
  /*) ;;
  *) builddir="$root/$builddir" ;;
esac
if [ -z "$sink" ]; then
  if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    sink=autovideosink
  else
    sink=fakesink
  fi
fi

tmp=$(mktemp -d -t resilientrtsp-demo.XXXXXX)
server_pid=
cleanup () {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' TERM

if [ "$deps" = 1 ]; then
  "$root/scripts/install-deps.sh"
fi

echo "demo: building in ${builddir#"$root"/}…"
if ! "$root/scripts/build.sh" "$builddir" >"$tmp/build.log" 2>&1; then
  tail -40 "$tmp/build.log" >&2
  echo "demo: build failed (full log above)" >&2
  exit 1
fi

if [ -z "$url" ]; then
  server="$builddir/tests/server/resilientrtsp-test-server"
  if [ ! -x "$server" ]; then
    echo "demo: $server is missing (was the build configured with -Dtests=disabled?)" >&2
    exit 1
  fi
  # a background job of a script ignores Ctrl-C: the server outlives the
  # player's TEARDOWN and is stopped by the EXIT trap
  "$server" --port 0 --ready-file "$tmp/ready" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    [ -s "$tmp/ready" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$tmp/server.log" >&2
      echo "demo: the test server exited" >&2
      exit 1
    fi
    sleep 0.1
  done
  url=$(grep -o 'rtsp://[^ ]*' "$tmp/ready" | head -1 || true)
  if [ -z "$url" ]; then
    cat "$tmp/server.log" >&2
    echo "demo: the test server did not become ready" >&2
    exit 1
  fi
  echo "demo: test server on $url (pid $server_pid)"
fi

export GST_PLUGIN_PATH="$builddir/gst/resilientrtsp${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
echo "demo: Ctrl-C to stop"
status=0
"$builddir/examples/resilientrtsp-play" "${player_args[@]}" --sink "$sink" \
  "$url" || status=$?
exit "$status"

#!/usr/bin/env bash
# Time to first frame over the ways a camera is reached: plain RTSP over TCP,
# RTSPS, the HTTP tunnel (rtsph://), the tunnel through an HTTP proxy, and
# plain RTSP through an HTTP CONNECT proxy (tinyproxy) and a SOCKS5 proxy
# (microsocks) — resilientrtspsrc beside rtspsrc where rtspsrc can do it,
# same servers, same run. Prints a markdown table and writes it to
# benchmarks/results/reach.md.
#
#   benchmarks/reach.sh [--streams N] [--duration S] [--builddir DIR] [--no-build]
#
# Each cell: N pipelines started together in one process (rrtsp-bench), the
# mean time from PLAYING to the first depayloaded H.264 buffer. Defaults:
# 10 streams, 2 s.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
streams=10
duration=2
builddir=build
build=1

usage () {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
for p in openssl tinyproxy microsocks; do
  if ! command -v "$p" >/dev/null; then
    echo "$p is missing: run scripts/install-deps.sh" >&2
    exit 1
  fi
done

rr_use_build "$build"
bench="$builddir/benchmarks/rrtsp-bench"

tmp=$(mktemp -d -t rrtsp-reach.XXXXXX)
pids=()
cleanup () {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a self-signed certificate for 127.0.0.1: both elements are told to accept
# it (tls-validation-flags=0), so both do the same TLS work
openssl req -x509 -nodes -newkey rsa:2048 -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
  -out "$tmp/cert.pem" >/dev/null 2>&1

plain=$(rr_start_server "$server" "$tmp" plain --no-audio)
pids+=("$(cat "$tmp/plain.pid")")
tls=$(rr_start_server "$server" "$tmp" tls --no-audio --tls-cert "$tmp/cert.pem" \
  --tls-key "$tmp/key.pem")
pids+=("$(cat "$tmp/tls.pid")")
plain_port=$(printf '%s' "$plain" | sed 's|.*:\([0-9]*\)/.*|\1|')

tp_port=$(rr_free_port)
cat >"$tmp/tinyproxy.conf" <<CONF
Port $tp_port
Listen 127.0.0.1
Timeout 60
MaxClients 200
Allow 127.0.0.1
ConnectPort $plain_port
LogLevel Warning
CONF
tinyproxy -d -c "$tmp/tinyproxy.conf" >"$tmp/tinyproxy.log" 2>&1 &
pids+=("$!")
ms_port=$(rr_free_port)
microsocks -i 127.0.0.1 -p "$ms_port" >"$tmp/microsocks.log" 2>&1 &
pids+=("$!")
rr_wait_port "$tp_port" || { echo "tinyproxy did not start" >&2; cat "$tmp/tinyproxy.log" >&2; exit 1; }
rr_wait_port "$ms_port" || { echo "microsocks did not start" >&2; exit 1; }

tunnel=${plain/rtsp:/rtsph:}
# name|URL|properties of both|ours only (1)|
paths=(
  "RTSP, TCP|$plain||0"
  "RTSPS (TLS), TCP|$tls|tls-validation-flags=0|0"
  "HTTP tunnel (rtsph)|$tunnel||0"
  "HTTP tunnel via HTTP proxy|$tunnel|proxy=http://127.0.0.1:$tp_port|0"
  "RTSP via HTTP CONNECT proxy|$plain|proxy=http://127.0.0.1:$tp_port|1"
  "RTSP via SOCKS5 proxy|$plain|proxy=socks5://127.0.0.1:$ms_port|1"
)

declare -A result
for entry in "${paths[@]}"; do
  IFS='|' read -r name url props ours_only <<<"$entry"
  for el in rtspsrc resilientrtspsrc; do
    if [ "$el" = rtspsrc ] && [ "$ours_only" = 1 ]; then
      result["$name/$el"]="n/a"
      continue
    fi
    set_args=()
    if [ -n "$props" ]; then
      set_args=(--set "$props")
    fi
    echo "running $el: $name…" >&2
    line=$(timeout $((duration + 120)) "$bench" --element "$el" --protocols tcp \
      --streams "$streams" --duration "$duration" "${set_args[@]}" "$url" \
      2>"$tmp/bench.err") || {
      echo "  $el exited non-zero; stderr tail:" >&2
      tail -3 "$tmp/bench.err" >&2
    }
    result["$name/$el"]=${line:-failed}
    echo "  ${line:-failed}" >&2
  done
done

cell () {
  local line=$1
  case "$line" in
    n/a) printf 'n/a (rtspsrc cannot)' ;;
    failed) printf 'failed' ;;
    *) printf '%s (%s/%s up)' "$(rr_kv "$line" ttfp_depay_ms_mean)" \
        "$(rr_kv "$line" started)" "$streams" ;;
  esac
}

out="$tmp/reach.md"
{
  echo "# Time to first frame by path"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), GStreamer" \
    "$(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')," \
    "H.264 320x240@15 from the bundled test server on loopback, $streams" \
    "pipelines started together per cell, TCP interleaved, latency=200."
  echo "TTFP: mean ms from PLAYING to the first depayloaded buffer (lower is better)."
  echo
  echo "| path | rtspsrc TTFP ms | resilientrtspsrc TTFP ms |"
  echo "|---|---:|---:|"
  for entry in "${paths[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$entry"
    echo "| $name | $(cell "${result["$name/rtspsrc"]}") | $(cell "${result["$name/resilientrtspsrc"]}") |"
  done
  echo
  echo "Raw lines:"
  echo
  echo '```'
  for entry in "${paths[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$entry"
    echo "$name / rtspsrc: ${result["$name/rtspsrc"]}"
    echo "$name / resilientrtspsrc: ${result["$name/resilientrtspsrc"]}"
  done
  echo '```'
} >"$out"

mkdir -p "$root/benchmarks/results"
cp "$out" "$root/benchmarks/results/reach.md"
cat "$out"
echo >&2
echo "written to benchmarks/results/reach.md" >&2

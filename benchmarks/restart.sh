#!/usr/bin/env bash
# Restart time with and without connection pooling: runs
# benchmarks/rrtsp-restart (N restarts PLAYING -> NULL -> PLAYING of one
# pipeline, state change to PLAYING -> first depayloaded buffer) against the
# bundled test server, plain RTSP and RTSPS (a self-signed certificate made
# here with openssl, tls-validation-flags=0 for every element), for
# rtspsrc, resilientrtspsrc pool-idle-timeout=0 (no pooling) and
# resilientrtspsrc with pooling (the default 30 s), all in the same run.
# Prints a markdown table and writes it to benchmarks/results/restart.md.
#
#   benchmarks/restart.sh [--restarts N] [--gap-ms MS] [--protocols "tcp udp"]
#                         [--builddir DIR] [--no-build]
#
# Defaults: 30 restarts, 200 ms between stop and start, TCP (one path: no
# connection race, one control connection per start).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
restarts=30
gap_ms=200
protocols="tcp"
builddir=build
build=1

usage () {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --restarts) restarts=${2:?}; shift 2 ;;
    --gap-ms) gap_ms=${2:?}; shift 2 ;;
    --protocols) protocols=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done

rr_use_build "$build"

bench="$builddir/benchmarks/rrtsp-restart"
rr_require_built "$bench" "$server"

tmp=$(mktemp -d -t rrtsp-restart.XXXXXX)
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

# a self-signed certificate for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
  -out "$tmp/cert.pem" >/dev/null 2>&1

plain=$(rr_start_server "$server" "$tmp" plain --no-audio)
pids+=("$(cat "$tmp/plain.pid")")
tls=$(rr_start_server "$server" "$tmp" tls --no-audio \
  --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
pids+=("$(cat "$tmp/tls.pid")")
plain="${plain%/*}/video"
tls="${tls%/*}/video"

# name|element|extra arguments
variants=(
  "rtspsrc|rtspsrc|"
  "resilientrtspsrc, no pool|resilientrtspsrc|--pool-idle-timeout 0"
  "resilientrtspsrc, pool|resilientrtspsrc|--pool-idle-timeout 30"
)

declare -A result
for proto in $protocols; do
  for scheme in rtsp rtsps; do
    url=$plain
    extra_tls=
    if [ "$scheme" = rtsps ]; then
      url=$tls
      extra_tls=--no-validate
    fi
    for v in "${variants[@]}"; do
      IFS='|' read -r name el args <<<"$v"
      echo "running $name, $scheme, $proto, $restarts restarts…" >&2
      # shellcheck disable=SC2086
      line=$(timeout $((restarts * 20 + 60)) "$bench" --url "$url" \
        --element "$el" --protocols "$proto" --restarts "$restarts" \
        --gap-ms "$gap_ms" $extra_tls $args 2>"$tmp/run.log") || true
      if [ -z "$line" ]; then
        echo "  failed; stderr tail:" >&2
        tail -5 "$tmp/run.log" >&2
      fi
      result["$proto/$scheme/$name"]=${line:-failed}
      echo "  ${line:-failed}" >&2
    done
  done
done

out="$tmp/table.md"
{
  echo "# Restart time: connection pooling"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s)" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
    "GStreamer $(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')," \
    "H.264 320x240@15 (/video) from the bundled test server on loopback," \
    "latency=0."
  echo
  echo "$restarts restarts of one pipeline (PLAYING → NULL → PLAYING, ${gap_ms} ms" \
    "between stop and start) after a cold start. *Restart*: the state change" \
    "to PLAYING → the first buffer out of rtph264depay. *PLAY answered*:" \
    "resilientrtspsrc's own set-up breakdown (start → PLAY answered), and" \
    "*connect*: its TCP connect + TLS handshake (0 when the connection came" \
    "from the pool). gst-rtsp-server closes the connection after every" \
    "TEARDOWN, so a pooled connection is one made ahead when the element" \
    "stopped (pre-warmed). RTSPS: a self-signed certificate," \
    "tls-validation-flags=0 for every element."
  echo
  echo "| transport | scheme | element | restart median ms | p90 | min | max | cold start ms | stop median ms | pooled / restarts | PLAY answered median ms | connect median ms |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for proto in $protocols; do
    for scheme in rtsp rtsps; do
      for v in "${variants[@]}"; do
        IFS='|' read -r name el args <<<"$v"
        r=${result["$proto/$scheme/$name"]}
        if [ "$r" = failed ]; then
          echo "| $proto | $scheme | $name | failed | | | | | | | | |"
          continue
        fi
        echo "| $proto | $scheme | $name" \
          "| $(rr_kv "$r" median_ms) | $(rr_kv "$r" p90_ms)" \
          "| $(rr_kv "$r" min_ms) | $(rr_kv "$r" max_ms)" \
          "| $(rr_kv "$r" cold_ms) | $(rr_kv "$r" stop_median_ms)" \
          "| $(rr_kv "$r" reused) / $(rr_kv "$r" restarts)" \
          "| $(rr_kv "$r" playing_median_ms) | $(rr_kv "$r" connect_median_ms) |"
      done
    done
  done
  echo
  echo "Raw lines:"
  echo
  echo '```'
  for proto in $protocols; do
    for scheme in rtsp rtsps; do
      for v in "${variants[@]}"; do
        IFS='|' read -r name el args <<<"$v"
        echo "$scheme $name: ${result["$proto/$scheme/$name"]}"
      done
    done
  done
  echo '```'
} >"$out"

mkdir -p "$root/benchmarks/results"
cp "$out" "$root/benchmarks/results/restart.md"
cat "$out"
echo >&2
echo "written to benchmarks/results/restart.md" >&2

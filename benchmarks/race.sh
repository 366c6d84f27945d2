#!/usr/bin/env bash
# Time to first frame with connection racing: resilientrtspsrc (race-mode
# first-wins, the default, and race-mode=none) beside rtspsrc, same server,
# same run, both with protocols=udp+tcp, through a real NAT built from
# network namespaces (tests/check/elements/nat-netns.sh):
#
#   UDP blocked  nat-method=none on both elements: nothing opens the NAT for
#                the server's RTP, so the router drops it, as a firewall
#                that allows only outgoing TCP does. rtspsrc waits `timeout`
#                (5 s) and reconnects over TCP; ours races TCP.
#   clean        nat-method=dummy: UDP gets through. Racing must not make
#                the first frame slower (goal: ≤ 1.1× of race-mode=none).
#
#   benchmarks/race.sh [--streams N] [--duration S] [--repeat R]
#                      [--builddir DIR] [--no-build]
#
# Each run: N pipelines started together in one process (rrtsp-bench), the
# mean time from PLAYING to the first depayloaded H.264 buffer. The server's
# encoder makes a frame every 67 ms and all N pipelines see the same phase,
# so one run varies by about that much: every cell is run R times, in
# rotating order, and the table gives the median of the runs' means (and
# their range). Defaults: 10 streams, 2 s, 5 repetitions. Needs root
# (namespaces, nftables); prints the table and writes it to
# benchmarks/results/race.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
streams=10
duration=2
repeat=5
builddir=build
build=1
inner=0

usage () {
  sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --repeat) repeat=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    --inner) inner=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
case "$builddir" in
  /*) ;;
  *) builddir="$root/$builddir" ;;
esac

if [ "$inner" = 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "race.sh needs root (network namespaces and nftables)" >&2
    exit 1
  fi
  if [ "$build" = 1 ]; then
    "$root/scripts/build.sh" "$builddir" >/dev/null
  fi
  # the namespaces, then this script again inside the client's
  exec "$root/tests/check/elements/nat-netns.sh" "$BASH" "${BASH_SOURCE[0]}" \
    --inner --no-build --streams "$streams" --duration "$duration" \
    --repeat "$repeat" \
    --builddir "$builddir"
fi

# ---- inside the client's namespace (nat-netns.sh's environment) ----
bench="$builddir/benchmarks/rrtsp-bench"
server="$builddir/tests/server/resilientrtsp-test-server"
export GST_PLUGIN_PATH="$builddir/gst/resilientrtsp${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

tmp=$(mktemp -d -t rrtsp-race.XXXXXX)
cleanup () {
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns exec "$RRTSP_NAT_SERVER_NS" "$server" --no-audio \
  --address "$RRTSP_NAT_SERVER_ADDR" >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
url=
for _ in $(seq 300); do
  url=$(sed -n 's/^READY //p' "$tmp/server.out" | head -1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "the test server did not start:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi

# name|properties
cells=(
  "UDP blocked / rtspsrc|rtspsrc|nat-method=none"
  "UDP blocked / resilientrtspsrc first-wins|resilientrtspsrc|nat-method=none"
  "UDP blocked / resilientrtspsrc race-mode=none|resilientrtspsrc|nat-method=none race-mode=none"
  "clean / rtspsrc|rtspsrc|nat-method=dummy"
  "clean / resilientrtspsrc first-wins|resilientrtspsrc|nat-method=dummy"
  "clean / resilientrtspsrc race-mode=none|resilientrtspsrc|nat-method=dummy race-mode=none"
)

declare -A runs   # cell → space-separated TTFP means
declare -A raw    # cell → the last run's line
n=${#cells[@]}
for r in $(seq 0 $((repeat - 1))); do
  for k in $(seq 0 $((n - 1))); do
    entry=${cells[$(( (k + r) % n ))]}
    IFS='|' read -r name el props <<<"$entry"
    set_args=()
    for prop in $props; do
      set_args+=(--set "$prop")
    done
    echo "run $((r + 1))/$repeat: $name…" >&2
    line=$(timeout $((duration + 120)) "$bench" --element "$el" \
      --protocols udp+tcp --streams "$streams" --duration "$duration" \
      "${set_args[@]}" "$url" 2>"$tmp/bench.err") || {
      echo "  $el exited non-zero; stderr tail:" >&2
      tail -3 "$tmp/bench.err" >&2
    }
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the test server died; its log:" >&2
      tail -20 "$tmp/server.log" >&2
      exit 1
    fi
    raw["$name"]=${line:-failed}
    echo "  ${line:-failed}" >&2
    v=$(rr_kv "${line:-}" ttfp_depay_ms_mean)
    if [ "$v" != - ] && [ "$(rr_kv "$line" started)" = "$streams" ]; then
      runs["$name"]="${runs["$name"]:-} $v"
    fi
  done
done

# median, min and max of a list of numbers
stat () {
  printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f %d\n", m, v[1], v[NR], NR }'
}
median () {
  stat "$1" | awk '{ print $1 }'
}
cell () {
  local s
  s=$(stat "${runs["$1"]:-}")
  case "$s" in
    -) printf 'failed' ;;
    *) set -- $s; printf '%s (%s–%s, %s runs)' "$1" "$2" "$3" "$4" ;;
  esac
}
ratio () {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f×", a / b; else printf "-" }'
}

out="$tmp/race.md"
{
  echo "# Time to first frame with connection racing"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s), GStreamer" \
    "$(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')," \
    "H.264 320x240@15 from the bundled test server behind a namespace NAT," \
    "$streams pipelines started together per cell, protocols=udp+tcp," \
    "latency=200. TTFP: median over $repeat runs of the mean ms from" \
    "PLAYING to the first depayloaded buffer, (range), lower is better."
  echo
  echo "| link | rtspsrc | resilientrtspsrc first-wins | resilientrtspsrc race-mode=none | first-wins / none |"
  echo "|---|---:|---:|---:|---:|"
  for link in "UDP blocked" clean; do
    a="$link / rtspsrc"
    b="$link / resilientrtspsrc first-wins"
    c="$link / resilientrtspsrc race-mode=none"
    echo "| $link | $(cell "$a") | $(cell "$b") | $(cell "$c") |" \
      "$(ratio "$(median "${runs["$b"]:-}")" "$(median "${runs["$c"]:-}")") |"
  done
  echo
  echo "Last run's lines:"
  echo
  echo '```'
  for entry in "${cells[@]}"; do
    IFS='|' read -r name _ _ <<<"$entry"
    echo "$name: ${raw["$name"]}"
  done
  echo '```'
} >"$out"

mkdir -p "$root/benchmarks/results"
cp "$out" "$root/benchmarks/results/race.md"
cat "$out"
echo >&2
echo "written to benchmarks/results/race.md" >&2

#!/usr/bin/env bash
# Recovery time of resilientrtspsrc and rtspsrc: for UDP and TCP, runs
# benchmarks/rrtsp-recovery once per element (it starts the bundled test
# server, crashes it N times with SIGKILL, restarts it after 1-10 s and
# measures server READY -> first depayloaded buffer), prints a markdown table
# and writes it to benchmarks/results/recovery.md.
#
#   benchmarks/recovery.sh [--outages N] [--min-outage S] [--max-outage S]
#                          [--seed N] [--gap S] [--protocols "udp tcp"]
#                          [--elements "resilientrtspsrc rtspsrc"]
#                          [--builddir DIR] [--no-build]
#
# Defaults: 20 outages of 1-10 s, seed 1 (both elements get the same
# outages), 3 s of data between outages: about 3 min per resilientrtspsrc
# run, 6.5 min in all. rtspsrc ends at its first outage, which ends its run.
# Why 3 s: auto mode's circuit breaker takes sessions lost within 2 s of
# recovering, three in a row, for a crash loop and backs off on purpose;
# with --gap 1 every outage after the third looks like that, and the run
# measures the breaker rather than recovery.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
outages=20
min_outage=1
max_outage=10
seed=1
gap=3
protocols="udp tcp"
elements="resilientrtspsrc rtspsrc"
builddir=build
build=1

usage () {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --outages) outages=${2:?}; shift 2 ;;
    --min-outage) min_outage=${2:?}; shift 2 ;;
    --max-outage) max_outage=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    --gap) gap=${2:?}; shift 2 ;;
    --protocols) protocols=${2:?}; shift 2 ;;
    --elements) elements=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done

rr_use_build "$build"

bench="$builddir/benchmarks/rrtsp-recovery"
rr_require_built "$bench" "$server"

tmp=$(mktemp -d -t rrtsp-recovery.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# value of key $2 in the key=value line $1 (end_reason runs to the line's end)
kv () {
  local v
  if [ "$2" = end_reason ]; then
    v=$(printf ' %s\n' "$1" | sed -n 's/.* end_reason=//p')
  else
    v=$(printf ' %s\n' "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p")
  fi
  printf '%s' "${v:--}"
}

# a hard bound per run, far above what the outages themselves take
bound=$(awk -v n="$outages" -v m="$max_outage" -v g="$gap" \
  'BEGIN { printf "%d", n * (m + g + 40) + 120 }')

declare -A result
for proto in $protocols; do
  for el in $elements; do
    echo "running $el, $proto, $outages outage(s) of $min_outage-$max_outage s…" >&2
    log="$tmp/$el-$proto.log"
    line=$(timeout "$bound" "$bench" --server "$server" --element "$el" \
      --protocols "$proto" --outages "$outages" --min-outage "$min_outage" \
      --max-outage "$max_outage" --seed "$seed" --gap "$gap" 2>"$log") || true
    if [ -z "$line" ]; then
      echo "  $el failed; stderr tail:" >&2
      tail -5 "$log" >&2
    fi
    result["$proto/$el"]=${line:-failed}
    echo "  ${line:-failed}" >&2
  done
done

out="$tmp/table.md"
{
  echo "# Recovery time: resilientrtspsrc vs rtspsrc"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s)" \
    "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
    "GStreamer $(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')," \
    "H.264 320x240@15 from the bundled test server on loopback, latency=200," \
    "default properties otherwise (retry-strategy=auto)."
  echo
  echo "$outages outages per run, each the server killed with SIGKILL and" \
    "started again on the same port after ${min_outage}-${max_outage} s" \
    "(uniform, seed $seed: every run gets the same outages), with ${gap} s" \
    "of data between a recovery and the next outage." \
    "Recovery: the new server's READY line (it is listening and serving)" \
    "→ the first buffer out of rtph264depay." \
    "Goal: median ≤ 250 ms, max < 1000 ms."
  echo
  echo "Split (medians): *wait* READY → start of the attempt that succeeded" \
    "(retry delay), *setup* → PLAY answered (connect, OPTIONS, DESCRIBE," \
    "SETUP, PLAY), *buffer* → first depayloaded buffer." \
    "*Breaker*: outages during which the element's circuit breaker was open" \
    "(a crash loop: 3 sessions in a row lost within 2 s of recovering;" \
    "delays 1, 2, 4 s …)."
  echo
  echo "| element | transport | outages survived / caused | median ms | p90 ms | max ms | min ms | wait / setup / buffer ms | breaker open | median / max ms without breaker | goal met | how it ended |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  for proto in $protocols; do
    for el in $elements; do
      r=${result["$proto/$el"]}
      if [ "$r" = failed ]; then
        echo "| $el | $proto | - | - | - | - | - | - | - | - | - | benchmark failed |"
        continue
      fi
      goal=$(awk -v med="$(kv "$r" median_ms)" -v max="$(kv "$r" max_ms)" \
        -v rec="$(kv "$r" recovered)" -v n="$(kv "$r" planned)" 'BEGIN {
          if (med == "-" || rec != n) { print "no (did not recover)"; exit }
          print (med + 0 <= 250 && max + 0 < 1000) ? "yes" : "no" }')
      if [ "$(kv "$r" ended)" = 1 ]; then
        how="ended after outage $(kv "$r" ended_after): $(kv "$r" end_reason)"
      else
        how="recovered every outage"
      fi
      echo "| $el | $proto" \
        "| $(kv "$r" recovered) / $(kv "$r" outages)" \
        "| $(kv "$r" median_ms) | $(kv "$r" p90_ms) | $(kv "$r" max_ms)" \
        "| $(kv "$r" min_ms)" \
        "| $(kv "$r" wait_median_ms) / $(kv "$r" setup_median_ms) / $(kv "$r" buffer_median_ms)" \
        "| $(kv "$r" breaker)" \
        "| $(kv "$r" nobreaker_median_ms) / $(kv "$r" nobreaker_max_ms)" \
        "| $goal | $how |"
    done
  done
  echo
  echo "Raw lines:"
  echo
  echo '```'
  for proto in $protocols; do
    for el in $elements; do
      echo "${result["$proto/$el"]}"
    done
  done
  echo '```'
  echo
  echo "Per outage (stderr of rrtsp-recovery):"
  echo
  echo '```'
  for proto in $protocols; do
    for el in $elements; do
      echo "# $el $proto"
      grep -E '^(outage |.* ended )' "$tmp/$el-$proto.log" || true
    done
  done
  echo '```'
} >"$out"

mkdir -p "$root/benchmarks/results"
cp "$out" "$root/benchmarks/results/recovery.md"
cat "$out"
echo >&2
echo "written to benchmarks/results/recovery.md" >&2

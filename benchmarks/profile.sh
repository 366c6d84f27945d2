#!/usr/bin/env bash
# Profiles the client process of the benchmarks/run.sh configuration (N
# streams from the bundled test server, `ELEMENT latency=200 ! rtph264depay
# ! fakesink`) with perf, for each element and transport: where its CPU goes
# by thread group, library and function (benchmarks/perf-report.py), with
# the benchmark's own line (CPU, context switches, threads by name). Reports
# go to benchmarks/results/profile/ (text; the perf.data files stay in a
# temporary directory unless --keep-data DIR).
#
#   benchmarks/profile.sh [--streams N] [--duration S] [--protocols "udp tcp"]
#                         [--elements "resilientrtspsrc rtspsrc"]
#                         [--freq HZ] [--builddir DIR] [--no-build]
#                         [--keep-data DIR] [--out-dir DIR]
#
# Each run: a fresh test server (--no-audio), rrtsp-bench with --warmup 3;
# when its window opens, `perf record -a -F HZ --call-graph dwarf` samples
# the whole machine for S - 1 s and the report keeps the client's samples.
# System-wide on purpose: perf attached to the process (-p) switches its
# counters at every context switch of every thread, which here doubled
# rtspsrc's CPU time and added 70 % to ours; with -a the client's CPU rose
# by about 9 %. Needs perf (linux-perf), objdump/readelf (binutils) and
# permission to profile (root or kernel.perf_event_paranoid <= 0).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
streams=100
duration=10
protocols="udp tcp"
elements="resilientrtspsrc rtspsrc"
freq=999
builddir=build
build=1
keep=
outdir="$root/benchmarks/results/profile"

usage () {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --protocols) protocols=${2:?}; shift 2 ;;
    --elements) elements=${2:?}; shift 2 ;;
    --freq) freq=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep-data) keep=${2:?}; shift 2 ;;
    --out-dir) outdir=${2:?}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ "$duration" -ge 3 ] || { echo "--duration must be at least 3" >&2; exit 2; }
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }

rr_use_build "$build"

bench="$builddir/benchmarks/rrtsp-bench"
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d -t rrtsp-profile.XXXXXX)
server_pid=
bench_pid=
cleanup () {
  if [ -n "$bench_pid" ]; then kill "$bench_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$outdir"
[ -n "$keep" ] && mkdir -p "$keep"
summary="$outdir/summary.md"

for proto in $protocols; do
  for el in $elements; do
    name="$el-$proto"
    echo "profiling $el, $proto, $streams streams…" >&2
    url=$(rr_start_server "$server" "$tmp" server --no-audio)
    server_pid=$(cat "$tmp/server.pid")
    loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
    "$bench" --element "$el" --protocols "$proto" --streams "$streams" \
      --duration "$duration" --warmup 3 --thread-names "$url" \
      >"$tmp/bench.out" 2>"$tmp/bench.err" &
    bench_pid=$!
    for _ in $(seq 1200); do
      grep -q '^window-open' "$tmp/bench.err" 2>/dev/null && break
      kill -0 "$bench_pid" 2>/dev/null || break
      sleep 0.1
    done
    if ! grep -q '^window-open' "$tmp/bench.err" 2>/dev/null; then
      rc=0
      wait "$bench_pid" || rc=$?
      bench_pid=
      echo "the benchmark did not get to its window (exit status $rc):" >&2
      tail -5 "$tmp/bench.err" >&2
      kill -0 "$server_pid" 2>/dev/null || echo "the test server died:" >&2
      tail -5 "$tmp/server.log" >&2
      exit 1
    fi
    perf record -q -a -F "$freq" --call-graph dwarf,16384 \
      -o "$tmp/$name.data" -- sleep $((duration - 1)) 2>"$tmp/perf.err" || {
      echo "perf record failed:" >&2
      cat "$tmp/perf.err" >&2
      exit 1
    }
    pid=$bench_pid
    wait "$bench_pid" || echo "note: rrtsp-bench exited non-zero" >&2
    bench_pid=
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=

    report="$outdir/$name.txt"
    {
      echo "== $el, $proto, $streams streams; client pid $pid; load before: $loadavg"
      cat "$tmp/bench.out"
      grep '^thread-names:' "$tmp/bench.err" || true
      echo
      perf script -i "$tmp/$name.data" --pid "$pid" \
        -F comm,tid,period,ip,sym,dso 2>/dev/null \
        | python3 "$root/benchmarks/perf-report.py" --top 45 --buckets
    } >"$report"
    [ -n "$keep" ] && cp "$tmp/$name.data" "$keep/"
    rm -f "$tmp/$name.data"
    {
      echo
      echo "## $el, $proto, $streams streams ($(date -u '+%Y-%m-%d %H:%M UTC'))"
      echo
      echo '```'
      cat "$tmp/bench.out"
      grep '^thread-names:' "$tmp/bench.err" || true
      echo "load before: $loadavg"
      echo
      sed -n '/samples$/,/== self time by function/p' "$report" | sed '$d'
      echo '```'
      echo
      echo "Full report: \`$name.txt\` beside this file."
    } >"$outdir/$name.section"
    echo "  written $report" >&2
  done
done
# the summary lists every run whose report is there (also from earlier
# invocations with other --elements/--protocols)
{
  echo "# Profile: the run.sh configuration"
  echo
  echo "$(nproc) CPU(s), $(perf --version); each run sampled the whole" \
    "machine at $freq Hz with DWARF call graphs for its window less 1 s;" \
    "the reports keep the client's samples. Runs:"
  for f in "$outdir"/*.section; do
    [ -e "$f" ] && cat "$f"
  done
} >"$summary"
echo "written $summary" >&2

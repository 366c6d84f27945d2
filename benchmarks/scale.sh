#!/usr/bin/env bash
# Many streams in one process: runs benchmarks/rrtsp-bench with N streams of
# KBPS each (default 1,000 x 256 kbit/s) for stock rtspsrc and for
# resilientrtspsrc, over UDP and TCP, and prints a markdown table (written to
# benchmarks/results/scale.md): streams playing, packet loss (measured),
# CPU, RSS, threads and file descriptors, with the server's CPU and the
# machine's load beside them.
#
#   benchmarks/scale.sh [--streams N] [--bitrate KBPS] [--duration S]
#                       [--warmup S] [--servers K] [--protocols "udp tcp"]
#                       [--elements "rtspsrc resilientrtspsrc"]
#                       (an element may carry properties:
#                       resilientrtspsrc:rtp-manager=builtin[,PROP=VALUE…])
#                       [--builddir DIR] [--no-build] [--out FILE]
#
# Every run gets fresh servers: K load-generator processes
# (resilientrtsp-test-server --bitrate KBPS: one shared H.264 media each,
# encoded once), under SCHED_RR when allowed (root; see below why), and the
# streams spread over them round-robin. The client process waits until all
# its pipelines are PLAYING (at most 5 min), lets them settle for --warmup s
# (10), measures for --duration s (30), then stops 20 pipelines, timed, and
# exits. Loss is counted the same way for both elements: gaps in each
# stream's RTP sequence numbers on the source's src pad, in the window (see
# rrtsp-bench.c); the jitterbuffers' num-lost is shown as a cross-check.
# A run that fails (errors, timeouts, a crash) is reported with what the
# client printed. 1,000 streams took 11-17 minutes on 2 CPUs with the load
# average in the hundreds: run it on a quiet machine; the load average
# before each run is in the table. docs/performance.md discusses results.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"
streams=1000
bitrate=256
duration=30
warmup=10
servers=1
protocols="udp tcp"
elements="rtspsrc resilientrtspsrc"
builddir=build
build=1
out="$root/benchmarks/results/scale.md"
latency=200
start_timeout=300
# pipelines stopped (timed) at the end; the rest exit with the process
teardown_sample=20

usage () {
  sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams=${2:?}; shift 2 ;;
    --bitrate) bitrate=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --servers) servers=${2:?}; shift 2 ;;
    --protocols) protocols=${2:?}; shift 2 ;;
    --elements) elements=${2:?}; shift 2 ;;
    --builddir) builddir=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out=${2:?}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done

rr_use_build "$build"

bench="$builddir/benchmarks/rrtsp-bench"

# rtspsrc needs about 8 descriptors per UDP stream, the servers one per TCP
# client: take the hard limit
ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)

tmp=$(mktemp -d -t rrtsp-scale.XXXXXX)
server_pids=()

stop_servers () {
  local pid
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    # a server with 1,000 clients takes a moment to close them
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}

cleanup () {
  stop_servers
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The servers stand in for cameras on other machines: on these 2 CPUs a
# client with thousands of threads starves them (rtspsrc's 7,000 threads
# cut the encoder to 93 of 256 kbit/s), so they run under SCHED_RR when
# chrt may (root), else at nice -10 when allowed, else as they are. They
# need 20-40 % of one CPU at 1,000 streams, far from the kernel's RT limit.
server_prio=()
server_prio_text="normal priority"
if chrt -r 1 true 2>/dev/null; then
  server_prio=(chrt -r 1)
  server_prio_text="SCHED_RR (chrt -r 1)"
elif nice -n -10 true 2>/dev/null && [ "$(nice -n -10 nice)" = -10 ]; then
  server_prio=(nice -n -10)
  server_prio_text="nice -10"
fi

# (rr_start_server's own local "server" would shadow $server in here)
server_bin=$server
prio_server () {
  exec "${server_prio[@]}" "$server_bin" "$@"
}

# prints the URLs of K fresh servers; their PIDs go to server_pids
start_servers () {
  local i url urls=()
  for i in $(seq "$servers"); do
    url=$(rr_start_server prio_server "$tmp" "server$i" --bitrate "$bitrate") \
      || return 1
    server_pids+=("$(cat "$tmp/server$i.pid")")
    urls+=("$url")
  done
  printf '%s\n' "${urls[@]}" >"$tmp/urls"
}

# UDP datagrams the kernel dropped for full receive buffers (whole netns)
udp_rcvbuf_errors () {
  awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 }
                 else print $col["RcvbufErrors"] }' /proc/net/snmp
}

kv () {
  rr_kv "$@"
}

ratio () {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
    printf "%.2f", a / b }'
}

declare -A result load drops rc notes stop_ms
for proto in $protocols; do
  for el in $elements; do
    key="$proto/$el"
    echo "running $el, $proto, $streams x ${bitrate} kbit/s, $servers server(s)…" >&2
    load[$key]=$(cut -d' ' -f1-3 /proc/loadavg)
    start_servers || { echo "could not start the servers" >&2; exit 1; }
    mapfile -t urls <"$tmp/urls"
    drops_before=$(udp_rcvbuf_errors)
    sets=()
    case "$el" in
      *:*)
        IFS=, read -ra props <<<"${el#*:}"
        for prop in "${props[@]}"; do sets+=(--set "$prop"); done ;;
    esac
    set +e
    line=$(timeout $((start_timeout + warmup + duration + 300)) "$bench" \
      --element "${el%%:*}" "${sets[@]}" --protocols "$proto" --streams "$streams" \
      --duration "$duration" --warmup "$warmup" --latency "$latency" \
      --start-timeout "$start_timeout" --thread-names \
      --teardown-sample "$teardown_sample" \
      --watch-pid "$(IFS=,; echo "${server_pids[*]}")" "${urls[@]}" \
      2>"$tmp/bench.err")
    rc[$key]=$?
    set -e
    drops[$key]=$(( $(udp_rcvbuf_errors) - drops_before ))
    for pid in "${server_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || notes[$key]+="a server died during the run; "
    done
    stop_servers
    result[$key]=${line:-failed}
    # what went wrong, in short: distinct error texts with counts
    errs=$(grep -E 'error from|timed out|could not' "$tmp/bench.err" \
      | sed -E 's/^stream [0-9]+: //; s/\(.*//' | sort | uniq -c \
      | sort -rn | head -3 | sed -E 's/^ +//' | tr '\n' ';' || true)
    [ -n "$errs" ] && notes[$key]+="client: $errs "
    if [ "${rc[$key]}" -ge 124 ]; then
      notes[$key]+="client exit status ${rc[$key]} ($(tail -1 "$tmp/bench.err")); "
    fi
    grep '^thread-names:' "$tmp/bench.err" >"$tmp/threads.$proto.$el" || true
    stop_ms[$key]=$(sed -n 's/^teardown: .*(mean \([0-9.]*\) ms.*/\1/p' \
      "$tmp/bench.err")
    stop_ms[$key]=${stop_ms[$key]:--}
    echo "  ${result[$key]}" >&2
    echo "  exit ${rc[$key]}, UDP receive-buffer drops ${drops[$key]}; ${notes[$key]:-}" >&2
  done
done

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
table="$tmp/table.md"
{
  echo "# Scale: $streams streams x $bitrate kbit/s in one process"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s) ($cpu_model)," \
    "GStreamer $(pkg-config --modversion gstreamer-1.0 2>/dev/null || echo '?')," \
    "fd limit $fd_limit. Client: one process per element and transport," \
    "each stream \`ELEMENT latency=$latency ! rtph264depay ! fakesink\`." \
    "Server: $servers fresh \`resilientrtsp-test-server --bitrate $bitrate\`" \
    "process(es) per run on the same machine under $server_prio_text (one" \
    "shared H.264 media each, 320x240@15, encoded once), streams spread" \
    "over them." \
    "Measured for ${duration} s after all pipelines were PLAYING plus" \
    "${warmup} s of settling."
  echo
  echo "playing: streams that delivered a depayloaded frame / that still got" \
    "RTP in the window's last 2 s. loss: RTP sequence gaps on the source's" \
    "src pad in the window over packets expected (both elements, same" \
    "method); jb lost: the jitterbuffers' num-lost in the window. CPU:" \
    "client process user+sys in the window, % of one CPU (200 % = both);" \
    "server: the server process(es) in the window; busy: the whole machine," \
    "% of all CPUs. RSS: peak. threads, fds: at the window's end;" \
    "context switches: the client's, per second in the window. load:" \
    "1/5/15-min load average before the run. UDP drops: the kernel's UDP" \
    "RcvbufErrors during the run. stop ms: mean time to set one pipeline" \
    "to NULL, over the first $teardown_sample (one after the other; the" \
    "others end with the process)."
  echo
  echo "| transport | element | playing | loss % | lost / expected pkts | jb lost | stalled | kbit/s per stream | CPU % | CPU ratio | server CPU % | busy % | RSS MB | RSS ratio | threads | threads ratio | threads/stream | fds | ctx switches/s | TTFP ms mean / max | stop ms | errors | UDP drops | load before |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for proto in $protocols; do
    for el in $elements; do
      r=${result["$proto/$el"]}
      b=${result["$proto/rtspsrc"]:-}
      # a start that timed out measured no window: no loss, stalls or CPU
      if [ "$(kv "$r" window)" = 0 ]; then
        r=$(printf '%s' "$r" | sed -E 's/ (win_[a-z_]+|loss_pct|stalled|alive_end|jb_lost|ctxsw_per_s|watch_cpu_pct|sys_busy_pct)=[^ ]*//g')
        r="$r win_lost=no-window"
      fi
      if [ "$(kv "$b" window)" = 0 ]; then
        b=
      fi
      lost=$(kv "$r" win_lost)
      pk=$(kv "$r" win_packets)
      expected=$(awk -v a="$lost" -v b="$pk" 'BEGIN {
        if (a !~ /^[0-9]+$/ || b !~ /^[0-9]+$/) print "-"; else print a + b }')
      tps=$(awk -v t="$(kv "$r" threads)" -v n="$streams" 'BEGIN {
        if (t == "-") print "-"; else printf "%.2f", t / n }')
      echo "| $proto | $el" \
        "| $(kv "$r" started) / $(kv "$r" alive_end)" \
        "| $(kv "$r" loss_pct) | $lost / $expected | $(kv "$r" jb_lost)" \
        "| $(kv "$r" stalled) | $(kv "$r" win_kbps)" \
        "| $(kv "$r" win_cpu_pct) | $(ratio "$(kv "$r" win_cpu_s)" "$(kv "$b" win_cpu_s)")" \
        "| $(kv "$r" watch_cpu_pct) | $(kv "$r" sys_busy_pct)" \
        "| $(kv "$r" peak_rss_mb) | $(ratio "$(kv "$r" peak_rss_mb)" "$(kv "$b" peak_rss_mb)")" \
        "| $(kv "$r" threads) | $(ratio "$(kv "$r" threads)" "$(kv "$b" threads)") | $tps" \
        "| $(kv "$r" fds) | $(kv "$r" ctxsw_per_s)" \
        "| $(kv "$r" ttfp_depay_ms_mean) / $(kv "$r" ttfp_depay_ms_max)" \
        "| ${stop_ms["$proto/$el"]}" \
        "| $(kv "$r" errors) | ${drops["$proto/$el"]} | ${load["$proto/$el"]} |"
    done
  done
  echo
  echo "Ratios are to rtspsrc in the same run (lower is better)."
  have_notes=0
  for proto in $protocols; do
    for el in $elements; do
      if [ -n "${notes["$proto/$el"]:-}" ] || [ "${rc["$proto/$el"]}" != 0 ]; then
        if [ "$have_notes" = 0 ]; then
          echo
          echo "What went wrong:"
          echo
          have_notes=1
        fi
        echo "- $proto, $el: client exit status ${rc["$proto/$el"]}" \
          "(1: not every stream delivered data, or errors). ${notes["$proto/$el"]:-}"
      fi
    done
  done
  echo
  echo "Threads by name at the window's end (digits shown as N):"
  echo
  echo '```'
  for proto in $protocols; do
    for el in $elements; do
      echo "$proto $el: $(sed 's/^thread-names: //' "$tmp/threads.$proto.$el" 2>/dev/null)"
    done
  done
  echo '```'
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
  echo "Reproduce: \`benchmarks/scale.sh --streams $streams --bitrate $bitrate" \
    "--duration $duration --warmup $warmup --servers $servers\`"
} >"$table"

mkdir -p "$(dirname "$out")"
cp "$table" "$out"
cat "$table"
echo >&2
echo "written to $out" >&2

#!/usr/bin/env bash
# Runs the whole test suite: installs the missing Debian packages, then
#   1. builds with gcc in build/ and runs every meson test;
#   2. builds with ASan+UBSan in build-asan/ and runs them again (but the
#      rtpbin-* repeats), with leak checking (suppressions: tests/lsan.supp);
#   3. runs the libFuzzer targets (scripts/run-fuzz.sh, 20 s each).
# The last line printed is "N passed, N failed" over all stages (meson tests
# of both builds plus fuzz targets); the exit status is non-zero if anything
# failed.
#
#   ./scripts/test.sh [--quick] [--no-deps]
#     --quick     only stage 1
#     --no-deps   do not check the Debian packages
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
deps=1
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-deps) deps=0 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
cd "$root" || exit 1

passed=0
failed=0
skipped=0
failed_stages=()
start_all=$(date +%s)
logdir=$(mktemp -d -t resilientrtsp-test.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

banner () {
  echo
  echo "=================================================================="
  echo "== $*"
  echo "=================================================================="
}

stage_done () {
  echo "-- $1: $2 ($(($(date +%s) - $3)) s)"
}

# Adds the counts of a `meson test` run (its output in $1) to the totals;
# FALSE when the output has no summary.
count_meson () {
  local ok xfail fail xpass skip timeout
  ok=$(sed -n 's/^Ok:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  [ -n "$ok" ] || return 1
  xfail=$(sed -n 's/^Expected Fail:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  fail=$(sed -n 's/^Fail:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  xpass=$(sed -n 's/^Unexpected Pass:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  skip=$(sed -n 's/^Skipped:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  timeout=$(sed -n 's/^Timeout:[[:space:]]*\([0-9]*\).*/\1/p' "$1" | tail -1)
  passed=$((passed + ok + ${xfail:-0}))
  failed=$((failed + ${fail:-0} + ${xpass:-0} + ${timeout:-0}))
  skipped=$((skipped + ${skip:-0}))
}

# Appends to $logdir/failures.txt the end (last 150 lines) of each failed
# test's output in meson's test log $2, under the stage name $1: the
# summary prints them again last, where a CI log's tail shows them.
collect_failures () {
  [ -f "$2" ] || return 0
  awk -v stage="$1" '
    function flush(  i, from) {
      if (name != "" && result != "exit status 0" && result != "exit status 77") {
        printf "\n---- %s: %s (%s); its last lines:\n", stage, name, result
        from = n > 150 ? n - 150 : 0
        for (i = from; i < n; i++) print buf[i]
      }
      name = ""; result = ""; n = 0
    }
    /^=+ [0-9]+\/[0-9]+ =+$/ { flush(); inblock = 1; next }
    # (meson closes a block with 78 "="; sanitizer reports draw 65)
    /^=+$/ && length($0) >= 70 { flush(); inblock = 0; next }
    inblock {
      buf[n++] = $0
      if ($1 == "test:") { name = $0; sub(/^test: +/, "", name) }
      if ($1 == "result:") { result = $0; sub(/^result: +/, "", result) }
    }
    END { flush() }' "$2" >>"$logdir/failures.txt"
}

# run_suite NAME BUILDDIR [meson test options]
run_suite () {
  local name=$1 builddir=$2 log="$logdir/$1.log" rc
  shift 2
  meson test -C "$builddir" --no-rebuild --print-errorlogs "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || collect_failures "$name" "$builddir/meson-logs/testlog.txt"
  if ! count_meson "$log"; then
    if grep -q '^No tests defined' "$log"; then
      echo "-- $name: no tests defined"
    else
      failed=$((failed + 1))
    fi
  fi
  if [ "$rc" -ne 0 ]; then
    failed_stages+=("$name")
  fi
  return "$rc"
}

# build_stage NAME BUILDDIR [meson setup options]
build_stage () {
  local name=$1 builddir=$2
  shift 2
  if [ -n "${1:-}" ]; then
    CC=${CC:-gcc} "$root/scripts/build.sh" "$builddir" -- "$@"
  else
    CC=${CC:-gcc} "$root/scripts/build.sh" "$builddir"
  fi || {
    echo "-- $name: BUILD FAILED"
    failed=$((failed + 1))
    failed_stages+=("$name build")
    return 1
  }
}

if [ "$deps" = 1 ]; then
  banner "dependencies"
  if ! "$root/scripts/install-deps.sh"; then
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

# ---------------------------------------------------------------------------
banner "1/3 gcc build + tests (build/)"
t0=$(date +%s)
if build_stage gcc build; then
  run_suite gcc build
fi
stage_done "gcc" "done" "$t0"

if [ "$quick" = 0 ]; then
  # -------------------------------------------------------------------------
  banner "2/3 ASan+UBSan build + tests (build-asan/)"
  t0=$(date +%s)
  # -Db_asneeded=false: under ASan the test programs link GnuTLS without
  # calling it (tests/check/meson.build says why)
  if build_stage asan build-asan -Db_sanitize=address,undefined \
      -Db_lundef=false -Db_asneeded=false; then
    # The plugin needs the ASan runtime, which the uninstrumented
    # gst-plugin-scanner lacks, and a test process that scans it in-process
    # also gets the plugin's own copy of the helpers' GTypes next to the
    # copy it links (unit tests link the helpers statically). So the tests'
    # registries are filled beforehand by gst-inspect-1.0 with the sanitizer
    # runtimes preloaded: the tests then find every plugin cached and load
    # ours only when they create the element. GST_REGISTRY_FORK=no stays as
    # the fallback should a registry be stale anyway.
    preload="$(${CC:-gcc} -print-file-name=libasan.so) $(${CC:-gcc} -print-file-name=libubsan.so)"
    intro=build-asan/meson-info/intro-tests.json
    plugin_path=$(grep -o '"GST_PLUGIN_PATH_1_0": "[^"]*"' "$intro" \
      2>/dev/null | sed 's/.*: "\(.*\)"/\1/' | sort -u | paste -sd: -)
    for reg in $(grep -o '"GST_REGISTRY_1_0": "[^"]*"' "$intro" 2>/dev/null \
        | sed 's/.*: "\(.*\)"/\1/' | sort -u); do
      rm -f "$reg"
      env -u GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0="$plugin_path" \
        GST_REGISTRY_1_0="$reg" LD_PRELOAD="$preload" \
        ASAN_OPTIONS=detect_leaks=0 gst-inspect-1.0 >/dev/null 2>&1 || true
    done
    # No G_SLICE=always-malloc here: with it, GStreamer 1.22 on GLib 2.74
    # leaks bus messages even in a bare "fakesrc ! fakesink" pipeline, which
    # would bury our own findings. Our code allocates with g_new/g_malloc,
    # which LeakSanitizer sees either way.
    GST_REGISTRY_FORK=no \
    CK_FORK=no \
    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0 \
    LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    RRTSP_TEST_WATCHDOG_SCALE=3 \
      run_suite asan build-asan --timeout-multiplier 3 --no-suite rtpbin
  fi
  stage_done "asan" "done" "$t0"

  # -------------------------------------------------------------------------
  banner "3/3 fuzzing (20 s per target)"
  t0=$(date +%s)
  if [ -x "$root/scripts/run-fuzz.sh" ]; then
    # libFuzzer's progress lines go to the log only; its final figures and
    # any failure are printed (a failed target's last lines again in the
    # summary)
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} "$root/scripts/run-fuzz.sh" \
      >"$logdir/fuzz.log" 2>&1
    rc=$?
    grep -E '^== fuzz-|FAILED|^Done [0-9]+ runs|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' \
      "$logdir/fuzz.log" || true
    if [ "$rc" -ne 0 ]; then
      { echo; echo "---- fuzz: exit status $rc; its last lines:"
        tail -n 60 "$logdir/fuzz.log"; } >>"$logdir/failures.txt"
    fi
    # one test per target: run-fuzz.sh prints "== fuzz-NAME for Ns" when it
    # starts a target and "fuzz-NAME FAILED…" when that target fails (a
    # closing "N passed, N failed" line, if it prints one, wins)
    summary=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' \
      "$logdir/fuzz.log" | tail -1 || true)
    if [ -n "$summary" ]; then
      p=$(echo "$summary" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/')
      f=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    else
      ran=$(grep -cE '^== fuzz-[^ ]+ for ' "$logdir/fuzz.log" || true)
      f=$(grep -cE '^fuzz-[^ ]+ FAILED' "$logdir/fuzz.log" || true)
      p=$((ran - f))
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      # it failed outside a target (e.g. the clang build)
      failed=$((failed + 1))
    fi
    [ "$rc" -eq 0 ] || failed_stages+=("fuzz")
  else
    echo "-- scripts/run-fuzz.sh not found; skipped"
  fi
  stage_done "fuzz" "done" "$t0"
fi

if [ -s "$logdir/failures.txt" ]; then
  banner "failures"
  cat "$logdir/failures.txt"
fi

banner "summary"
echo "total time: $(($(date +%s) - start_all)) s"
if [ "${#failed_stages[@]}" -gt 0 ]; then
  echo "failed stages: ${failed_stages[*]}"
fi
if [ "$skipped" -gt 0 ]; then
  echo "skipped: $skipped"
fi
echo "$passed passed, $failed failed"
if [ "$failed" -gt 0 ] || [ "${#failed_stages[@]}" -gt 0 ]; then
  exit 1
fi
exit 0

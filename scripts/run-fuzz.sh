#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time.
#
#   scripts/run-fuzz.sh [builddir]      builddir defaults to build-fuzz
#
# Environment:
#   FUZZ_SECONDS   time per target (default 60)
#   FUZZ_TARGETS   which targets (default "framer sdp rtcp jitter")
#   FUZZ_MAX_LEN   largest input libFuzzer generates (default 8192)
#
# Each target runs on a copy of its seed corpus (tests/fuzz/corpus/<target>)
# kept in <builddir>/fuzz-corpus/<target>, so what one run finds seeds the
# next. Crashes, leaks and timeouts are written to
# <builddir>/fuzz-artifacts/<target>/ and make the script exit non-zero.
# Reproduce one with: <builddir>/tests/fuzz/fuzz-<target> <artifact>
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build-fuzz}
case $builddir in
  /*) ;;
  *) builddir=$srcdir/$builddir ;;
esac
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-framer sdp rtcp jitter}
max_len=${FUZZ_MAX_LEN:-8192}

if [ -f "$builddir/build.ninja" ]; then
  meson configure "$builddir" -Dfuzzing=enabled >/dev/null
else
  CC=clang meson setup "$builddir" "$srcdir" -Dfuzzing=enabled
fi
for target in $targets; do
  ninja -C "$builddir" "tests/fuzz/fuzz-$target"
done

# GSlice would hide leaked slices from LeakSanitizer
export G_SLICE=always-malloc

status=0
for target in $targets; do
  corpus=$builddir/fuzz-corpus/$target
  artifacts=$builddir/fuzz-artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  for seed in "$srcdir/tests/fuzz/corpus/$target"/*; do
    [ -e "$corpus/$(basename "$seed")" ] || cp "$seed" "$corpus/"
  done

  echo "== fuzz-$target for ${seconds}s"
  if ! "$builddir/tests/fuzz/fuzz-$target" \
      -max_total_time="$seconds" -timeout=30 -max_len="$max_len" \
      -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus"; then
    echo "fuzz-$target FAILED; reproducers in $artifacts/" >&2
    status=1
  fi
done

exit $status

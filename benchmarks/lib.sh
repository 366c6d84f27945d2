# resilientrtsp benchmarks: shell helpers shared by the benchmark scripts
# (sourced, not run).

# value of key $2 in the key=value line $1, "-" when absent
rr_kv () {
  local v
  v=$(printf ' %s\n' "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p")
  printf '%s' "${v:--}"
}

# rr_start_server SERVER_BINARY DIR NAME [options…]: starts the bundled test
# server in the background with its log in DIR/NAME.log, waits until it is
# listening and prints its URL; the PID goes to DIR/NAME.pid.
rr_start_server () {
  local server=$1 dir=$2 name=$3 pid url
  shift 3
  # a ready file left by an earlier server of that name would name its URL
  rm -f "$dir/$name.ready"
  "$server" --port 0 --ready-file "$dir/$name.ready" "$@" \
    >"$dir/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/$name.pid"
  for _ in $(seq 300); do
    [ -s "$dir/$name.ready" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "test server $name exited:" >&2
      cat "$dir/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  url=$(grep -o 'rtsps\?://[^ ]*' "$dir/$name.ready" | head -1 || true)
  if [ -z "$url" ]; then
    echo "test server $name did not become ready" >&2
    return 1
  fi
  printf '%s' "$url"
}

# rr_free_port: a TCP port on 127.0.0.1 nobody listens on now
rr_free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# rr_wait_port PORT: waits (up to 10 s) until 127.0.0.1:PORT accepts
rr_wait_port () {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# rr_use_build BUILD: the build every benchmark script measures. Makes
# $builddir absolute (a relative one is under the repository root $root),
# builds it when BUILD is 1, sets $server to its test server and puts its
# plugin first on GST_PLUGIN_PATH.
rr_use_build () {
  case "$builddir" in
    /*) ;;
    *) builddir="$root/$builddir" ;;
  esac
  if [ "$1" = 1 ]; then
    "$root/scripts/build.sh" "$builddir" >/dev/null
  fi
  server="$builddir/tests/server/resilientrtsp-test-server"
  export GST_PLUGIN_PATH="$builddir/gst/resilientrtsp${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
}

# rr_require_built FILE…: exits 1 naming the first FILE that is not an
# executable.
rr_require_built () {
  local f
  for f in "$@"; do
    if [ ! -x "$f" ]; then
      echo "$f not built" >&2
      exit 1
    fi
  done
}

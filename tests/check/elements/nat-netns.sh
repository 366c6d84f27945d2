#!/usr/bin/env bash
# resilientrtsp tests
# elements/nat-netns.sh: a real NAT in network namespaces, for the NAT
# hole-punching test.
#
#   nat-netns.sh PROGRAM [ARGS...]
#
# Builds three namespaces (names carry this script's PID, so parallel or
# leftover runs never collide):
#
#   client C  10.N.1.2  --veth--  10.N.1.1  router R  10.N.2.1  --veth--  10.N.2.2  server S
#
# R forwards between them and masquerades towards S; its firewall accepts
# what C starts and replies to it (conntrack established/related) and drops
# every new UDP flow that S starts, counting it in the nft counter
# "unsolicited". S has no route to C's subnet: S reaches C only through
# R's NAT. Two more counters count C's NAT punch packets as they leave
# through R: "punch_rtp" (an empty RTP packet, payload type 127) and
# "punch_rtcp" (an empty receiver report + CNAME "resilientrtsp").
#
# PROGRAM then runs inside C with RRTSP_NAT_SERVER_NS, RRTSP_NAT_ROUTER_NS,
# RRTSP_NAT_SERVER_ADDR and RRTSP_NAT_TABLE (family and name of R's nft
# table) in its environment. Everything is torn down on exit, failure or
# signal, including processes left in the namespaces. Nothing outside the
# three namespaces is touched: the veth pairs are created inside them.
#
# Needs root, iproute2 and nftables (scripts/install-deps.sh); without them
# it exits 77 (skipped) saying why.
set -u

# Under the ASan stage of scripts/test.sh every process starts with the
# sanitizer runtime (and GnuTLS) preloaded; plain tools (id, ip, nft, this
# shell) then hang or fail at exit. Run again without it — exec, so this
# process never exits with it — and hand it back to PROGRAM alone.
if [ -n "${LD_PRELOAD:-}" ]; then
  export RRTSP_NAT_PRELOAD=$LD_PRELOAD
  unset LD_PRELOAD
  exec "$BASH" "$0" "$@"
fi

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "the NAT test needs root (network namespaces, nftables)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
command -v nft >/dev/null 2>&1 || skip "nft (nftables) is not installed"

program_env=()
if [ -n "${RRTSP_NAT_PRELOAD:-}" ]; then
  program_env+=("LD_PRELOAD=$RRTSP_NAT_PRELOAD")
fi

tag=$$
C=rrnat-$tag-c
R=rrnat-$tag-r
S=rrnat-$tag-s
# the second octet only makes the addresses easy to tell apart in logs;
# the namespaces are isolated, so nothing can clash with the host
N=$(( 16 + tag % 200 ))
CLIENT=10.$N.1.2
ROUTER_C=10.$N.1.1
ROUTER_S=10.$N.2.1
SERVER=10.$N.2.2
TABLE="inet rrnat"
created=()

kill_ns_processes () {
  local ns=$1 sig=$2 pids
  pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
  [ -n "$pids" ] && kill "-$sig" $pids 2>/dev/null
  return 0
}

teardown () {
  local ns i
  # finish even when signalled again (check's handler signals the whole
  # process group, this script included)
  trap - EXIT
  trap '' INT TERM
  for ns in "${created[@]}"; do
    kill_ns_processes "$ns" TERM
  done
  # give them a moment to exit cleanly, then force it
  for i in $(seq 1 20); do
    local left=""
    for ns in "${created[@]}"; do
      left+=$(ip netns pids "$ns" 2>/dev/null)
    done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for ns in "${created[@]}"; do
    kill_ns_processes "$ns" KILL
    ip netns del "$ns" 2>/dev/null
  done
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail_setup () {
  echo "NAT setup failed: $*" >&2
  exit 99
}

in_ns () {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

for ns in "$C" "$R" "$S"; do
  ip netns add "$ns" || fail_setup "ip netns add $ns"
  created+=("$ns")
  in_ns "$ns" ip link set lo up || fail_setup "lo up in $ns"
done

# veth pairs created directly inside the namespaces
ip link add name c0 netns "$C" type veth peer name rc netns "$R" ||
  fail_setup "veth C-R"
ip link add name s0 netns "$S" type veth peer name rs netns "$R" ||
  fail_setup "veth S-R"

in_ns "$C" ip addr add "$CLIENT/24" dev c0 &&
  in_ns "$C" ip link set c0 up &&
  in_ns "$C" ip route add default via "$ROUTER_C" ||
  fail_setup "client addresses"
in_ns "$R" ip addr add "$ROUTER_C/24" dev rc &&
  in_ns "$R" ip addr add "$ROUTER_S/24" dev rs &&
  in_ns "$R" ip link set rc up &&
  in_ns "$R" ip link set rs up &&
  in_ns "$R" sysctl -q -w net.ipv4.ip_forward=1 ||
  fail_setup "router addresses"
# no route back to the client's subnet: only the NAT connects them
in_ns "$S" ip addr add "$SERVER/24" dev s0 &&
  in_ns "$S" ip link set s0 up ||
  fail_setup "server addresses"

in_ns "$R" nft -f - <<EOF || fail_setup "nft ruleset in $R"
table $TABLE {
  counter unsolicited { }
  counter punch_rtp { }
  counter punch_rtcp { }

  chain prerouting {
    type filter hook prerouting priority 0; policy accept;
    # a UDP flow the server side starts: no mapping lets it in
    iifname "rs" meta l4proto udp ct state new counter name "unsolicited" drop
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    # counted whatever their conntrack state (refreshes are "established")
    iifname "rc" udp length 20 @th,64,16 0x807f counter name "punch_rtp"
    iifname "rc" udp length 40 @th,64,16 0x80c9 counter name "punch_rtcp"
    ct state established,related accept
    iifname "rc" oifname "rs" accept
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "rs" masquerade
  }
}
EOF

export RRTSP_NAT_SERVER_NS=$S
export RRTSP_NAT_ROUTER_NS=$R
export RRTSP_NAT_SERVER_ADDR=$SERVER
export RRTSP_NAT_TABLE=$TABLE

echo "NAT: client $C ($CLIENT) -> router $R -> server $S ($SERVER)"
# in the background, so that a signal is handled at once (and tears down)
ip netns exec "$C" env "${program_env[@]}" "$@" &
wait $!

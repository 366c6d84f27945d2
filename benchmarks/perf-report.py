#!/usr/bin/env python3
"""Summarises `perf script` output of a benchmark client (benchmarks/profile.sh).

    perf script -i DATA -F comm,tid,period,ip,sym,dso | perf-report.py [--top N]

Prints, as percentages of all samples:
  * self time by thread group (thread names with digits as N),
  * self time by library,
  * self time by function, and time including callees by function,
  * for each of the busiest thread groups, its functions including callees.

Debian's GStreamer and GLib libraries carry no symbol table, so perf names
only their exported functions. The static ones are named here from the
binary itself: each function's address range comes from .eh_frame, and its
name from the identifier-like string constants its code loads, which in
GStreamer and GLib are mostly __func__ (GST_DEBUG_OBJECT, g_return_if_fail
and friends pass it). Such names are marked with a "~"; a function whose code
loads a name of another (inlined) function may be named after that one, and
a function that loads none stays "fn@0xADDR". Kernel and exported names come
from perf.
"""

import argparse
import bisect
import collections
import os
import re
import subprocess
import sys

IDENT = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
LEA = re.compile(r"^\s*([0-9a-f]+):\s+lea\s+0x[0-9a-f]+\(%rip\),%\w+\s+#\s+([0-9a-f]+)")
FDE = re.compile(r"pc=([0-9a-f]+)\.\.([0-9a-f]+)")


class Dso:
    """Function ranges and inferred names of one stripped ELF file."""

    def __init__(self, path):
        self.starts = []
        self.ranges = []
        self.names = []
        try:
            self._load(path)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass

    def _sections(self, path):
        out = subprocess.run(["readelf", "-SW", path], capture_output=True,
                             text=True, check=True).stdout
        secs = []
        for line in out.splitlines():
            m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
            if m:
                secs.append((m.group(1), int(m.group(2), 16), int(m.group(3), 16),
                             int(m.group(4), 16)))
        return secs

    def _load(self, path):
        with open(path, "rb") as f:
            data = f.read()
        secs = [s for s in self._sections(path) if s[0].startswith(".rodata")]

        def string_at(addr):
            for _, vaddr, off, size in secs:
                if vaddr <= addr < vaddr + size:
                    start = off + addr - vaddr
                    end = data.find(b"\0", start, start + 128)
                    if end < 0:
                        return None
                    try:
                        return data[start:end].decode("ascii")
                    except UnicodeDecodeError:
                        return None
            return None

        frames = subprocess.run(["readelf", "-wf", path], capture_output=True,
                                text=True, check=True).stdout
        ranges = sorted({(int(m.group(1), 16), int(m.group(2), 16))
                         for m in FDE.finditer(frames)})
        self.ranges = ranges
        self.starts = [r[0] for r in ranges]
        refs = [collections.Counter() for _ in ranges]
        dis = subprocess.Popen(["objdump", "-d", "--no-show-raw-insn", path],
                               stdout=subprocess.PIPE, text=True)
        for line in dis.stdout:
            m = LEA.match(line)
            if not m:
                continue
            at, target = int(m.group(1), 16), int(m.group(2), 16)
            i = bisect.bisect_right(self.starts, at) - 1
            if i < 0 or at >= ranges[i][1]:
                continue
            s = string_at(target)
            if s and IDENT.match(s):
                refs[i][s] += 1
        dis.wait()
        self.names = [("~" + c.most_common(1)[0][0]) if c else None for c in refs]

    def name(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ranges[i][1]:
            return None
        return self.names[i] or "fn@0x%x" % self.ranges[i][0]


DSOS = {}


def resolve(sym, dso, ip):
    if sym != "[unknown]" and not sym.startswith("0x"):
        return sym
    if dso.startswith("/") and os.path.exists(dso):
        if dso not in DSOS:
            DSOS[dso] = Dso(dso)
        name = DSOS[dso].name(ip)
        if name:
            return name
    return "?@" + os.path.basename(dso)


FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*)\s+\((.*)\)$")
HEAD = re.compile(r"^(\S.*?)\s+(\d+)\s+(\d+)\s*$")


def samples(stream):
    comm, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
            continue
        m = HEAD.match(line)
        if m and not line.startswith(("\t", " ")):
            comm, frames = m.group(1), []
            continue
        m = FRAME.match(line)
        if m and comm is not None:
            ip, sym, dso = int(m.group(1), 16), m.group(2), m.group(3)
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            inlined = dso == "inlined"
            frames.append([resolve(sym, dso, ip), os.path.basename(dso), inlined,
                           ip])
    if comm is not None:
        yield comm, frames


def fix_inlined(frames):
    """perf prints an inlined function without its library: take the one of
    the function it was inlined into (the next frame at the same address).
    Without that frame (perf leaves it out for some libc leaves) a name in
    glibc's internal style (leading underscore) is taken as libc's."""
    for i in range(len(frames) - 1, -1, -1):
        if frames[i][2]:
            if i + 1 < len(frames) and frames[i + 1][3] == frames[i][3]:
                frames[i][1] = frames[i + 1][1]
            elif frames[i][0].startswith("_"):
                frames[i][1] = "libc.so.6"
            else:
                frames[i][1] = "?"
    return frames


# --buckets: what each sample was doing, the first rule that matches its
# thread group (g) or the names on its stack (n, leaf first) wins
def _has(names, *keys):
    return any(k in names for k in keys)


BUCKETS = [
    ("downstream of the source: depayloader, fakesink, the bench's probes",
     lambda g, n: _has(n, "~gst_rtp_base_depayload_handle_buffer",
                       "~gst_base_sink_chain_unlocked", "~do_probe_callbacks")),
    ("RTCP threads (rtpsession-rtcp)", lambda g, n: g == "rtpsession-rtcp"),
    ("jitterbuffer thread: waiting for a packet (futex wait, scheduler)",
     lambda g, n: g == "rtpjitterbuffer" and _has(n, "g_cond_wait",
                                                  "g_cond_wait_until")),
    ("jitterbuffer thread: dequeue, pt demux, pads",
     lambda g, n: g == "rtpjitterbuffer"),
    ("jitterbuffer timer threads", lambda g, n: g == "timer"),
    ("built-in: delivery threads waiting (futex wait, scheduler)",
     lambda g, n: g == "rrtsp-out" and _has(n, "g_cond_wait",
                                            "g_cond_wait_until")),
    ("built-in: delivery threads, other (jitterbuffer deadlines, receiver "
     "reports, pushing)",
     lambda g, n: g == "rrtsp-out"),
    ("built-in: waking a delivery thread (futex wake)",
     lambda g, n: _has(n, "gst_resilient_outlet_queue",
                       "gst_resilient_outlet_queue_many")
     and _has(n, "futex_wake", "__x64_sys_futex")),
    ("built-in: jitterbuffer insert, RTCP, hand-off (I/O thread)",
     lambda g, n: _has(n, "gst_resilient_media_builtin_push")),
    ("into rtpbin: waking the jitterbuffer thread (futex wake)",
     lambda g, n: _has(n, "~gst_rtp_jitter_buffer_chain")
     and _has(n, "futex_wake", "__x64_sys_futex")),
    ("into rtpbin: rtpsession, ssrc demux, jitterbuffer insert",
     lambda g, n: _has(n, "~gst_rtp_session_chain_recv_rtp")),
    ("resilientrtspsrc: media push outside the RTP manager (timestamps, "
     "locks, stream lookup)",
     lambda g, n: _has(n, "gst_resilient_media_push")),
    ("socket receive syscalls",
     lambda g, n: _has(n, "__recvmmsg", "__libc_recv", "__libc_recvmsg",
                       "tcp_recvmsg", "udp_recvmsg", "__x64_sys_recvfrom",
                       "__x64_sys_recvmmsg", "__x64_sys_recvmsg")),
    ("waiting for sockets: poll, main loop prepare/check",
     lambda g, n: _has(n, "__GI___poll", "do_sys_poll",
                       "g_main_context_check", "g_main_context_prepare",
                       "g_socket_condition_timed_wait")
     or (g == "rrtsp-io" and not _has(n, "g_main_context_dispatch"))),
    ("resilientrtspsrc, other: its main loop's dispatch, buffers, framing, "
     "timers, stats",
     lambda g, n: any(x.startswith(("gst_resilient", "on_", "udp_", "read_",
                                    "parse_", "handle_", "io_"))
                      for x in n) and g == "rrtsp-io"),
    ("rtspsrc, other", lambda g, n: _has(n, "~gst_rtspsrc_loop_udp",
                                         "~gst_rtspsrc_loop")),
    ("udpsrc threads, other", lambda g, n: g.startswith("udpsrc")),
    ("application main thread (bus, stats messages)",
     lambda g, n: g == "rrtsp-bench"),
    ("other", lambda g, n: True),
]


def bucket(g, frames):
    names = [f[0] for f in frames]
    for label, rule in BUCKETS:
        if rule(g, names):
            return label
    return "other"


def group(comm):
    return re.sub(r"\d+", "N", comm)


def table(title, counter, total, top, fmt=lambda k: k):
    print("== " + title)
    for key, n in counter.most_common(top):
        pct = 100.0 * n / total
        if pct < 0.3:
            break
        print("%6.2f%%  %s" % (pct, fmt(key)))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--groups", type=int, default=4,
                    help="thread groups to break down")
    ap.add_argument("--buckets", action="store_true",
                    help="first: what the samples were doing (see BUCKETS)")
    args = ap.parse_args()

    total = 0
    by_group = collections.Counter()
    by_dso = collections.Counter()
    self_fn = collections.Counter()
    incl_fn = collections.Counter()
    group_incl = collections.defaultdict(collections.Counter)
    buckets = collections.Counter()
    for comm, frames in samples(sys.stdin):
        if not frames:
            continue
        frames = fix_inlined(frames)
        total += 1
        g = group(comm)
        by_group[g] += 1
        buckets[bucket(g, frames)] += 1
        leaf = frames[0]
        by_dso[leaf[1]] += 1
        self_fn[(leaf[1], leaf[0])] += 1
        seen = set()
        for name, dso, _, _ in frames:
            key = (dso, name)
            if key in seen:
                continue
            seen.add(key)
            incl_fn[key] += 1
            group_incl[g][key] += 1
    if total == 0:
        print("no samples")
        return
    print("%d samples\n" % total)
    if args.buckets:
        table("where the time goes (first matching rule)", buckets, total,
              len(BUCKETS))
    table("self time by thread group", by_group, total, args.top)
    table("self time by library", by_dso, total, args.top)
    fmt = lambda k: "%-30s %s" % (k[0], k[1])
    table("self time by function", self_fn, total, args.top, fmt)
    table("time including callees, by function", incl_fn, total, args.top, fmt)
    for g, n in by_group.most_common(args.groups):
        table("thread group %s (%.1f%% of all): including callees" %
              (g, 100.0 * n / total), group_incl[g], total, args.top, fmt)


if __name__ == "__main__":
    main()

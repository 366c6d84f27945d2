/* resilientrtsp
 * jitter.h: a threadless jitterbuffer for one RTP stream — reordering,
 * duplicate and late-packet removal, loss detection, timestamps, and the
 * RFC 3550 receiver counts. No pads, no threads, no clock, no locks: the
 * caller passes every packet with its arrival time and calls _advance()
 * when _next_deadline() has come; released packets and events are appended
 * to a GstQueueArray the caller keeps and pushes downstream.
 *
 * It replaces rtpbin's rtpjitterbuffer (and its two threads per stream) in
 * the built-in receive path (media.c, rtp-manager=builtin).
 *
 * Times are the element's running time in nanoseconds (GstClockTime), as
 * gst_element_get_current_running_time() gives.
 *
 * Release rule: a packet is released as soon as every packet before it was
 * released or declared lost — in-order packets never wait. A packet after
 * a gap is held until the gap is filled or until its deadline (its PTS +
 * latency − margin, see GstResilientJitterSettings): then the missing
 * packets are declared lost (one GstRTPPacketLost event per lost packet,
 * at most 100 per gap, when do_lost) and the held packets released.
 * Lost events carry "seqnum" (the first packet they stand for), "timestamp"
 * and "duration" (interpolated between the PTS of the last released packet
 * and of the packet after the gap) and "retry" 0, as rtpjitterbuffer's;
 * in a gap of more than 100 the first 99 packets get one event each and
 * the 100th covers all the rest (its duration is theirs together). Every
 * packet released after a gap, after a restart, and the first one (after
 * _new() or _reset()) carries GST_BUFFER_FLAG_DISCONT; all others have it
 * cleared.
 *
 * Timestamps: the first packet maps its RTP time to its arrival. Every
 * later PTS is base arrival + RTP time elapsed (extended timestamps, the
 * clock rate) + the skew: the smallest (arrival − sender time) seen over
 * the last ~2 s, so network jitter is removed and clock drift followed.
 * Packets with the same RTP timestamp get the same PTS; PTS never goes
 * backwards for a later RTP timestamp. DTS is the arrival time.
 * (The window is two half-windows of 1 s, so the skew is the smallest
 * difference of the last 1–2 s; after a pause of 2 s or more it starts
 * afresh. Only packets that advance the sequence move it. "The same PTS"
 * holds for a packet with the latest RTP timestamp seen; a reordered packet
 * of an older one gets its PTS computed again, never later than the
 * latest's.) A timestamp jump
 * forward is absorbed by the skew at once (PTS stays with the arrivals); a
 * PTS more than 10 s away from its packet's arrival, either way, re-bases
 * the timing at that packet (its PTS is its arrival): a jump backward or
 * the packet after a stray one. A re-base is no restart: the verdict,
 * the counts and the release are not affected, and no DISCONT is set.
 * A ts-offset (_set_ts_offset()) is added to PTS and DTS on release.
 *
 * Sequence numbers (RFC 3550 A.1 with MAX_DROPOUT 3000, MAX_MISORDER 100,
 * no probation): a packet 1 to 2999 ahead of the highest received is a new
 * highest (a gap when more than 1 ahead); 3000 or more ahead (up to half
 * the sequence space) or another SSRC is a restart, at once. A packet more
 * than 100 behind the last released is LATE unless it falls in the range
 * last declared lost: LATE too; otherwise it is kept aside, and when the
 * very next packet is its successor the two start a new sequence (a camera
 * that restarted backwards): the stream restarts from the kept packet, both
 * are released, nothing is lost; else it is dropped (counted late then).
 *
 * Cost: no allocation per packet (the caller's GstQueueArray grows to the
 * largest burst once); an in-order
 * packet is never stored. Held packets sit in a ring indexed by sequence
 * number that grows (by doubling, from 16 slots) as far as 2 × max_held
 * (at least 64) packets past the first missing one; a packet further ahead
 * than that declares the oldest missing ones lost at once, as max_held
 * overflow does.
 *
 * Times beyond 2^60 ns (36 years) are clamped to it, so no input can make
 * the arithmetic overflow.
 */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstqueuearray.h>

#include "rtcp.h"

G_BEGIN_DECLS

typedef struct _GstResilientJitter GstResilientJitter;

/**
 * GstResilientJitterSettings:
 * @latency: how long a packet may wait for the ones missing before it
 *   (the element's latency property, in ns)
 * @margin: released this much before the latency runs out, so that the
 *   hand-off downstream still arrives in time (ns, < @latency; the delivery
 *   interval in practice)
 * @do_lost: add a GstRTPPacketLost event for each lost packet
 * @max_held: the most packets held while waiting; when exceeded, the
 *   oldest gap is declared lost at once (0 = 1024, at most 16384)
 *
 * A held packet's deadline is never before its arrival: when @margin ≥
 * @latency (or the packet is later than latency − margin), it goes at the
 * first _advance() at or after its arrival.
 */
typedef struct
{
  GstClockTime latency;
  GstClockTime margin;
  gboolean do_lost;
  guint max_held;
} GstResilientJitterSettings;

/**
 * GstResilientJitterVerdict:
 * What _push() did with a packet.
 * @GST_RESILIENT_JITTER_RELEASED: released now (with any held packets it
 *   unblocked); also the first packet after _new() or _reset(), and a held
 *   packet released at once by max_held overflow
 * @GST_RESILIENT_JITTER_HELD: after a gap, held
 * @GST_RESILIENT_JITTER_DUPLICATE: already held or released: dropped
 * @GST_RESILIENT_JITTER_LATE: older than the last released (its slot was
 *   declared lost), or wildly off (see above): dropped
 * @GST_RESILIENT_JITTER_RESTARTED: a new SSRC, or a sequence number jump
 *   no reordering explains (RFC 3550 A.1 MAX_DROPOUT, MAX_MISORDER; see
 *   above): everything held was released (gaps between held packets
 *   declared lost), counting and timing start again from this packet,
 *   which is released (after the packet kept aside, when two agreed).
 *   A timestamp jump alone only re-bases the timing (see above)
 * @GST_RESILIENT_JITTER_INVALID: not an RTP packet (too short, not version
 *   2, bad padding/extension lengths): dropped
 */
typedef enum
{
  GST_RESILIENT_JITTER_RELEASED,
  GST_RESILIENT_JITTER_HELD,
  GST_RESILIENT_JITTER_DUPLICATE,
  GST_RESILIENT_JITTER_LATE,
  GST_RESILIENT_JITTER_RESTARTED,
  GST_RESILIENT_JITTER_INVALID,
} GstResilientJitterVerdict;

/* @clock_rate: of the stream's RTP timestamps (from the SDP); 0 when
 * unknown — PTS is then the arrival time. */
G_GNUC_INTERNAL GstResilientJitter *gst_resilient_jitter_new (const GstResilientJitterSettings * settings,
    guint clock_rate);
G_GNUC_INTERNAL void gst_resilient_jitter_free (GstResilientJitter * jitter);

/* A caps change (a new payload type's clock rate): later timestamps use
 * it, from the next packet on, without a jump in PTS. */
G_GNUC_INTERNAL void gst_resilient_jitter_set_clock_rate (GstResilientJitter * jitter,
    guint clock_rate);

/**
 * gst_resilient_jitter_push:
 * @buf: (transfer full): an RTP packet
 * @arrival: when it arrived (running time, ns)
 * @out: released items are appended (GstMiniObject*: GstBuffer with PTS,
 *   DTS and, after a gap or a restart, GST_BUFFER_FLAG_DISCONT; or a
 *   GstRTPPacketLost GstEvent), in the order to push them
 */
G_GNUC_INTERNAL GstResilientJitterVerdict gst_resilient_jitter_push (GstResilientJitter * jitter,
    GstBuffer * buf, GstClockTime arrival, GstQueueArray * out);

/* Releases what waited until @now (running time): gaps whose deadline
 * passed are declared lost. Appends to @out as _push() does. */
G_GNUC_INTERNAL void gst_resilient_jitter_advance (GstResilientJitter * jitter,
    GstClockTime now, GstQueueArray * out);

/* The running time at which _advance() will release something,
 * GST_CLOCK_TIME_NONE when nothing is held. */
G_GNUC_INTERNAL GstClockTime gst_resilient_jitter_next_deadline (GstResilientJitter * jitter);

/* Releases everything held at once (gaps declared lost, as at a deadline):
 * at the end of a stream or before a new PLAY. Appends to @out. */
G_GNUC_INTERNAL void gst_resilient_jitter_drain (GstResilientJitter * jitter, GstQueueArray * out);

/* A new PLAY (sequence numbers and timestamps jump): what is held is
 * dropped, the next packet restarts counting and timing (its verdict is
 * RELEASED, it carries DISCONT). The RFC 3550 counts start again; the
 * lifetime totals (GstResilientJitterTotals) are kept. */
G_GNUC_INTERNAL void gst_resilient_jitter_reset (GstResilientJitter * jitter);

/* The current source's counts, for our receiver report; @counts->received
 * is 0 when no packet was counted since the last restart. */
G_GNUC_INTERNAL void gst_resilient_jitter_get_counts (GstResilientJitter * jitter,
    GstResilientRtcpSourceCounts * counts);

/**
 * gst_resilient_jitter_set_ts_offset:
 * @offset: added to the PTS and DTS of what is released from now on, and
 *   to the "timestamp" of GstRTPPacketLost events (ns; 0 = none, the
 *   initial value; GST_CLOCK_TIME_NONE is taken as 0)
 *
 * Delays the stream's timestamps, to line it up with the other streams of
 * its sender (inter-stream sync from RTCP sender reports: the caller's
 * job). The new offset is taken at the first released packet whose PTS
 * (without offset) is later than the last one's — a later RTP time; the
 * packets of one RTP time share an offset, so they keep sharing a PTS,
 * and a reordered older one does not move it: an increase at once (PTS jumps
 * forward), a decrease spread over the following packets so that PTS keeps
 * increasing — each packet with a later PTS takes at most half of its PTS
 * step off the offset (a 100 ms decrease over a 20 ms packet stream takes
 * ten packets). After a restart, _reset() or a re-base of the timing the
 * first released packet takes the offset at once. The offset is kept
 * across restarts and _reset().
 *
 * Deadlines (_next_deadline(), _advance()) stay on the un-offset times: the
 * release rule above is unchanged, and a held packet waits no longer than
 * without an offset (downstream has the offset to spare on top).
 */
G_GNUC_INTERNAL void gst_resilient_jitter_set_ts_offset (GstResilientJitter * jitter,
    GstClockTime offset);

/**
 * gst_resilient_jitter_rtp_to_pts:
 * @rtptime: an RTP timestamp of the current source, near the latest one
 *   (it is extended relative to the latest RTP time seen: at most 2^31
 *   ticks either way)
 * @pts: (out): the PTS the current timing gives it, without the ts-offset
 *
 * The current mapping: the sender time of @rtptime (base arrival + RTP
 * time elapsed at the clock rate) + the current skew — what a packet of
 * that RTP time arriving now would get, before the rule that PTS never goes
 * backwards. Used with a sender report's RTP time to relate the stream's
 * PTS to the sender's NTP clock.
 *
 * Returns: FALSE (and @pts untouched) before the first packet (after
 * _new() or _reset()), with an unknown clock rate (0), or when the PTS
 * would be negative (an RTP time long before the first packet's).
 */
G_GNUC_INTERNAL gboolean gst_resilient_jitter_rtp_to_pts (GstResilientJitter * jitter,
    guint32 rtptime, GstClockTime * pts);

/**
 * GstResilientJitterTotals:
 * Lifetime totals for the stats property (kept across restarts):
 * @released: packets pushed downstream; @lost: packets declared lost;
 * @duplicates, @late: dropped packets (a wildly-off packet is counted late
 * when the next packet shows it started nothing); @reordered: packets that
 * arrived after a later one and were still released in order; @held:
 * packets held now; @jitter_ns: the current interarrival jitter in ns (0
 * when the clock rate is unknown). INVALID packets are not counted.
 *
 * @counts->received (_get_counts()) counts the released and held packets
 * of the current source from @base_seq on, and the late ones up to 100
 * behind the last released (RFC 3550: they did arrive); not duplicates nor
 * packets further behind. The jitter (A.8) is computed over the same
 * packets, with the arrival time in RTP units.
 */
typedef struct
{
  guint64 released;
  guint64 lost;
  guint64 duplicates;
  guint64 late;
  guint64 reordered;
  guint held;
  GstClockTime jitter_ns;
} GstResilientJitterTotals;

G_GNUC_INTERNAL void gst_resilient_jitter_get_totals (GstResilientJitter * jitter,
    GstResilientJitterTotals * totals);

G_END_DECLS

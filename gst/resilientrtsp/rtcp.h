/* resilientrtsp
 * rtcp.h: the receiver side of RTCP (RFC 3550) as pure functions — no I/O,
 * no clock, no locks; the caller passes times in (monotonic µs) and keeps
 * the per-source state in its own struct under its own lock.
 *
 *  - parsing a compound RTCP packet from the server: its sender report
 *    (NTP ↔ RTP time mapping, for stats and timestamps), report blocks
 *    about us (round trip), BYE;
 *  - building our receiver report (RR + SDES CNAME) about one source from
 *    its counts (GstResilientRtcpSourceCounts, kept by jitter.c) and BYE;
 *  - the RFC 3550 report interval for a receiver.
 *
 * Used by the built-in RTP receive path (media.c with rtp-manager=builtin)
 * in place of rtpbin's rtpsession and its per-stream RTCP thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstResilientRtcpSourceCounts:
 * @ssrc: the source's SSRC
 * @base_seq: the extended sequence number of the first packet counted
 *   (RFC 3550 A.1 base_seq, with its cycle count)
 * @ext_max_seq: the extended highest sequence number received (cycles in
 *   the upper 16 bits, as the report block carries it)
 * @received: packets received since @base_seq (duplicates not counted)
 * @jitter: interarrival jitter estimate in RTP timestamp units
 *   (RFC 3550 A.8, already divided by 16)
 * @clock_rate: of the RTP timestamps, 0 when unknown
 *
 * What a report block is made from: kept per source by the receive path.
 * @received == 0 means nothing was received: no report block is made.
 */
typedef struct
{
  guint32 ssrc;
  guint32 base_seq;
  guint32 ext_max_seq;
  guint64 received;
  guint32 jitter;
  guint clock_rate;
} GstResilientRtcpSourceCounts;

/**
 * GstResilientRtcpSenderReport:
 * The last sender report of a source: @ntptime (NTP 64-bit fixed point)
 * corresponds to @rtptime; @arrival_us is when it arrived (monotonic µs).
 */
typedef struct
{
  guint32 ssrc;
  guint64 ntptime;
  guint32 rtptime;
  guint32 packet_count;
  guint32 octet_count;
  gint64 arrival_us;
} GstResilientRtcpSenderReport;

/**
 * GstResilientRtcpInfo:
 * @have_sr: the packet had a sender report; @sr is the last one (of
 *   whichever SSRC: the caller compares @sr.ssrc with the source's)
 * @have_rb: the packet had a report block about @our_ssrc (given to
 *   _parse) in an SR or RR, with @rb_lsr / @rb_dlsr (RFC 3550 6.4.1 units)
 *   and @rb_fraction_lost (1/256) / @rb_packets_lost (24-bit signed,
 *   sign-extended) as the server saw our stream; the last such block
 * @bye: the packet had a BYE listing at least one SSRC; @bye_ssrc is the
 *   first one listed in the first such BYE
 */
typedef struct
{
  gboolean have_sr;
  GstResilientRtcpSenderReport sr;
  gboolean have_rb;
  guint32 rb_lsr;
  guint32 rb_dlsr;
  guint8 rb_fraction_lost;
  gint32 rb_packets_lost;
  gboolean bye;
  guint32 bye_ssrc;
} GstResilientRtcpInfo;

/**
 * gst_resilient_rtcp_parse:
 * @buf: a compound RTCP packet as received
 * @our_ssrc: our own SSRC, to find report blocks about us
 * @arrival_us: when @buf arrived (monotonic µs), copied into @info->sr
 * @info: (out): what it said; zeroed first
 *
 * Accepts full compound packets (RFC 3550 6.1: SR or RR first) and, as
 * RFC 5506 allows, reduced-size ones (any RTCP packet type first, e.g. a
 * lone BYE or feedback packet). Packet types other than SR, RR and BYE are
 * skipped (after their length is checked).
 *
 * Returns: FALSE when @buf is not a valid (compound or reduced-size) RTCP
 * packet: too short, not version 2 in any packet, packet lengths that do
 * not add up to the buffer, padding anywhere but on the last packet or a
 * padding count that does not fit, or a packet too short for its type and
 * count (an SR/RR whose report blocks, a BYE whose SSRCs, do not fit);
 * @info is then all zero. Never reads outside @buf, whatever its content.
 */
G_GNUC_INTERNAL gboolean gst_resilient_rtcp_parse (GstBuffer * buf, guint32 our_ssrc,
    gint64 arrival_us, GstResilientRtcpInfo * info);

/**
 * GstResilientRtcpReceiverState:
 * What we remember about one source between two of our reports: the
 * counts at the previous report (RFC 3550 A.3 expected_prior /
 * received_prior) and the last sender report (for LSR/DLSR). Zero-filled
 * memory is the initial state (no report sent, no SR seen).
 *
 * When the counts restart (a new SSRC or a new @base_seq, e.g. after
 * RESTARTED or a reset of the jitterbuffer), the next report block covers
 * everything since the restart, as the first one does: the caller need
 * not reset the state. The last SR is kept; LSR/DLSR are only filled from
 * a sender report of the SSRC reported on.
 */
typedef struct
{
  gboolean reported;            /* a report block was made before */
  guint32 expected_prior;
  guint64 received_prior;
  gboolean have_sr;
  GstResilientRtcpSenderReport last_sr;
  /* the last report block we made, for stats */
  guint8 last_fraction_lost;
  gint32 last_packets_lost;
  /* < private > the counts the priors belong to (restart detection) */
  guint32 prior_ssrc;
  guint32 prior_base_seq;
} GstResilientRtcpReceiverState;

/* A sender report of the source arrived (from _parse): kept for the next
 * report's LSR/DLSR. */
G_GNUC_INTERNAL void gst_resilient_rtcp_receiver_state_sr (GstResilientRtcpReceiverState * state,
    const GstResilientRtcpSenderReport * sr);

/**
 * gst_resilient_rtcp_build_rr:
 * @our_ssrc: our SSRC (random, chosen once per stream)
 * @cname: our SDES CNAME (e.g. "user@host"), not NULL
 * @counts: (nullable): the source to report on; NULL or nothing received:
 *   an RR with no report block (still a valid keep-alive for servers that
 *   want one)
 * @state: updated: the priors for the next report, the last report block;
 *   left alone when no block is made (may then be NULL)
 * @now_us: monotonic µs, for DLSR
 *
 * The report block (RFC 3550 6.4.2, A.3): expected = @ext_max_seq −
 * @base_seq + 1 (32-bit arithmetic); cumulative lost = expected −
 * @received, clamped to [−0x800000, 0x7fffff]; fraction lost = the
 * interval's lost × 256 / the interval's expected since the previous
 * report (since the first packet for the first one), 0 when nothing was
 * lost or more than expected arrived, at most 255; extended highest
 * sequence number and jitter as in @counts; LSR = the middle 32 bits of
 * the last SR's NTP time and DLSR = @now_us − its arrival in 1/65536 s
 * (clamped to 32 bits), both 0 when no SR of @counts->ssrc arrived.
 * A @cname longer than 255 bytes (the SDES limit) is cut to 255 bytes, at
 * a character boundary when it is UTF-8. (GStreamer 1.22's reader, and so
 * gst-rtsp-server, ignores a CNAME shorter than 2 bytes.)
 *
 * Returns: (transfer full): a compound packet RR + SDES(CNAME), padded to
 * 32-bit words as RFC 3550 requires (it passes gst_rtcp_buffer_validate()).
 */
G_GNUC_INTERNAL GstBuffer *gst_resilient_rtcp_build_rr (guint32 our_ssrc, const gchar * cname,
    const GstResilientRtcpSourceCounts * counts,
    GstResilientRtcpReceiverState * state, gint64 now_us);

/* Returns: (transfer full): RR (no report block) + SDES(CNAME) + BYE of
 * @our_ssrc, sent when the stream is torn down. */
G_GNUC_INTERNAL GstBuffer *gst_resilient_rtcp_build_bye (guint32 our_ssrc, const gchar * cname);

/**
 * gst_resilient_rtcp_interval_us:
 * @initial: TRUE for the first report (RFC 3550 6.3.1: half the minimum)
 * @random: a value in [0, 1) (g_random_double() in the caller, fixed in
 *   tests); clamped to [0, 1], NaN taken as 0
 *
 * Returns: the time to the next report of a receiver in a two-member
 * session, RFC 3550 6.3.1 with the 5 s minimum: the RTCP bandwidth is
 * unknown (no b=RR/b=RS, no session bandwidth we trust), so the
 * deterministic interval is the minimum, 5 s (2.5 s for the first report),
 * scaled by @random + 0.5 and divided by e − 3/2 (≈ 1.21828): within
 * [2.052, 6.156) s, or [1.026, 3.078) s for the first report. Timer
 * reconsideration does not apply: the membership never changes.
 */
G_GNUC_INTERNAL gint64 gst_resilient_rtcp_interval_us (gboolean initial, gdouble random);

/**
 * gst_resilient_rtcp_round_trip_us:
 * @lsr, @dlsr: from a report block about us (GstResilientRtcpInfo)
 * @arrival_ntp: the NTP time (64-bit fixed point) the report arrived
 *
 * Returns: the round trip in µs (RFC 3550 6.4.1: A − LSR − DLSR with A the
 * middle 32 bits of @arrival_ntp, modulo 2^32, in 1/65536 s, rounded
 * down), -1 when @lsr is 0 (the server had no SR from us) or the result is
 * negative (beyond 2^31 modulo 2^32).
 */
G_GNUC_INTERNAL gint64 gst_resilient_rtcp_round_trip_us (guint32 lsr, guint32 dlsr,
    guint64 arrival_ntp);

G_END_DECLS

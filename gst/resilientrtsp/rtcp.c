/* resilientrtsp
 * rtcp.c: the receiver side of RTCP (RFC 3550) as pure functions — parsing
 * the server's compound packets, building our RR/SDES/BYE, the report
 * interval and the round trip. See rtcp.h.
 *
 * Parsing goes through GstRTCPBuffer, but its accessors trust the length
 * and count fields of a packet more than a hostile sender deserves (in
 * some versions a report block or sender info past the end of its packet
 * is read from the next packet). So every packet's length is checked here
 * against what its count and type need before an accessor reads it, and a
 * packet that does not hold what it claims makes the whole compound
 * invalid.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtcp.h"

#include <math.h>
#include <string.h>
#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (rtcp_debug);
#define GST_CAT_DEFAULT rtcp_debug

/* What we build is at most RR (8 + 24) + SDES (8 + 2 + 255 + pad) + BYE
 * (8) = 308 bytes; gst_rtcp_buffer_add_packet() wants room to spare. */
#define BUILD_MTU 512

/* RFC 3550 6.3.1 / A.7 */
#define RTCP_MIN_INTERVAL_US G_GINT64_CONSTANT (5000000)
#define COMPENSATION (M_E - 1.5)

/* the cumulative number lost is a 24-bit signed field (RFC 3550 A.3) */
#define MAX_PACKETS_LOST 0x7fffff
#define MAX_PACKETS_GAINED 0x800000

static void
ensure_debug_category (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (rtcp_debug, "resilientrtsprtcp", 0,
        "resilientrtsp RTCP receiver reports");
    g_once_init_leave (&initialized, 1);
  }
}

/* ---------------------------------------------------------------------- */
/* parsing */

/* The 32-bit words of @packet after its header, without its padding.
 * FALSE when the padding count does not fit (only the last packet of a
 * validated compound can be padded, so its last byte is the count). */
static gboolean
packet_body_words (GstRTCPPacket * packet, guint * words)
{
  guint length = gst_rtcp_packet_get_length (packet);

  *words = length;
  if (gst_rtcp_packet_get_padding (packet)) {
    const guint8 *data = packet->rtcp->map.data + packet->offset;
    guint pad = data[(length + 1) * 4 - 1];

    /* the count includes itself and keeps the packet in 32-bit words */
    if (pad == 0 || (pad & 3) != 0 || pad > length * 4) {
      GST_DEBUG ("bad padding count %u in a packet of %u words", pad,
          length + 1);
      return FALSE;
    }
    *words -= pad / 4;
  }
  return TRUE;
}

/* The words after the header that a packet of @type with @count in its
 * header needs at least; 0 for types we do not know. */
static guint
packet_min_words (GstRTCPType type, guint count)
{
  switch (type) {
    case GST_RTCP_TYPE_SR:
      return 6 + 6 * count;     /* SSRC + sender info + report blocks */
    case GST_RTCP_TYPE_RR:
      return 1 + 6 * count;     /* SSRC + report blocks */
    case GST_RTCP_TYPE_BYE:
      return count;             /* the SSRCs */
    case GST_RTCP_TYPE_APP:
    case GST_RTCP_TYPE_RTPFB:
    case GST_RTCP_TYPE_PSFB:
      return 2;                 /* SSRC + name / media SSRC */
    case GST_RTCP_TYPE_XR:
      return 1;                 /* SSRC */
    default:
      return 0;
  }
}

static void
parse_report_blocks (GstRTCPPacket * packet, guint32 our_ssrc,
    GstResilientRtcpInfo * info)
{
  guint i, n = gst_rtcp_packet_get_rb_count (packet);

  for (i = 0; i < n; i++) {
    guint32 ssrc, exthighestseq, jitter, lsr, dlsr;
    guint8 fraction;
    gint32 lost;

    gst_rtcp_packet_get_rb (packet, i, &ssrc, &fraction, &lost,
        &exthighestseq, &jitter, &lsr, &dlsr);
    if (ssrc != our_ssrc)
      continue;
    info->have_rb = TRUE;
    info->rb_fraction_lost = fraction;
    info->rb_packets_lost = lost;
    info->rb_lsr = lsr;
    info->rb_dlsr = dlsr;
  }
}

gboolean
gst_resilient_rtcp_parse (GstBuffer * buf, guint32 our_ssrc,
    gint64 arrival_us, GstResilientRtcpInfo * info)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gsize size, walked = 0;
  gboolean more, ok = TRUE;

  g_return_val_if_fail (info != NULL, FALSE);
  memset (info, 0, sizeof (*info));
  g_return_val_if_fail (GST_IS_BUFFER (buf), FALSE);

  ensure_debug_category ();

  /* the total length, versions and padding position (reduced-size rules,
   * which also accept every full compound packet); an empty buffer maps to
   * NULL, which the validation does not take */
  size = gst_buffer_get_size (buf);
  if (size < 4 || !gst_rtcp_buffer_validate_reduced (buf)) {
    GST_DEBUG ("not a valid RTCP packet (%" G_GSIZE_FORMAT " bytes)", size);
    return FALSE;
  }

  gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp);
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more && ok;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type (&packet);
    guint count = gst_rtcp_packet_get_count (&packet);
    guint words;

    walked = packet.offset + (gst_rtcp_packet_get_length (&packet) + 1) * 4;
    if (!packet_body_words (&packet, &words)) {
      ok = FALSE;
      break;
    }
    if (words < packet_min_words (type, count)) {
      GST_DEBUG ("packet type %d count %u too short: %u words", type, count,
          words);
      ok = FALSE;
      break;
    }

    switch (type) {
      case GST_RTCP_TYPE_SR:
        info->have_sr = TRUE;
        gst_rtcp_packet_sr_get_sender_info (&packet, &info->sr.ssrc,
            &info->sr.ntptime, &info->sr.rtptime, &info->sr.packet_count,
            &info->sr.octet_count);
        info->sr.arrival_us = arrival_us;
        parse_report_blocks (&packet, our_ssrc, info);
        break;
      case GST_RTCP_TYPE_RR:
        parse_report_blocks (&packet, our_ssrc, info);
        break;
      case GST_RTCP_TYPE_BYE:
        if (!info->bye && count > 0) {
          info->bye = TRUE;
          info->bye_ssrc = gst_rtcp_packet_bye_get_nth_ssrc (&packet, 0);
        }
        break;
      default:
        break;
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);

  /* every byte was walked: a packet GstRTCPBuffer refused to move to (its
   * own size rules) makes the compound invalid here too */
  if (ok && walked != size) {
    GST_DEBUG ("packets stopped at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
        " bytes", walked, size);
    ok = FALSE;
  }
  if (!ok) {
    memset (info, 0, sizeof (*info));
    return FALSE;
  }

  GST_LOG ("parsed: sr %d (ssrc %08x) rb %d bye %d", info->have_sr,
      info->sr.ssrc, info->have_rb, info->bye);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* building */

void
gst_resilient_rtcp_receiver_state_sr (GstResilientRtcpReceiverState * state,
    const GstResilientRtcpSenderReport * sr)
{
  g_return_if_fail (state != NULL);
  g_return_if_fail (sr != NULL);

  state->have_sr = TRUE;
  state->last_sr = *sr;
}

/* The cumulative number lost, clamped to the 24-bit field (RFC 3550 A.3:
 * clamped, not wrapped; negative with duplicates). */
static gint32
clamp_packets_lost (guint64 expected, guint64 received)
{
  if (expected >= received)
    return (gint32) MIN (expected - received, (guint64) MAX_PACKETS_LOST);
  return -(gint32) MIN (received - expected, (guint64) MAX_PACKETS_GAINED);
}

/* RFC 3550 A.3: the fraction lost since the previous report, in 1/256,
 * 0 when none was lost or more arrived than were expected, 255 at most. */
static guint8
fraction_lost (guint32 expected_interval, guint64 received_interval)
{
  guint64 lost_interval, fraction;

  if (expected_interval == 0 || received_interval >= expected_interval)
    return 0;
  lost_interval = expected_interval - received_interval;
  fraction = (lost_interval << 8) / expected_interval;
  return (guint8) MIN (fraction, 255);
}

/* LSR / DLSR of a report block about @ssrc (RFC 3550 6.4.1): 0 / 0 when no
 * sender report of @ssrc arrived. */
static void
last_sr_fields (const GstResilientRtcpReceiverState * state, guint32 ssrc,
    gint64 now_us, guint32 * lsr, guint32 * dlsr)
{
  gint64 since_us;
  guint64 units;

  *lsr = 0;
  *dlsr = 0;
  if (!state->have_sr || state->last_sr.ssrc != ssrc)
    return;

  *lsr = (guint32) (state->last_sr.ntptime >> 16);
  since_us = now_us - state->last_sr.arrival_us;
  if (since_us <= 0)
    return;
  /* 1/65536 s; more than 18 h is clamped (and means nothing by then) */
  units = gst_util_uint64_scale_int ((guint64) since_us, 65536, 1000000);
  *dlsr = (guint32) MIN (units, (guint64) G_MAXUINT32);
}

/* Adds the report block about @counts to the RR @packet; updates @state. */
static gboolean
add_report_block (GstRTCPPacket * packet,
    const GstResilientRtcpSourceCounts * counts,
    GstResilientRtcpReceiverState * state, gint64 now_us)
{
  guint32 expected, expected_interval, lsr, dlsr;
  guint64 received_interval;
  guint8 fraction;
  gint32 lost;

  /* counting restarted (a new SSRC, a new PLAY): the priors belong to the
   * counts before, this report covers everything since the restart */
  if (state->reported && (state->prior_ssrc != counts->ssrc
          || state->prior_base_seq != counts->base_seq
          || counts->received < state->received_prior)) {
    GST_DEBUG ("source %08x: counting restarted", counts->ssrc);
    state->reported = FALSE;
  }
  if (!state->reported) {
    state->expected_prior = 0;
    state->received_prior = 0;
  }

  /* 32-bit arithmetic as RFC 3550 A.3: the extended numbers wrap */
  expected = counts->ext_max_seq - counts->base_seq + 1;
  lost = clamp_packets_lost (expected, counts->received);
  expected_interval = expected - state->expected_prior;
  received_interval = counts->received - state->received_prior;
  fraction = fraction_lost (expected_interval, received_interval);
  last_sr_fields (state, counts->ssrc, now_us, &lsr, &dlsr);

  if (!gst_rtcp_packet_add_rb (packet, counts->ssrc, fraction, lost,
          counts->ext_max_seq, counts->jitter, lsr, dlsr))
    return FALSE;

  GST_LOG ("report on %08x: expected %u received %" G_GUINT64_FORMAT
      " lost %d fraction %u/256 lsr %08x dlsr %u", counts->ssrc, expected,
      counts->received, lost, fraction, lsr, dlsr);

  state->reported = TRUE;
  state->prior_ssrc = counts->ssrc;
  state->prior_base_seq = counts->base_seq;
  state->expected_prior = expected;
  state->received_prior = counts->received;
  state->last_fraction_lost = fraction;
  state->last_packets_lost = lost;
  return TRUE;
}

/* The SDES CNAME item takes at most 255 bytes: a longer @cname is cut at
 * the last UTF-8 character boundary before that. */
static guint8
cname_length (const gchar * cname)
{
  gsize len = strlen (cname);
  const gchar *end;

  if (len <= 255)
    return (guint8) len;
  end = cname + 255;
  if (g_utf8_validate (cname, len, NULL)) {
    /* back to the start of the character the cut falls in */
    while (end > cname && (((guchar) * end) & 0xc0) == 0x80)
      end--;
  }
  return (guint8) (end - cname);
}

/* RR (with a block about @counts when given) + SDES CNAME, then BYE when
 * @bye. */
static GstBuffer *
build (guint32 our_ssrc, const gchar * cname,
    const GstResilientRtcpSourceCounts * counts,
    GstResilientRtcpReceiverState * state, gint64 now_us, gboolean bye)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buf;
  gboolean ok;

  buf = gst_rtcp_buffer_new (BUILD_MTU);
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);

  ok = gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
  if (ok) {
    gst_rtcp_packet_rr_set_ssrc (&packet, our_ssrc);
    if (counts != NULL && counts->received > 0)
      ok = add_report_block (&packet, counts, state, now_us);
  }
  ok = ok && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &packet);
  ok = ok && gst_rtcp_packet_sdes_add_item (&packet, our_ssrc);
  ok = ok && gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME,
      cname_length (cname), (const guint8 *) cname);
  if (bye) {
    ok = ok && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_BYE, &packet);
    ok = ok && gst_rtcp_packet_bye_add_ssrc (&packet, our_ssrc);
  }
  gst_rtcp_buffer_unmap (&rtcp);

  /* cannot happen: BUILD_MTU holds the largest packet we make */
  g_assert (ok);
  return buf;
}

GstBuffer *
gst_resilient_rtcp_build_rr (guint32 our_ssrc, const gchar * cname,
    const GstResilientRtcpSourceCounts * counts,
    GstResilientRtcpReceiverState * state, gint64 now_us)
{
  g_return_val_if_fail (cname != NULL, NULL);
  g_return_val_if_fail (state != NULL || counts == NULL
      || counts->received == 0, NULL);

  ensure_debug_category ();
  return build (our_ssrc, cname, counts, state, now_us, FALSE);
}

GstBuffer *
gst_resilient_rtcp_build_bye (guint32 our_ssrc, const gchar * cname)
{
  g_return_val_if_fail (cname != NULL, NULL);

  ensure_debug_category ();
  return build (our_ssrc, cname, NULL, NULL, 0, TRUE);
}

/* ---------------------------------------------------------------------- */
/* timing */

gint64
gst_resilient_rtcp_interval_us (gboolean initial, gdouble random)
{
  gdouble t;

  /* members = 2, senders = 1, RTCP bandwidth unknown: the deterministic
   * interval is the minimum (halved before the first report) */
  t = initial ? RTCP_MIN_INTERVAL_US / 2 : RTCP_MIN_INTERVAL_US;
  if (!(random >= 0.0))         /* also NaN */
    random = 0.0;
  else if (random > 1.0)
    random = 1.0;
  t *= random + 0.5;
  t /= COMPENSATION;
  return (gint64) t;
}

gint64
gst_resilient_rtcp_round_trip_us (guint32 lsr, guint32 dlsr,
    guint64 arrival_ntp)
{
  guint32 a = (guint32) (arrival_ntp >> 16);
  guint32 rtt;

  if (lsr == 0)
    return -1;
  /* modulo 2^32 as RFC 3550 6.4.1; beyond half the range it went
   * negative (a DLSR or clock that does not add up) */
  rtt = a - lsr - dlsr;
  if (rtt > G_MAXINT32)
    return -1;
  return (gint64) gst_util_uint64_scale_int (rtt, 1000000, 65536);
}

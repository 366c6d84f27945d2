/* resilientrtsp
 * natpunch.c: NAT hole punching. The first half is pure (natpunch.h): the
 * punch packets and the refresh policy. The second half is the session's
 * glue: the punch of every UDP stream once all streams are set up (before
 * PLAY) and the refresh timer on the I/O context, destroyed with the
 * session's transport (gst_resilient_session_drop_transport).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "natpunch.h"

#include <string.h>
#include <gst/rtp/rtp.h>

#include "session-private.h"

GST_DEBUG_CATEGORY_STATIC (nat_debug);
#define GST_CAT_DEFAULT nat_debug

GType
gst_resilient_nat_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RESILIENT_NAT_METHOD_NONE, "None", "none"},
    {GST_RESILIENT_NAT_METHOD_DUMMY, "Send Dummy packets", "dummy"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientNatMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ---------------------------------------------------------------------- */
/* packets (pure) */

static gboolean
pt_used (const GstStructure * pt_caps, guint pt)
{
  gchar name[16];

  if (pt_caps == NULL)
    return FALSE;
  g_snprintf (name, sizeof (name), "pt-%u", pt);
  return gst_structure_has_field (pt_caps, name);
}

guint8
gst_resilient_nat_punch_pick_payload_type (const GstStructure * pt_caps)
{
  guint pt;

  for (pt = 127; pt >= 96; pt--) {
    if (!pt_used (pt_caps, pt))
      return pt;
  }
  for (pt = 71; pt >= 35; pt--) {
    if (!pt_used (pt_caps, pt))
      return pt;
  }
  /* every dynamic and unassigned type is in use: no such SDP exists (an m=
   * line of 69 formats); 127 is as good as any */
  return 127;
}

GstBuffer *
gst_resilient_nat_punch_new_rtp (guint8 payload_type, guint16 seqnum,
    guint32 ssrc)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf;

  g_return_val_if_fail (payload_type <= 127, NULL);

  buf = gst_rtp_buffer_new_allocate (0, 0, 0);
  if (!gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp)) {
    gst_buffer_unref (buf);
    g_return_val_if_reached (NULL);
  }
  gst_rtp_buffer_set_payload_type (&rtp, payload_type);
  gst_rtp_buffer_set_seq (&rtp, seqnum);
  gst_rtp_buffer_set_timestamp (&rtp, 0);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_marker (&rtp, FALSE);
  gst_rtp_buffer_unmap (&rtp);

  return buf;
}

GstBuffer *
gst_resilient_nat_punch_new_rtcp (guint32 ssrc)
{
  static const gchar cname[] = GST_RESILIENT_NAT_PUNCH_CNAME;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buf;
  gboolean ok;

  /* room to spare: unmap trims the buffer to the packets written */
  buf = gst_rtcp_buffer_new (256);
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);

  ok = gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
  if (ok)
    gst_rtcp_packet_rr_set_ssrc (&packet, ssrc);
  ok = ok && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &packet);
  ok = ok && gst_rtcp_packet_sdes_add_item (&packet, ssrc);
  ok = ok && gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME,
      sizeof (cname) - 1, (const guint8 *) cname);
  gst_rtcp_buffer_unmap (&rtcp);

  if (!ok) {
    gst_buffer_unref (buf);
    g_return_val_if_reached (NULL);
  }
  return buf;
}

/* ---------------------------------------------------------------------- */
/* refresh policy (pure) */

void
gst_resilient_nat_punch_policy_init (GstResilientNatPunchPolicy * policy,
    GstClockTime interval)
{
  g_return_if_fail (policy != NULL);
  g_return_if_fail (GST_CLOCK_TIME_IS_VALID (interval) && interval > 0);

  policy->interval = interval;
  policy->last_rtp = GST_CLOCK_TIME_NONE;
  policy->last_rtcp = GST_CLOCK_TIME_NONE;
}

static gboolean
port_due (GstClockTime last, GstClockTime interval, GstClockTime now)
{
  if (!GST_CLOCK_TIME_IS_VALID (last))
    return TRUE;
  /* a clock that went backwards (a caller's bug) does not stop punching */
  if (now < last)
    return TRUE;
  return now - last >= interval;
}

GstResilientNatPunchPorts
gst_resilient_nat_punch_policy_due (const GstResilientNatPunchPolicy * policy,
    GstClockTime now)
{
  GstResilientNatPunchPorts due = GST_RESILIENT_NAT_PUNCH_NONE;

  g_return_val_if_fail (policy != NULL, GST_RESILIENT_NAT_PUNCH_NONE);
  g_return_val_if_fail (GST_CLOCK_TIME_IS_VALID (now),
      GST_RESILIENT_NAT_PUNCH_NONE);

  if (port_due (policy->last_rtp, policy->interval, now))
    due |= GST_RESILIENT_NAT_PUNCH_RTP;
  if (port_due (policy->last_rtcp, policy->interval, now))
    due |= GST_RESILIENT_NAT_PUNCH_RTCP;
  return due;
}

void
gst_resilient_nat_punch_policy_punched (GstResilientNatPunchPolicy * policy,
    GstResilientNatPunchPorts ports, GstClockTime now)
{
  g_return_if_fail (policy != NULL);
  g_return_if_fail (GST_CLOCK_TIME_IS_VALID (now));

  if (ports & GST_RESILIENT_NAT_PUNCH_RTP)
    policy->last_rtp = now;
  if (ports & GST_RESILIENT_NAT_PUNCH_RTCP)
    policy->last_rtcp = now;
}

void
gst_resilient_nat_punch_policy_rtcp_sent (GstResilientNatPunchPolicy * policy,
    GstClockTime when)
{
  g_return_if_fail (policy != NULL);

  if (!GST_CLOCK_TIME_IS_VALID (when))
    return;
  if (!GST_CLOCK_TIME_IS_VALID (policy->last_rtcp) || when > policy->last_rtcp)
    policy->last_rtcp = when;
}

/* ---------------------------------------------------------------------- */
/* the session's glue (I/O thread) */

static void
nat_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (nat_debug, "resilientrtspnat", 0,
        "resilientrtsp NAT hole punching");
    g_once_init_leave (&done, 1);
  }
}

static GstClockTime
monotonic_now (void)
{
  return g_get_monotonic_time () * GST_USECOND;
}

static void
punch_stream (GstResilientSession * session, StreamPriv * stream,
    GstResilientNatPunchPorts ports, guint copies, GstClockTime now)
{
  GstResilientNatPunch *nat = &stream->nat;
  GstResilientUdpTransport *udp = stream->pub.udp;
  GstResilientNatPunchPorts sent = GST_RESILIENT_NAT_PUNCH_NONE;
  guint i;

  for (i = 0; i < copies; i++) {
    if (ports & GST_RESILIENT_NAT_PUNCH_RTP) {
      GstBuffer *buf = gst_resilient_nat_punch_new_rtp (nat->payload_type,
          nat->seqnum++, nat->ssrc);

      if (gst_resilient_udp_transport_send_punch (udp, FALSE, buf))
        sent |= GST_RESILIENT_NAT_PUNCH_RTP;
      gst_buffer_unref (buf);
    }
    if (ports & GST_RESILIENT_NAT_PUNCH_RTCP) {
      GstBuffer *buf = gst_resilient_nat_punch_new_rtcp (nat->ssrc);

      if (gst_resilient_udp_transport_send_punch (udp, TRUE, buf))
        sent |= GST_RESILIENT_NAT_PUNCH_RTCP;
      gst_buffer_unref (buf);
    }
  }
  GST_LOG_OBJECT (session, "stream %u: punched%s%s", stream->pub.index,
      (sent & GST_RESILIENT_NAT_PUNCH_RTP) ? " RTP" : "",
      (sent & GST_RESILIENT_NAT_PUNCH_RTCP) ? " RTCP" : "");
  /* a failed send (no route yet, ICMP error queued) is tried again at the
   * next tick: only what left counts */
  gst_resilient_nat_punch_policy_punched (&nat->policy, sent, now);
}

static gboolean
nat_refresh (gpointer data)
{
  GstResilientSession *session = data;
  GstClockTime now = monotonic_now ();
  guint i;

  for (i = 0; i < session->streams->len; i++) {
    StreamPriv *stream = g_ptr_array_index (session->streams, i);
    GstResilientUdpStats stats;
    GstResilientNatPunchPorts due;

    if (!stream->nat.active || stream->pub.udp == NULL)
      continue;

    gst_resilient_udp_transport_get_stats (stream->pub.udp, &stats);
    if (stats.last_rtcp_sent_us > 0)
      gst_resilient_nat_punch_policy_rtcp_sent (&stream->nat.policy,
          stats.last_rtcp_sent_us * GST_USECOND);

    due = gst_resilient_nat_punch_policy_due (&stream->nat.policy, now);
    if (due != GST_RESILIENT_NAT_PUNCH_NONE)
      punch_stream (session, stream, due, 1, now);
  }
  return G_SOURCE_CONTINUE;
}

void
gst_resilient_session_nat_punch_start (GstResilientSession * session)
{
  GstClockTime now = monotonic_now ();
  gboolean dummy =
      session->settings.nat_method == GST_RESILIENT_NAT_METHOD_DUMMY;
  guint i, punched = 0;

  nat_debug_init ();
  gst_resilient_session_destroy_source (&session->nat_source);

  for (i = 0; i < session->streams->len; i++) {
    StreamPriv *stream = g_ptr_array_index (session->streams, i);
    GstResilientNatPunch *nat = &stream->nat;

    memset (nat, 0, sizeof (*nat));
    if (stream->pub.udp == NULL ||
        stream->pub.transport != GST_RTSP_LOWER_TRANS_UDP)
      continue;

    gst_resilient_udp_transport_set_learn_source (stream->pub.udp, dummy);
    if (!dummy)
      continue;

    nat->active = TRUE;
    nat->ssrc = g_random_int ();
    nat->seqnum = g_random_int_range (0, G_MAXUINT16 + 1);
    nat->payload_type =
        gst_resilient_nat_punch_pick_payload_type (stream->pub.desc->pt_caps);
    gst_resilient_nat_punch_policy_init (&nat->policy,
        GST_RESILIENT_NAT_PUNCH_INTERVAL);
    punch_stream (session, stream, GST_RESILIENT_NAT_PUNCH_BOTH,
        GST_RESILIENT_NAT_PUNCH_INITIAL_COUNT, now);
    GST_DEBUG_OBJECT (session, "stream %u: NAT punch from ports %u/%u to "
        "%u/%u (payload type %u, SSRC %08x)", stream->pub.index,
        gst_resilient_udp_transport_get_rtp_port (stream->pub.udp),
        gst_resilient_udp_transport_get_rtcp_port (stream->pub.udp),
        stream->pub.server_rtp_port, stream->pub.server_rtcp_port,
        nat->payload_type, nat->ssrc);
    punched++;
  }

  if (punched > 0)
    session->nat_source = gst_resilient_io_context_add_timeout (session->io,
        GST_RESILIENT_NAT_PUNCH_TICK_MS, nat_refresh, session, NULL);
}

/* resilientrtsp
 * tests/check/natpunch.c: NAT hole punching — the punch packets (checked
 * with the RTP/RTCP libraries a server would use), the refresh policy with
 * injected time, and the UDP transport's punch sending and server
 * source-port learning on loopback.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

#include "natpunch.h"
#include "udptransport.h"

#define S GST_SECOND
#define INTERVAL GST_RESILIENT_NAT_PUNCH_INTERVAL

/* ---- packets ---- */

GST_START_TEST (test_rtp_packet)
{
  GstBuffer *buf = gst_resilient_nat_punch_new_rtp (127, 0xbeef, 0x11223344);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  static const guint8 expected[] = {
    0x80, 0x7f, 0xbe, 0xef, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44
  };
  GstMapInfo map;

  fail_unless (buf != NULL);
  fail_unless_equals_int (gst_buffer_get_size (buf),
      GST_RESILIENT_NAT_PUNCH_RTP_SIZE);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (memcmp (map.data, expected, sizeof (expected)) == 0);
  gst_buffer_unmap (buf, &map);

  /* what a receiver's RTP parser makes of it */
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_version (&rtp), 2);
  fail_unless_equals_int (gst_rtp_buffer_get_payload_type (&rtp), 127);
  fail_unless_equals_int (gst_rtp_buffer_get_seq (&rtp), 0xbeef);
  fail_unless_equals_int (gst_rtp_buffer_get_timestamp (&rtp), 0);
  fail_unless_equals_int (gst_rtp_buffer_get_ssrc (&rtp), 0x11223344);
  fail_if (gst_rtp_buffer_get_marker (&rtp));
  fail_if (gst_rtp_buffer_get_padding (&rtp));
  fail_if (gst_rtp_buffer_get_extension (&rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_csrc_count (&rtp), 0);
  fail_unless_equals_int (gst_rtp_buffer_get_payload_len (&rtp), 0);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buf);

  /* another type and sequence number */
  buf = gst_resilient_nat_punch_new_rtp (96, 1, 0);
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_payload_type (&rtp), 96);
  fail_unless_equals_int (gst_rtp_buffer_get_seq (&rtp), 1);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Checks @buf is RR(no blocks, @ssrc) + SDES(@ssrc, CNAME @cname) and
 * nothing else, as a server's RTCP parser sees it. */
static void
check_rtcp (GstBuffer * buf, guint32 ssrc, const gchar * cname)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstRTCPSDESType type;
  guint8 len;
  guint8 *data;
  gsize size = gst_buffer_get_size (buf);

  /* a compound packet: a multiple of 4 bytes, starts with SR/RR, lengths
   * add up, no padding but in the last */
  fail_unless (size % 4 == 0);
  fail_unless (gst_rtcp_buffer_validate (buf));

  fail_unless (gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp));
  fail_unless_equals_int (gst_rtcp_buffer_get_packet_count (&rtcp), 2);

  fail_unless (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet), GST_RTCP_TYPE_RR);
  fail_unless_equals_int (gst_rtcp_packet_rr_get_ssrc (&packet), ssrc);
  /* a receiver that has received nothing: no report blocks */
  fail_unless_equals_int (gst_rtcp_packet_get_rb_count (&packet), 0);
  fail_unless_equals_int (gst_rtcp_packet_get_length (&packet), 1);

  fail_unless (gst_rtcp_packet_move_to_next (&packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet),
      GST_RTCP_TYPE_SDES);
  fail_unless_equals_int (gst_rtcp_packet_sdes_get_item_count (&packet), 1);
  fail_unless (gst_rtcp_packet_sdes_first_item (&packet));
  fail_unless_equals_int (gst_rtcp_packet_sdes_get_ssrc (&packet), ssrc);
  fail_unless (gst_rtcp_packet_sdes_first_entry (&packet));
  fail_unless (gst_rtcp_packet_sdes_get_entry (&packet, &type, &len, &data));
  fail_unless_equals_int (type, GST_RTCP_SDES_CNAME);
  fail_unless_equals_int (len, strlen (cname));
  fail_unless (memcmp (data, cname, len) == 0);
  fail_if (gst_rtcp_packet_sdes_next_entry (&packet));

  fail_if (gst_rtcp_packet_move_to_next (&packet));
  gst_rtcp_buffer_unmap (&rtcp);
}

GST_START_TEST (test_rtcp_packet)
{
  GstBuffer *buf = gst_resilient_nat_punch_new_rtcp (0xa1b2c3d4);
  static const guint8 expected[] = {
    /* V=2, RC=0, PT=201 (RR), length 1 word, SSRC */
    0x80, 201, 0, 1, 0xa1, 0xb2, 0xc3, 0xd4,
    /* V=2, SC=1, PT=202 (SDES), length 5 words, SSRC */
    0x81, 202, 0, 5, 0xa1, 0xb2, 0xc3, 0xd4,
    /* CNAME (1), 13 bytes, "resilientrtsp", end of items (and padding) */
    1, 13, 'r', 'e', 's', 'i', 'l', 'i', 'e', 'n', 't', 'r', 't', 's', 'p', 0
  };

  fail_unless (buf != NULL);
  fail_unless_equals_int (gst_buffer_get_size (buf),
      GST_RESILIENT_NAT_PUNCH_RTCP_SIZE);
  fail_unless_equals_int (sizeof (expected), GST_RESILIENT_NAT_PUNCH_RTCP_SIZE);
  fail_unless (gst_buffer_memcmp (buf, 0, expected, sizeof (expected)) == 0);
  check_rtcp (buf, 0xa1b2c3d4, GST_RESILIENT_NAT_PUNCH_CNAME);
  gst_buffer_unref (buf);

  buf = gst_resilient_nat_punch_new_rtcp (7);
  check_rtcp (buf, 7, GST_RESILIENT_NAT_PUNCH_CNAME);
  gst_buffer_unref (buf);
}

GST_END_TEST;

static GstStructure *
pts_used (guint first, guint last)
{
  GstStructure *s = gst_structure_new_empty ("pts");
  guint pt;

  for (pt = first; pt <= last; pt++) {
    gchar *name = g_strdup_printf ("pt-%u", pt);
    GstCaps *caps = gst_caps_new_empty_simple ("application/x-rtp");

    gst_structure_set (s, name, GST_TYPE_CAPS, caps, NULL);
    gst_caps_unref (caps);
    g_free (name);
  }
  return s;
}

GST_START_TEST (test_pick_payload_type)
{
  GstStructure *s;

  fail_unless_equals_int (gst_resilient_nat_punch_pick_payload_type (NULL),
      127);

  /* a typical stream (H.264 at 96) */
  s = pts_used (96, 96);
  fail_unless_equals_int (gst_resilient_nat_punch_pick_payload_type (s), 127);
  gst_structure_free (s);

  /* the top of the dynamic range is taken */
  s = pts_used (120, 127);
  fail_unless_equals_int (gst_resilient_nat_punch_pick_payload_type (s), 119);
  gst_structure_free (s);

  /* every dynamic type is taken: an unassigned one, never 72-76 */
  s = pts_used (96, 127);
  fail_unless_equals_int (gst_resilient_nat_punch_pick_payload_type (s), 71);
  gst_structure_free (s);
  s = pts_used (35, 127);
  fail_unless_equals_int (gst_resilient_nat_punch_pick_payload_type (s), 127);
  gst_structure_free (s);
}

GST_END_TEST;

/* ---- policy (injected time) ---- */

GST_START_TEST (test_policy_first_and_interval)
{
  GstResilientNatPunchPolicy p;
  const GstClockTime t0 = 1000 * S;

  gst_resilient_nat_punch_policy_init (&p, INTERVAL);
  /* nothing sent yet: both ports are due */
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, t0),
      GST_RESILIENT_NAT_PUNCH_BOTH);

  gst_resilient_nat_punch_policy_punched (&p, GST_RESILIENT_NAT_PUNCH_BOTH, t0);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, t0), 0);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p,
          t0 + INTERVAL - 1), 0);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p,
          t0 + INTERVAL), GST_RESILIENT_NAT_PUNCH_BOTH);

  /* only what was punched moves */
  gst_resilient_nat_punch_policy_punched (&p, GST_RESILIENT_NAT_PUNCH_RTP,
      t0 + INTERVAL);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p,
          t0 + INTERVAL), GST_RESILIENT_NAT_PUNCH_RTCP);

  /* a port whose send failed stays due */
  gst_resilient_nat_punch_policy_punched (&p, GST_RESILIENT_NAT_PUNCH_NONE,
      t0 + INTERVAL + S);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p,
          t0 + INTERVAL + S), GST_RESILIENT_NAT_PUNCH_RTCP);

  /* a clock that went backwards does not silence it */
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, t0 - S),
      GST_RESILIENT_NAT_PUNCH_BOTH);
}

GST_END_TEST;

GST_START_TEST (test_policy_rtcp_replaces_rtcp_punches)
{
  GstResilientNatPunchPolicy p;

  gst_resilient_nat_punch_policy_init (&p, INTERVAL);
  gst_resilient_nat_punch_policy_punched (&p, GST_RESILIENT_NAT_PUNCH_BOTH, 0);

  /* the first receiver report at 10 s keeps the RTCP mapping: at 15 s only
   * the RTP port is due */
  gst_resilient_nat_punch_policy_rtcp_sent (&p, 10 * S);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, 15 * S),
      GST_RESILIENT_NAT_PUNCH_RTP);
  /* an older report changes nothing */
  gst_resilient_nat_punch_policy_rtcp_sent (&p, 2 * S);
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, 24 * S),
      GST_RESILIENT_NAT_PUNCH_RTP);
  gst_resilient_nat_punch_policy_rtcp_sent (&p, GST_CLOCK_TIME_NONE);
  /* reports stopped (e.g. the RTCP thread died): punching resumes */
  fail_unless_equals_int (gst_resilient_nat_punch_policy_due (&p, 25 * S),
      GST_RESILIENT_NAT_PUNCH_BOTH);
}

GST_END_TEST;

/* Drives the policy like the session's timer: a tick every TICK, RTCP
 * reports every @rtcp_every (0: none), for @duration. Counts punches. */
static void
simulate (GstClockTime rtcp_every, GstClockTime duration, guint * rtp_punches,
    guint * rtcp_punches, GstClockTime * max_rtp_gap,
    GstClockTime * max_rtcp_gap)
{
  const GstClockTime tick = GST_RESILIENT_NAT_PUNCH_TICK_MS * GST_MSECOND;
  GstResilientNatPunchPolicy p;
  GstClockTime t, next_rtcp = rtcp_every, last_rtp = 0, last_rtcp = 0;

  *rtp_punches = *rtcp_punches = 0;
  *max_rtp_gap = *max_rtcp_gap = 0;
  gst_resilient_nat_punch_policy_init (&p, INTERVAL);
  /* the punch at SETUP */
  gst_resilient_nat_punch_policy_punched (&p, GST_RESILIENT_NAT_PUNCH_BOTH, 0);

  for (t = S; t <= duration; t += S) {
    GstResilientNatPunchPorts due;

    if (rtcp_every && t >= next_rtcp) {
      gst_resilient_nat_punch_policy_rtcp_sent (&p, t);
      *max_rtcp_gap = MAX (*max_rtcp_gap, t - last_rtcp);
      last_rtcp = t;
      next_rtcp += rtcp_every;
    }
    if (t % tick != 0)
      continue;
    due = gst_resilient_nat_punch_policy_due (&p, t);
    if (due & GST_RESILIENT_NAT_PUNCH_RTP) {
      (*rtp_punches)++;
      *max_rtp_gap = MAX (*max_rtp_gap, t - last_rtp);
      last_rtp = t;
    }
    if (due & GST_RESILIENT_NAT_PUNCH_RTCP) {
      (*rtcp_punches)++;
      *max_rtcp_gap = MAX (*max_rtcp_gap, t - last_rtcp);
      last_rtcp = t;
    }
    gst_resilient_nat_punch_policy_punched (&p, due, t);
  }
}

GST_START_TEST (test_policy_simulated_session)
{
  const GstClockTime tick = GST_RESILIENT_NAT_PUNCH_TICK_MS * GST_MSECOND;
  guint rtp, rtcp;
  GstClockTime rtp_gap, rtcp_gap;

  /* do-rtcp off: both ports are refreshed, never quiet longer than
   * INTERVAL + TICK */
  simulate (0, 600 * S, &rtp, &rtcp, &rtp_gap, &rtcp_gap);
  fail_unless_equals_int (rtp, 600 * S / INTERVAL);
  fail_unless_equals_int (rtcp, rtp);
  fail_unless (rtp_gap <= INTERVAL + tick);
  fail_unless (rtcp_gap <= INTERVAL + tick);

  /* RTCP every 5 s (rtpbin's interval): no RTCP punches at all, the RTP
   * port is still refreshed */
  simulate (5 * S, 600 * S, &rtp, &rtcp, &rtp_gap, &rtcp_gap);
  fail_unless_equals_int (rtcp, 0);
  fail_unless_equals_int (rtp, 600 * S / INTERVAL);
  fail_unless (rtp_gap <= INTERVAL + tick);
  fail_unless (rtcp_gap <= 5 * S);

  /* sparse RTCP (every 40 s): punches fill the gaps */
  simulate (40 * S, 600 * S, &rtp, &rtcp, &rtp_gap, &rtcp_gap);
  fail_unless (rtcp > 0);
  fail_unless (rtcp_gap <= INTERVAL + tick);
}

GST_END_TEST;

/* ---- the transport: punches and source learning on loopback ---- */

typedef struct
{
  GstResilientIoContext *io;
  GstResilientUdpTransport *udp;
  GAsyncQueue *packets;         /* GstBuffer*, RTP and RTCP alike */
  GMutex lock;
  guint learned;                /* source_learned calls */
  gboolean learned_rtcp;
  guint learned_port;
} Fixture;

static void
on_packet (GstResilientUdpTransport * udp, gboolean is_rtcp, GstBuffer * buf,
    gpointer user_data)
{
  Fixture *f = user_data;

  g_async_queue_push (f->packets, buf);
}

static void
on_learned (GstResilientUdpTransport * udp, gboolean is_rtcp,
    GInetSocketAddress * from, gpointer user_data)
{
  Fixture *f = user_data;

  fail_unless (gst_resilient_io_context_is_current (f->io));
  g_mutex_lock (&f->lock);
  f->learned++;
  f->learned_rtcp = is_rtcp;
  f->learned_port = g_inet_socket_address_get_port (from);
  g_mutex_unlock (&f->lock);
}

static const GstResilientUdpCallbacks callbacks = { on_packet, on_learned };

static gboolean
start_udp (gpointer data)
{
  Fixture *f = data;

  gst_resilient_udp_transport_start (f->udp, &callbacks, f);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_udp (gpointer data)
{
  gst_resilient_udp_transport_stop (data);
  return G_SOURCE_REMOVE;
}

static GSocket *
bind_socket (const gchar * address)
{
  GSocket *sock;
  GInetAddress *addr = g_inet_address_new_from_string (address);
  GSocketAddress *saddr = g_inet_socket_address_new (addr, 0);
  GError *err = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless (sock != NULL, "%s", err ? err->message : "");
  fail_unless (g_socket_bind (sock, saddr, FALSE, &err), "%s",
      err ? err->message : "");
  g_socket_set_blocking (sock, TRUE);
  g_socket_set_timeout (sock, 20);
  g_object_unref (saddr);
  g_object_unref (addr);
  return sock;
}

static guint
local_port (GSocket * sock)
{
  GSocketAddress *addr = g_socket_get_local_address (sock, NULL);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));

  g_object_unref (addr);
  return port;
}

static Fixture *
fixture_new (gboolean learn)
{
  Fixture *f = g_new0 (Fixture, 1);
  GError *err = NULL;

  g_mutex_init (&f->lock);
  f->io = gst_resilient_io_context_get ();
  f->packets = g_async_queue_new_full ((GDestroyNotify) gst_buffer_unref);
  f->udp = gst_resilient_udp_transport_new (f->io, G_SOCKET_FAMILY_IPV4, 0, 0,
      0, &err);
  fail_unless (f->udp != NULL, "%s", err ? err->message : "");
  gst_resilient_udp_transport_set_learn_source (f->udp, learn);
  gst_resilient_io_context_invoke_sync (f->io, start_udp, f);
  return f;
}

static void
fixture_free (Fixture * f)
{
  gst_resilient_io_context_invoke_sync (f->io, stop_udp, f->udp);
  g_object_unref (f->udp);
  g_async_queue_unref (f->packets);
  gst_resilient_io_context_unref (f->io);
  g_mutex_clear (&f->lock);
  g_free (f);
}

/* The server's side: announced RTP/RTCP sockets on 127.0.0.1. */
static void
set_server (Fixture * f, GSocket * rtp, GSocket * rtcp)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  gst_resilient_udp_transport_set_remote (f->udp, lo, local_port (rtp),
      local_port (rtcp));
  g_object_unref (lo);
}

/* Sends @data from @from to the client's RTP or RTCP port and waits until
 * the transport delivered it. */
static void
send_to_client (Fixture * f, GSocket * from, gboolean rtcp,
    const guint8 * data, gsize len)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *to = g_inet_socket_address_new (lo, rtcp ?
      gst_resilient_udp_transport_get_rtcp_port (f->udp) :
      gst_resilient_udp_transport_get_rtp_port (f->udp));
  GstBuffer *buf;
  GError *err = NULL;

  fail_unless (g_socket_send_to (from, to, (const gchar *) data, len, NULL,
          &err) == (gssize) len, "%s", err ? err->message : "");
  buf = g_async_queue_timeout_pop (f->packets, 20 * G_USEC_PER_SEC);
  fail_unless (buf != NULL, "the datagram did not arrive");
  fail_unless_equals_int (gst_buffer_get_size (buf), len);
  gst_buffer_unref (buf);
  g_object_unref (to);
  g_object_unref (lo);
}

/* Receives one datagram on @sock; returns its sender's port. */
static guint
receive_on (GSocket * sock, guint8 * data, gsize * len)
{
  GSocketAddress *from = NULL;
  GError *err = NULL;
  gssize n;
  guint port;

  n = g_socket_receive_from (sock, &from, (gchar *) data, *len, NULL, &err);
  fail_unless (n >= 0, "nothing received: %s", err ? err->message : "");
  *len = n;
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from));
  g_object_unref (from);
  return port;
}

static void
send_punches (Fixture * f)
{
  GstBuffer *rtp = gst_resilient_nat_punch_new_rtp (127, 1, 42);
  GstBuffer *rtcp = gst_resilient_nat_punch_new_rtcp (42);

  fail_unless (gst_resilient_udp_transport_send_punch (f->udp, FALSE, rtp));
  fail_unless (gst_resilient_udp_transport_send_punch (f->udp, TRUE, rtcp));
  gst_buffer_unref (rtp);
  gst_buffer_unref (rtcp);
}

static const guint8 rtp_data[] = {
  0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xaa, 0xbb
};

static const guint8 rtcp_data[] = {
  0x80, 200, 0, 6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0
};

GST_START_TEST (test_send_punch)
{
  Fixture *f = fixture_new (FALSE);
  GSocket *srv_rtp = bind_socket ("127.0.0.1");
  GSocket *srv_rtcp = bind_socket ("127.0.0.1");
  GstBuffer *rtp = gst_resilient_nat_punch_new_rtp (127, 5, 42);
  GstBuffer *rtcp = gst_resilient_nat_punch_new_rtcp (42);
  GstResilientUdpStats stats;
  guint8 data[512];
  gsize len;

  /* no remote yet */
  fail_if (gst_resilient_udp_transport_send_punch (f->udp, FALSE, rtp));
  fail_if (gst_resilient_udp_transport_send_punch (f->udp, TRUE, rtcp));

  set_server (f, srv_rtp, srv_rtcp);
  fail_unless (gst_resilient_udp_transport_send_punch (f->udp, FALSE, rtp));
  fail_unless (gst_resilient_udp_transport_send_punch (f->udp, TRUE, rtcp));

  /* RTP punch: from our RTP port to the server's RTP port, as built */
  len = sizeof (data);
  fail_unless_equals_int (receive_on (srv_rtp, data, &len),
      gst_resilient_udp_transport_get_rtp_port (f->udp));
  fail_unless_equals_int (len, gst_buffer_get_size (rtp));
  fail_unless (gst_buffer_memcmp (rtp, 0, data, len) == 0);
  /* RTCP punch: from our RTCP port to the server's RTCP port */
  len = sizeof (data);
  fail_unless_equals_int (receive_on (srv_rtcp, data, &len),
      gst_resilient_udp_transport_get_rtcp_port (f->udp));
  fail_unless_equals_int (len, gst_buffer_get_size (rtcp));
  fail_unless (gst_buffer_memcmp (rtcp, 0, data, len) == 0);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_int (stats.punches_sent, 2);
  fail_unless_equals_int (stats.rtcp_sent, 0);
  fail_unless_equals_int (stats.last_rtcp_sent_us, 0);

  /* real RTCP is counted apart, with its time (what the policy reads) */
  fail_unless (gst_resilient_udp_transport_send_rtcp (f->udp, rtcp));
  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_int (stats.rtcp_sent, 1);
  fail_unless_equals_int (stats.punches_sent, 2);
  fail_unless (stats.last_rtcp_sent_us > 0);
  fail_unless (stats.last_rtcp_sent_us <= g_get_monotonic_time ());

  gst_buffer_unref (rtp);
  gst_buffer_unref (rtcp);
  g_object_unref (srv_rtp);
  g_object_unref (srv_rtcp);
  fixture_free (f);
}

GST_END_TEST;

/* The server announces ports A but sends from B: with learning, punches
 * and RTCP follow B. */
GST_START_TEST (test_learn_source)
{
  Fixture *f = fixture_new (TRUE);
  GSocket *announced_rtp = bind_socket ("127.0.0.1");
  GSocket *announced_rtcp = bind_socket ("127.0.0.1");
  GSocket *real_rtp = bind_socket ("127.0.0.1");
  GSocket *real_rtcp = bind_socket ("127.0.0.1");
  GSocket *other = bind_socket ("127.0.0.1");
  GstResilientUdpStats stats;
  guint8 data[512];
  gsize len;
  guint8 junk[] = { 0x00, 1, 2, 3, 4, 5, 6, 7 };

  set_server (f, announced_rtp, announced_rtcp);

  /* not RTP (version 0): ignored by learning */
  send_to_client (f, real_rtp, FALSE, junk, sizeof (junk));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 0);
  g_mutex_unlock (&f->lock);

  /* the server's first RTP comes from another port */
  send_to_client (f, real_rtp, FALSE, rtp_data, sizeof (rtp_data));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 1);
  fail_if (f->learned_rtcp);
  fail_unless_equals_int (f->learned_port, local_port (real_rtp));
  g_mutex_unlock (&f->lock);

  /* and its first RTCP too */
  send_to_client (f, real_rtcp, TRUE, rtcp_data, sizeof (rtcp_data));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 2);
  fail_unless (f->learned_rtcp);
  fail_unless_equals_int (f->learned_port, local_port (real_rtcp));
  g_mutex_unlock (&f->lock);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_int (stats.learned_rtp_port, local_port (real_rtp));
  fail_unless_equals_int (stats.learned_rtcp_port, local_port (real_rtcp));

  /* punches and RTCP now go where the server really is */
  send_punches (f);
  len = sizeof (data);
  fail_unless_equals_int (receive_on (real_rtp, data, &len),
      gst_resilient_udp_transport_get_rtp_port (f->udp));
  fail_unless_equals_int (len, GST_RESILIENT_NAT_PUNCH_RTP_SIZE);
  len = sizeof (data);
  fail_unless_equals_int (receive_on (real_rtcp, data, &len),
      gst_resilient_udp_transport_get_rtcp_port (f->udp));
  {
    GstBuffer *rr = gst_buffer_new_memdup (rtcp_data, sizeof (rtcp_data));

    fail_unless (gst_resilient_udp_transport_send_rtcp (f->udp, rr));
    gst_buffer_unref (rr);
  }
  len = sizeof (data);
  receive_on (real_rtcp, data, &len);
  fail_unless_equals_int (len, sizeof (rtcp_data));

  /* the path is fixed now: a later packet from elsewhere changes nothing */
  send_to_client (f, other, FALSE, rtp_data, sizeof (rtp_data));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 2);
  g_mutex_unlock (&f->lock);

  /* nothing went to the announced ports */
  g_socket_set_blocking (announced_rtp, FALSE);
  g_socket_set_blocking (announced_rtcp, FALSE);
  fail_unless (g_socket_get_available_bytes (announced_rtp) <= 0);
  fail_unless (g_socket_get_available_bytes (announced_rtcp) <= 0);

  g_object_unref (announced_rtp);
  g_object_unref (announced_rtcp);
  g_object_unref (real_rtp);
  g_object_unref (real_rtcp);
  g_object_unref (other);
  fixture_free (f);
}

GST_END_TEST;

/* A server that sends from the ports it announced: nothing to learn, and
 * learning stops (a later sender on another port is not taken). */
GST_START_TEST (test_learn_symmetric_server)
{
  Fixture *f = fixture_new (TRUE);
  GSocket *srv_rtp = bind_socket ("127.0.0.1");
  GSocket *srv_rtcp = bind_socket ("127.0.0.1");
  GSocket *other = bind_socket ("127.0.0.1");
  GstResilientUdpStats stats;
  guint8 data[512];
  gsize len;

  set_server (f, srv_rtp, srv_rtcp);
  send_to_client (f, srv_rtp, FALSE, rtp_data, sizeof (rtp_data));
  send_to_client (f, other, FALSE, rtp_data, sizeof (rtp_data));

  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 0);
  g_mutex_unlock (&f->lock);
  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_int (stats.learned_rtp_port, 0);

  send_punches (f);
  len = sizeof (data);
  receive_on (srv_rtp, data, &len);
  fail_unless_equals_int (len, GST_RESILIENT_NAT_PUNCH_RTP_SIZE);

  g_object_unref (srv_rtp);
  g_object_unref (srv_rtcp);
  g_object_unref (other);
  fixture_free (f);
}

GST_END_TEST;

/* Packets from another address than the server's never redirect. */
GST_START_TEST (test_learn_ignores_other_hosts)
{
  Fixture *f = fixture_new (TRUE);
  GSocket *srv_rtp = bind_socket ("127.0.0.1");
  GSocket *srv_rtcp = bind_socket ("127.0.0.1");
  GSocket *stranger = bind_socket ("127.0.0.2");
  guint8 data[512];
  gsize len;

  set_server (f, srv_rtp, srv_rtcp);
  send_to_client (f, stranger, FALSE, rtp_data, sizeof (rtp_data));
  send_to_client (f, stranger, TRUE, rtcp_data, sizeof (rtcp_data));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 0);
  g_mutex_unlock (&f->lock);

  send_punches (f);
  len = sizeof (data);
  receive_on (srv_rtp, data, &len);
  len = sizeof (data);
  receive_on (srv_rtcp, data, &len);

  g_object_unref (srv_rtp);
  g_object_unref (srv_rtcp);
  g_object_unref (stranger);
  fixture_free (f);
}

GST_END_TEST;

/* Learning off (nat-method=none): the announced ports stay. */
GST_START_TEST (test_learn_off)
{
  Fixture *f = fixture_new (FALSE);
  GSocket *announced_rtp = bind_socket ("127.0.0.1");
  GSocket *announced_rtcp = bind_socket ("127.0.0.1");
  GSocket *real_rtp = bind_socket ("127.0.0.1");
  guint8 data[512];
  gsize len;

  set_server (f, announced_rtp, announced_rtcp);
  send_to_client (f, real_rtp, FALSE, rtp_data, sizeof (rtp_data));
  g_mutex_lock (&f->lock);
  fail_unless_equals_int (f->learned, 0);
  g_mutex_unlock (&f->lock);

  send_punches (f);
  len = sizeof (data);
  receive_on (announced_rtp, data, &len);
  fail_unless_equals_int (len, GST_RESILIENT_NAT_PUNCH_RTP_SIZE);

  g_object_unref (announced_rtp);
  g_object_unref (announced_rtcp);
  g_object_unref (real_rtp);
  fixture_free (f);
}

GST_END_TEST;

/* ---- the enum (the element's nat-method property) ---- */

GST_START_TEST (test_method_enum)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_RESILIENT_NAT_METHOD);
  GEnumValue *v;

  fail_unless_equals_string (g_type_name (GST_TYPE_RESILIENT_NAT_METHOD),
      "GstResilientNatMethod");
  /* rtspsrc's nicks and values */
  v = g_enum_get_value_by_nick (klass, "none");
  fail_unless (v != NULL && v->value == 0);
  v = g_enum_get_value_by_nick (klass, "dummy");
  fail_unless (v != NULL && v->value == 1);
  fail_unless_equals_int (klass->n_values, 2);
  g_type_class_unref (klass);
}

GST_END_TEST;

static Suite *
natpunch_suite (void)
{
  Suite *s = suite_create ("natpunch");
  TCase *tc_packets = tcase_create ("packets");
  TCase *tc_policy = tcase_create ("policy");
  TCase *tc_udp = tcase_create ("transport");

  suite_add_tcase (s, tc_packets);
  tcase_add_test (tc_packets, test_rtp_packet);
  tcase_add_test (tc_packets, test_rtcp_packet);
  tcase_add_test (tc_packets, test_pick_payload_type);
  tcase_add_test (tc_packets, test_method_enum);

  suite_add_tcase (s, tc_policy);
  tcase_add_test (tc_policy, test_policy_first_and_interval);
  tcase_add_test (tc_policy, test_policy_rtcp_replaces_rtcp_punches);
  tcase_add_test (tc_policy, test_policy_simulated_session);

  suite_add_tcase (s, tc_udp);
  tcase_add_test (tc_udp, test_send_punch);
  tcase_add_test (tc_udp, test_learn_source);
  tcase_add_test (tc_udp, test_learn_symmetric_server);
  tcase_add_test (tc_udp, test_learn_ignores_other_hosts);
  tcase_add_test (tc_udp, test_learn_off);
  return s;
}

GST_CHECK_MAIN (natpunch);

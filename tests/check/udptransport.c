/* resilientrtsp
 * tests/check/udptransport.c: the RTP/RTCP UDP pair, with real sockets on
 * loopback. Packets are received on the I/O thread and handed to the test
 * thread through an async queue.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include "udptransport.h"
#include "error.h"

#define WAIT_US (20 * G_USEC_PER_SEC)

typedef struct
{
  gboolean is_rtcp;
  GstBuffer *buf;
} Packet;

typedef struct
{
  GstResilientIoContext *io;
  GstResilientUdpTransport *udp;
  GAsyncQueue *packets;
  GSocket *sender;              /* the test's "server" socket */
  gboolean stop_in_callback;
  gint wrong_thread;            /* atomic */
  gint after_stop;              /* atomic */
  gint stopped;                 /* atomic */
} Fixture;

static void
packet_free (Packet * p)
{
  gst_buffer_unref (p->buf);
  g_free (p);
}

static void
on_packet (GstResilientUdpTransport * udp, gboolean is_rtcp, GstBuffer * buf,
    gpointer user_data)
{
  Fixture *f = user_data;
  Packet *p = g_new0 (Packet, 1);

  if (!gst_resilient_io_context_is_current (f->io))
    g_atomic_int_inc (&f->wrong_thread);
  if (g_atomic_int_get (&f->stopped))
    g_atomic_int_inc (&f->after_stop);

  p->is_rtcp = is_rtcp;
  p->buf = buf;
  g_async_queue_push (f->packets, p);

  if (f->stop_in_callback) {
    g_atomic_int_set (&f->stopped, 1);
    gst_resilient_udp_transport_stop (udp);
  }
}

static const GstResilientUdpCallbacks callbacks = { on_packet };

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

static gboolean
noop (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static GSocket *
bind_socket (guint port, GError ** error)
{
  GSocket *sock;
  GInetAddress *lo;
  GSocketAddress *addr;
  gboolean ok;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  lo = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, port);
  ok = g_socket_bind (sock, addr, FALSE, error);
  g_object_unref (addr);
  g_object_unref (lo);
  if (!ok)
    g_clear_object (&sock);
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

static gboolean
port_is_free (guint port)
{
  GSocket *sock = bind_socket (port, NULL);

  if (sock == NULL)
    return FALSE;
  g_object_unref (sock);
  return TRUE;
}

static Fixture *
fixture_new (void)
{
  Fixture *f = g_new0 (Fixture, 1);
  GError *err = NULL;

  f->io = gst_resilient_io_context_get ();
  f->packets = g_async_queue_new_full ((GDestroyNotify) packet_free);
  f->udp = gst_resilient_udp_transport_new (f->io, G_SOCKET_FAMILY_IPV4, 0, 0,
      0, &err);
  fail_unless (f->udp != NULL, "%s", err ? err->message : "");
  f->sender = bind_socket (0, &err);
  fail_unless (f->sender != NULL, "%s", err ? err->message : "");
  g_socket_set_blocking (f->sender, TRUE);
  g_socket_set_timeout (f->sender, 20);
  return f;
}

static void
fixture_start (Fixture * f)
{
  gst_resilient_io_context_invoke_sync (f->io, start_udp, f);
}

static void
fixture_free (Fixture * f)
{
  if (f->udp) {
    g_atomic_int_set (&f->stopped, 1);
    gst_resilient_io_context_invoke_sync (f->io, stop_udp, f->udp);
    g_clear_object (&f->udp);
  }
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);

  fail_unless_equals_int (g_atomic_int_get (&f->wrong_thread), 0);
  fail_unless_equals_int (g_atomic_int_get (&f->after_stop), 0);

  g_async_queue_unref (f->packets);
  g_object_unref (f->sender);
  gst_resilient_io_context_unref (f->io);
  g_free (f);
}

static void
send_to_port (Fixture * f, guint port, const guint8 * data, gsize len)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, port);
  GError *err = NULL;
  gssize n;

  n = g_socket_send_to (f->sender, addr, (const gchar *) data, len, NULL, &err);
  fail_unless (n == (gssize) len, "send_to: %s", err ? err->message : "");
  g_object_unref (addr);
  g_object_unref (lo);
}

/* datagram i of size n: byte j is (i * 7 + j) */
static guint8 *
make_datagram (guint i, gsize n)
{
  guint8 *data = g_malloc (n);
  gsize j;

  for (j = 0; j < n; j++)
    data[j] = (guint8) (i * 7 + j);
  return data;
}

static void
send_datagram (Fixture * f, guint port, guint i, gsize n)
{
  guint8 *data = make_datagram (i, n);

  send_to_port (f, port, data, n);
  g_free (data);
}

static void
check_packet (Packet * p, gboolean is_rtcp, guint i, gsize n)
{
  guint8 *expected = make_datagram (i, n);
  GstMapInfo map;

  fail_unless_equals_int (p->is_rtcp, is_rtcp);
  fail_unless (gst_buffer_map (p->buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, n);
  fail_unless (memcmp (map.data, expected, n) == 0, "datagram %u differs", i);
  gst_buffer_unmap (p->buf, &map);
  g_free (expected);
}

static Packet *
fixture_pop (Fixture * f)
{
  Packet *p = g_async_queue_timeout_pop (f->packets, WAIT_US);

  fail_unless (p != NULL, "no packet received");
  return p;
}

/* ---- binding ---- */

GST_START_TEST (test_ephemeral_pair)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientUdpTransport *udp[4];
  guint i, rtp;

  for (i = 0; i < G_N_ELEMENTS (udp); i++) {
    GError *err = NULL;

    udp[i] = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, 0, 0,
        256 * 1024, &err);
    fail_unless (udp[i] != NULL, "%s", err ? err->message : "");
    rtp = gst_resilient_udp_transport_get_rtp_port (udp[i]);
    fail_unless (rtp > 0);
    fail_unless_equals_int (rtp % 2, 0);
    fail_unless_equals_int (gst_resilient_udp_transport_get_rtcp_port (udp[i]),
        rtp + 1);
    /* really bound */
    fail_if (port_is_free (rtp));
    fail_if (port_is_free (rtp + 1));
  }
  for (i = 0; i < G_N_ELEMENTS (udp); i++)
    g_object_unref (udp[i]);

  gst_resilient_io_context_unref (io);
}

GST_END_TEST;

GST_START_TEST (test_ipv6_pair)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientUdpTransport *udp;
  GError *err = NULL;
  guint rtp;

  udp = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV6, 0, 0, 0,
      &err);
  if (udp == NULL) {
    /* a host without IPv6 */
    GST_INFO ("no IPv6: %s", err->message);
    g_error_free (err);
  } else {
    rtp = gst_resilient_udp_transport_get_rtp_port (udp);
    fail_unless_equals_int (rtp % 2, 0);
    fail_unless_equals_int (gst_resilient_udp_transport_get_rtcp_port (udp),
        rtp + 1);
    g_object_unref (udp);
  }
  gst_resilient_io_context_unref (io);
}

GST_END_TEST;

GST_START_TEST (test_range)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientUdpTransport *a, *b, *c;
  GSocket *blocker;
  GError *err = NULL;
  guint p;

  /* find a free pair P, P+1, then let it go */
  a = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, 0, 0, 0, &err);
  fail_unless (a != NULL);
  p = gst_resilient_udp_transport_get_rtp_port (a);
  g_object_unref (a);

  /* an odd start is rounded up to the even port */
  b = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, p - 1, p + 1,
      0, &err);
  fail_unless (b != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (gst_resilient_udp_transport_get_rtp_port (b), p);
  fail_unless_equals_int (gst_resilient_udp_transport_get_rtcp_port (b), p + 1);

  /* the range is fully occupied */
  c = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, p, p + 1, 0,
      &err);
  fail_unless (c == NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_INTERNAL));
  {
    gchar *range = g_strdup_printf ("%u-%u", p, p + 1);

    fail_unless (strstr (err->message, range) != NULL, "%s", err->message);
    g_free (range);
  }
  g_clear_error (&err);
  g_object_unref (b);

  /* only the RTCP port taken: the RTP port that was bound is released */
  blocker = bind_socket (p + 1, &err);
  fail_unless (blocker != NULL, "%s", err ? err->message : "");
  c = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, p, p + 1, 0,
      &err);
  fail_unless (c == NULL);
  g_clear_error (&err);
  fail_unless (port_is_free (p));
  g_object_unref (blocker);

  /* a range too small for a pair, and a reversed one */
  c = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, p, p, 0, &err);
  fail_unless (c == NULL);
  g_clear_error (&err);
  c = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, p + 2, p,
      0, &err);
  fail_unless (c == NULL);
  g_clear_error (&err);

  gst_resilient_io_context_unref (io);
}

GST_END_TEST;

/* ---- receiving ---- */

GST_START_TEST (test_receive)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  guint rtcp = gst_resilient_udp_transport_get_rtcp_port (f->udp);
  GstResilientUdpStats stats;
  guint64 bytes = 0;
  guint i;

  fixture_start (f);

  for (i = 0; i < 50; i++) {
    gsize n = 1 + (i * 97) % 2048;

    send_datagram (f, rtp, i, n);
    bytes += n;
  }
  for (i = 0; i < 50; i++) {
    Packet *p = fixture_pop (f);

    check_packet (p, FALSE, i, 1 + (i * 97) % 2048);
    packet_free (p);
  }

  send_datagram (f, rtcp, 1000, 80);
  bytes += 80;
  {
    Packet *p = fixture_pop (f);

    check_packet (p, TRUE, 1000, 80);
    packet_free (p);
  }

  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);
  fail_unless_equals_int (g_async_queue_length (f->packets), 0);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_uint64 (stats.packets, 51);
  fail_unless_equals_uint64 (stats.bytes, bytes);
  fail_unless (stats.receive_calls >= 2);
  fail_unless (stats.receive_calls <= 51);
  fail_unless_equals_uint64 (stats.oversized, 0);

  fixture_free (f);
}

GST_END_TEST;

/* Datagrams queued before start arrive in batches. */
GST_START_TEST (test_receive_batched)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  GstResilientUdpStats stats;
  guint i, n = 100;

  for (i = 0; i < n; i++)
    send_datagram (f, rtp, i, 200);
  fixture_start (f);

  for (i = 0; i < n; i++) {
    Packet *p = fixture_pop (f);

    check_packet (p, FALSE, i, 200);
    packet_free (p);
  }
  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_uint64 (stats.packets, n);
  /* 16 per call */
  fail_unless (stats.receive_calls < n / 2);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_oversized)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  GstResilientUdpStats stats;
  Packet *p;

  fixture_start (f);

  send_datagram (f, rtp, 1, 9000);
  p = fixture_pop (f);
  check_packet (p, FALSE, 1, 9000);
  packet_free (p);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_uint64 (stats.oversized, 1);
  fail_unless_equals_uint64 (stats.bytes, 9000);

  /* the buffers grew: the next ones fit */
  send_datagram (f, rtp, 2, 9000);
  send_datagram (f, rtp, 3, 100);
  p = fixture_pop (f);
  check_packet (p, FALSE, 2, 9000);
  packet_free (p);
  p = fixture_pop (f);
  check_packet (p, FALSE, 3, 100);
  packet_free (p);

  /* the largest datagram */
  send_datagram (f, rtp, 4, 65507);
  p = fixture_pop (f);
  check_packet (p, FALSE, 4, 65507);
  packet_free (p);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_uint64 (stats.oversized, 2);
  fail_unless_equals_uint64 (stats.oversized_dropped, 0);
  fail_unless_equals_uint64 (stats.packets, 4);

  fixture_free (f);
}

GST_END_TEST;

/* Two oversized datagrams in one batch share the scratch area: the last is
 * intact and delivered, the earlier one is counted as dropped. */
GST_START_TEST (test_oversized_in_one_batch)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  GstResilientUdpStats stats;
  Packet *p;

  send_datagram (f, rtp, 1, 100);
  send_datagram (f, rtp, 2, 3000);
  send_datagram (f, rtp, 3, 5000);
  send_datagram (f, rtp, 4, 100);
  fixture_start (f);

  p = fixture_pop (f);
  check_packet (p, FALSE, 1, 100);
  packet_free (p);
  p = fixture_pop (f);
  check_packet (p, FALSE, 3, 5000);
  packet_free (p);
  p = fixture_pop (f);
  check_packet (p, FALSE, 4, 100);
  packet_free (p);

  gst_resilient_udp_transport_get_stats (f->udp, &stats);
  fail_unless_equals_uint64 (stats.oversized, 1);
  fail_unless_equals_uint64 (stats.oversized_dropped, 1);
  fail_unless_equals_uint64 (stats.packets, 3);

  /* and afterwards, both sizes fit */
  send_datagram (f, rtp, 5, 3000);
  send_datagram (f, rtp, 6, 5000);
  p = fixture_pop (f);
  check_packet (p, FALSE, 5, 3000);
  packet_free (p);
  p = fixture_pop (f);
  check_packet (p, FALSE, 6, 5000);
  packet_free (p);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_stop_in_callback)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  Packet *p;

  f->stop_in_callback = TRUE;
  send_datagram (f, rtp, 1, 100);
  send_datagram (f, rtp, 2, 100);
  send_datagram (f, rtp, 3, 100);
  fixture_start (f);

  p = fixture_pop (f);
  check_packet (p, FALSE, 1, 100);
  packet_free (p);
  gst_resilient_io_context_invoke_sync (f->io, noop, NULL);
  fail_unless_equals_int (g_async_queue_length (f->packets), 0);

  fixture_free (f);
}

GST_END_TEST;

/* Buffers outlive the transport. */
GST_START_TEST (test_buffers_outlive_transport)
{
  Fixture *f = fixture_new ();
  guint rtp = gst_resilient_udp_transport_get_rtp_port (f->udp);
  Packet *p1, *p2;

  fixture_start (f);
  send_datagram (f, rtp, 1, 500);
  send_datagram (f, rtp, 2, 9000);
  p1 = fixture_pop (f);
  p2 = fixture_pop (f);

  gst_resilient_io_context_invoke_sync (f->io, stop_udp, f->udp);
  g_clear_object (&f->udp);

  check_packet (p1, FALSE, 1, 500);
  check_packet (p2, FALSE, 2, 9000);
  packet_free (p1);
  packet_free (p2);

  fixture_free (f);
}

GST_END_TEST;

/* ---- sending ---- */

GST_START_TEST (test_send_rtcp)
{
  Fixture *f = fixture_new ();
  GSocket *server = bind_socket (0, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *from = NULL;
  GstBuffer *buf;
  guint8 data[64];
  gchar got[128];
  GError *err = NULL;
  gssize n;
  guint i;

  g_socket_set_timeout (server, 20);
  for (i = 0; i < sizeof (data); i++)
    data[i] = i * 3;
  buf = gst_buffer_new_memdup (data, sizeof (data));

  /* nowhere to send yet */
  fail_if (gst_resilient_udp_transport_send_rtcp (f->udp, buf));
  gst_resilient_udp_transport_set_remote (f->udp, lo, 5000, 0);
  fail_if (gst_resilient_udp_transport_send_rtcp (f->udp, buf));

  gst_resilient_udp_transport_set_remote (f->udp, lo, 5000,
      local_port (server));
  fail_unless (gst_resilient_udp_transport_send_rtcp (f->udp, buf));

  n = g_socket_receive_from (server, &from, got, sizeof (got), NULL, &err);
  fail_unless_equals_int (n, sizeof (data));
  fail_unless (memcmp (got, data, sizeof (data)) == 0);
  /* sent from our RTCP port */
  fail_unless_equals_int (g_inet_socket_address_get_port
      (G_INET_SOCKET_ADDRESS (from)),
      gst_resilient_udp_transport_get_rtcp_port (f->udp));

  g_object_unref (from);
  gst_buffer_unref (buf);
  g_object_unref (lo);
  g_object_unref (server);
  fixture_free (f);
}

GST_END_TEST;

/* ---- multicast ---- */

GST_START_TEST (test_multicast)
{
  GstResilientIoContext *io = gst_resilient_io_context_get ();
  GstResilientUdpTransport *udp, *probe;
  GError *err = NULL;
  guint p;

  /* a free pair to use */
  probe = gst_resilient_udp_transport_new (io, G_SOCKET_FAMILY_IPV4, 0, 0, 0,
      &err);
  fail_unless (probe != NULL);
  p = gst_resilient_udp_transport_get_rtp_port (probe);
  g_object_unref (probe);

  fail_if (gst_resilient_udp_transport_new_multicast (io, "10.0.0.1", p,
          p + 1, 0, &err));
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_INTERNAL));
  g_clear_error (&err);
  fail_if (gst_resilient_udp_transport_new_multicast (io, "not an address",
          p, p + 1, 0, &err));
  g_clear_error (&err);

  udp = gst_resilient_udp_transport_new_multicast (io, "239.255.42.42", p,
      p + 1, 0, &err);
  if (udp == NULL) {
    /* no multicast-capable interface on this host */
    GST_INFO ("cannot join: %s", err->message);
    g_error_free (err);
  } else {
    GstResilientUdpTransport *second;

    fail_unless_equals_int (gst_resilient_udp_transport_get_rtp_port (udp), p);
    fail_unless_equals_int (gst_resilient_udp_transport_get_rtcp_port (udp),
        p + 1);
    /* a second receiver of the same group can share the ports */
    second = gst_resilient_udp_transport_new_multicast (io, "239.255.42.42",
        p, p + 1, 0, &err);
    fail_unless (second != NULL, "%s", err ? err->message : "");
    g_object_unref (second);
    g_object_unref (udp);
  }

  gst_resilient_io_context_unref (io);
}

GST_END_TEST;

static Suite *
udptransport_suite (void)
{
  Suite *s = suite_create ("udptransport");
  TCase *tc_bind = tcase_create ("bind");
  TCase *tc_rx = tcase_create ("receive");
  TCase *tc_tx = tcase_create ("send");

  suite_add_tcase (s, tc_bind);
  tcase_add_test (tc_bind, test_ephemeral_pair);
  tcase_add_test (tc_bind, test_ipv6_pair);
  tcase_add_test (tc_bind, test_range);
  tcase_add_test (tc_bind, test_multicast);

  suite_add_tcase (s, tc_rx);
  tcase_add_test (tc_rx, test_receive);
  tcase_add_test (tc_rx, test_receive_batched);
  tcase_add_test (tc_rx, test_oversized);
  tcase_add_test (tc_rx, test_oversized_in_one_batch);
  tcase_add_test (tc_rx, test_stop_in_callback);
  tcase_add_test (tc_rx, test_buffers_outlive_transport);

  suite_add_tcase (s, tc_tx);
  tcase_add_test (tc_tx, test_send_rtcp);
  return s;
}

GST_CHECK_MAIN (udptransport);

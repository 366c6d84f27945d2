/* resilientrtsp tests
 * elements/resilientrtspsrc_faults.c: network faults between the element
 * and a healthy server, injected by the relay (tests/server/relay.h):
 * connections reset mid-stream, a blackholed path, connections refused
 * while the session is down. The stream must recover on the same pads with
 * a clean downstream every time.
 *
 * The element plays rtsp://127.0.0.1:<relay port>/test with protocols=tcp:
 * over TCP the media is interleaved on the RTSP connection and so passes
 * the relay (with UDP it would go from the server to the element
 * directly). gst-rtsp-server builds Content-Base from the request URI, so
 * the control URLs name the relay too; the tests check through the relay's
 * counters that every session (the first and each recovered one) runs on
 * one connection through the relay.
 */
#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "relay.h"
#include "testserver.h"

#define N_PADS 2                /* /test: H.264 + Opus */

typedef struct
{
  RrTestServer *server;
  RrRelay *relay;
  gchar *url;
  RrPipeline *p;
} Fixture;

/* A server, a relay in front of it and a pipeline playing /test through
 * the relay over TCP, with the extra NULL-terminated properties. Returns
 * once every pad has data. */
static Fixture *
fixture_new (const gchar * first_prop, ...)
{
  Fixture *f = g_new0 (Fixture, 1);
  RrTestServerConfig config = { 0, };
  va_list args;

  config.with_audio = TRUE;
  f->server = rr_test_server_new (&config);
  f->relay = rr_relay_new ("127.0.0.1", rr_test_server_get_port (f->server));
  f->url = rr_relay_get_url (f->relay, "/test");
  f->p = rr_pipeline_new (f->url, "protocols", GST_RTSP_LOWER_TRANS_TCP, NULL);
  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (f->p->src), first_prop, args);
    va_end (args);
  }

  rr_pipeline_play (f->p);
  fail_unless (rr_pipeline_wait_buffers (f->p, N_PADS, 10), "no data: %s",
      f->p->error ? f->p->error->message : "timeout");
  return f;
}

static void
fixture_free (Fixture * f)
{
  rr_pipeline_free (f->p);
  rr_relay_free (f->relay);
  rr_test_server_free (f->server);
  g_free (f->url);
  g_free (f);
}

static const gchar *
reconnect_class (RrPipeline * p, guint index)
{
  const gchar *class_ = NULL;

  g_mutex_lock (&p->lock);
  if (index < p->reconnect_classes->len)
    class_ = g_ptr_array_index (p->reconnect_classes, index);
  g_mutex_unlock (&p->lock);
  return class_;
}

static guint
count_recovered (RrPipeline * p)
{
  guint n;

  g_mutex_lock (&p->lock);
  n = p->recovered;
  g_mutex_unlock (&p->lock);
  return n;
}

/* Waits for recovery number @n and then for fresh data. */
static void
assert_recovers (RrPipeline * p, guint n)
{
  guint before = rr_pipeline_total_buffers (p);

  fail_unless (rr_pipeline_wait_recovered (p, n), "recovery %u: %s", n,
      p->error ? p->error->message : "not recovered");
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20),
      "recovery %u: no data afterwards", n);
}

/* ---- the relay itself, with a raw client ---- */

/* Connects to 127.0.0.1:@port; NULL with @error set if that fails. */
static GSocket *
raw_connect_full (guint port, GError ** error)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, port);

  /* a hang fails the test instead of blocking it */
  g_socket_set_timeout (sock, RR_WAIT_MS / 1000);
  if (!g_socket_connect (sock, addr, NULL, error))
    g_clear_object (&sock);
  g_object_unref (addr);
  g_object_unref (lo);
  return sock;
}

static GSocket *
raw_connect (guint port)
{
  GError *error = NULL;
  GSocket *sock = raw_connect_full (port, &error);

  fail_unless (sock != NULL, "connect: %s", error ? error->message : "");
  return sock;
}

/* Reads until the end of a header block; returns what was read. */
static gchar *
raw_read_headers (GSocket * sock)
{
  GString *got = g_string_new (NULL);
  gchar buf[1024];
  gssize n;

  while (strstr (got->str, "\r\n\r\n") == NULL) {
    GError *error = NULL;

    n = g_socket_receive (sock, buf, sizeof (buf), NULL, &error);
    fail_unless (n > 0, "receive: %s", n == 0 ? "EOF" : error->message);
    g_string_append_len (got, buf, n);
  }
  return g_string_free (got, FALSE);
}

/* The next receive fails: the connection was reset, not closed. */
static void
assert_reset (GSocket * sock)
{
  gchar buf[64];
  GError *error = NULL;
  gssize n = g_socket_receive (sock, buf, sizeof (buf), NULL, &error);

  fail_unless (n < 0, "expected a reset, got %s", n == 0 ? "EOF" : "data");
  /* ECONNRESET */
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_CONNECTION_CLOSED), "expected a reset: %s",
      error->message);
  g_error_free (error);
}

GST_START_TEST (test_relay_forwards_resets_refuses)
{
  RrTestServer *server = rr_test_server_new (NULL);
  RrRelay *relay = rr_relay_new ("127.0.0.1",
      rr_test_server_get_port (server));
  gchar *url = rr_relay_get_url (relay, "/test");
  gchar *expected_url, *request, *response;
  GSocket *sock;
  GError *error = NULL;
  RrRelayStats stats;
  gsize request_len;

  expected_url = g_strdup_printf ("rtsp://127.0.0.1:%u/test",
      rr_relay_get_port (relay));
  fail_unless_equals_string (url, expected_url);
  g_free (expected_url);

  /* a request there, its answer back */
  sock = raw_connect (rr_relay_get_port (relay));
  request = g_strdup_printf ("OPTIONS %s RTSP/1.0\r\nCSeq: 7\r\n\r\n", url);
  request_len = strlen (request);
  fail_unless_equals_int (g_socket_send (sock, request, request_len, NULL,
          NULL), request_len);
  response = raw_read_headers (sock);
  fail_unless (g_str_has_prefix (response, "RTSP/1.0 200 OK\r\n"), "%s",
      response);
  fail_unless (strstr (response, "CSeq: 7\r\n") != NULL, "%s", response);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_OPTIONS), 1);

  /* reset: the client sees an RST, not a FIN */
  rr_relay_reset_all (relay);
  assert_reset (sock);
  g_object_unref (sock);
  rr_relay_get_stats (relay, &stats);
  fail_unless_equals_int (stats.accepted, 1);
  fail_unless_equals_int (stats.refused, 0);
  fail_unless_equals_int (stats.reset, 1);
  fail_unless_equals_int (stats.open, 0);
  fail_unless_equals_uint64 (stats.bytes_to_target, request_len);
  fail_unless_equals_uint64 (stats.bytes_to_client, strlen (response));
  fail_unless_equals_uint64 (stats.bytes_dropped, 0);

  /* refuse: accepted, then reset before any byte (the reset may already
   * be there when the connect call checks its result) */
  rr_relay_set_refuse (relay, TRUE);
  sock = raw_connect_full (rr_relay_get_port (relay), &error);
  if (sock) {
    assert_reset (sock);
    g_object_unref (sock);
  } else {
    fail_unless (g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_CONNECTION_CLOSED), "connect: %s", error->message);
    g_clear_error (&error);
  }
  rr_relay_get_stats (relay, &stats);
  fail_unless_equals_int (stats.accepted, 2);
  fail_unless_equals_int (stats.refused, 1);
  fail_unless_equals_int (stats.open, 0);

  /* and back to normal */
  rr_relay_set_refuse (relay, FALSE);
  sock = raw_connect (rr_relay_get_port (relay));
  fail_unless_equals_int (g_socket_send (sock, request, request_len, NULL,
          NULL), request_len);
  g_free (response);
  response = raw_read_headers (sock);
  fail_unless (g_str_has_prefix (response, "RTSP/1.0 200 OK\r\n"), "%s",
      response);
  fail_unless_equals_int (rr_relay_wait_accepted (relay, 3, RR_WAIT_MS), 3);
  g_object_unref (sock);

  g_free (response);
  g_free (request);
  g_free (url);
  rr_relay_free (relay);
  rr_test_server_free (server);
}

GST_END_TEST;

/* ---- the element through the relay ---- */

GST_START_TEST (test_reset_mid_stream)
{
  Fixture *f = fixture_new (NULL);
  RrPipeline *p = f->p;
  RrRelayStats before, after;

  /* the whole session runs on one connection through the relay */
  rr_relay_get_stats (f->relay, &before);
  fail_unless_equals_int (before.accepted, 1);
  fail_unless_equals_int (before.open, 1);
  fail_unless (before.bytes_to_target > 0);
  fail_unless (before.bytes_to_client > 0);
  fail_unless_equals_int (rr_test_server_count_requests (f->server,
          GST_RTSP_PLAY), 1);

  rr_relay_reset_all (f->relay);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  fail_unless_equals_string (reconnect_class (p, 0), "connection-lost");
  assert_recovers (p, 1);
  rr_pipeline_assert_clean_downstream (p, N_PADS);

  /* the new session went to the location (the relay) again, and its data
   * comes through it */
  rr_relay_get_stats (f->relay, &after);
  fail_unless_equals_int (after.reset, 1);
  fail_unless_equals_int (after.accepted, 2);
  fail_unless_equals_int (after.open, 1);
  fail_unless (after.bytes_to_client > before.bytes_to_client);
  fail_unless_equals_int (rr_test_server_count_requests (f->server,
          GST_RTSP_PLAY), 2);
  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->reconnecting, 1);
  g_mutex_unlock (&p->lock);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_blackhole)
{
  Fixture *f = fixture_new ("stall-timeout", 500,
      "tcp-timeout", (guint64) G_USEC_PER_SEC, NULL);
  RrPipeline *p = f->p;
  RrRelayStats stats;

  /* a partition: connections stay open, nothing gets through */
  rr_relay_blackhole (f->relay, TRUE);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  fail_unless_equals_string (reconnect_class (p, 0), "stalled");

  /* attempts reach the relay but nothing answers */
  fail_unless (rr_pipeline_wait_reconnecting (p, 2));
  fail_unless_equals_string (reconnect_class (p, 1), "timeout");
  fail_unless_equals_int (count_recovered (p), 0);
  rr_relay_get_stats (f->relay, &stats);
  fail_unless (stats.accepted >= 2, "the attempt did not reach the relay");
  fail_unless (stats.bytes_dropped > 0);

  rr_relay_blackhole (f->relay, FALSE);
  assert_recovers (p, 1);
  rr_pipeline_assert_clean_downstream (p, N_PADS);
  fail_unless_equals_int (count_recovered (p), 1);
  /* the stalled connection and the failed attempts' ones were closed */
  fail_unless_equals_int (rr_relay_wait_open (f->relay, 1, RR_WAIT_MS), 1);

  fixture_free (f);
}

GST_END_TEST;

#define RESETS 5

GST_START_TEST (test_reset_repeatedly)
{
  Fixture *f = fixture_new (NULL);
  RrPipeline *p = f->p;
  RrRelayStats stats;
  guint round;

  for (round = 1; round <= RESETS; round++) {
    rr_relay_reset_all (f->relay);
    fail_unless (rr_pipeline_wait_reconnecting (p, round), "round %u", round);
    assert_recovers (p, round);
  }

  rr_pipeline_assert_clean_downstream (p, N_PADS);
  /* one outage per reset, each recovered at the first attempt, on one new
   * connection through the relay */
  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->reconnecting, RESETS);
  fail_unless_equals_int (p->recovered, RESETS);
  for (round = 0; round < RESETS; round++)
    fail_unless_equals_string (g_ptr_array_index (p->reconnect_classes,
            round), "connection-lost");
  g_mutex_unlock (&p->lock);
  rr_relay_get_stats (f->relay, &stats);
  fail_unless_equals_int (stats.reset, RESETS);
  fail_unless_equals_int (stats.accepted, RESETS + 1);
  fail_unless_equals_int (stats.open, 1);

  fixture_free (f);
}

GST_END_TEST;

GST_START_TEST (test_refused_while_down)
{
  Fixture *f = fixture_new (NULL);
  RrPipeline *p = f->p;
  RrRelayStats stats;

  rr_relay_set_refuse (f->relay, TRUE);
  rr_relay_reset_all (f->relay);

  /* the first failure, then attempts that are reset at once */
  fail_unless (rr_pipeline_wait_reconnecting (p, 3));
  fail_unless_equals_string (reconnect_class (p, 0), "connection-lost");
  fail_unless_equals_int (count_recovered (p), 0);
  rr_relay_get_stats (f->relay, &stats);
  fail_unless (stats.refused >= 2, "%u attempts refused", stats.refused);

  rr_relay_set_refuse (f->relay, FALSE);
  assert_recovers (p, 1);
  rr_pipeline_assert_clean_downstream (p, N_PADS);
  fail_unless_equals_int (count_recovered (p), 1);
  rr_relay_get_stats (f->relay, &stats);
  fail_unless_equals_int (stats.open, 1);

  fixture_free (f);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_faults_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_faults");
  TCase *tc = tcase_create ("faults");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_relay_forwards_resets_refuses);
  tcase_add_test (tc, test_reset_mid_stream);
  tcase_add_test (tc, test_blackhole);
  tcase_add_test (tc, test_reset_repeatedly);
  tcase_add_test (tc, test_refused_while_down);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_faults);

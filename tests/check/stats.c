/* resilientrtsp
 * tests/check/stats.c: unit tests for stats.c — the set-up time breakdown
 * driven with made-up monotonic times, and the RTP sequence tracker.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "stats.h"

/* an arbitrary monotonic start (µs), so that nothing relies on 0 */
#define T0 G_GINT64_CONSTANT (5000000000)
#define MS(n) ((gint64) (n) * 1000)

static gdouble
field (const GstStructure * s, const gchar * name)
{
  gdouble value = -2;

  fail_unless (gst_structure_get_double (s, name, &value), "no %s in %"
      GST_PTR_FORMAT, name, s);
  return value;
}

static void
event (GstResilientSetupTimes * t, GSocketClientEvent e, gint64 at)
{
  gst_resilient_setup_times_connect_event (t, e, at);
}

static void
exchange (GstResilientSetupTimes * t, GstRTSPMethod method,
    GstRTSPStatusCode code, gint64 sent, gint64 answered)
{
  gst_resilient_setup_times_request_sent (t, method, sent);
  gst_resilient_setup_times_request_answered (t, method, code, answered);
}

GST_START_TEST (test_nothing_measured)
{
  GstResilientSetupTimes t;
  GstStructure *s;
  const GValue *array;

  gst_resilient_setup_times_init (&t);
  s = gst_resilient_setup_times_to_structure (&t);
  fail_unless_equals_string (gst_structure_get_name (s), "setup");
  fail_unless_equals_float (field (s, "dns-ms"), -1);
  fail_unless_equals_float (field (s, "tcp-connect-ms"), -1);
  fail_unless_equals_float (field (s, "proxy-ms"), -1);
  fail_unless_equals_float (field (s, "tls-ms"), -1);
  fail_unless_equals_float (field (s, "options-ms"), -1);
  fail_unless_equals_float (field (s, "describe-ms"), -1);
  fail_unless_equals_float (field (s, "setup-ms"), -1);
  fail_unless_equals_float (field (s, "play-ms"), -1);
  fail_unless_equals_float (field (s, "playing-ms"), -1);
  fail_unless_equals_float (field (s, "first-rtp-ms"), -1);
  fail_unless_equals_float (field (s, "first-buffer-ms"), -1);
  array = gst_structure_get_value (s, "setup-stream-ms");
  fail_unless (array != NULL && GST_VALUE_HOLDS_ARRAY (array));
  fail_unless_equals_int (gst_value_array_get_size (array), 0);
  gst_structure_free (s);

  /* events before any attempt are ignored */
  event (&t, G_SOCKET_CLIENT_RESOLVING, T0);
  event (&t, G_SOCKET_CLIENT_RESOLVED, T0 + MS (3));
  exchange (&t, GST_RTSP_OPTIONS, GST_RTSP_STS_OK, T0, T0 + MS (1));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_DNS), -1);
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_OPTIONS), -1);
}

GST_END_TEST;

GST_START_TEST (test_full_breakdown)
{
  GstResilientSetupTimes t;
  GstStructure *s;
  const GValue *array;

  gst_resilient_setup_times_init (&t);
  gst_resilient_setup_times_start (&t, T0);
  event (&t, G_SOCKET_CLIENT_RESOLVING, T0 + MS (1));
  event (&t, G_SOCKET_CLIENT_RESOLVED, T0 + MS (4));
  event (&t, G_SOCKET_CLIENT_CONNECTING, T0 + MS (4));
  /* a second address tried in parallel changes nothing */
  event (&t, G_SOCKET_CLIENT_CONNECTING, T0 + MS (6));
  event (&t, G_SOCKET_CLIENT_CONNECTED, T0 + MS (9));
  event (&t, G_SOCKET_CLIENT_CONNECTED, T0 + MS (20));
  event (&t, G_SOCKET_CLIENT_TLS_HANDSHAKING, T0 + MS (10));
  event (&t, G_SOCKET_CLIENT_TLS_HANDSHAKED, T0 + MS (17));
  event (&t, G_SOCKET_CLIENT_COMPLETE, T0 + MS (17));
  exchange (&t, GST_RTSP_OPTIONS, GST_RTSP_STS_OK, T0 + MS (18), T0 + MS (20));
  exchange (&t, GST_RTSP_DESCRIBE, GST_RTSP_STS_OK, T0 + MS (20), T0 + MS (25));
  exchange (&t, GST_RTSP_SETUP, GST_RTSP_STS_OK, T0 + MS (25), T0 + MS (28));
  exchange (&t, GST_RTSP_SETUP, GST_RTSP_STS_OK, T0 + MS (28), T0 + MS (32));
  exchange (&t, GST_RTSP_PLAY, GST_RTSP_STS_OK, T0 + MS (33), T0 + MS (40));

  s = gst_resilient_setup_times_to_structure (&t);
  fail_unless_equals_float (field (s, "dns-ms"), 3);
  fail_unless_equals_float (field (s, "tcp-connect-ms"), 5);
  fail_unless_equals_float (field (s, "proxy-ms"), -1);
  fail_unless_equals_float (field (s, "tls-ms"), 7);
  fail_unless_equals_float (field (s, "options-ms"), 2);
  fail_unless_equals_float (field (s, "describe-ms"), 5);
  fail_unless_equals_float (field (s, "setup-ms"), 7);
  fail_unless_equals_float (field (s, "play-ms"), 7);
  fail_unless_equals_float (field (s, "playing-ms"), 40);
  array = gst_structure_get_value (s, "setup-stream-ms");
  fail_unless_equals_int (gst_value_array_get_size (array), 2);
  fail_unless_equals_float (g_value_get_double (gst_value_array_get_value
          (array, 0)), 3);
  fail_unless_equals_float (g_value_get_double (gst_value_array_get_value
          (array, 1)), 4);
  fail_if (t.via_proxy);
  gst_structure_free (s);

  /* after PLAY was answered: keep-alive OPTIONS, a PLAY resuming after
   * PAUSE, a late event change nothing */
  exchange (&t, GST_RTSP_OPTIONS, GST_RTSP_STS_OK, T0 + MS (1000),
      T0 + MS (1300));
  exchange (&t, GST_RTSP_PLAY, GST_RTSP_STS_OK, T0 + MS (2000), T0 + MS (2100));
  event (&t, G_SOCKET_CLIENT_RESOLVING, T0 + MS (3000));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_OPTIONS), 2);
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_PLAY), 7);
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_DNS), 3);

  /* a new attempt forgets it all */
  gst_resilient_setup_times_start (&t, T0 + MS (5000));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_PLAY), -1);
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_DNS), -1);
  s = gst_resilient_setup_times_to_structure (&t);
  fail_unless_equals_float (field (s, "playing-ms"), -1);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "setup-stream-ms")), 0);
  gst_structure_free (s);
}

GST_END_TEST;

GST_START_TEST (test_auth_and_failures)
{
  GstResilientSetupTimes t;

  gst_resilient_setup_times_init (&t);
  gst_resilient_setup_times_start (&t, T0);
  /* DESCRIBE challenged (401), resent with credentials: both round trips */
  exchange (&t, GST_RTSP_DESCRIBE, GST_RTSP_STS_UNAUTHORIZED, T0 + MS (10),
      T0 + MS (12));
  exchange (&t, GST_RTSP_DESCRIBE, GST_RTSP_STS_OK, T0 + MS (12), T0 + MS (15));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_DESCRIBE), 5);

  /* an answer to nothing sent, or answered twice, counts nothing */
  gst_resilient_setup_times_request_answered (&t, GST_RTSP_OPTIONS,
      GST_RTSP_STS_OK, T0 + MS (16));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_OPTIONS), -1);
  gst_resilient_setup_times_request_answered (&t, GST_RTSP_DESCRIBE,
      GST_RTSP_STS_OK, T0 + MS (30));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_DESCRIBE), 5);

  /* a request never answered is not measured */
  gst_resilient_setup_times_request_sent (&t, GST_RTSP_SETUP, T0 + MS (40));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_SETUP), -1);

  /* methods that are not set-up steps are ignored */
  exchange (&t, GST_RTSP_GET_PARAMETER, GST_RTSP_STS_OK, T0 + MS (41),
      T0 + MS (42));
  exchange (&t, GST_RTSP_TEARDOWN, GST_RTSP_STS_OK, T0 + MS (41), T0 + MS (42));

  /* a PLAY refused does not end the breakdown; the retried one does */
  exchange (&t, GST_RTSP_PLAY, GST_RTSP_STS_SERVICE_UNAVAILABLE,
      T0 + MS (50), T0 + MS (51));
  fail_unless (t.playing_us < 0);
  exchange (&t, GST_RTSP_PLAY, GST_RTSP_STS_OK, T0 + MS (60), T0 + MS (62));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_PLAY), 3);
  fail_unless_equals_int64 (t.playing_us, MS (62));

  /* a clock going backwards (it must not, but) gives 0, never < 0 */
  gst_resilient_setup_times_start (&t, T0);
  exchange (&t, GST_RTSP_OPTIONS, GST_RTSP_STS_OK, T0 + MS (5), T0 + MS (4));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_OPTIONS), 0);
  event (&t, G_SOCKET_CLIENT_TLS_HANDSHAKED, T0 + MS (4));
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_TLS), -1);
}

GST_END_TEST;

GST_START_TEST (test_setup_exchanges_capped)
{
  GstResilientSetupTimes t;
  GstStructure *s;
  guint i;

  gst_resilient_setup_times_init (&t);
  gst_resilient_setup_times_start (&t, T0);
  for (i = 0; i < GST_RESILIENT_SETUP_MAX_EXCHANGES + 4; i++)
    exchange (&t, GST_RTSP_SETUP, GST_RTSP_STS_OK, T0 + MS (10 * i),
        T0 + MS (10 * i + 1));
  s = gst_resilient_setup_times_to_structure (&t);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (s, "setup-stream-ms")), GST_RESILIENT_SETUP_MAX_EXCHANGES);
  /* the sum has them all */
  fail_unless_equals_float (field (s, "setup-ms"),
      GST_RESILIENT_SETUP_MAX_EXCHANGES + 4);
  gst_structure_free (s);
}

GST_END_TEST;

GST_START_TEST (test_proxy_and_peer)
{
  GstResilientSetupTimes t;
  GInetAddress *inet;
  GSocketAddress *address;

  gst_resilient_setup_times_init (&t);
  gst_resilient_setup_times_start (&t, T0);
  event (&t, G_SOCKET_CLIENT_CONNECTING, T0);
  event (&t, G_SOCKET_CLIENT_CONNECTED, T0 + MS (1));
  event (&t, G_SOCKET_CLIENT_PROXY_NEGOTIATING, T0 + MS (1));
  event (&t, G_SOCKET_CLIENT_PROXY_NEGOTIATED, T0 + MS (3));
  fail_unless (t.via_proxy);
  fail_unless_equals_float (gst_resilient_setup_times_get_ms (&t,
          GST_RESILIENT_SETUP_PROXY), 2);

  fail_unless_equals_string (t.peer, "");
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 8554);
  gst_resilient_setup_times_set_peer (&t, address);
  g_object_unref (address);
  fail_unless_equals_string (t.peer, "127.0.0.1:8554");
  /* the first one stays (an HTTP tunnel's second connection) */
  address = g_inet_socket_address_new_from_string ("127.0.0.2", 1);
  gst_resilient_setup_times_set_peer (&t, address);
  g_object_unref (address);
  fail_unless_equals_string (t.peer, "127.0.0.1:8554");
  gst_resilient_setup_times_set_peer (&t, NULL);
  fail_unless_equals_string (t.peer, "127.0.0.1:8554");

  gst_resilient_setup_times_start (&t, T0);
  fail_unless_equals_string (t.peer, "");
  fail_if (t.via_proxy);
  inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  address = g_inet_socket_address_new (inet, 322);
  gst_resilient_setup_times_set_peer (&t, address);
  fail_unless_equals_string (t.peer, "[::1]:322");
  g_object_unref (address);
  g_object_unref (inet);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */

GST_START_TEST (test_seq_in_order_and_wrap)
{
  GstResilientSeqTracker t;
  guint i;

  gst_resilient_seq_tracker_init (&t);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 1, 65530),
      GST_RESILIENT_SEQ_RESTART);
  for (i = 1; i < 20; i++)
    fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 1,
            (guint16) (65530 + i)), GST_RESILIENT_SEQ_NEXT);
  /* a gap is a loss, not reordering */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 1, 30),
      GST_RESILIENT_SEQ_NEXT);
  fail_unless_equals_int64 (t.duplicates, 0);
  fail_unless_equals_int64 (t.reordered, 0);
}

GST_END_TEST;

GST_START_TEST (test_seq_duplicates_and_reordering)
{
  GstResilientSeqTracker t;

  gst_resilient_seq_tracker_init (&t);
  gst_resilient_seq_tracker_push (&t, 7, 100);
  gst_resilient_seq_tracker_push (&t, 7, 101);
  gst_resilient_seq_tracker_push (&t, 7, 103);
  /* 102 late: reordered; again: duplicate */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 102),
      GST_RESILIENT_SEQ_REORDERED);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 102),
      GST_RESILIENT_SEQ_DUPLICATE);
  /* the newest again, and an older one seen in order */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 103),
      GST_RESILIENT_SEQ_DUPLICATE);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 100),
      GST_RESILIENT_SEQ_DUPLICATE);
  fail_unless_equals_int64 (t.duplicates, 3);
  fail_unless_equals_int64 (t.reordered, 1);

  /* across the wrap: 65535 arrives after 0 */
  gst_resilient_seq_tracker_init (&t);
  gst_resilient_seq_tracker_push (&t, 7, 65534);
  gst_resilient_seq_tracker_push (&t, 7, 0);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 65535),
      GST_RESILIENT_SEQ_REORDERED);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 65534),
      GST_RESILIENT_SEQ_DUPLICATE);

  /* the edge of the window: 63 behind is still told apart, 64 is not */
  gst_resilient_seq_tracker_init (&t);
  gst_resilient_seq_tracker_push (&t, 7, 1000);
  gst_resilient_seq_tracker_push (&t, 7, 1000 + 63);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 1000),
      GST_RESILIENT_SEQ_DUPLICATE);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 1001),
      GST_RESILIENT_SEQ_REORDERED);
  gst_resilient_seq_tracker_push (&t, 7, 1000 + 64);
  /* 1000 is 64 behind now: tracking starts again from it */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 1000),
      GST_RESILIENT_SEQ_RESTART);
  fail_unless_equals_int64 (t.duplicates, 1);
  fail_unless_equals_int64 (t.reordered, 1);

  /* a jump ahead over a long gap (the window is emptied) */
  gst_resilient_seq_tracker_init (&t);
  gst_resilient_seq_tracker_push (&t, 7, 10);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 10 + 100),
      GST_RESILIENT_SEQ_NEXT);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 7, 10 + 99),
      GST_RESILIENT_SEQ_REORDERED);
}

GST_END_TEST;

GST_START_TEST (test_seq_restarts)
{
  GstResilientSeqTracker t;

  gst_resilient_seq_tracker_init (&t);
  gst_resilient_seq_tracker_push (&t, 1, 500);
  gst_resilient_seq_tracker_push (&t, 1, 502);
  gst_resilient_seq_tracker_push (&t, 1, 501);
  fail_unless_equals_int64 (t.reordered, 1);

  /* a new SSRC (a camera reboot): its numbers are its own */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 2, 501),
      GST_RESILIENT_SEQ_RESTART);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 2, 502),
      GST_RESILIENT_SEQ_NEXT);

  /* a jump far ahead (a new PLAY, a server restart) */
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 2,
          502 + GST_RESILIENT_SEQ_MAX_DROPOUT + 1), GST_RESILIENT_SEQ_RESTART);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 2,
          502 + GST_RESILIENT_SEQ_MAX_DROPOUT + 1 +
          GST_RESILIENT_SEQ_MAX_DROPOUT), GST_RESILIENT_SEQ_NEXT);

  /* restart(): the same number again is not a duplicate; totals stay */
  gst_resilient_seq_tracker_restart (&t);
  fail_unless_equals_int (gst_resilient_seq_tracker_push (&t, 2,
          502 + 2 * GST_RESILIENT_SEQ_MAX_DROPOUT + 1),
      GST_RESILIENT_SEQ_RESTART);
  fail_unless_equals_int64 (t.reordered, 1);
  fail_unless_equals_int64 (t.duplicates, 0);
}

GST_END_TEST;

static Suite *
stats_suite (void)
{
  Suite *s = suite_create ("stats");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nothing_measured);
  tcase_add_test (tc, test_full_breakdown);
  tcase_add_test (tc, test_auth_and_failures);
  tcase_add_test (tc, test_setup_exchanges_capped);
  tcase_add_test (tc, test_proxy_and_peer);
  tcase_add_test (tc, test_seq_in_order_and_wrap);
  tcase_add_test (tc, test_seq_duplicates_and_reordering);
  tcase_add_test (tc, test_seq_restarts);
  return s;
}

GST_CHECK_MAIN (stats);

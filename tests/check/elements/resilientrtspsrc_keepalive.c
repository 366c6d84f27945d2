/* resilientrtsp tests
 * elements/resilientrtspsrc_keepalive.c: keep-alive against a real
 * gst-rtsp-server whose sessions expire after 3 s without a request (the
 * test server's strict timeout; RTCP is off in the client so only RTSP
 * requests keep a session alive) — and against the MOCK quirk server for a
 * keep-alive method the server refuses.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "quirkserver.h"
#include "testserver.h"

/* 3 s: keep-alives every 1.5 s with 1.5 s to spare, which a loaded machine
 * (the ASan stage) still meets */
#define SESSION_TIMEOUT_S 3
/* keep-alives at 1.5 s: this many span three session timeouts */
#define MANY_KEEPALIVES 6

static RrTestServer *
strict_server (void)
{
  RrTestServerConfig config = { 0, };

  config.session_timeout = SESSION_TIMEOUT_S;
  config.strict_session_timeout = TRUE;
  return rr_test_server_new (&config);
}

static guint64
stats_uint64 (RrPipeline * p, const gchar * field)
{
  guint64 v = 0;

  g_mutex_lock (&p->lock);
  fail_unless (p->last_stats != NULL);
  fail_unless (gst_structure_get_uint64 (p->last_stats, field, &v), "%s",
      field);
  g_mutex_unlock (&p->lock);
  return v;
}

/* the session outlives many timeouts on keep-alives alone: same session,
 * no expiry, no recovery, data all along */
static void
keeps_session (GstRTSPLowerTrans protocols, const gchar * method_nick,
    GstRTSPMethod expected)
{
  RrTestServer *server = strict_server ();
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols,
      "do-rtcp", FALSE, "stats-interval", 200, NULL);
  guint before, options_before;
  gdouble rtt = -1.0;

  if (method_nick)
    gst_util_set_object_arg (G_OBJECT (p->src), "keep-alive-method",
        method_nick);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));
  options_before = rr_test_server_count_requests (server, GST_RTSP_OPTIONS);

  fail_unless (rr_test_server_wait_requests (server, expected,
          (expected == GST_RTSP_OPTIONS ? options_before : 0) +
          MANY_KEEPALIVES, RR_WAIT_MS) >= MANY_KEEPALIVES);
  fail_unless_equals_int (rr_test_server_count_expired (server), 0);
  fail_unless_equals_int (p->reconnecting, 0);
  fail_unless (p->error == NULL);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 1);
  if (expected != GST_RTSP_GET_PARAMETER)
    fail_unless_equals_int (rr_test_server_count_requests (server,
            GST_RTSP_GET_PARAMETER), 0);
  before = rr_pipeline_total_buffers (p);
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 10));

  /* the keep-alives and their round trip are in the stats */
  fail_unless (rr_pipeline_wait_stats (p, 2));
  fail_unless (stats_uint64 (p, "keepalives") >= MANY_KEEPALIVES);
  g_mutex_lock (&p->lock);
  fail_unless (gst_structure_get_double (p->last_stats, "keepalive-rtt-ms",
          &rtt));
  g_mutex_unlock (&p->lock);
  fail_unless (rtt >= 0.0, "rtt %f", rtt);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_keepalive_udp)
{
  /* auto: the server's Public lists GET_PARAMETER */
  keeps_session (GST_RTSP_LOWER_TRANS_UDP, NULL, GST_RTSP_GET_PARAMETER);
}

GST_END_TEST;

GST_START_TEST (test_keepalive_tcp)
{
  keeps_session (GST_RTSP_LOWER_TRANS_TCP, NULL, GST_RTSP_GET_PARAMETER);
}

GST_END_TEST;

GST_START_TEST (test_keepalive_options)
{
  keeps_session (GST_RTSP_LOWER_TRANS_TCP, "options", GST_RTSP_OPTIONS);
}

GST_END_TEST;

GST_START_TEST (test_keepalive_set_parameter)
{
  keeps_session (GST_RTSP_LOWER_TRANS_UDP, "set-parameter",
      GST_RTSP_SET_PARAMETER);
}

GST_END_TEST;

/* Without keep-alives the same server drops the session — which proves
 * the keep-alives above are what keeps it — and the element notices (no
 * more data) and re-establishes it. */
static void
expires_without (const gchar * prop, const gchar * value)
{
  RrTestServer *server = strict_server ();
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "do-rtcp", FALSE,
      "stall-timeout", 1000, NULL);
  guint before;

  gst_util_set_object_arg (G_OBJECT (p->src), prop, value);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));

  fail_unless (rr_test_server_wait_expired (server, 1, RR_WAIT_MS) >= 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_GET_PARAMETER), 0);
  fail_unless (rr_pipeline_wait_recovered (p, 1), "%s",
      p->error ? p->error->message : "not recovered");
  before = rr_pipeline_total_buffers (p);
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 10));
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_no_keepalive_session_expires)
{
  expires_without ("keep-alive-method", "none");
}

GST_END_TEST;

GST_START_TEST (test_do_rtsp_keep_alive_false)
{
  expires_without ("do-rtsp-keep-alive", "false");
}

GST_END_TEST;

/* MOCK: a server that answers GET_PARAMETER with 501 (it lists it in
 * Public all the same): the element falls back to OPTIONS at once and
 * keeps using it. */
GST_START_TEST (test_refused_method_falls_back)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  gchar *url = rr_quirk_server_get_url (server, "/test");
  /* the mock server sends no RTP: no stall detection */
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 0, NULL);
  guint options_at_play;

  rr_quirk_server_set_session_timeout (server, SESSION_TIMEOUT_S);
  rr_quirk_server_set (server, "GET_PARAMETER", RR_QUIRK_REPLY,
      "RTSP/1.0 501 Not Implemented\r\nCSeq: {cseq}\r\n\r\n");
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_state (p, "playing"));
  options_at_play = rr_quirk_server_count (server, "OPTIONS");

  fail_unless (rr_quirk_server_wait (server, "OPTIONS", options_at_play + 3,
          RR_WAIT_MS) >= options_at_play + 3);
  /* one GET_PARAMETER, refused; never again */
  fail_unless_equals_int (rr_quirk_server_count (server, "GET_PARAMETER"), 1);
  fail_unless_equals_int (p->reconnecting, 0);
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  g_free (url);
  rr_quirk_server_free (server);
}

GST_END_TEST;

/* MOCK: a keep-alive answered 454 is a lost session: re-established */
GST_START_TEST (test_keepalive_454_recovers)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  gchar *url = rr_quirk_server_get_url (server, "/test");
  /* the mock server sends no RTP: no stall detection */
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 0, NULL);

  rr_quirk_server_set_session_timeout (server, SESSION_TIMEOUT_S);
  rr_quirk_server_set (server, "GET_PARAMETER", RR_QUIRK_REPLY,
      "RTSP/1.0 454 Session Not Found\r\nCSeq: {cseq}\r\n\r\n");
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  fail_unless_equals_string (p->last_reconnect_class, "session-gone");
  fail_unless (rr_pipeline_wait_state_count (p, "playing", 2));
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  g_free (url);
  rr_quirk_server_free (server);
}

GST_END_TEST;

/* MOCK: a keep-alive that is never answered: lost once the margin passed,
 * re-established (here onto the same silent keep-alive, so again) */
GST_START_TEST (test_keepalive_unanswered_recovers)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  gchar *url = rr_quirk_server_get_url (server, "/test");
  /* the mock server sends no RTP: no stall detection */
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 0, NULL);

  rr_quirk_server_set_session_timeout (server, SESSION_TIMEOUT_S);
  rr_quirk_server_set (server, "GET_PARAMETER", RR_QUIRK_SILENCE, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  fail_unless_equals_string (p->last_reconnect_class, "timeout");
  fail_unless (rr_pipeline_wait_state_count (p, "playing", 2));
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  g_free (url);
  rr_quirk_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_keepalive_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_keepalive");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_keepalive_udp);
  tcase_add_test (tc, test_keepalive_tcp);
  tcase_add_test (tc, test_keepalive_options);
  tcase_add_test (tc, test_keepalive_set_parameter);
  tcase_add_test (tc, test_no_keepalive_session_expires);
  tcase_add_test (tc, test_do_rtsp_keep_alive_false);
  tcase_add_test (tc, test_refused_method_falls_back);
  tcase_add_test (tc, test_keepalive_454_recovers);
  tcase_add_test (tc, test_keepalive_unanswered_recovers);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_keepalive);

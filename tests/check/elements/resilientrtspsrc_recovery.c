/* resilientrtsp tests
 * elements/resilientrtspsrc_recovery.c: a playing stream survives server
 * restarts and stalls — same pads, no EOS, no flush, no error downstream,
 * timestamps keep going forward — and gives up with one clear error when
 * told to.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "quirkserver.h"
#include "testserver.h"

/* GstResilientRetryStrategy values (the enum is internal to the plugin) */
#define RETRY_FIXED 2

static RrTestServer *
start_server_on (guint port)
{
  RrTestServerConfig config = { 0, };

  config.with_audio = TRUE;
  config.port = port;
  return rr_test_server_new (&config);
}

/* the stats' interleaved-bytes-shared */
static guint64
interleaved_shared (RrPipeline * p)
{
  GstStructure *stats = NULL;
  guint64 shared = 0;

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_uint64 (stats, "interleaved-bytes-shared",
          &shared));
  gst_structure_free (stats);
  return shared;
}

static void
survive_restarts (GstRTSPLowerTrans protocols)
{
  RrTestServer *server = start_server_on (0);
  guint port = rr_test_server_get_port (server);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols, NULL);
  guint round;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10));

  for (round = 1; round <= 3; round++) {
    guint before;
    guint64 shared = interleaved_shared (p);

    /* the camera reboots: every connection drops, the port is closed for
     * a moment, then a new server (new sessions, new SSRCs) comes up */
    rr_test_server_free (server);
    fail_unless (rr_pipeline_wait_reconnecting (p, round));
    before = rr_pipeline_total_buffers (p);
    server = start_server_on (port);

    fail_unless (rr_pipeline_wait_recovered (p, round), "round %u: %s", round,
        p->error ? p->error->message : "not recovered");
    fail_unless (rr_pipeline_wait_more_buffers (p, before, 20),
        "round %u: no data after recovery", round);
    /* the byte counts span connections: the new one adds to them */
    if (protocols == GST_RTSP_LOWER_TRANS_TCP)
      fail_unless (interleaved_shared (p) > shared, "round %u", round);
    else
      fail_unless_equals_uint64 (interleaved_shared (p), 0);
  }

  rr_pipeline_assert_clean_downstream (p, 2);
  fail_unless (rr_pipeline_wait_state_count (p, "recovering", 3));
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_server_restarts_udp)
{
  survive_restarts (GST_RTSP_LOWER_TRANS_UDP);
}

GST_END_TEST;

GST_START_TEST (test_server_restarts_tcp)
{
  survive_restarts (GST_RTSP_LOWER_TRANS_TCP);
}

GST_END_TEST;

GST_START_TEST (test_stall_recovers)
{
  RrTestServer *server = start_server_on (0);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 500, "tcp-timeout", (guint64) G_USEC_PER_SEC, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10));

  /* the server hangs: connections stay open, nothing flows */
  rr_test_server_freeze (server);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  g_mutex_lock (&p->lock);
  fail_unless_equals_string (p->last_reconnect_class, "stalled");
  g_mutex_unlock (&p->lock);

  before = rr_pipeline_total_buffers (p);
  rr_test_server_thaw (server);
  fail_unless (rr_pipeline_wait_recovered (p, 1), "%s",
      p->error ? p->error->message : "not recovered");
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));
  rr_pipeline_assert_clean_downstream (p, 2);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_retries_exhausted)
{
  RrTestServer *server = start_server_on (0);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "retry-strategy", RETRY_FIXED,
      "retry-initial-delay", 50, "retry-max-attempts", 2, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));

  /* gone for good: two attempts, then one error naming the cause */
  rr_test_server_free (server);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "refused");
  fail_unless (strstr (p->error->message, "gave up after 2") != NULL, "%s",
      p->error->message);
  fail_unless_equals_int (p->reconnecting, 2);
  fail_unless (rr_pipeline_wait_state (p, "failed"));

  rr_pipeline_free (p);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_while_waiting_to_retry)
{
  RrTestServer *server = start_server_on (0);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, "retry-strategy", RETRY_FIXED,
      "retry-initial-delay", 600000, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));
  rr_test_server_free (server);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));

  /* the next attempt is 10 minutes away: NULL must not wait for it (the
   * fixture asserts the state change succeeds; waiting would time out) */
  rr_pipeline_free (p);
  g_free (url);
}

GST_END_TEST;

/* A camera that is off when the pipeline starts: the element keeps trying
 * (retry-initial-connect, on by default) and plays once the server is up. */
GST_START_TEST (test_initial_connect_retried)
{
  guint port = rr_unused_port ();
  gchar *url = g_strdup_printf ("rtsp://127.0.0.1:%u/test", port);
  RrPipeline *p = rr_pipeline_new (url, NULL);
  RrTestServer *server;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_reconnecting (p, 2));
  fail_unless_equals_string (p->last_reconnect_class, "refused");
  fail_unless_equals_int (p->pads->len, 0);
  fail_unless (p->error == NULL);

  server = start_server_on (port);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10), "%s",
      p->error ? p->error->message : "no data");
  fail_unless (rr_pipeline_wait_recovered (p, 1));
  fail_unless (p->no_more_pads);
  rr_pipeline_assert_clean_downstream (p, 2);
  /* one session on the server: PLAY once */
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_PLAY), 1);
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_initial_connect_gives_up)
{
  gchar *url = g_strdup_printf ("rtsp://127.0.0.1:%u/test", rr_unused_port ());
  RrPipeline *p = rr_pipeline_new (url, "retry-strategy", RETRY_FIXED,
      "retry-initial-delay", 50, "retry-max-attempts", 2, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "refused");
  fail_unless (strstr (p->error->message, "gave up after 2") != NULL, "%s",
      p->error->message);
  fail_unless_equals_int (p->reconnecting, 2);
  fail_unless_equals_int (p->pads->len, 0);
  rr_pipeline_free (p);
  g_free (url);
}

GST_END_TEST;

/* fail-fast decides which classes are retried: by default a 404 is an error
 * at once; without not-found in the set it is retried like a busy server */
GST_START_TEST (test_fail_fast_property)
{
  RrTestServer *server = start_server_on (0);
  gchar *url = rr_test_server_get_url (server, "/no-such-mount");
  RrPipeline *p = rr_pipeline_new (url, NULL);
  guint describes;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "not-found");
  fail_unless_equals_int (p->reconnecting, 0);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_DESCRIBE), 1);
  rr_pipeline_free (p);

  p = rr_pipeline_new (url, "retry-strategy", RETRY_FIXED,
      "retry-initial-delay", 50, "retry-max-attempts", 3, NULL);
  gst_util_set_object_arg (G_OBJECT (p->src), "fail-fast", "auth+tls");
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "not-found");
  fail_unless_equals_int (p->reconnecting, 3);
  fail_unless (strstr (p->error->message, "gave up after 3") != NULL, "%s",
      p->error->message);
  /* the first DESCRIBE and one per attempt */
  describes = rr_test_server_count_requests (server, GST_RTSP_DESCRIBE);
  fail_unless_equals_int (describes, 1 + 4);
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_state_property)
{
  RrTestServer *server = start_server_on (0);
  gchar *url = rr_test_server_get_url (server, "/video");
  RrPipeline *p = rr_pipeline_new (url, NULL);
  gchar *state = NULL;

  g_object_get (p->src, "state", &state, NULL);
  fail_unless_equals_string (state, "idle");
  g_free (state);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5));
  g_object_get (p->src, "state", &state, NULL);
  fail_unless_equals_string (state, "playing");
  g_free (state);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* An SDP with one stream more than the quirk server's default one. */
static const gchar two_streams_sdp[] =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=two streams\r\n"
    "t=0 0\r\n"
    "a=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n"
    "a=control:track1\r\n"
    "m=audio 0 RTP/AVP 0\r\n" "a=rtpmap:0 PCMU/8000\r\n" "a=control:track2\r\n";

GST_START_TEST (test_streams_changed_after_recovery)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  gchar *url = rr_quirk_server_get_url (server, "/test");
  /* the MOCK server answers PLAY but sends no media: the stall detector
   * re-establishes the session, which then describes two streams */
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 300, NULL);
  gchar *reply;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_state (p, "playing"));
  fail_unless_equals_int (p->pads->len, 1);

  reply = g_strdup_printf ("RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Base: rtsp://127.0.0.1:{port}/test/\r\n"
      "Content-Length: %u\r\n\r\n%s", (guint) strlen (two_streams_sdp),
      two_streams_sdp);
  rr_quirk_server_set (server, "DESCRIBE", RR_QUIRK_REPLY, reply);

  fail_unless (rr_pipeline_wait_streams_changed (p, 1), "%s",
      p->error ? p->error->message : "no streams-changed message");
  g_mutex_lock (&p->lock);
  fail_unless_equals_int (p->streams_added, 1);
  /* the first pad stayed, the new stream got one */
  fail_unless_equals_int (p->pads->len, 2);
  fail_unless (p->error == NULL);
  g_mutex_unlock (&p->lock);
  fail_unless (rr_pipeline_wait_recovered (p, 1));

  rr_pipeline_free (p);
  g_free (reply);
  g_free (url);
  rr_quirk_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_recovery_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_recovery");
  TCase *tc = tcase_create ("recovery");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_state_property);
  tcase_add_test (tc, test_streams_changed_after_recovery);
  tcase_add_test (tc, test_server_restarts_udp);
  tcase_add_test (tc, test_server_restarts_tcp);
  tcase_add_test (tc, test_stall_recovers);
  tcase_add_test (tc, test_retries_exhausted);
  tcase_add_test (tc, test_shutdown_while_waiting_to_retry);
  tcase_add_test (tc, test_initial_connect_retried);
  tcase_add_test (tc, test_initial_connect_gives_up);
  tcase_add_test (tc, test_fail_fast_property);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_recovery);

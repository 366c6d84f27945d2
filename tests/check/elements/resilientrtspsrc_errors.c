/* resilientrtsp tests
 * elements/resilientrtspsrc_errors.c: every failure ends in a clear error —
 * against the real test server (404, refused port) and the MOCK quirk server
 * for replies a real server does not send. Transient failures at start are
 * retried by default (retry-initial-connect); the cases here that test them
 * as errors turn that off, as an rtspsrc user would have it.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "quirkserver.h"
#include "testserver.h"

static void
assert_error (RrPipeline * p, GQuark domain, gint code, const gchar * class_,
    const gchar * text)
{
  fail_unless (rr_pipeline_wait_error (p), "no error posted");
  fail_unless (g_error_matches (p->error, domain, code),
      "unexpected error %s:%d: %s", g_quark_to_string (p->error->domain),
      p->error->code, p->error->message);
  fail_unless_equals_string (p->error_class, class_);
  if (text)
    fail_unless (strstr (p->error->message, text) != NULL,
        "\"%s\" not in \"%s\"", text, p->error->message);
  fail_unless (rr_pipeline_wait_state (p, "failed"));
}

GST_START_TEST (test_not_found)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/no-such-mount");
  RrPipeline *p = rr_pipeline_new (url, NULL);

  rr_pipeline_play (p);
  assert_error (p, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "not-found", "404");
  /* failed before SETUP: no pads */
  fail_unless_equals_int (p->pads->len, 0);
  rr_pipeline_free (p);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_refused)
{
  gchar *url = g_strdup_printf ("rtsp://127.0.0.1:%u/test", rr_unused_port ());
  RrPipeline *p = rr_pipeline_new (url, "retry-initial-connect", FALSE, NULL);

  rr_pipeline_play (p);
  assert_error (p, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      "refused", "refused");
  fail_unless_equals_int (p->reconnecting, 0);
  rr_pipeline_free (p);
  g_free (url);
}

GST_END_TEST;

/* with the default retry-initial-connect=true: an unknown name at start is
 * not retried */
GST_START_TEST (test_unresolvable_host)
{
  RrPipeline *p = rr_pipeline_new ("rtsp://no-such-host.invalid/test", NULL);

  rr_pipeline_play (p);
  assert_error (p, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, "dns",
      "no-such-host.invalid");
  fail_unless_equals_int (p->reconnecting, 0);
  rr_pipeline_free (p);
}

GST_END_TEST;

GST_START_TEST (test_bad_url)
{
  RrPipeline *p = rr_pipeline_new ("rtsp://", NULL);

  rr_pipeline_play (p);
  assert_error (p, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "bad-url",
      NULL);
  rr_pipeline_free (p);
}

GST_END_TEST;

/* One quirk: @method answered with @reply (may be NULL for close/silence). */
static RrPipeline *
quirk_pipeline (RrQuirkServer ** server, const gchar * method,
    RrQuirkAction action, const gchar * reply)
{
  gchar *url;
  RrPipeline *p;

  *server = rr_quirk_server_new ();
  rr_quirk_server_set (*server, method, action, reply);
  url = rr_quirk_server_get_url (*server, "/test");
  p = rr_pipeline_new (url, "tcp-timeout", (guint64) 2 * G_USEC_PER_SEC,
      "protocols", GST_RTSP_LOWER_TRANS_TCP, "retry-initial-connect", FALSE,
      NULL);
  g_free (url);
  rr_pipeline_play (p);
  return p;
}

static void
quirk_case (const gchar * method, RrQuirkAction action, const gchar * reply,
    GQuark domain, gint code, const gchar * class_, const gchar * text)
{
  RrQuirkServer *server;
  RrPipeline *p = quirk_pipeline (&server, method, action, reply);

  assert_error (p, domain, code, class_, text);
  rr_pipeline_free (p);
  rr_quirk_server_free (server);
}

GST_START_TEST (test_quirk_garbage)
{
  quirk_case ("DESCRIBE", RR_QUIRK_REPLY, "\x17\x03\x01 not rtsp at all\r\n\r\n",
      GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "protocol", NULL);
}

GST_END_TEST;

GST_START_TEST (test_quirk_truncated_headers)
{
  quirk_case ("DESCRIBE", RR_QUIRK_REPLY_AND_CLOSE,
      "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: applic",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, "connection-lost",
      NULL);
}

GST_END_TEST;

GST_START_TEST (test_quirk_wrong_cseq)
{
  quirk_case ("DESCRIBE", RR_QUIRK_REPLY,
      "RTSP/1.0 200 OK\r\nCSeq: {cseq+1}\r\nContent-Length: 0\r\n\r\n",
      GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "protocol", "CSeq");
}

GST_END_TEST;

GST_START_TEST (test_quirk_huge_content_length)
{
  quirk_case ("DESCRIBE", RR_QUIRK_REPLY,
      "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
      "Content-Length: 99999999999\r\n\r\nv=0\r\n",
      GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "protocol", NULL);
}

GST_END_TEST;

GST_START_TEST (test_quirk_malformed_sdp)
{
  quirk_case ("DESCRIBE", RR_QUIRK_REPLY,
      "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
      "Content-Length: 19\r\n\r\nthis is not an SDP\n",
      GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "sdp", "SDP");
}

GST_END_TEST;

GST_START_TEST (test_quirk_silence_times_out)
{
  quirk_case ("DESCRIBE", RR_QUIRK_SILENCE, NULL, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "timeout", "DESCRIBE");
}

GST_END_TEST;

GST_START_TEST (test_quirk_close_on_setup)
{
  quirk_case ("SETUP", RR_QUIRK_CLOSE, NULL, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "connection-lost", NULL);
}

GST_END_TEST;

GST_START_TEST (test_quirk_server_error)
{
  quirk_case ("PLAY", RR_QUIRK_REPLY,
      "RTSP/1.0 503 Service Unavailable\r\nCSeq: {cseq}\r\n"
      "Retry-After: 5\r\n\r\n", GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
      "server-busy", "503");
}

GST_END_TEST;

GST_START_TEST (test_redirect_to_real_server)
{
  RrTestServer *real = rr_test_server_new (NULL);
  gchar *target = rr_test_server_get_url (real, "/video");
  gchar *reply = g_strdup_printf ("RTSP/1.0 302 Moved Temporarily\r\n"
      "CSeq: {cseq}\r\nLocation: %s\r\n\r\n", target);
  RrQuirkServer *quirk = rr_quirk_server_new ();
  gchar *url;
  RrPipeline *p;

  rr_quirk_server_set (quirk, "DESCRIBE", RR_QUIRK_REPLY, reply);
  url = rr_quirk_server_get_url (quirk, "/old");
  p = rr_pipeline_new (url, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "%s",
      p->error ? p->error->message : "timeout");
  fail_unless (rr_pipeline_find_caps (p, "video/x-h264") != NULL);
  fail_unless_equals_int (rr_quirk_server_count (quirk, "DESCRIBE"), 1);
  fail_unless_equals_int (rr_test_server_count_requests (real,
          GST_RTSP_DESCRIBE), 1);
  rr_pipeline_free (p);

  g_free (url);
  g_free (reply);
  g_free (target);
  rr_quirk_server_free (quirk);
  rr_test_server_free (real);
}

GST_END_TEST;

GST_START_TEST (test_udp_timeout_switches_to_tcp)
{
  RrQuirkServer *server = rr_quirk_server_new ();
  gchar *url = rr_quirk_server_get_url (server, "/test");
  /* the mock server accepts UDP but never sends a packet */
  RrPipeline *p = rr_pipeline_new (url, "timeout", (guint64) 500000, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_state (p, "recovering"));
  /* a second SETUP, over TCP, and PLAY again, on the same pad */
  fail_unless (rr_pipeline_wait_state_count (p, "playing", 2));
  fail_unless_equals_int (p->pads->len, 1);
  fail_unless (rr_pipeline_has_reason (p, "switching to TCP"));
  rr_pipeline_free (p);

  fail_unless (rr_quirk_server_count (server, "SETUP") >= 2);
  fail_unless (rr_quirk_server_count (server, "PLAY") >= 2);
  fail_unless (rr_quirk_server_last_transport_has (server, "RTP/AVP/TCP"));

  g_free (url);
  rr_quirk_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_errors_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_errors");
  TCase *tc = tcase_create ("errors");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_not_found);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_unresolvable_host);
  tcase_add_test (tc, test_bad_url);
  tcase_add_test (tc, test_quirk_garbage);
  tcase_add_test (tc, test_quirk_truncated_headers);
  tcase_add_test (tc, test_quirk_wrong_cseq);
  tcase_add_test (tc, test_quirk_huge_content_length);
  tcase_add_test (tc, test_quirk_malformed_sdp);
  tcase_add_test (tc, test_quirk_silence_times_out);
  tcase_add_test (tc, test_quirk_close_on_setup);
  tcase_add_test (tc, test_quirk_server_error);
  tcase_add_test (tc, test_redirect_to_real_server);
  tcase_add_test (tc, test_udp_timeout_switches_to_tcp);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_errors);

/* resilientrtsp tests
 * keepalive.c: the keep-alive policy — method choice from the server's
 * Public header and the configured method, fallbacks on refusal, the
 * interval and its margin, and what an answer means.
 */
#include <gst/check/gstcheck.h>

#include "keepalive.h"

#define ALL_METHODS (GST_RTSP_OPTIONS | GST_RTSP_DESCRIBE | GST_RTSP_SETUP | \
    GST_RTSP_PLAY | GST_RTSP_PAUSE | GST_RTSP_TEARDOWN | \
    GST_RTSP_GET_PARAMETER | GST_RTSP_SET_PARAMETER)
#define NO_GET (ALL_METHODS & ~GST_RTSP_GET_PARAMETER)

static GstRTSPMethod
start_with (GstResilientKeepaliveMethod method, GstRTSPMethod server,
    gboolean rtcp)
{
  GstResilientKeepalive ka;

  gst_resilient_keepalive_init (&ka, method);
  gst_resilient_keepalive_start (&ka, server, 60, rtcp);
  return gst_resilient_keepalive_get_request (&ka);
}

GST_START_TEST (test_method_choice)
{
  static const struct
  {
    GstResilientKeepaliveMethod method;
    GstRTSPMethod server;
    gboolean rtcp;
    GstRTSPMethod expected;
  } table[] = {
    /* auto follows the Public header */
    {GST_RESILIENT_KEEPALIVE_AUTO, ALL_METHODS, TRUE, GST_RTSP_GET_PARAMETER},
    {GST_RESILIENT_KEEPALIVE_AUTO, NO_GET, TRUE, GST_RTSP_OPTIONS},
    {GST_RESILIENT_KEEPALIVE_AUTO, 0, TRUE, GST_RTSP_OPTIONS},
    /* an explicit method is used even when not listed */
    {GST_RESILIENT_KEEPALIVE_OPTIONS, ALL_METHODS, TRUE, GST_RTSP_OPTIONS},
    {GST_RESILIENT_KEEPALIVE_GET_PARAMETER, NO_GET, TRUE,
        GST_RTSP_GET_PARAMETER},
    {GST_RESILIENT_KEEPALIVE_SET_PARAMETER, 0, FALSE, GST_RTSP_SET_PARAMETER},
    /* rtcp: nothing over RTSP, unless there is no RTCP */
    {GST_RESILIENT_KEEPALIVE_RTCP, ALL_METHODS, TRUE, 0},
    {GST_RESILIENT_KEEPALIVE_RTCP, ALL_METHODS, FALSE, GST_RTSP_GET_PARAMETER},
    {GST_RESILIENT_KEEPALIVE_RTCP, NO_GET, FALSE, GST_RTSP_OPTIONS},
    {GST_RESILIENT_KEEPALIVE_NONE, ALL_METHODS, FALSE, 0},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++)
    fail_unless_equals_int (start_with (table[i].method, table[i].server,
            table[i].rtcp), table[i].expected);
}

GST_END_TEST;

GST_START_TEST (test_interval)
{
  static const struct
  {
    guint timeout_s;
    guint interval_ms;
    guint answer_ms;
  } table[] = {
    {0, 48000, 12000},          /* none given: 60 s */
    {60, 48000, 12000},
    {30, 24000, 6000},
    {10, 5000, 5000},
    {4, 2000, 2000},
    {2, 1000, 1000},
    {1, 500, 1000},             /* the answer gets at least 1 s */
    {G_MAXUINT, 0, 0},          /* checked below: no overflow */
  };
  GstResilientKeepalive ka;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    gst_resilient_keepalive_init (&ka, GST_RESILIENT_KEEPALIVE_AUTO);
    gst_resilient_keepalive_start (&ka, 0, table[i].timeout_s, TRUE);
    if (table[i].timeout_s == G_MAXUINT) {
      /* 49 days, not a wrapped-around small number */
      fail_unless (gst_resilient_keepalive_interval_ms (&ka) >
          G_MAXUINT / 2);
      fail_unless (gst_resilient_keepalive_answer_timeout_ms (&ka) >
          G_MAXUINT / 10);
      continue;
    }
    fail_unless_equals_int (gst_resilient_keepalive_interval_ms (&ka),
        table[i].interval_ms);
    fail_unless_equals_int (gst_resilient_keepalive_answer_timeout_ms (&ka),
        table[i].answer_ms);
  }

  /* nothing to send: no interval */
  gst_resilient_keepalive_init (&ka, GST_RESILIENT_KEEPALIVE_NONE);
  gst_resilient_keepalive_start (&ka, ALL_METHODS, 60, TRUE);
  fail_unless_equals_int (gst_resilient_keepalive_interval_ms (&ka), 0);
}

GST_END_TEST;

GST_START_TEST (test_answers)
{
  GstResilientKeepalive ka;

  gst_resilient_keepalive_init (&ka, GST_RESILIENT_KEEPALIVE_AUTO);
  gst_resilient_keepalive_start (&ka, ALL_METHODS, 60, TRUE);
  fail_unless_equals_int (ka.rtt_us, -1);

  /* 200: alive, round trip measured */
  gst_resilient_keepalive_sent (&ka, 1000000);
  fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
          GST_RTSP_STS_OK, 1004000), GST_RESILIENT_KEEPALIVE_ALIVE);
  fail_unless_equals_int (ka.rtt_us, 4000);
  fail_unless_equals_int (ka.sent, 1);
  fail_unless_equals_int (ka.answered, 1);

  /* 454: the session is gone */
  gst_resilient_keepalive_sent (&ka, 2000000);
  fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
          GST_RTSP_STS_SESSION_NOT_FOUND, 2001000),
      GST_RESILIENT_KEEPALIVE_LOST);

  /* other errors change nothing */
  gst_resilient_keepalive_sent (&ka, 3000000);
  fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
          GST_RTSP_STS_INTERNAL_SERVER_ERROR, 3001000),
      GST_RESILIENT_KEEPALIVE_IGNORED);
  fail_unless_equals_int (gst_resilient_keepalive_get_request (&ka),
      GST_RTSP_GET_PARAMETER);
}

GST_END_TEST;

GST_START_TEST (test_fallbacks)
{
  const GstRTSPStatusCode refusals[] = {
    GST_RTSP_STS_METHOD_NOT_ALLOWED, GST_RTSP_STS_PARAMETER_NOT_UNDERSTOOD,
    GST_RTSP_STS_NOT_IMPLEMENTED,
  };
  GstResilientKeepalive ka;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refusals); i++) {
    gst_resilient_keepalive_init (&ka, GST_RESILIENT_KEEPALIVE_SET_PARAMETER);
    gst_resilient_keepalive_start (&ka, ALL_METHODS, 60, TRUE);

    fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
            refusals[i], 0), GST_RESILIENT_KEEPALIVE_FALLBACK);
    fail_unless_equals_int (gst_resilient_keepalive_get_request (&ka),
        GST_RTSP_GET_PARAMETER);
    fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
            refusals[i], 0), GST_RESILIENT_KEEPALIVE_FALLBACK);
    fail_unless_equals_int (gst_resilient_keepalive_get_request (&ka),
        GST_RTSP_OPTIONS);
    /* even OPTIONS refused: keep-alives stop */
    fail_unless_equals_int (gst_resilient_keepalive_answered (&ka,
            refusals[i], 0), GST_RESILIENT_KEEPALIVE_IGNORED);
    fail_unless_equals_int (gst_resilient_keepalive_get_request (&ka), 0);
    fail_unless_equals_int (gst_resilient_keepalive_interval_ms (&ka), 0);

    /* a new session starts over from the configured method */
    gst_resilient_keepalive_start (&ka, ALL_METHODS, 60, TRUE);
    fail_unless_equals_int (gst_resilient_keepalive_get_request (&ka),
        GST_RTSP_SET_PARAMETER);
    fail_unless_equals_int (ka.answered, 3);
  }
}

GST_END_TEST;

GST_START_TEST (test_enum_type)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_RESILIENT_KEEPALIVE_METHOD);
  const gchar *nicks[] = { "auto", "options", "get-parameter",
    "set-parameter", "rtcp", "none"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (nicks); i++) {
    GEnumValue *v = g_enum_get_value_by_nick (klass, nicks[i]);

    fail_unless (v != NULL, "%s", nicks[i]);
    fail_unless_equals_int (v->value, i);
  }
  g_type_class_unref (klass);
}

GST_END_TEST;

static Suite *
keepalive_suite (void)
{
  Suite *s = suite_create ("keepalive");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_method_choice);
  tcase_add_test (tc, test_interval);
  tcase_add_test (tc, test_answers);
  tcase_add_test (tc, test_fallbacks);
  tcase_add_test (tc, test_enum_type);
  return s;
}

GST_CHECK_MAIN (keepalive);

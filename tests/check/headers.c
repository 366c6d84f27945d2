/* resilientrtsp
 * tests/check/headers.c: unit tests for the RTSP header parsers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "headers.h"

static void
check_session (const gchar * value, const gchar * id, guint timeout)
{
  gchar *out_id = (gchar *) "unset";
  guint out_timeout = 12345;

  fail_unless (gst_resilient_parse_session_header (value, &out_id,
          &out_timeout), "'%s' refused", value);
  fail_unless_equals_string (out_id, id);
  fail_unless_equals_int (out_timeout, timeout);
  g_free (out_id);
}

static void
check_session_refused (const gchar * value)
{
  gchar *out_id = (gchar *) "unset";
  guint out_timeout = 12345;

  fail_if (gst_resilient_parse_session_header (value, &out_id, &out_timeout),
      "'%s' accepted", value);
  fail_unless (out_id == NULL);
}

GST_START_TEST (test_session_header)
{
  gchar *long_id;

  check_session ("12345678", "12345678", 60);
  check_session ("12345678;timeout=30", "12345678", 30);
  check_session ("  abcDEF-_.+$~9 ; timeout = 45 ", "abcDEF-_.+$~9", 45);
  check_session ("Q5fwc3xIn4bW0Vqm;TIMEOUT=120", "Q5fwc3xIn4bW0Vqm", 120);
  check_session ("abc;foo=bar;timeout=5;x", "abc", 5);
  check_session ("abc;foo;timeout=7", "abc", 7);
  /* invalid timeouts fall back to 60 */
  check_session ("abc;timeout=99999999999999", "abc", 60);
  check_session ("abc;timeout=184467440737095516160", "abc", 60);
  check_session ("abc;timeout=0", "abc", 60);
  check_session ("abc;timeout=-5", "abc", 60);
  check_session ("abc;timeout=", "abc", 60);
  check_session ("abc;timeout=12s", "abc", 60);
  check_session ("abc;timeout=2147483", "abc", 2147483);
  check_session ("abc;timeout=2147484", "abc", 60);

  long_id = g_strnfill (256, 'a');
  check_session (long_id, long_id, 60);
  g_free (long_id);
  long_id = g_strnfill (257, 'a');
  check_session_refused (long_id);
  g_free (long_id);

  check_session_refused (NULL);
  check_session_refused ("");
  check_session_refused ("   ");
  check_session_refused (";timeout=60");
  check_session_refused ("abc def");
  check_session_refused ("\"abc\"");
  check_session_refused ("abc\"");
  check_session_refused ("ab,c");
  check_session_refused ("ab/c");
  check_session_refused ("ab\x01" "c");
  check_session_refused ("caf\xc3\xa9");
}

GST_END_TEST;

GST_START_TEST (test_public_header)
{
  fail_unless_equals_int (gst_resilient_parse_public_header
      ("OPTIONS, DESCRIBE, GET_PARAMETER"),
      GST_RTSP_OPTIONS | GST_RTSP_DESCRIBE | GST_RTSP_GET_PARAMETER);
  fail_unless_equals_int (gst_resilient_parse_public_header
      ("OPTIONS,DESCRIBE,SETUP,TEARDOWN,PLAY,PAUSE,SET_PARAMETER,"
          "GET_PARAMETER,ANNOUNCE,RECORD,REDIRECT"),
      GST_RTSP_OPTIONS | GST_RTSP_DESCRIBE | GST_RTSP_SETUP |
      GST_RTSP_TEARDOWN | GST_RTSP_PLAY | GST_RTSP_PAUSE |
      GST_RTSP_SET_PARAMETER | GST_RTSP_GET_PARAMETER | GST_RTSP_ANNOUNCE |
      GST_RTSP_RECORD | GST_RTSP_REDIRECT);
  /* unknown tokens ignored, whitespace and empty items tolerated */
  fail_unless_equals_int (gst_resilient_parse_public_header
      (" PLAY_NOTIFY ,\tPLAY,, X-FOO , "), GST_RTSP_PLAY);
  fail_unless_equals_int (gst_resilient_parse_public_header (""),
      GST_RTSP_INVALID);
  fail_unless_equals_int (gst_resilient_parse_public_header (NULL),
      GST_RTSP_INVALID);
  fail_unless_equals_int (gst_resilient_parse_public_header ("GET_PARAMETERX"),
      GST_RTSP_INVALID);
}

GST_END_TEST;

GST_START_TEST (test_content_length)
{
  guint64 len = 7;

  fail_unless (gst_resilient_parse_content_length ("0", &len));
  fail_unless_equals_uint64 (len, 0);
  fail_unless (gst_resilient_parse_content_length (" 1234 ", &len));
  fail_unless_equals_uint64 (len, 1234);
  fail_unless (gst_resilient_parse_content_length ("\t42\t", &len));
  fail_unless_equals_uint64 (len, 42);
  fail_unless (gst_resilient_parse_content_length ("18446744073709551615",
          &len));
  fail_unless_equals_uint64 (len, G_MAXUINT64);
  fail_unless (gst_resilient_parse_content_length ("0000000000000000000000001",
          &len));
  fail_unless_equals_uint64 (len, 1);

  len = 7;
  fail_if (gst_resilient_parse_content_length ("18446744073709551616", &len));
  fail_if (gst_resilient_parse_content_length ("99999999999999999999999",
          &len));
  fail_if (gst_resilient_parse_content_length ("", &len));
  fail_if (gst_resilient_parse_content_length ("  ", &len));
  fail_if (gst_resilient_parse_content_length ("-1", &len));
  fail_if (gst_resilient_parse_content_length ("+1", &len));
  fail_if (gst_resilient_parse_content_length ("1 2", &len));
  fail_if (gst_resilient_parse_content_length ("12a", &len));
  fail_if (gst_resilient_parse_content_length ("0x10", &len));
  fail_if (gst_resilient_parse_content_length ("1.5", &len));
  fail_if (gst_resilient_parse_content_length (NULL, &len));
  fail_unless_equals_uint64 (len, 7);
}

GST_END_TEST;

GST_START_TEST (test_retry_after)
{
  guint s = 7;

  fail_unless (gst_resilient_parse_retry_after ("120", &s));
  fail_unless_equals_int (s, 120);
  fail_unless (gst_resilient_parse_retry_after (" 0 ", &s));
  fail_unless_equals_int (s, 0);
  fail_unless (gst_resilient_parse_retry_after ("30 (maintenance)", &s));
  fail_unless_equals_int (s, 30);
  fail_unless (gst_resilient_parse_retry_after ("4294967295", &s));
  fail_unless_equals_uint64 (s, G_MAXUINT);

  s = 7;
  fail_if (gst_resilient_parse_retry_after ("4294967296", &s));
  fail_if (gst_resilient_parse_retry_after ("Fri, 31 Dec 1999 23:59:59 GMT",
          &s));
  fail_if (gst_resilient_parse_retry_after ("", &s));
  fail_if (gst_resilient_parse_retry_after ("-5", &s));
  fail_if (gst_resilient_parse_retry_after ("5s", &s));
  fail_if (gst_resilient_parse_retry_after (NULL, &s));
  fail_unless_equals_int (s, 7);
}

GST_END_TEST;

#define INFO(a, i) (&g_array_index ((a), GstResilientRtpInfo, (i)))

GST_START_TEST (test_rtp_info)
{
  GArray *a;

  a = gst_resilient_parse_rtp_info
      ("url=rtsp://h/s/track1;seq=1;rtptime=2,url=rtsp://h/s/track2;"
      "seq=65535;rtptime=4294967295");
  fail_unless_equals_int (a->len, 2);
  fail_unless_equals_string (INFO (a, 0)->url, "rtsp://h/s/track1");
  fail_unless (INFO (a, 0)->has_seq);
  fail_unless_equals_int (INFO (a, 0)->seq, 1);
  fail_unless (INFO (a, 0)->has_rtptime);
  fail_unless_equals_int (INFO (a, 0)->rtptime, 2);
  fail_unless_equals_string (INFO (a, 1)->url, "rtsp://h/s/track2");
  fail_unless_equals_int (INFO (a, 1)->seq, 65535);
  fail_unless_equals_uint64 (INFO (a, 1)->rtptime, G_MAXUINT32);
  gst_resilient_rtp_info_array_free (a);

  /* gst-rtsp-server style with spaces; ',' and ';' inside URLs */
  a = gst_resilient_parse_rtp_info
      ("url=rtsp://127.0.0.1:8554/test/stream=0;seq=27340;rtptime=1813742263, "
      "url=rtsp://h/a;b,c/stream=1;seq=9");
  fail_unless_equals_int (a->len, 2);
  fail_unless_equals_string (INFO (a, 0)->url,
      "rtsp://127.0.0.1:8554/test/stream=0");
  fail_unless_equals_int (INFO (a, 0)->seq, 27340);
  fail_unless_equals_int (INFO (a, 0)->rtptime, 1813742263);
  fail_unless_equals_string (INFO (a, 1)->url, "rtsp://h/a;b,c/stream=1");
  fail_unless (INFO (a, 1)->has_seq);
  fail_unless (!INFO (a, 1)->has_rtptime);
  gst_resilient_rtp_info_array_free (a);

  /* only a url; parameters in another order and case */
  a = gst_resilient_parse_rtp_info ("url=trackID=1,URL=trackID=2;RTPTIME=5;"
      "SEQ=6");
  fail_unless_equals_int (a->len, 2);
  fail_unless_equals_string (INFO (a, 0)->url, "trackID=1");
  fail_unless (!INFO (a, 0)->has_seq);
  fail_unless (!INFO (a, 0)->has_rtptime);
  fail_unless_equals_string (INFO (a, 1)->url, "trackID=2");
  fail_unless_equals_int (INFO (a, 1)->seq, 6);
  fail_unless_equals_int (INFO (a, 1)->rtptime, 5);
  gst_resilient_rtp_info_array_free (a);

  /* RFC 7826 */
  a = gst_resilient_parse_rtp_info ("url=\"rtsp://example.com/foo/audio\" "
      "ssrc=0A13C760:seq=45102;rtptime=12345678, "
      "url=\"rtsp://example.com/foo/video\" ssrc=9A9DE123:seq=30211;"
      "rtptime=29567112");
  fail_unless_equals_int (a->len, 2);
  fail_unless_equals_string (INFO (a, 0)->url, "rtsp://example.com/foo/audio");
  fail_unless_equals_int (INFO (a, 0)->seq, 45102);
  fail_unless_equals_int (INFO (a, 0)->rtptime, 12345678);
  fail_unless_equals_string (INFO (a, 1)->url, "rtsp://example.com/foo/video");
  fail_unless_equals_int (INFO (a, 1)->seq, 30211);
  fail_unless_equals_int (INFO (a, 1)->rtptime, 29567112);
  gst_resilient_rtp_info_array_free (a);

  /* invalid numbers are dropped, not fatal */
  a = gst_resilient_parse_rtp_info ("url=rtsp://h/s;seq=65536;rtptime=-1");
  fail_unless_equals_int (a->len, 1);
  fail_unless_equals_string (INFO (a, 0)->url, "rtsp://h/s");
  fail_unless (!INFO (a, 0)->has_seq);
  fail_unless (!INFO (a, 0)->has_rtptime);
  gst_resilient_rtp_info_array_free (a);
  a = gst_resilient_parse_rtp_info ("url=rtsp://h/s;seq=99999999999999999999;"
      "rtptime=4294967296");
  fail_unless_equals_int (a->len, 1);
  fail_unless (!INFO (a, 0)->has_seq);
  fail_unless (!INFO (a, 0)->has_rtptime);
  gst_resilient_rtp_info_array_free (a);

  /* entries without a url are dropped */
  a = gst_resilient_parse_rtp_info ("seq=1;rtptime=2");
  fail_unless_equals_int (a->len, 0);
  g_array_unref (a);
  a = gst_resilient_parse_rtp_info ("");
  fail_unless_equals_int (a->len, 0);
  gst_resilient_rtp_info_array_free (a);
  a = gst_resilient_parse_rtp_info ("url=;seq=1, url=\"unterminated");
  fail_unless_equals_int (a->len, 0);
  gst_resilient_rtp_info_array_free (a);
  fail_unless (gst_resilient_parse_rtp_info (NULL) == NULL);
  gst_resilient_rtp_info_array_free (NULL);
}

GST_END_TEST;

static void
check_transport (GstRTSPProfile profile, GstRTSPLowerTrans lt, guint port,
    const gchar * expected)
{
  gchar *s = gst_resilient_format_transport (profile, lt, port);
  GstRTSPTransport *t;

  fail_unless_equals_string (s, expected);

  /* and GStreamer's own parser reads it back */
  gst_rtsp_transport_new (&t);
  fail_unless (gst_rtsp_transport_parse (s, t) == GST_RTSP_OK);
  fail_unless_equals_int (t->profile, profile);
  fail_unless_equals_int (t->lower_transport, lt);
  if (lt == GST_RTSP_LOWER_TRANS_UDP) {
    fail_unless_equals_int (t->client_port.min, port);
    fail_unless_equals_int (t->client_port.max, port + 1);
  } else if (lt == GST_RTSP_LOWER_TRANS_TCP) {
    fail_unless_equals_int (t->interleaved.min, port);
    fail_unless_equals_int (t->interleaved.max, port + 1);
  }
  gst_rtsp_transport_free (t);
  g_free (s);
}

GST_START_TEST (test_format_transport)
{
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_UDP, 5000,
      "RTP/AVP;unicast;client_port=5000-5001");
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_TCP, 0,
      "RTP/AVP/TCP;unicast;interleaved=0-1");
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_TCP, 4,
      "RTP/AVP/TCP;unicast;interleaved=4-5");
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_UDP_MCAST, 0,
      "RTP/AVP;multicast");
  check_transport (GST_RTSP_PROFILE_AVPF, GST_RTSP_LOWER_TRANS_UDP, 6000,
      "RTP/AVPF;unicast;client_port=6000-6001");
  check_transport (GST_RTSP_PROFILE_SAVP, GST_RTSP_LOWER_TRANS_TCP, 2,
      "RTP/SAVP/TCP;unicast;interleaved=2-3");
  check_transport (GST_RTSP_PROFILE_SAVPF, GST_RTSP_LOWER_TRANS_UDP_MCAST, 0,
      "RTP/SAVPF;multicast");
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_TCP, 254,
      "RTP/AVP/TCP;unicast;interleaved=254-255");
  check_transport (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_UDP, 65534,
      "RTP/AVP;unicast;client_port=65534-65535");
}

GST_END_TEST;

GST_START_TEST (test_format_transport_out_of_range)
{
  /* the test environment sets G_DEBUG=fatal-criticals */
  GLogLevelFlags old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);

  ASSERT_CRITICAL (fail_unless (gst_resilient_format_transport
          (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_TCP, 255) == NULL));
  ASSERT_CRITICAL (fail_unless (gst_resilient_format_transport
          (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_UDP, 65535) == NULL));
  ASSERT_CRITICAL (fail_unless (gst_resilient_format_transport
          (GST_RTSP_PROFILE_AVP, GST_RTSP_LOWER_TRANS_UDP, 0) == NULL));

  g_log_set_always_fatal (old_fatal);
}

GST_END_TEST;

static Suite *
headers_suite (void)
{
  Suite *s = suite_create ("headers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_session_header);
  tcase_add_test (tc, test_public_header);
  tcase_add_test (tc, test_content_length);
  tcase_add_test (tc, test_retry_after);
  tcase_add_test (tc, test_rtp_info);
  tcase_add_test (tc, test_format_transport);
  tcase_add_test (tc, test_format_transport_out_of_range);

  return s;
}

GST_CHECK_MAIN (headers);

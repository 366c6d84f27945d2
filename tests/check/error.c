/* resilientrtsp
 * tests/check/error.c: unit tests for the error taxonomy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include "error.h"

static const struct
{
  GstRTSPStatusCode status;
  GstResilientErrorCode code;
} status_table[] = {
  {GST_RTSP_STS_UNAUTHORIZED, GST_RESILIENT_ERROR_AUTH},
  {GST_RTSP_STS_PROXY_AUTH_REQUIRED, GST_RESILIENT_ERROR_AUTH},
  {GST_RTSP_STS_FORBIDDEN, GST_RESILIENT_ERROR_FORBIDDEN},
  {GST_RTSP_STS_NOT_FOUND, GST_RESILIENT_ERROR_NOT_FOUND},
  {GST_RTSP_STS_GONE, GST_RESILIENT_ERROR_NOT_FOUND},
  {GST_RTSP_STS_METHOD_NOT_ALLOWED, GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED},
  {GST_RTSP_STS_NOT_IMPLEMENTED, GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED},
  {GST_RTSP_STS_METHOD_NOT_VALID_IN_THIS_STATE,
      GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED},
  {GST_RTSP_STS_UNSUPPORTED_TRANSPORT,
      GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT},
  {GST_RTSP_STS_SERVICE_UNAVAILABLE, GST_RESILIENT_ERROR_SERVER_BUSY},
  {GST_RTSP_STS_SESSION_NOT_FOUND, GST_RESILIENT_ERROR_SESSION_GONE},
  {GST_RTSP_STS_REQUEST_TIMEOUT, GST_RESILIENT_ERROR_TIMEOUT},
  {GST_RTSP_STS_GATEWAY_TIMEOUT, GST_RESILIENT_ERROR_TIMEOUT},
  /* the fallbacks by class */
  {GST_RTSP_STS_MOVED_PERMANENTLY, GST_RESILIENT_ERROR_REDIRECT},
  {GST_RTSP_STS_MOVE_TEMPORARILY, GST_RESILIENT_ERROR_REDIRECT},
  {GST_RTSP_STS_MULTIPLE_CHOICES, GST_RESILIENT_ERROR_REDIRECT},
  {399, GST_RESILIENT_ERROR_REDIRECT},
  {GST_RTSP_STS_BAD_REQUEST, GST_RESILIENT_ERROR_CLIENT_ERROR},
  {GST_RTSP_STS_PARAMETER_NOT_UNDERSTOOD, GST_RESILIENT_ERROR_CLIENT_ERROR},
  {GST_RTSP_STS_OPTION_NOT_SUPPORTED, GST_RESILIENT_ERROR_SERVER_ERROR},
  {499, GST_RESILIENT_ERROR_CLIENT_ERROR},
  {GST_RTSP_STS_INTERNAL_SERVER_ERROR, GST_RESILIENT_ERROR_SERVER_ERROR},
  {GST_RTSP_STS_BAD_GATEWAY, GST_RESILIENT_ERROR_SERVER_ERROR},
  {GST_RTSP_STS_RTSP_VERSION_NOT_SUPPORTED, GST_RESILIENT_ERROR_SERVER_ERROR},
  {599, GST_RESILIENT_ERROR_SERVER_ERROR},
  {699, GST_RESILIENT_ERROR_SERVER_ERROR},
};

GST_START_TEST (test_code_from_status)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (status_table); i++) {
    GstResilientErrorCode code =
        gst_resilient_error_code_from_status (status_table[i].status);

    fail_unless (code == status_table[i].code,
        "status %d gave %s, expected %s", status_table[i].status,
        gst_resilient_error_code_nick (code),
        gst_resilient_error_code_nick (status_table[i].code));
  }
}

GST_END_TEST;

GST_START_TEST (test_new_from_status)
{
  GError *err;

  err = gst_resilient_error_new_from_status (GST_RTSP_STS_NOT_FOUND,
      "Not Found", GST_RTSP_DESCRIBE, "rtsp://h/s");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_NOT_FOUND));
  fail_unless_equals_string (err->message,
      "DESCRIBE rtsp://h/s failed: 404 Not Found");
  g_error_free (err);

  /* no reason phrase: GStreamer's text for the status */
  err = gst_resilient_error_new_from_status (GST_RTSP_STS_SERVICE_UNAVAILABLE,
      NULL, GST_RTSP_SETUP, "rtsp://h/s/stream=0");
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_SERVER_BUSY));
  fail_unless_equals_string (err->message,
      "SETUP rtsp://h/s/stream=0 failed: 503 Service Unavailable");
  g_error_free (err);

  /* unknown status, no reason, no URI */
  err = gst_resilient_error_new_from_status (599, "", GST_RTSP_PLAY, NULL);
  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_SERVER_ERROR));
  fail_unless (strstr (err->message, "PLAY (none) failed: 599") != NULL,
      "%s", err->message);
  g_error_free (err);
}

GST_END_TEST;

static void
check_gio (GQuark domain, gint gio_code, GstResilientErrorCode expected,
    const gchar * cause)
{
  GError *gio = g_error_new (domain, gio_code, "original message");
  GError *err = gst_resilient_error_new_from_gio (gio, "connecting to cam:554");

  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR, expected),
      "%s %d gave %s", g_quark_to_string (domain), gio_code,
      gst_resilient_error_code_nick (err->code));
  fail_unless (g_str_has_prefix (err->message, "connecting to cam:554: "),
      "%s", err->message);
  fail_unless (strstr (err->message, cause) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "original message") != NULL, "%s",
      err->message);
  g_error_free (err);
  g_error_free (gio);
}

GST_START_TEST (test_new_from_gio)
{
  check_gio (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
      GST_RESILIENT_ERROR_REFUSED, "connection refused");
  check_gio (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
      GST_RESILIENT_ERROR_DNS, "did not resolve");
  check_gio (G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE,
      GST_RESILIENT_ERROR_DNS, "did not resolve");
  check_gio (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, GST_RESILIENT_ERROR_TIMEOUT,
      "timed out");
  check_gio (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
      GST_RESILIENT_ERROR_UNREACHABLE, "unreachable");
  check_gio (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
      GST_RESILIENT_ERROR_UNREACHABLE, "unreachable");
  check_gio (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
      GST_RESILIENT_ERROR_CONNECTION_LOST, "connection lost");
  check_gio (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
      GST_RESILIENT_ERROR_CONNECTION_LOST, "connection lost");
  check_gio (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
      GST_RESILIENT_ERROR_CONNECTION_LOST, "connection lost");
  check_gio (G_IO_ERROR, G_IO_ERROR_PROXY_FAILED,
      GST_RESILIENT_ERROR_UNREACHABLE, "proxy");
  check_gio (G_IO_ERROR, G_IO_ERROR_PROXY_AUTH_FAILED,
      GST_RESILIENT_ERROR_AUTH, "proxy authentication");
  check_gio (G_IO_ERROR, G_IO_ERROR_FAILED,
      GST_RESILIENT_ERROR_CONNECTION_LOST, "I/O error");
  check_gio (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
      GST_RESILIENT_ERROR_TLS, "TLS");
  check_gio (g_quark_from_static_string ("some-other-domain"), 3,
      GST_RESILIENT_ERROR_INTERNAL, "failed");
}

GST_END_TEST;

GST_START_TEST (test_new_from_gio_passthrough)
{
  GError *ours = g_error_new (GST_RESILIENT_ERROR,
      GST_RESILIENT_ERROR_PROTOCOL, "garbage byte");
  GError *err = gst_resilient_error_new_from_gio (ours, "reading");

  fail_unless (g_error_matches (err, GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_PROTOCOL));
  fail_unless_equals_string (err->message, "reading: garbage byte");
  g_error_free (err);
  g_error_free (ours);
}

GST_END_TEST;

GST_START_TEST (test_nicks)
{
  GEnumClass *klass;
  GHashTable *seen;
  guint i;

  /* every code has a distinct nick, and the GEnum agrees */
  klass = g_type_class_ref (GST_TYPE_RESILIENT_ERROR_CODE);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = GST_RESILIENT_ERROR_DNS; i <= GST_RESILIENT_ERROR_INTERNAL; i++) {
    const gchar *nick = gst_resilient_error_code_nick (i);
    GEnumValue *v = g_enum_get_value (klass, i);

    fail_unless (nick != NULL);
    fail_if (strcmp (nick, "unknown") == 0, "code %u has no nick", i);
    fail_if (g_hash_table_contains (seen, nick), "nick %s twice", nick);
    g_hash_table_add (seen, (gpointer) nick);
    fail_unless (v != NULL);
    fail_unless_equals_string (v->value_nick, nick);
    fail_unless (g_enum_get_value_by_nick (klass, nick) == v);
  }
  fail_unless_equals_int (klass->n_values,
      GST_RESILIENT_ERROR_INTERNAL - GST_RESILIENT_ERROR_DNS + 1);
  g_hash_table_unref (seen);
  g_type_class_unref (klass);

  fail_unless_equals_string (gst_resilient_error_code_nick
      (GST_RESILIENT_ERROR_REFUSED), "refused");
  fail_unless_equals_string (gst_resilient_error_code_nick
      (GST_RESILIENT_ERROR_NOT_FOUND), "not-found");
  fail_unless_equals_string (gst_resilient_error_code_nick
      (GST_RESILIENT_ERROR_SESSION_GONE), "session-gone");
  fail_unless_equals_string (gst_resilient_error_code_nick
      (GST_RESILIENT_ERROR_SERVER_BUSY), "server-busy");
  fail_unless_equals_string (gst_resilient_error_code_nick
      ((GstResilientErrorCode) 1000), "unknown");
  fail_unless_equals_string (gst_resilient_error_code_nick
      ((GstResilientErrorCode) - 1), "unknown");

  fail_unless (g_quark_to_string (GST_RESILIENT_ERROR) != NULL);
  fail_unless (GST_RESILIENT_ERROR == gst_resilient_error_quark ());
}

GST_END_TEST;

GST_START_TEST (test_actions)
{
  static const struct
  {
    GstResilientErrorCode code;
    GstResilientErrorAction action;
  } table[] = {
    {GST_RESILIENT_ERROR_DNS, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_REFUSED, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_TIMEOUT, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_SERVER_BUSY, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_SESSION_GONE, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_CONNECTION_LOST, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_PROTOCOL, GST_RESILIENT_ERROR_ACTION_RETRY},
    {GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT,
        GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT},
    {GST_RESILIENT_ERROR_STALLED,
        GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT},
    {GST_RESILIENT_ERROR_AUTH, GST_RESILIENT_ERROR_ACTION_FAIL},
    {GST_RESILIENT_ERROR_FORBIDDEN, GST_RESILIENT_ERROR_ACTION_FAIL},
    {GST_RESILIENT_ERROR_NOT_FOUND, GST_RESILIENT_ERROR_ACTION_FAIL},
    {GST_RESILIENT_ERROR_BAD_URL, GST_RESILIENT_ERROR_ACTION_FAIL},
    {GST_RESILIENT_ERROR_TLS, GST_RESILIENT_ERROR_ACTION_FAIL},
    {GST_RESILIENT_ERROR_NO_STREAMS, GST_RESILIENT_ERROR_ACTION_FAIL},
  };
  guint i;
  GError *err;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    err = g_error_new (GST_RESILIENT_ERROR, table[i].code, "x");
    fail_unless (gst_resilient_error_get_action (err) == table[i].action,
        "%s", gst_resilient_error_code_nick (table[i].code));
    g_error_free (err);
  }

  /* foreign errors are retried */
  err = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  fail_unless (gst_resilient_error_get_action (err) ==
      GST_RESILIENT_ERROR_ACTION_RETRY);
  g_error_free (err);
}

GST_END_TEST;

GST_START_TEST (test_classes)
{
  GFlagsClass *klass = g_type_class_ref (GST_TYPE_RESILIENT_ERROR_CLASSES);
  GstResilientErrorClasses def = gst_resilient_error_classes_fail_default ();
  GFlagsValue *v;
  GError *err;
  gint code;

  /* one flag per class, named as the class */
  for (code = GST_RESILIENT_ERROR_DNS; code <= GST_RESILIENT_ERROR_INTERNAL;
      code++) {
    v = g_flags_get_value_by_nick (klass,
        gst_resilient_error_code_nick (code));
    fail_unless (v != NULL, "%d", code);
    fail_unless_equals_int (v->value, GST_RESILIENT_ERROR_CLASS (code));

    /* the default fail-fast set is exactly the FAIL action */
    err = g_error_new (GST_RESILIENT_ERROR, code, "x");
    fail_unless_equals_int (gst_resilient_error_in_classes (err, def),
        gst_resilient_error_get_action (err) ==
        GST_RESILIENT_ERROR_ACTION_FAIL);
    fail_unless (gst_resilient_error_in_classes (err,
            GST_RESILIENT_ERROR_CLASS (code)));
    fail_if (gst_resilient_error_in_classes (err,
            ~GST_RESILIENT_ERROR_CLASS (code)));
    g_error_free (err);
  }
  fail_unless (def & GST_RESILIENT_ERROR_CLASS (GST_RESILIENT_ERROR_AUTH));
  fail_unless (def & GST_RESILIENT_ERROR_CLASS (GST_RESILIENT_ERROR_NOT_FOUND));
  fail_if (def & GST_RESILIENT_ERROR_CLASS (GST_RESILIENT_ERROR_REFUSED));

  /* foreign errors and out-of-range codes are in no set */
  err = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  fail_if (gst_resilient_error_in_classes (err, G_MAXUINT));
  g_error_free (err);
  err = g_error_new (GST_RESILIENT_ERROR, 99, "x");
  fail_if (gst_resilient_error_in_classes (err, G_MAXUINT));
  g_error_free (err);

  g_type_class_unref (klass);
}

GST_END_TEST;

GST_START_TEST (test_to_gst)
{
  GQuark domain;
  gint code;
  GError *err;

  err = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_NOT_FOUND, "x");
  gst_resilient_error_to_gst (err, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_NOT_FOUND);
  g_error_free (err);

  err = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_AUTH, "x");
  gst_resilient_error_to_gst (err, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_error_free (err);

  err = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SDP, "x");
  gst_resilient_error_to_gst (err, &domain, &code);
  fail_unless (domain == GST_STREAM_ERROR);
  fail_unless_equals_int (code, GST_STREAM_ERROR_DECODE);
  g_error_free (err);

  err = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_REFUSED, "x");
  gst_resilient_error_to_gst (err, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_OPEN_READ);
  g_error_free (err);

  err = g_error_new (GST_RESILIENT_ERROR, GST_RESILIENT_ERROR_SERVER_BUSY, "x");
  gst_resilient_error_to_gst (err, &domain, &code);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_BUSY);
  g_error_free (err);

  gst_resilient_error_to_gst (NULL, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_FAILED);
}

GST_END_TEST;

static Suite *
error_suite (void)
{
  Suite *s = suite_create ("error");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_code_from_status);
  tcase_add_test (tc, test_new_from_status);
  tcase_add_test (tc, test_new_from_gio);
  tcase_add_test (tc, test_new_from_gio_passthrough);
  tcase_add_test (tc, test_nicks);
  tcase_add_test (tc, test_actions);
  tcase_add_test (tc, test_classes);
  tcase_add_test (tc, test_to_gst);

  return s;
}

GST_CHECK_MAIN (error);

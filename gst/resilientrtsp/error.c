/* resilientrtsp
 * error.c: the error taxonomy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "error.h"

#include <gio/gio.h>

G_DEFINE_QUARK (gst - resilient - rtsp - error - quark, gst_resilient_error);

static const GEnumValue error_codes[] = {
  {GST_RESILIENT_ERROR_DNS, "Host name did not resolve", "dns"},
  {GST_RESILIENT_ERROR_REFUSED, "Connection refused", "refused"},
  {GST_RESILIENT_ERROR_UNREACHABLE, "Host or network unreachable",
      "unreachable"},
  {GST_RESILIENT_ERROR_TIMEOUT, "Timed out", "timeout"},
  {GST_RESILIENT_ERROR_TLS, "TLS failure", "tls"},
  {GST_RESILIENT_ERROR_AUTH, "Authentication failed", "auth"},
  {GST_RESILIENT_ERROR_FORBIDDEN, "Forbidden", "forbidden"},
  {GST_RESILIENT_ERROR_NOT_FOUND, "Not found", "not-found"},
  {GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED, "Method not allowed",
      "method-not-allowed"},
  {GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT, "Unsupported transport",
      "unsupported-transport"},
  {GST_RESILIENT_ERROR_SERVER_BUSY, "Server busy", "server-busy"},
  {GST_RESILIENT_ERROR_SERVER_ERROR, "Server error", "server-error"},
  {GST_RESILIENT_ERROR_CLIENT_ERROR, "Request rejected", "client-error"},
  {GST_RESILIENT_ERROR_SESSION_GONE, "Session not found", "session-gone"},
  {GST_RESILIENT_ERROR_PROTOCOL, "Malformed RTSP", "protocol"},
  {GST_RESILIENT_ERROR_SDP, "Malformed or unusable SDP", "sdp"},
  {GST_RESILIENT_ERROR_NO_STREAMS, "No streams selected", "no-streams"},
  {GST_RESILIENT_ERROR_CONNECTION_LOST, "Connection lost", "connection-lost"},
  {GST_RESILIENT_ERROR_STALLED, "Stream stalled", "stalled"},
  {GST_RESILIENT_ERROR_REDIRECT, "Bad redirect", "redirect"},
  {GST_RESILIENT_ERROR_BAD_URL, "Bad URL", "bad-url"},
  {GST_RESILIENT_ERROR_INTERNAL, "Internal error", "internal"},
  {0, NULL, NULL}
};

GType
gst_resilient_error_code_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientErrorCode", error_codes);
    g_once_init_leave (&type, t);
  }
  return type;
}

const gchar *
gst_resilient_error_code_nick (GstResilientErrorCode code)
{
  guint i;

  for (i = 0; error_codes[i].value_nick; i++) {
    if (error_codes[i].value == (gint) code)
      return error_codes[i].value_nick;
  }
  return "unknown";
}

GstResilientErrorAction
gst_resilient_error_get_action (const GError * error)
{
  g_return_val_if_fail (error != NULL, GST_RESILIENT_ERROR_ACTION_FAIL);

  if (error->domain != GST_RESILIENT_ERROR)
    return GST_RESILIENT_ERROR_ACTION_RETRY;

  switch ((GstResilientErrorCode) error->code) {
    case GST_RESILIENT_ERROR_AUTH:
    case GST_RESILIENT_ERROR_FORBIDDEN:
    case GST_RESILIENT_ERROR_NOT_FOUND:
    case GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED:
    case GST_RESILIENT_ERROR_CLIENT_ERROR:
    case GST_RESILIENT_ERROR_NO_STREAMS:
    case GST_RESILIENT_ERROR_BAD_URL:
    case GST_RESILIENT_ERROR_REDIRECT:
    case GST_RESILIENT_ERROR_TLS:
      return GST_RESILIENT_ERROR_ACTION_FAIL;
    case GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT:
    case GST_RESILIENT_ERROR_STALLED:
      return GST_RESILIENT_ERROR_ACTION_RETRY_OTHER_TRANSPORT;
    default:
      return GST_RESILIENT_ERROR_ACTION_RETRY;
  }
}

GType
gst_resilient_error_classes_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    /* one flag per class, named as the class; never freed (GType data) */
    GFlagsValue *values = g_new0 (GFlagsValue, G_N_ELEMENTS (error_codes));
    GType t;
    guint i;

    for (i = 0; error_codes[i].value_nick; i++) {
      values[i].value = GST_RESILIENT_ERROR_CLASS (error_codes[i].value);
      values[i].value_name = error_codes[i].value_name;
      values[i].value_nick = error_codes[i].value_nick;
    }
    t = g_flags_register_static ("GstResilientErrorClasses", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GstResilientErrorClasses
gst_resilient_error_classes_fail_default (void)
{
  GstResilientErrorClasses classes = 0;
  guint i;

  for (i = 0; error_codes[i].value_nick; i++) {
    GError e = { GST_RESILIENT_ERROR, error_codes[i].value, NULL };

    if (gst_resilient_error_get_action (&e) == GST_RESILIENT_ERROR_ACTION_FAIL)
      classes |= GST_RESILIENT_ERROR_CLASS (error_codes[i].value);
  }
  return classes;
}

gboolean
gst_resilient_error_in_classes (const GError * error,
    GstResilientErrorClasses classes)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain != GST_RESILIENT_ERROR || error->code < 0 ||
      error->code > GST_RESILIENT_ERROR_INTERNAL)
    return FALSE;
  return (classes & GST_RESILIENT_ERROR_CLASS (error->code)) != 0;
}

GstResilientErrorCode
gst_resilient_error_code_from_status (GstRTSPStatusCode status)
{
  switch (status) {
    case GST_RTSP_STS_UNAUTHORIZED:
    case GST_RTSP_STS_PROXY_AUTH_REQUIRED:
      return GST_RESILIENT_ERROR_AUTH;
    case GST_RTSP_STS_FORBIDDEN:
      return GST_RESILIENT_ERROR_FORBIDDEN;
    case GST_RTSP_STS_NOT_FOUND:
    case GST_RTSP_STS_GONE:
      return GST_RESILIENT_ERROR_NOT_FOUND;
    case GST_RTSP_STS_METHOD_NOT_ALLOWED:
    case GST_RTSP_STS_NOT_IMPLEMENTED:
    case GST_RTSP_STS_METHOD_NOT_VALID_IN_THIS_STATE:
      return GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED;
    case GST_RTSP_STS_UNSUPPORTED_TRANSPORT:
      return GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT;
    case GST_RTSP_STS_SERVICE_UNAVAILABLE:
      return GST_RESILIENT_ERROR_SERVER_BUSY;
    case GST_RTSP_STS_SESSION_NOT_FOUND:
      return GST_RESILIENT_ERROR_SESSION_GONE;
    case GST_RTSP_STS_REQUEST_TIMEOUT:
    case GST_RTSP_STS_GATEWAY_TIMEOUT:
      return GST_RESILIENT_ERROR_TIMEOUT;
    default:
      if (status >= 300 && status < 400)
        return GST_RESILIENT_ERROR_REDIRECT;
      if (status >= 500)
        return GST_RESILIENT_ERROR_SERVER_ERROR;
      return GST_RESILIENT_ERROR_CLIENT_ERROR;
  }
}

GError *
gst_resilient_error_new_from_status (GstRTSPStatusCode status,
    const gchar * reason, GstRTSPMethod method, const gchar * uri)
{
  GstResilientErrorCode code = gst_resilient_error_code_from_status (status);

  if (reason == NULL || *reason == '\0')
    reason = gst_rtsp_status_as_text (status);
  if (reason == NULL)
    reason = "";

  return g_error_new (GST_RESILIENT_ERROR, code, "%s %s failed: %d %s",
      gst_rtsp_method_as_text (method), uri ? uri : "(none)", (gint) status,
      reason);
}

GError *
gst_resilient_error_new_from_gio (const GError * gio_error, const gchar * what)
{
  GstResilientErrorCode code = GST_RESILIENT_ERROR_INTERNAL;
  const gchar *cause = "failed";

  g_return_val_if_fail (gio_error != NULL, NULL);

  if (gio_error->domain == GST_RESILIENT_ERROR) {
    return g_error_new (GST_RESILIENT_ERROR, gio_error->code, "%s: %s", what,
        gio_error->message);
  } else if (gio_error->domain == G_RESOLVER_ERROR) {
    code = GST_RESILIENT_ERROR_DNS;
    cause = "host name did not resolve";
  } else if (gio_error->domain == G_TLS_ERROR) {
    code = GST_RESILIENT_ERROR_TLS;
    cause = "TLS failure";
  } else if (gio_error->domain == G_IO_ERROR) {
    switch (gio_error->code) {
      case G_IO_ERROR_CONNECTION_REFUSED:
        code = GST_RESILIENT_ERROR_REFUSED;
        cause = "connection refused";
        break;
      case G_IO_ERROR_HOST_UNREACHABLE:
      case G_IO_ERROR_NETWORK_UNREACHABLE:
        code = GST_RESILIENT_ERROR_UNREACHABLE;
        cause = "unreachable";
        break;
      case G_IO_ERROR_TIMED_OUT:
        code = GST_RESILIENT_ERROR_TIMEOUT;
        cause = "timed out";
        break;
      case G_IO_ERROR_CONNECTION_CLOSED:       /* == G_IO_ERROR_BROKEN_PIPE */
      case G_IO_ERROR_NOT_CONNECTED:
        code = GST_RESILIENT_ERROR_CONNECTION_LOST;
        cause = "connection lost";
        break;
      case G_IO_ERROR_NOT_FOUND:
        code = GST_RESILIENT_ERROR_DNS;
        cause = "host name did not resolve";
        break;
      case G_IO_ERROR_PROXY_FAILED:
      case G_IO_ERROR_PROXY_NOT_ALLOWED:
        code = GST_RESILIENT_ERROR_UNREACHABLE;
        cause = "proxy failure";
        break;
      case G_IO_ERROR_PROXY_AUTH_FAILED:
      case G_IO_ERROR_PROXY_NEED_AUTH:
        code = GST_RESILIENT_ERROR_AUTH;
        cause = "proxy authentication failed";
        break;
      default:
        code = GST_RESILIENT_ERROR_CONNECTION_LOST;
        cause = "I/O error";
        break;
    }
  }

  return g_error_new (GST_RESILIENT_ERROR, code, "%s: %s (%s)", what, cause,
      gio_error->message);
}

void
gst_resilient_error_to_gst (const GError * error, GQuark * domain, gint * code)
{
  *domain = GST_RESOURCE_ERROR;
  *code = GST_RESOURCE_ERROR_FAILED;

  if (error == NULL || error->domain != GST_RESILIENT_ERROR)
    return;

  switch ((GstResilientErrorCode) error->code) {
    case GST_RESILIENT_ERROR_DNS:
    case GST_RESILIENT_ERROR_REFUSED:
    case GST_RESILIENT_ERROR_UNREACHABLE:
    case GST_RESILIENT_ERROR_TIMEOUT:
    case GST_RESILIENT_ERROR_TLS:
    case GST_RESILIENT_ERROR_CONNECTION_LOST:
      *code = GST_RESOURCE_ERROR_OPEN_READ;
      break;
    case GST_RESILIENT_ERROR_AUTH:
    case GST_RESILIENT_ERROR_FORBIDDEN:
      *code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case GST_RESILIENT_ERROR_NOT_FOUND:
    case GST_RESILIENT_ERROR_BAD_URL:
      *code = GST_RESOURCE_ERROR_NOT_FOUND;
      break;
    case GST_RESILIENT_ERROR_SERVER_BUSY:
      *code = GST_RESOURCE_ERROR_BUSY;
      break;
    case GST_RESILIENT_ERROR_METHOD_NOT_ALLOWED:
    case GST_RESILIENT_ERROR_UNSUPPORTED_TRANSPORT:
    case GST_RESILIENT_ERROR_SERVER_ERROR:
    case GST_RESILIENT_ERROR_CLIENT_ERROR:
    case GST_RESILIENT_ERROR_SESSION_GONE:
    case GST_RESILIENT_ERROR_REDIRECT:
      *code = GST_RESOURCE_ERROR_READ;
      break;
    case GST_RESILIENT_ERROR_PROTOCOL:
    case GST_RESILIENT_ERROR_SDP:
      *domain = GST_STREAM_ERROR;
      *code = GST_STREAM_ERROR_DECODE;
      break;
    case GST_RESILIENT_ERROR_NO_STREAMS:
      *domain = GST_STREAM_ERROR;
      *code = GST_STREAM_ERROR_FORMAT;
      break;
    case GST_RESILIENT_ERROR_STALLED:
      *code = GST_RESOURCE_ERROR_READ;
      break;
    case GST_RESILIENT_ERROR_INTERNAL:
      *code = GST_RESOURCE_ERROR_FAILED;
      break;
  }
}

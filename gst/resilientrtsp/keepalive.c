/* resilientrtsp
 * keepalive.c: keeping an RTSP session alive. The first half is the pure
 * policy (keepalive.h); the second half is the session's glue: the timer,
 * the KEEPALIVE command and its answer, which reports a lost session
 * through the same path as every other loss (gst_resilient_session_fail).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "keepalive.h"

#include <string.h>

#include "error.h"
#include "session-private.h"

#define DEFAULT_TIMEOUT_S 60

GType
gst_resilient_keepalive_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RESILIENT_KEEPALIVE_AUTO,
        "GET_PARAMETER if the server lists it, else OPTIONS", "auto"},
    {GST_RESILIENT_KEEPALIVE_OPTIONS, "OPTIONS", "options"},
    {GST_RESILIENT_KEEPALIVE_GET_PARAMETER, "GET_PARAMETER", "get-parameter"},
    {GST_RESILIENT_KEEPALIVE_SET_PARAMETER, "SET_PARAMETER", "set-parameter"},
    {GST_RESILIENT_KEEPALIVE_RTCP, "RTCP receiver reports only", "rtcp"},
    {GST_RESILIENT_KEEPALIVE_NONE, "No keep-alive", "none"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientKeepaliveMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

void
gst_resilient_keepalive_init (GstResilientKeepalive * ka,
    GstResilientKeepaliveMethod method)
{
  g_return_if_fail (ka != NULL);

  memset (ka, 0, sizeof (*ka));
  ka->configured = method;
  ka->timeout_s = DEFAULT_TIMEOUT_S;
  ka->sent_us = -1;
  ka->rtt_us = -1;
}

void
gst_resilient_keepalive_start (GstResilientKeepalive * ka,
    GstRTSPMethod server_methods, guint timeout_s, gboolean rtcp_sent)
{
  GstResilientKeepaliveMethod method;

  g_return_if_fail (ka != NULL);

  ka->timeout_s = timeout_s ? timeout_s : DEFAULT_TIMEOUT_S;
  ka->sent_us = -1;

  method = ka->configured;
  if (method == GST_RESILIENT_KEEPALIVE_RTCP && !rtcp_sent)
    method = GST_RESILIENT_KEEPALIVE_AUTO;

  switch (method) {
    case GST_RESILIENT_KEEPALIVE_AUTO:
      ka->request = (server_methods & GST_RTSP_GET_PARAMETER) ?
          GST_RTSP_GET_PARAMETER : GST_RTSP_OPTIONS;
      break;
    case GST_RESILIENT_KEEPALIVE_OPTIONS:
      ka->request = GST_RTSP_OPTIONS;
      break;
    case GST_RESILIENT_KEEPALIVE_GET_PARAMETER:
      ka->request = GST_RTSP_GET_PARAMETER;
      break;
    case GST_RESILIENT_KEEPALIVE_SET_PARAMETER:
      ka->request = GST_RTSP_SET_PARAMETER;
      break;
    case GST_RESILIENT_KEEPALIVE_RTCP:
    case GST_RESILIENT_KEEPALIVE_NONE:
      ka->request = 0;
      break;
  }
}

GstRTSPMethod
gst_resilient_keepalive_get_request (GstResilientKeepalive * ka)
{
  g_return_val_if_fail (ka != NULL, 0);
  return ka->request;
}

static guint
margin_ms (GstResilientKeepalive * ka)
{
  guint timeout_ms = MIN (ka->timeout_s, G_MAXUINT / 1000) * 1000;

  return MAX (timeout_ms / 5, MIN (5000, timeout_ms / 2));
}

guint
gst_resilient_keepalive_interval_ms (GstResilientKeepalive * ka)
{
  guint timeout_ms;

  g_return_val_if_fail (ka != NULL, 0);

  if (ka->request == 0)
    return 0;
  timeout_ms = MIN (ka->timeout_s, G_MAXUINT / 1000) * 1000;
  return timeout_ms - margin_ms (ka);
}

guint
gst_resilient_keepalive_answer_timeout_ms (GstResilientKeepalive * ka)
{
  g_return_val_if_fail (ka != NULL, 0);
  return MAX (margin_ms (ka), 1000);
}

void
gst_resilient_keepalive_sent (GstResilientKeepalive * ka, gint64 now_us)
{
  g_return_if_fail (ka != NULL);
  ka->sent_us = now_us;
  ka->sent++;
}

GstResilientKeepaliveVerdict
gst_resilient_keepalive_answered (GstResilientKeepalive * ka,
    GstRTSPStatusCode code, gint64 now_us)
{
  g_return_val_if_fail (ka != NULL, GST_RESILIENT_KEEPALIVE_IGNORED);

  if (ka->sent_us >= 0 && now_us >= ka->sent_us)
    ka->rtt_us = now_us - ka->sent_us;
  ka->sent_us = -1;
  ka->answered++;

  if (code >= 200 && code < 300)
    return GST_RESILIENT_KEEPALIVE_ALIVE;
  if (code == GST_RTSP_STS_SESSION_NOT_FOUND)
    return GST_RESILIENT_KEEPALIVE_LOST;
  if (code == GST_RTSP_STS_METHOD_NOT_ALLOWED ||
      code == GST_RTSP_STS_PARAMETER_NOT_UNDERSTOOD ||
      code == GST_RTSP_STS_NOT_IMPLEMENTED) {
    switch (ka->request) {
      case GST_RTSP_SET_PARAMETER:
        ka->request = GST_RTSP_GET_PARAMETER;
        return GST_RESILIENT_KEEPALIVE_FALLBACK;
      case GST_RTSP_GET_PARAMETER:
        ka->request = GST_RTSP_OPTIONS;
        return GST_RESILIENT_KEEPALIVE_FALLBACK;
      default:
        /* even OPTIONS refused: nothing left to send */
        ka->request = 0;
        return GST_RESILIENT_KEEPALIVE_IGNORED;
    }
  }
  return GST_RESILIENT_KEEPALIVE_IGNORED;
}

/* ---------------------------------------------------------------------- */
/* the session's glue (I/O thread) */

GST_DEBUG_CATEGORY_EXTERN (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

static gboolean
keepalive_tick (gpointer data)
{
  GstResilientSession *session = data;

  gst_resilient_session_enqueue (session, CMD_KEEPALIVE);
  return G_SOURCE_CONTINUE;
}

/* PLAY was answered: (re)start the timer for this session. */
void
gst_resilient_session_keepalive_start (GstResilientSession * session)
{
  GstResilientKeepalive *ka = &session->keepalive;
  guint interval_ms;

  gst_resilient_keepalive_start (ka, session->server_methods,
      session->session_timeout, session->settings.do_rtcp);
  interval_ms = gst_resilient_keepalive_interval_ms (ka);

  gst_resilient_session_destroy_source (&session->keepalive_source);
  if (interval_ms == 0) {
    GST_INFO_OBJECT (session, "no RTSP keep-alive (session timeout %u s)",
        ka->timeout_s);
    return;
  }
  GST_INFO_OBJECT (session, "keep-alive with %s every %u ms (session timeout "
      "%u s)", gst_rtsp_method_as_text (ka->request), interval_ms,
      ka->timeout_s);
  session->keepalive_source = gst_resilient_io_context_add_timeout (session->io,
      interval_ms, keepalive_tick, session, NULL);
}

static void send_keepalive_request (GstResilientSession * session);

static void
on_keepalive_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;
  GstResilientKeepaliveVerdict verdict;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (code == GST_RTSP_STS_UNAUTHORIZED) {
    /* credentials (a new Digest nonce) and resent, or an auth error */
    gst_resilient_session_handle_failure (session, req, response, code,
        reason);
    return;
  }

  g_mutex_lock (&session->lock);
  verdict = gst_resilient_keepalive_answered (&session->keepalive, code,
      g_get_monotonic_time ());
  g_mutex_unlock (&session->lock);

  switch (verdict) {
    case GST_RESILIENT_KEEPALIVE_ALIVE:
      break;
    case GST_RESILIENT_KEEPALIVE_LOST:
      gst_resilient_session_fail (session,
          gst_resilient_error_new_from_status (code, reason, req->method,
              req->uri));
      return;
    case GST_RESILIENT_KEEPALIVE_FALLBACK:
      GST_INFO_OBJECT (session, "keep-alive %s answered %d, using %s",
          gst_rtsp_method_as_text (req->method), code,
          gst_rtsp_method_as_text (session->keepalive.request));
      send_keepalive_request (session);
      return;
    case GST_RESILIENT_KEEPALIVE_IGNORED:
      GST_WARNING_OBJECT (session, "keep-alive %s answered %d %s%s",
          gst_rtsp_method_as_text (req->method), code, GST_STR_NULL (reason),
          session->keepalive.request ? "" : "; no RTSP keep-alive left");
      if (session->keepalive.request == 0)
        gst_resilient_session_destroy_source (&session->keepalive_source);
      break;
  }
  gst_resilient_session_command_done (session);
}

static void
send_keepalive_request (GstResilientSession * session)
{
  GstResilientKeepalive *ka = &session->keepalive;
  GstRTSPMessage *msg;

  /* OPTIONS goes to the request URL (RFC 2326 allows "*" too, which some
   * cameras reject); the others to the aggregate control URL */
  msg = gst_resilient_session_new_request (session, ka->request,
      ka->request == GST_RTSP_OPTIONS ? session->url : session->aggregate_url);
  g_mutex_lock (&session->lock);
  gst_resilient_keepalive_sent (ka, g_get_monotonic_time ());
  g_mutex_unlock (&session->lock);
  /* no answer within the margin: the session is about to expire on the
   * server, treat it as lost (a timeout error → recovery) */
  gst_resilient_session_send_request_full (session, msg,
      on_keepalive_response, gst_resilient_keepalive_answer_timeout_ms (ka));
}

/* CMD_KEEPALIVE */
void
gst_resilient_session_send_keepalive (GstResilientSession * session)
{
  GstResilientSessionState state = gst_resilient_session_get_state (session);

  if ((state != GST_RESILIENT_SESSION_PLAYING &&
          state != GST_RESILIENT_SESSION_PAUSED) ||
      session->keepalive.request == 0) {
    gst_resilient_session_command_done (session);
    return;
  }
  send_keepalive_request (session);
}

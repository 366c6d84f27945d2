/* resilientrtsp
 * session-recovery.c: what happens when a session is lost (after it played,
 * or before, with retry-initial-connect) —
 * the retry decision, the reconnect command, stall detection, and the
 * UDP → TCP switch of the `timeout` property.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session-private.h"

#include "error.h"

GST_DEBUG_CATEGORY_EXTERN (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

static gboolean
retry_tick (gpointer data)
{
  GstResilientSession *session = data;

  g_source_unref (session->retry_source);
  session->retry_source = NULL;
  gst_resilient_session_enqueue (session, CMD_RECONNECT);
  return G_SOURCE_REMOVE;
}

/* A session is lost: ask the retry logic, and either schedule the
 * next attempt (TRUE, @error consumed) or give up (FALSE, @error extended
 * with the attempt count and left to the caller). I/O thread. */
gboolean
gst_resilient_session_recover (GstResilientSession * session, GError * error)
{
  GstResilientRetryDecision decision = { 0, };
  GstRTSPLowerTrans in_use = session->transport ? session->transport :
      session->trying;
  gchar *msg;

  gst_resilient_retry_next (session->retry, g_get_monotonic_time () * 1000,
      error, in_use, session->retry_after, &decision);
  session->retry_after = GST_CLOCK_TIME_NONE;

  if (decision.give_up) {
    guint attempts = gst_resilient_retry_get_attempts (session->retry);

    GST_WARNING_OBJECT (session, "giving up: %s", decision.reason ?
        decision.reason : "");
    if (attempts > 0) {
      msg = g_strdup_printf ("%s (gave up after %u reconnection attempt%s)",
          error->message, attempts, attempts == 1 ? "" : "s");
      g_free (error->message);
      error->message = msg;
    }
    gst_resilient_retry_decision_clear (&decision);
    return FALSE;
  }

  gst_resilient_session_send_teardown_best_effort (session);
  gst_resilient_session_drop_transport (session);
  /* PLAY/PAUSE the element asked for meanwhile decide where the new session
   * stops (e.g. the first PLAY while the initial connection was failing) */
  g_mutex_lock (&session->lock);
  for (GList * l = session->commands.head; l; l = l->next) {
    if (GPOINTER_TO_INT (l->data) == CMD_PLAY)
      session->want_play = TRUE;
    else if (GPOINTER_TO_INT (l->data) == CMD_PAUSE)
      session->want_play = FALSE;
  }
  g_queue_clear (&session->commands);
  g_mutex_unlock (&session->lock);
  session->command_running = FALSE;
  session->play_after_setup = FALSE;

  session->allowed = session->base_allowed;
  if (decision.transport & session->base_allowed)
    session->allowed = decision.transport & session->base_allowed;

  msg = g_strdup_printf ("%s; %s", error->message, decision.reason ?
      decision.reason : "retrying");
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_RECOVERING,
      msg);
  g_free (msg);
  if (session->callbacks.reconnecting
      && !gst_resilient_session_is_closed (session))
    session->callbacks.reconnecting (session, decision.attempt,
        decision.delay, error, decision.transport, decision.reason,
        session->user_data);

  gst_resilient_session_destroy_source (&session->retry_source);
  session->retry_source = gst_resilient_io_context_add_timeout (session->io,
      decision.delay / GST_MSECOND, retry_tick, session, NULL);

  gst_resilient_retry_decision_clear (&decision);
  g_error_free (error);
  return TRUE;
}

/* Periodic while playing: no RTP on any stream for stall-timeout → the
 * session is lost. Left to the UDP→TCP switch while that is pending. */
gboolean
gst_resilient_session_stall_check (gpointer data)
{
  GstResilientSession *session = data;
  gint64 silent_ms;

  if (session->udp_check_source != NULL ||
      gst_resilient_session_get_state (session) !=
      GST_RESILIENT_SESSION_PLAYING)
    return G_SOURCE_CONTINUE;

  g_mutex_lock (&session->lock);
  silent_ms = (g_get_monotonic_time () - session->last_rtp_us) / 1000;
  g_mutex_unlock (&session->lock);
  if (silent_ms < session->settings.stall_timeout_ms)
    return G_SOURCE_CONTINUE;

  /* the source is being dispatched: let fail() not destroy it under us */
  g_source_unref (session->stall_source);
  session->stall_source = NULL;
  gst_resilient_session_fail (session, g_error_new (GST_RESILIENT_ERROR,
          GST_RESILIENT_ERROR_STALLED, "no RTP from %s for %" G_GINT64_FORMAT
          " ms", session->url, silent_ms));
  return G_SOURCE_REMOVE;
}

gboolean
gst_resilient_session_udp_check (gpointer data)
{
  GstResilientSession *session = data;
  gboolean seen;

  g_mutex_lock (&session->lock);
  seen = session->udp_data_seen;
  g_mutex_unlock (&session->lock);

  g_source_unref (session->udp_check_source);
  session->udp_check_source = NULL;
  if (!seen)
    gst_resilient_session_enqueue (session, CMD_SWITCH_TO_TCP);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_session_switch_to_tcp (GstResilientSession * session)
{
  gchar *reason;

  if (gst_resilient_session_get_state (session) !=
      GST_RESILIENT_SESSION_PLAYING) {
    gst_resilient_session_command_done (session);
    return;
  }

  reason = g_strdup_printf ("no UDP data within %" G_GUINT64_FORMAT
      " ms, switching to TCP", session->settings.udp_timeout_us / 1000);
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_RECOVERING,
      reason);
  g_free (reason);

  gst_resilient_session_send_teardown_best_effort (session);
  gst_resilient_session_drop_transport (session);
  session->allowed = GST_RTSP_LOWER_TRANS_TCP;
  session->play_after_setup = TRUE;
  gst_resilient_session_start_connect (session);
}

/* The old session should not linger on the server: TEARDOWN without waiting
 * for the answer (the connection is dropped next). */
void
gst_resilient_session_send_teardown_best_effort (GstResilientSession * session)
{
  GstRTSPMessage *msg;
  gchar cseq[16];

  if (session->conn == NULL || session->session_id == NULL)
    return;

  msg = gst_resilient_session_new_request (session, GST_RTSP_TEARDOWN,
      session->aggregate_url);
  g_snprintf (cseq, sizeof (cseq), "%u", session->next_cseq++);
  gst_rtsp_message_add_header (msg, GST_RTSP_HDR_CSEQ, cseq);
  gst_resilient_connection_send_message (session->conn, msg);
  gst_rtsp_message_free (msg);
}

/* CMD_RECONNECT: a new session on the same URL; PLAY again if playing was
 * requested. The element keeps its pads (streams_ready reports the same
 * streams). */
void
gst_resilient_session_reconnect (GstResilientSession * session)
{
  if (gst_resilient_session_get_state (session) !=
      GST_RESILIENT_SESSION_RECOVERING) {
    gst_resilient_session_command_done (session);
    return;
  }
  GST_INFO_OBJECT (session, "reconnecting to %s", session->url);
  session->play_after_setup = session->want_play;
  gst_resilient_session_start_connect (session);
}

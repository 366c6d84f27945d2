/* resilientrtsp
 * session-play.c: the playing life of a session — PLAY (with the RTP-Info
 * of its answer), PAUSE and resume, and closing with TEARDOWN.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "session-private.h"

#include <string.h>

#include "error.h"
#include "headers.h"
#include "url.h"

GST_DEBUG_CATEGORY_EXTERN (resilient_session_debug);
#define GST_CAT_DEFAULT resilient_session_debug

/* ---------------------------------------------------------------------- */
/* PLAY and PAUSE */

static gboolean
same_url (const gchar * a, const gchar * b)
{
  gsize la = strlen (a), lb = strlen (b);

  while (la > 0 && a[la - 1] == '/')
    la--;
  while (lb > 0 && b[lb - 1] == '/')
    lb--;
  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

/* RTP-Info of a PLAY answer → seqnum_base/clock_base of each stream,
 * matched by URL (resolved against the aggregate URL), else by position
 * when the counts agree. */
static void
apply_rtp_info (GstResilientSession * session, GstRTSPMessage * response)
{
  gchar *value = NULL;
  GArray *infos;
  guint i, j;

  if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_RTP_INFO, &value,
          0) != GST_RTSP_OK)
    return;
  infos = gst_resilient_parse_rtp_info (value);
  if (infos == NULL)
    return;

  for (i = 0; i < infos->len; i++) {
    GstResilientRtpInfo *info = &g_array_index (infos, GstResilientRtpInfo, i);
    GstResilientSessionStream *match = NULL;
    gchar *url = info->url ?
        gst_resilient_url_resolve_control (session->aggregate_url,
        info->url) : NULL;

    for (j = 0; url && j < session->streams->len; j++) {
      GstResilientSessionStream *stream =
          g_ptr_array_index (session->streams, j);

      if (same_url (url, stream->desc->control_url))
        match = stream;
    }
    if (match == NULL && infos->len == session->streams->len)
      match = g_ptr_array_index (session->streams, i);
    if (match) {
      match->seqnum_base = info->has_seq ? info->seq : -1;
      match->clock_base = info->has_rtptime ? (gint64) info->rtptime : -1;
      GST_DEBUG_OBJECT (session, "stream %u: seq %d rtptime %" G_GINT64_FORMAT,
          match->index, match->seqnum_base, match->clock_base);
    }
    g_free (url);
  }
  gst_resilient_rtp_info_array_free (infos);
}

static void
on_play_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  guint attempts;
  GstClockTime outage;
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (code != GST_RTSP_STS_OK) {
    gst_resilient_session_handle_failure (session, req, response, code, reason);
    return;
  }
  if (!gst_resilient_session_check_session_header (session, response))
    return;

  g_mutex_lock (&session->lock);
  if (session->connect_us < 0)
    session->connect_us = g_get_monotonic_time () - session->open_time;
  g_mutex_unlock (&session->lock);

  apply_rtp_info (session, response);
  session->established = TRUE;
  attempts = gst_resilient_retry_get_attempts (session->retry);
  /* also records the transport that works, for the next outage */
  outage = gst_resilient_retry_recovered (session->retry,
      g_get_monotonic_time () * 1000, session->transport);
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_PLAYING,
      NULL);
  /* after the state: an application reading "state" on "recovered" sees
   * playing */
  if (attempts > 0) {
    g_mutex_lock (&session->lock);
    session->recoveries++;
    g_mutex_unlock (&session->lock);
    GST_INFO_OBJECT (session, "recovered after %" GST_TIME_FORMAT
        " and %u attempts", GST_TIME_ARGS (outage), attempts);
    if (session->callbacks.recovered
        && !gst_resilient_session_is_closed (session))
      session->callbacks.recovered (session, outage, attempts,
          session->user_data);
  }
  if (session->callbacks.playing && !gst_resilient_session_is_closed (session))
    session->callbacks.playing (session, session->streams, session->user_data);
  gst_resilient_session_release_held_packets (session);

  gst_resilient_session_keepalive_start (session);

  g_mutex_lock (&session->lock);
  session->last_rtp_us = g_get_monotonic_time ();
  g_mutex_unlock (&session->lock);
  gst_resilient_session_destroy_source (&session->stall_source);
  if (session->settings.stall_timeout_ms > 0)
    session->stall_source = gst_resilient_io_context_add_timeout (session->io,
        MAX (session->settings.stall_timeout_ms / 4, 50),
        gst_resilient_session_stall_check, session, NULL);

  gst_resilient_session_destroy_source (&session->udp_check_source);
  if (session->transport == GST_RTSP_LOWER_TRANS_UDP &&
      (session->allowed & GST_RTSP_LOWER_TRANS_TCP) &&
      session->settings.udp_timeout_us > 0) {
    session->udp_check_source =
        gst_resilient_io_context_add_timeout (session->io,
        MAX (session->settings.udp_timeout_us / 1000, 1),
        gst_resilient_session_udp_check, session, NULL);
  }
  gst_resilient_session_command_done (session);
}

void
gst_resilient_session_start_play (GstResilientSession * session)
{
  GstResilientSessionState state = gst_resilient_session_get_state (session);
  GstRTSPMessage *msg;

  if (state != GST_RESILIENT_SESSION_READY &&
      state != GST_RESILIENT_SESSION_PAUSED) {
    /* being re-established: it plays once set up */
    if (state == GST_RESILIENT_SESSION_RECOVERING)
      session->want_play = TRUE;
    GST_DEBUG_OBJECT (session, "PLAY not sent in state %s%s",
        gst_resilient_session_state_name (state), session->want_play ?
        ", will play when set up" : "");
    gst_resilient_session_command_done (session);
    return;
  }

  session->want_play = TRUE;
  g_mutex_lock (&session->lock);
  session->udp_data_seen = FALSE;
  g_mutex_unlock (&session->lock);

  session->hold_packets = TRUE;
  msg =
      gst_resilient_session_new_request (session, GST_RTSP_PLAY,
      session->aggregate_url);
  /* A Range only for a recorded presentation (the SDP's a=range has a
   * start), from that start, as rtspsrc does. A live stream (npt=now-, or
   * no a=range) gets none: gst-rtsp-server turns any Range into a seek of
   * the media, which for a shared live media flushes the packets in flight
   * of every other client and, with many PLAYs at once, can deadlock it.
   * Resuming after PAUSE: no Range, the server continues where it paused. */
  if (state == GST_RESILIENT_SESSION_READY && session->info != NULL
      && session->info->range_start >= 0) {
    gchar start[G_ASCII_DTOSTR_BUF_SIZE];

    gst_rtsp_message_take_header (msg, GST_RTSP_HDR_RANGE,
        g_strdup_printf ("npt=%s-", g_ascii_formatd (start, sizeof (start),
                "%.3f", session->info->range_start)));
  }
  gst_resilient_session_send_request (session, msg, on_play_response);
}

static void
on_pause_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code;
  const gchar *reason;
  GstRTSPVersion version;

  gst_rtsp_message_parse_response (response, &code, &reason, &version);
  if (code == GST_RTSP_STS_SESSION_NOT_FOUND) {
    gst_resilient_session_fail (session,
        gst_resilient_error_new_from_status (code, reason, req->method,
            req->uri));
    return;
  }
  if (code != GST_RTSP_STS_OK) {
    /* a live camera may not do PAUSE: it keeps sending, which is what
     * happened before we asked */
    GST_WARNING_OBJECT (session, "PAUSE answered %d %s, the server keeps "
        "streaming", code, GST_STR_NULL (reason));
    session->want_play = TRUE;
    gst_resilient_session_command_done (session);
    return;
  }
  gst_resilient_session_destroy_source (&session->udp_check_source);
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_PAUSED,
      NULL);
  gst_resilient_session_command_done (session);
}

/* CMD_PAUSE: the element went PLAYING → PAUSED. */
void
gst_resilient_session_start_pause (GstResilientSession * session)
{
  GstResilientSessionState state = gst_resilient_session_get_state (session);

  session->want_play = FALSE;
  if (state != GST_RESILIENT_SESSION_PLAYING) {
    GST_DEBUG_OBJECT (session, "PAUSE not sent in state %s",
        gst_resilient_session_state_name (state));
    gst_resilient_session_command_done (session);
    return;
  }
  gst_resilient_session_send_request (session,
      gst_resilient_session_new_request (session, GST_RTSP_PAUSE,
          session->aggregate_url), on_pause_response);
}

/* ---------------------------------------------------------------------- */
/* closing */

struct _AsyncClose
{
  GstResilientSession *session; /* a reference */
  guint64 timeout_ns;
  GFunc done;
  gpointer user_data;
  GSource *timeout;
};

static void async_close_finish (GstResilientSession * session);

/* No TEARDOWN to wait for any more: the close can go on. */
static void
teardown_done (GstResilientSession * session)
{
  g_mutex_lock (&session->lock);
  session->teardown_done = TRUE;
  g_cond_broadcast (&session->cond);
  g_mutex_unlock (&session->lock);
  if (session->async_close)
    async_close_finish (session);
}

/* Whether a Connection header value has the "close" token. */
static gboolean
says_close (const gchar * value)
{
  gchar **tokens = g_strsplit (value, ",", -1);
  gboolean close = FALSE;
  guint i;

  for (i = 0; tokens[i] && !close; i++)
    close = g_ascii_strcasecmp (g_strstrip (tokens[i]), "close") == 0;
  g_strfreev (tokens);
  return close;
}

static void
on_teardown_response (GstResilientSession * session, PendingRequest * req,
    GstRTSPMessage * response)
{
  GstRTSPStatusCode code = 0;
  GstResilientConnectionStats cstats;
  gchar *value = NULL;

  /* a clean end: the connection carries no session any more and may serve
   * the next one (connpool.h) — unless the server closes it, or the answer
   * is before-send's stand-in (no message came since TEARDOWN went) */
  gst_rtsp_message_parse_response (response, &code, NULL, NULL);
  if (session->pool_key != NULL && session->conn != NULL && code >= 200 &&
      code < 300) {
    gst_resilient_connection_get_stats (session->conn, &cstats);
    if (cstats.messages_received > session->teardown_mark) {
      if (gst_rtsp_message_get_header (response, GST_RTSP_HDR_CONNECTION,
              &value, 0) == GST_RTSP_OK && says_close (value))
        session->pool_after = POOL_AFTER_PREWARM;
      else
        session->pool_after = POOL_AFTER_KEEP;
    }
  }
  teardown_done (session);
}

/* Closing: TEARDOWN the server's session if there is one, else closing
 * can go on at once (teardown_done). */
void
gst_resilient_session_close_teardown (GstResilientSession * session)
{
  gboolean have_session = session->conn != NULL &&
      session->session_id != NULL;

  if (have_session) {
    GstResilientConnectionStats cstats;

    gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_CLOSING,
        NULL);
    gst_resilient_connection_get_stats (session->conn, &cstats);
    session->teardown_mark = cstats.messages_received;
    if (!gst_resilient_session_send_request (session,
            gst_resilient_session_new_request (session, GST_RTSP_TEARDOWN,
                session->aggregate_url ? session->aggregate_url :
                session->url), on_teardown_response))
      have_session = FALSE;
  }
  if (!have_session)
    teardown_done (session);
}

/* Pending requests are dropped at close, except a SETUP without a session
 * yet: its answer may create one on the server, which must then be torn
 * down (a racing loser closed mid-SETUP). */
static gboolean
keep_setup (gpointer key, gpointer value, gpointer user_data)
{
  PendingRequest *req = value;
  gboolean *kept = user_data;

  if (req->method == GST_RTSP_SETUP) {
    *kept = TRUE;
    return FALSE;
  }
  return TRUE;
}

static gboolean
close_begin (gpointer data)
{
  GstResilientSession *session = data;
  gboolean setup_in_flight = FALSE;

  g_mutex_lock (&session->lock);
  session->closed = TRUE;
  g_queue_clear (&session->commands);
  session->teardown_done = FALSE;
  g_mutex_unlock (&session->lock);

  gst_resilient_session_destroy_source (&session->keepalive_source);
  gst_resilient_session_destroy_source (&session->udp_check_source);
  gst_resilient_session_destroy_source (&session->retry_source);
  gst_resilient_session_destroy_source (&session->stall_source);
  if (session->cancellable)
    g_cancellable_cancel (session->cancellable);
  if (session->conn != NULL && session->session_id == NULL)
    g_hash_table_foreach_remove (session->pending, keep_setup,
        &setup_in_flight);
  else
    g_hash_table_remove_all (session->pending);

  /* with a SETUP in flight, its answer decides (on_setup_response) */
  if (!setup_in_flight)
    gst_resilient_session_close_teardown (session);
  return G_SOURCE_REMOVE;
}

static gboolean
close_finish (gpointer data)
{
  GstResilientSession *session = data;

  gst_resilient_session_drop_transport (session);
  session->command_running = FALSE;
  gst_resilient_session_set_state (session, GST_RESILIENT_SESSION_CLOSED, NULL);
  return G_SOURCE_REMOVE;
}

static void
async_close_finish (GstResilientSession * session)
{
  AsyncClose *ac = session->async_close;

  session->async_close = NULL;
  if (ac->timeout) {
    g_source_destroy (ac->timeout);
    g_source_unref (ac->timeout);
  }
  close_finish (session);
  if (ac->done)
    ac->done (session, ac->user_data);
  g_object_unref (ac->session);
  g_free (ac);
}

static gboolean
async_close_timeout (gpointer data)
{
  GstResilientSession *session = data;

  GST_INFO_OBJECT (session, "no answer to TEARDOWN, closing anyway");
  async_close_finish (session);
  return G_SOURCE_REMOVE;
}

static gboolean
async_close_begin (gpointer data)
{
  AsyncClose *ac = data;
  GstResilientSession *session = ac->session;
  gboolean done;

  close_begin (session);
  session->async_close = ac;
  g_mutex_lock (&session->lock);
  done = session->teardown_done;
  g_mutex_unlock (&session->lock);
  if (done)
    async_close_finish (session);
  else
    ac->timeout = gst_resilient_io_context_add_timeout (session->io,
        MAX (ac->timeout_ns / GST_MSECOND, 1), async_close_timeout, session,
        NULL);
  return G_SOURCE_REMOVE;
}

void
gst_resilient_session_close_async (GstResilientSession * session,
    guint64 teardown_timeout_ns, GFunc done, gpointer user_data)
{
  AsyncClose *ac;

  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));

  ac = g_new0 (AsyncClose, 1);
  ac->session = g_object_ref (session);
  ac->timeout_ns = teardown_timeout_ns;
  ac->done = done;
  ac->user_data = user_data;
  /* no callback from now on, even before the I/O thread gets to it */
  g_mutex_lock (&session->lock);
  session->closed = TRUE;
  g_mutex_unlock (&session->lock);
  /* never from inside one of the session's own callbacks */
  gst_resilient_io_context_invoke (session->io, async_close_begin, ac, NULL);
}

void
gst_resilient_session_close (GstResilientSession * session,
    guint64 teardown_timeout_ns)
{
  gint64 deadline;

  g_return_if_fail (GST_IS_RESILIENT_SESSION (session));
  g_return_if_fail (!gst_resilient_io_context_is_current (session->io));

  gst_resilient_io_context_invoke_sync (session->io, close_begin, session);

  deadline = g_get_monotonic_time () + teardown_timeout_ns / 1000;
  g_mutex_lock (&session->lock);
  while (!session->teardown_done) {
    if (!g_cond_wait_until (&session->cond, &session->lock, deadline)) {
      GST_INFO_OBJECT (session, "no answer to TEARDOWN within %"
          G_GUINT64_FORMAT " ms, closing anyway",
          teardown_timeout_ns / 1000000);
      break;
    }
  }
  g_mutex_unlock (&session->lock);

  gst_resilient_io_context_invoke_sync (session->io, close_finish, session);
}


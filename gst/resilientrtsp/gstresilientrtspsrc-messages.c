/* resilientrtsp
 * gstresilientrtspsrc-messages.c: the element's side of the session and
 * media callbacks — bus messages (state, reconnecting, recovered,
 * streams-changed, errors), the stats structure and its periodic message,
 * the signals emitted from the I/O thread, and the telemetry records.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstresilientrtspsrc-private.h"

#include "error.h"
#include "url.h"

GST_DEBUG_CATEGORY_EXTERN (resilientrtspsrc_debug);
#define GST_CAT_DEFAULT resilientrtspsrc_debug

/* ---------------------------------------------------------------------- */
/* messages and stats */

GstStructure *
gst_resilient_rtsp_src_build_stats (GstResilientRtspSrc * src)
{
  GstStructure *stats = gst_structure_new ("resilientrtsp-stats",
      "state", G_TYPE_STRING, "idle",
      "transport", G_TYPE_STRING, "none",
      "connect-ms", G_TYPE_UINT64, (guint64) 0,
      "reconnects", G_TYPE_UINT, 0,
      "bytes-received", G_TYPE_UINT64, (guint64) 0,
      "packets-received", G_TYPE_UINT64, (guint64) 0,
      "zero-copy-ratio", G_TYPE_DOUBLE, 0.0,
      "interleaved-bytes-shared", G_TYPE_UINT64, (guint64) 0,
      "interleaved-bytes-copied", G_TYPE_UINT64, (guint64) 0, NULL);
  GstResilientRace *race;
  GstResilientMedia *media;

  g_mutex_lock (&src->runtime_lock);
  race = src->race;
  media = src->media;
  if (race)
    gst_resilient_race_fill_stats (race, stats);
  if (media)
    gst_resilient_media_fill_stats (media, stats);
  g_mutex_unlock (&src->runtime_lock);

  if (!gst_structure_has_field (stats, "streams")) {
    GValue empty = G_VALUE_INIT;

    g_value_init (&empty, GST_TYPE_ARRAY);
    gst_structure_take_value (stats, "streams", &empty);
  }
  gst_structure_set (stats, "io-threads", G_TYPE_UINT,
      gst_resilient_io_context_get_n_threads (), NULL);
  return stats;
}

gboolean
gst_resilient_rtsp_src_stats_tick (gpointer data)
{
  GstResilientRtspSrc *src = data;
  GstStructure *stats = gst_resilient_rtsp_src_build_stats (src);

  gst_resilient_telemetry_source_stats (src->telemetry, stats);
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), stats));
  return G_SOURCE_CONTINUE;
}

static void
on_state_changed (GstResilientSession * session,
    GstResilientSessionState old_state, GstResilientSessionState new_state,
    const gchar * reason, gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  GstStructure *s = gst_structure_new ("resilientrtsp-state",
      "state", G_TYPE_STRING, gst_resilient_session_state_name (new_state),
      "previous", G_TYPE_STRING, gst_resilient_session_state_name (old_state),
      NULL);

  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  gst_resilient_telemetry_source_set_state (src->telemetry,
      gst_resilient_session_state_name (new_state),
      gst_resilient_telemetry_now ());
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), s));
}

static void
on_sdp (GstResilientSession * session, GstSDPMessage * sdp, gpointer user_data)
{
  g_signal_emit (user_data, gst_resilient_rtsp_src_signals[SIGNAL_ON_SDP], 0,
      sdp);
}

static gboolean
on_select_stream (GstResilientSession * session,
    const GstResilientStreamDesc * desc, gpointer user_data)
{
  gboolean selected = TRUE;

  g_signal_emit (user_data,
      gst_resilient_rtsp_src_signals[SIGNAL_SELECT_STREAM], 0, desc->index,
      desc->caps, &selected);
  return selected;
}

static gboolean
on_before_send (GstResilientSession * session, GstRTSPMessage * msg,
    gpointer user_data)
{
  gboolean send = TRUE;

  g_signal_emit (user_data, gst_resilient_rtsp_src_signals[SIGNAL_BEFORE_SEND],
      0, msg, &send);
  return send;
}

static void
on_streams_ready (GstResilientSession * session, GPtrArray * streams,
    gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  guint before = gst_resilient_media_n_streams (src->media);
  guint added = gst_resilient_media_configure (src->media, streams);
  guint missing = before + added - streams->len;

  GST_DEBUG_OBJECT (src, "%u streams set up, %u new pads", streams->len, added);
  if (!src->no_more_pads) {
    src->no_more_pads = TRUE;
    gst_element_no_more_pads (GST_ELEMENT (src));
  } else if (added > 0 || missing > 0) {
    /* a re-established session describes other streams: new ones got new
     * pads, vanished ones keep theirs (silent) */
    GstStructure *s = gst_structure_new ("resilientrtsp-streams-changed",
        "streams", G_TYPE_UINT, streams->len,
        "added", G_TYPE_UINT, added,
        "missing", G_TYPE_UINT, missing, NULL);

    GST_INFO_OBJECT (src, "%" GST_PTR_FORMAT, s);
    gst_element_post_message (GST_ELEMENT (src),
        gst_message_new_element (GST_OBJECT (src), s));
  }
}

static void
on_playing (GstResilientSession * session, GPtrArray * streams,
    gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  guint i;

  /* times the first RTP packet and output buffer (stats "setup") */
  gst_resilient_media_playing (src->media);
  for (i = 0; i < streams->len; i++) {
    GstResilientSessionStream *stream = g_ptr_array_index (streams, i);

    gst_resilient_media_set_rtp_info (src->media, stream->index,
        stream->seqnum_base, stream->clock_base);
  }
}

static void
on_reconnecting (GstResilientSession * session, guint attempt,
    GstClockTime delay, const GError * error, GstRTSPLowerTrans transport,
    const gchar * reason, gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  GstStructure *s = gst_structure_new ("resilientrtsp-reconnecting",
      "attempt", G_TYPE_UINT, attempt,
      "delay-ms", G_TYPE_UINT64, (guint64) (delay / GST_MSECOND),
      "class", G_TYPE_STRING, error->domain == GST_RESILIENT_ERROR ?
      gst_resilient_error_code_nick (error->code) : "internal",
      "error", G_TYPE_STRING, error->message,
      "transport", G_TYPE_STRING,
      gst_resilient_session_transport_name (transport, "any"),
      "reason", G_TYPE_STRING, reason ? reason : "", NULL);

  GST_INFO_OBJECT (src, "reconnecting: %" GST_PTR_FORMAT, s);
  gst_resilient_telemetry_source_reconnecting (src->telemetry, attempt, delay,
      gst_structure_get_string (s, "class"), gst_resilient_telemetry_now ());
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), s));
}

static void
on_recovered (GstResilientSession * session, GstClockTime outage,
    guint attempts, gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  GstStructure *s = gst_structure_new ("resilientrtsp-recovered",
      "outage-ms", G_TYPE_UINT64, (guint64) (outage / GST_MSECOND),
      "attempts", G_TYPE_UINT, attempts, NULL);

  GST_INFO_OBJECT (src, "recovered: %" GST_PTR_FORMAT, s);
  gst_resilient_telemetry_source_recovered (src->telemetry, outage,
      gst_resilient_telemetry_now ());
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), s));
}

static void
on_packet (GstResilientSession * session, guint index, gboolean is_rtcp,
    GstBuffer * buf, gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;

  gst_resilient_media_push (src->media, index, is_rtcp, buf);
}

static void
on_error (GstResilientSession * session, const GError * error,
    gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  GQuark domain;
  gint code;
  GstStructure *details;

  gst_resilient_error_to_gst (error, &domain, &code);
  details = gst_structure_new ("resilientrtsp-error",
      "class", G_TYPE_STRING, error->domain == GST_RESILIENT_ERROR ?
      gst_resilient_error_code_nick (error->code) : "internal", NULL);
  gst_resilient_telemetry_source_error (src->telemetry,
      gst_structure_get_string (details, "class"));
  gst_element_message_full_with_details (GST_ELEMENT (src),
      GST_MESSAGE_ERROR, domain, code, g_strdup (error->message),
      g_strdup_printf ("%s (class %s)", error->message,
          gst_structure_get_string (details, "class")), __FILE__,
      GST_FUNCTION, __LINE__, details);
}

static gboolean
on_accept_certificate (GstResilientSession * session, GTlsConnection * conn,
    GTlsCertificate * peer_cert, GTlsCertificateFlags errors,
    gpointer user_data)
{
  gboolean accept = FALSE;

  g_signal_emit (user_data,
      gst_resilient_rtsp_src_signals[SIGNAL_ACCEPT_CERTIFICATE], 0, conn,
      peer_cert, errors, &accept);
  GST_INFO_OBJECT (user_data,
      "certificate with errors 0x%x %s by the " "application", errors,
      accept ? "accepted" : "not accepted");
  return accept;
}

const GstResilientSessionCallbacks gst_resilient_rtsp_src_session_callbacks = {
  on_state_changed,
  on_sdp,
  on_select_stream,
  on_before_send,
  on_streams_ready,
  on_playing,
  on_packet,
  on_reconnecting,
  on_recovered,
  on_error,
  on_accept_certificate,
};

static void
on_send_rtcp (GstResilientMedia * media, guint index, GstBuffer * buf,
    gpointer user_data)
{
  GstResilientRtspSrc *src = user_data;
  GstResilientRace *race;

  /* a delivery or streaming thread: cleanup() clears src->race before it
   * frees the media, which waits for this callback to return, and frees
   * the race only after that */
  g_mutex_lock (&src->runtime_lock);
  race = src->race;
  g_mutex_unlock (&src->runtime_lock);
  if (race)
    gst_resilient_race_send_rtcp (race, index, buf);
  else
    gst_buffer_unref (buf);
}

const GstResilientMediaCallbacks gst_resilient_rtsp_src_media_callbacks = {
  on_send_rtcp,
};

/* ---------------------------------------------------------------------- */
/* telemetry */

/* The element's telemetry series (see telemetry.h; no credentials). */
void
gst_resilient_rtsp_src_telemetry_start (GstResilientRtspSrc * src,
    const gchar * location)
{
  gchar *name = gst_object_get_name (GST_OBJECT (src));
  gchar *url = gst_resilient_url_strip_credentials (location, NULL, NULL);

  src->telemetry = gst_resilient_telemetry_source_register (name, url,
      gst_resilient_telemetry_now ());
  g_free (url);
  g_free (name);
}

/* The last counts; then its per-element series go. */
void
gst_resilient_rtsp_src_telemetry_stop (GstResilientRtspSrc * src)
{
  GstStructure *stats;

  if (src->telemetry == NULL)
    return;
  stats = gst_resilient_rtsp_src_build_stats (src);
  gst_resilient_telemetry_source_stats (src->telemetry, stats);
  gst_structure_free (stats);
  gst_resilient_telemetry_source_unregister (src->telemetry);
  src->telemetry = NULL;
}

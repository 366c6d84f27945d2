/* resilientrtsp
 * media.c: the receive pipeline inside the element's bin.
 *
 *   internal src pad (RTP)  ──▶ rtpbin.recv_rtp_sink_N ─▶ … recv_rtp_src_N_ssrc_pt
 *   internal src pad (RTCP) ──▶ rtpbin.recv_rtcp_sink_N        │
 *   internal sink pad ◀── rtpbin.send_rtcp_src_N               ▼
 *                                             depayloader ─▶ ghost pad stream_N
 *
 * locking order: media->lock → (none); never held while pushing or while
 * calling into rtpbin.
 *
 * Per-packet cost of the statistics: the RTP header is read (12 bytes) and
 * the sequence tracker updated under the media->lock that the push takes
 * anyway; output buffers are counted in the ghost pad's internal chain
 * function with one atomic add, no lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "media.h"
#include "media-private.h"

#include <stdio.h>
#include <string.h>

#include "stats.h"

GST_DEBUG_CATEGORY_STATIC (media_debug);
#define GST_CAT_DEFAULT media_debug

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (media_debug, "resilientrtspmedia", 0,
        "resilientrtsp receive pipeline");
    g_once_init_leave (&once, 1);
  }
}

GType
gst_resilient_depayload_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RESILIENT_DEPAYLOAD_OFF, "false", "off"},
    {GST_RESILIENT_DEPAYLOAD_ON, "true", "on"},
    {GST_RESILIENT_DEPAYLOAD_AUTO, "auto", "auto"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientDepayloadMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_resilient_rtp_manager_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RESILIENT_RTP_MANAGER_RTPBIN, "rtpbin (as rtspsrc: three "
          "threads per stream)", "rtpbin"},
    {GST_RESILIENT_RTP_MANAGER_BUILTIN, "built-in (no thread per stream)",
        "builtin"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstResilientRtpManager", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static MediaStream *
find_stream (GstResilientMedia * media, guint index)
{
  guint i;

  for (i = 0; i < media->streams->len; i++) {
    MediaStream *stream = g_ptr_array_index (media->streams, i);

    if (stream->index == index)
      return stream;
  }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* rtpbin signals */

static GstCaps *
on_request_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstResilientMedia * media)
{
  MediaStream *stream;
  GstCaps *caps = NULL;
  gchar name[16];

  g_mutex_lock (&media->lock);
  stream = find_stream (media, session);
  if (stream) {
    const GValue *v;

    g_snprintf (name, sizeof (name), "pt-%u", pt);
    v = stream->pt_caps ? gst_structure_get_value (stream->pt_caps, name) :
        NULL;
    if (v && GST_VALUE_HOLDS_CAPS (v))
      caps = gst_caps_copy (gst_value_get_caps (v));
    else if (stream->caps)
      caps = gst_caps_ref (stream->caps);
  }
  g_mutex_unlock (&media->lock);

  GST_DEBUG ("pt map session %u pt %u → %" GST_PTR_FORMAT, session, pt, caps);
  return caps;
}

static GstElement *
make_fakesink (GstResilientMedia * media)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  gst_bin_add (media->bin, sink);
  gst_element_sync_state_with_parent (sink);
  return sink;
}

/* depayload=auto: does the linked peer take our RTP but not what the
 * depayloader produces? */
static gboolean
peer_wants_rtp (MediaStream * stream)
{
  GstCaps *peer_caps = gst_pad_peer_query_caps (stream->ghost, NULL);
  GstPad *depay_src = gst_element_get_static_pad (stream->depay, "src");
  GstCaps *es_caps = gst_pad_query_caps (depay_src, NULL);
  gboolean wants_rtp = FALSE;

  if (peer_caps && gst_pad_is_linked (stream->ghost) && stream->caps &&
      !gst_caps_is_any (peer_caps)) {
    wants_rtp = gst_caps_can_intersect (peer_caps, stream->caps) &&
        !gst_caps_can_intersect (peer_caps, es_caps);
  }
  if (peer_caps)
    gst_caps_unref (peer_caps);
  gst_caps_unref (es_caps);
  gst_object_unref (depay_src);
  return wants_rtp;
}

static void
on_pad_added (GstElement * rtpbin, GstPad * pad, GstResilientMedia * media)
{
  gchar *name = gst_pad_get_name (pad);
  guint session, ssrc, pt;
  MediaStream *stream;
  GstPad *old, *sinkpad;

  if (sscanf (name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3) {
    g_free (name);
    return;
  }
  g_free (name);

  g_mutex_lock (&media->lock);
  stream = media->shutting_down ? NULL : find_stream (media, session);
  if (stream == NULL) {
    g_mutex_unlock (&media->lock);
    GST_WARNING ("pad %s:%s for an unknown session", GST_DEBUG_PAD_NAME (pad));
    return;
  }
  old = stream->rtpbin_src;
  stream->rtpbin_src = gst_object_ref (pad);
  g_mutex_unlock (&media->lock);

  GST_INFO ("stream %u: SSRC %08x pt %u", session, ssrc, pt);

  /* the newest SSRC wins (a rebooted camera comes back with a new one); the
   * previous pad drains into a fakesink */
  if (old) {
    GstPad *peer = gst_pad_get_peer (old);
    GstElement *sink;

    if (peer) {
      gst_pad_unlink (old, peer);
      gst_object_unref (peer);
    }
    sink = make_fakesink (media);
    sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (old, sinkpad);
    gst_object_unref (sinkpad);
    g_mutex_lock (&media->lock);
    stream->old_sinks = g_list_prepend (stream->old_sinks, sink);
    g_mutex_unlock (&media->lock);
    gst_object_unref (old);
  }

  gst_resilient_media_attach_output (media, stream, pad);
}

/* Links @pad (rtpbin's output pad for the stream, or the built-in path's
 * internal pad) to the stream's depayloader, or makes it the ghost pad's
 * target; with depayload=auto, first drops the depayloader when the linked
 * peer takes RTP only. Runs on the thread that is about to push the
 * stream's first buffer on @pad. */
void
gst_resilient_media_attach_output (GstResilientMedia * media,
    MediaStream * stream, GstPad * pad)
{
  GstPad *sinkpad;

  if (stream->depay && media->settings.depayload == GST_RESILIENT_DEPAYLOAD_AUTO
      && peer_wants_rtp (stream)) {
    GST_INFO ("stream %u: downstream takes RTP only, not depayloading",
        stream->index);
    gst_element_set_locked_state (stream->depay, TRUE);
    gst_element_set_state (stream->depay, GST_STATE_NULL);
    gst_bin_remove (media->bin, stream->depay);
    stream->depay = NULL;
  }

  if (stream->depay) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (stream->ghost));

    if (target == NULL) {
      GstPad *depay_src = gst_element_get_static_pad (stream->depay, "src");

      gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), depay_src);
      gst_object_unref (depay_src);
    } else {
      gst_object_unref (target);
    }
    sinkpad = gst_element_get_static_pad (stream->depay, "sink");
    if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
      GST_WARNING ("stream %u: could not link %s:%s to the depayloader",
          stream->index, GST_DEBUG_PAD_NAME (pad));
    gst_object_unref (sinkpad);
  } else {
    gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), pad);
  }
}

/* ---------------------------------------------------------------------- */
/* internal pads */

static GstFlowReturn
rtcp_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  MediaStream *stream = gst_pad_get_element_private (pad);
  GstResilientMedia *media = stream->media;

  g_mutex_lock (&media->lock);
  stream->rtcp_sent++;
  g_mutex_unlock (&media->lock);
  if (media->callbacks.send_rtcp)
    media->callbacks.send_rtcp (media, stream->index, buf, media->user_data);
  else
    gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
rtcp_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstPad *
make_internal_pad (MediaStream * stream, GstPadDirection dir,
    const gchar * kind)
{
  gchar *name = g_strdup_printf ("internal_%s_%u", kind, stream->index);
  GstPad *pad = gst_pad_new (name, dir);

  g_free (name);
  gst_pad_set_element_private (pad, stream);
  if (dir == GST_PAD_SINK) {
    gst_pad_set_chain_function (pad, rtcp_sink_chain);
    gst_pad_set_event_function (pad, rtcp_sink_event);
  }
  gst_pad_set_active (pad, TRUE);
  return pad;
}

/* The ghost pad's internal pad: every buffer the stream outputs passes
 * here. Counts it (frames) and notes the first one after a PLAY answer. */
static void
count_output (MediaStream * stream, guint n)
{
  GstResilientMedia *media = stream->media;

  stats_add (&stream->frames, n);
  if (G_UNLIKELY (g_atomic_int_get (&stream->first_state) ==
          FIRST_WANT_BUFFER) && g_atomic_int_compare_and_exchange
      (&stream->first_state, FIRST_WANT_BUFFER, FIRST_IDLE)) {
    g_mutex_lock (&media->lock);
    stream->first_buffer_us = g_get_monotonic_time ();
    g_mutex_unlock (&media->lock);
  }
}

static GstFlowReturn
output_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  count_output (gst_pad_get_element_private (pad), 1);
  return gst_proxy_pad_chain_default (pad, parent, buf);
}

static GstFlowReturn
output_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  count_output (gst_pad_get_element_private (pad),
      gst_buffer_list_length (list));
  return gst_proxy_pad_chain_list_default (pad, parent, list);
}

static void
count_output_on (MediaStream * stream, GstPad * ghost)
{
  GstPad *internal =
      GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (ghost)));

  gst_pad_set_element_private (internal, stream);
  gst_pad_set_chain_function (internal, output_chain);
  gst_pad_set_chain_list_function (internal, output_chain_list);
  gst_object_unref (internal);
}

static gboolean
link_request_pad (GstElement * rtpbin, GstPad * pad, const gchar * prefix,
    guint index)
{
  gchar *name = g_strdup_printf ("%s_%u", prefix, index);
  GstPad *rtpbin_pad = gst_element_request_pad_simple (rtpbin, name);
  gboolean ok = FALSE;

  if (rtpbin_pad) {
    if (GST_PAD_IS_SRC (rtpbin_pad))
      ok = gst_pad_link (rtpbin_pad, pad) == GST_PAD_LINK_OK;
    else
      ok = gst_pad_link (pad, rtpbin_pad) == GST_PAD_LINK_OK;
    gst_object_unref (rtpbin_pad);
  }
  if (!ok)
    GST_WARNING ("could not link rtpbin pad %s", name);
  g_free (name);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* depayloaders */

static GstElement *
make_depayloader (GstCaps * caps)
{
  GList *factories, *matching;
  GstElement *depay = NULL;

  factories =
      gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER, GST_RANK_MARGINAL);
  matching =
      gst_element_factory_list_filter (factories, caps, GST_PAD_SINK, FALSE);
  matching = g_list_sort (matching, gst_plugin_feature_rank_compare_func);
  if (matching) {
    depay = gst_element_factory_create (matching->data, NULL);
    GST_DEBUG ("depayloader %s for %" GST_PTR_FORMAT,
        GST_OBJECT_NAME (matching->data), caps);
  }
  gst_plugin_feature_list_free (matching);
  gst_plugin_feature_list_free (factories);
  return depay;
}

/* ---------------------------------------------------------------------- */

GstResilientMedia *
gst_resilient_media_new (GstBin * bin, GstPadTemplate * templ,
    const GstResilientMediaSettings * settings,
    const GstResilientMediaCallbacks * callbacks, gpointer user_data)
{
  GstResilientMedia *media;
  GstElement *rtpbin = NULL;

  ensure_debug ();

  if (settings->manager == GST_RESILIENT_RTP_MANAGER_RTPBIN) {
    rtpbin = gst_element_factory_make ("rtpbin", NULL);
    if (rtpbin == NULL)
      return NULL;
  }

  media = g_new0 (GstResilientMedia, 1);
  media->bin = bin;
  media->templ = templ;
  media->settings = *settings;
  media->callbacks = *callbacks;
  media->user_data = user_data;
  media->streams = g_ptr_array_new ();
  g_mutex_init (&media->lock);

  media->rtpbin = rtpbin;
  if (rtpbin) {
    g_object_set (rtpbin, "latency", settings->latency_ms, NULL);
    media->pad_added_id = g_signal_connect (rtpbin, "pad-added",
        G_CALLBACK (on_pad_added), media);
    media->pt_map_id = g_signal_connect (rtpbin, "request-pt-map",
        G_CALLBACK (on_request_pt_map), media);
    gst_bin_add (bin, rtpbin);
    gst_element_sync_state_with_parent (rtpbin);
  }

  return media;
}

GstElement *
gst_resilient_media_get_manager (GstResilientMedia * media)
{
  return media->rtpbin;
}

static const gchar *
caps_string (GstCaps * caps, const gchar * field, const gchar * fallback)
{
  const gchar *value = NULL;

  if (caps && gst_caps_get_size (caps) > 0)
    value = gst_structure_get_string (gst_caps_get_structure (caps, 0), field);
  return value ? value : fallback;
}

static MediaStream *
stream_new (GstResilientMedia * media, const GstResilientSessionStream * ss)
{
  MediaStream *stream = g_new0 (MediaStream, 1);
  const GstResilientStreamDesc *desc = ss->desc;
  gchar *pad_name;

  stream->media = media;
  stream->index = ss->index;
  stream->media_type = g_strdup (desc->media);
  stream->caps = desc->caps ? gst_caps_ref (desc->caps) : NULL;
  stream->pt_caps = desc->pt_caps ? gst_structure_copy (desc->pt_caps) : NULL;
  stream->encoding_name =
      g_strdup (caps_string (stream->caps, "encoding-name", "unknown"));
  stream->last_stats_time = g_get_monotonic_time ();

  if (media->rtpbin) {
    stream->rtp_src = make_internal_pad (stream, GST_PAD_SRC, "rtp");
    stream->rtcp_src = make_internal_pad (stream, GST_PAD_SRC, "rtcp");
    link_request_pad (media->rtpbin, stream->rtp_src, "recv_rtp_sink",
        stream->index);
    link_request_pad (media->rtpbin, stream->rtcp_src, "recv_rtcp_sink",
        stream->index);
    if (media->settings.do_rtcp) {
      stream->rtcp_sink = make_internal_pad (stream, GST_PAD_SINK, "rtcpsink");
      link_request_pad (media->rtpbin, stream->rtcp_sink, "send_rtcp_src",
          stream->index);
    }
  }

  if (media->settings.depayload != GST_RESILIENT_DEPAYLOAD_OFF && stream->caps) {
    stream->depay = make_depayloader (stream->caps);
    if (stream->depay == NULL)
      GST_WARNING ("no depayloader for %" GST_PTR_FORMAT ": stream %u "
          "carries RTP", stream->caps, stream->index);
  }

  pad_name = g_strdup_printf ("stream_%u", stream->index);
  if (stream->depay) {
    GstPad *depay_src;

    gst_bin_add (media->bin, stream->depay);
    gst_element_sync_state_with_parent (stream->depay);
    if (media->settings.depayload == GST_RESILIENT_DEPAYLOAD_ON) {
      depay_src = gst_element_get_static_pad (stream->depay, "src");
      stream->ghost = gst_ghost_pad_new_from_template (pad_name, depay_src,
          media->templ);
      gst_object_unref (depay_src);
    } else {
      /* auto: no target until data arrives and the peer is known, so that
       * linking to an RTP-only element is not refused meanwhile */
      stream->ghost = gst_ghost_pad_new_no_target_from_template (pad_name,
          media->templ);
    }
  } else {
    stream->ghost = gst_ghost_pad_new_no_target_from_template (pad_name,
        media->templ);
  }
  g_free (pad_name);
  count_output_on (stream, stream->ghost);
  gst_pad_set_active (stream->ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (media->bin), stream->ghost);
  if (media->rtpbin == NULL)
    gst_resilient_media_builtin_stream_init (media, stream);

  return stream;
}

guint
gst_resilient_media_configure (GstResilientMedia * media, GPtrArray * streams)
{
  guint i, added = 0;

  for (i = 0; i < streams->len; i++) {
    GstResilientSessionStream *ss = g_ptr_array_index (streams, i);
    MediaStream *stream;

    g_mutex_lock (&media->lock);
    stream = find_stream (media, ss->index);
    g_mutex_unlock (&media->lock);
    if (stream)
      continue;

    stream = stream_new (media, ss);
    g_mutex_lock (&media->lock);
    g_ptr_array_add (media->streams, stream);
    g_mutex_unlock (&media->lock);
    added++;
  }
  return added;
}

guint
gst_resilient_media_n_streams (GstResilientMedia * media)
{
  guint n;

  g_mutex_lock (&media->lock);
  n = media->streams->len;
  g_mutex_unlock (&media->lock);
  return n;
}

static void
send_sticky_events (GstResilientMedia * media, MediaStream * stream)
{
  gchar *id = g_strdup_printf ("resilientrtsp/%p/%u", (gpointer) media,
      stream->index);
  gchar *rtcp_id = g_strdup_printf ("%s/rtcp", id);
  GstSegment segment;
  GstCaps *rtcp_caps = gst_caps_new_empty_simple ("application/x-rtcp");

  gst_segment_init (&segment, GST_FORMAT_TIME);

  gst_pad_push_event (stream->rtp_src, gst_event_new_stream_start (id));
  if (stream->caps)
    gst_pad_push_event (stream->rtp_src, gst_event_new_caps (stream->caps));
  gst_pad_push_event (stream->rtp_src, gst_event_new_segment (&segment));

  gst_pad_push_event (stream->rtcp_src, gst_event_new_stream_start (rtcp_id));
  gst_pad_push_event (stream->rtcp_src, gst_event_new_caps (rtcp_caps));
  gst_pad_push_event (stream->rtcp_src, gst_event_new_segment (&segment));

  gst_caps_unref (rtcp_caps);
  g_free (rtcp_id);
  g_free (id);
}

void
gst_resilient_media_push (GstResilientMedia * media, guint index,
    gboolean is_rtcp, GstBuffer * buf)
{
  MediaStream *stream;
  gboolean need_events = FALSE;
  GstCaps *new_caps = NULL;
  GstClockTime now;
  GstPad *pad;
  GstFlowReturn ret;
  guint8 header[12];
  gsize header_len = 0;
  gboolean is_rtp;
  gint pt;

  /* RTP version 2 with a full fixed header: sequence number and SSRC */
  if (!is_rtcp)
    header_len = gst_buffer_extract (buf, 0, header, sizeof (header));
  is_rtp = header_len == sizeof (header) && (header[0] >> 6) == 2;
  /* (the built-in path reads the payload type of anything that has one) */
  pt = header_len >= 2 ? header[1] & 0x7f : -1;
  now = gst_element_get_current_running_time (GST_ELEMENT (media->bin));

  g_mutex_lock (&media->lock);
  stream = media->shutting_down ? NULL : find_stream (media, index);
  if (stream == NULL) {
    g_mutex_unlock (&media->lock);
    gst_buffer_unref (buf);
    return;
  }
  if (!is_rtcp) {
    stream->packets++;
    stream->bytes += gst_buffer_get_size (buf);
    if (is_rtp)
      gst_resilient_seq_tracker_push (&stream->seq,
          GST_READ_UINT32_BE (header + 8), GST_READ_UINT16_BE (header + 2));
    if (G_UNLIKELY (g_atomic_int_get (&stream->first_state) == FIRST_WANT_RTP)) {
      stream->first_rtp_us = g_get_monotonic_time ();
      g_atomic_int_set (&stream->first_state, FIRST_WANT_BUFFER);
    }
  } else {
    stream->rtcp_received++;
  }

  if (media->rtpbin == NULL) {
    /* the built-in path queues for a delivery thread: nothing here blocks */
    gst_resilient_media_builtin_push (media, stream, is_rtcp, buf, pt, now);
    g_mutex_unlock (&media->lock);
    return;
  }

  if (!stream->events_sent) {
    stream->events_sent = TRUE;
    stream->caps_changed = FALSE;
    need_events = TRUE;
  } else if (stream->caps_changed && !is_rtcp && stream->caps) {
    stream->caps_changed = FALSE;
    new_caps = gst_caps_ref (stream->caps);
  }
  pad = gst_object_ref (is_rtcp ? stream->rtcp_src : stream->rtp_src);
  g_mutex_unlock (&media->lock);

  if (need_events)
    send_sticky_events (media, stream);
  if (new_caps) {
    gst_pad_push_event (pad, gst_event_new_caps (new_caps));
    gst_caps_unref (new_caps);
  }

  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_DTS (buf) = now;
  GST_BUFFER_PTS (buf) = now;

  ret = gst_pad_push (pad, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    GST_LOG ("stream %u: push returned %s", index, gst_flow_get_name (ret));
  gst_object_unref (pad);
}

void
gst_resilient_media_playing (GstResilientMedia * media)
{
  guint i;

  g_mutex_lock (&media->lock);
  media->played_us = g_get_monotonic_time ();
  for (i = 0; i < media->streams->len; i++) {
    MediaStream *stream = g_ptr_array_index (media->streams, i);

    stream->first_rtp_us = 0;
    stream->first_buffer_us = 0;
    g_atomic_int_set (&stream->first_state, FIRST_WANT_RTP);
    /* a new PLAY: the sequence numbers jump */
    gst_resilient_seq_tracker_restart (&stream->seq);
    if (media->rtpbin == NULL)
      gst_resilient_media_builtin_playing (stream);
  }
  g_mutex_unlock (&media->lock);
}

void
gst_resilient_media_set_rtp_info (GstResilientMedia * media, guint index,
    gint seqnum_base, gint64 clock_base)
{
  MediaStream *stream;
  GstCaps *caps;

  g_mutex_lock (&media->lock);
  stream = find_stream (media, index);
  if (stream && stream->caps) {
    caps = gst_caps_copy (stream->caps);
    if (seqnum_base >= 0)
      gst_caps_set_simple (caps, "seqnum-base", G_TYPE_UINT,
          (guint) seqnum_base, NULL);
    if (clock_base >= 0)
      gst_caps_set_simple (caps, "clock-base", G_TYPE_UINT,
          (guint) clock_base, NULL);
    gst_caps_unref (stream->caps);
    stream->caps = caps;
    stream->caps_changed = TRUE;
    GST_DEBUG ("stream %u: %" GST_PTR_FORMAT, index, caps);
  }
  g_mutex_unlock (&media->lock);
}

static GstStructure *
remote_source_stats (GstResilientMedia * media, MediaStream * stream)
{
  GObject *rtpsession = NULL;
  GstStructure *session_stats = NULL, *result = NULL;
  const GValue *sources;
  GValueArray *array;
  guint i;

  g_signal_emit_by_name (media->rtpbin, "get-internal-session", stream->index,
      &rtpsession);
  if (rtpsession == NULL)
    return NULL;
  g_object_get (rtpsession, "stats", &session_stats, NULL);
  g_object_unref (rtpsession);
  if (session_stats == NULL)
    return NULL;

  /* rtpsession's "source-stats" is a GValueArray */
  sources = gst_structure_get_value (session_stats, "source-stats");
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  array = sources && G_VALUE_HOLDS (sources, g_value_array_get_type ())?
      g_value_get_boxed (sources) : NULL;
  for (i = 0; array && i < array->n_values; i++) {
    const GValue *v = g_value_array_get_nth (array, i);
    const GstStructure *s;
    gboolean internal = TRUE, is_sender = FALSE;

    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    s = gst_value_get_structure (v);

    gst_structure_get_boolean (s, "internal", &internal);
    gst_structure_get_boolean (s, "is-sender", &is_sender);
    if (!internal && is_sender) {
      result = gst_structure_copy (s);
      break;
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS;
  gst_structure_free (session_stats);
  return result;
}


static void
read_source_stats (GstStructure * src, SourceStats * out)
{
  gint clock_rate = 0;
  guint jitter = 0, fraction = 0, round_trip = 0;
  gboolean sent_rb = FALSE, have_rb = FALSE;
  gint lost = 0;

  out->ssrc = 0;
  out->packets_lost = 0;
  out->jitter_ms = 0.0;
  out->fraction_lost = -1.0;
  out->rtt_ms = -1.0;
  out->have_sr = FALSE;
  out->sr_ntptime = 0;
  out->sr_rtptime = 0;
  /* rtpbin's own sync adjusts its jitterbuffers' ts-offset: not reported */
  out->sync_offset_ms = 0.0;
  if (src == NULL)
    return;

  gst_structure_get_uint (src, "ssrc", &out->ssrc);
  if (gst_structure_get_int (src, "packets-lost", &lost))
    out->packets_lost = lost;
  gst_structure_get_uint (src, "jitter", &jitter);
  gst_structure_get_int (src, "clock-rate", &clock_rate);
  if (clock_rate > 0)
    out->jitter_ms = (gdouble) jitter *1000.0 / clock_rate;

  /* the last SR the server sent */
  gst_structure_get_boolean (src, "have-sr", &out->have_sr);
  if (out->have_sr) {
    gst_structure_get_uint64 (src, "sr-ntptime", &out->sr_ntptime);
    gst_structure_get_uint (src, "sr-rtptime", &out->sr_rtptime);
  }
  /* our last RR about it: the loss fraction (8 bits) of that interval */
  if (gst_structure_get_boolean (src, "sent-rb", &sent_rb) && sent_rb &&
      gst_structure_get_uint (src, "sent-rb-fractionlost", &fraction))
    out->fraction_lost = fraction / 256.0;
  /* a report block from the server about us, with LSR/DLSR: rtpsource's
   * round trip, in 1/65536 s */
  if (gst_structure_get_boolean (src, "have-rb", &have_rb) && have_rb &&
      gst_structure_get_uint (src, "rb-round-trip", &round_trip) &&
      round_trip > 0)
    out->rtt_ms = round_trip * 1000.0 / 65536.0;
}

/* Sets first-rtp-ms / first-buffer-ms in @stats' "setup" (made with -1
 * everywhere when the session gave none). */
static void
fill_first_times (GstStructure * stats, gint64 played_us, gint64 first_rtp_us,
    gint64 first_buffer_us)
{
  GstStructure *setup = NULL;

  if (!gst_structure_get (stats, "setup", GST_TYPE_STRUCTURE, &setup, NULL)) {
    GstResilientSetupTimes none;

    gst_resilient_setup_times_init (&none);
    setup = gst_resilient_setup_times_to_structure (&none);
  }
  gst_structure_set (setup,
      "first-rtp-ms", G_TYPE_DOUBLE, played_us > 0 && first_rtp_us > 0 ?
      MAX (first_rtp_us - played_us, 0) / 1000.0 : -1.0,
      "first-buffer-ms", G_TYPE_DOUBLE, played_us > 0 && first_buffer_us > 0 ?
      MAX (first_buffer_us - played_us, 0) / 1000.0 : -1.0, NULL);
  gst_structure_set (stats, "setup", GST_TYPE_STRUCTURE, setup, NULL);
  gst_structure_free (setup);
}

void
gst_resilient_media_fill_stats (GstResilientMedia * media, GstStructure * stats)
{
  GValue array = G_VALUE_INIT;
  GPtrArray *streams;
  guint i;
  guint64 total_frames = 0;
  gint64 played_us, first_rtp_us = 0, first_buffer_us = 0;

  g_value_init (&array, GST_TYPE_ARRAY);

  g_mutex_lock (&media->lock);
  streams = g_ptr_array_copy (media->streams, NULL, NULL);
  played_us = media->played_us;
  g_mutex_unlock (&media->lock);

  for (i = 0; i < streams->len; i++) {
    MediaStream *stream = g_ptr_array_index (streams, i);
    GstStructure *src = media->rtpbin ? remote_source_stats (media, stream) :
        NULL;
    GstStructure *s;
    GValue v = G_VALUE_INIT;
    guint64 packets, bytes, bitrate = 0, frames;
    guint64 duplicates, reordered, rtcp_received, rtcp_sent;
    gint64 now = g_get_monotonic_time ();
    SourceStats ss;

    g_mutex_lock (&media->lock);
    packets = stream->packets;
    bytes = stream->bytes;
    if (now > stream->last_stats_time) {
      bitrate = (bytes - stream->bytes_at_last_stats) * 8 * G_USEC_PER_SEC /
          (now - stream->last_stats_time);
    }
    stream->bytes_at_last_stats = bytes;
    stream->last_stats_time = now;
    duplicates = stream->seq.duplicates;
    reordered = stream->seq.reordered;
    rtcp_received = stream->rtcp_received;
    rtcp_sent = stream->rtcp_sent;
    /* the first of any stream since the last PLAY answer */
    if (stream->first_rtp_us > 0 && (first_rtp_us == 0 ||
            stream->first_rtp_us < first_rtp_us))
      first_rtp_us = stream->first_rtp_us;
    if (stream->first_buffer_us > 0 && (first_buffer_us == 0 ||
            stream->first_buffer_us < first_buffer_us))
      first_buffer_us = stream->first_buffer_us;
    g_mutex_unlock (&media->lock);
    frames = stats_get (&stream->frames);
    total_frames += frames;

    if (media->rtpbin) {
      read_source_stats (src, &ss);
      if (src)
        gst_structure_free (src);
    } else {
      gst_resilient_media_builtin_source_stats (stream, &ss);
    }

    s = gst_structure_new ("stream",
        "index", G_TYPE_UINT, stream->index,
        "media", G_TYPE_STRING, stream->media_type ? stream->media_type : "",
        "encoding-name", G_TYPE_STRING, stream->encoding_name,
        "packets-received", G_TYPE_UINT64, packets,
        "bytes-received", G_TYPE_UINT64, bytes,
        /* rtpsource counts duplicates as negative loss; report none */
        "packets-lost", G_TYPE_INT64, MAX (ss.packets_lost, 0),
        "packets-duplicated", G_TYPE_UINT64, duplicates,
        "packets-reordered", G_TYPE_UINT64, reordered,
        "jitter-ms", G_TYPE_DOUBLE, ss.jitter_ms,
        "fraction-lost", G_TYPE_DOUBLE, ss.fraction_lost,
        "rtt-ms", G_TYPE_DOUBLE, ss.rtt_ms,
        "bitrate", G_TYPE_UINT64, bitrate,
        "ssrc", G_TYPE_UINT, ss.ssrc,
        "have-sr", G_TYPE_BOOLEAN, ss.have_sr,
        "sr-ntptime", G_TYPE_UINT64, ss.sr_ntptime,
        "sr-rtptime", G_TYPE_UINT, ss.sr_rtptime,
        "sync-offset-ms", G_TYPE_DOUBLE, ss.sync_offset_ms,
        "rtcp-packets-received", G_TYPE_UINT64, rtcp_received,
        "rtcp-packets-sent", G_TYPE_UINT64, rtcp_sent,
        "frames-received", G_TYPE_UINT64, frames, NULL);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure (&v, s);
    gst_structure_free (s);
    gst_value_array_append_and_take_value (&array, &v);
  }
  g_ptr_array_unref (streams);

  gst_structure_take_value (stats, "streams", &array);
  gst_structure_set (stats, "frames-received", G_TYPE_UINT64, total_frames,
      NULL);
  fill_first_times (stats, played_us, first_rtp_us, first_buffer_us);
}

static void
stream_free (GstResilientMedia * media, MediaStream * stream)
{
  GList *l;

  if (stream->rtp_src) {
    gst_pad_set_active (stream->rtp_src, FALSE);
    gst_pad_set_active (stream->rtcp_src, FALSE);
    gst_object_unref (stream->rtp_src);
    gst_object_unref (stream->rtcp_src);
  }
  if (media->rtpbin == NULL)
    gst_resilient_media_builtin_stream_clear (stream);
  if (stream->rtcp_sink) {
    gst_pad_set_active (stream->rtcp_sink, FALSE);
    gst_object_unref (stream->rtcp_sink);
  }

  gst_pad_set_active (stream->ghost, FALSE);
  gst_element_remove_pad (GST_ELEMENT (media->bin), stream->ghost);
  if (stream->depay) {
    gst_element_set_state (stream->depay, GST_STATE_NULL);
    gst_bin_remove (media->bin, stream->depay);
  }
  for (l = stream->old_sinks; l; l = l->next) {
    gst_element_set_state (l->data, GST_STATE_NULL);
    gst_bin_remove (media->bin, l->data);
  }
  g_list_free (stream->old_sinks);
  if (stream->rtpbin_src)
    gst_object_unref (stream->rtpbin_src);
  if (stream->caps)
    gst_caps_unref (stream->caps);
  if (stream->pt_caps)
    gst_structure_free (stream->pt_caps);
  g_free (stream->media_type);
  g_free (stream->encoding_name);
  g_free (stream);
}

void
gst_resilient_media_free (GstResilientMedia * media)
{
  guint i;

  g_mutex_lock (&media->lock);
  media->shutting_down = TRUE;
  g_mutex_unlock (&media->lock);

  if (media->rtpbin) {
    g_signal_handler_disconnect (media->rtpbin, media->pad_added_id);
    g_signal_handler_disconnect (media->rtpbin, media->pt_map_id);
  }

  for (i = 0; i < media->streams->len; i++)
    stream_free (media, g_ptr_array_index (media->streams, i));
  g_ptr_array_unref (media->streams);

  if (media->rtpbin) {
    gst_element_set_state (media->rtpbin, GST_STATE_NULL);
    gst_bin_remove (media->bin, media->rtpbin);
  }

  g_mutex_clear (&media->lock);
  g_free (media);
}

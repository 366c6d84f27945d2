/* resilientrtsp
 * media-builtin.c: the built-in RTP receive path (rtp-manager=builtin), in
 * place of rtpbin and its three threads per stream.
 *
 *   I/O thread        gst_resilient_media_push ─▶ jitter (reorder, loss,
 *                     timestamps) ─▶ the stream's outlet queue
 *   delivery thread   outlet ─▶ internal_out_N ─▶ depayloader / stream_N
 *                     wake-ups: first output (linking downstream), the
 *                     jitterbuffer's deadlines, our receiver reports
 *
 * Nothing here blocks the I/O thread: the jitterbuffer is a data structure
 * and the outlet only queues. RTCP from the server is parsed for its
 * sender reports (stats, LSR/DLSR of our reports); our receiver reports go
 * out through the media's send_rtcp callback at RFC 3550 intervals.
 *
 * Inter-stream sync (lip-sync), as rtpbin does it: each stream is timed
 * from its own arrivals, so a stream whose sender (encoder) takes longer
 * has later PTS than the others for the same capture instant. Each sender
 * report of a stream's current source gives d = PTS(SR RTP time) − SR NTP
 * time: how late the stream's PTS run behind the sender's clock. With d
 * known for two streams or more, every stream is delayed by
 * max(d) − d (the latest stream gets 0) through the jitterbuffer's
 * ts-offset, refreshed at every SR:
 *  - all streams of a GstResilientMedia are taken to share the sender's
 *    NTP clock (one element = one RTSP session = one camera); rtpbin groups
 *    by SDES CNAME, which rtcp.c does not parse (a server mixing senders in
 *    one session is not lined up correctly);
 *  - an offset is changed only when it moves by more than SYNC_MIN_CHANGE
 *    (5 ms): less than a video frame or an audio packet, more than the
 *    loopback/LAN wobble of the skew estimate, so the PTS do not step at
 *    every SR for nothing;
 *  - when the d differ by more than SYNC_MAX_OFFSET (1 s) the reports are
 *    taken as inconsistent (streams stamped from different clocks, a bogus
 *    SR): the offsets stay as they are (as rtpbin's max-ts-offset ignores
 *    such an adjustment), so no SR can delay a stream by more than 1 s;
 *  - a stream restart (new SSRC, sequence jump, a new PLAY) forgets the
 *    stream's d until its next SR; its offset stays meanwhile.
 *
 * locking: the per-stream fields are under media->lock (media-private.h);
 * the outlet's pool lock may be taken inside it, never the other way.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "media-private.h"

GST_DEBUG_CATEGORY_STATIC (media_builtin_debug);
#define GST_CAT_DEFAULT media_builtin_debug

static void
ensure_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (media_builtin_debug, "resilientrtspbuiltin", 0,
        "resilientrtsp built-in RTP receive path");
    g_once_init_leave (&once, 1);
  }
}

/* The caps of payload type @pt (transfer full), NULL when the SDP did not
 * describe it. media->lock held. */
static GstCaps *
caps_for_pt (MediaStream * stream, guint pt)
{
  gchar name[16];
  const GValue *v;
  gint payload = -1;

  g_snprintf (name, sizeof (name), "pt-%u", pt);
  v = stream->pt_caps ? gst_structure_get_value (stream->pt_caps, name) : NULL;
  if (v && GST_VALUE_HOLDS_CAPS (v))
    return gst_caps_copy (gst_value_get_caps (v));
  if (stream->caps == NULL || gst_caps_get_size (stream->caps) == 0)
    return NULL;
  if (!gst_structure_get_int (gst_caps_get_structure (stream->caps, 0),
          "payload", &payload) || payload == (gint) pt)
    return gst_caps_ref (stream->caps);
  return NULL;
}

static guint
caps_clock_rate (GstCaps * caps)
{
  gint rate = 0;

  if (caps && gst_caps_get_size (caps) > 0)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
        &rate);
  return rate > 0 ? rate : 0;
}

/* Appends @item to what the stream outputs: to the outlet once the output
 * is linked, to the pending queue before (the first wake-up links it).
 * media->lock held. */
static void
output (MediaStream * stream, GstMiniObject * item)
{
  if (stream->attached)
    gst_resilient_outlet_queue (stream->outlet, item);
  else
    gst_queue_array_push_tail (stream->pending, item);
}

static void
output_many (MediaStream * stream, GstQueueArray * items)
{
  if (gst_queue_array_is_empty (items))
    return;
  if (stream->attached) {
    gst_resilient_outlet_queue_many (stream->outlet, items);
  } else {
    GstMiniObject *item;

    while ((item = gst_queue_array_pop_head (items)))
      gst_queue_array_push_tail (stream->pending, item);
  }
}

/* The next wake-up: now when output waits to be linked, else the earliest
 * of the jitterbuffer's deadline and the next receiver report. @now /
 * @now_us: the same instant as running time and monotonic µs.
 * media->lock held. */
static void
reschedule (MediaStream * stream, GstClockTime now, gint64 now_us)
{
  GstClockTime deadline;
  gint64 when = 0;

  if (!stream->attached && !gst_queue_array_is_empty (stream->pending)) {
    when = now_us;
  } else {
    deadline = gst_resilient_jitter_next_deadline (stream->jitter);
    if (GST_CLOCK_TIME_IS_VALID (deadline) && GST_CLOCK_TIME_IS_VALID (now))
      when = now_us + (deadline > now ? (gint64) ((deadline - now) / 1000) : 0);
    if (stream->next_rr_us > 0 && (when == 0 || stream->next_rr_us < when))
      when = stream->next_rr_us;
  }
  if (when != stream->wakeup_us) {
    stream->wakeup_us = when;
    gst_resilient_outlet_set_wakeup (stream->outlet, when);
  }
}

#define SYNC_MIN_CHANGE (5 * GST_MSECOND)
#define SYNC_MAX_OFFSET GST_SECOND

/* NTP 32.32 fixed point → ns (fits a gint64: < 2^32 s) */
static gint64
ntp_to_ns (guint64 ntptime)
{
  return (gint64) ((ntptime >> 32) * GST_SECOND) +
      (gint64) gst_util_uint64_scale (ntptime & G_MAXUINT32, GST_SECOND,
      G_GUINT64_CONSTANT (1) << 32);
}

/* Lines up the streams whose d is known (see above). media->lock held. */
static void
sync_streams (GstResilientMedia * media)
{
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  guint i, n = 0;

  for (i = 0; i < media->streams->len; i++) {
    MediaStream *s = g_ptr_array_index (media->streams, i);

    if (s->jitter && s->have_sync_delta) {
      lo = MIN (lo, s->sync_delta);
      hi = MAX (hi, s->sync_delta);
      n++;
    }
  }
  if (n < 2)
    return;
  if (hi - lo > (gint64) SYNC_MAX_OFFSET) {
    GST_INFO ("sender reports %" G_GINT64_FORMAT " ms apart (more than %"
        G_GUINT64_FORMAT " ms): not synchronising", (hi - lo) / GST_MSECOND,
        SYNC_MAX_OFFSET / GST_MSECOND);
    return;
  }

  for (i = 0; i < media->streams->len; i++) {
    MediaStream *s = g_ptr_array_index (media->streams, i);
    GstClockTime offset;
    GstClockTimeDiff change;

    if (!s->jitter || !s->have_sync_delta)
      continue;
    offset = (GstClockTime) (hi - s->sync_delta);
    change = GST_CLOCK_DIFF (s->sync_offset, offset);
    if (ABS (change) <= (GstClockTimeDiff) SYNC_MIN_CHANGE)
      continue;
    GST_DEBUG ("stream %u: ts-offset %" GST_TIME_FORMAT " -> %"
        GST_TIME_FORMAT, s->index, GST_TIME_ARGS (s->sync_offset),
        GST_TIME_ARGS (offset));
    s->sync_offset = offset;
    gst_resilient_jitter_set_ts_offset (s->jitter, offset);
  }
}

static void
on_rtcp (MediaStream * stream, GstBuffer * buf)
{
  GstResilientRtcpInfo info;
  GstResilientRtcpSourceCounts counts;
  GstClockTime pts;

  if (!gst_resilient_rtcp_parse (buf, stream->our_ssrc,
          g_get_monotonic_time (), &info)) {
    GST_LOG ("stream %u: invalid RTCP packet ignored", stream->index);
    return;
  }
  gst_resilient_jitter_get_counts (stream->jitter, &counts);
  /* the sender report of the source we receive (or of the only one seen
   * so far, before its first RTP packet) */
  if (info.have_sr && (counts.received == 0 || info.sr.ssrc == counts.ssrc))
    gst_resilient_rtcp_receiver_state_sr (&stream->rtcp, &info.sr);
  /* the current source's: where its PTS run against the sender's clock */
  if (info.have_sr && counts.received > 0 && info.sr.ssrc == counts.ssrc &&
      gst_resilient_jitter_rtp_to_pts (stream->jitter, info.sr.rtptime, &pts)) {
    stream->sync_delta = (gint64) pts - ntp_to_ns (info.sr.ntptime);
    stream->have_sync_delta = TRUE;
    GST_LOG ("stream %u: SR RTP time %u is PTS %" GST_TIME_FORMAT
        ", d %" G_GINT64_FORMAT " ns", stream->index, info.sr.rtptime,
        GST_TIME_ARGS (pts), stream->sync_delta);
    sync_streams (stream->media);
  }
  if (info.bye)
    GST_INFO ("stream %u: BYE from %08x", stream->index, info.bye_ssrc);
}

void
gst_resilient_media_builtin_push (GstResilientMedia * media,
    MediaStream * stream, gboolean is_rtcp, GstBuffer * buf, gint pt,
    GstClockTime arrival)
{
  GstCaps *caps = NULL;
  gint64 now_us = g_get_monotonic_time ();

  if (is_rtcp) {
    on_rtcp (stream, buf);
    gst_buffer_unref (buf);
    return;
  }

  if (pt < 0) {
    gst_buffer_unref (buf);
    return;
  }

  /* a payload type the SDP describes, other than the current one: its
   * caps (and clock rate) from now on */
  if (pt != stream->current_pt) {
    caps = caps_for_pt (stream, pt);
    if (caps || stream->current_pt < 0) {
      stream->current_pt = pt;
      if (caps)
        gst_resilient_jitter_set_clock_rate (stream->jitter,
            caps_clock_rate (caps));
    }
  } else if (stream->caps_changed && stream->caps) {
    caps = caps_for_pt (stream, pt);
  }
  stream->caps_changed = FALSE;

  if (!stream->events_sent) {
    gchar *id = g_strdup_printf ("resilientrtsp/%p/%u", (gpointer) media,
        stream->index);
    GstSegment segment;

    stream->events_sent = TRUE;
    output (stream, GST_MINI_OBJECT_CAST (gst_event_new_stream_start (id)));
    g_free (id);
    if (caps == NULL && stream->caps)
      caps = gst_caps_ref (stream->caps);
    if (caps)
      output (stream, GST_MINI_OBJECT_CAST (gst_event_new_caps (caps)));
    gst_segment_init (&segment, GST_FORMAT_TIME);
    output (stream, GST_MINI_OBJECT_CAST (gst_event_new_segment (&segment)));
  } else if (caps) {
    output (stream, GST_MINI_OBJECT_CAST (gst_event_new_caps (caps)));
  }
  if (caps)
    gst_caps_unref (caps);

  if (!GST_CLOCK_TIME_IS_VALID (arrival)) {
    /* no running time (not PLAYING yet): nothing to time it against; it
     * goes out untimed, before the jitterbuffer starts */
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    output (stream, GST_MINI_OBJECT_CAST (buf));
  } else {
    /* a restart re-times the stream: its d waits for the next SR */
    if (gst_resilient_jitter_push (stream->jitter, buf, arrival,
            stream->released) == GST_RESILIENT_JITTER_RESTARTED)
      stream->have_sync_delta = FALSE;
    output_many (stream, stream->released);
  }

  if (stream->next_rr_us == 0 && media->settings.do_rtcp)
    stream->next_rr_us = now_us +
        gst_resilient_rtcp_interval_us (TRUE, g_random_double ());
  reschedule (stream, arrival, now_us);
}

/* A delivery thread: link the output before its first push, release what
 * the jitterbuffer held past its deadline, send a receiver report when
 * due. */
static void
on_wake (GstResilientOutlet * outlet, gpointer user_data)
{
  MediaStream *stream = user_data;
  GstResilientMedia *media = stream->media;
  GstClockTime now;
  gint64 now_us;
  GstBuffer *rr = NULL;
  gboolean attach;

  g_mutex_lock (&media->lock);
  stream->wakeup_us = 0;
  attach = !stream->attached && !media->shutting_down &&
      !gst_queue_array_is_empty (stream->pending);
  g_mutex_unlock (&media->lock);

  /* links, and may query the peer's caps: not under the lock */
  if (attach)
    gst_resilient_media_attach_output (media, stream, stream->rtp_out);

  now = gst_element_get_current_running_time (GST_ELEMENT (media->bin));
  now_us = g_get_monotonic_time ();

  g_mutex_lock (&media->lock);
  if (attach) {
    stream->attached = TRUE;
    gst_resilient_outlet_queue_many (stream->outlet, stream->pending);
  }
  if (GST_CLOCK_TIME_IS_VALID (now)) {
    gst_resilient_jitter_advance (stream->jitter, now, stream->released);
    output_many (stream, stream->released);
  }
  if (stream->next_rr_us > 0 && now_us >= stream->next_rr_us &&
      !media->shutting_down) {
    GstResilientRtcpSourceCounts counts;

    gst_resilient_jitter_get_counts (stream->jitter, &counts);
    rr = gst_resilient_rtcp_build_rr (stream->our_ssrc, stream->cname,
        &counts, &stream->rtcp, now_us);
    stream->rtcp_sent++;
    stream->next_rr_us = now_us +
        gst_resilient_rtcp_interval_us (FALSE, g_random_double ());
  }
  if (!media->shutting_down)
    reschedule (stream, now, now_us);
  g_mutex_unlock (&media->lock);

  if (rr) {
    if (media->callbacks.send_rtcp)
      media->callbacks.send_rtcp (media, stream->index, rr, media->user_data);
    else
      gst_buffer_unref (rr);
  }
}

/* The output pad answers what rtpbin's pads would: live, with the
 * jitterbuffer's latency; its caps. */
static gboolean
rtp_out_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  MediaStream *stream = gst_pad_get_element_private (pad);
  GstResilientMedia *media = stream->media;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      gst_query_set_latency (query, TRUE,
          media->settings.latency_ms * GST_MSECOND, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:{
      GstCaps *filter = NULL, *caps = gst_pad_get_current_caps (pad);

      if (caps == NULL) {
        g_mutex_lock (&media->lock);
        caps = stream->caps ? gst_caps_ref (stream->caps) :
            gst_caps_new_empty_simple ("application/x-rtp");
        g_mutex_unlock (&media->lock);
      }
      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *both = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);

        gst_caps_unref (caps);
        caps = both;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

void
gst_resilient_media_builtin_stream_init (GstResilientMedia * media,
    MediaStream * stream)
{
  GstResilientJitterSettings js = { 0, };
  gchar *name;

  ensure_debug ();

  js.latency = media->settings.latency_ms * GST_MSECOND;
  /* released two delivery intervals before the latency runs out */
  js.margin = MIN (2 * GST_RESILIENT_OUTLET_INTERVAL_US * GST_USECOND,
      js.latency / 2);
  js.do_lost = TRUE;
  stream->jitter = gst_resilient_jitter_new (&js, caps_clock_rate
      (stream->caps));
  stream->current_pt = -1;
  stream->pending = gst_queue_array_new (16);
  stream->released = gst_queue_array_new (64);
  stream->our_ssrc = g_random_int ();
  stream->cname = g_strdup_printf ("user%u@host-%x", g_random_int (),
      g_random_int ());

  name = g_strdup_printf ("internal_out_%u", stream->index);
  stream->rtp_out = gst_pad_new (name, GST_PAD_SRC);
  g_free (name);
  gst_pad_set_element_private (stream->rtp_out, stream);
  gst_pad_set_query_function (stream->rtp_out, rtp_out_query);
  gst_pad_set_active (stream->rtp_out, TRUE);
  stream->outlet = gst_resilient_outlet_new (stream->rtp_out, on_wake, stream);
}

void
gst_resilient_media_builtin_stream_clear (MediaStream * stream)
{
  GstPad *peer;

  /* a push in progress returns FLUSHING, so freeing the outlet can wait */
  gst_pad_set_active (stream->rtp_out, FALSE);
  gst_resilient_outlet_free (stream->outlet);
  stream->outlet = NULL;
  peer = gst_pad_get_peer (stream->rtp_out);
  if (peer) {
    gst_pad_unlink (stream->rtp_out, peer);
    gst_object_unref (peer);
  }
  gst_object_unref (stream->rtp_out);
  stream->rtp_out = NULL;
  gst_queue_array_free (stream->released);      /* empty between calls */
  stream->released = NULL;
  while (!gst_queue_array_is_empty (stream->pending))
    gst_mini_object_unref (gst_queue_array_pop_head (stream->pending));
  gst_queue_array_free (stream->pending);
  stream->pending = NULL;
  gst_resilient_jitter_free (stream->jitter);
  stream->jitter = NULL;
  g_free (stream->cname);
  stream->cname = NULL;
}

void
gst_resilient_media_builtin_playing (MediaStream * stream)
{
  gst_resilient_jitter_reset (stream->jitter);
  stream->have_sync_delta = FALSE;
}

void
gst_resilient_media_builtin_source_stats (MediaStream * stream,
    SourceStats * out)
{
  GstResilientMedia *media = stream->media;
  GstResilientRtcpSourceCounts counts;
  GstResilientJitterTotals totals;

  g_mutex_lock (&media->lock);
  gst_resilient_jitter_get_counts (stream->jitter, &counts);
  gst_resilient_jitter_get_totals (stream->jitter, &totals);
  out->ssrc = counts.ssrc;
  out->packets_lost = totals.lost;
  out->jitter_ms = totals.jitter_ns / (gdouble) GST_MSECOND;
  out->fraction_lost = stream->rtcp.reported ?
      stream->rtcp.last_fraction_lost / 256.0 : -1.0;
  out->rtt_ms = -1.0;
  out->have_sr = stream->rtcp.have_sr;
  out->sr_ntptime = stream->rtcp.have_sr ? stream->rtcp.last_sr.ntptime : 0;
  out->sr_rtptime = stream->rtcp.have_sr ? stream->rtcp.last_sr.rtptime : 0;
  out->sync_offset_ms = stream->sync_offset / (gdouble) GST_MSECOND;
  g_mutex_unlock (&media->lock);
}

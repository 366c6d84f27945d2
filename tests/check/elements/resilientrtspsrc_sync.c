/* resilientrtsp tests
 * resilientrtspsrc_sync.c: inter-stream sync (lip-sync) of
 * rtp-manager=builtin from the server's RTCP sender reports, against the
 * real test server.
 *
 * The server is made to behave as a camera whose video encoder is slower
 * than its audio one (video_delay_ms: its H.264 packets leave ≥ 150 ms
 * after capture, and its sender reports map RTP to NTP time by capture
 * time). With depayload=false every output buffer is an RTP packet: its RTP
 * time and the stream's latest sender report (sr-ntptime / sr-rtptime in
 * the stats) give the sender's (capture) time of the buffer; PTS − that
 * time must be the same on the video and the audio pad once the streams
 * are synced, and was apart by the video's extra delay before the first
 * sender report (no sync possible yet). UDP and TCP interleaved.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "../../server/testserver.h"

/* what the server's video branch adds on top of the encoder's own delay */
#define VIDEO_DELAY_MS 150

/* How far apart PTS − sender time may be on the two pads once synced: an
 * offset moves only by more than 5 ms (so up to 5 ms may remain), and each
 * stream's timing (the least transit over the last 1-2 s) wobbles by the
 * loopback's and the encoders' jitter between an SR and the packets
 * measured, a few ms per stream (< 0.5 ms seen): 15 ms, below an Opus
 * packet (20 ms) and a video frame (66 ms at 15 fps). */
#define TOLERANCE (15 * GST_MSECOND)

/* the RTP packets one pad output: PTS and RTP time of each, in order */
typedef struct
{
  guint index;                  /* stream_%u */
  guint clock_rate;
  GArray *pts;                  /* GstClockTime */
  GArray *rtptime;              /* guint32 */
} PadSamples;

typedef struct
{
  GMutex lock;
  PadSamples pads[2];
  guint n_pads;
} Samples;

static void
record (Samples * s, PadSamples * ps, GstBuffer * buf)
{
  guint8 header[8];
  guint32 rtptime;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  /* the RTP timestamp: bytes 4-7 of the fixed header */
  if (!GST_CLOCK_TIME_IS_VALID (pts) ||
      gst_buffer_extract (buf, 0, header, sizeof (header)) != sizeof (header))
    return;
  rtptime = GST_READ_UINT32_BE (header + 4);
  g_mutex_lock (&s->lock);
  g_array_append_val (ps->pts, pts);
  g_array_append_val (ps->rtptime, rtptime);
  g_mutex_unlock (&s->lock);
}

static gboolean
record_one (GstBuffer ** buf, guint idx, gpointer user_data)
{
  gpointer *ctx = user_data;

  record (ctx[0], ctx[1], *buf);
  return TRUE;
}

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, Samples * s)
{
  PadSamples *ps = g_object_get_data (G_OBJECT (pad), "rr-samples");
  gpointer ctx[2] = { s, ps };

  if (ps->clock_rate == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    gint rate = 0;

    if (caps) {
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
          &rate);
      gst_caps_unref (caps);
    }
    g_mutex_lock (&s->lock);
    ps->clock_rate = rate > 0 ? rate : 0;
    g_mutex_unlock (&s->lock);
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    record (s, ps, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        record_one, ctx);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, Samples * s)
{
  PadSamples *ps;
  guint index;

  fail_unless (sscanf (GST_PAD_NAME (pad), "stream_%u", &index) == 1);
  g_mutex_lock (&s->lock);
  fail_unless (s->n_pads < G_N_ELEMENTS (s->pads));
  ps = &s->pads[s->n_pads++];
  ps->index = index;
  g_mutex_unlock (&s->lock);
  g_object_set_data (G_OBJECT (pad), "rr-samples", ps);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, (GstPadProbeCallback) on_buffer, s, NULL);
}

/* What the stats say about stream @index. */
typedef struct
{
  gboolean have_sr;
  guint64 sr_ntptime;
  guint sr_rtptime;
  gdouble sync_offset_ms;
  gchar *media;
} StreamStats;

static gboolean
get_stream_stats (GstElement * src, guint index, StreamStats * out)
{
  GstStructure *stats = NULL;
  const GValue *streams;
  gboolean found = FALSE;
  guint i;

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  streams = gst_structure_get_value (stats, "streams");
  for (i = 0; streams && i < gst_value_array_get_size (streams); i++) {
    const GstStructure *st =
        gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint idx;

    if (!gst_structure_get_uint (st, "index", &idx) || idx != index)
      continue;
    fail_unless (gst_structure_get_boolean (st, "have-sr", &out->have_sr));
    fail_unless (gst_structure_get_uint64 (st, "sr-ntptime", &out->sr_ntptime));
    fail_unless (gst_structure_get_uint (st, "sr-rtptime", &out->sr_rtptime));
    fail_unless (gst_structure_get_double (st, "sync-offset-ms",
            &out->sync_offset_ms));
    g_free (out->media);
    out->media = g_strdup (gst_structure_get_string (st, "media"));
    found = TRUE;
  }
  gst_structure_free (stats);
  return found;
}

static gint
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The median over the pad's packets [from, to) of PTS − the sender's NTP
 * time of their RTP time (by the sender report @ntptime / @rtptime), ns.
 * (NTP time in ns fits a gint64; RTP times within 2^31 ticks of the SR's.) */
static gint64
median_delay (Samples * s, PadSamples * ps, guint from, guint to,
    guint64 ntptime, guint32 rtptime)
{
  GArray *d = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 ntp_ns, median;
  guint i;

  ntp_ns = (gint64) ((ntptime >> 32) * GST_SECOND) +
      (gint64) gst_util_uint64_scale (ntptime & G_MAXUINT32, GST_SECOND,
      G_GUINT64_CONSTANT (1) << 32);
  g_mutex_lock (&s->lock);
  fail_unless (ps->clock_rate > 0);
  fail_unless (to <= ps->pts->len && from < to);
  for (i = from; i < to; i++) {
    gint64 ticks = (gint32) (g_array_index (ps->rtptime, guint32, i) - rtptime);
    gint64 sender = ntp_ns + ticks * (gint64) GST_SECOND /
        (gint64) ps->clock_rate;
    gint64 delay = (gint64) g_array_index (ps->pts, GstClockTime, i) - sender;

    g_array_append_val (d, delay);
  }
  g_mutex_unlock (&s->lock);
  g_array_sort (d, compare_int64);
  median = g_array_index (d, gint64, d->len / 2);
  g_array_unref (d);
  return median;
}

static guint
n_samples (Samples * s, guint pad)
{
  guint n;

  g_mutex_lock (&s->lock);
  n = s->pads[pad].pts->len;
  g_mutex_unlock (&s->lock);
  return n;
}

static void
check_lip_sync (GstRTSPLowerTrans protocols)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  RrPipeline *p;
  Samples s;
  StreamStats st[2];
  guint unsynced[2] = { 0, 0 }, synced_from[2] = { 0, 0 };
  guint first_sr[2];
  guint video, audio, i;
  gint64 deadline, unsynced_skew, synced_skew;
  gchar *url;

  memset (&s, 0, sizeof (s));
  memset (st, 0, sizeof (st));
  g_mutex_init (&s.lock);
  for (i = 0; i < 2; i++) {
    s.pads[i].pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
    s.pads[i].rtptime = g_array_new (FALSE, FALSE, sizeof (guint32));
  }

  config.with_audio = TRUE;
  config.video_delay_ms = VIDEO_DELAY_MS;
  server = rr_test_server_new (&config);
  url = rr_test_server_get_url (server, "/test");
  p = rr_pipeline_new (url, "protocols", protocols, NULL);
  gst_util_set_object_arg (G_OBJECT (p->src), "rtp-manager", "builtin");
  gst_util_set_object_arg (G_OBJECT (p->src), "depayload", "false");
  g_signal_connect (p->src, "pad-added", G_CALLBACK (on_pad_added), &s);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5));
  fail_unless_equals_int (s.n_pads, 2);

  /* Until an SR came in on either stream no offset can be set: the
   * packets counted before a stats read that saw none are unsynced. Then
   * wait for both SRs and the offset (the server's first SRs come within a
   * few seconds, then every 2-6 s), and for one more SR of each stream:
   * the first SRs may come while the streams' timing still settles (the
   * least transit of the first second, a burst at the start), the next
   * ones refresh the offsets with settled timing. */
  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  for (;;) {
    guint n[2];
    gboolean any_sr, all_sr, offset;

    n[0] = n_samples (&s, 0);
    n[1] = n_samples (&s, 1);
    fail_unless (get_stream_stats (p->src, s.pads[0].index, &st[0]));
    fail_unless (get_stream_stats (p->src, s.pads[1].index, &st[1]));
    any_sr = st[0].have_sr || st[1].have_sr;
    all_sr = st[0].have_sr && st[1].have_sr;
    offset = st[0].sync_offset_ms > 0 || st[1].sync_offset_ms > 0;
    if (!any_sr) {
      unsynced[0] = n[0];
      unsynced[1] = n[1];
    }
    if (all_sr && offset)
      break;
    fail_unless (g_get_monotonic_time () < deadline,
        "no sync in 60 s (SR: %d %d, offsets %.1f %.1f ms)", st[0].have_sr,
        st[1].have_sr, st[0].sync_offset_ms, st[1].sync_offset_ms);
    g_usleep (20 * 1000);
  }
  first_sr[0] = st[0].sr_rtptime;
  first_sr[1] = st[1].sr_rtptime;
  while (st[0].sr_rtptime == first_sr[0] || st[1].sr_rtptime == first_sr[1]) {
    fail_unless (g_get_monotonic_time () < deadline, "no second SR in 60 s");
    g_usleep (20 * 1000);
    fail_unless (get_stream_stats (p->src, s.pads[0].index, &st[0]));
    fail_unless (get_stream_stats (p->src, s.pads[1].index, &st[1]));
  }
  /* (buffers released before an offset change may still be on their way
   * to the pads, and a decrease is spread: the first 50 are skipped) */
  synced_from[0] = n_samples (&s, 0);
  synced_from[1] = n_samples (&s, 1);
  /* the sender's first SR comes ≥ 1 s after its start: packets before */
  fail_unless (unsynced[0] >= 10 && unsynced[1] >= 10,
      "only %u / %u packets before the first SR", unsynced[0], unsynced[1]);

  video = g_strcmp0 (st[0].media, "video") == 0 ? 0 : 1;
  audio = 1 - video;
  fail_unless_equals_string (st[video].media, "video");
  fail_unless_equals_string (st[audio].media, "audio");
  /* the video stream arrives later (the encoder, the delay): the audio
   * one is delayed to match (by 70 or 135 ms, see below) */
  fail_unless (st[audio].sync_offset_ms * GST_MSECOND >= 3 * TOLERANCE,
      "audio offset %.1f ms", st[audio].sync_offset_ms);
  fail_unless (st[video].sync_offset_ms == 0.0,
      "video offset %.1f ms", st[video].sync_offset_ms);

  /* 200 more packets on each pad (4 s of audio, some 3 s of video; the
   * first 50 are skipped below); the SRs then (a stream's RTP ↔ NTP
   * mapping is linear: any of its SRs gives the same NTP times) */
  for (i = 0; i < 2; i++) {
    deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
    while (n_samples (&s, i) < synced_from[i] + 200) {
      fail_unless (g_get_monotonic_time () < deadline,
          "pad %u: no packets after the sync", i);
      g_usleep (50 * 1000);
    }
  }
  fail_unless (get_stream_stats (p->src, s.pads[0].index, &st[0]));
  fail_unless (get_stream_stats (p->src, s.pads[1].index, &st[1]));

  /* PTS − NTP: the same on both pads after the sync, apart by the
   * video's extra delay before it (the later half of the packets before
   * the first SR: the first ones may come in a burst) */
  unsynced_skew = median_delay (&s, &s.pads[video], unsynced[video] / 2,
      unsynced[video], st[video].sr_ntptime, st[video].sr_rtptime) -
      median_delay (&s, &s.pads[audio], unsynced[audio] / 2, unsynced[audio],
      st[audio].sr_ntptime, st[audio].sr_rtptime);
  synced_skew = median_delay (&s, &s.pads[video], synced_from[video] + 50,
      n_samples (&s, video), st[video].sr_ntptime, st[video].sr_rtptime) -
      median_delay (&s, &s.pads[audio], synced_from[audio] + 50,
      n_samples (&s, audio), st[audio].sr_ntptime, st[audio].sr_rtptime);
  GST_INFO ("video − audio (PTS − NTP): %" G_GINT64_FORMAT
      " µs unsynced, %" G_GINT64_FORMAT
      " µs synced; offsets video %.1f audio %.1f ms", unsynced_skew / 1000,
      synced_skew / 1000, st[video].sync_offset_ms, st[audio].sync_offset_ms);

  fail_unless (ABS (synced_skew) <= TOLERANCE,
      "synced: video − audio %" G_GINT64_FORMAT " µs", synced_skew / 1000);
  /* and the test can tell: without the sync the video was late by the
   * server's queue (it lets a frame go when one ≥ 150 ms later came in: 2
   * or 3 frames of 66 ms) and the encoders' difference: 70 or 135 ms seen,
   * the first at the start of some runs. */
  fail_unless (unsynced_skew >= 3 * TOLERANCE,
      "unsynced: video − audio %" G_GINT64_FORMAT " µs",
      unsynced_skew / 1000);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
  for (i = 0; i < 2; i++) {
    g_array_unref (s.pads[i].pts);
    g_array_unref (s.pads[i].rtptime);
    g_free (st[i].media);
  }
  g_mutex_clear (&s.lock);
}

GST_START_TEST (test_lip_sync_udp)
{
  check_lip_sync (GST_RTSP_LOWER_TRANS_UDP);
}

GST_END_TEST;

GST_START_TEST (test_lip_sync_tcp)
{
  check_lip_sync (GST_RTSP_LOWER_TRANS_TCP);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_sync_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_sync");
  TCase *tc = tcase_create ("sync");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lip_sync_udp);
  tcase_add_test (tc, test_lip_sync_tcp);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_sync);

/* resilientrtsp tests
 * resilientrtspsrc_builtin.c: what rtp-manager=builtin promises beyond
 * playing (the other integration suites run once more with it, see
 * meson.build): no thread per stream, timestamps and latency as rtpbin's,
 * receiver reports sent, one blocked downstream does not stall the other
 * streams, and stopping works while downstream blocks.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "../../server/testserver.h"

/* Threads of this process whose name starts with @prefix. */
static guint
count_threads (const gchar * prefix)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((tid = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        g_str_has_prefix (comm, prefix))
      n++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

static RrPipeline *
play_video (const gchar * url, const gchar * manager, guint protocols)
{
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols, NULL);

  gst_util_set_object_arg (G_OBJECT (p->src), "rtp-manager", manager);
  rr_pipeline_play (p);
  return p;
}

/* rtpbin's jitterbuffers run two threads per stream ("rtpjitterbuffer",
 * "timer"); the built-in path none. (The in-process server's rtpbin only
 * sends, so it has no jitterbuffer.) */
GST_START_TEST (test_no_jitterbuffer_threads)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p[3];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (p); i++)
    p[i] = play_video (url, "builtin", GST_RTSP_LOWER_TRANS_UDP);
  for (i = 0; i < G_N_ELEMENTS (p); i++)
    fail_unless (rr_pipeline_wait_buffers (p[i], 2, 10));
  fail_unless_equals_int (count_threads ("rtpjitterbuffer"), 0);
  fail_unless_equals_int (count_threads ("timer"), 0);
  fail_unless (count_threads ("rrtsp-out") >= 1);
  for (i = 0; i < G_N_ELEMENTS (p); i++)
    rr_pipeline_free (p[i]);

  /* the same with rtpbin: the count above can tell them apart */
  p[0] = play_video (url, "rtpbin", GST_RTSP_LOWER_TRANS_UDP);
  fail_unless (rr_pipeline_wait_buffers (p[0], 2, 10));
  fail_unless (count_threads ("rtpjitterbuffer") >= 2);
  rr_pipeline_free (p[0]);

  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

static void
check_timestamps (guint protocols)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = play_video (url, "builtin", protocols);
  GstQuery *query;
  GstPad *pad;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  guint i;

  fail_unless (rr_pipeline_wait_buffers (p, 2, 30));
  g_mutex_lock (&p->lock);
  for (i = 0; i < p->pads->len; i++) {
    RrPadInfo *info = g_ptr_array_index (p->pads, i);

    fail_unless (GST_CLOCK_TIME_IS_VALID (info->last_pts),
        "pad %s: no PTS", info->name);
    fail_unless_equals_int (info->pts_regressions, 0);
  }
  g_mutex_unlock (&p->lock);

  /* live, with the jitterbuffer's latency (the fixture sets 200 ms); asked
   * on the pad (the fixture's sinks do not sync, so the pipeline's answer
   * would not be live) */
  query = gst_query_new_latency ();
  pad = gst_element_get_static_pad (p->src, "stream_0");
  fail_unless (pad != NULL);
  fail_unless (gst_pad_query (pad, query));
  gst_object_unref (pad);
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless (live);
  fail_unless (min >= 200 * GST_MSECOND, "latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min));
  gst_query_unref (query);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_timestamps_and_latency_udp)
{
  check_timestamps (GST_RTSP_LOWER_TRANS_UDP);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_and_latency_tcp)
{
  check_timestamps (GST_RTSP_LOWER_TRANS_TCP);
}

GST_END_TEST;

static const GstStructure *
first_stream (const GstStructure * stats)
{
  const GValue *streams = gst_structure_get_value (stats, "streams");

  if (streams == NULL || gst_value_array_get_size (streams) == 0)
    return NULL;
  return gst_value_get_structure (gst_value_array_get_value (streams, 0));
}

/* Receiver reports go out at RFC 3550 intervals (the first within ~3 s)
 * and the stream's statistics come from the built-in path. */
GST_START_TEST (test_receiver_reports_and_stats)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = play_video (url, "builtin", GST_RTSP_LOWER_TRANS_UDP);
  guint64 sent = 0, received = 0;
  guint ssrc = 0;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  fail_unless (rr_pipeline_wait_buffers (p, 2, 10));
  while (sent == 0 && g_get_monotonic_time () < deadline) {
    GstStructure *stats = NULL;
    const GstStructure *s;

    g_object_get (p->src, "stats", &stats, NULL);
    fail_unless (stats != NULL);
    s = first_stream (stats);
    fail_unless (s != NULL);
    fail_unless (gst_structure_get_uint64 (s, "rtcp-packets-sent", &sent));
    fail_unless (gst_structure_get_uint64 (s, "packets-received", &received));
    fail_unless (gst_structure_get_uint (s, "ssrc", &ssrc));
    gst_structure_free (stats);
    if (sent == 0)
      g_usleep (100 * 1000);
  }
  fail_unless (sent > 0, "no receiver report in 20 s");
  fail_unless (received > 0);
  fail_unless (ssrc != 0);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* A probe that holds every buffer of a pad until released. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocking;
  guint held;
} Blocker;

static GstPadProbeReturn
block_buffers (GstPad * pad, GstPadProbeInfo * info, Blocker * b)
{
  g_mutex_lock (&b->lock);
  b->held++;
  g_cond_broadcast (&b->cond);
  while (b->blocking && !GST_PAD_IS_FLUSHING (pad))
    g_cond_wait_until (&b->cond, &b->lock,
        g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&b->lock);
  return GST_PAD_PROBE_OK;
}

static void
block_pad (GstElement * src, GstPad * pad, Blocker * b)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) block_buffers, b, NULL);
}

/* One stream whose downstream blocks holds one delivery thread; the other
 * streams keep flowing (the pool grows), and the blocked pipeline stops. */
GST_START_TEST (test_blocked_downstream_stalls_nobody)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *blocked, *others[2];
  Blocker b;
  guint i, before;

  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  b.blocking = TRUE;
  b.held = 0;

  blocked = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_UDP,
      NULL);
  gst_util_set_object_arg (G_OBJECT (blocked->src), "rtp-manager",
      "builtin");
  g_signal_connect (blocked->src, "pad-added", G_CALLBACK (block_pad), &b);
  rr_pipeline_play (blocked);

  g_mutex_lock (&b.lock);
  while (b.held == 0)
    fail_unless (g_cond_wait_until (&b.cond, &b.lock,
            g_get_monotonic_time () + RR_WAIT_MS * G_TIME_SPAN_MILLISECOND),
        "the blocked stream got no buffer");
  g_mutex_unlock (&b.lock);

  for (i = 0; i < G_N_ELEMENTS (others); i++)
    others[i] = play_video (url, "builtin", GST_RTSP_LOWER_TRANS_UDP);
  for (i = 0; i < G_N_ELEMENTS (others); i++) {
    fail_unless (rr_pipeline_wait_buffers (others[i], 2, 10));
    before = rr_pipeline_total_buffers (others[i]);
    fail_unless (rr_pipeline_wait_more_buffers (others[i], before, 20));
  }

  /* stopping returns though its downstream still blocks */
  rr_pipeline_free (blocked);
  for (i = 0; i < G_N_ELEMENTS (others); i++)
    rr_pipeline_free (others[i]);

  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_builtin_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_builtin");
  TCase *tc = tcase_create ("builtin");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_jitterbuffer_threads);
  tcase_add_test (tc, test_timestamps_and_latency_udp);
  tcase_add_test (tc, test_timestamps_and_latency_tcp);
  tcase_add_test (tc, test_receiver_reports_and_stats);
  tcase_add_test (tc, test_blocked_downstream_stalls_nobody);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_builtin);

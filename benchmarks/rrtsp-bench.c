/* resilientrtsp
 * rrtsp-bench.c: runs N RTSP client pipelines in one process and prints one
 * line of key=value measurements.
 *
 *   rrtsp-bench [--element rtspsrc|resilientrtspsrc] [--protocols udp|tcp]
 *       [--streams N] [--duration D] [--latency MS] [--set PROP=VALUE …] URL
 *
 * --set sets further properties of the source (tls-validation-flags=0,
 * proxy=…), as gst-launch-1.0 would parse them.
 *
 * Each pipeline is  ELEMENT location=URL protocols=P latency=MS ! rtph264depay
 * ! fakesink  (resilientrtspsrc gets depayload=false so both elements feed
 * the same RTP depayloader). After every pipeline reached PLAYING the
 * benchmark runs for D seconds, then prints:
 *
 *   element protocol streams duration_s    what was measured
 *   cpu_s cpu_pct      user+sys CPU time (getrusage) from the first PLAYING
 *                      request to the end of the run, and that over wall time
 *   peak_rss_mb        ru_maxrss of the process
 *   threads_max        most threads seen (/proc/self/status, every 100 ms)
 *   ttfp_rtp_ms_mean/_max    PLAYING requested → first buffer on the
 *                      source's src pad, over the streams that got one
 *   ttfp_depay_ms_mean/_max  same, first buffer out of rtph264depay
 *   buffers            depayloaded buffers (all streams), rtp_packets: RTP
 *                      packets out of the sources
 *   started            streams that delivered at least one depayloaded buffer
 *   errors             pipelines that posted an error
 *
 * Exit status: 0 when every stream delivered data without error, 1
 * otherwise, 2 on bad arguments.
 */

#include <gst/gst.h>

#include "bench-pipeline.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

typedef struct _Bench Bench;

typedef struct
{
  Bench *bench;
  GstElement *pipeline;
  GstElement *depay;
  gint64 t_playing;             /* µs, monotonic; set before PLAYING */
  gint64 t_first_rtp;           /* µs; written once before have_rtp */
  gint64 t_first_depay;         /* µs; written once before have_depay */
  gint have_rtp;                /* atomic */
  gint have_depay;              /* atomic */
  gint rtp_packets;             /* atomic */
  gint depay_buffers;           /* atomic */
  gboolean playing;             /* main thread */
  gboolean error;               /* main thread */
} Stream;

struct _Bench
{
  GMainLoop *loop;
  Stream *streams;
  guint n_streams;
  guint n_playing;
  guint n_errors;
  guint duration_s;
  guint threads_max;
  gboolean running;             /* the measured window has started */
  guint stop_id;
  guint start_timeout_id;
};

static guint
count_threads (void)
{
  gchar *status = NULL;
  const gchar *line;
  guint threads = 0;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nThreads:");
  if (line != NULL)
    threads = (guint) g_ascii_strtoull (line + strlen ("\nThreads:"), NULL, 10);
  g_free (status);
  return threads;
}

static gboolean
sample_threads (gpointer user_data)
{
  Bench *bench = user_data;
  guint threads = count_threads ();

  if (threads > bench->threads_max)
    bench->threads_max = threads;
  return G_SOURCE_CONTINUE;
}

static guint
count_buffers (GstPadProbeInfo * info)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    return gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  return 1;
}

static GstPadProbeReturn
rtp_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stream *stream = user_data;

  g_atomic_int_add (&stream->rtp_packets, count_buffers (info));
  if (!g_atomic_int_get (&stream->have_rtp)) {
    stream->t_first_rtp = g_get_monotonic_time ();
    g_atomic_int_set (&stream->have_rtp, 1);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
depay_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stream *stream = user_data;

  g_atomic_int_add (&stream->depay_buffers, count_buffers (info));
  if (!g_atomic_int_get (&stream->have_depay)) {
    stream->t_first_depay = g_get_monotonic_time ();
    g_atomic_int_set (&stream->have_depay, 1);
  }
  return GST_PAD_PROBE_OK;
}

static void
pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Stream *stream = user_data;
  GstPad *sinkpad = gst_element_get_static_pad (stream->depay, "sink");
  GstCaps *caps = gst_pad_query_caps (pad, NULL);
  GstStructure *s;
  const gchar *media = NULL;

  /* only the video stream goes to the depayloader */
  if (caps != NULL && gst_caps_get_size (caps) > 0) {
    s = gst_caps_get_structure (caps, 0);
    media = gst_structure_get_string (s, "media");
  }
  if ((media == NULL || g_str_equal (media, "video"))
      && !gst_pad_is_linked (sinkpad)) {
    gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, rtp_probe,
        stream, NULL);
    if (GST_PAD_LINK_FAILED (gst_pad_link (pad, sinkpad)))
      g_printerr ("could not link %s:%s to the depayloader\n",
          GST_DEBUG_PAD_NAME (pad));
  }
  if (caps != NULL)
    gst_caps_unref (caps);
  gst_object_unref (sinkpad);
}

static gboolean
stop_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->stop_id = 0;
  g_main_loop_quit (bench->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
start_timeout_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->start_timeout_id = 0;
  g_main_loop_quit (bench->loop);
  return G_SOURCE_REMOVE;
}

static void
maybe_start_window (Bench * bench)
{
  if (bench->running || bench->n_playing + bench->n_errors < bench->n_streams)
    return;
  bench->running = TRUE;
  if (bench->start_timeout_id != 0)
    g_source_remove (bench->start_timeout_id);
  bench->start_timeout_id = 0;
  bench->stop_id = g_timeout_add_seconds (bench->duration_s, stop_cb, bench);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Stream *stream = user_data;
  Bench *bench = stream->bench;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("stream %u: error from %s: %s (%s)\n",
          (guint) (stream - bench->streams), GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
      g_clear_error (&err);
      g_free (debug);
      if (!stream->error) {
        stream->error = TRUE;
        bench->n_errors++;
        if (stream->playing)
          bench->n_playing--;
        stream->playing = FALSE;
        maybe_start_window (bench);
      }
      break;
    }
    case GST_MESSAGE_STATE_CHANGED:{
      GstState new_state;

      if (msg->src != GST_OBJECT (stream->pipeline) || stream->error)
        break;
      gst_message_parse_state_changed (msg, NULL, &new_state, NULL);
      if (new_state == GST_STATE_PLAYING && !stream->playing) {
        stream->playing = TRUE;
        bench->n_playing++;
        maybe_start_window (bench);
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static GstElement *
make_pipeline (Stream * stream, const gchar * element, const gchar * url,
    const gchar * protocols, guint latency, GError ** error)
{
  return rr_bench_pipeline_new (element, url, protocols, latency, depay_probe,
      G_CALLBACK (pad_added), stream, &stream->depay, error);
}

/* PROP=VALUE pairs onto the pipeline's source element */
static gboolean
set_source_props (GstElement * pipeline, gchar ** props)
{
  GstIterator *it = gst_bin_iterate_sources (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  GstElement *src;
  guint i;

  if (gst_iterator_next (it, &item) != GST_ITERATOR_OK) {
    gst_iterator_free (it);
    return FALSE;
  }
  src = g_value_get_object (&item);
  for (i = 0; props[i] != NULL; i++) {
    gchar **kv = g_strsplit (props[i], "=", 2);

    if (kv[0] == NULL || kv[1] == NULL ||
        g_object_class_find_property (G_OBJECT_GET_CLASS (src),
            kv[0]) == NULL) {
      g_printerr ("bad --set %s\n", props[i]);
      g_strfreev (kv);
      g_value_unset (&item);
      gst_iterator_free (it);
      return FALSE;
    }
    gst_util_set_object_arg (G_OBJECT (src), kv[0], kv[1]);
    g_strfreev (kv);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return TRUE;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static gdouble
peak_rss_mb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* kB on Linux */
}

int
main (int argc, char **argv)
{
  Bench bench = { 0, };
  gchar *element = NULL, *protocols = NULL;
  gchar **props = NULL;
  gint n_streams = 1, duration = 10, latency = 200;
  GOptionEntry entries[] = {
    {"element", 'e', 0, G_OPTION_ARG_STRING, &element,
        "Source element (default: rtspsrc)", "NAME"},
    {"protocols", 'p', 0, G_OPTION_ARG_STRING, &protocols,
        "Lower transport: udp or tcp (default: tcp)", "P"},
    {"streams", 'n', 0, G_OPTION_ARG_INT, &n_streams,
        "Pipelines to run (default: 1)", "N"},
    {"duration", 'd', 0, G_OPTION_ARG_INT, &duration,
        "Seconds to run once all are PLAYING (default: 10)", "D"},
    {"latency", 'l', 0, G_OPTION_ARG_INT, &latency,
        "latency property in ms (default: 200)", "MS"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &props,
        "Set a property of the source (repeatable)", "PROP=VALUE"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  gdouble cpu_start, cpu_end, rtp_sum = 0, rtp_max = 0, depay_sum = 0,
      depay_max = 0;
  gint64 wall_start, wall_end;
  guint i, n_rtp = 0, n_depay = 0, threads_id;
  guint64 buffers = 0, rtp_packets = 0;
  gint ret = 0;

  ctx = g_option_context_new ("URL - RTSP client benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 2
      || n_streams < 1 || duration < 1 || latency < 0) {
    gchar *help = g_option_context_get_help (ctx, TRUE, NULL);

    if (err != NULL)
      g_printerr ("%s\n", err->message);
    g_printerr ("%s", help);
    g_free (help);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (element == NULL)
    element = g_strdup ("rtspsrc");
  if (protocols == NULL)
    protocols = g_strdup ("tcp");

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.n_streams = n_streams;
  bench.duration_s = duration;
  bench.streams = g_new0 (Stream, n_streams);
  for (i = 0; i < bench.n_streams; i++) {
    Stream *stream = &bench.streams[i];
    GstBus *bus;

    stream->bench = &bench;
    stream->pipeline = make_pipeline (stream, element, argv[1], protocols,
        latency, &err);
    if (stream->pipeline == NULL) {
      g_printerr ("%s\n", err->message);
      g_clear_error (&err);
      return 2;
    }
    if (props != NULL && !set_source_props (stream->pipeline, props))
      return 2;
    bus = gst_pipeline_get_bus (GST_PIPELINE (stream->pipeline));
    gst_bus_add_watch (bus, bus_cb, stream);
    gst_object_unref (bus);
  }

  bench.threads_max = count_threads ();
  threads_id = g_timeout_add (100, sample_threads, &bench);
  /* never wait more than a minute for everyone to reach PLAYING */
  bench.start_timeout_id = g_timeout_add_seconds (60, start_timeout_cb, &bench);

  cpu_start = cpu_seconds ();
  wall_start = g_get_monotonic_time ();
  for (i = 0; i < bench.n_streams; i++) {
    Stream *stream = &bench.streams[i];

    stream->t_playing = g_get_monotonic_time ();
    if (gst_element_set_state (stream->pipeline,
            GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      stream->error = TRUE;
      bench.n_errors++;
    }
  }
  maybe_start_window (&bench);
  g_main_loop_run (bench.loop);
  cpu_end = cpu_seconds ();
  wall_end = g_get_monotonic_time ();
  sample_threads (&bench);
  if (!bench.running)
    g_printerr ("timed out: only %u of %u pipelines reached PLAYING\n",
        bench.n_playing, bench.n_streams);

  for (i = 0; i < bench.n_streams; i++) {
    Stream *stream = &bench.streams[i];

    if (g_atomic_int_get (&stream->have_rtp)) {
      gdouble ms = (stream->t_first_rtp - stream->t_playing) / 1e3;

      rtp_sum += ms;
      rtp_max = MAX (rtp_max, ms);
      n_rtp++;
    }
    if (g_atomic_int_get (&stream->have_depay)) {
      gdouble ms = (stream->t_first_depay - stream->t_playing) / 1e3;

      depay_sum += ms;
      depay_max = MAX (depay_max, ms);
      n_depay++;
    }
    buffers += (guint) g_atomic_int_get (&stream->depay_buffers);
    rtp_packets += (guint) g_atomic_int_get (&stream->rtp_packets);
  }

  printf ("element=%s protocol=%s streams=%u duration_s=%u cpu_s=%.3f "
      "cpu_pct=%.1f peak_rss_mb=%.1f threads_max=%u ttfp_rtp_ms_mean=%.1f "
      "ttfp_rtp_ms_max=%.1f ttfp_depay_ms_mean=%.1f ttfp_depay_ms_max=%.1f "
      "buffers=%" G_GUINT64_FORMAT " rtp_packets=%" G_GUINT64_FORMAT
      " started=%u errors=%u\n", element, protocols, bench.n_streams,
      bench.duration_s, cpu_end - cpu_start,
      100.0 * (cpu_end - cpu_start) / ((wall_end - wall_start) / 1e6),
      peak_rss_mb (), bench.threads_max, n_rtp ? rtp_sum / n_rtp : -1.0,
      n_rtp ? rtp_max : -1.0, n_depay ? depay_sum / n_depay : -1.0,
      n_depay ? depay_max : -1.0, buffers, rtp_packets, n_depay,
      bench.n_errors);
  fflush (stdout);
  if (n_depay < bench.n_streams || bench.n_errors > 0 || !bench.running)
    ret = 1;

  g_source_remove (threads_id);
  if (bench.start_timeout_id != 0)
    g_source_remove (bench.start_timeout_id);
  if (bench.stop_id != 0)
    g_source_remove (bench.stop_id);
  for (i = 0; i < bench.n_streams; i++) {
    gst_element_set_state (bench.streams[i].pipeline, GST_STATE_NULL);
    gst_bus_remove_watch (GST_ELEMENT_BUS (bench.streams[i].pipeline));
    gst_object_unref (bench.streams[i].pipeline);
  }
  g_free (bench.streams);
  g_main_loop_unref (bench.loop);
  g_free (element);
  g_free (protocols);
  return ret;
}

/* resilientrtsp
 * rrtsp-restart.c: restart time of one client pipeline — the time from the
 * state change to PLAYING to the first depayloaded buffer — over N
 * restarts (PLAYING → NULL → PLAYING) of the same pipeline. Prints one line
 * of key=value measurements.
 *
 *   rrtsp-restart --url URL [--element E] [--protocols P] [--restarts N]
 *       [--gap-ms MS] [--latency MS] [--timeout S] [--no-validate]
 *       [--pool-idle-timeout S]
 *
 * The pipeline is bench-pipeline.c's:
 *
 *   ELEMENT location=URL protocols=P latency=MS ! rtph264depay ! fakesink
 *
 * (resilientrtspsrc with depayload=false). Run 0 is the cold start (its own
 * figure, not in the statistics); then each restart is: set NULL (timed:
 * stop_ms, which for both elements includes the TEARDOWN exchange), wait
 * --gap-ms, set PLAYING at t0, and wait for the first buffer out of
 * rtph264depay after t0. --no-validate sets tls-validation-flags=0 (a
 * self-signed test certificate; both elements have the property).
 * --pool-idle-timeout sets resilientrtspsrc's pool-idle-timeout (0 = no
 * connection pooling); ignored for other elements.
 *
 * For resilientrtspsrc the stats after each start give `reused` (how many
 * restarts took a pooled connection: connection-reused) and the medians of
 * its set-up breakdown: playing-ms (start → PLAY answered), connect-ms
 * (tcp-connect-ms + tls-ms, 0 when the connection was reused).
 *
 * Output: element protocol restarts cold_ms median_ms p90_ms min_ms max_ms
 * mean_ms stop_median_ms reused playing_median_ms connect_median_ms
 * end_reason. Exit status 0 when every restart delivered data, 1
 * otherwise, 2 on bad arguments.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-pipeline.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gint64 t_first;               /* lock: first buffer since armed, 0 = none */
  gboolean armed;               /* lock */
  GstElement *depay;
} Run;

static GstPadProbeReturn
depay_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;

  g_mutex_lock (&run->lock);
  if (run->armed && run->t_first == 0) {
    run->t_first = g_get_monotonic_time ();
    g_cond_broadcast (&run->cond);
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static void
pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Run *run = user_data;
  GstPad *sink = gst_element_get_static_pad (run->depay, "sink");

  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* @q-quantile (nearest rank) of @values, sorted here; -1 when empty. */
static gdouble
quantile (GArray * values, gdouble q)
{
  guint idx;

  if (values->len == 0)
    return -1;
  g_array_sort (values, compare_double);
  idx = (guint) (q * values->len + 0.999999);
  idx = CLAMP (idx, 1, values->len) - 1;
  return g_array_index (values, gdouble, idx);
}

static gdouble
mean (GArray * values)
{
  gdouble sum = 0;
  guint i;

  if (values->len == 0)
    return -1;
  for (i = 0; i < values->len; i++)
    sum += g_array_index (values, gdouble, i);
  return sum / values->len;
}

static void
print_ms (const gchar * key, gdouble v)
{
  if (v < 0)
    g_print (" %s=-", key);
  else
    g_print (" %s=%.1f", key, v);
}

/* Waits for the first buffer after arming, watching the bus for errors.
 * Returns the time in ms, or -1 with @reason set. */
static gdouble
wait_first_buffer (Run * run, GstElement * pipeline, gint64 t0,
    guint timeout_s, gchar ** reason)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = t0 + (gint64) timeout_s * G_USEC_PER_SEC;
  gdouble result = -1;

  for (;;) {
    GstMessage *msg;
    gint64 first;

    g_mutex_lock (&run->lock);
    if (run->t_first == 0)
      g_cond_wait_until (&run->cond, &run->lock,
          MIN (deadline, g_get_monotonic_time () + 20 * 1000));
    first = run->t_first;
    g_mutex_unlock (&run->lock);
    if (first != 0) {
      result = (first - t0) / 1000.0;
      break;
    }
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (msg) {
      GError *error = NULL;

      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error (msg, &error, NULL);
        *reason = g_strdup_printf ("error: %s", error->message);
        g_error_free (error);
      } else {
        *reason = g_strdup ("eos");
      }
      gst_message_unref (msg);
      break;
    }
    if (g_get_monotonic_time () >= deadline) {
      *reason = g_strdup_printf ("no buffer within %u s", timeout_s);
      break;
    }
  }
  gst_object_unref (bus);
  return result;
}

/* resilientrtspsrc's stats after a start: whether the connection was
 * reused, playing-ms, tcp-connect-ms + tls-ms. */
static void
read_stats (GstElement * src, gboolean * reused, gdouble * playing,
    gdouble * connect)
{
  GstStructure *stats = NULL, *setup = NULL;
  gdouble tcp = -1, tls = -1;
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  *reused = FALSE;
  *playing = *connect = -1;
  /* PLAY was answered before the first buffer: playing-ms is there */
  while (g_get_monotonic_time () < deadline) {
    g_object_get (src, "stats", &stats, NULL);
    if (stats == NULL)
      return;
    gst_structure_get_boolean (stats, "connection-reused", reused);
    if (gst_structure_get (stats, "setup", GST_TYPE_STRUCTURE, &setup, NULL)) {
      gst_structure_get_double (setup, "playing-ms", playing);
      gst_structure_get_double (setup, "tcp-connect-ms", &tcp);
      gst_structure_get_double (setup, "tls-ms", &tls);
      gst_structure_free (setup);
    }
    gst_structure_free (stats);
    if (*playing >= 0)
      break;
    g_usleep (1000);
  }
  *connect = MAX (tcp, 0) + MAX (tls, 0);
}

int
main (int argc, char **argv)
{
  gchar *url = NULL, *element = NULL, *protocols = NULL;
  gint restarts = 20, gap_ms = 200, latency = 0, timeout_s = 10;
  gint pool_idle_timeout = -1;
  gboolean no_validate = FALSE;
  GOptionEntry entries[] = {
    {"url", 0, 0, G_OPTION_ARG_STRING, &url, "RTSP URL", "URL"},
    {"element", 0, 0, G_OPTION_ARG_STRING, &element,
        "resilientrtspsrc (default) or rtspsrc", "E"},
    {"protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
        "lower transports (default tcp)", "P"},
    {"restarts", 0, 0, G_OPTION_ARG_INT, &restarts, "restarts (20)", "N"},
    {"gap-ms", 0, 0, G_OPTION_ARG_INT, &gap_ms,
        "pause between stop and start (200)", "MS"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency, "jitterbuffer latency (0)",
        "MS"},
    {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
        "wait at most this long for data (10)", "S"},
    {"no-validate", 0, 0, G_OPTION_ARG_NONE, &no_validate,
        "tls-validation-flags=0", NULL},
    {"pool-idle-timeout", 0, 0, G_OPTION_ARG_INT, &pool_idle_timeout,
        "resilientrtspsrc's pool-idle-timeout", "S"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstElement *pipeline, *src;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  Run run = { 0, };
  GArray *times, *stops, *playing, *connects;
  gdouble cold = -1;
  gchar *reason = NULL;
  guint reused = 0;
  gint i;
  gboolean ours;

  ctx = g_option_context_new ("- RTSP client restart-time benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 1 ||
      url == NULL || restarts < 1 || gap_ms < 0 || timeout_s < 1) {
    gchar *help = g_option_context_get_help (ctx, TRUE, NULL);

    g_printerr ("%s%s", err ? err->message : "", err ? "\n" : "");
    g_printerr ("%s", help);
    g_free (help);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (element == NULL)
    element = g_strdup ("resilientrtspsrc");
  if (protocols == NULL)
    protocols = g_strdup ("tcp");
  ours = g_str_equal (element, "resilientrtspsrc");

  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  pipeline = rr_bench_pipeline_new (element, url, protocols, latency,
      depay_probe, G_CALLBACK (pad_added), &run, &run.depay, &err);
  if (pipeline == NULL) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  /* the source: the pipeline's element of that factory */
  src = NULL;
  it = gst_bin_iterate_sources (GST_BIN (pipeline));
  if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    src = g_value_dup_object (&item);
    g_value_unset (&item);
  }
  gst_iterator_free (it);
  if (src == NULL) {
    g_printerr ("no source element\n");
    return 2;
  }
  if (no_validate)
    g_object_set (src, "tls-validation-flags", 0, NULL);
  if (ours && pool_idle_timeout >= 0)
    g_object_set (src, "pool-idle-timeout", (guint) pool_idle_timeout, NULL);

  times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  stops = g_array_new (FALSE, FALSE, sizeof (gdouble));
  playing = g_array_new (FALSE, FALSE, sizeof (gdouble));
  connects = g_array_new (FALSE, FALSE, sizeof (gdouble));

  for (i = 0; i <= restarts && reason == NULL; i++) {
    gint64 t0, t_stop;
    gdouble ms, stop_ms;

    g_mutex_lock (&run.lock);
    run.t_first = 0;
    run.armed = TRUE;
    g_mutex_unlock (&run.lock);
    t0 = g_get_monotonic_time ();
    if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      reason = g_strdup ("PLAYING failed");
      break;
    }
    ms = wait_first_buffer (&run, pipeline, t0, timeout_s, &reason);
    if (ms < 0)
      break;
    if (i == 0) {
      cold = ms;
    } else {
      g_array_append_val (times, ms);
      if (ours) {
        gboolean was_reused;
        gdouble play_ms, connect_ms;

        read_stats (src, &was_reused, &play_ms, &connect_ms);
        reused += was_reused ? 1 : 0;
        if (play_ms >= 0)
          g_array_append_val (playing, play_ms);
        g_array_append_val (connects, connect_ms);
      }
    }
    g_printerr ("%s start %d: first buffer after %.1f ms\n", element, i, ms);

    g_mutex_lock (&run.lock);
    run.armed = FALSE;
    g_mutex_unlock (&run.lock);
    t_stop = g_get_monotonic_time ();
    gst_element_set_state (pipeline, GST_STATE_NULL);
    stop_ms = (g_get_monotonic_time () - t_stop) / 1000.0;
    if (i < restarts)
      g_array_append_val (stops, stop_ms);
    g_usleep ((gulong) gap_ms * 1000);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_print ("element=%s protocol=%s restarts=%u", element, protocols,
      times->len);
  print_ms ("cold_ms", cold);
  print_ms ("mean_ms", mean (times));
  print_ms ("median_ms", quantile (times, 0.5));
  print_ms ("p90_ms", quantile (times, 0.9));
  print_ms ("min_ms", quantile (times, 0.0));
  print_ms ("max_ms", quantile (times, 1.0));
  print_ms ("stop_median_ms", quantile (stops, 0.5));
  if (ours) {
    g_print (" reused=%u", reused);
    print_ms ("playing_median_ms", quantile (playing, 0.5));
    print_ms ("connect_median_ms", quantile (connects, 0.5));
  } else {
    g_print (" reused=- playing_median_ms=- connect_median_ms=-");
  }
  g_print (" end_reason=%s\n", reason ? reason : "-");

  g_array_unref (times);
  g_array_unref (stops);
  g_array_unref (playing);
  g_array_unref (connects);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  g_free (url);
  g_free (element);
  g_free (protocols);
  return reason == NULL ? 0 : 1;
}

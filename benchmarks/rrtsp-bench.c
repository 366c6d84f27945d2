/* resilientrtsp
 * rrtsp-bench.c: runs N RTSP client pipelines in one process and prints one
 * line of key=value measurements.
 *
 *   rrtsp-bench [--element rtspsrc|resilientrtspsrc] [--protocols udp|tcp]
 *       [--streams N] [--duration D] [--warmup W] [--latency MS]
 *       [--start-timeout S] [--watch-pid PID …] [--thread-names]
 *       [--no-depay] [--set PROP=VALUE …] URL [URL …]
 *
 * --no-depay puts identity where rtph264depay would be, to measure the
 * source alone (with --count-allocs in run.sh: the source's allocations);
 * "buffers" then counts RTP packets.
 *
 * --set sets further properties of the source (tls-validation-flags=0,
 * proxy=…), as gst-launch-1.0 would parse them. With several URLs the
 * streams are spread over them round-robin (stream i plays URL i mod n), e.g.
 * one URL per server process.
 *
 * Each pipeline is  ELEMENT location=URL protocols=P latency=MS ! rtph264depay
 * ! fakesink  (resilientrtspsrc gets depayload=false so both elements feed
 * the same RTP depayloader). Once every pipeline reached PLAYING (or failed;
 * at most --start-timeout seconds, default 60) the benchmark waits W seconds
 * (--warmup, default 0), measures for D seconds (the window), then prints:
 *
 *   element protocol streams duration_s    what was measured
 *   cpu_s cpu_pct      user+sys CPU time (getrusage) from the first PLAYING
 *                      request to the end of the run (set-up, warm-up and
 *                      window), and that over wall time
 *   peak_rss_mb        ru_maxrss of the process
 *   threads_max        most threads seen (/proc/self/status, every 100 ms)
 *   ttfp_rtp_ms_mean/_max    PLAYING requested → first buffer on the
 *                      source's src pad, over the streams that got one
 *   ttfp_depay_ms_mean/_max  same, first buffer out of rtph264depay
 *   buffers            depayloaded buffers (all streams), rtp_packets: RTP
 *                      packets out of the sources
 *   started            streams that delivered at least one depayloaded buffer
 *   errors             pipelines that posted an error
 *   window             1 when the window ran; 0 when the start timed out
 *                      (then the win_* figures, loss and stalls describe
 *                      no real window: read them as "-")
 *   win_s              the window's length in seconds
 *   win_cpu_s win_cpu_pct    CPU time of the process in the window only
 *                      (steady state, no set-up)
 *   rss_mb threads fds VmRSS, threads and open file descriptors at the end
 *                      of the window
 *   ctxsw_per_s        context switches (voluntary and not, all threads;
 *                      getrusage) per second in the window
 *   win_packets        RTP packets out of the sources in the window
 *   win_kbps           RTP bytes (header included) per stream per second in
 *                      the window, mean over the streams
 *   win_lost           RTP sequence numbers missing on the sources' src pads
 *                      in the window (gaps in each stream's sequence). The
 *                      pads sit after rtpbin's jitterbuffer for both
 *                      elements, so this counts packets lost on the way and
 *                      packets the jitterbuffer dropped as too late.
 *   loss_pct           win_lost / (win_packets + win_lost), in %
 *   alive_end          streams with an RTP packet in the last 2 s of the
 *                      window
 *   stalled gap_ms_max streams with more than 1 s between two RTP packets
 *                      in the window (or since their last one at its end),
 *                      and the longest such gap of any stream
 *   jb_lost jb_late    sums of num-lost and num-late over every
 *                      rtpjitterbuffer in the pipelines, in the window (a
 *                      cross-check of win_lost by a second method)
 *   el_lost            sum of the streams' packets-lost in the source's
 *                      "stats" property (resilientrtspsrc; whole run), "-"
 *                      for elements without it
 *   zero_copy_pct      interleaved (TCP) payload bytes pushed without a copy,
 *                      % of all interleaved payload bytes, summed over the
 *                      sources' stats (interleaved-bytes-shared and
 *                      -copied; whole run); "-" for elements without them
 *                      or with no interleaved bytes (UDP)
 *   allocs_per_packet  calls to malloc & co. in the whole process in the
 *                      window per RTP packet (win_packets), depayloader and
 *                      sink included; only with the alloc-count library
 *                      preloaded (run.sh --count-allocs), "-" otherwise
 *   own_allocs_per_packet    the same, counting only the calls made on
 *                      resilientrtspsrc's threads (rrtsp-io, rrtsp-out: I/O
 *                      and delivery; delivery threads also run what is
 *                      downstream, here identity or the depayloader,
 *                      fakesink and this program's pad probes, which do not
 *                      allocate); "-" for rtspsrc or without the library
 *   watch_cpu_pct      CPU of the --watch-pid processes (e.g. the servers) in
 *                      the window, summed, % of one CPU; "-" without any
 *   sys_busy_pct       the whole machine's busy time in the window, % of all
 *                      its CPUs (/proc/stat), to see other load
 *
 * The lines "window-open" and "window-closed" go to stderr when the window
 * opens and closes.
 * --teardown-sample N sets only the first N pipelines to NULL after the
 * measurements, one after the other, prints "teardown: … (mean X ms, max
 * Y ms)" on stderr and exits without stopping the others (closing 1,000
 * can take many minutes); without it every pipeline is stopped.
 * --thread-names prints, on stderr at the end of the window, one line
 * "thread-names: NAME=COUNT …" of this process's threads grouped by name
 * (/proc/self/task/N/comm, each run of digits replaced by "N").
 *
 * Exit status: 0 when every stream delivered data without error, 1
 * otherwise, 2 on bad arguments.
 */

#include <gst/gst.h>

#include "bench-pipeline.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <dlfcn.h>

/* resilientrtspsrc's threads (I/O and delivery), for own_allocs_per_packet */
#define OWN_THREADS "rrtsp-io,rrtsp-out"
/* a stream counts as stalled after this long without RTP in the window */
#define STALL_MS 1000
/* alive_end: an RTP packet within this long before the window's end */
#define ALIVE_MS 2000

typedef struct _Bench Bench;

typedef struct
{
  Bench *bench;
  GstElement *pipeline;
  GstElement *src;
  GstElement *depay;
  gint64 t_playing;             /* µs, monotonic; set before PLAYING */
  gint64 t_first_rtp;           /* µs; written once before have_rtp */
  gint64 t_first_depay;         /* µs; written once before have_depay */
  gint have_rtp;                /* atomic */
  gint have_depay;              /* atomic */
  gint rtp_packets;             /* atomic */
  gint depay_buffers;           /* atomic */
  /* the source pad's streaming thread only */
  gboolean have_seq;
  guint16 last_seq;
  /* atomic; written by the streaming thread, read at the window's end */
  gint last_rtp_ms;             /* ms since bench->t0 of the last RTP packet */
  gint win_packets;
  gint win_bytes;
  gint win_lost;
  gint win_gap_ms;              /* longest gap between RTP packets */
  gboolean playing;             /* main thread */
  gboolean error;               /* main thread */
} Stream;

enum
{
  WINDOW_BEFORE,
  WINDOW_OPEN,
  WINDOW_CLOSED
};

struct _Bench
{
  GMainLoop *loop;
  Stream *streams;
  guint n_streams;
  guint n_playing;
  guint n_errors;
  guint duration_s;
  guint warmup_s;
  guint threads_max;
  gint64 t0;                    /* µs, monotonic, the start of the run */
  gint window;                  /* atomic: WINDOW_* */
  gboolean running;             /* all are PLAYING (or failed) */
  gboolean thread_names;
  guint stop_id;
  guint warmup_id;
  guint start_timeout_id;
  /* the window's start and end (main thread) */
  gint64 win_start_us, win_end_us;
  /* rrtsp_alloc_count() and rrtsp_alloc_count_named() of a preloaded
   * alloc-count library, or NULL */
    guint64 (*alloc_count) (void);
    guint64 (*alloc_count_named) (const char *prefix);
  guint64 allocs_start, allocs_end;
  guint64 own_allocs_start, own_allocs_end;
  gdouble win_cpu_start, win_cpu_end;
  glong ctxsw_start, ctxsw_end;
  guint64 watch_start, watch_end;       /* clock ticks of the watched pids */
  guint64 sys_busy_start, sys_busy_end, sys_total_start, sys_total_end;
  gdouble rss_end_mb;
  guint threads_end;
  guint fds_end;
  GArray *watch_pids;           /* gint */
  /* every rtpjitterbuffer of every pipeline (refs), under jb_lock */
  GMutex jb_lock;
  GPtrArray *jitterbuffers;
  /* main thread: their totals at the window's start and end */
  guint64 jb_lost_start, jb_late_start, jb_lost_end, jb_late_end;
};

static gint
elapsed_ms (Bench * bench)
{
  return (gint) ((g_get_monotonic_time () - bench->t0) / 1000);
}

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

static gdouble
rss_mb (void)
{
  gchar *status = NULL;
  const gchar *line;
  gdouble kb = 0;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmRSS:");
  if (line != NULL)
    kb = g_ascii_strtod (line + strlen ("\nVmRSS:"), NULL);
  g_free (status);
  return kb / 1024.0;
}

/* utime + stime of @pid in clock ticks, 0 when it cannot be read */
static guint64
process_ticks (gint pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  gchar *text = NULL;
  const gchar *p;
  guint64 ticks = 0;
  guint field;

  if (g_file_get_contents (path, &text, NULL, NULL)) {
    /* the command name (field 2) may hold spaces: count after its ')' */
    p = strrchr (text, ')');
    for (field = 2; p != NULL && field < 14; field++)
      p = strchr (p + 1, ' ');
    if (p != NULL) {
      gchar *end;

      ticks = g_ascii_strtoull (p + 1, &end, 10);
      ticks += g_ascii_strtoull (end, NULL, 10);
    }
  }
  g_free (text);
  g_free (path);
  return ticks;
}

static guint64
watched_ticks (Bench * bench)
{
  guint64 sum = 0;
  guint i;

  for (i = 0; i < bench->watch_pids->len; i++)
    sum += process_ticks (g_array_index (bench->watch_pids, gint, i));
  return sum;
}

/* the machine's busy and total clock ticks, all CPUs: the first line of
 * /proc/stat, "cpu  user nice system idle iowait irq softirq steal …"
 * (guest time is already in user and nice) */
static void
system_ticks (guint64 * busy, guint64 * total)
{
  gchar *text = NULL;
  const gchar *p;
  guint64 v[8] = { 0, };
  guint i;

  *busy = *total = 0;
  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return;
  if (g_str_has_prefix (text, "cpu ")) {
    p = text + strlen ("cpu ");
    for (i = 0; i < G_N_ELEMENTS (v); i++) {
      gchar *end;

      v[i] = g_ascii_strtoull (p, &end, 10);
      p = end;
      *total += v[i];
    }
    *busy = *total - v[3] - v[4];
  }
  g_free (text);
}

/* "NAME=COUNT …" of this process's threads, digits runs as "N" */
static gchar *
thread_names (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  GString *out = g_string_new (NULL);
  const gchar *tid;
  GList *keys, *l;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      GString *name = g_string_new (NULL);
      const gchar *c;

      for (c = g_strstrip (comm); *c; c++) {
        if (g_ascii_isdigit (*c)) {
          if (name->len == 0 || name->str[name->len - 1] != 'N')
            g_string_append_c (name, 'N');
        } else {
          g_string_append_c (name, *c == ' ' ? '_' : *c);
        }
      }
      g_hash_table_insert (counts, g_strdup (name->str),
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                      name->str)) + 1));
      g_string_free (name, TRUE);
    }
    g_free (comm);
    g_free (path);
  }
  if (dir != NULL)
    g_dir_close (dir);

  keys = g_list_sort (g_hash_table_get_keys (counts), (GCompareFunc) strcmp);
  for (l = keys; l; l = l->next) {
    g_string_append_printf (out, "%s%s=%u", out->len ? " " : "",
        (gchar *) l->data, GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                l->data)));
  }
  g_list_free (keys);
  g_hash_table_unref (counts);
  return g_string_free (out, FALSE);
}

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
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

/* streaming thread: sequence gaps, bytes and arrival gaps of one packet */
static void
account_rtp (Stream * stream, GstBuffer * buf, gboolean in_window, gint now_ms)
{
  guint8 hdr[4];
  guint16 seq, delta;
  gint last_ms;

  if (gst_buffer_extract (buf, 0, hdr, sizeof (hdr)) != sizeof (hdr)
      || (hdr[0] >> 6) != 2)
    return;
  seq = GST_READ_UINT16_BE (hdr + 2);
  last_ms = g_atomic_int_get (&stream->last_rtp_ms);
  if (stream->have_seq) {
    delta = (guint16) (seq - stream->last_seq);
    /* a duplicate or an older packet: not expected after the jitterbuffer;
     * leave the sequence where it is */
    if (delta == 0 || delta >= 0x8000)
      return;
    if (in_window && delta > 1)
      g_atomic_int_add (&stream->win_lost, delta - 1);
  }
  stream->have_seq = TRUE;
  stream->last_seq = seq;
  if (in_window) {
    g_atomic_int_inc (&stream->win_packets);
    g_atomic_int_add (&stream->win_bytes, (gint) gst_buffer_get_size (buf));
    if (last_ms > 0 && now_ms - last_ms > g_atomic_int_get
        (&stream->win_gap_ms))
      g_atomic_int_set (&stream->win_gap_ms, now_ms - last_ms);
  }
  g_atomic_int_set (&stream->last_rtp_ms, MAX (now_ms, 1));
}

static GstPadProbeReturn
rtp_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stream *stream = user_data;
  gboolean in_window = g_atomic_int_get (&stream->bench->window) == WINDOW_OPEN;
  gint now_ms = elapsed_ms (stream->bench);

  g_atomic_int_add (&stream->rtp_packets, count_buffers (info));
  if (!g_atomic_int_get (&stream->have_rtp)) {
    stream->t_first_rtp = g_get_monotonic_time ();
    g_atomic_int_set (&stream->have_rtp, 1);
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint i, n = gst_buffer_list_length (list);

    for (i = 0; i < n; i++)
      account_rtp (stream, gst_buffer_list_get (list, i), in_window, now_ms);
  } else {
    account_rtp (stream, GST_PAD_PROBE_INFO_BUFFER (info), in_window, now_ms);
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

/* any thread: keeps every jitterbuffer for its stats */
static void
deep_element_added (GstBin * bin, GstBin * sub_bin, GstElement * element,
    gpointer user_data)
{
  Bench *bench = user_data;
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory == NULL || g_strcmp0 (GST_OBJECT_NAME (factory),
          "rtpjitterbuffer") != 0)
    return;
  g_mutex_lock (&bench->jb_lock);
  g_ptr_array_add (bench->jitterbuffers, gst_object_ref (element));
  g_mutex_unlock (&bench->jb_lock);
}

static void
jitterbuffer_totals (Bench * bench, guint64 * lost, guint64 * late)
{
  guint i;

  *lost = *late = 0;
  g_mutex_lock (&bench->jb_lock);
  for (i = 0; i < bench->jitterbuffers->len; i++) {
    GstStructure *s = NULL;
    guint64 v;

    g_object_get (g_ptr_array_index (bench->jitterbuffers, i), "stats", &s,
        NULL);
    if (s == NULL)
      continue;
    if (gst_structure_get_uint64 (s, "num-lost", &v))
      *lost += v;
    if (gst_structure_get_uint64 (s, "num-late", &v))
      *late += v;
    gst_structure_free (s);
  }
  g_mutex_unlock (&bench->jb_lock);
}

/* the source's "stats" structure (free it), NULL when it has no such
 * property (rtspsrc) */
static GstStructure *
element_stats (Stream * stream)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (stream->src), "stats");
  GstStructure *stats = NULL;

  if (pspec == NULL || pspec->value_type != GST_TYPE_STRUCTURE)
    return NULL;
  g_object_get (stream->src, "stats", &stats, NULL);
  return stats;
}

/* the interleaved-bytes-shared and -copied of @stats; FALSE when it has no
 * such fields */
static gboolean
element_zero_copy (const GstStructure * stats, guint64 * shared,
    guint64 * copied)
{
  return gst_structure_get_uint64 (stats, "interleaved-bytes-shared", shared)
      && gst_structure_get_uint64 (stats, "interleaved-bytes-copied", copied);
}

/* sum of packets-lost over the streams of @stats, -1 when it has none */
static gint64
element_lost (const GstStructure * stats)
{
  const GValue *streams = gst_structure_get_value (stats, "streams");
  gint64 lost = 0;
  guint i;

  if (streams == NULL || !GST_VALUE_HOLDS_ARRAY (streams))
    return -1;
  for (i = 0; i < gst_value_array_get_size (streams); i++) {
    const GValue *v = gst_value_array_get_value (streams, i);
    const GstStructure *s;
    gint64 n;

    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    s = gst_value_get_structure (v);
    if (gst_structure_get_int64 (s, "packets-lost", &n))
      lost += n;
  }
  return lost;
}

/* SIGTERM/SIGINT: say who sent it (a run that ends with status 143 is
 * otherwise a mystery), then exit as the default action would */
static void
on_term (int sig, siginfo_t * info, void *ctx)
{
  static const char head[] = "rrtsp-bench: terminated by a signal from pid ";
  char num[24];
  long pid = (long) info->si_pid;
  int i = sizeof (num);

  /* async-signal-safe: no stdio */
  num[--i] = '\n';
  do {
    num[--i] = (char) ('0' + pid % 10);
    pid /= 10;
  } while (pid > 0 && i > 0);
  if (write (STDERR_FILENO, head, sizeof (head) - 1) < 0
      || write (STDERR_FILENO, num + i, sizeof (num) - i) < 0)
    _exit (128 + sig);
  _exit (128 + sig);
}

static void
report_signals (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof (sa));
  sa.sa_sigaction = on_term;
  sa.sa_flags = SA_SIGINFO;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static glong
context_switches (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

static gdouble
peak_rss_mb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* kB on Linux */
}

/* the end of the window: everything measured "at the end" is taken here,
 * while the pipelines still run */
static gboolean
stop_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->stop_id = 0;
  g_atomic_int_set (&bench->window, WINDOW_CLOSED);
  bench->win_end_us = g_get_monotonic_time ();
  bench->win_cpu_end = cpu_seconds ();
  if (bench->alloc_count) {
    bench->allocs_end = bench->alloc_count ();
    bench->own_allocs_end = bench->alloc_count_named (OWN_THREADS);
  }
  bench->ctxsw_end = context_switches ();
  bench->watch_end = watched_ticks (bench);
  system_ticks (&bench->sys_busy_end, &bench->sys_total_end);
  bench->rss_end_mb = rss_mb ();
  bench->threads_end = count_threads ();
  bench->fds_end = count_fds ();
  jitterbuffer_totals (bench, &bench->jb_lost_end, &bench->jb_late_end);
  /* for scripts that profile the window */
  g_printerr ("window-closed\n");
  if (bench->thread_names) {
    gchar *names = thread_names ();

    g_printerr ("thread-names: %s\n", names);
    g_free (names);
  }
  g_main_loop_quit (bench->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
open_window_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->warmup_id = 0;
  bench->win_start_us = g_get_monotonic_time ();
  bench->win_cpu_start = cpu_seconds ();
  if (bench->alloc_count) {
    bench->allocs_start = bench->alloc_count ();
    bench->own_allocs_start = bench->alloc_count_named (OWN_THREADS);
  }
  bench->ctxsw_start = context_switches ();
  bench->watch_start = watched_ticks (bench);
  system_ticks (&bench->sys_busy_start, &bench->sys_total_start);
  jitterbuffer_totals (bench, &bench->jb_lost_start, &bench->jb_late_start);
  g_atomic_int_set (&bench->window, WINDOW_OPEN);
  /* for scripts that profile the window (benchmarks/profile.sh) */
  g_printerr ("window-open\n");
  bench->stop_id = g_timeout_add (bench->duration_s * 1000, stop_cb, bench);
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
  if (bench->warmup_s > 0)
    bench->warmup_id = g_timeout_add (bench->warmup_s * 1000, open_window_cb,
        bench);
  else
    open_window_cb (bench);
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

/* the pipeline's source element (owned by the pipeline) */
static GstElement *
find_source (GstElement * pipeline)
{
  GstIterator *it = gst_bin_iterate_sources (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  GstElement *src = NULL;

  if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    src = g_value_get_object (&item);
    g_value_unset (&item);
  }
  gst_iterator_free (it);
  return src;
}

/* PROP=VALUE pairs onto the source element */
static gboolean
set_source_props (GstElement * src, gchar ** props)
{
  guint i;

  for (i = 0; props[i] != NULL; i++) {
    gchar **kv = g_strsplit (props[i], "=", 2);

    if (kv[0] == NULL || kv[1] == NULL ||
        g_object_class_find_property (G_OBJECT_GET_CLASS (src),
            kv[0]) == NULL) {
      g_printerr ("bad --set %s\n", props[i]);
      g_strfreev (kv);
      return FALSE;
    }
    gst_util_set_object_arg (G_OBJECT (src), kv[0], kv[1]);
    g_strfreev (kv);
  }
  return TRUE;
}

static gboolean
parse_pids (const gchar * text, GArray * pids)
{
  gchar **parts = g_strsplit (text, ",", -1);
  gboolean ok = TRUE;
  guint i;

  for (i = 0; parts[i] != NULL; i++) {
    gchar *end;
    gint64 pid = g_ascii_strtoll (parts[i], &end, 10);

    if (end == parts[i] || *end != '\0' || pid <= 0 || pid > G_MAXINT) {
      ok = FALSE;
      break;
    }
    g_array_append_val (pids, pid);
  }
  g_strfreev (parts);
  return ok;
}

int
main (int argc, char **argv)
{
  Bench bench = { 0, };
  gchar *element = NULL, *protocols = NULL;
  gchar **props = NULL, **watch = NULL;
  gint n_streams = 1, duration = 10, latency = 200, warmup = 0;
  gint start_timeout = 60, teardown_sample = 0;
  gdouble teardown_sum = 0, teardown_max = 0;
  gboolean names = FALSE, no_depay = FALSE;
  GOptionEntry entries[] = {
    {"element", 'e', 0, G_OPTION_ARG_STRING, &element,
        "Source element (default: rtspsrc)", "NAME"},
    {"protocols", 'p', 0, G_OPTION_ARG_STRING, &protocols,
        "Lower transport: udp or tcp (default: tcp)", "P"},
    {"streams", 'n', 0, G_OPTION_ARG_INT, &n_streams,
        "Pipelines to run (default: 1)", "N"},
    {"duration", 'd', 0, G_OPTION_ARG_INT, &duration,
        "Seconds to measure once all are PLAYING (default: 10)", "D"},
    {"warmup", 'w', 0, G_OPTION_ARG_INT, &warmup,
          "Seconds to wait between all PLAYING and the window (default: 0)",
        "W"},
    {"start-timeout", 0, 0, G_OPTION_ARG_INT, &start_timeout,
        "Seconds to wait at most for all to reach PLAYING (default: 60)", "S"},
    {"latency", 'l', 0, G_OPTION_ARG_INT, &latency,
        "latency property in ms (default: 200)", "MS"},
    {"watch-pid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &watch,
        "Report the CPU of this process in the window (repeatable, or "
          "comma-separated)", "PID"},
    {"teardown-sample", 0, 0, G_OPTION_ARG_INT, &teardown_sample,
        "Stop only the first N pipelines at the end, timed, then exit "
          "(default: stop all, untimed)", "N"},
    {"no-depay", 0, 0, G_OPTION_ARG_NONE, &no_depay,
        "identity instead of rtph264depay: measure the source alone", NULL},
    {"thread-names", 0, 0, G_OPTION_ARG_NONE, &names,
        "Print the threads grouped by name at the window's end", NULL},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &props,
        "Set a property of the source (repeatable)", "PROP=VALUE"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  gdouble cpu_start, cpu_end, rtp_sum = 0, rtp_max = 0, depay_sum = 0,
      depay_max = 0, win_s = 0, kbps_sum = 0, win_cpu;
  gint64 wall_start, wall_end, el_sum = 0;
  guint64 zc_shared = 0, zc_copied = 0, shared, copied;
  guint i, n_rtp = 0, n_depay = 0, threads_id, n_urls, alive = 0, stalled = 0;
  guint64 buffers = 0, rtp_packets = 0, win_packets = 0, win_lost = 0;
  guint64 jb_lost, jb_late;
  gint gap_max = 0, end_ms;
  gboolean have_el = TRUE, have_zc = TRUE;
  gchar *watch_pct, *busy_pct, *el_text, *zc_text, *allocs_text;
  gchar *own_allocs_text;
  gint ret = 0;

  report_signals ();
  ctx = g_option_context_new ("URL [URL…] - RTSP client benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  bench.watch_pids = g_array_new (FALSE, FALSE, sizeof (gint));
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc < 2
      || n_streams < 1 || duration < 1 || latency < 0 || warmup < 0
      || start_timeout < 1 || teardown_sample < 0) {
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
  for (i = 0; watch != NULL && watch[i] != NULL; i++) {
    if (!parse_pids (watch[i], bench.watch_pids)) {
      g_printerr ("bad --watch-pid %s\n", watch[i]);
      return 2;
    }
  }
  if (element == NULL)
    element = g_strdup ("rtspsrc");
  if (protocols == NULL)
    protocols = g_strdup ("tcp");
  n_urls = (guint) argc - 1;

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.n_streams = n_streams;
  bench.alloc_count = (guint64 (*)(void)) dlsym (RTLD_DEFAULT,
      "rrtsp_alloc_count");
  bench.alloc_count_named = (guint64 (*)(const char *)) dlsym (RTLD_DEFAULT,
      "rrtsp_alloc_count_named");
  if (bench.alloc_count_named == NULL)
    bench.alloc_count = NULL;
  bench.duration_s = duration;
  bench.warmup_s = warmup;
  bench.thread_names = names;
  if (no_depay)
    rr_bench_pipeline_set_depayloader ("identity");
  bench.t0 = g_get_monotonic_time ();
  bench.streams = g_new0 (Stream, n_streams);
  g_mutex_init (&bench.jb_lock);
  bench.jitterbuffers = g_ptr_array_new_with_free_func (gst_object_unref);
  for (i = 0; i < bench.n_streams; i++) {
    Stream *stream = &bench.streams[i];
    GstBus *bus;

    stream->bench = &bench;
    stream->pipeline = make_pipeline (stream, element, argv[1 + i % n_urls],
        protocols, latency, &err);
    if (stream->pipeline == NULL) {
      g_printerr ("%s\n", err->message);
      g_clear_error (&err);
      return 2;
    }
    stream->src = find_source (stream->pipeline);
    if (stream->src == NULL || (props != NULL
            && !set_source_props (stream->src, props)))
      return 2;
    g_signal_connect (stream->pipeline, "deep-element-added",
        G_CALLBACK (deep_element_added), &bench);
    bus = gst_pipeline_get_bus (GST_PIPELINE (stream->pipeline));
    gst_bus_add_watch (bus, bus_cb, stream);
    gst_object_unref (bus);
  }

  bench.threads_max = count_threads ();
  threads_id = g_timeout_add (100, sample_threads, &bench);
  bench.start_timeout_id = g_timeout_add_seconds (start_timeout,
      start_timeout_cb, &bench);

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
  if (g_atomic_int_get (&bench.window) != WINDOW_CLOSED) {
    /* no window: report the state now, over an empty window */
    bench.win_start_us = g_get_monotonic_time ();
    bench.win_cpu_start = cpu_seconds ();
    bench.ctxsw_start = context_switches ();
    bench.watch_start = watched_ticks (&bench);
    system_ticks (&bench.sys_busy_start, &bench.sys_total_start);
    jitterbuffer_totals (&bench, &bench.jb_lost_start, &bench.jb_late_start);
    stop_cb (&bench);
  }
  win_s = (bench.win_end_us - bench.win_start_us) / 1e6;
  end_ms = (gint) ((bench.win_end_us - bench.t0) / 1000);

  for (i = 0; i < bench.n_streams; i++) {
    Stream *stream = &bench.streams[i];
    gint last_ms = g_atomic_int_get (&stream->last_rtp_ms);
    gint gap = g_atomic_int_get (&stream->win_gap_ms);
    gint64 lost;
    GstStructure *stats;

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
    win_packets += (guint) g_atomic_int_get (&stream->win_packets);
    win_lost += (guint) g_atomic_int_get (&stream->win_lost);
    if (win_s > 0)
      kbps_sum += g_atomic_int_get (&stream->win_bytes) * 8 / 1000.0 / win_s;
    /* the time since the last packet counts as a gap too */
    if (last_ms > 0 && end_ms - last_ms < ALIVE_MS)
      alive++;
    gap = MAX (gap, last_ms > 0 ? end_ms - last_ms : (gint) (win_s * 1000));
    if (gap > STALL_MS)
      stalled++;
    gap_max = MAX (gap_max, gap);
    stats = element_stats (stream);
    lost = stats ? element_lost (stats) : -1;
    if (lost < 0)
      have_el = FALSE;
    else
      el_sum += lost;
    if (stats && element_zero_copy (stats, &shared, &copied)) {
      zc_shared += shared;
      zc_copied += copied;
    } else {
      have_zc = FALSE;
    }
    if (stats)
      gst_structure_free (stats);
  }
  win_cpu = bench.win_cpu_end - bench.win_cpu_start;
  jb_lost = bench.jb_lost_end - bench.jb_lost_start;
  jb_late = bench.jb_late_end - bench.jb_late_start;

  watch_pct = bench.watch_pids->len == 0 || win_s <= 0 ? g_strdup ("-") :
      g_strdup_printf ("%.1f", 100.0 * (bench.watch_end - bench.watch_start)
      / sysconf (_SC_CLK_TCK) / win_s);
  busy_pct = bench.sys_total_end > bench.sys_total_start ?
      g_strdup_printf ("%.1f", 100.0 * (bench.sys_busy_end -
          bench.sys_busy_start) / (bench.sys_total_end -
          bench.sys_total_start)) : g_strdup ("-");
  el_text = have_el ? g_strdup_printf ("%" G_GINT64_FORMAT, el_sum) :
      g_strdup ("-");
  allocs_text = bench.alloc_count && win_packets > 0 ?
      g_strdup_printf ("%.2f", (gdouble) (bench.allocs_end -
          bench.allocs_start) / win_packets) : g_strdup ("-");
  own_allocs_text = bench.alloc_count && win_packets > 0
      && g_str_equal (element, "resilientrtspsrc") ?
      g_strdup_printf ("%.3f", (gdouble) (bench.own_allocs_end -
          bench.own_allocs_start) / win_packets) : g_strdup ("-");
  zc_text = have_zc && zc_shared + zc_copied > 0 ?
      g_strdup_printf ("%.2f", 100.0 * zc_shared / (zc_shared + zc_copied)) :
      g_strdup ("-");

  printf ("element=%s protocol=%s streams=%u duration_s=%u cpu_s=%.3f "
      "cpu_pct=%.1f peak_rss_mb=%.1f threads_max=%u ", element, protocols,
      bench.n_streams, bench.duration_s, cpu_end - cpu_start,
      100.0 * (cpu_end - cpu_start) / ((wall_end - wall_start) / 1e6),
      peak_rss_mb (), bench.threads_max);
  printf ("ttfp_rtp_ms_mean=%.1f ttfp_rtp_ms_max=%.1f ttfp_depay_ms_mean=%.1f "
      "ttfp_depay_ms_max=%.1f ", n_rtp ? rtp_sum / n_rtp : -1.0,
      n_rtp ? rtp_max : -1.0, n_depay ? depay_sum / n_depay : -1.0,
      n_depay ? depay_max : -1.0);
  printf ("buffers=%" G_GUINT64_FORMAT " rtp_packets=%" G_GUINT64_FORMAT
      " started=%u errors=%u ", buffers, rtp_packets, n_depay, bench.n_errors);
  printf
      ("window=%d win_s=%.1f win_cpu_s=%.3f win_cpu_pct=%.1f rss_mb=%.1f threads=%u "
      "fds=%u ctxsw_per_s=%.0f ", bench.running ? 1 : 0, win_s, win_cpu,
      win_s > 0 ? 100.0 * win_cpu / win_s : 0.0, bench.rss_end_mb,
      bench.threads_end, bench.fds_end,
      win_s > 0 ? (bench.ctxsw_end - bench.ctxsw_start) / win_s : 0.0);
  printf ("win_packets=%" G_GUINT64_FORMAT " win_kbps=%.1f win_lost=%"
      G_GUINT64_FORMAT " loss_pct=%.4f ", win_packets,
      bench.n_streams ? kbps_sum / bench.n_streams : 0.0, win_lost,
      win_packets + win_lost ? 100.0 * win_lost / (win_packets +
          win_lost) : 0.0);
  printf ("alive_end=%u stalled=%u gap_ms_max=%d jb_lost=%" G_GUINT64_FORMAT
      " jb_late=%" G_GUINT64_FORMAT " el_lost=%s zero_copy_pct=%s "
      "allocs_per_packet=%s own_allocs_per_packet=%s watch_cpu_pct=%s "
      "sys_busy_pct=%s\n", alive, stalled, gap_max, jb_lost, jb_late,
      el_text, zc_text, allocs_text, own_allocs_text, watch_pct, busy_pct);
  fflush (stdout);
  g_free (watch_pct);
  g_free (busy_pct);
  g_free (el_text);
  g_free (zc_text);
  g_free (allocs_text);
  g_free (own_allocs_text);
  if (n_depay < bench.n_streams || bench.n_errors > 0 || !bench.running)
    ret = 1;

  g_source_remove (threads_id);
  if (bench.start_timeout_id != 0)
    g_source_remove (bench.start_timeout_id);
  if (bench.warmup_id != 0)
    g_source_remove (bench.warmup_id);
  if (bench.stop_id != 0)
    g_source_remove (bench.stop_id);
  for (i = 0; i < bench.n_streams; i++) {
    gint64 t = g_get_monotonic_time ();

    if (teardown_sample > 0 && i == (guint) teardown_sample) {
      /* the rest would only take time: the kernel closes their sockets */
      g_printerr ("teardown: %u pipelines to NULL in %.0f ms (mean %.1f ms, "
          "max %.1f ms); not stopping the other %u\n", i, teardown_sum,
          teardown_sum / i, teardown_max, bench.n_streams - i);
      fflush (stdout);
      _exit (ret);
    }
    gst_element_set_state (bench.streams[i].pipeline, GST_STATE_NULL);
    gst_bus_remove_watch (GST_ELEMENT_BUS (bench.streams[i].pipeline));
    t = g_get_monotonic_time () - t;
    teardown_sum += t / 1e3;
    teardown_max = MAX (teardown_max, t / 1e3);
  }
  if (teardown_sample > 0)
    g_printerr ("teardown: %u pipelines to NULL in %.0f ms (mean %.1f ms, "
        "max %.1f ms)\n", bench.n_streams, teardown_sum,
        teardown_sum / bench.n_streams, teardown_max);
  /* the pipelines are stopped: nobody adds jitterbuffers any more */
  g_ptr_array_unref (bench.jitterbuffers);
  g_mutex_clear (&bench.jb_lock);
  for (i = 0; i < bench.n_streams; i++)
    gst_object_unref (bench.streams[i].pipeline);
  g_free (bench.streams);
  g_array_unref (bench.watch_pids);
  g_main_loop_unref (bench.loop);
  g_free (element);
  g_free (protocols);
  g_strfreev (props);
  g_strfreev (watch);
  return ret;
}

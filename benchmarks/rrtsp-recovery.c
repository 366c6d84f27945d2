/* resilientrtsp
 * rrtsp-recovery.c: crashes and restarts an RTSP server under one client
 * pipeline and measures how long the client takes to deliver data again.
 * Prints one line of key=value measurements.
 *
 *   rrtsp-recovery --server PATH [--port N] [--element E] [--protocols P]
 *       [--outages N] [--min-outage S] [--max-outage S] [--seed N]
 *       [--gap S] [--timeout S] [--latency MS]
 *
 * The program starts the server itself (PATH --no-audio --port N; N is a
 * free port picked by binding port 0 and closing it, unless --port gives
 * one) and runs one pipeline against it:
 *
 *   ELEMENT location=URL protocols=P latency=MS ! rtph264depay ! fakesink
 *
 * (resilientrtspsrc gets depayload=false so both elements feed the same RTP
 * depayloader). A probe on the depayloader's src pad records the monotonic
 * time of every buffer. Once data flows, for each of N outages:
 *
 *   1. after --gap seconds of data, the server is killed with SIGKILL (a
 *      crash: no TEARDOWN, sockets closed by the kernel);
 *   2. after the outage's duration, drawn uniformly from
 *      [--min-outage, --max-outage] seconds by a PRNG seeded with --seed
 *      (the same seed gives every element the same outages), the server is
 *      started again on the same port;
 *   3. t_accept is the moment the new server's "READY" line is read from its
 *      stdout. The server prints it after its listening socket is bound and
 *      attached to its running main context, so from then on it accepts and
 *      serves; nothing can be served before it (an RTSP exchange needs that
 *      main context), so no buffer of the new session can precede t_accept;
 *   4. recovery = the first depayloaded buffer after t_accept − t_accept.
 *
 * If the pipeline posts an error or EOS, or no buffer follows t_accept within
 * --timeout seconds, the element "ended" and the run stops there (rtspsrc is
 * expected to end on the first outage). A server that exits before READY
 * (e.g. "address in use") is started again, up to 20 times, 100 ms apart;
 * `respawns` counts that.
 *
 * For resilientrtspsrc the element's messages split each recovery in three:
 *   wait    t_accept → start of the attempt that succeeded (the
 *           resilientrtsp-reconnecting message's post time + its delay-ms;
 *           0 if that attempt started before t_accept)
 *   setup   → resilientrtsp-recovered posted (PLAY answered): connect,
 *           OPTIONS, DESCRIBE (the server builds its media), SETUP, PLAY
 *   buffer  → the first depayloaded buffer (the server's first frame, the
 *           jitterbuffer, the depayloader)
 * and `breaker` counts the outages whose reconnecting reason said the
 * element's circuit breaker was open (a server that keeps failing).
 *
 * One line of stderr per outage; the result on stdout:
 *
 *   element protocol            what ran
 *   planned outages             outages asked for / actually caused
 *   recovered ended ended_after outages recovered; 1 if the element ended,
 *                               and after which outage (0: before any)
 *   median_ms p90_ms max_ms min_ms mean_ms   recovery over the recovered
 *                               outages ("-" when none)
 *   wait_median_ms setup_median_ms buffer_median_ms   the split above
 *   breaker nobreaker_median_ms nobreaker_max_ms   outages with the breaker
 *                               open, and recovery over the others
 *   attempts_max                most attempts an outage took
 *   ready_median_ms             server spawn → READY (not part of recovery)
 *   respawns seed min_outage_s max_outage_s gap_s
 *   end_reason                  last on the line, runs to its end: "eos"
 *                               (", after warning: …" when one came
 *                               before), "error: …", "no buffer within …",
 *                               or "-"
 *
 * The server inherits stderr; it is started without GST_DEBUG and
 * GST_DEBUG_FILE so that a debug log of the client stays readable. Linux
 * only (prctl: the server gets SIGTERM when this program dies).
 *
 * Exit status: 0 when every outage was recovered, 1 otherwise, 2 on bad
 * arguments, when the benchmark itself could not run, or when interrupted
 * (SIGINT/SIGTERM: no result line).
 */

#include <gst/gst.h>

#include "bench-pipeline.h"
#include <glib-unix.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SPAWNS 20
#define RESPAWN_DELAY_MS 100
#define STOP_SERVER_TIMEOUT_S 5

typedef struct _Run Run;

typedef enum
{
  PHASE_LAUNCH,                 /* first server spawned, waiting for READY */
  PHASE_STARTING,               /* PLAYING requested, waiting for data */
  PHASE_FLOWING,                /* data flows; the next kill is scheduled */
  PHASE_DOWN,                   /* server killed; the outage runs */
  PHASE_RESTARTING,             /* server spawned again, waiting for READY */
  PHASE_RECOVERING,             /* server READY, waiting for a buffer */
  PHASE_DONE
} Phase;

typedef struct
{
  gdouble duration_s;           /* drawn */
  gint64 t_kill;                /* µs, monotonic */
  gint64 t_spawn;               /* the spawn that got READY */
  gint64 t_accept;              /* its READY line read */
  gint64 t_first;               /* first buffer after t_accept; 0 = none */
  /* from the element's messages, Run.lock */
  gint64 t_attempt;             /* start of the latest attempt; 0 = none */
  gint64 t_recovered;           /* resilientrtsp-recovered posted; 0 = none */
  guint attempts;
  gboolean breaker;             /* a reconnecting reason said "circuit open" */
} Outage;

/* one server process */
typedef struct
{
  Run *run;
  GPid pid;
  GIOChannel *out;
  guint out_id;
  gboolean ready;
} Server;

struct _Run
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *depay;
  gchar *element;
  gchar *protocols;
  guint latency;

  /* the server */
  gchar *server_path;
  gchar **server_env;
  guint port;
  gchar *url;
  Server *server;               /* the process that should be up, or NULL */
  gint64 t_spawn;
  guint spawns;                 /* spawns since the last READY */
  guint respawns;               /* spawns that exited before READY */

  /* the driver, main thread */
  Phase phase;
  Outage *outages;
  guint n_planned;
  guint n_caused;               /* kills so far */
  guint n_recovered;
  gdouble gap_s;
  guint timeout_s;
  guint seed;
  gdouble min_outage_s;
  gdouble max_outage_s;
  guint timer_id;
  gint64 t_playing;
  gboolean ended;
  gchar *end_reason;
  gchar *last_warning;          /* "warning: …" of the latest warning */
  gboolean broken;              /* the benchmark itself failed */
  gboolean interrupted;
  GArray *ready_ms;             /* gdouble: spawn → READY */

  /* shared with the streaming and posting threads */
  GMutex lock;
  GArray *buffer_times;         /* lock: gint64 µs of every buffer, sorted */
  gboolean wake;                /* lock: the next buffer wakes the driver */
  Outage *current;              /* lock: the outage messages belong to */
};

static void kill_server (Run * run);
static gboolean spawn_server (Run * run);

/* ---------------------------------------------------------------- buffers */

static gboolean buffer_wake_cb (gpointer user_data);

static GstPadProbeReturn
depay_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;
  gint64 now;

  g_mutex_lock (&run->lock);
  /* taken under the lock so that the array stays sorted */
  now = g_get_monotonic_time ();
  g_array_append_val (run->buffer_times, now);
  if (run->wake) {
    run->wake = FALSE;
    g_idle_add (buffer_wake_cb, run);
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

/* Time of the first buffer after @t, or 0; when there is none yet, the next
 * buffer wakes the driver. */
static gint64
first_buffer_after (Run * run, gint64 t)
{
  GArray *a = run->buffer_times;
  guint lo = 0, hi;
  gint64 found = 0;

  g_mutex_lock (&run->lock);
  hi = a->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;

    if (g_array_index (a, gint64, mid) > t)
      hi = mid;
    else
      lo = mid + 1;
  }
  if (lo < a->len)
    found = g_array_index (a, gint64, lo);
  else
    run->wake = TRUE;
  g_mutex_unlock (&run->lock);
  return found;
}

/* --------------------------------------------------------------- driver */

static void
set_timer (Run * run, guint ms, GSourceFunc func)
{
  if (run->timer_id != 0)
    g_source_remove (run->timer_id);
  run->timer_id = g_timeout_add (ms, func, run);
}

static void
clear_timer (Run * run)
{
  if (run->timer_id != 0)
    g_source_remove (run->timer_id);
  run->timer_id = 0;
}

static void
finish (Run * run)
{
  run->phase = PHASE_DONE;
  clear_timer (run);
  g_main_loop_quit (run->loop);
}

static void
end_run (Run * run, const gchar * reason)
{
  if (run->phase == PHASE_DONE)
    return;
  run->ended = TRUE;
  g_free (run->end_reason);
  run->end_reason = g_strdup (reason);
  if (run->n_caused > 0)
    g_printerr ("%s ended after outage %u, %.1f ms after the kill: %s\n",
        run->element, run->n_caused, (g_get_monotonic_time () -
            run->outages[run->n_caused - 1].t_kill) / 1e3, reason);
  else
    g_printerr ("%s ended before any outage: %s\n", run->element, reason);
  finish (run);
}

static void
broken (Run * run, const gchar * reason)
{
  g_printerr ("benchmark failed: %s\n", reason);
  run->broken = TRUE;
  finish (run);
}

static gboolean
kill_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timer_id = 0;
  kill_server (run);
  return G_SOURCE_REMOVE;
}

static void
data_flows (Run * run)
{
  if (run->n_caused >= run->n_planned) {
    finish (run);
    return;
  }
  run->phase = PHASE_FLOWING;
  set_timer (run, (guint) (run->gap_s * 1000), kill_cb);
}

static void
print_outage (Run * run, Outage * o)
{
  GString *s = g_string_new (NULL);
  gint64 t_attempt, t_recovered;
  guint attempts;
  gboolean breaker;

  g_mutex_lock (&run->lock);
  t_attempt = o->t_attempt;
  t_recovered = o->t_recovered;
  attempts = o->attempts;
  breaker = o->breaker;
  g_mutex_unlock (&run->lock);

  g_string_printf (s, "outage %u/%u: down %.2f s, server READY %.0f ms "
      "after spawn, recovery %.1f ms", (guint) (o - run->outages) + 1,
      run->n_planned, (o->t_accept - o->t_kill) / 1e6,
      (o->t_accept - o->t_spawn) / 1e3, (o->t_first - o->t_accept) / 1e3);
  if (t_recovered != 0 && t_attempt != 0) {
    gint64 start = MAX (t_attempt, o->t_accept);

    g_string_append_printf (s, " (wait %.1f, setup %.1f, buffer %.1f; "
        "%u attempt(s)%s)", (start - o->t_accept) / 1e3,
        (t_recovered - start) / 1e3, (o->t_first - t_recovered) / 1e3,
        attempts, breaker ? ", circuit breaker open" : "");
  }
  g_printerr ("%s\n", s->str);
  g_string_free (s, TRUE);
}

static void
check_recovered (Run * run)
{
  Outage *o = &run->outages[run->n_caused - 1];
  gint64 t = first_buffer_after (run, o->t_accept);

  if (t == 0)
    return;
  o->t_first = t;
  run->n_recovered++;
  print_outage (run, o);
  data_flows (run);
}

static gboolean
buffer_wake_cb (gpointer user_data)
{
  Run *run = user_data;

  switch (run->phase) {
    case PHASE_STARTING:
      g_printerr ("%s: first buffer %.1f ms after PLAYING\n", run->element,
          (first_buffer_after (run, 0) - run->t_playing) / 1e3);
      data_flows (run);
      break;
    case PHASE_RECOVERING:
      check_recovered (run);
      break;
    default:
      break;
  }
  return G_SOURCE_REMOVE;
}

static gboolean
no_data_cb (gpointer user_data)
{
  Run *run = user_data;
  gchar *reason;

  run->timer_id = 0;
  if (run->phase == PHASE_STARTING)
    reason = g_strdup_printf ("no buffer within %u s of PLAYING",
        run->timeout_s);
  else
    reason = g_strdup_printf ("no buffer within %u s of the server "
        "accepting again", run->timeout_s);
  end_run (run, reason);
  g_free (reason);
  return G_SOURCE_REMOVE;
}

static gboolean
restart_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timer_id = 0;
  run->phase = PHASE_RESTARTING;
  run->spawns = 0;
  if (!spawn_server (run))
    broken (run, "could not start the server again");
  return G_SOURCE_REMOVE;
}

static void
kill_server (Run * run)
{
  Outage *o = &run->outages[run->n_caused++];

  g_mutex_lock (&run->lock);
  run->current = o;
  g_mutex_unlock (&run->lock);
  o->t_kill = g_get_monotonic_time ();
  if (run->server != NULL) {
    kill (run->server->pid, SIGKILL);
    /* reaped and freed by server_exit_cb */
    run->server = NULL;
  }
  run->phase = PHASE_DOWN;
  set_timer (run, (guint) (o->duration_s * 1000 + 0.5), restart_cb);
}

/* ------------------------------------------------------------- pipeline */

static void
pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Run *run = user_data;
  GstPad *sinkpad = gst_element_get_static_pad (run->depay, "sink");
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
    if (GST_PAD_LINK_FAILED (gst_pad_link (pad, sinkpad)))
      g_printerr ("could not link %s:%s to the depayloader\n",
          GST_DEBUG_PAD_NAME (pad));
  }
  if (caps != NULL)
    gst_caps_unref (caps);
  gst_object_unref (sinkpad);
}

static GstElement *
make_pipeline (Run * run, GError ** error)
{
  return rr_bench_pipeline_new (run->element, run->url, run->protocols,
      run->latency, depay_probe, G_CALLBACK (pad_added), run, &run->depay,
      error);
}

/* Posting thread: timestamps the element's recovery messages. */
static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;
  const GstStructure *s;
  gint64 now;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  now = g_get_monotonic_time ();
  g_mutex_lock (&run->lock);
  if (run->current != NULL) {
    Outage *o = run->current;

    if (gst_structure_has_name (s, "resilientrtsp-reconnecting")) {
      guint64 delay_ms = 0;
      guint attempt = 0;
      const gchar *reason = gst_structure_get_string (s, "reason");

      gst_structure_get_uint64 (s, "delay-ms", &delay_ms);
      gst_structure_get_uint (s, "attempt", &attempt);
      o->t_attempt = now + 1000 * (gint64) delay_ms;
      o->attempts = MAX (o->attempts, attempt);
      if (reason != NULL && strstr (reason, "circuit open") != NULL)
        o->breaker = TRUE;
    } else if (gst_structure_has_name (s, "resilientrtsp-recovered")) {
      guint attempts = 0;

      o->t_recovered = now;
      if (gst_structure_get_uint (s, "attempts", &attempts))
        o->attempts = attempts;
    }
  }
  g_mutex_unlock (&run->lock);
  return GST_BUS_PASS;
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;
      gchar *debug = NULL, *reason;
      const gchar *detail;
      gboolean error = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;

      if (error)
        gst_message_parse_error (msg, &err, &debug);
      else
        gst_message_parse_warning (msg, &err, &debug);
      /* the debug string's last line says what happened */
      detail = debug ? strrchr (debug, '\n') : NULL;
      detail = detail ? detail + 1 : debug;
      g_printerr ("%s from %s: %s (%s)\n", error ? "error" : "warning",
          GST_OBJECT_NAME (msg->src), err->message, detail ? detail : "");
      reason = g_strdup_printf ("%s: %s%s%s%s", error ? "error" : "warning",
          err->message, detail ? " (" : "", detail ? detail : "",
          detail ? ")" : "");
      if (error) {
        end_run (run, reason);
      } else if (run->phase != PHASE_DONE) {
        g_free (run->last_warning);
        run->last_warning = reason;
        reason = NULL;
      }
      g_free (reason);
      g_clear_error (&err);
      g_free (debug);
      break;
    }
    case GST_MESSAGE_EOS:
      if (run->last_warning != NULL) {
        gchar *reason = g_strdup_printf ("eos, after %s", run->last_warning);

        end_run (run, reason);
        g_free (reason);
      } else {
        end_run (run, "eos");
      }
      break;
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      guint64 u64 = 0;
      guint u = 0;

      if (s == NULL)
        break;
      if (gst_structure_has_name (s, "resilientrtsp-reconnecting")) {
        gst_structure_get_uint (s, "attempt", &u);
        gst_structure_get_uint64 (s, "delay-ms", &u64);
        g_printerr ("  reconnecting: attempt %u in %" G_GUINT64_FORMAT
            " ms after %s: %s\n", u, u64,
            GST_STR_NULL (gst_structure_get_string (s, "class")),
            GST_STR_NULL (gst_structure_get_string (s, "reason")));
      } else if (gst_structure_has_name (s, "resilientrtsp-recovered")) {
        gst_structure_get_uint (s, "attempts", &u);
        gst_structure_get_uint64 (s, "outage-ms", &u64);
        g_printerr ("  recovered: outage %" G_GUINT64_FORMAT " ms, %u "
            "attempt(s)\n", u64, u);
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static void
start_pipeline (Run * run)
{
  GError *err = NULL;
  GstBus *bus;

  run->pipeline = make_pipeline (run, &err);
  if (run->pipeline == NULL) {
    broken (run, err->message);
    g_clear_error (&err);
    return;
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (run->pipeline));
  gst_bus_set_sync_handler (bus, bus_sync, run, NULL);
  gst_bus_add_watch (bus, bus_cb, run);
  gst_object_unref (bus);

  run->phase = PHASE_STARTING;
  first_buffer_after (run, 0);  /* arms the wake-up */
  set_timer (run, run->timeout_s * 1000, no_data_cb);
  run->t_playing = g_get_monotonic_time ();
  if (gst_element_set_state (run->pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    end_run (run, "error: could not go to PLAYING");
}

/* --------------------------------------------------------------- server */

static void
server_ready (Run * run, Server * srv, const gchar * url, gint64 now)
{
  gdouble ms = (now - run->t_spawn) / 1e3;

  if (srv != run->server)
    return;
  g_array_append_val (run->ready_ms, ms);
  switch (run->phase) {
    case PHASE_LAUNCH:
      run->url = g_strdup (url);
      g_printerr ("server READY at %s\n", run->url);
      start_pipeline (run);
      break;
    case PHASE_RESTARTING:{
      Outage *o = &run->outages[run->n_caused - 1];

      o->t_spawn = run->t_spawn;
      o->t_accept = now;
      run->phase = PHASE_RECOVERING;
      set_timer (run, run->timeout_s * 1000, no_data_cb);
      check_recovered (run);
      break;
    }
    default:
      break;
  }
}

static gboolean
server_out_cb (GIOChannel * channel, GIOCondition cond, gpointer user_data)
{
  Server *srv = user_data;
  gint64 now = g_get_monotonic_time ();
  GIOStatus status;
  gchar *line = NULL;

  while ((status = g_io_channel_read_line (channel, &line, NULL, NULL,
              NULL)) == G_IO_STATUS_NORMAL) {
    if (!srv->ready && g_str_has_prefix (line, "READY ")) {
      srv->ready = TRUE;
      server_ready (srv->run, srv, g_strstrip (line + strlen ("READY ")), now);
    }
    g_free (line);
    line = NULL;
  }
  if (status == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  srv->out_id = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
respawn_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timer_id = 0;
  if (!spawn_server (run))
    broken (run, "could not start the server");
  return G_SOURCE_REMOVE;
}

static void
server_exit_cb (GPid pid, gint status, gpointer user_data)
{
  Server *srv = user_data;
  Run *run = srv->run;

  if (srv == run->server) {
    /* not killed by the driver */
    run->server = NULL;
    if (run->phase == PHASE_DONE) {
      /* stopped at the end of the run */
      g_main_loop_quit (run->loop);
    } else if (!srv->ready && (run->phase == PHASE_LAUNCH
            || run->phase == PHASE_RESTARTING)) {
      if (run->spawns >= MAX_SPAWNS) {
        broken (run, "the server exits at start, again and again");
      } else {
        /* e.g. the port still in use: try again */
        g_printerr ("server exited before READY (%s %d), starting it "
            "again\n", WIFEXITED (status) ? "exit status" : "signal",
            WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
        run->respawns++;
        set_timer (run, RESPAWN_DELAY_MS, respawn_cb);
      }
    } else {
      broken (run, "the server exited by itself");
    }
  }
  if (srv->out_id != 0)
    g_source_remove (srv->out_id);
  g_io_channel_unref (srv->out);
  g_spawn_close_pid (pid);
  g_free (srv);
}

static void
server_child_setup (gpointer user_data)
{
  /* no orphaned server if the benchmark is killed */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
spawn_server (Run * run)
{
  gchar port[16];
  gchar *argv[] = { run->server_path, (gchar *) "--no-audio",
    (gchar *) "--port", port, NULL
  };
  GError *err = NULL;
  Server *srv;
  GPid pid;
  gint out_fd;

  g_snprintf (port, sizeof (port), "%u", run->port);
  run->spawns++;
  run->t_spawn = g_get_monotonic_time ();
  if (!g_spawn_async_with_pipes (NULL, argv, run->server_env,
          G_SPAWN_DO_NOT_REAP_CHILD, server_child_setup, NULL, &pid, NULL,
          &out_fd, NULL, &err)) {
    g_printerr ("cannot start %s: %s\n", run->server_path, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  srv = g_new0 (Server, 1);
  srv->run = run;
  srv->pid = pid;
  srv->out = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (srv->out, TRUE);
  g_io_channel_set_encoding (srv->out, NULL, NULL);
  g_io_channel_set_flags (srv->out, G_IO_FLAG_NONBLOCK, NULL);
  srv->out_id = g_io_add_watch (srv->out, G_IO_IN | G_IO_HUP | G_IO_ERR,
      server_out_cb, srv);
  g_child_watch_add (pid, server_exit_cb, srv);
  run->server = srv;
  return TRUE;
}

static gboolean
kill_server_hard_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timer_id = 0;
  if (run->server != NULL)
    kill (run->server->pid, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* At the end: SIGTERM, SIGKILL after a while, and wait until it is reaped. */
static void
stop_server (Run * run)
{
  if (run->server == NULL)
    return;
  kill (run->server->pid, SIGTERM);
  set_timer (run, STOP_SERVER_TIMEOUT_S * 1000, kill_server_hard_cb);
  g_main_loop_run (run->loop);
  clear_timer (run);
}

/* A port that was free a moment ago. */
static guint
pick_free_port (void)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof (addr);
  guint port = 0;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return 0;
  memset (&addr, 0, sizeof (addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0
      && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

static gboolean
on_signal (gpointer user_data)
{
  Run *run = user_data;

  g_printerr ("interrupted\n");
  run->interrupted = TRUE;
  finish (run);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------- statistics */

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

typedef struct
{
  guint n;
  gdouble median, p90, max, min, mean;
} Summary;

/* sorts @values */
static Summary
summarize (GArray * values)
{
  Summary s = { 0, };
  gdouble *v = (gdouble *) values->data;
  guint n = values->len, i;

  s.n = n;
  if (n == 0)
    return s;
  g_array_sort (values, compare_double);
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = v[(9 * n + 9) / 10 - 1];      /* nearest rank */
  s.min = v[0];
  s.max = v[n - 1];
  for (i = 0; i < n; i++)
    s.mean += v[i];
  s.mean /= n;
  return s;
}

/* "%.1f" or "-"; @buf holds 32 bytes */
static const gchar *
fmt_ms (gchar * buf, gboolean valid, gdouble ms)
{
  if (!valid)
    return "-";
  g_snprintf (buf, 32, "%.1f", ms);
  return buf;
}

static void
print_result (Run * run)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *calm = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *wait = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *setup = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *buffer = g_array_new (FALSE, FALSE, sizeof (gdouble));
  Summary a, c, w, su, b, r;
  guint i, breaker = 0, attempts_max = 0;
  gchar b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32], b8[32],
      b9[32], b10[32], b11[32];

  g_mutex_lock (&run->lock);
  for (i = 0; i < run->n_caused; i++) {
    Outage *o = &run->outages[i];
    gdouble ms = (o->t_first - o->t_accept) / 1e3;

    attempts_max = MAX (attempts_max, o->attempts);
    if (o->breaker)
      breaker++;
    if (o->t_first == 0)
      continue;
    g_array_append_val (all, ms);
    if (!o->breaker)
      g_array_append_val (calm, ms);
    if (o->t_attempt != 0 && o->t_recovered != 0) {
      gint64 start = MAX (o->t_attempt, o->t_accept);
      gdouble x;

      x = (start - o->t_accept) / 1e3;
      g_array_append_val (wait, x);
      x = (o->t_recovered - start) / 1e3;
      g_array_append_val (setup, x);
      x = (o->t_first - o->t_recovered) / 1e3;
      g_array_append_val (buffer, x);
    }
  }
  g_mutex_unlock (&run->lock);

  a = summarize (all);
  c = summarize (calm);
  w = summarize (wait);
  su = summarize (setup);
  b = summarize (buffer);
  r = summarize (run->ready_ms);
  printf ("element=%s protocol=%s planned=%u outages=%u recovered=%u "
      "ended=%d ended_after=%u median_ms=%s p90_ms=%s max_ms=%s min_ms=%s "
      "mean_ms=%s wait_median_ms=%s setup_median_ms=%s buffer_median_ms=%s "
      "breaker=%u nobreaker_median_ms=%s nobreaker_max_ms=%s attempts_max=%u "
      "ready_median_ms=%s respawns=%u seed=%u min_outage_s=%.1f "
      "max_outage_s=%.1f gap_s=%.1f end_reason=%s\n", run->element,
      run->protocols, run->n_planned, run->n_caused, run->n_recovered,
      run->ended ? 1 : 0, run->ended ? run->n_caused : 0,
      fmt_ms (b1, a.n > 0, a.median), fmt_ms (b2, a.n > 0, a.p90),
      fmt_ms (b3, a.n > 0, a.max), fmt_ms (b4, a.n > 0, a.min),
      fmt_ms (b5, a.n > 0, a.mean), fmt_ms (b6, w.n > 0, w.median),
      fmt_ms (b7, su.n > 0, su.median), fmt_ms (b8, b.n > 0, b.median),
      breaker, fmt_ms (b9, c.n > 0, c.median), fmt_ms (b10, c.n > 0, c.max),
      attempts_max, fmt_ms (b11, r.n > 0, r.median), run->respawns,
      run->seed, run->min_outage_s, run->max_outage_s, run->gap_s,
      run->end_reason ? run->end_reason : "-");
  fflush (stdout);

  g_array_free (all, TRUE);
  g_array_free (calm, TRUE);
  g_array_free (wait, TRUE);
  g_array_free (setup, TRUE);
  g_array_free (buffer, TRUE);
}

int
main (int argc, char **argv)
{
  Run run = { 0, };
  gchar *server_path = NULL, *element = NULL, *protocols = NULL;
  gint port = 0, n_outages = 20, latency = 200, seed = 1, timeout = 30;
  gdouble min_outage = 1.0, max_outage = 10.0, gap = 1.0;
  GOptionEntry entries[] = {
    {"server", 's', 0, G_OPTION_ARG_FILENAME, &server_path,
        "The test server program (resilientrtsp-test-server)", "PATH"},
    {"port", 0, 0, G_OPTION_ARG_INT, &port,
        "Server port (default 0: a free one)", "N"},
    {"element", 'e', 0, G_OPTION_ARG_STRING, &element,
        "Source element (default: resilientrtspsrc)", "NAME"},
    {"protocols", 'p', 0, G_OPTION_ARG_STRING, &protocols,
        "Lower transport: udp or tcp (default: tcp)", "P"},
    {"outages", 'n', 0, G_OPTION_ARG_INT, &n_outages,
        "Outages to cause (default: 20)", "N"},
    {"min-outage", 0, 0, G_OPTION_ARG_DOUBLE, &min_outage,
        "Shortest outage in seconds (default: 1)", "S"},
    {"max-outage", 0, 0, G_OPTION_ARG_DOUBLE, &max_outage,
        "Longest outage in seconds (default: 10)", "S"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed,
        "Seed of the outage durations (default: 1)", "N"},
    {"gap", 'g', 0, G_OPTION_ARG_DOUBLE, &gap,
        "Seconds of data between a recovery and the next outage "
          "(default: 1)", "S"},
    {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
        "Seconds to wait for data before calling the element ended "
          "(default: 30)", "S"},
    {"latency", 'l', 0, G_OPTION_ARG_INT, &latency,
        "latency property in ms (default: 200)", "MS"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GRand *rand;
  guint i, sigint_id, sigterm_id;
  gint ret;

  ctx = g_option_context_new ("- RTSP client recovery-time benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 1
      || server_path == NULL || port < 0 || port > 65535 || n_outages < 1
      || min_outage < 0.1 || max_outage < min_outage || gap < 0.1
      || timeout < 1 || latency < 0) {
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

  run.loop = g_main_loop_new (NULL, FALSE);
  run.element = element ? element : g_strdup ("resilientrtspsrc");
  run.protocols = protocols ? protocols : g_strdup ("tcp");
  run.latency = (guint) latency;
  run.server_path = server_path;
  run.server_env = g_get_environ ();
  run.server_env = g_environ_unsetenv (run.server_env, "GST_DEBUG");
  run.server_env = g_environ_unsetenv (run.server_env, "GST_DEBUG_FILE");
  run.port = port > 0 ? (guint) port : pick_free_port ();
  run.n_planned = (guint) n_outages;
  run.outages = g_new0 (Outage, run.n_planned);
  run.gap_s = gap;
  run.seed = (guint) seed;
  run.min_outage_s = min_outage;
  run.max_outage_s = max_outage;
  run.timeout_s = (guint) timeout;
  run.ready_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  run.buffer_times = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 4096);
  g_mutex_init (&run.lock);

  rand = g_rand_new_with_seed ((guint32) seed);
  for (i = 0; i < run.n_planned; i++)
    run.outages[i].duration_s = g_rand_double_range (rand, min_outage,
        max_outage);
  g_rand_free (rand);

  sigint_id = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &run);

  if (run.port == 0) {
    g_printerr ("could not find a free port\n");
    run.broken = TRUE;
  } else {
    run.phase = PHASE_LAUNCH;
    if (spawn_server (&run))
      g_main_loop_run (run.loop);
    else
      run.broken = TRUE;
  }

  if (!run.broken && !run.interrupted)
    print_result (&run);
  if (run.broken || run.interrupted)
    ret = 2;
  else
    ret = run.n_recovered == run.n_planned ? 0 : 1;

  /* TEARDOWN while the server is still up */
  if (run.pipeline != NULL) {
    gst_element_set_state (run.pipeline, GST_STATE_NULL);
    gst_bus_remove_watch (GST_ELEMENT_BUS (run.pipeline));
    gst_object_unref (run.pipeline);
  }
  run.phase = PHASE_DONE;
  stop_server (&run);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_mutex_clear (&run.lock);
  g_array_free (run.buffer_times, TRUE);
  g_array_free (run.ready_ms, TRUE);
  g_free (run.outages);
  g_strfreev (run.server_env);
  g_free (run.url);
  g_free (run.end_reason);
  g_free (run.last_warning);
  g_free (run.element);
  g_free (run.protocols);
  g_free (run.server_path);
  g_main_loop_unref (run.loop);
  return ret;
}

/* resilientrtsp tests
 * elements/resilientrtspsrc_race.c: connection racing against the real
 * test server (gst-rtsp-server) on loopback — first-wins and last-wins with
 * every attempt started at once (race-stagger=0), staggered duplicates,
 * and no race where only one path exists. The losers' sessions must be
 * gone from the server while the winner plays. (UDP blocked → TCP wins is
 * in resilientrtspsrc_nat.c: it needs a real firewall, so root.)
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "testserver.h"

#define RACE_NONE 0
#define RACE_FIRST_WINS 1
#define RACE_LAST_WINS 2
/* generous bounds: a hang fails, a slow machine does not */
#define WAIT_US (30 * G_USEC_PER_SEC)

static RrTestServer *
start_server (void)
{
  RrTestServerConfig config = { 0, };

  /* each attempt gets its own media: see unshared in testserver.h */
  config.unshared = TRUE;
  config.with_audio = TRUE;
  return rr_test_server_new (&config);
}

static GstStructure *
get_stats (RrPipeline * p)
{
  GstStructure *stats = NULL;

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  return stats;
}

static guint
race_attempts (RrPipeline * p)
{
  GstStructure *stats = get_stats (p);
  guint n = 0;

  fail_unless (gst_structure_get_uint (stats, "race-attempts", &n));
  gst_structure_free (stats);
  return n;
}

/* Polls until the server has exactly @n sessions alive (the losers' are
 * torn down asynchronously); returns the last count. */
static guint
wait_sessions (RrTestServer * server, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  guint alive;

  while ((alive = rr_test_server_count_sessions (server)) != n &&
      g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  return alive;
}

/* The inodes of every TCP and UDP socket of the host, as " 123 " tokens. */
static gchar *
inet_inodes (void)
{
  static const gchar *tables[] = { "/proc/net/tcp", "/proc/net/tcp6",
    "/proc/net/udp", "/proc/net/udp6"
  };
  GString *all = g_string_new (" ");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tables); i++) {
    gchar *text = NULL;
    gchar **lines;
    guint l;

    if (!g_file_get_contents (tables[i], &text, NULL, NULL))
      continue;
    lines = g_strsplit (text, "\n", -1);
    /* the inode is the tenth column; the first line is the header */
    for (l = 1; lines[l] != NULL; l++) {
      gchar **cols = g_strsplit_set (g_strstrip (lines[l]), " ", -1);
      guint c, n = 0;

      for (c = 0; cols[c] != NULL; c++) {
        if (*cols[c] == '\0')
          continue;
        if (n++ == 9)
          g_string_append_printf (all, "%s ", cols[c]);
      }
      g_strfreev (cols);
    }
    g_strfreev (lines);
    g_free (text);
  }
  return g_string_free (all, FALSE);
}

/* TCP and UDP sockets this process has open (GStreamer and GLib make other
 * descriptors lazily, e.g. socket pairs and eventfds, that stay). */
static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gchar *inodes = inet_inodes ();
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    if (target && g_str_has_prefix (target, "socket:[")) {
      gchar *token = g_strdup_printf (" %.*s ",
          (int) (strlen (target) - 9), target + 8);

      if (strstr (inodes, token) != NULL)
        n++;
      g_free (token);
    }
    g_free (target);
    g_free (path);
  }
  g_dir_close (dir);
  g_free (inodes);
  return n;
}

/* Polls until the process has at most @n file descriptors open (the
 * server closes its side of a connection asynchronously); returns the last
 * count. */
static guint
wait_fds (guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  guint open;

  while ((open = count_fds ()) > n && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  return open;
}

/* Polls until the stats' transport is @transport. */
static gboolean
wait_transport (RrPipeline * p, const gchar * transport)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (g_get_monotonic_time () < deadline) {
    GstStructure *stats = get_stats (p);
    gboolean same = g_strcmp0 (gst_structure_get_string (stats, "transport"),
        transport) == 0;

    gst_structure_free (stats);
    if (same)
      return TRUE;
    g_usleep (20 * 1000);
  }
  return FALSE;
}

/* Both paths start at once; one wins, the other is torn down on the
 * server while the winner keeps playing; stopping tears the winner down. */
GST_START_TEST (test_first_wins_tears_the_loser_down)
{
  RrTestServer *server = start_server ();
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p;
  guint before, fds;

  /* the server's listening socket */
  fds = count_fds ();
  fail_unless (fds >= 1);

  p = rr_pipeline_new (url, "race-mode", RACE_FIRST_WINS, "race-stagger", 0,
      NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5), "%s",
      p->error ? p->error->message : "no data");
  fail_unless_equals_int (race_attempts (p), 2);
  /* every attempt sends its own DESCRIBE */
  fail_unless (rr_test_server_wait_requests (server, GST_RTSP_DESCRIBE, 2,
          10000) >= 2);
  fail_unless_equals_int (wait_sessions (server, 1), 1);
  before = rr_pipeline_total_buffers (p);
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));
  fail_unless (p->error == NULL);
  rr_pipeline_assert_clean_downstream (p, 2);

  rr_pipeline_free (p);
  fail_unless_equals_int (wait_sessions (server, 0), 0);
  /* no socket of either attempt is left open (nor the server's side) */
  fail_unless_equals_int (wait_fds (fds), fds);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* last-wins: both paths deliver; the newest (TCP, started second) is the
 * one kept, the older one is torn down, and the pads stay. */
GST_START_TEST (test_last_wins_keeps_the_newest)
{
  RrTestServer *server = start_server ();
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "race-mode", RACE_LAST_WINS,
      "race-stagger", 0, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5), "%s",
      p->error ? p->error->message : "no data");
  fail_unless (wait_transport (p, "tcp"));
  fail_unless_equals_int (wait_sessions (server, 1), 1);
  fail_unless_equals_int (race_attempts (p), 2);
  before = rr_pipeline_total_buffers (p);
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));
  fail_unless (p->error == NULL);
  rr_pipeline_assert_clean_downstream (p, 2);

  rr_pipeline_free (p);
  fail_unless_equals_int (wait_sessions (server, 0), 0);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* A staggered duplicate of a TCP-only path: two attempts, one session
 * left. */
GST_START_TEST (test_duplicates)
{
  RrTestServer *server = start_server ();
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols",
      GST_RTSP_LOWER_TRANS_TCP, "race-duplicates", 1, "race-stagger", 0,
      NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5));
  fail_unless_equals_int (race_attempts (p), 2);
  fail_unless_equals_int (wait_sessions (server, 1), 1);
  fail_unless (wait_transport (p, "tcp"));
  rr_pipeline_free (p);
  fail_unless_equals_int (wait_sessions (server, 0), 0);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* No race where there is one path, or with race-mode=none: one session,
 * one DESCRIBE. */
static void
plays_without_race (const gchar * first_prop, ...)
{
  RrTestServer *server = start_server ();
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, NULL);
  va_list args;

  va_start (args, first_prop);
  g_object_set_valist (G_OBJECT (p->src), first_prop, args);
  va_end (args);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 5));
  fail_unless_equals_int (race_attempts (p), 1);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_DESCRIBE), 1);
  fail_unless_equals_int (rr_test_server_count_sessions (server), 1);
  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_none_runs_one_session)
{
  plays_without_race ("race-mode", RACE_NONE, "race-stagger", 0, NULL);
}

GST_END_TEST;

GST_START_TEST (test_one_path_no_race)
{
  plays_without_race ("protocols", GST_RTSP_LOWER_TRANS_TCP, "race-stagger", 0,
      NULL);
}

GST_END_TEST;

/* An answer every path would get (404) ends the race at once: one error,
 * no second attempt's DESCRIBE after it. */
GST_START_TEST (test_same_failure_everywhere_ends_the_race)
{
  RrTestServer *server = start_server ();
  gchar *url = rr_test_server_get_url (server, "/no-such-mount");
  RrPipeline *p = rr_pipeline_new (url, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "not-found");
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_DESCRIBE), 1);
  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *src = gst_element_factory_make ("resilientrtspsrc", NULL);
  guint stagger, parallel, duplicates;
  gint mode;

  fail_unless (src != NULL);
  g_object_get (src, "race-mode", &mode, "race-stagger", &stagger,
      "race-max-parallel", &parallel, "race-duplicates", &duplicates, NULL);
  fail_unless_equals_int (mode, RACE_FIRST_WINS);
  fail_unless_equals_int (stagger, 250);
  fail_unless_equals_int (parallel, 0);
  fail_unless_equals_int (duplicates, 0);
  gst_util_set_object_arg (G_OBJECT (src), "race-mode", "last-wins");
  g_object_get (src, "race-mode", &mode, NULL);
  fail_unless_equals_int (mode, RACE_LAST_WINS);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_race_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_race");
  TCase *tc = tcase_create ("race");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_first_wins_tears_the_loser_down);
  tcase_add_test (tc, test_last_wins_keeps_the_newest);
  tcase_add_test (tc, test_duplicates);
  tcase_add_test (tc, test_none_runs_one_session);
  tcase_add_test (tc, test_one_path_no_race);
  tcase_add_test (tc, test_same_failure_everywhere_ends_the_race);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_race);

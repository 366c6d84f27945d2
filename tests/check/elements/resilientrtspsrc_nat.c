/* resilientrtsp tests
 * elements/resilientrtspsrc_nat.c: nat-method through a real NAT. Run by
 * nat-netns.sh, which builds client, router and server network namespaces
 * (the router masquerades and drops every UDP flow the server side starts)
 * and runs this program inside the client's; the test server
 * (resilientrtsp-test-server, a real gst-rtsp-server) is started in the
 * server's namespace by each test. UDP only, no TCP fallback (timeout=0):
 * with the dummy method the server's RTP gets through the NAT; with none it
 * is dropped at the router, which the router's nft counter proves.
 *
 * Without nat-netns.sh's environment (not root, tools missing) it skips.
 */
#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline-fixture.h"

/* nft counters in the router's table (nat-netns.sh) */
#define UNSOLICITED "unsolicited"
#define PUNCH_RTP "punch_rtp"
#define PUNCH_RTCP "punch_rtcp"

/* /test has video and audio */
#define N_STREAMS 2
#define DROPPED_ENOUGH 50
/* generous bounds: a hang fails, a slow machine does not */
#define WAIT_COUNTER_US (60 * G_USEC_PER_SEC)

static const gchar *server_ns;
static const gchar *router_ns;
static const gchar *server_addr;
static const gchar *nat_table;

typedef struct
{
  GSubprocess *proc;
  gchar *url;
} Server;

/* The real test server in the server's namespace, on its address. */
static Server *
server_start_full (gboolean unshared)
{
  Server *s = g_new0 (Server, 1);
  const gchar *exe = g_getenv ("RRTSP_TEST_SERVER");
  GSubprocessLauncher *launcher;
  GDataInputStream *out;
  GError *err = NULL;
  gchar *line;

  fail_unless (exe != NULL, "RRTSP_TEST_SERVER is not set");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* see router_counter() */
  g_subprocess_launcher_unsetenv (launcher, "LD_PRELOAD");
  s->proc = g_subprocess_launcher_spawn (launcher, &err, "ip", "netns",
      "exec", server_ns, exe, "--address", server_addr,
      unshared ? "--unshared" : NULL, NULL);
  g_object_unref (launcher);
  fail_unless (s->proc != NULL, "cannot start the server: %s",
      err ? err->message : "");

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &err);
  fail_unless (line != NULL && g_str_has_prefix (line, "READY "),
      "the server did not start: %s", err ? err->message : "no READY line");
  s->url = g_strdup (line + strlen ("READY "));
  g_free (line);
  g_object_unref (out);
  GST_INFO ("server %s in %s", s->url, server_ns);
  return s;
}

static Server *
server_start (void)
{
  return server_start_full (FALSE);
}

static void
server_stop (Server * s)
{
  g_subprocess_send_signal (s->proc, SIGTERM);
  fail_unless (g_subprocess_wait (s->proc, NULL, NULL));
  g_object_unref (s->proc);
  g_free (s->url);
  g_free (s);
}

/* Packets counted by the router's nft counter @name. */
static guint64
router_counter (const gchar * name)
{
  gchar *argv[] = { (gchar *) "ip", (gchar *) "netns", (gchar *) "exec",
    (gchar *) router_ns, (gchar *) "nft", (gchar *) "list", (gchar *) "counter",
    NULL, NULL, (gchar *) name, NULL
  };
  gchar **table = g_strsplit (nat_table, " ", 2);
  gchar **envp = g_get_environ ();
  gchar *out = NULL, *err_out = NULL;
  const gchar *p;
  GError *err = NULL;
  gint status = 0;
  guint64 packets;

  fail_unless (g_strv_length (table) == 2, "bad RRTSP_NAT_TABLE");
  argv[7] = table[0];
  argv[8] = table[1];
  /* the tools run without what the ASan stage of scripts/test.sh preloads
   * (the sanitizer runtime and GnuTLS): with it, plain programs hang at
   * exit; the test server is built with the sanitizer and needs nothing */
  envp = g_environ_unsetenv (envp, "LD_PRELOAD");
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err_out, &status, &err), "nft: %s",
      err ? err->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "nft list counter "
      "%s: %s", name, err_out);
  p = strstr (out, "packets ");
  fail_unless (p != NULL, "nft: no packet count in \"%s\"", out);
  packets = g_ascii_strtoull (p + strlen ("packets "), NULL, 10);
  g_free (out);
  g_free (err_out);
  g_strfreev (envp);
  g_strfreev (table);
  return packets;
}

/* Waits until counter @name is at least @target (polled: the router is
 * another namespace's kernel state; the bound only catches a hang). */
static guint64
wait_router_counter (const gchar * name, guint64 target)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_COUNTER_US;
  guint64 value;

  while ((value = router_counter (name)) < target &&
      g_get_monotonic_time () < deadline)
    g_usleep (100 * 1000);
  return value;
}

/* the stats' transport, and its NAT punch count */
static gchar *
stats_transport (RrPipeline * p, guint64 * punches)
{
  GstStructure *stats = NULL;
  gchar *transport = NULL;

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  transport = g_strdup (gst_structure_get_string (stats, "transport"));
  fail_unless (gst_structure_get_uint64 (stats, "nat-punches", punches));
  gst_structure_free (stats);
  return transport;
}

/* UDP only, never TCP: no fallback may hide a closed NAT */
static RrPipeline *
udp_pipeline (const gchar * url, const gchar * first_prop, ...)
{
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_UDP,
      "timeout", (guint64) 0, NULL);
  va_list args;

  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (p->src), first_prop, args);
    va_end (args);
  }
  return p;
}

/* The default (dummy, as rtspsrc): each stream punches from both ports
 * before PLAY, the server's RTP and RTCP come back through the NAT's
 * mappings, and the router drops nothing. */
GST_START_TEST (test_default_dummy_gets_through)
{
  Server *server = server_start ();
  guint64 dropped = router_counter (UNSOLICITED);
  guint64 rtp_punches = router_counter (PUNCH_RTP);
  guint64 rtcp_punches = router_counter (PUNCH_RTCP);
  RrPipeline *p = udp_pipeline (server->url, NULL);
  gchar *transport;
  guint64 punches = 0;
  gint method = -1;

  g_object_get (p->src, "nat-method", &method, NULL);
  fail_unless_equals_int (method, 1);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, N_STREAMS, 20),
      "no data through the NAT");
  fail_unless (p->error == NULL);
  transport = stats_transport (p, &punches);
  fail_unless_equals_string (transport, "udp");
  g_free (transport);
  /* two copies from each of the two ports of every stream */
  fail_unless (punches >= N_STREAMS * 4, "%" G_GUINT64_FORMAT, punches);

  /* the punches went through the router: two copies from each port */
  fail_unless (router_counter (PUNCH_RTP) - rtp_punches >= N_STREAMS * 2);
  fail_unless (router_counter (PUNCH_RTCP) - rtcp_punches >= N_STREAMS * 2);
  /* nothing from the server hit a closed NAT */
  fail_unless_equals_uint64 (router_counter (UNSOLICITED) - dropped, 0);

  rr_pipeline_free (p);
  server_stop (server);
}

GST_END_TEST;

/* none: nothing leaves the client's RTP ports, so the router has no
 * mapping for the server's RTP and drops it — proved by its counter, while
 * the client has received nothing. */
GST_START_TEST (test_none_is_dropped_at_the_nat)
{
  Server *server = server_start ();
  guint64 dropped = router_counter (UNSOLICITED);
  guint64 rtp_punches = router_counter (PUNCH_RTP);
  RrPipeline *p = udp_pipeline (server->url, "nat-method", 0,
      "stall-timeout", 0, NULL);

  rr_pipeline_play (p);
  /* PLAY was answered: the server is sending */
  fail_unless (rr_pipeline_wait_state (p, "playing"));
  fail_unless (wait_router_counter (UNSOLICITED, dropped + DROPPED_ENOUGH) >=
      dropped + DROPPED_ENOUGH, "the router dropped no server traffic");
  fail_unless_equals_int (rr_pipeline_total_buffers (p), 0);
  fail_unless_equals_uint64 (router_counter (PUNCH_RTP) - rtp_punches, 0);
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  server_stop (server);
}

GST_END_TEST;

/* With do-rtcp off nothing but punches leaves either port: both are
 * punched again after the refresh interval, and data keeps flowing. */
GST_START_TEST (test_dummy_refreshes_without_rtcp)
{
  Server *server = server_start ();
  guint64 dropped = router_counter (UNSOLICITED);
  guint64 rtp_punches = router_counter (PUNCH_RTP);
  guint64 rtcp_punches = router_counter (PUNCH_RTCP);
  RrPipeline *p = udp_pipeline (server->url, "nat-method", 1,
      "do-rtcp", FALSE, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, N_STREAMS, 10));

  /* the initial punches (two per port and stream), then one refresh per
   * port and stream */
  fail_unless (wait_router_counter (PUNCH_RTP,
          rtp_punches + N_STREAMS * 3) >= rtp_punches + N_STREAMS * 3,
      "no RTP punch refresh");
  fail_unless (wait_router_counter (PUNCH_RTCP,
          rtcp_punches + N_STREAMS * 3) >= rtcp_punches + N_STREAMS * 3,
      "no RTCP punch refresh");

  before = rr_pipeline_total_buffers (p);
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));
  fail_unless_equals_uint64 (router_counter (UNSOLICITED) - dropped, 0);
  fail_unless (p->error == NULL);

  rr_pipeline_free (p);
  server_stop (server);
}

GST_END_TEST;

/* The racing headline: a firewall drops the server's UDP (nat-method=none
 * opens no mapping), UDP and TCP are allowed (the default): the UDP
 * attempt plays but gets nothing, the TCP attempt started a stagger later
 * wins, and the stream plays over TCP long before `timeout` (set to an
 * hour here, so a switch could not be what saved it). */
GST_START_TEST (test_udp_blocked_tcp_wins_the_race)
{
  /* two clients of one media at once: see unshared in testserver.h (a
   * shared media aborted on an assertion here once) */
  Server *server = server_start_full (TRUE);
  guint64 dropped = router_counter (UNSOLICITED);
  RrPipeline *p = rr_pipeline_new (server->url, "nat-method", 0,
      "timeout", (guint64) 3600 * G_USEC_PER_SEC, NULL);
  GstStructure *stats = NULL;
  guint attempts = 0;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, N_STREAMS, 10), "%s",
      p->error ? p->error->message : "no data");
  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_string (stats, "transport"),
      "tcp");
  fail_unless (gst_structure_get_uint (stats, "race-attempts", &attempts));
  fail_unless_equals_int (attempts, 2);
  gst_structure_free (stats);
  /* the UDP attempt did play: its RTP died at the router */
  fail_unless (router_counter (UNSOLICITED) > dropped);
  fail_unless (p->error == NULL);
  rr_pipeline_free (p);
  server_stop (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_nat_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_nat");
  TCase *tc = tcase_create ("nat");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_default_dummy_gets_through);
  tcase_add_test (tc, test_none_is_dropped_at_the_nat);
  tcase_add_test (tc, test_dummy_refreshes_without_rtcp);
  tcase_add_test (tc, test_udp_blocked_tcp_wins_the_race);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  server_ns = g_getenv ("RRTSP_NAT_SERVER_NS");
  router_ns = g_getenv ("RRTSP_NAT_ROUTER_NS");
  server_addr = g_getenv ("RRTSP_NAT_SERVER_ADDR");
  nat_table = g_getenv ("RRTSP_NAT_TABLE");
  if (!server_ns || !router_ns || !server_addr || !nat_table) {
    g_printerr ("SKIP: no NAT namespaces: run this test through "
        "nat-netns.sh (meson test elements-resilientrtspsrc_nat), as root\n");
    return 77;
  }

  gst_check_init (&argc, &argv);
  s = resilientrtspsrc_nat_suite ();
  return gst_check_run_suite (s, "resilientrtspsrc_nat", __FILE__);
}

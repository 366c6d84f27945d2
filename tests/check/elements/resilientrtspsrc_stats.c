/* resilientrtsp tests
 * elements/resilientrtspsrc_stats.c: the `stats` structure while playing
 * from a real gst-rtsp-server (tests/server/testserver.c) over UDP and TCP,
 * after an outage, and over TLS through a real HTTP proxy (tinyproxy):
 * per-stream RTP/RTCP figures, frames, the set-up time breakdown, the
 * server address and the outage total.
 *
 * No timing thresholds: durations are only checked for being measured
 * (>= 0) and for what causality guarantees (phases that happen one after
 * the other add up to no more than the span that contains them).
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "../netfixture.h"
#include "pipeline-fixture.h"
#include "testserver.h"

/* rounding of the µs → ms conversions when summing */
#define EPSILON_MS 0.01

static GstStructure *
get_stats (RrPipeline * p)
{
  GstStructure *stats = NULL;

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  return stats;
}

static const GstStructure *
stream_at (const GstStructure * stats, guint i)
{
  const GValue *streams = gst_structure_get_value (stats, "streams");

  fail_unless (streams != NULL && GST_VALUE_HOLDS_ARRAY (streams));
  fail_unless (i < gst_value_array_get_size (streams));
  return gst_value_get_structure (gst_value_array_get_value (streams, i));
}

static guint
n_streams (const GstStructure * stats)
{
  return gst_value_array_get_size (gst_structure_get_value (stats, "streams"));
}

static guint64
get_u64 (const GstStructure * s, const gchar * name)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, name, &v), "no guint64 %s in %"
      GST_PTR_FORMAT, name, s);
  return v;
}

static gdouble
get_double (const GstStructure * s, const gchar * name)
{
  gdouble v = 0;

  fail_unless (gst_structure_get_double (s, name, &v), "no gdouble %s in %"
      GST_PTR_FORMAT, name, s);
  return v;
}

static gboolean
get_bool (const GstStructure * s, const gchar * name)
{
  gboolean v = FALSE;

  fail_unless (gst_structure_get_boolean (s, name, &v), "no gboolean %s in %"
      GST_PTR_FORMAT, name, s);
  return v;
}

/* Every stream has received an SR, sent an RR (fraction-lost known) and
 * output buffers. */
static gboolean
rtcp_exchanged (const GstStructure * stats)
{
  guint i;

  if (n_streams (stats) == 0)
    return FALSE;
  for (i = 0; i < n_streams (stats); i++) {
    const GstStructure *s = stream_at (stats, i);

    if (!get_bool (s, "have-sr") || get_double (s, "fraction-lost") < 0 ||
        get_u64 (s, "rtcp-packets-received") == 0 ||
        get_u64 (s, "rtcp-packets-sent") == 0 ||
        get_u64 (s, "frames-received") == 0)
      return FALSE;
  }
  return TRUE;
}

/* Polls the stats property until @done says so (bounded by RR_WAIT_MS);
 * the server sends its first RTCP a few seconds after PLAY. */
static GstStructure *
wait_stats (RrPipeline * p, gboolean (*done) (const GstStructure * stats))
{
  gint64 deadline = g_get_monotonic_time () + RR_WAIT_MS * 1000;

  while (TRUE) {
    GstStructure *stats = get_stats (p);

    if (done (stats))
      return stats;
    fail_unless (g_get_monotonic_time () <= deadline,
        "stats never got there: %" GST_PTR_FORMAT, stats);
    gst_structure_free (stats);
    g_usleep (50 * 1000);
  }
}

/* The buffers the fixture's sink on pad stream_@index has seen. */
static guint
sink_buffers (RrPipeline * p, guint index)
{
  gchar *name = g_strdup_printf ("stream_%u", index);
  guint i, buffers = 0;
  gboolean found = FALSE;

  g_mutex_lock (&p->lock);
  for (i = 0; i < p->pads->len; i++) {
    RrPadInfo *info = g_ptr_array_index (p->pads, i);

    if (g_strcmp0 (info->name, name) == 0) {
      buffers = info->buffers;
      found = TRUE;
    }
  }
  g_mutex_unlock (&p->lock);
  fail_unless (found, "no pad %s", name);
  g_free (name);
  return buffers;
}

/* The set-up breakdown of an attempt that played: every phase measured
 * (proxy and TLS only with @tls_proxy), the sequential ones within
 * playing-ms. */
static void
assert_setup (const GstStructure * stats, guint n_setups, gboolean tls_proxy)
{
  const GstStructure *setup;
  const GValue *v = gst_structure_get_value (stats, "setup");
  const GValue *exchanges;
  gdouble sum = 0, setup_sum = 0, first_rtp, first_buffer;
  guint i;
  const gchar *const phases[] = { "dns-ms", "tcp-connect-ms", "options-ms",
    "describe-ms", "setup-ms", "play-ms"
  };

  fail_unless (v != NULL && GST_VALUE_HOLDS_STRUCTURE (v), "no setup in %"
      GST_PTR_FORMAT, stats);
  setup = gst_value_get_structure (v);
  for (i = 0; i < G_N_ELEMENTS (phases); i++) {
    gdouble ms = get_double (setup, phases[i]);

    fail_unless (ms >= 0, "%s not measured: %" GST_PTR_FORMAT, phases[i],
        setup);
    sum += ms;
  }
  if (tls_proxy) {
    fail_unless (get_double (setup, "proxy-ms") >= 0, "%" GST_PTR_FORMAT,
        setup);
    fail_unless (get_double (setup, "tls-ms") >= 0, "%" GST_PTR_FORMAT, setup);
    sum += get_double (setup, "proxy-ms") + get_double (setup, "tls-ms");
  } else {
    fail_unless_equals_float (get_double (setup, "proxy-ms"), -1);
    fail_unless_equals_float (get_double (setup, "tls-ms"), -1);
  }

  /* one entry per SETUP, adding up to setup-ms */
  exchanges = gst_structure_get_value (setup, "setup-stream-ms");
  fail_unless (exchanges != NULL && GST_VALUE_HOLDS_ARRAY (exchanges));
  fail_unless_equals_int (gst_value_array_get_size (exchanges), n_setups);
  for (i = 0; i < n_setups; i++) {
    gdouble ms = g_value_get_double (gst_value_array_get_value (exchanges, i));

    fail_unless (ms >= 0);
    setup_sum += ms;
  }
  fail_unless (ABS (setup_sum - get_double (setup, "setup-ms")) < EPSILON_MS,
      "%" GST_PTR_FORMAT, setup);

  /* DNS, connect and the requests happen one after the other between the
   * attempt's start and the PLAY answer */
  fail_unless (get_double (setup, "playing-ms") + EPSILON_MS >= sum,
      "%" GST_PTR_FORMAT, setup);

  /* after the PLAY answer: a packet goes in before a buffer comes out */
  first_rtp = get_double (setup, "first-rtp-ms");
  first_buffer = get_double (setup, "first-buffer-ms");
  fail_unless (first_rtp >= 0, "%" GST_PTR_FORMAT, setup);
  fail_unless (first_buffer >= first_rtp, "%" GST_PTR_FORMAT, setup);
}

static void
play_and_check_stats (GstRTSPLowerTrans protocols, const gchar * transport)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", protocols, NULL);
  GstStructure *stats;
  gchar *address;
  guint64 frames = 0;
  guint i, before[2];

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 20), "no data: %s",
      p->error ? p->error->message : "timeout");
  stats = wait_stats (p, rtcp_exchanged);
  gst_structure_free (stats);

  /* what the sinks saw before the stats were taken: output counted at the
   * pad is at least that */
  before[0] = sink_buffers (p, 0);
  before[1] = sink_buffers (p, 1);
  stats = get_stats (p);
  GST_INFO ("%" GST_PTR_FORMAT, stats);

  fail_unless_equals_string (gst_structure_get_string (stats, "transport"),
      transport);
  address = g_strdup_printf ("127.0.0.1:%u", rr_test_server_get_port (server));
  fail_unless_equals_string (gst_structure_get_string (stats,
          "server-address"), address);
  g_free (address);
  fail_if (get_bool (stats, "via-proxy"));
  fail_unless_equals_int64 (get_u64 (stats, "outage-ms"), 0);
  assert_setup (stats, 2, FALSE);

  fail_unless_equals_int (n_streams (stats), 2);
  for (i = 0; i < 2; i++) {
    const GstStructure *s = stream_at (stats, i);
    guint index = 99, ssrc = 0;
    gdouble fraction, rtt;

    fail_unless (gst_structure_get_uint (s, "index", &index));
    fail_unless (index < 2);
    fail_unless (get_u64 (s, "frames-received") >= before[index],
        "stream %u: %" G_GUINT64_FORMAT " frames counted, the sink saw %u",
        index, get_u64 (s, "frames-received"), before[index]);
    frames += get_u64 (s, "frames-received");

    fail_unless (gst_structure_get_uint (s, "ssrc", &ssrc));
    fail_unless (ssrc != 0);
    fail_unless (get_u64 (s, "packets-received") > 0);
    fail_unless (get_u64 (s, "bytes-received") > get_u64 (s,
            "packets-received") * 12);
    /* from the server's SR */
    fail_unless (get_bool (s, "have-sr"));
    fail_unless (get_u64 (s, "sr-ntptime") != 0);
    fail_unless (gst_structure_has_field_typed (s, "sr-rtptime", G_TYPE_UINT));
    fail_unless (get_u64 (s, "rtcp-packets-received") > 0);
    fail_unless (get_u64 (s, "rtcp-packets-sent") > 0);
    fraction = get_double (s, "fraction-lost");
    fail_unless (fraction >= 0 && fraction <= 1);
    fail_unless (get_double (s, "jitter-ms") >= 0);
    /* gst-rtsp-server sends no report block about a receiver (RFC 3550
     * only reports on senders), so there is no RTCP round trip to show;
     * all that is guaranteed is the field */
    rtt = get_double (s, "rtt-ms");
    fail_unless (rtt == -1 || rtt >= 0);
    fail_unless (gst_structure_has_field_typed (s, "packets-lost",
            G_TYPE_INT64));
    if (protocols == GST_RTSP_LOWER_TRANS_TCP) {
      /* TCP delivers every packet once, in order */
      fail_unless_equals_int64 (get_u64 (s, "packets-duplicated"), 0);
      fail_unless_equals_int64 (get_u64 (s, "packets-reordered"), 0);
    } else {
      get_u64 (s, "packets-duplicated");
      get_u64 (s, "packets-reordered");
    }
  }
  fail_unless_equals_int64 (get_u64 (stats, "frames-received"), frames);
  gst_structure_free (stats);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_START_TEST (test_stats_udp)
{
  play_and_check_stats (GST_RTSP_LOWER_TRANS_UDP, "udp");
}

GST_END_TEST;

GST_START_TEST (test_stats_tcp)
{
  play_and_check_stats (GST_RTSP_LOWER_TRANS_TCP, "tcp");
}

GST_END_TEST;

/* The outage total runs while the session is lost and stops when it plays
 * again; the set-up breakdown is the new attempt's. */
GST_START_TEST (test_stats_outage)
{
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "protocols", GST_RTSP_LOWER_TRANS_TCP,
      "stall-timeout", 500, "tcp-timeout", (guint64) G_USEC_PER_SEC, NULL);
  GstStructure *stats;
  guint64 initial, during, after, later, frames_before;
  guint reconnects = 0, initial_reconnects = 0, before;
  guint reconnecting_msgs, recovered_msgs;
  gchar *address;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10));
  stats = get_stats (p);
  /* 0, unless a slow machine (valgrind) missed the 1 s tcp-timeout at
   * start: initial-connect retries are outages too */
  initial = get_u64 (stats, "outage-ms");
  fail_unless (gst_structure_get_uint (stats, "reconnects",
          &initial_reconnects));
  fail_unless (initial_reconnects > 0 || initial == 0);
  frames_before = get_u64 (stats, "frames-received");
  fail_unless (frames_before > 0);
  gst_structure_free (stats);

  g_mutex_lock (&p->lock);
  reconnecting_msgs = p->reconnecting;
  recovered_msgs = p->recovered;
  g_mutex_unlock (&p->lock);
  rr_test_server_freeze (server);
  fail_unless (rr_pipeline_wait_reconnecting (p, reconnecting_msgs + 1));
  /* the outage began before the reconnecting message: it is at least as
   * old as the time waited here */
  g_usleep (300 * 1000);
  stats = get_stats (p);
  during = get_u64 (stats, "outage-ms");
  fail_unless (during >= initial + 300, "outage-ms %" G_GUINT64_FORMAT,
      during);
  gst_structure_free (stats);

  before = rr_pipeline_total_buffers (p);
  rr_test_server_thaw (server);
  fail_unless (rr_pipeline_wait_recovered (p, recovered_msgs + 1), "%s",
      p->error ? p->error->message : "not recovered");
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 20));

  stats = get_stats (p);
  after = get_u64 (stats, "outage-ms");
  fail_unless (after >= during, "%" G_GUINT64_FORMAT " < %" G_GUINT64_FORMAT,
      after, during);
  fail_unless (gst_structure_get_uint (stats, "reconnects", &reconnects));
  fail_unless_equals_int (reconnects, initial_reconnects + 1);
  fail_unless (get_u64 (stats, "frames-received") > frames_before);
  address = g_strdup_printf ("127.0.0.1:%u", rr_test_server_get_port (server));
  fail_unless_equals_string (gst_structure_get_string (stats,
          "server-address"), address);
  g_free (address);
  /* the attempt that succeeded set both streams up again */
  assert_setup (stats, 2, FALSE);
  gst_structure_free (stats);

  /* playing again: the total no longer grows */
  g_usleep (100 * 1000);
  stats = get_stats (p);
  later = get_u64 (stats, "outage-ms");
  fail_unless_equals_int64 (later, after);
  gst_structure_free (stats);

  rr_pipeline_free (p);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

/* rtsps:// through an HTTP CONNECT proxy: the proxy handshake and TLS are
 * timed, and the address connected to is the proxy's. */
GST_START_TEST (test_stats_tls_through_proxy)
{
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  RrProxyProcess *tp;
  GTlsDatabase *db;
  gchar *url, *proxy, *address;
  RrPipeline *p;
  GstStructure *stats;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  config.with_audio = FALSE;
  config.tls_certificate = rr_net_load_certificate ("server.pem", "server.key");
  server = rr_test_server_new (&config);
  g_object_unref (config.tls_certificate);
  url = rr_test_server_get_url (server, "/video");
  fail_unless (g_str_has_prefix (url, "rtsps://"), "%s", url);
  tp = rr_net_tinyproxy_start (rr_test_server_get_port (server), NULL, NULL);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", rr_net_proxy_get_port (tp));
  db = rr_net_load_ca_database ();

  p = rr_pipeline_new (url, "proxy", proxy, "tls-database", db,
      "protocols", GST_RTSP_LOWER_TRANS_TCP, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10), "no buffers: %s",
      p->error ? p->error->message : "timeout");

  stats = get_stats (p);
  GST_INFO ("%" GST_PTR_FORMAT, stats);
  fail_unless (get_bool (stats, "via-proxy"));
  address = g_strdup_printf ("127.0.0.1:%u", rr_net_proxy_get_port (tp));
  fail_unless_equals_string (gst_structure_get_string (stats,
          "server-address"), address);
  g_free (address);
  assert_setup (stats, 1, TRUE);
  fail_unless (get_u64 (stats, "frames-received") > 0);
  gst_structure_free (stats);

  rr_pipeline_free (p);
  g_object_unref (db);
  g_free (proxy);
  rr_net_proxy_stop (tp);
  g_free (url);
  rr_test_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_stats_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_stats");
  TCase *tc = tcase_create ("stats");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  /* certificates, proxies */
  tcase_add_unchecked_fixture (tc, rr_net_setup, rr_net_teardown);
  tcase_add_test (tc, test_stats_udp);
  tcase_add_test (tc, test_stats_tcp);
  tcase_add_test (tc, test_stats_outage);
  tcase_add_test (tc, test_stats_tls_through_proxy);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_stats);

/* resilientrtsp tests
 * elements/resilientrtspsrc_telemetry.c: the metrics server that
 * RESILIENTRTSP_METRICS starts with no application code, scraped over HTTP
 * while the element plays from a real gst-rtsp-server, and after that
 * server is gone.
 */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pipeline-fixture.h"
#include "testserver.h"

typedef struct
{
  guint status;
  gchar *body;
} Reply;

static void
reply_free (Reply * r)
{
  g_free (r->body);
  g_free (r);
}

/* GET http://127.0.0.1:@port@path, never through a proxy */
static Reply *
http_get (guint port, const gchar * path)
{
  GProxyResolver *direct = g_simple_proxy_resolver_new (NULL, NULL);
  SoupSession *session = soup_session_new_with_options ("proxy-resolver",
      direct, "timeout", 60, NULL);
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  SoupMessage *msg = soup_message_new ("GET", url);
  GError *error = NULL;
  GBytes *bytes = soup_session_send_and_read (session, msg, NULL, &error);
  Reply *r = g_new0 (Reply, 1);
  gsize len;
  const gchar *data;

  fail_unless (bytes != NULL, "GET %s: %s", url, error ? error->message : "?");
  data = g_bytes_get_data (bytes, &len);
  r->body = len > 0 ? g_strndup (data, len) : g_strdup ("");
  r->status = soup_message_get_status (msg);

  g_bytes_unref (bytes);
  g_object_unref (msg);
  g_object_unref (session);
  g_object_unref (direct);
  g_free (url);
  return r;
}

static gchar *
scrape (guint port)
{
  Reply *r = http_get (port, "/metrics");
  gchar *body;

  fail_unless_equals_int (r->status, 200);
  body = g_steal_pointer (&r->body);
  reply_free (r);
  return body;
}

/* The value of the sample line "@series value", or -1 when there is none. */
static gdouble
sample_value (const gchar * text, const gchar * series)
{
  gchar *needle = g_strconcat ("\n", series, " ", NULL);
  const gchar *line = strstr (text, needle);
  gdouble value = -1;

  if (line)
    value = g_ascii_strtod (line + strlen (needle), NULL);
  g_free (needle);
  return value;
}

/* element="…",location="…" of the pipeline's source (no escaping needed
 * for the test server's URLs) */
static gchar *
labels_of (RrPipeline * p, const gchar * location)
{
  gchar *name = gst_object_get_name (GST_OBJECT (p->src));
  gchar *labels = g_strdup_printf ("element=\"%s\",location=\"%s\"", name,
      location);

  g_free (name);
  return labels;
}

/* Points RESILIENTRTSP_METRICS at a free loopback port. The plugin reads
 * it when the first element of the process starts and serves until the
 * process ends, so without forking (CK_FORK=no) every test uses the first
 * test's port. */
static guint
enable_metrics (void)
{
  static guint port = 0;

  if (port == 0) {
    gchar *address;

    port = rr_unused_port ();
    address = g_strdup_printf ("127.0.0.1:%u", port);
    g_setenv ("RESILIENTRTSP_METRICS", address, TRUE);
    g_free (address);
  }
  return port;
}

/* Waits for @more stats messages after the current count. */
static void
wait_more_stats (RrPipeline * p, guint more)
{
  guint now;

  g_mutex_lock (&p->lock);
  now = p->stats_messages;
  g_mutex_unlock (&p->lock);
  fail_unless (rr_pipeline_wait_stats (p, now + more));
}

GST_START_TEST (test_scrape_playing_then_server_gone)
{
  guint port = enable_metrics ();
  RrTestServer *server = rr_test_server_new (NULL);
  gchar *url = rr_test_server_get_url (server, "/test");
  RrPipeline *p = rr_pipeline_new (url, "stats-interval", 100, NULL);
  gchar *labels, *series, *text;
  Reply *r;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10), "no data: %s",
      p->error ? p->error->message : "timeout");
  /* a stats tick after the data: the counters are in */
  wait_more_stats (p, 2);
  labels = labels_of (p, url);

  text = scrape (port);
  series = g_strdup_printf ("resilientrtsp_state{%s,state=\"playing\"}",
      labels);
  fail_unless_equals_float (sample_value (text, series), 1);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_state{%s,state=\"recovering\"}",
      labels);
  fail_unless_equals_float (sample_value (text, series), 0);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_received_bytes_total{%s}", labels);
  fail_unless (sample_value (text, series) > 0, "%s", text);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_received_packets_total{%s}", labels);
  fail_unless (sample_value (text, series) > 0);
  g_free (series);
  /* buffers output on the pads (the stats' frames-received) */
  series = g_strdup_printf ("resilientrtsp_received_frames_total{%s}", labels);
  fail_unless (sample_value (text, series) > 0, "%s", text);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_connect_latency_seconds_count{%s}",
      labels);
  fail_unless_equals_float (sample_value (text, series), 1);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_connect_latency_seconds_bucket{%s,"
      "le=\"+Inf\"}", labels);
  fail_unless_equals_float (sample_value (text, series), 1);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_reconnect_attempts_total{%s}",
      labels);
  fail_unless_equals_float (sample_value (text, series), 0);
  g_free (series);
  fail_unless_equals_float (sample_value (text,
          "resilientrtsp_process_sources{state=\"playing\"}"), 1);
  g_free (text);

  r = http_get (port, "/health");
  fail_unless_equals_int (r->status, 200);
  fail_unless (g_str_has_prefix (r->body, "{\"status\":\"ok\","), "%s",
      r->body);
  fail_unless (strstr (r->body, "\"state\":\"playing\",\"health\":\"ok\"}"));
  reply_free (r);

  /* the camera goes away: the element recovers (forever, by default) */
  rr_test_server_free (server);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));

  r = http_get (port, "/health");
  fail_unless_equals_int (r->status, 503);
  fail_unless (g_str_has_prefix (r->body, "{\"status\":\"recovering\","),
      "%s", r->body);
  fail_unless (strstr (r->body,
          "\"state\":\"recovering\",\"health\":\"recovering\"}"));
  reply_free (r);

  text = scrape (port);
  series = g_strdup_printf ("resilientrtsp_state{%s,state=\"recovering\"}",
      labels);
  fail_unless_equals_float (sample_value (text, series), 1);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_reconnect_attempts_total{%s}",
      labels);
  fail_unless (sample_value (text, series) >= 1);
  g_free (series);
  series = g_strdup_printf ("resilientrtsp_errors_total{%s,class=", labels);
  fail_unless (strstr (text, series) != NULL, "no error counted");
  g_free (series);
  g_free (text);

  /* the element goes: its series go, the process keeps its counts */
  rr_pipeline_free (p);
  text = scrape (port);
  fail_if (strstr (text, labels) != NULL, "%s", text);
  fail_unless (sample_value (text,
          "resilientrtsp_process_received_bytes_total") > 0);
  fail_unless (sample_value (text,
          "resilientrtsp_process_received_frames_total") > 0);
  fail_unless_equals_float (sample_value (text,
          "resilientrtsp_process_connect_latency_seconds_count"), 1);
  fail_unless (sample_value (text,
          "resilientrtsp_process_reconnect_attempts_total") >= 1);
  fail_unless_equals_float (sample_value (text,
          "resilientrtsp_process_sources_registered_total"), 1);
  g_free (text);

  r = http_get (port, "/health");
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (r->body, "{\"status\":\"ok\",\"streams\":[]}\n");
  reply_free (r);

  g_free (labels);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_no_credentials_exported)
{
  guint port = enable_metrics ();
  RrTestServerConfig config = { 0, };
  RrTestServer *server;
  gchar *plain, *url, *labels, *text, *series;
  Reply *r;

  config.user = "admin";
  config.password = "s3cr3t-pw";
  server = rr_test_server_new (&config);
  plain = rr_test_server_get_url (server, "/video");
  g_assert (g_str_has_prefix (plain, "rtsp://"));
  url = g_strdup_printf ("rtsp://admin:s3cr3t-pw@%s", plain + 7);
  {
    RrPipeline *p = rr_pipeline_new (url, NULL);

    rr_pipeline_play (p);
    fail_unless (rr_pipeline_wait_buffers (p, 1, 5), "no data: %s",
        p->error ? p->error->message : "timeout");
    labels = labels_of (p, plain);

    text = scrape (port);
    fail_if (strstr (text, "s3cr3t") != NULL);
    fail_if (strstr (text, "admin") != NULL);
    series = g_strdup_printf ("resilientrtsp_state{%s,state=\"playing\"}",
        labels);
    fail_unless_equals_float (sample_value (text, series), 1);
    g_free (series);
    g_free (text);

    r = http_get (port, "/health");
    fail_unless_equals_int (r->status, 200);
    fail_if (strstr (r->body, "s3cr3t") != NULL);
    fail_if (strstr (r->body, "admin") != NULL);
    reply_free (r);

    rr_pipeline_free (p);
  }

  g_free (labels);
  g_free (url);
  g_free (plain);
  rr_test_server_free (server);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_telemetry_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_telemetry");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_scrape_playing_then_server_gone);
  tcase_add_test (tc, test_no_credentials_exported);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_telemetry);

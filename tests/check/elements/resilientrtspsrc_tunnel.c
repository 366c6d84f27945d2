/* resilientrtsp tests
 * elements/resilientrtspsrc_tunnel.c: RTSP tunnelled over HTTP (rtsph://)
 * and HTTPS (rtspsh://) against the real gst-rtsp-server test server, which
 * takes the tunnel on its RTSP port; through a real tinyproxy; recovery of a
 * tunnelled session; and a clear error when the other end does not speak
 * HTTP (the MOCK quirk server answers in RTSP).
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "../netfixture.h"
#include "pipeline-fixture.h"
#include "quirkserver.h"
#include "testserver.h"

/* The server's URL with another scheme. */
static gchar *
url_with_scheme (const gchar * url, const gchar * scheme)
{
  const gchar *rest = strstr (url, "://");

  fail_unless (rest != NULL);
  return g_strconcat (scheme, rest, NULL);
}

static RrTestServer *
server_on (guint port, GTlsCertificate * certificate)
{
  RrTestServerConfig config = { 0, };

  config.with_audio = TRUE;
  config.port = port;
  config.tls_certificate = certificate;
  return rr_test_server_new (&config);
}

static void
assert_transport (RrPipeline * p, const gchar * expected)
{
  GstStructure *stats = NULL;

  g_object_get (p->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless_equals_string (gst_structure_get_string (stats, "transport"),
      expected);
  gst_structure_free (stats);
}

GST_START_TEST (test_rtsph_plays)
{
  RrTestServer *server = server_on (0, NULL);
  gchar *plain = rr_test_server_get_url (server, "/test");
  gchar *url = url_with_scheme (plain, "rtsph");
  GstStructure *extra = gst_structure_new ("headers", "X-Camera-Token",
      G_TYPE_STRING, "abc", NULL);
  RrPipeline *p = rr_pipeline_new (url, "extra-http-request-headers", extra,
      NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 2, 10), "%s",
      p->error ? p->error->message : "no buffers");
  assert_transport (p, "tcp");
  fail_unless (p->error == NULL);
  /* one tunnel: a GET and a POST connection (plain RTSP makes one); the
   * RTSP requests went inside it */
  fail_unless_equals_int (rr_test_server_count_connections (server), 2);
  fail_unless_equals_int (rr_test_server_count_requests (server,
          GST_RTSP_SETUP), 2);
  rr_pipeline_free (p);
  fail_unless_equals_int (rr_test_server_wait_requests (server,
          GST_RTSP_TEARDOWN, 1, RR_WAIT_MS), 1);

  gst_structure_free (extra);
  g_free (url);
  g_free (plain);
  rr_test_server_free (server);
}

GST_END_TEST;

/* a camera reboot behind the tunnel: a new tunnel, same pads */
GST_START_TEST (test_rtsph_recovers)
{
  RrTestServer *server = server_on (0, NULL);
  guint port = rr_test_server_get_port (server);
  gchar *plain = rr_test_server_get_url (server, "/video");
  gchar *url = url_with_scheme (plain, "rtsph");
  RrPipeline *p = rr_pipeline_new (url, NULL);
  guint before;

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10));
  rr_test_server_free (server);
  fail_unless (rr_pipeline_wait_reconnecting (p, 1));
  before = rr_pipeline_total_buffers (p);
  server = server_on (port, NULL);
  fail_unless (rr_pipeline_wait_recovered (p, 1), "%s",
      p->error ? p->error->message : "not recovered");
  fail_unless (rr_pipeline_wait_more_buffers (p, before, 10));
  rr_pipeline_assert_clean_downstream (p, 1);
  /* the new server got a new tunnel */
  fail_unless (rr_test_server_count_connections (server) >= 2);
  rr_pipeline_free (p);

  g_free (url);
  g_free (plain);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_rtspsh_plays)
{
  GTlsCertificate *cert = rr_net_load_certificate ("server.pem", "server.key");
  RrTestServer *server = server_on (0, cert);
  GTlsDatabase *db = rr_net_load_ca_database ();
  gchar *tls_url = rr_test_server_get_url (server, "/video");
  gchar *url = url_with_scheme (tls_url, "rtspsh");
  RrPipeline *p = rr_pipeline_new (url, "tls-database", db, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10), "%s",
      p->error ? p->error->message : "no buffers");
  assert_transport (p, "tcp");
  fail_unless_equals_int (rr_test_server_count_connections (server), 2);
  rr_pipeline_free (p);

  g_free (url);
  g_free (tls_url);
  g_object_unref (db);
  g_object_unref (cert);
  rr_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_rtsph_through_http_proxy)
{
  RrTestServer *server;
  RrProxyProcess *tp;
  gchar *plain, *url, *proxy;
  RrPipeline *p;

  if (!rr_net_have_program ("tinyproxy"))
    return;
  server = server_on (0, NULL);
  plain = rr_test_server_get_url (server, "/video");
  url = url_with_scheme (plain, "rtsph");
  tp = rr_net_tinyproxy_start (rr_test_server_get_port (server), NULL, NULL);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", rr_net_proxy_get_port (tp));

  p = rr_pipeline_new (url, "proxy", proxy, NULL);
  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_buffers (p, 1, 10), "%s",
      p->error ? p->error->message : "no buffers");
  fail_unless_equals_int (rr_test_server_count_connections (server), 2);
  rr_pipeline_free (p);

  g_free (proxy);
  rr_net_proxy_stop (tp);
  g_free (url);
  g_free (plain);
  rr_test_server_free (server);
}

GST_END_TEST;

/* MOCK: the server answers the tunnel's GET in RTSP: a protocol error that
 * says so, not a hang */
GST_START_TEST (test_not_an_http_server)
{
  RrQuirkServer *quirk = rr_quirk_server_new ();
  gchar *plain = rr_quirk_server_get_url (quirk, "/test");
  gchar *url = url_with_scheme (plain, "rtsph");
  RrPipeline *p = rr_pipeline_new (url, "retry-initial-connect", FALSE,
      "tcp-timeout", (guint64) 5 * G_USEC_PER_SEC, NULL);

  rr_pipeline_play (p);
  fail_unless (rr_pipeline_wait_error (p));
  fail_unless_equals_string (p->error_class, "protocol");
  fail_unless (strstr (p->error->message, "tunnel") != NULL, "%s",
      p->error->message);
  rr_pipeline_free (p);

  g_free (url);
  g_free (plain);
  rr_quirk_server_free (quirk);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  GstElement *src = gst_element_factory_make ("resilientrtspsrc", NULL);
  const gchar *const *protocols;
  gchar *location = NULL;

  fail_unless (src != NULL);
  protocols = gst_uri_handler_get_protocols (GST_URI_HANDLER (src));
  fail_unless (g_strv_contains (protocols, "rtsph"));
  fail_unless (g_strv_contains (protocols, "rtspsh"));
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "rtspsh://127.0.0.1:1/x", NULL));
  g_object_get (src, "location", &location, NULL);
  fail_unless_equals_string (location, "rtspsh://127.0.0.1:1/x");
  g_free (location);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
resilientrtspsrc_tunnel_suite (void)
{
  Suite *s = suite_create ("resilientrtspsrc_tunnel");
  TCase *tc = tcase_create ("tunnel");

  tcase_set_timeout (tc, 120);
  tcase_add_unchecked_fixture (tc, rr_net_setup, rr_net_teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rtsph_plays);
  tcase_add_test (tc, test_rtsph_recovers);
  tcase_add_test (tc, test_rtspsh_plays);
  tcase_add_test (tc, test_rtsph_through_http_proxy);
  tcase_add_test (tc, test_not_an_http_server);
  tcase_add_test (tc, test_uri_handler);
  return s;
}

GST_CHECK_MAIN (resilientrtspsrc_tunnel);
